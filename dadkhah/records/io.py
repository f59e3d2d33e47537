"""Bulk import of the case record, and the rows it shares with the export: CSV and JSON Lines.

An import reads every row, writes them all through ``records.claims`` (the same checks,
projections and history as the staff UI) inside one transaction, and rolls everything
back if a single row fails, reporting each failing row with its line and field. The
export (``records.exporting``, reached here as ``export``) writes what a clearance may
see in the same columns, so that it imports back exactly; FollowTheMoney output lives in
``records.ftm``. The formats are described in ``docs/import-export.md``.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from io import StringIO
from pathlib import Path
from typing import Any, TextIO

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction

from dadkhah.core.confidentiality import Level, parse_level
from dadkhah.core.dates import InvalidDate, PartialDate, parse_partial_date
from dadkhah.records import claims, values
from dadkhah.records.claims import CitationInput, RecordError
from dadkhah.records.models import RECORD_MODELS as MODELS
from dadkhah.records.models import (
    Body,
    Claim,
    Event,
    Participation,
    Person,
    Place,
    Post,
    Record,
    Source,
)

__all__ = ["COLUMNS", "KINDS", "ORDER", "ImportExportError", "Problem", "Report"]
__all__ += ["export", "format_report_line", "import_file"]

RECORD_KINDS = ("person", "body", "place", "post", "event", "participation")
ORDER = ("source", *RECORD_KINDS, "claim", "citation")
KINDS = (*ORDER, "case")
CITE_COLUMNS = ("source", "page", "paragraph", "timestamp", "quote", "confidence")
_RECORD_COLUMNS = ("id", "confidentiality", "synthetic")
COLUMNS: dict[str, tuple[str, ...]] = {
    "source": (
        "id", "kind", "title", "citation", "url", "reliability", "published", "language",
        "notes", "confidentiality", "synthetic",
    ),
    "person": _RECORD_COLUMNS,
    "body": _RECORD_COLUMNS,
    "place": _RECORD_COLUMNS,
    "post": ("id", "person", "body", "confidentiality", "synthetic"),
    "event": _RECORD_COLUMNS,
    "participation": ("id", "event", "person", "confidentiality", "synthetic"),
    "claim": ("id", "record", "prop", "value", "status", "confidentiality", "note", *CITE_COLUMNS),
    "citation": ("id", "claim", *CITE_COLUMNS),
}  # fmt: skip
REQUIRED: dict[str, frozenset[str]] = {
    "source": frozenset({"id", "title", "citation"}),
    "post": frozenset({"id", "person", "body"}),
    "participation": frozenset({"id", "event", "person"}),
    "claim": frozenset({"record", "prop", "value"}),
    "citation": frozenset({"claim", "source"}),
}
_LIMITS = {"id": 64, "title": 500, "url": 1000, "language": 20}
_LIMITS |= {"page": 40, "paragraph": 40, "timestamp": 40}
_UID_RE = re.compile(r"[A-Za-z0-9_-]+")
_STATUSES = ("accepted", "disputed", "rejected")
_CONFIDENCES = ("low", "medium", "high")
_TRUE, _FALSE = ("true", "yes", "1"), ("false", "no", "0", "")


class ImportExportError(ValueError):
    """Bad usage: an unknown kind or format. Bad rows go in the ``Report`` instead."""


# ----------------------------------------------------------------------------- reports


@dataclass(frozen=True)
class Problem:
    line: int
    field: str
    message: str


@dataclass
class Report:
    """What an import did: nothing (``ok`` is false, every failing row listed) or everything."""

    file: str
    kind: str
    rows: int = 0
    created: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, line: int, field: str, message: str) -> None:
        self.problems.append(Problem(line, field, message))

    def lines(self) -> Iterator[dict[str, Any]]:
        """One dict per rejected row, by line, then a summary."""
        for p in sorted(self.problems, key=lambda p: p.line):
            yield {"ok": False, "file": self.file, **asdict(p)}
        counts = {"rows": self.rows, "created": self.created, "rejected": len(self.problems)}
        yield {"ok": self.ok, "file": self.file, "kind": self.kind, **counts}


def format_report_line(line: dict[str, Any]) -> str:
    """``persons.csv:17: field confidentiality: unknown …`` or a one-line summary."""
    if "line" in line:
        where = f"{line['file']}:{line['line']}"
        if line.get("field"):
            return f"{where}: field {line['field']}: {line['message']}"
        return f"{where}: {line['message']}"
    if line["ok"]:
        return f"{line['file']}: imported {line['created']} of {line['rows']} {line['kind']} rows"
    return (
        f"{line['file']}: nothing imported; {line['rejected']} of {line['rows']} rows rejected "
        "(fix them and import the file again)"
    )


# ----------------------------------------------------------------------------- reading


@dataclass
class Row:
    line: int
    kind: str
    data: dict[str, Any]
    end_line: int = 0
    parsed: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.end_line = self.end_line or self.line


def _decode(raw: bytes) -> tuple[str, dict[int, str]]:
    """UTF-8 text (a byte-order mark is dropped) and the lines that are not UTF-8."""
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    try:
        return raw.decode("utf-8"), {}
    except UnicodeDecodeError:
        pass
    bad: dict[int, str] = {}
    for number, chunk in enumerate(raw.split(b"\n"), 1):
        try:
            chunk.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad[number] = (
                f"not UTF-8: byte 0x{chunk[exc.start]:02x} at column {exc.start + 1}; "
                "save the file as UTF-8"
            )
    return raw.decode("utf-8", errors="replace"), bad


def _check_header(kind: str, header: list[str]) -> str:
    """An error message for a bad header, or an empty string."""
    has = f"a {kind} file has the columns: {', '.join(COLUMNS[kind])}"
    if dupes := sorted({c for c in header if header.count(c) > 1}):
        return f"column {', '.join(map(repr, dupes))} appears twice in the header"
    if unknown := [c for c in header if c not in COLUMNS[kind]]:
        return f"unknown column {', '.join(map(repr, unknown))}; {has}"
    if missing := sorted(REQUIRED.get(kind, {"id"}) - set(header)):
        return f"missing required column {', '.join(map(repr, missing))}; {has}"
    return ""


def _read_csv(text: str, kind: str, report: Report) -> list[Row]:
    reader = csv.reader(StringIO(text, newline=""))
    try:
        header = [c.strip() for c in next(reader, [])]
    except csv.Error as exc:
        report.add(1, "", f"cannot read the CSV header: {exc}")
        return []
    if not any(header):
        report.add(1, "", f"the first line must be the header: {','.join(COLUMNS[kind])}")
        return []
    if message := _check_header(kind, header):
        report.add(1, "", message)
        return []
    rows: list[Row] = []
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            report.add(start, "", f"cannot read the CSV from here on: {exc}")
            break
        if not any(c.strip() for c in cells):
            continue
        report.rows += 1
        if len(cells) != len(header):
            report.add(start, "", f"ragged row: {len(cells)} values for {len(header)} columns")
            continue
        rows.append(Row(start, kind, dict(zip(header, cells, strict=True)), reader.line_num))
    return rows


def _read_jsonl(text: str, kind: str, report: Report) -> list[Row]:
    rows: list[Row] = []
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        report.rows += 1
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            report.add(number, "", f"not valid JSON: {exc.msg} at column {exc.colno}")
            continue
        if not isinstance(obj, dict):
            report.add(number, "", "each line must be a JSON object")
            continue
        row_kind = kind
        if kind == "case":
            row_kind = obj.pop("kind", None)
            if row_kind not in ORDER:
                report.add(
                    number, "kind", f"unknown kind {row_kind!r}; use one of: {', '.join(ORDER)}"
                )
                continue
            if row_kind == "source":
                obj.pop("kind", None)
                if "source_kind" in obj:
                    obj["kind"] = obj.pop("source_kind")
        unknown = [k for k in obj if k not in COLUMNS[row_kind]]
        missing = sorted(REQUIRED.get(row_kind, {"id"}) - set(obj))
        if unknown or missing:
            name = (unknown or missing)[0]
            what = "unknown field" if unknown else "missing required field"
            report.add(number, name, f"{what}; a {row_kind} has: {', '.join(COLUMNS[row_kind])}")
            continue
        rows.append(Row(number, row_kind, obj))
    return rows


# ---------------------------------------------------------------------- row parsing


def _text(row: Row, name: str, *, strip: bool = True) -> str:
    value = row.data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RecordError(f"must be text, not {type(value).__name__}", name)
    value = value.strip() if strip else value
    limit = _LIMITS.get(name)
    if limit is not None and len(value) > limit:
        raise RecordError(f"is {len(value)} characters long; at most {limit} are allowed", name)
    return value


def _uid(row: Row, name: str = "id", *, required: bool = True) -> str:
    value = _text(row, name)
    if not value and required:
        raise RecordError(f"is empty; a {row.kind} row needs it", name)
    if value and (len(value) > 64 or not _UID_RE.fullmatch(value)):
        raise RecordError(
            f"{value!r} is not a valid id: use letters, digits, '-' and '_' (at most 64)", name
        )
    return value


def _level(row: Row) -> Level | None:
    value = row.data.get("confidentiality")
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise RecordError("must be a level name such as public", "confidentiality")
    try:
        return parse_level(value)
    except ValueError as exc:
        raise RecordError(str(exc), "confidentiality") from None


def _bool(row: Row, name: str = "synthetic") -> bool:
    value = row.data.get(name)
    if isinstance(value, bool):
        return value
    text = "" if value is None else str(value).strip().lower()
    if text not in _TRUE and text not in _FALSE:
        raise RecordError(f"{value!r} is not true or false", name)
    return text in _TRUE


def _term(row: Row, name: str, vocab: str, default: str) -> str:
    try:
        return values.vocabularies()[vocab].get(_text(row, name) or default).code
    except ValueError as exc:
        raise RecordError(str(exc), name) from None


def _published(row: Row) -> dict[str, Any] | None:
    value = row.data.get("published")
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        if isinstance(value, str) and value.lstrip().startswith("{"):
            value = json.loads(value)
        if isinstance(value, dict):
            return PartialDate.from_json(value).to_json()
        if isinstance(value, str):
            return parse_partial_date(value).to_json()
    except json.JSONDecodeError as exc:
        raise RecordError(f"not valid JSON: {exc.msg}", "published") from None
    except InvalidDate as exc:
        raise RecordError(str(exc), "published") from None
    raise RecordError("must be a date such as 1367/05 or a partial-date object", "published")


def _parse_source(row: Row) -> dict[str, Any]:
    fields: dict[str, Any] = {"uid": _uid(row)}
    fields["kind"] = _term(row, "kind", "source_kind", "publication")
    for name in ("title", "citation"):
        fields[name] = _text(row, name, strip=False)
        if not fields[name].strip():
            raise RecordError("is empty; every source needs a title and a full citation", name)
    fields["url"] = _text(row, "url")
    if fields["url"]:
        try:
            URLValidator()(fields["url"])
        except ValidationError:
            raise RecordError(f"{fields['url']!r} is not a web address (http://…)", "url") from None
    level = _level(row)
    return fields | {
        "reliability": _term(row, "reliability", "reliability", "F"),
        "published": _published(row),
        "language": _text(row, "language"),
        "notes": _text(row, "notes", strip=False),
        "confidentiality": int(Level.INTERNAL if level is None else level),
        "is_synthetic": _bool(row),
    }


def _parse_record(row: Row) -> dict[str, Any]:
    # The link columns are named after the kinds they join (claims.LINKS).
    links = {name: _uid(row, name) for name in claims.LINKS.get(row.kind, ())}
    options = {"confidentiality": _level(row), "is_synthetic": _bool(row)}
    return {"uid": _uid(row), "links": links, "options": options}


def _choice(row: Row, name: str, allowed: tuple[str, ...], default: str) -> str:
    value = _text(row, name) or default
    if value not in allowed:
        raise RecordError(f"unknown {name} {value!r}; use one of: {', '.join(allowed)}", name)
    return value


def _parse_cite(row: Row) -> dict[str, Any]:
    cells = {name: _text(row, name) for name in ("page", "paragraph", "timestamp")}
    return {
        "source": _uid(row, "source"),
        **cells,
        "quote": _text(row, "quote", strip=False),
        "confidence": _choice(row, "confidence", _CONFIDENCES, "medium"),
    }


def _parse_claim(row: Row) -> dict[str, Any]:
    uid, ref = _uid(row, required=False), _text(row, "record")
    kind, _, rec_uid = ref.partition(":")
    if kind not in RECORD_KINDS or not _UID_RE.fullmatch(rec_uid):
        raise RecordError(
            f"{ref!r} is not a record: write kind:id, e.g. person:person-3fa9c01b2e "
            f"(kinds: {', '.join(RECORD_KINDS)})",
            "record",
        )
    try:
        spec = values.prop_spec(kind, _text(row, "prop"))
    except values.UnknownProperty as exc:
        raise RecordError(str(exc), "prop") from None
    raw = row.data.get("value")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise RecordError("is empty", "value")
    try:
        value = values.clean(spec, raw)
    except ValueError as exc:
        raise RecordError(f"{spec.label()}: {exc}", "value") from None
    options = {
        "status": _choice(row, "status", _STATUSES, "accepted"),
        "confidentiality": _level(row),
        "note": _text(row, "note", strip=False),
    }
    cite = _parse_cite(row) if any(_text(row, c) for c in CITE_COLUMNS) else None
    return {"uid": uid, "kind": kind, "record": rec_uid, "spec": spec, "value": value} | {
        "options": options, "cite": cite,
    }  # fmt: skip


def _parse_citation(row: Row) -> dict[str, Any]:
    return {"id": _uid(row, required=False), "claim": _uid(row, "claim"), **_parse_cite(row)}


def _refuse_nul(data: dict[str, Any]) -> None:
    """No database text may hold a NUL character (PostgreSQL refuses it): name the field."""

    def has_nul(value: Any) -> bool:
        if isinstance(value, str):
            return "\x00" in value
        if isinstance(value, dict):
            return any(has_nul(k) or has_nul(v) for k, v in value.items())
        return isinstance(value, list) and any(has_nul(v) for v in value)

    for name, value in data.items():
        if has_nul(value):
            raise RecordError("contains a NUL character (0x00); remove it", name)


_PARSERS = {"source": _parse_source, "claim": _parse_claim, "citation": _parse_citation}
_MODELS: dict[str, Any] = {**MODELS, "source": Source, "claim": Claim}


# ----------------------------------------------------------------------------- import


class _Importer:
    """Checks every row and writes it through ``records.claims``.

    Rows are written until the first one fails; after that they are only checked (their
    references resolved, their ids compared with the database), since nothing will be
    kept, so that the report still names every failing row.
    """

    def __init__(self, report: Report, user: Any, reason: str) -> None:
        self.report, self.user, self.reason = report, user, reason
        self.writing = True
        # (kind, uid) -> the object, or None for a row checked but not written
        self.known: dict[tuple[str, str], Any] = {}
        self.failed: dict[tuple[str, str], int] = {}
        self.dates: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        self.touched: dict[str, set[int]] = defaultdict(set)

    def run(self, rows: list[Row]) -> None:
        seen: dict[tuple[str, str], int] = {}
        parsed: dict[str, list[Row]] = defaultdict(list)
        for row in rows:
            key = row.data.get("id")
            key = key.strip() if isinstance(key, str) else ""
            if key and seen.setdefault((row.kind, key), row.line) != row.line:
                self.report.add(
                    row.line,
                    "id",
                    f"duplicate id {key!r}: line {seen[row.kind, key]} has it already",
                )
                continue
            try:
                _refuse_nul(row.data)
                row.parsed = _PARSERS.get(row.kind, _parse_record)(row)
                parsed[row.kind].append(row)
            except RecordError as exc:
                self._fail(row, exc)
        self.writing = self.report.ok
        in_file = {row.parsed["uid"] for row in parsed["claim"]} - {""}
        further: dict[str, list[Row]] = defaultdict(list)
        for row in parsed["citation"]:
            if row.parsed["claim"] in in_file:
                further[row.parsed["claim"]].append(row)
        for kind in ORDER:
            for row in parsed[kind]:
                try:
                    if kind == "claim":
                        self._claim_row(row, further.get(row.parsed["uid"], []))
                    elif kind == "citation":
                        if row.parsed["claim"] not in in_file:
                            self._citation_row(row.parsed)
                    elif kind == "source":
                        self._source_row(row.parsed)
                    else:
                        self._record_row(row.kind, row.parsed)
                except RecordError as exc:
                    self._fail(row, exc)
        if self.writing:
            self._reproject()

    def _fail(self, row: Row, exc: RecordError) -> None:
        self.report.add(row.line, exc.field, str(exc))
        self.writing = False
        key = row.data.get("id")
        if isinstance(key, str) and key.strip():
            self.failed.setdefault((row.kind, key.strip()), row.line)

    def _get(self, kind: str, uid: str, name: str) -> Any:
        """The object (``None``: in this file, not written) or a ``RecordError`` on ``name``."""
        if (kind, uid) not in self.known:
            if (kind, uid) in self.failed:
                raise RecordError(
                    f"{kind} {uid!r} was rejected (line {self.failed[kind, uid]})", name
                )
            found = _MODELS[kind].objects.filter(uid=uid).first()
            if found is None:
                raise RecordError(f"no {kind} with id {uid!r} in this file or the database", name)
            self.known[kind, uid] = found
        return self.known[kind, uid]

    def _exists(self, kind: str, uid: str) -> None:
        if uid and _MODELS[kind].objects.filter(uid=uid).exists():
            raise RecordError(f"a {kind} with id {uid!r} exists already", "id")

    def _source_row(self, fields: dict[str, Any]) -> None:
        self._exists("source", fields["uid"])
        source = None
        if self.writing:
            source = Source(**fields)
            user = self.user if getattr(self.user, "is_authenticated", False) else None
            source._history_user = user  # type: ignore[attr-defined]
            source._change_reason = self.reason  # type: ignore[attr-defined]
            source.save()
        self.known["source", fields["uid"]] = source
        self.report.created += 1

    def _record_row(self, kind: str, p: dict[str, Any]) -> None:
        links = {name: self._get(name, uid, name) for name, uid in p["links"].items()}
        record = None
        if self.writing:
            options = {"user": self.user, "reason": self.reason, **links}
            record = claims.create_record(kind, uid=p["uid"], **p["options"], **options)
            self.touched[kind].add(record.pk)
        else:
            self._exists(kind, p["uid"])
        self.known[kind, p["uid"]] = record
        self.report.created += 1

    def _cite(self, p: dict[str, Any]) -> CitationInput:
        source = self._get("source", p["source"], "source")
        fields = {k: p[k] for k in ("page", "paragraph", "timestamp", "quote", "confidence")}
        return CitationInput(source=source or p["source"], **fields)

    def _claim_row(self, row: Row, extra: list[Row]) -> None:
        """A claim, with the citation on its own row (if any) and the citation rows for it."""
        p, bad = row.parsed, []
        try:
            record = self._get(p["kind"], p["record"], "record")
            spec = p["spec"]
            if spec.type in ("ref", "period_ref"):
                self._get(spec.to, p["value"] if spec.type == "ref" else p["value"]["ref"], "value")
            cites = [self._cite(p["cite"])] if p["cite"] else []
            for crow in extra:
                try:
                    cites.append(self._cite(crow.parsed))
                except RecordError as exc:
                    self._fail(crow, exc)
                    bad.append(crow)
            if not cites:
                raise RecordError(
                    "none of this claim's citations could be imported" if extra else
                    "every claim needs a citation: fill the source column (with page, quote, "
                    "confidence) or add citation rows for this claim",
                    "source",
                )  # fmt: skip
            if self.writing:
                self._write_claim(record, p, cites)
            else:
                self._check_claim(record, p)
        except RecordError as exc:
            self._fail(row, exc)
            what = f"claim {p['uid']!r}" if p["uid"] else "its claim"
            for crow in extra:
                if crow not in bad:
                    self._fail(crow, RecordError(f"{what} was rejected (line {row.line})", "claim"))
            return
        if p["options"]["status"] != "rejected":
            self.dates[p["record"], spec.name].append(p["value"])
        self.report.created += 1 + len(extra) - len(bad)

    def _write_claim(self, record: Record, p: dict[str, Any], cites: list[CitationInput]) -> None:
        options = {"user": self.user, "reason": self.reason, "uid": p["uid"] or None}
        try:
            spec, value = p["spec"], p["value"]
            claims.add_claim(
                record,
                spec.name,
                value,
                citations=cites,
                reproject=False,
                **p["options"],
                **options,
            )
        except RecordError as exc:
            field = "value" if exc.field == p["spec"].name else exc.field
            raise RecordError(str(exc), field) from None
        self.touched[p["kind"]].add(record.pk)

    def _check_claim(self, record: Record | None, p: dict[str, Any]) -> None:
        """What ``add_claim`` would refuse that the parse could not see: ids, post dates."""
        self._exists("claim", p["uid"])
        prop = p["spec"].name
        other = {"start_date": "end_date", "end_date": "start_date"}.get(prop)
        if p["kind"] != "post" or other is None:
            return
        others = list(self.dates[p["record"], other])
        if record is not None:
            others += [
                c.value for c in record.claims().filter(prop=other).exclude(status="rejected")
            ]
        for value in others:
            start, end = (p["value"], value) if prop == "start_date" else (value, p["value"])
            if end["end"] < start["start"]:
                message = f"the post would end ({end['text']}) before it starts ({start['text']})"
                raise RecordError(message, "value")

    def _citation_row(self, p: dict[str, Any]) -> None:
        claim = self._get("claim", p["claim"], "claim")
        cite = self._cite(p)
        if self.writing:
            claims.add_citation(claim, cite, user=self.user, reason=self.reason, reproject=False)
            self.touched[claim.subject_kind].add(claim.subject_id)
        self.report.created += 1

    def _reproject(self) -> None:
        """Project every touched record once; posts, events and participations last,
        because their labels depend on the names of the records they link."""
        t = self.touched
        jobs: list[tuple[type[Record], str, set[int]]] = [
            (Person, "pk", t["person"]), (Body, "pk", t["body"]), (Place, "pk", t["place"]),
            (Event, "pk", t["event"]), (Event, "place_id", t["place"]),
            (Post, "pk", t["post"]), (Post, "body_id", t["body"]),
            (Participation, "pk", t["participation"]), (Participation, "event_id", t["event"]),
            (Participation, "person_id", t["person"]),
        ]  # fmt: skip
        done: set[tuple[str, int]] = set()
        for model, column, pks in jobs:
            ids = sorted(pks)
            for start in range(0, len(ids), 500):
                query = model.objects.filter(**{f"{column}__in": ids[start : start + 500]})
                for record in query.order_by("id"):
                    if (model.KIND, record.pk) not in done:
                        done.add((model.KIND, record.pk))
                        claims.project(record)


def _format_of(path: Path, fmt: str | None) -> str:
    if fmt is None:
        fmt = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}.get(path.suffix.lower())
        if fmt is None:
            raise ImportExportError(
                f"{path}: cannot tell the format from the name; use --format csv or jsonl"
            )
    if fmt not in ("csv", "jsonl"):
        raise ImportExportError(f"cannot import {fmt!r}; use csv or jsonl")
    return fmt


def import_file(
    kind: str, path: str | Path, fmt: str | None = None, *, user: Any = None, reason: str = ""
) -> Report:
    """Import every row of ``path`` or none; the report lists each failing row."""
    path = Path(path)
    if kind not in KINDS:
        raise ImportExportError(f"unknown kind {kind!r}; use one of: {', '.join(KINDS)}")
    fmt = _format_of(path, fmt)
    if kind == "case" and fmt != "jsonl":
        raise ImportExportError("a case file is JSON Lines (export case --format jsonl writes one)")
    report = Report(file=str(path), kind=kind)
    text, bad = _decode(path.read_bytes())
    rows = (_read_csv if fmt == "csv" else _read_jsonl)(text, kind, report)
    report.problems += [Problem(n, "", message) for n, message in sorted(bad.items())]
    rows = [r for r in rows if not any(n in bad for n in range(r.line, r.end_line + 1))]
    importer = _Importer(report, user, reason or f"import {kind} from {path.name}")
    with transaction.atomic():
        importer.run(rows)
        if not report.ok:
            transaction.set_rollback(True)
            report.created = 0
    return report


# ----------------------------------------------------------------------------- export


def export(kind: str, fmt: str, stream: TextIO, clearance: Level) -> None:
    """Write ``kind`` (or the whole ``case``) as csv, jsonl or ftm, up to ``clearance``.

    The export lives in ``records.exporting``, which builds on this module.
    """
    from dadkhah.records import exporting

    exporting.export(kind, fmt, stream, clearance)
