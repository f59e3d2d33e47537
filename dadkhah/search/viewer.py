"""The document viewer: a vault document page by page, its text with highlights, passages
cited as sources of claims, and reviewers' decisions on mentions.

``/search/documents/<uid>/?page=N`` shows page N: its image where there is one (an image
original, or a PDF page rendered on demand with pypdfium2) and its extracted text, where
search hits (``?q=``), mentions and a cited passage (``?start=&end=``) are highlighted.
Investigators select a passage (``static/search/passages.js`` turns the selection into
character offsets of ``Page.text``) and cite it as the source of a claim
(``passages.cite_passage``). Staff only, within their clearance, as the vault; every page
read is a custody entry of the ledger.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dadkhah.accounts import audit
from dadkhah.accounts.roles import can_edit, can_review, clearance_of
from dadkhah.core.confidentiality import Level
from dadkhah.records import claims
from dadkhah.records.views import require
from dadkhah.search import mentioning, passages, services
from dadkhah.search.models import Mention
from dadkhah.search.query import QueryError, parse

__all__ = ["cite", "decide", "document", "page_image", "segments"]

IMAGE_PX = 1400  # the longer side of a rendered PDF page
INLINE_IMAGES = {"image/jpeg", "image/png", "image/gif", "image/webp"}
MAX_PAGE_TEXT = 200_000  # characters of one page shown with highlights


# ------------------------------------------------------------------ highlights


@dataclass
class Segment:
    """A stretch of a page's text with the highlights that cover it."""

    start: int
    text: str
    classes: list[str] = field(default_factory=list)
    title: str = ""
    anchor: str = ""


def segments(text: str, marks: list[tuple[int, int, str, str]]) -> list[Segment]:
    """Cut ``text`` at the edges of ``marks`` ((start, end, css class, title)).

    Every character is in exactly one segment, in order, so the page reads as written and
    each segment knows its offset (``start``) in ``Page.text``.
    """
    edges = {0, len(text)}
    for start, end, _, _ in marks:
        if 0 <= start < end <= len(text):
            edges.update((start, end))
    cuts = sorted(edges)
    out: list[Segment] = []
    for lo, hi in zip(cuts, cuts[1:], strict=False):
        covering = [m for m in marks if m[0] <= lo and hi <= m[1]]
        out.append(
            Segment(
                lo,
                text[lo:hi],
                sorted({m[2] for m in covering}),
                "; ".join(dict.fromkeys(m[3] for m in covering if m[3])),
            )
        )
    for seg in out:
        if "passage" in seg.classes:
            seg.anchor = "passage"
            break
    return out


def _query_marks(text: str, query: str) -> list[tuple[int, int, str, str]]:
    if not query.strip():
        return []
    try:
        parsed = parse(query)
    except QueryError:
        return []
    return [(a, b, "hit", "matches the search") for a, b in services.word_marks(text, parsed)]


# ------------------------------------------------------------------ forms


class CiteForm(forms.Form):
    page = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    start = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    end = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    quote = forms.CharField(
        label="Quote",
        strip=False,
        max_length=passages.MAX_QUOTE,
        widget=forms.Textarea(attrs={"rows": 3, "readonly": True, "dir": "auto"}),
        help_text="Select a passage of the text above; it is quoted exactly.",
    )
    record = forms.CharField(
        label="Record",
        max_length=140,
        help_text="The id of the person, body, place or event the claim is about.",
        widget=forms.TextInput(attrs={"list": "passage-records", "autocomplete": "off"}),
    )
    prop = forms.CharField(
        label="Property",
        max_length=60,
        help_text="name, birth_date, hometown, … (the list shows them all)",
        widget=forms.TextInput(attrs={"list": "passage-props", "autocomplete": "off"}),
    )
    value = forms.CharField(
        label="Value", max_length=2000, widget=forms.TextInput(attrs={"dir": "auto"})
    )
    confidence = forms.ChoiceField(
        label="Confidence",
        choices=[("low", "Low"), ("medium", "Medium"), ("high", "High")],
        initial="medium",
    )
    reason = forms.CharField(label="Reason for the change", required=False, max_length=500)


DECISIONS = {"confirm", "reject", "person", "alias"}


# ------------------------------------------------------------------ the viewer


def _item_or_404(request: HttpRequest, uid: str) -> Any:
    from dadkhah.vault.views import visible_items

    item = visible_items(clearance_of(request.user)).filter(uid=uid).first()
    if item is None:
        raise Http404("No such document.")
    return item


def _number(text: str | None, default: int) -> int:
    try:
        return int(text or default)
    except ValueError:
        return default


def _has_image(item: Any) -> bool:
    return item.mime in INLINE_IMAGES or item.mime == "application/pdf"


def _mention_rows(item: Any, page: int, clearance: Level) -> list[dict[str, Any]]:
    rows = list(
        Mention.objects.filter(item=item, page=page)
        .prefetch_related("decisions")
        .order_by("start", "kind", "id")
    )
    records = claims.visible_targets(
        [(m.record_kind, m.record_uid) for m in rows if m.record_uid], clearance
    )
    out = []
    for m in rows:
        record = records.get((m.record_kind, m.record_uid)) if m.record_uid else None
        if m.record_uid and record is None:
            continue  # a mention of a record the viewer may not see is not shown at all
        decisions = list(m.decisions.all())  # type: ignore[attr-defined]
        out.append({"mention": m, "record": record, "decisions": decisions})
    return out


def _record_choices(item: Any, clearance: Level) -> list[Any]:
    return [r.record for r in mentioning.records_mentioned(item, clearance)][:200]


def _props() -> list[tuple[str, str]]:
    from dadkhah.records import values

    seen: dict[str, str] = {}
    for kind in ("person", "body", "place", "event"):
        for name, spec in values.props_of(kind).items():
            seen.setdefault(name, spec.label())
    return sorted(seen.items())


def _context(
    request: HttpRequest, item: Any, number: int, form: CiteForm | None = None
) -> dict[str, Any]:
    from dadkhah.vault.models import Page

    clearance = clearance_of(request.user)
    numbers = list(
        Page.objects.filter(item=item).order_by("number").values_list("number", flat=True)
    )
    row = Page.objects.filter(item=item, number=number).first()
    query = request.GET.get("q", "")[: services.MAX_QUERY_FORM]
    text = row.text[:MAX_PAGE_TEXT] if row is not None and not item.encrypted else ""
    marks: list[tuple[int, int, str, str]] = []
    mention_rows = _mention_rows(item, number, clearance) if row is not None else []
    for r in mention_rows:
        m = r["mention"]
        if m.status != "rejected":
            title = str(r["record"]) if r["record"] is not None else m.kind
            marks.append((m.start, m.end, f"mention mention-{m.kind}", title))
    marks += _query_marks(text, query)
    start, end = _number(request.GET.get("start"), -1), _number(request.GET.get("end"), -1)
    if 0 <= start < end <= len(text):
        marks.append((start, end, "passage", "the cited passage"))
    editor = can_edit(request.user)
    return {
        "item": item,
        "number": number,
        "numbers": numbers,
        "previous": max((n for n in numbers if n < number), default=None),
        "next": min((n for n in numbers if n > number), default=None),
        "row": row,
        "segments": segments(text, marks) if text else [],
        "truncated": row is not None and len(row.text) > MAX_PAGE_TEXT,
        "query": query,
        "image": _has_image(item) and row is not None,
        "mentions": mention_rows,
        "can_edit": editor,
        "can_review": can_review(request.user),
        "form": form or (CiteForm(initial={"page": number}) if editor else None),
        "records": _record_choices(item, clearance) if editor else [],
        "props": _props() if editor else [],
        "level": Level(item.confidentiality),
    }


@require_GET
@require(can_review, "use the evidence vault")
def document(request: HttpRequest, uid: str) -> HttpResponse:
    item = _item_or_404(request, uid)
    number = max(1, _number(request.GET.get("page"), 1))
    audit.item_access(request, item, f"read page {number} in the viewer")  # restricted+: audited
    return render(request, "search/document.html", _context(request, item, number))


@require_GET
@require(can_review, "use the evidence vault")
def page_image(request: HttpRequest, uid: str, number: int) -> HttpResponse:
    """Page ``number`` as a PNG: the image original itself, or a PDF page rendered now."""
    from dadkhah.vault import services as vault

    item = _item_or_404(request, uid)
    if item.mime in INLINE_IMAGES and number == 1:
        with vault.open_item(item) as stream:
            data, mime = stream.read(), item.mime
    elif item.mime == "application/pdf":
        data, mime = _render_pdf_page(item, number), "image/png"
    else:
        raise Http404("This document has no image of that page.")
    audit.item_access(request, item, f"viewed page {number} as an image")
    from dadkhah.core.security import protect_file

    response = protect_file(
        HttpResponse(data, content_type=mime), mime, f"{item.name}-page-{number}", inline=True
    )
    response["Cache-Control"] = "private, no-store"
    return response


def _render_pdf_page(item: Any, number: int) -> bytes:
    import pypdfium2 as pdfium  # type: ignore[import-untyped]

    from dadkhah.vault import services as vault

    with vault.open_item(item) as stream:
        data = stream.read()
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError:
        raise Http404("The PDF cannot be rendered.") from None
    try:
        if not 1 <= number <= len(pdf):
            raise Http404("The document has no such page.")
        page = pdf[number - 1]
        width, height = page.get_size()
        scale = IMAGE_PX / max(width, height, 1)
        image = page.render(scale=scale).to_pil()
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", optimize=False)
        return buffer.getvalue()
    except pdfium.PdfiumError:
        raise Http404("The page cannot be rendered.") from None
    finally:
        pdf.close()


@require_POST
@require(can_edit, "cite passages")
def cite(request: HttpRequest, uid: str) -> HttpResponse:
    item = _item_or_404(request, uid)
    form = CiteForm(request.POST)
    number = max(1, _number(request.POST.get("page"), 1))
    if form.is_valid():
        data = form.cleaned_data
        try:
            passage = passages.check_passage(
                item, data["page"], data["start"], data["end"], data["quote"]
            )
            record = passages.find_record(data["record"], clearance_of(request.user))
            claim = passages.cite_passage(
                passage,
                record,
                data["prop"],
                data["value"],
                user=request.user,
                confidence=data["confidence"],
                reason=data["reason"],
            )
        except passages.PassageError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            return HttpResponseRedirect(f"{record.get_absolute_url()}#claim-{claim.uid}")
    context = _context(request, item, number, form)
    return render(request, "search/document.html", context, status=400)


def _viewer_url(item: Any, page: int) -> str:
    return f"{reverse('search:document', args=[item.uid])}?page={page}#mentions"


@require_http_methods(["POST"])
@require(can_review, "review mentions")
def decide(request: HttpRequest, mention_id: int) -> HttpResponse:
    """A reviewer's decision on a mention: confirm, reject, new person, alias of a person."""
    clearance = clearance_of(request.user)
    mention = (
        Mention.objects.select_related("item")
        .filter(pk=mention_id, item__confidentiality__lte=int(clearance))
        .first()
    )
    if mention is None or (
        mention.record_uid
        and not claims.visible_targets([(mention.record_kind, mention.record_uid)], clearance)
    ):
        raise Http404("No such mention.")
    action = request.POST.get("decision", "")
    note = request.POST.get("note", "")[:500]
    error = ""
    try:
        if action == "confirm":
            mentioning.confirm(mention, request.user, note)
        elif action == "reject":
            mentioning.reject(mention, request.user, note)
        elif action == "person":
            mentioning.candidate_to_person(mention, request.user, note)
        elif action == "alias":
            person = request.POST.get("person", "").strip().removeprefix("person:")
            if not person:
                raise mentioning.MentionError("give the id of the person this is an alias of")
            mentioning.candidate_to_alias(mention, person, request.user, note)
        else:
            error = f"unknown decision {action!r}; use one of: {', '.join(sorted(DECISIONS))}"
    except mentioning.MentionError as exc:
        error = str(exc)
    except claims.RecordError as exc:
        error = str(exc)
    if error:
        context = _context(request, mention.item, mention.page)
        context["decision_error"] = error
        context["decision_mention"] = mention.pk
        return render(request, "search/document.html", context, status=400)
    return HttpResponseRedirect(_viewer_url(mention.item, mention.page))
