"""Pages of the case record: home, lists, record pages, history, sources, claim actions.

What a viewer may see is decided in ``records.claims`` (``visible_records``,
``claim_groups``, ``shown_claims``, ``visible_claim``) and the history in
``records.history``, the same rules as the API's: anything else answers 404, so a page
never reveals that something hidden exists. Writes go through ``records.claims``; a
``RecordError`` is shown next to the field it names and nothing is saved. The forms that
create records are in ``records.entry``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import wraps
from typing import Any

from django import forms
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import F, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from dadkhah.accounts import audit
from dadkhah.accounts.roles import STAFF_ROLES, can_edit, can_review, clearance_of, role_of
from dadkhah.core.confidentiality import Level
from dadkhah.core.dates import PartialDate, gregorian_to_sh
from dadkhah.records import claims, history, values
from dadkhah.records.claims import RecordError, ShownClaim, visible_records
from dadkhah.records.forms import CitationForm, ClaimForm, StatusForm
from dadkhah.records.models import (
    RECORD_MODELS,
    Citation,
    Claim,
    Event,
    Participation,
    Person,
    Post,
    Record,
    Source,
)

__all__ = [
    "KIND_NAMES",
    "citation_add",
    "claim_add",
    "claim_status",
    "home",
    "put_error",
    "record_detail",
    "record_history",
    "record_list",
    "require",
    "source_detail",
    "value_field",
    "viewer_clearance",
]

KIND_NAMES: dict[str, tuple[str, str]] = {
    "person": ("Person", "People"),
    "body": ("Body", "Bodies"),
    "place": ("Place", "Places"),
    "post": ("Post", "Posts"),
    "event": ("Event", "Events"),
    "participation": ("Participation", "Participations"),
    "source": ("Source", "Sources"),
}
PAGE_SIZE = 25
_ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}


# ------------------------------------------------------------------ access


def viewer_clearance(request: HttpRequest) -> Level:
    return clearance_of(request.user)


def is_staff(user: Any) -> bool:
    return role_of(user) in STAFF_ROLES


def require(check: Callable[[Any], bool], what: str) -> Callable[..., Any]:
    """Anonymous visitors go to the login page; signed-in users without the right get 403."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not check(request.user):
                raise PermissionDenied(f"Your role may not {what}.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _record_or_404(kind: str, clearance: Level, **lookup: Any) -> Record:
    model = RECORD_MODELS.get(kind)
    record = visible_records(model, clearance).filter(**lookup).first() if model else None
    if record is None:
        raise Http404("No such record.")
    return record


def _claim_or_404(uid: str, clearance: Level) -> tuple[Claim, Record]:
    found = claims.visible_claim(uid, clearance)
    if found is None:  # unknown, or not shown to this viewer
        raise Http404("No such claim.")
    return found[0].claim, found[1]


def put_error(form: forms.Form, exc: RecordError, aliases: dict[str, str] | None = None) -> None:
    """Show a refused write next to the field it names (or above the form)."""
    name = (aliases or {}).get(exc.field, exc.field)
    form.add_error(name if name in form.fields else None, str(exc))


def _lang(text: str) -> str:
    return "fa" if text and values.detect_script(text) == "fa" else ""


# ------------------------------------------------------------------ home and list


def _describe(row: Any, name: str, clearance: Level) -> tuple[str, str] | None:
    """What a history row is about and where it lives, or None when the viewer may not know."""
    if name == "Claim":
        found = claims.visible_claim(row.uid, clearance)
        if found is None:
            return None
        shown, target = found
        return f"claim “{shown.spec.label()}” on {target}", target.get_absolute_url()
    if name == "Source":
        source = Source.objects.visible_to(clearance).filter(pk=row.id).first()
        return (f"source {source}", source.get_absolute_url()) if source else None
    model = RECORD_MODELS[name.lower()]
    record = visible_records(model, clearance).filter(pk=row.id).first()
    if record is None:
        return None
    return f"{KIND_NAMES[model.KIND][0].lower()} {record}", record.get_absolute_url()


def _span(start: date | None, end: date | None) -> str:
    """A Gregorian span with its Solar Hijri equivalent, for lists."""
    if start is None:
        return ""

    def sh(d: date) -> str:
        return "{}/{:02d}/{:02d}".format(*gregorian_to_sh(d))

    if end is None or end == start:
        return f"{start.isoformat()} ({sh(start)})"
    return f"{start.isoformat()} – {end.isoformat()} ({sh(start)} – {sh(end)})"


def _recent_changes(clearance: Level, limit: int = 12) -> list[dict[str, Any]]:
    """The latest history rows of records, claims and sources the viewer may see."""
    rows: list[tuple[Any, str]] = []
    for model in (*RECORD_MODELS.values(), Source, Claim):
        history = model.history.filter(confidentiality__lte=int(clearance))  # type: ignore[attr-defined]
        for row in history.select_related("history_user").order_by("-history_date")[:limit]:
            rows.append((row, model.__name__))
    rows.sort(key=lambda pair: pair[0].history_date, reverse=True)
    out: list[dict[str, Any]] = []
    for row, name in rows:
        if len(out) == limit:
            break
        described = _describe(row, name, clearance)
        if described is None:
            continue
        out.append(
            {
                "when": row.history_date,
                "who": row.history_user.get_username() if row.history_user else "",
                "why": row.history_change_reason or "",
                "action": _ACTIONS[row.history_type],
                "what": described[0],
                "url": described[1],
            }
        )
    return out


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    clearance = viewer_clearance(request)
    counts = [
        (kind, KIND_NAMES[kind][1], visible_records(model, clearance).count())
        for kind, model in RECORD_MODELS.items()
    ]
    counts.append(("source", "Sources", Source.objects.visible_to(clearance).count()))
    staff = is_staff(request.user)
    context = {"counts": counts, "recent": _recent_changes(clearance) if staff else []}
    return render(request, "records/home.html", context)


@require_GET
def record_list(request: HttpRequest) -> HttpResponse:
    clearance = viewer_clearance(request)
    kind = request.GET.get("kind", "person")
    if kind not in KIND_NAMES:
        kind = "person"
    query = request.GET.get("q", "").strip()
    rows: QuerySet[Any]
    if kind == "source":
        rows = Source.objects.visible_to(clearance).order_by("title", "id")
        if query:
            rows = rows.filter(Q(title__icontains=query) | Q(citation__icontains=query))
    else:
        rows = visible_records(RECORD_MODELS[kind], clearance)
        if kind == "event":
            rows = rows.order_by(F("date_start").asc(nulls_last=True), "label", "id")
        else:
            rows = rows.order_by("label", "id")
        if query:
            rows = rows.filter(Q(label__icontains=query) | Q(label_fa__icontains=query))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    if kind == "event":
        for event in page.object_list:
            event.when = _span(event.date_start, event.date_end)
    context = {
        "kind": kind,
        "kinds": KIND_NAMES,
        "kind_name": KIND_NAMES[kind],
        "query": query,
        "page": page,
    }
    partial = request.htmx and not request.htmx.history_restore_request
    template = "records/partials/results.html" if partial else "records/list.html"
    return render(request, template, context)


# ------------------------------------------------------------------ the record page


@dataclass
class CitationView:
    citation: Citation
    quote_lang: str


@dataclass
class ClaimView:
    claim: Claim
    text: str
    lang: str
    href: str
    citations: list[CitationView]
    cite_form: forms.Form | None = None
    status_form: forms.Form | None = None


@dataclass
class GroupView:
    spec: values.PropSpec
    conflict: bool
    claims: list[ClaimView]


@dataclass
class LinkRow:
    items: list[Record]
    note: str = ""
    note_href: str = ""


@dataclass
class Section:
    title: str
    rows: list[LinkRow] = field(default_factory=list)


def _claim_view(
    item: ShownClaim, cite_form: forms.Form | None, status_form: forms.Form | None
) -> ClaimView:
    return ClaimView(
        claim=item.claim,
        text=item.text,
        lang=_lang(item.text),
        href=item.target.get_absolute_url() if item.target is not None else "",
        citations=[CitationView(c, _lang(c.quote)) for c in item.citations],
        cite_form=cite_form,
        status_form=status_form,
    )


def _groups(request: HttpRequest, record: Record, bound: dict[str, forms.Form]) -> list[GroupView]:
    clearance = viewer_clearance(request)
    editor, reviewer = can_edit(request.user), can_review(request.user)
    out: list[GroupView] = []
    for group in claims.claim_groups(record, clearance):
        views = []
        for item in group.claims:
            uid = item.claim.uid
            cite_form = status_form = None
            if editor:
                cite_form = bound.get(f"cite-{uid}") or CitationForm(
                    prefix=f"cite-{uid}", clearance=clearance
                )
            if reviewer:
                status_form = bound.get(f"status-{uid}") or StatusForm(prefix=f"status-{uid}")
            views.append(_claim_view(item, cite_form, status_form))
        out.append(GroupView(group.spec, group.conflict, views))
    return out


def _term(vocab: str, code: str) -> str:
    term = values.vocabularies()[vocab].terms.get(code)
    return term.label("en") if term else code


def _participation_note(part: Participation) -> str:
    note = _term("participant_role", part.role) if part.role else "role not recorded"
    return f"{note} ({_term('perpetrator_mode', part.mode).lower()})" if part.mode else note


def _structure(record: Record, clearance: Level) -> list[Section]:
    """The records this one is joined to, visible ones only."""
    posts = visible_records(Post, clearance).select_related("person", "body")
    parts = visible_records(Participation, clearance).select_related("event", "person")
    if isinstance(record, Person):
        return [
            Section("Posts", [LinkRow([p]) for p in posts.filter(person=record)]),
            Section(
                "Events",
                [
                    LinkRow([p.event], _participation_note(p))
                    for p in parts.filter(person=record).order_by("event__date_start", "id")
                ],
            ),
        ]
    if record.KIND == "body":
        return [
            Section(
                "Posts and members",
                [
                    LinkRow([p.person], p.role or "post", p.get_absolute_url())
                    for p in posts.filter(body=record)
                ],
            )
        ]
    if record.KIND == "place":
        events = visible_records(Event, clearance).filter(place=record).order_by("date_start", "id")
        return [Section("Events here", [LinkRow([e]) for e in events])]
    if isinstance(record, Event):
        sections = []
        if record.place_id and record.place.confidentiality <= int(clearance):
            sections.append(Section("Place", [LinkRow([record.place])]))
        rows = [
            LinkRow([p.person], _participation_note(p))
            for p in parts.filter(event=record).order_by("role", "person__label", "id")
        ]
        sections.append(Section("Participants", rows))
        return sections
    if isinstance(record, Post):
        return [
            Section("Held by", [LinkRow([record.person])]),
            Section("Body", [LinkRow([record.body])]),
        ]
    if isinstance(record, Participation):
        return [
            Section("Event", [LinkRow([record.event])]),
            Section("Person", [LinkRow([record.person], _participation_note(record))]),
        ]
    return []


def _record_context(
    request: HttpRequest, record: Record, bound: dict[str, forms.Form] | None = None
) -> dict[str, Any]:
    clearance = viewer_clearance(request)
    bound = bound or {}
    claim_form = bound.get("claim")
    if claim_form is None and can_edit(request.user):
        claim_form = ClaimForm(kind=record.KIND, clearance=clearance)
    return {
        "record": record,
        "kind": record.KIND,
        "kind_name": KIND_NAMES[record.KIND],
        "groups": _groups(request, record, bound),
        "claim_form": claim_form,
        "sections": _structure(record, clearance),
        "roles": [_term("participant_role", r) for r in claims.person_roles(record, clearance)]
        if isinstance(record, Person)
        else [],
        "staff": is_staff(request.user),
        "mentions": _mentions(record, clearance) if is_staff(request.user) else [],
        "may_reveal": isinstance(record, Person)
        and clearance >= Level.PROTECTED
        and hasattr(record, "protected_identity"),
    }


def _mentions(record: Record, clearance: Level) -> list[Any]:
    """Where vault documents mention the record (staff only: documents are not public)."""
    from dadkhah.search.mentioning import mentions_of

    return mentions_of(record, clearance)[:200]


@require_GET
def record_detail(request: HttpRequest, kind: str, uid: str) -> HttpResponse:
    record = _record_or_404(kind, viewer_clearance(request), uid=uid)
    context = _record_context(request, record)
    # restricted or protected material shown to staff is recorded in the audit trail
    shown = [v for g in context["groups"] for v in g.claims]
    cited = [c.citation.source for v in shown for c in v.citations]
    audit.view(request, record, audit.highest(record, *(v.claim for v in shown), *cited))
    return render(request, "records/detail.html", context)


def _claims_changed(request: HttpRequest, record: Record, anchor: str) -> HttpResponse:
    record.refresh_from_db()
    if request.htmx:
        return render(
            request, "records/partials/claims_swap.html", _record_context(request, record)
        )
    return HttpResponseRedirect(f"{record.get_absolute_url()}#{anchor}")


def _claims_refused(
    request: HttpRequest, record: Record, bound: dict[str, forms.Form]
) -> HttpResponse:
    context = _record_context(request, record, bound)
    if request.htmx:
        # htmx only swaps successful responses; the form carries the errors.
        return render(request, "records/partials/claims_swap.html", context)
    return render(request, "records/detail.html", context, status=400)


@require_POST
@require(can_edit, "add claims")
def claim_add(request: HttpRequest, kind: str, uid: str) -> HttpResponse:
    clearance = viewer_clearance(request)
    record = _record_or_404(kind, clearance, uid=uid)
    form = ClaimForm(request.POST, kind=kind, clearance=clearance)
    if form.is_valid():
        data = form.cleaned_data
        try:
            claim = claims.add_claim(
                record,
                data["prop"],
                data["value"],
                citations=form.citations(),
                status=data["status"],
                confidentiality=data["confidentiality"],
                clearance=clearance,
                user=request.user,
                reason=data["reason"] or f"added {form.spec.label().lower()}",
            )
        except RecordError as exc:
            put_error(form, exc, {data["prop"]: "value"})
        else:
            return _claims_changed(request, record, f"claim-{claim.uid}")
    return _claims_refused(request, record, {"claim": form})


def _claim_action(
    request: HttpRequest,
    uid: str,
    make_form: Callable[[Level], forms.Form],
    act: Callable[[Claim, forms.Form], Any],
) -> HttpResponse:
    """Run ``act`` on a claim the viewer may see, with its form; a refusal goes by the form."""
    clearance = viewer_clearance(request)
    claim, record = _claim_or_404(uid, clearance)
    form = make_form(clearance)
    if form.is_valid():
        try:
            act(claim, form)
        except RecordError as exc:
            put_error(form, exc)
        else:
            return _claims_changed(request, record, f"claim-{uid}")
    return _claims_refused(request, record, {form.prefix or "": form})


@require_POST
@require(can_edit, "cite sources")
def citation_add(request: HttpRequest, uid: str) -> HttpResponse:
    return _claim_action(
        request,
        uid,
        lambda clearance: CitationForm(request.POST, prefix=f"cite-{uid}", clearance=clearance),
        lambda claim, form: claims.add_citation(
            claim,
            form.citations()[0],  # type: ignore[attr-defined]
            user=request.user,
            reason=form.cleaned_data["reason"] or "added a citation",
        ),
    )


@require_POST
@require(can_review, "change the status of claims")
def claim_status(request: HttpRequest, uid: str) -> HttpResponse:
    return _claim_action(
        request,
        uid,
        lambda clearance: StatusForm(request.POST, prefix=f"status-{uid}"),
        lambda claim, form: claims.set_status(
            claim,
            form.cleaned_data["status"],
            user=request.user,
            reason=form.cleaned_data["reason"],
        ),
    )


@require_GET
@require(can_edit, "add claims")
def value_field(request: HttpRequest, kind: str) -> HttpResponse:
    """The value input for the chosen property (htmx swaps it when the property changes)."""
    if kind not in RECORD_MODELS:
        raise Http404("No such kind.")
    form = ClaimForm(
        initial={"prop": request.GET.get("prop", "")},
        kind=kind,
        clearance=viewer_clearance(request),
    )
    return render(request, "records/partials/value_field.html", {"field": form["value"]})


# ------------------------------------------------------------------ history


@dataclass
class HistoryEntry:
    when: datetime
    who: str
    why: str
    action: str
    what: str
    changes: list[tuple[str, str, str]]


# Shown in the entry's title rather than as a change.
_UNLISTED = {"uid", "prop", "label", "label_fa"}
_FIELD_NAMES = {"is_synthetic": "synthetic", "timestamp": "time", "retracted_at": "retracted"}


def _words(entry: history.Entry, name: str, value: Any) -> str:
    """A stored value as a reader sees it (only what the viewer may see reaches here)."""
    if value is None or value == "":
        return "—"
    if name == "confidentiality":
        return Level(value).label
    if name == "is_synthetic":
        return "yes" if value else "no"
    if name == "value" and entry.claim is not None:
        try:
            return values.display(entry.claim.spec, value, "en", entry.labels)
        except (KeyError, TypeError, ValueError):
            return str(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return str(value)


def history_entries(record: Record, clearance: Level) -> list[HistoryEntry]:
    """The record's history (``records.history.history``) in words, newest first."""
    kind_name = KIND_NAMES[record.KIND][0].lower()
    out = []
    for entry in reversed(history.history(record, clearance)):
        if entry.claim is None:
            what = f"the {kind_name} record"
        elif entry.object == "claim":
            what = f"claim: {entry.claim.spec.label()}"
        else:
            what = f"citation for {entry.claim.spec.label()} “{entry.claim.text}”"
        changes = [
            (
                _FIELD_NAMES.get(c.field, c.field),
                _words(entry, c.field, c.old),
                _words(entry, c.field, c.new),
            )
            for c in entry.changes
            if c.field not in _UNLISTED
        ]
        out.append(
            HistoryEntry(entry.when, entry.who or "", entry.why, entry.action, what, changes)
        )
    return out


@require_GET
@require(is_staff, "read the history")
def record_history(request: HttpRequest, kind: str, uid: str) -> HttpResponse:
    clearance = viewer_clearance(request)
    record = _record_or_404(kind, clearance, uid=uid)
    context = {
        "record": record,
        "kind": kind,
        "kind_name": KIND_NAMES[kind],
        "entries": history_entries(record, clearance),
    }
    return render(request, "records/history.html", context)


# ------------------------------------------------------------------ sources


@require_GET
def source_detail(request: HttpRequest, uid: str) -> HttpResponse:
    clearance = viewer_clearance(request)
    source = Source.objects.visible_to(clearance).filter(uid=uid).first()
    if source is None:
        raise Http404("No such source.")
    citing = (
        Claim.objects.filter(citations__source=source)
        .distinct()
        .order_by("subject_kind", "subject_id", "prop", "id")
    )
    subjects: dict[tuple[str, int], Record] = {}
    rows = []
    for item in claims.shown_claims(citing, clearance):
        claim = item.claim
        key = (claim.subject_kind, claim.subject_id)
        if key not in subjects:  # visible: shown_claims checked it
            subjects[key] = RECORD_MODELS[claim.subject_kind].objects.get(pk=claim.subject_id)
        view = _claim_view(item, None, None)
        for cite in view.citations:
            if cite.citation.source_id != source.pk:
                continue
            rows.append(
                {
                    "subject": subjects[key],
                    "spec": item.spec,
                    "claim": claim,
                    "text": view.text,
                    "lang": view.lang,
                    "citation": cite,
                }
            )
    published = ""
    if source.published:
        published = PartialDate.from_json(source.published).both("en")
    context = {
        "source": source,
        "rows": rows,
        "published": published,
        "kind_label": _term("source_kind", source.kind),
        "reliability": _term("reliability", source.reliability),
        "staff": is_staff(request.user),
    }
    audit.view(request, source, audit.highest(source, *(row["claim"] for row in rows)))
    return render(request, "records/source.html", context)
