"""Rules of the case record: creating records, making claims, citing sources, projecting.

Every write goes through this module so that the same checks apply to the staff UI, the
API, imports and the demo loader: a claim has a known property, a valid value, and at
least one citation; a post does not end before it starts; every change is kept in the
history with who made it and why.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction

from dadkhah.core.confidentiality import Level
from dadkhah.records import values
from dadkhah.records.models import (
    RECORD_MODELS,
    Citation,
    Claim,
    Event,
    Participation,
    Person,
    Place,
    Post,
    Record,
    Source,
    new_uid,
)

__all__ = [
    "CitationInput",
    "PropGroup",
    "RecordError",
    "add_citation",
    "add_claim",
    "claim_groups",
    "create_record",
    "get_record",
    "person_roles",
    "project",
    "set_status",
]


class RecordError(ValueError):
    """A write was refused. ``field`` names the offending field, for forms and reports."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class CitationInput:
    source: Source | str
    page: str = ""
    paragraph: str = ""
    timestamp: str = ""
    quote: str = ""
    confidence: str = "medium"


def _as_level(value: Level | int | str | None, default: Level) -> Level:
    from dadkhah.core.confidentiality import parse_level

    if value is None or value == "":
        return default
    try:
        return parse_level(value) if isinstance(value, str) else Level(value)
    except ValueError as exc:
        raise RecordError(str(exc), "confidentiality") from None


def _history(obj: Any, user: Any, reason: str) -> None:
    obj._history_user = user if getattr(user, "is_authenticated", False) else None
    obj._change_reason = reason


def get_record(kind: str, uid: str) -> Record:
    model = RECORD_MODELS.get(kind)
    if model is None:
        raise RecordError(
            f"unknown record kind {kind!r}; use one of: {', '.join(RECORD_MODELS)}", "kind"
        )
    try:
        return model.objects.get(uid=uid)
    except model.DoesNotExist:
        raise RecordError(f"no {kind} with id {uid!r}", kind) from None


def _source(ref: Source | str) -> Source:
    if isinstance(ref, Source):
        return ref
    try:
        return Source.objects.get(uid=ref)
    except Source.DoesNotExist:
        raise RecordError(f"no source with id {ref!r}", "source") from None


@transaction.atomic
def create_record(
    kind: str,
    *,
    uid: str | None = None,
    confidentiality: Level | int | str | None = None,
    is_synthetic: bool = False,
    user: Any = None,
    reason: str = "",
    **structure: Record | str,
) -> Record:
    """Create a record. Posts need ``person`` and ``body``; participations ``event`` and ``person``."""
    model = RECORD_MODELS.get(kind)
    if model is None:
        raise RecordError(f"unknown record kind {kind!r}", "kind")
    uid = uid or new_uid(kind)
    if model.objects.filter(uid=uid).exists():
        raise RecordError(f"a {kind} with id {uid!r} exists already", "id")
    needed = {"post": ("person", "body"), "participation": ("event", "person")}.get(kind, ())
    links: dict[str, Record] = {}
    for name in needed:
        ref = structure.pop(name, None)
        if ref is None or ref == "":
            raise RecordError(f"a {kind} needs a {name}", name)
        target_kind = "body" if name == "body" else name
        links[name] = ref if isinstance(ref, Record) else get_record(target_kind, str(ref))
    if structure:
        raise RecordError(f"a {kind} has no field {', '.join(structure)}", next(iter(structure)))
    record = model(
        uid=uid,
        confidentiality=_as_level(confidentiality, Level.INTERNAL),
        is_synthetic=is_synthetic,
        **links,
    )
    _history(record, user, reason or f"created {kind}")
    record.save()
    return record


def _check_post_dates(record: Record, prop: str, value: dict[str, Any]) -> None:
    other = {"start_date": "end_date", "end_date": "start_date"}.get(prop)
    if not isinstance(record, Post) or other is None:
        return
    for claim in record.claims().filter(prop=other).exclude(status="rejected"):
        start, end = (value, claim.value) if prop == "start_date" else (claim.value, value)
        if end["end"] < start["start"]:
            raise RecordError(
                f"the post would end ({end['text']}) before it starts ({start['text']})", prop
            )


def _check_ref(spec: values.PropSpec, uid: str) -> None:
    assert spec.to is not None
    if not RECORD_MODELS[spec.to].objects.filter(uid=uid).exists():
        raise RecordError(f"{spec.label()}: no {spec.to} with id {uid!r}", spec.name)


@transaction.atomic
def add_claim(
    record: Record,
    prop: str,
    value: Any,
    *,
    citations: Sequence[CitationInput],
    status: str = "accepted",
    confidentiality: Level | int | str | None = None,
    note: str = "",
    user: Any = None,
    reason: str = "",
    uid: str | None = None,
    require_citation: bool = True,
    reproject: bool = True,
) -> Claim:
    """Record that the cited sources say ``record.prop`` is ``value``."""
    try:
        spec = values.prop_spec(record.KIND, prop)
    except values.UnknownProperty as exc:
        raise RecordError(str(exc), "prop") from None
    try:
        clean = values.clean(spec, value)
    except ValueError as exc:
        raise RecordError(f"{spec.label()}: {exc}", prop) from None
    if spec.type == "ref":
        _check_ref(spec, clean)
    elif spec.type == "period_ref":
        _check_ref(spec, clean["ref"])
    elif spec.type == "date":
        _check_post_dates(record, prop, clean)
    if status not in ("accepted", "disputed", "rejected"):
        raise RecordError(
            f"unknown status {status!r}; use accepted, disputed or rejected", "status"
        )
    if require_citation and not citations:
        raise RecordError("every claim needs at least one citation of a source", "source")
    uid = uid or new_uid("claim")
    if Claim.objects.filter(uid=uid).exists():
        raise RecordError(f"a claim with id {uid!r} exists already", "id")
    claim = Claim(
        uid=uid,
        subject_kind=record.KIND,
        subject_id=record.pk,
        prop=prop,
        value=clean,
        status=status,
        confidentiality=_as_level(confidentiality, record.level),
        note=note,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    _history(claim, user, reason or "new claim")
    claim.save()
    for cite in citations:
        add_citation(claim, cite, user=user, reason=reason, reproject=False)
    if reproject:  # a bulk import projects each record once, at the end
        project(record)
    return claim


def add_citation(
    claim: Claim, cite: CitationInput, *, user: Any = None, reason: str = "", reproject: bool = True
) -> Citation:
    if cite.confidence not in ("low", "medium", "high"):
        raise RecordError(
            f"unknown confidence {cite.confidence!r}; use low, medium or high", "confidence"
        )
    citation = Citation(
        claim=claim,
        source=_source(cite.source),
        page=cite.page.strip(),
        paragraph=cite.paragraph.strip(),
        timestamp=cite.timestamp.strip(),
        quote=cite.quote.strip(),
        confidence=cite.confidence,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    _history(citation, user, reason or "new citation")
    citation.save()
    if reproject:
        project(claim.subject)
    return citation


@transaction.atomic
def set_status(claim: Claim, status: str, *, user: Any = None, reason: str) -> Claim:
    """Accept, dispute or reject a claim. The reason is required and kept in the history."""
    if status not in ("accepted", "disputed", "rejected"):
        raise RecordError(
            f"unknown status {status!r}; use accepted, disputed or rejected", "status"
        )
    if not reason.strip():
        raise RecordError("say why the status changes", "reason")
    claim.status = status
    _history(claim, user, reason)
    claim.save()
    project(claim.subject)
    return claim


_CONFIDENCE_RANK = {"low": 0, "medium": 1, "high": 2}


def _rank(claim: Claim, cites: list[Citation]) -> tuple[int, int, int, float]:
    best = max((_CONFIDENCE_RANK[c.confidence] for c in cites), default=-1)
    return (
        1 if claim.status == "accepted" else 0,
        best,
        len(cites),
        claim.created_at.timestamp() if claim.created_at else 0.0,
    )


def _preferred_by_prop(record: Record) -> dict[str, list[Claim]]:
    """Non-rejected claims no more confidential than the record, best first."""
    claims = list(
        record.claims()
        .exclude(status="rejected")
        .filter(confidentiality__lte=record.confidentiality)
        .prefetch_related("citations")
    )
    by_prop: dict[str, list[Claim]] = defaultdict(list)
    for claim in claims:
        by_prop[claim.prop].append(claim)
    for items in by_prop.values():
        items.sort(
            key=lambda c: _rank(c, [x for x in c.citations.all() if x.retracted_at is None]),
            reverse=True,
        )
    return by_prop


def _name_labels(claims: Sequence[Claim]) -> tuple[str, str]:
    """The best-ranked full name in each script; an alias only where no full name exists."""
    kinds = {"full": 0, "alias": 1}
    ordered = sorted(
        (c for c in claims if c.value["kind"] in kinds),
        key=lambda c: kinds[c.value["kind"]],  # stable: keeps the claim ranking within a kind
    )
    latin = next((c.value["text"] for c in ordered if c.value["script"] == "latn"), "")
    fa = next((c.value["text"] for c in ordered if c.value["script"] == "fa"), "")
    return latin, fa


def _first(by_prop: dict[str, list[Claim]], prop: str) -> Any:
    items = by_prop.get(prop)
    return items[0].value if items else None


def _date_bound(value: dict[str, Any] | None, key: str) -> date | None:
    return date.fromisoformat(value[key]) if value else None


def _ref_label(kind: str, uid: str | None, viewer_level: int) -> str:
    if not uid:
        return ""
    target = RECORD_MODELS[kind].objects.filter(uid=uid, confidentiality__lte=viewer_level).first()
    return str(target) if target else ""


def project(record: Record) -> None:
    """Recompute the typed columns of ``record`` from its preferred claims."""
    by_prop = _preferred_by_prop(record)
    level = record.confidentiality
    fields = ["label", "label_fa"]
    if "name" in values.props_of(record.KIND):
        record.label, record.label_fa = _name_labels(by_prop.get("name", []))
        if not record.label and not record.label_fa:
            record.label = record.uid
    if isinstance(record, Place):
        record.place_type = _first(by_prop, "place_type") or ""
        geometry = _first(by_prop, "location")
        lon = lat = None
        if geometry and geometry["type"] == "Point":
            lon, lat = geometry["coordinates"]
        elif geometry:
            ring = geometry["coordinates"][0][:-1]
            lon = sum(p[0] for p in ring) / len(ring)
            lat = sum(p[1] for p in ring) / len(ring)
        record.latitude, record.longitude = lat, lon
        fields += ["place_type", "latitude", "longitude"]
    elif record.KIND == "body":
        record.body_type = _first(by_prop, "body_type") or ""  # type: ignore[attr-defined]
        fields.append("body_type")
    elif isinstance(record, Post):
        record.role = _first(by_prop, "role") or ""
        record.start = _date_bound(_first(by_prop, "start_date"), "start")
        record.end = _date_bound(_first(by_prop, "end_date"), "end")
        body = record.body.label if record.body.confidentiality <= level else ""
        record.label = ", ".join(p for p in (record.role or "post", body) if p)
        record.label_fa = record.body.label_fa if record.body.confidentiality <= level else ""
        fields += ["role", "start", "end"]
    elif isinstance(record, Event):
        record.event_type = _first(by_prop, "event_type") or ""
        when = _first(by_prop, "date")
        record.date_start = _date_bound(when, "start")
        record.date_end = _date_bound(when, "end")
        place_uid = _first(by_prop, "place")
        record.place = Place.objects.filter(uid=place_uid).first() if place_uid else None
        title = _first(by_prop, "title")
        if title:
            record.label = title
        else:
            kind_label = values.vocabularies()["event_type"].terms.get(record.event_type)
            parts = [kind_label.label("en") if kind_label else "event"]
            if place_uid:
                parts.append(_ref_label("place", place_uid, level))
            if when:
                parts.append(when["text"])
            record.label = ", ".join(p for p in parts if p)
        fields += ["event_type", "date_start", "date_end", "place"]
    elif isinstance(record, Participation):
        record.role = _first(by_prop, "role") or ""
        record.mode = _first(by_prop, "mode") or ""
        who = str(record.person) if record.person.confidentiality <= level else "(withheld)"
        what = str(record.event) if record.event.confidentiality <= level else "(withheld)"
        record.label = f"{who} — {record.role or 'participant'} — {what}"
        fields += ["role", "mode"]
    record.label = record.label[:300]
    record.label_fa = record.label_fa[:300]
    type(record).objects.filter(pk=record.pk).update(**{f: getattr(record, f) for f in fields})


@dataclass
class ShownClaim:
    claim: Claim
    text: str
    citations: list[Citation]


@dataclass
class PropGroup:
    spec: values.PropSpec
    claims: list[ShownClaim] = field(default_factory=list)

    @property
    def conflict(self) -> bool:
        """Two different values that are not rejected, on a single-valued property."""
        if self.spec.many:
            return False
        live = [c.claim.value for c in self.claims if c.claim.status != "rejected"]
        if self.spec.type == "name":
            # The same name written in two scripts is not a conflict; two spellings in one are.
            by_script: dict[str, set[str]] = defaultdict(set)
            for value in live:
                by_script[value["script"]].add(values.value_key(self.spec, value))
            return any(len(keys) > 1 for keys in by_script.values())
        return len({values.value_key(self.spec, value) for value in live}) > 1


def _ref_labels(
    claims: Iterable[Claim], specs: dict[str, values.PropSpec], clearance: Level
) -> dict[str, str]:
    wanted: dict[str, set[str]] = defaultdict(set)
    for claim in claims:
        spec = specs[claim.prop]
        if spec.type == "ref":
            wanted[spec.to or ""].add(claim.value)
        elif spec.type == "period_ref":
            wanted[spec.to or ""].add(claim.value["ref"])
    labels: dict[str, str] = {}
    for kind, uids in wanted.items():
        for target in RECORD_MODELS[kind].objects.visible_to(clearance).filter(uid__in=uids):
            labels[target.uid] = str(target)
    return labels


def claim_groups(record: Record, clearance: Level, lang: str = "en") -> list[PropGroup]:
    """The claims of ``record`` that a viewer with ``clearance`` may see, by property.

    A claim is shown with the citations whose source the viewer may see; a claim left
    with no visible citation is not shown at all, so nothing appears unsourced.
    """
    specs = values.props_of(record.KIND)
    claims = list(
        record.claims()
        .visible_to(clearance)
        .prefetch_related("citations__source")
        .order_by("prop", "id")
    )
    refs = _ref_labels(claims, specs, clearance)
    groups = {name: PropGroup(spec) for name, spec in specs.items()}
    for claim in claims:
        cites = [
            c
            for c in claim.citations.all()
            if c.retracted_at is None and c.source.confidentiality <= int(clearance)
        ]
        if not cites:
            continue
        spec = specs[claim.prop]
        groups[claim.prop].claims.append(
            ShownClaim(claim, values.display(spec, claim.value, lang, refs), cites)
        )
    return [g for g in groups.values() if g.claims]


def person_roles(person: Person, clearance: Level) -> list[str]:
    """Victim, perpetrator, witness: from the events and posts the person is linked to."""
    roles = set(
        person.participations.visible_to(clearance)
        .filter(event__confidentiality__lte=int(clearance))
        .exclude(role="")
        .values_list("role", flat=True)
    )
    implicated = {
        code
        for code, term in values.vocabularies()["body_type"].terms.items()
        if term.extra.get("implicated")
    }
    if (
        person.posts.visible_to(clearance)
        .filter(body__body_type__in=implicated, body__confidentiality__lte=int(clearance))
        .exists()
    ):
        roles.add("perpetrator")
    order = ["victim", "perpetrator", "witness"]
    return sorted(roles, key=lambda r: order.index(r) if r in order else len(order))
