"""Writing the search index: vault pages after extraction, records and claims on change.

- ``index_item(item)``: one entry per page (a very long page is cut into parts at white
  space, each with its offset into ``Page.text``). Encrypted items are never indexed: their
  text stays encrypted at rest, and an index is a copy of the text.
- ``index_record(kind, pk)``: the record's labels, and one entry per claim that is not
  rejected, grouped under the record. Posts and participations are not indexed.
- ``reindex()``: everything, from scratch.

Which entries a viewer may see is decided when searching (``services``); entries carry the
level and filter columns the engines cut on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction

from dadkhah.search.models import Mention, SearchEntry
from dadkhah.search.text import analyze

__all__ = [
    "INDEXED_RECORDS",
    "MAX_PART_CHARS",
    "Reindexed",
    "index_item",
    "index_item_id",
    "index_record",
    "reindex",
    "split_parts",
]

MAX_PART_CHARS = 20_000
INDEXED_RECORDS = ("person", "body", "place", "event")
_OWN_OUTPUT = frozenset({"text", "ocr", "thumbnail", "metadata"})


def split_parts(text: str, size: int = MAX_PART_CHARS) -> Iterator[tuple[int, str]]:
    """(offset, part) of ``text`` cut at white space into parts of at most ``size`` chars."""
    start = 0
    while len(text) - start > size:
        cut = text.rfind(" ", start + size // 2, start + size)
        cut = max(cut, text.rfind("\n", start + size // 2, start + size))
        if cut <= start:
            cut = start + size
        yield start, text[start:cut]
        start = cut
    yield start, text[start:]


def _entry(**fields: Any) -> SearchEntry:
    analysis = analyze(fields["text"])
    title = analyze(fields["title"]).normalized
    return SearchEntry(
        normalized=analysis.normalized, keys=analysis.keys, title_normalized=title, **fields
    )


def _page_dates(item_id: int) -> dict[int, tuple[date, date]]:
    """The span of the date mentions found on each page (``mentioning`` writes them)."""
    spans: dict[int, tuple[date, date]] = {}
    rows = Mention.objects.filter(item_id=item_id, kind="date").exclude(status="rejected")
    for page, value in rows.values_list("page", "value"):
        try:
            lo, hi = date.fromisoformat(value["start"]), date.fromisoformat(value["end"])
        except (TypeError, KeyError, ValueError):
            continue
        old = spans.get(page)
        spans[page] = (min(lo, old[0]), max(hi, old[1])) if old else (lo, hi)
    return spans


def _page_places(item_id: int) -> dict[int, str]:
    """The places mentioned on each page, as ``' uid uid '`` (``mentioning`` writes them)."""
    found: dict[int, set[str]] = {}
    rows = Mention.objects.filter(item_id=item_id, kind="place").exclude(status="rejected")
    for page, uid in rows.values_list("page", "record_uid"):
        if uid:
            found.setdefault(page, set()).add(uid)
    return {page: f" {' '.join(sorted(uids))} " for page, uids in found.items()}


def item_entries(item: Any) -> list[SearchEntry]:
    if item.encrypted or (item.is_derivative and item.derivation in _OWN_OUTPUT):
        return []
    dates = _page_dates(item.pk)
    places = _page_places(item.pk)
    entries = []
    for page in item.pages.order_by("number"):
        lo, hi = dates.get(page.number, (None, None))
        for part, (offset, text) in enumerate(split_parts(page.text)):
            entries.append(
                _entry(
                    kind="page",
                    object_id=f"{item.uid}:{page.number}",
                    part=part,
                    item=item,
                    page=page.number,
                    offset=offset,
                    group=f"item:{item.uid}",
                    title=item.name[:500],
                    text=text,
                    confidentiality=item.confidentiality,
                    sources=f" {item.uid} ",
                    date_lo=lo,
                    date_hi=hi,
                    place_uid=places.get(page.number, ""),
                )
            )
    return entries


def index_item(item: Any) -> int:
    """(Re)index the pages of a vault item; returns the number of entries written."""
    entries = item_entries(item)
    with transaction.atomic():
        SearchEntry.objects.filter(item=item).delete()
        SearchEntry.objects.bulk_create(entries, batch_size=500)
    return len(entries)


def index_item_id(item_id: int) -> int:
    from dadkhah.vault.models import Item

    item = Item.objects.filter(pk=item_id).first()
    return index_item(item) if item is not None else 0


def _span(value: Any) -> tuple[date | None, date | None]:
    try:
        return date.fromisoformat(value["start"]), date.fromisoformat(value["end"])
    except (TypeError, KeyError, ValueError):
        return None, None


def record_entries(record: Any) -> list[SearchEntry]:
    from dadkhah.records import values

    kind = record.KIND
    group = f"{kind}:{record.uid}"
    title = (record.label or record.label_fa or record.uid)[:500]
    lo = hi = None
    place = ""
    if kind == "event":
        lo, hi = record.date_start, record.date_end
        place = f" {record.place.uid} " if record.place_id else ""
    text = "\n".join(t for t in dict.fromkeys([record.label, record.label_fa]) if t)
    entries = [
        _entry(
            kind=kind,
            object_id=record.uid,
            group=group,
            title=title,
            text=text or record.uid,
            confidentiality=record.confidentiality,
            date_lo=lo,
            date_hi=hi,
            place_uid=place,
        )
    ]
    claims = record.claims().exclude(status="rejected").prefetch_related("citations__source")
    for claim in claims:
        spec = values.props_of(kind).get(claim.prop)
        if spec is None:
            continue
        shown = [values.display(spec, claim.value, lang) for lang in ("en", "fa")]
        claim_text = "\n".join(dict.fromkeys(t for t in shown if t))
        sources = sorted({c.source.uid for c in claim.citations.all() if c.retracted_at is None})
        c_lo, c_hi = _span(claim.value) if spec.type == "date" else (None, None)
        c_place = claim.value if spec.type == "ref" and spec.to == "place" else ""
        entries.append(
            _entry(
                kind="claim",
                object_id=claim.uid,
                group=group,
                title=f"{title} — {spec.label()}"[:500],
                text=claim_text or str(claim.value),
                confidentiality=claim.confidentiality,
                sources=f" {' '.join(sources)} " if sources else "",
                date_lo=c_lo,
                date_hi=c_hi,
                place_uid=f" {c_place} " if isinstance(c_place, str) and c_place else "",
            )
        )
    return entries


def index_record(kind: str, pk: int) -> int:
    """(Re)index one record and its claims; a deleted record leaves the index."""
    from dadkhah.records.models import RECORD_MODELS

    if kind not in INDEXED_RECORDS:
        return 0
    record = RECORD_MODELS[kind].objects.filter(pk=pk).first()
    with transaction.atomic():
        if record is None:
            return 0
        SearchEntry.objects.filter(group=f"{kind}:{record.uid}").delete()
        entries = record_entries(record)
        SearchEntry.objects.bulk_create(entries, batch_size=500)
    return len(entries)


@dataclass
class Reindexed:
    pages: int = 0
    records: int = 0
    entries: int = 0


def _chunks(ids: list[int], size: int = 200) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def reindex() -> Reindexed:
    """Rebuild the whole index from the vault's pages and the case record."""
    from dadkhah.records.models import RECORD_MODELS
    from dadkhah.vault.models import Item, Page

    done = Reindexed()
    with transaction.atomic():
        SearchEntry.objects.all().delete()
        item_ids = list(Page.objects.values_list("item_id", flat=True).distinct().order_by())
        for chunk in _chunks(sorted(set(item_ids))):
            for item in Item.objects.filter(pk__in=chunk):
                entries = item_entries(item)
                SearchEntry.objects.bulk_create(entries, batch_size=500)
                done.pages += len({e.page for e in entries})
                done.entries += len(entries)
        for kind in INDEXED_RECORDS:
            for record in RECORD_MODELS[kind].objects.all().iterator(chunk_size=500):
                entries = record_entries(record)
                SearchEntry.objects.bulk_create(entries, batch_size=500)
                done.records += 1
                done.entries += len(entries)
    return done
