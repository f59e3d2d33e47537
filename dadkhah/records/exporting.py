"""Export of the case record: what a clearance may see, as CSV, JSON Lines or FollowTheMoney.

What goes out is decided by the visibility rules of ``records.claims`` (``visible_records``
for records, ``shown_claims_in_bulk`` for claims and their citations), the same rules as
the staff pages and the API, so an export never holds more than a viewer with that
clearance could read on screen. The rows are those ``records.io`` reads, so an export
imports back exactly. FollowTheMoney entities are built in ``records.ftm``; the formats
are described in ``docs/import-export.md``.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Iterator
from typing import Any, TextIO

from dadkhah.core.confidentiality import Level
from dadkhah.records import claims
from dadkhah.records.io import (
    CITE_COLUMNS,
    COLUMNS,
    KINDS,
    ORDER,
    RECORD_KINDS,
    ImportExportError,
)
from dadkhah.records.models import RECORD_MODELS, Citation, Claim, Record, Source

__all__ = ["FORMATS", "ExportScope", "export"]

FORMATS = ("csv", "jsonl", "ftm")


class ExportScope:
    """Everything a viewer with ``clearance`` may take out, in creation order.

    Sources need a level within the clearance; records are ``claims.visible_records``;
    claims, with the citations the viewer may see, are ``claims.shown_claims_in_bulk``.
    """

    def __init__(self, clearance: Level) -> None:
        self.clearance = clearance
        self.sources = {s.pk: s for s in Source.objects.visible_to(clearance).order_by("id")}
        self.records: dict[str, dict[int, Record]] = {}
        for kind in RECORD_KINDS:
            query = claims.visible_records(RECORD_MODELS[kind], clearance)
            query = query.select_related(*claims.LINKS.get(kind, ())).order_by("id")
            self.records[kind] = {r.pk: r for r in query}
        self.uids = {kind: {r.uid for r in recs.values()} for kind, recs in self.records.items()}
        self.claims: list[Claim] = []
        self.citations: dict[int, list[Citation]] = {}
        self.by_record: dict[tuple[str, int], list[Claim]] = defaultdict(list)
        for shown in claims.shown_claims_in_bulk(Claim.objects.all(), clearance):
            claim = shown.claim
            self.claims.append(claim)
            self.citations[claim.pk] = sorted(shown.citations, key=lambda c: c.pk)
            self.by_record[claim.subject_kind, claim.subject_id].append(claim)

    def record_ref(self, claim: Claim) -> str:
        return f"{claim.subject_kind}:{self.records[claim.subject_kind][claim.subject_id].uid}"


def _cell(value: Any) -> str:
    """A CSV cell: text as is, flags as true/false, structured values as JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None or isinstance(value, str):
        return value or ""
    return json.dumps(value, ensure_ascii=False)


def _citation_cells(scope: ExportScope, cite: Citation) -> dict[str, Any]:
    cells = {name: getattr(cite, name) for name in CITE_COLUMNS[1:]}
    return {"source": scope.sources[cite.source_id].uid, **cells}


def _rows(kind: str, scope: ExportScope) -> Iterator[dict[str, Any]]:
    """Rows of ``kind`` with native values (a dict for JSON, a bool for flags)."""
    if kind == "source":
        for s in scope.sources.values():
            yield {
                "id": s.uid, "kind": s.kind, "title": s.title, "citation": s.citation,
                "url": s.url, "reliability": s.reliability, "published": s.published,
                "language": s.language, "notes": s.notes,
                "confidentiality": Level(s.confidentiality).label, "synthetic": s.is_synthetic,
            }  # fmt: skip
    elif kind in RECORD_KINDS:
        for record in scope.records[kind].values():
            row: dict[str, Any] = {"id": record.uid}
            for name in claims.LINKS.get(kind, ()):
                row[name] = getattr(record, name).uid
            row["confidentiality"] = record.level.label
            row["synthetic"] = record.is_synthetic
            yield row
    elif kind == "claim":
        for claim in scope.claims:
            first = scope.citations[claim.pk][0]
            yield {
                "id": claim.uid,
                "record": scope.record_ref(claim),
                "prop": claim.prop,
                "value": claim.value,
                "status": claim.status,
                "confidentiality": claim.level.label,
                "note": claim.note,
                **_citation_cells(scope, first),
            }
    elif kind == "citation":
        for claim in scope.claims:
            for cite in scope.citations[claim.pk][1:]:
                cells = _citation_cells(scope, cite)
                yield {"id": f"citation-{cite.pk}", "claim": claim.uid, **cells}


def export(kind: str, fmt: str, stream: TextIO, clearance: Level) -> None:
    """Write ``kind`` (or the whole ``case``) as csv, jsonl or ftm, up to ``clearance``.

    A claim row carries its first citation; ``citation`` rows are the further ones, so a
    claim file and a citation file together hold every citation exactly once.
    """
    if kind not in KINDS:
        raise ImportExportError(f"unknown kind {kind!r}; use one of: {', '.join(KINDS)}")
    if fmt not in FORMATS:
        raise ImportExportError(f"unknown format {fmt!r}; use one of: {', '.join(FORMATS)}")
    if fmt == "ftm":
        from dadkhah.records import ftm  # ftm builds on this module

        ftm.export_ftm(kind, stream, clearance)
        return
    scope = ExportScope(clearance)
    if kind == "case":
        if fmt != "jsonl":
            raise ImportExportError("the whole case is exported as jsonl (or ftm), not csv")
        for row_kind in ORDER:
            for row in _rows(row_kind, scope):
                if row_kind == "source":
                    row["source_kind"] = row.pop("kind")
                _write_json(stream, {"kind": row_kind, **row})
        return
    if fmt == "jsonl":
        for row in _rows(kind, scope):
            _write_json(stream, row)
        return
    writer = csv.DictWriter(stream, fieldnames=COLUMNS[kind])
    writer.writeheader()
    writer.writerows({k: _cell(v) for k, v in row.items()} for row in _rows(kind, scope))


def _write_json(stream: TextIO, obj: dict[str, Any]) -> None:
    stream.write(json.dumps(obj, ensure_ascii=False) + "\n")
