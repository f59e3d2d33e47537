"""Mentions in vault documents: scanning pages, and the reviewer's decisions on what was found.

- ``rebuild_index()`` builds the name automaton (``mentions.NameIndex``) from the name claims
  of every person, body and place, in every script; ``current_index()`` reuses it until a
  name claim or a record changes.
- ``scan_item(item)`` scans every page of a vault item for known names, candidate names,
  dates and numbers, and writes ``Mention`` rows. It is idempotent: the automatic mentions of
  the item are replaced, and a span a reviewer has confirmed or rejected keeps that decision
  (it is not found again as a new automatic mention).
- ``confirm``, ``reject``, ``candidate_to_person`` and ``candidate_to_alias`` record a
  reviewer's decision. Turning a candidate into a person or an alias adds a name claim that
  cites the document: its ``Source`` (``document_source``), the page, the character offsets
  and the exact quote.
- ``visible_mentions``, ``mentions_of`` and ``records_mentioned`` are the reads: a mention
  shows only to a viewer who may see its document (``Item.confidentiality``) and, for a
  record's mention, the record (``records.claims.visible_records``).

Name claims more confidential than their record are not indexed, so a mention never ties a
document's words to a name the viewer of the record could not see.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, QuerySet

from dadkhah.core.confidentiality import Level
from dadkhah.records import claims
from dadkhah.records.models import RECORD_MODELS, Claim, Record, Source
from dadkhah.search.dates import ascii_digits, find_dates, find_numbers
from dadkhah.search.mentions import KINDS, NameIndex, candidates
from dadkhah.search.models import Mention, MentionDecision

__all__ = [
    "MentionError",
    "RecordMentions",
    "Scanned",
    "candidate_to_alias",
    "candidate_to_person",
    "confirm",
    "current_index",
    "document_source",
    "mentions_of",
    "name_entries",
    "rebuild_index",
    "records_mentioned",
    "reject",
    "scan_item",
    "scan_item_id",
    "visible_mentions",
]

_SKIPPED_DERIVATIONS = frozenset({"text", "ocr", "thumbnail", "metadata"})  # as search indexing


class MentionError(ValueError):
    """A decision on a mention was refused; the message says why."""


# ------------------------------------------------------------------------------ the index
def name_entries() -> Iterator[tuple[str, str, str]]:
    """(record kind, uid, name) for every name claim that is not rejected, in every script."""
    for kind in KINDS:
        model = RECORD_MODELS[kind]
        records = {pk: (uid, level) for pk, uid, level in model.objects.values_list(
            "pk", "uid", "confidentiality"
        )}  # fmt: skip
        rows = (
            Claim.objects.filter(subject_kind=kind, prop="name")
            .exclude(status="rejected")
            .values_list("subject_id", "value", "confidentiality")
        )
        for subject_id, value, level in rows:
            record = records.get(subject_id)
            if record is None or level > record[1] or not isinstance(value, dict):
                continue
            text = str(value.get("text") or "").strip()
            if text:
                yield kind, record[0], text


_CACHE: dict[str, Any] = {}


def _stamp() -> tuple[Any, ...]:
    names = Claim.objects.filter(prop="name", subject_kind__in=KINDS).aggregate(
        n=Count("id"), t=Max("updated_at")
    )
    parts: list[Any] = [names["n"], names["t"]]
    for kind in KINDS:
        got = RECORD_MODELS[kind].objects.aggregate(n=Count("id"), t=Max("updated_at"))
        parts += [got["n"], got["t"]]
    return tuple(parts)


def rebuild_index() -> NameIndex:
    """Build the name automaton from the records now, and keep it for ``current_index``."""
    stamp = _stamp()
    index = NameIndex.build(name_entries())
    _CACHE["index"], _CACHE["stamp"] = index, stamp
    return index


def current_index() -> NameIndex:
    """The name automaton, rebuilt when a name claim or a record has changed since."""
    if _CACHE.get("stamp") != _stamp() or "index" not in _CACHE:
        return rebuild_index()
    index: NameIndex = _CACHE["index"]
    return index


# ------------------------------------------------------------------------------- scanning
@dataclass
class Scanned:
    """What ``scan_item`` wrote: automatic mentions by kind, and decisions kept."""

    by_kind: dict[str, int] = field(default_factory=dict)
    kept: int = 0

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())


def _key(page: int, start: int, end: int, kind: str, record_kind: str, uid: str) -> tuple[Any, ...]:
    return (page, start, end, kind, record_kind, uid)


def _page_mentions(item: Any, number: int, text: str, index: NameIndex) -> list[Mention]:
    out: list[Mention] = []
    names = index.scan(text)
    for f in names:
        out.append(
            Mention(
                item=item,
                page=number,
                start=f.start,
                end=f.end,
                quote=f.quote,
                kind=f.record_kind,
                record_kind=f.record_kind,
                record_uid=f.record_uid,
                score=round(f.score, 4),
            )
        )
    for c in candidates(text, names):
        out.append(
            Mention(
                item=item,
                page=number,
                start=c.start,
                end=c.end,
                quote=c.quote,
                kind="candidate",
                score=c.score,
            )
        )
    digits = ascii_digits(text)
    dates = find_dates(text, digits=digits)
    for d in dates:
        out.append(
            Mention(
                item=item,
                page=number,
                start=d.start,
                end=d.end,
                quote=d.quote,
                kind="date",
                value=d.date.to_json(),
                score=d.score,
            )
        )
    for n in find_numbers(text, dates=dates, digits=digits):
        out.append(
            Mention(
                item=item,
                page=number,
                start=n.start,
                end=n.end,
                quote=n.quote,
                kind="number",
                value=n.quantity.to_json(),
                score=n.score,
            )
        )
    return out


def scan_item(item: Any, index: NameIndex | None = None) -> Scanned:
    """Replace the automatic mentions of ``item`` by a new scan of its pages.

    Confirmed and rejected mentions stay; an automatic mention of a span with a decision
    (the same page, offsets, kind and record) is not written again. Encrypted items have no
    text at rest and get no mentions; derivatives that repeat their parent's text are skipped.
    """
    index = index if index is not None else current_index()
    result = Scanned()
    skip = item.encrypted or (item.is_derivative and item.derivation in _SKIPPED_DERIVATIONS)
    with transaction.atomic():
        Mention.objects.filter(item=item, status="auto").delete()
        decided = {
            _key(*row)
            for row in Mention.objects.filter(item=item).values_list(
                "page", "start", "end", "kind", "record_kind", "record_uid"
            )
        }
        result.kept = len(decided)
        if skip:
            return result
        rows: list[Mention] = []
        for page in item.pages.order_by("number"):
            if not page.text:
                continue
            for m in _page_mentions(item, page.number, page.text, index):
                if _key(m.page, m.start, m.end, m.kind, m.record_kind, m.record_uid) in decided:
                    continue
                rows.append(m)
                result.by_kind[m.kind] = result.by_kind.get(m.kind, 0) + 1
        Mention.objects.bulk_create(rows, batch_size=500)
    return result


def scan_item_id(item_id: int) -> Scanned | None:
    """``scan_item`` by primary key (for the task run after extraction)."""
    from dadkhah.vault.models import Item

    item = Item.objects.filter(pk=item_id).first()
    return scan_item(item) if item is not None else None


# ------------------------------------------------------------------------------ decisions
def _clearance(user: Any) -> Level:
    from dadkhah.accounts.roles import clearance_of

    return clearance_of(user)


def _check(mention: Mention, user: Any, *, edit: bool) -> Level:
    from dadkhah.accounts.roles import can_edit, can_review

    allowed = can_edit(user) if edit else can_review(user)
    if not allowed:
        what = "change the case record" if edit else "review mentions"
        raise MentionError(f"this account may not {what}")
    clearance = _clearance(user)
    if mention.item.confidentiality > clearance:
        raise MentionError(f"no mention with id {mention.pk}")
    return clearance


def _record_decision(
    mention: Mention, decision: str, user: Any, note: str = "", record_uid: str = ""
) -> MentionDecision:
    """Append who decided what on ``mention``, when and why (``MentionDecision``)."""
    signed_in = getattr(user, "is_authenticated", False)
    return MentionDecision.objects.create(
        mention=mention,
        decision=decision,
        user=user if signed_in else None,
        username=user.get_username() if signed_in else "",
        record_uid=record_uid or mention.record_uid,
        note=note.strip()[:500],
    )


@transaction.atomic
def _decide(mention: Mention, status: str, user: Any, note: str) -> Mention:
    _check(mention, user, edit=False)
    if mention.status == status:
        return mention
    mention.status = status
    mention.save(update_fields=["status"])
    _record_decision(mention, "confirm" if status == "confirmed" else "reject", user, note)
    return mention


def confirm(mention: Mention, user: Any, note: str = "") -> Mention:
    """The span does name that record (or is that date or number)."""
    if mention.kind == "candidate":
        raise MentionError(
            "a candidate is confirmed by making it a new person or an alias of a known one"
        )
    return _decide(mention, "confirmed", user, note)


def reject(mention: Mention, user: Any, note: str = "") -> Mention:
    """The span does not name that record (or is not a name, date or number)."""
    return _decide(mention, "rejected", user, note)


def document_source(item: Any, user: Any = None) -> Source:
    """The ``Source`` that stands for a vault document in citations (made on first use).

    It is as confidential as the item, and names the item by uid and SHA-256 so that a
    citation leads back to the preserved original.
    """
    uid = f"item-{item.uid}"[:64]
    found = Source.objects.filter(uid=uid).first()
    if found is not None:
        return found
    return Source.objects.create(
        uid=uid,
        confidentiality=item.confidentiality,
        kind="document",
        title=item.name[:500],
        citation=f"{item.name}. Vault item {item.uid}, {item.sha256}.",
        language=item.language or "",
        notes="Made for citations of passages of a vault document.",
        item=item,
    )


def _citation(mention: Mention, user: Any) -> claims.CitationInput:
    return claims.CitationInput(
        source=document_source(mention.item, user),
        page=str(mention.page),
        paragraph=f"chars {mention.start}-{mention.end}",
        quote=mention.quote,
        confidence="medium",
    )


def _as_name(mention: Mention, kind: str) -> dict[str, str]:
    from dadkhah.names.normalization import is_persian_char

    script = "fa" if is_persian_char(mention.quote) else "latn"
    return {"text": mention.quote, "script": script, "kind": kind}


def _open_candidate(mention: Mention) -> None:
    if mention.kind != "candidate":
        raise MentionError(f"mention {mention.pk} is a {mention.kind} mention, not a candidate")
    if mention.status == "rejected":
        raise MentionError(f"candidate {mention.quote!r} was rejected")


def _link(mention: Mention, record: Record) -> Mention:
    mention.kind = record.KIND
    mention.record_kind = record.KIND
    mention.record_uid = record.uid
    mention.status = "confirmed"
    mention.score = 1.0
    mention.save(update_fields=["kind", "record_kind", "record_uid", "status", "score"])
    return mention


@transaction.atomic
def candidate_to_person(mention: Mention, user: Any, reason: str = "") -> Record:
    """Make a candidate a new person whose name claim cites the passage it was found in.

    The person is as confidential as the document (at least internal).
    """
    clearance = _check(mention, user, edit=True)
    _open_candidate(mention)
    level = max(Level.INTERNAL, Level(mention.item.confidentiality))
    person = claims.create_record(
        "person",
        confidentiality=level,
        user=user,
        reason=reason or f"named in {mention.item.name}",
        clearance=clearance,
    )
    claims.add_claim(
        person,
        "name",
        _as_name(mention, "full"),
        citations=[_citation(mention, user)],
        confidentiality=level,
        user=user,
        reason=reason or "name found in a document",
        clearance=clearance,
    )
    _link(mention, person)
    _record_decision(mention, "person", user, reason, person.uid)
    person.refresh_from_db()
    return person


@transaction.atomic
def candidate_to_alias(
    mention: Mention, person: Record | str, user: Any, reason: str = ""
) -> Record:
    """Add a candidate as an alias (a name claim) of a known person, citing the passage."""
    clearance = _check(mention, user, edit=True)
    _open_candidate(mention)
    if isinstance(person, str):
        try:
            person = claims.get_record("person", person, clearance)
        except claims.RecordError as exc:
            raise MentionError(str(exc)) from None
    elif person.KIND != "person" or person.confidentiality > clearance:
        raise MentionError("an alias belongs to a person you may see")
    level = max(Level(person.confidentiality), Level(mention.item.confidentiality))
    claims.add_claim(
        person,
        "name",
        _as_name(mention, "alias"),
        citations=[_citation(mention, user)],
        confidentiality=level,
        user=user,
        reason=reason or "alias found in a document",
        clearance=clearance,
    )
    _link(mention, person)
    _record_decision(mention, "alias", user, reason, person.uid)
    return person


# ---------------------------------------------------------------------------------- reads
def visible_mentions(clearance: Level) -> QuerySet[Mention]:
    """Mentions in documents a viewer with ``clearance`` may see (not the rejected ones)."""
    return Mention.objects.filter(item__confidentiality__lte=int(clearance)).exclude(
        status="rejected"
    )


def mentions_of(record: Record, clearance: Level) -> list[Mention]:
    """Where documents mention ``record`` (if the viewer may see it), by document and page."""
    model = type(record)
    if not claims.visible_records(model, clearance).filter(pk=record.pk).exists():
        return []
    return list(
        visible_mentions(clearance)
        .filter(record_kind=record.KIND, record_uid=record.uid)
        .select_related("item")
        .order_by("item__name", "item_id", "page", "start")
    )


@dataclass
class RecordMentions:
    """A record a document mentions: how often, on which pages, and one quote."""

    record: Record
    count: int
    pages: list[int]
    quote: str
    confirmed: bool


def records_mentioned(item: Any, clearance: Level) -> list[RecordMentions]:
    """The records ``item`` mentions that the viewer may see, most mentioned first."""
    if item.confidentiality > clearance:
        return []
    rows = (
        visible_mentions(clearance)
        .filter(item=item, kind__in=KINDS)
        .exclude(record_uid="")
        .order_by("page", "start")
    )
    grouped: dict[tuple[str, str], list[Mention]] = defaultdict(list)
    for m in rows:
        grouped[m.record_kind, m.record_uid].append(m)
    found = claims.visible_targets(grouped, clearance)
    out = []
    for key, mentions in grouped.items():
        record = found.get(key)
        if record is None:
            continue
        pages = sorted({m.page for m in mentions})
        confirmed = any(m.status == "confirmed" for m in mentions)
        out.append(RecordMentions(record, len(mentions), pages, mentions[0].quote, confirmed))
    out.sort(key=lambda r: (-r.count, str(r.record)))
    return out
