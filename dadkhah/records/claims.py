"""Rules of the case record: creating records, making claims, citing sources, projecting,
and what a viewer may see.

Every write goes through this module so that the same checks apply to the staff UI, the
API, imports and the demo loader: a claim has a known property, a valid value, and at
least one citation; a post does not end before it starts; every change is kept in the
history with who made it and why.

Every read that shows records or claims to someone goes through the visibility rules
here (``visible_records``, ``shown_claims``, ``claim_groups``, ``visible_claim``), so the
staff pages, the API and whatever comes next hide the same things the same way: what a
viewer may not see is left out entirely, never shown as a blank that would reveal it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from dadkhah.core.confidentiality import Level
from dadkhah.core.errors import FieldError
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
    "LINKS",
    "CitationInput",
    "PropGroup",
    "RecordError",
    "ShownClaim",
    "add_citation",
    "add_claim",
    "claim_groups",
    "create_record",
    "get_record",
    "person_roles",
    "project",
    "ref_target",
    "set_status",
    "shown_claims",
    "shown_claims_in_bulk",
    "visible_claim",
    "visible_records",
    "visible_targets",
]

# A post or a participation joins two records, and is only as visible as both of them.
LINKS: dict[str, tuple[str, ...]] = {
    "post": ("person", "body"),
    "participation": ("event", "person"),
}


class RecordError(FieldError):
    """A write was refused. ``field`` names the offending field, for forms and reports."""


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


def get_record(kind: str, uid: str, clearance: Level | None = None) -> Record:
    """The record of ``kind`` with ``uid``; with a ``clearance``, only one that viewer may see.

    A record the viewer may not see is refused with the same message as a missing one.
    """
    model = RECORD_MODELS.get(kind)
    if model is None:
        raise RecordError(
            f"unknown record kind {kind!r}; use one of: {', '.join(RECORD_MODELS)}", "kind"
        )
    rows = model.objects.all() if clearance is None else visible_records(model, clearance)
    record = rows.filter(uid=uid).first()
    if record is None:
        raise RecordError(f"no {kind} with id {uid!r}", kind)
    return record


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
    clearance: Level | None = None,
    **structure: Record | str,
) -> Record:
    """Create a record. Posts need ``person`` and ``body``; participations ``event`` and ``person``.

    Links given as uids are looked up within ``clearance`` when one is given (the writer's).
    """
    model = RECORD_MODELS.get(kind)
    if model is None:
        raise RecordError(f"unknown record kind {kind!r}", "kind")
    uid = uid or new_uid(kind)
    if model.objects.filter(uid=uid).exists():
        raise RecordError(f"a {kind} with id {uid!r} exists already", "id")
    links: dict[str, Record] = {}
    for name in LINKS.get(kind, ()):
        ref = structure.pop(name, None)
        if ref is None or ref == "":
            raise RecordError(f"a {kind} needs a {name}", name)
        links[name] = ref if isinstance(ref, Record) else get_record(name, str(ref), clearance)
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


def _check_ref(spec: values.PropSpec, uid: str, clearance: Level | None) -> None:
    assert spec.to is not None
    model = RECORD_MODELS[spec.to]
    rows = model.objects.all() if clearance is None else visible_records(model, clearance)
    if not rows.filter(uid=uid).exists():
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
    clearance: Level | None = None,
) -> Claim:
    """Record that the cited sources say ``record.prop`` is ``value``.

    With the writer's ``clearance``, a value may name only a record they may see; any
    other is refused as if it did not exist.
    """
    try:
        spec = values.prop_spec(record.KIND, prop)
    except values.UnknownProperty as exc:
        raise RecordError(str(exc), "prop") from None
    try:
        clean = values.clean(spec, value)
    except ValueError as exc:
        raise RecordError(f"{spec.label()}: {exc}", prop) from None
    if prop == "name" and isinstance(record, Person) and hasattr(record, "protected_identity"):
        raise RecordError(
            f"{spec.label()}: {record.uid}'s identity is protected; its names are kept "
            "encrypted, not as claims",
            prop,
        )
    if spec.type == "ref":
        _check_ref(spec, clean, clearance)
    elif spec.type == "period_ref":
        _check_ref(spec, clean["ref"], clearance)
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
    if isinstance(record, Person):
        from dadkhah.records.protected import pseudonym_of

        shown = pseudonym_of(record)  # a protected identity: the pseudonym, never the name
        if shown is not None:
            record.label, record.label_fa = shown
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


# ----------------------------------------------------------------- what a viewer may see


def visible_records(rows: type[Record] | QuerySet[Any], clearance: Level) -> QuerySet[Any]:
    """The records among ``rows`` (a record model, or a queryset of one) a viewer may see.

    A record needs a level within the clearance. A post or a participation also needs both
    records it joins: otherwise it would tell who held a hidden seat, or who took part in
    a hidden event.
    """
    query: QuerySet[Any] = rows.objects.all() if isinstance(rows, type) else rows
    level = int(clearance)
    query = query.filter(confidentiality__lte=level)
    for name in LINKS.get(query.model.KIND, ()):
        query = query.filter(**{f"{name}__confidentiality__lte": level})
    return query


def ref_target(spec: values.PropSpec, value: Any) -> tuple[str, str] | None:
    """(kind, uid) of the record a ``ref`` or ``period_ref`` value points at, if any."""
    if spec.type == "ref" and spec.to and isinstance(value, str):
        return spec.to, value
    if spec.type == "period_ref" and spec.to and isinstance(value, dict) and value.get("ref"):
        return spec.to, str(value["ref"])
    return None


def visible_targets(
    targets: Iterable[tuple[str, str] | None], clearance: Level
) -> dict[tuple[str, str], Record]:
    """Of the (kind, uid) pairs given, the records the viewer may see, by pair."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for target in targets:
        if target is not None:
            wanted[target[0]].add(target[1])
    found: dict[tuple[str, str], Record] = {}
    for kind, uids in wanted.items():
        for record in visible_records(RECORD_MODELS[kind], clearance).filter(uid__in=uids):
            found[kind, record.uid] = record
    return found


@dataclass
class ShownClaim:
    """A claim as a viewer sees it: its text, the citations they may see, what it names."""

    claim: Claim
    text: str
    citations: list[Citation]
    target: Record | None = None  # the record a ``ref`` or ``period_ref`` value names

    @property
    def spec(self) -> values.PropSpec:
        return values.prop_spec(self.claim.subject_kind, self.claim.prop)


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


def shown_claims(rows: QuerySet[Claim], clearance: Level, lang: str = "en") -> list[ShownClaim]:
    """The claims among ``rows`` that a viewer with ``clearance`` may see, in ``rows``' order.

    The one rule for every page, answer and document: a claim is shown when its own level
    is within the clearance, the record it is about is visible (``visible_records``), at
    least one of its citations is not retracted and cites a source the viewer may see, and
    the record its value names (a ``place``, a ``seat``, a parent body), if any, is one the
    viewer may see. It is shown with those citations only. Any other claim is left out
    entirely, so that nothing appears unsourced and nothing reveals that a hidden record
    exists.
    """
    level = int(clearance)
    found = list(rows.filter(confidentiality__lte=level).prefetch_related("citations__source"))
    subject_ids: dict[str, set[int]] = defaultdict(set)
    for claim in found:
        subject_ids[claim.subject_kind].add(claim.subject_id)
    subjects = {
        (kind, pk)
        for kind, ids in subject_ids.items()
        for pk in visible_records(RECORD_MODELS[kind], clearance)
        .filter(pk__in=ids)
        .values_list("pk", flat=True)
    }
    specs = {c.pk: values.props_of(c.subject_kind).get(c.prop) for c in found}
    refs = {c.pk: ref_target(spec, c.value) for c in found if (spec := specs[c.pk])}
    targets = visible_targets(refs.values(), clearance)
    out: list[ShownClaim] = []
    for claim in found:
        spec = specs[claim.pk]
        if spec is None or (claim.subject_kind, claim.subject_id) not in subjects:
            continue
        cites = [
            c
            for c in claim.citations.all()
            if c.retracted_at is None and c.source.confidentiality <= level
        ]
        ref = refs[claim.pk]
        target = targets.get(ref) if ref is not None else None
        if not cites or (ref is not None and target is None):
            continue
        labels = {target.uid: str(target)} if target is not None else {}
        text = values.display(spec, claim.value, lang, labels)
        out.append(ShownClaim(claim, text, cites, target))
    return out


def shown_claims_in_bulk(
    rows: QuerySet[Claim], clearance: Level, lang: str = "en", chunk: int = 1000
) -> Iterator[ShownClaim]:
    """``shown_claims`` for a queryset of any size (a whole export), in primary-key order.

    The same rule, applied to ``chunk`` claims at a time: memory and the ids in each query
    stay bounded however many claims there are, and the number of queries grows with the
    number of chunks, never with the number of claims.
    """
    # An early cut on the claim's own level; shown_claims applies the whole rule.
    ids = list(
        rows.filter(confidentiality__lte=int(clearance)).order_by("pk").values_list("pk", flat=True)
    )
    for start in range(0, len(ids), chunk):
        part = rows.filter(pk__in=ids[start : start + chunk]).order_by("pk")
        yield from shown_claims(part, clearance, lang)


def claim_groups(record: Record, clearance: Level, lang: str = "en") -> list[PropGroup]:
    """The claims of ``record`` that a viewer with ``clearance`` may see, by property.

    Which claims: ``shown_claims``. A group lists its claims side by side, with the
    ``conflict`` flag when they disagree.
    """
    specs = values.props_of(record.KIND)
    groups = {name: PropGroup(spec) for name, spec in specs.items()}
    for shown in shown_claims(record.claims().order_by("prop", "id"), clearance, lang):
        groups[shown.claim.prop].claims.append(shown)
    return [g for g in groups.values() if g.claims]


def visible_claim(uid: str, clearance: Level, lang: str = "en") -> tuple[ShownClaim, Record] | None:
    """The claim with ``uid`` and its record, if the viewer may see it (``shown_claims``)."""
    found = shown_claims(Claim.objects.filter(uid=uid), clearance, lang)
    if not found:
        return None
    claim = found[0].claim
    return found[0], RECORD_MODELS[claim.subject_kind].objects.get(pk=claim.subject_id)


def person_roles(person: Person, clearance: Level) -> list[str]:
    """Victim, perpetrator, witness: from the events and posts the person is linked to."""
    roles = set(
        visible_records(person.participations.all(), clearance)
        .exclude(role="")
        .values_list("role", flat=True)
    )
    implicated = {
        code
        for code, term in values.vocabularies()["body_type"].terms.items()
        if term.extra.get("implicated")
    }
    if (
        visible_records(person.posts.all(), clearance)
        .filter(body__body_type__in=implicated)
        .exists()
    ):
        roles.add("perpetrator")
    order = ["victim", "perpetrator", "witness"]
    return sorted(roles, key=lambda r: order.index(r) if r in order else len(order))
