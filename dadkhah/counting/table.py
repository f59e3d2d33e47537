"""Capture tables: how many people each combination of lists recorded.

A capture table over K lists (2 to 6) holds, for each observed *capture pattern* (a 0/1 vector
saying which lists recorded a person), the number of people with that pattern. The pattern of
all zeros — people no list recorded — is what multiple systems estimation estimates, so it never
appears in a table.

Two CSV forms are read by :func:`read_capture_csv`:

- **patterns**: one 0/1 column per list and a ``count`` column, one row per observed pattern
  (``A,B,C,count`` / ``1,0,1,12``);
- **linked records**: ``dadkhah link`` output joined with list membership, one row per record,
  with at least ``record_id``, ``cluster_id`` and ``list`` columns (``match_probability`` and
  other columns may be present). Each cluster is one person; its pattern is the set of lists
  its records come from.

Both forms accept a strata column (``strata="city"``): one table per stratum value.

Full tables order patterns as binary numbers with the first list as the most significant
digit: for lists A, B, C the order is 001, 010, 011, 100, 101, 110, 111.

Pure numpy: no Django import.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = [
    "CaptureTable",
    "CaptureTableError",
    "MAX_LISTS",
    "MIN_LISTS",
    "all_patterns",
    "read_capture_csv",
    "write_capture_csv",
]

MIN_LISTS = 2
MAX_LISTS = 6
COUNT = "count"
LINKED = ("record_id", "cluster_id", "list")


class CaptureTableError(ValueError):
    """A capture table that cannot be used; the message names the file, line and field."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.file = file
        self.line = line
        self.field = field
        where = ":".join(str(part) for part in (file, line) if part is not None)
        prefix = f"{where}: " if where else ""
        if field is not None:
            prefix += f"field {field!r}: "
        super().__init__(prefix + message)


def all_patterns(k: int) -> np.ndarray:
    """Every observable pattern over ``k`` lists, shape (2**k - 1, k), in the canonical order."""
    codes = np.arange(1, 2**k, dtype=np.int64)
    shifts = np.arange(k - 1, -1, -1, dtype=np.int64)
    return ((codes[:, None] >> shifts[None, :]) & 1).astype(np.int64)


def _codes(patterns: np.ndarray) -> np.ndarray:
    k = patterns.shape[1]
    weights = 1 << np.arange(k - 1, -1, -1, dtype=np.int64)
    return np.asarray(patterns @ weights, dtype=np.int64)


@dataclass(frozen=True, eq=False)
class CaptureTable:
    """Counts of people by capture pattern over ``lists`` (see the module docstring)."""

    lists: tuple[str, ...]
    patterns: np.ndarray
    counts: np.ndarray
    stratum: str | None = None

    def __post_init__(self) -> None:
        lists = tuple(str(name) for name in self.lists)
        k = len(lists)
        where = f"stratum {self.stratum!r}: " if self.stratum is not None else ""
        if k < MIN_LISTS:
            raise CaptureTableError(
                f"{where}needs at least {MIN_LISTS} lists to estimate what no list recorded, got {k}"
            )
        if k > MAX_LISTS:
            raise CaptureTableError(f"{where}at most {MAX_LISTS} lists are supported, got {k}")
        if len(set(lists)) != k:
            raise CaptureTableError(f"{where}list names repeat: {', '.join(lists)}")
        patterns = np.asarray(self.patterns)
        counts = np.asarray(self.counts)
        if patterns.ndim != 2 or patterns.shape[1] != k:
            raise CaptureTableError(f"{where}patterns must have one column per list ({k})")
        if counts.shape != (patterns.shape[0],):
            raise CaptureTableError(f"{where}one count per pattern is needed")
        if patterns.size and not np.isin(patterns, (0, 1)).all():
            raise CaptureTableError(f"{where}patterns must be 0 or 1")
        if counts.size and (
            not np.all(np.isfinite(counts.astype(float)))
            or not np.all(counts.astype(float) == np.round(counts.astype(float)))
        ):
            raise CaptureTableError(f"{where}counts must be whole numbers")
        patterns = patterns.astype(np.int64)
        counts = counts.astype(np.int64)
        if (counts < 0).any():
            raise CaptureTableError(f"{where}counts must not be negative")
        if (patterns.sum(axis=1) == 0).any():
            raise CaptureTableError(
                f"{where}a pattern of all zeros (on no list) cannot be observed; remove it"
            )
        codes = _codes(patterns)
        if len(np.unique(codes)) != len(codes):
            raise CaptureTableError(f"{where}a capture pattern is given more than once")
        order = np.argsort(codes, kind="stable")
        patterns = patterns[order]
        counts = counts[order]
        patterns.setflags(write=False)
        counts.setflags(write=False)
        object.__setattr__(self, "lists", lists)
        object.__setattr__(self, "patterns", patterns)
        object.__setattr__(self, "counts", counts)

    @classmethod
    def from_counts(
        cls,
        lists: Sequence[str],
        counts: Mapping[str, int] | Mapping[tuple[int, ...], int],
        stratum: str | None = None,
    ) -> CaptureTable:
        """Build from ``{"101": 12, ...}`` or ``{(1, 0, 1): 12, ...}``."""
        rows: list[list[int]] = []
        values: list[int] = []
        for key, value in counts.items():
            rows.append([int(ch) for ch in key] if isinstance(key, str) else [int(v) for v in key])
            values.append(value)
        patterns = np.array(rows, dtype=np.int64).reshape(len(rows), len(lists))
        return cls(tuple(lists), patterns, np.array(values), stratum)

    @classmethod
    def from_full(
        cls, lists: Sequence[str], counts: Iterable[int], stratum: str | None = None
    ) -> CaptureTable:
        """Build from the counts of all 2**K - 1 patterns in the canonical order."""
        values = np.asarray(list(counts))
        k = len(lists)
        if values.shape != (2**k - 1,):
            raise CaptureTableError(
                f"{2**k - 1} counts are needed for {k} lists, got {len(values)}"
            )
        return cls(tuple(lists), all_patterns(k), values, stratum)

    @property
    def k(self) -> int:
        """The number of lists."""
        return len(self.lists)

    @property
    def observed(self) -> int:
        """People recorded on at least one list."""
        return int(self.counts.sum())

    def full(self) -> tuple[np.ndarray, np.ndarray]:
        """All 2**K - 1 observable patterns (canonical order) with their counts, zeros filled."""
        patterns = all_patterns(self.k)
        counts = np.zeros(len(patterns), dtype=np.int64)
        counts[_codes(self.patterns) - 1] = self.counts
        return patterns, counts

    def list_totals(self) -> dict[str, int]:
        """People recorded on each list."""
        totals = self.counts @ self.patterns
        return {name: int(total) for name, total in zip(self.lists, totals, strict=True)}

    def times_recorded(self) -> np.ndarray:
        """``f[j]`` = people recorded on exactly ``j`` lists, for j = 0..K (``f[0]`` is 0)."""
        f = np.zeros(self.k + 1, dtype=np.int64)
        np.add.at(f, self.patterns.sum(axis=1), self.counts)
        return f

    def merged(self, other: CaptureTable) -> CaptureTable:
        """The sum of two tables over the same lists (e.g. strata added up)."""
        if other.lists != self.lists:
            raise CaptureTableError("tables over different lists cannot be added")
        patterns, a = self.full()
        _, b = other.full()
        keep = (a + b) > 0
        return CaptureTable(self.lists, patterns[keep], (a + b)[keep])

    def __repr__(self) -> str:
        cells = ", ".join(
            f"{''.join(map(str, p))}:{c}" for p, c in zip(self.patterns, self.counts, strict=True)
        )
        stratum = f", stratum={self.stratum!r}" if self.stratum is not None else ""
        return f"CaptureTable({', '.join(self.lists)}; {cells}{stratum})"


def _decode(data: bytes, file: str) -> str:
    """UTF-8 (with or without BOM), UTF-16 with a BOM, or Windows-1256 (Persian Windows)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise CaptureTableError(
                f"not UTF-16, though it starts with a UTF-16 byte-order mark: {exc.reason} "
                f"at byte {exc.start}",
                file=file,
            ) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1256")


def _source(path_or_text: str | Path) -> tuple[str, str]:
    """(name for messages, text). A str with a newline is the CSV itself; otherwise a path."""
    if isinstance(path_or_text, str) and "\n" in path_or_text:
        return "<text>", path_or_text
    path = Path(path_or_text)
    try:
        return str(path), _decode(path.read_bytes(), str(path))
    except OSError as exc:
        raise CaptureTableError(f"cannot read: {exc.strerror or exc}", file=str(path)) from exc


def _whole(text: str, *, file: str, line: int, field: str) -> int:
    value = text.strip()
    try:
        number = float(value)
    except ValueError:
        raise CaptureTableError(
            f"{value!r} is not a number", file=file, line=line, field=field
        ) from None
    if not np.isfinite(number) or number != round(number):
        raise CaptureTableError(
            f"{value!r} is not a whole number (counts are people)",
            file=file,
            line=line,
            field=field,
        )
    if number < 0:
        raise CaptureTableError(f"{value!r} is negative", file=file, line=line, field=field)
    return int(number)


def _stratum_of(row: dict[str, str], strata: str | None, *, file: str, line: int) -> str | None:
    if strata is None:
        return None
    value = (row.get(strata) or "").strip()
    if not value:
        raise CaptureTableError(
            "empty stratum: every row needs a value", file=file, line=line, field=strata
        )
    return value


def _read_patterns(
    rows: list[tuple[int, dict[str, str]]], header: list[str], strata: str | None, file: str
) -> dict[str | None, CaptureTable]:
    lists = [name for name in header if name not in (COUNT, strata)]
    if len(lists) < MIN_LISTS:
        raise CaptureTableError(
            f"needs at least {MIN_LISTS} list columns (0/1) besides {COUNT!r}"
            + (f" and {strata!r}" if strata else "")
            + f", found {len(lists)}: {', '.join(lists) or 'none'}",
            file=file,
            line=1,
        )
    if len(lists) > MAX_LISTS:
        raise CaptureTableError(
            f"at most {MAX_LISTS} lists are supported, found {len(lists)}: {', '.join(lists)}",
            file=file,
            line=1,
        )
    cells: dict[str | None, dict[tuple[int, ...], tuple[int, int]]] = {}
    for line, row in rows:
        stratum = _stratum_of(row, strata, file=file, line=line)
        pattern: list[int] = []
        for name in lists:
            value = (row.get(name) or "").strip()
            if value not in ("0", "1"):
                hint = (
                    f"; if {name!r} is not a list but a column to stratify by, name it as the "
                    "strata column (--strata)"
                    if value not in ("", "0.0", "1.0") and strata is None
                    else ""
                )
                raise CaptureTableError(
                    f"{value!r} is not 0 or 1 (was the person on this list?){hint}",
                    file=file,
                    line=line,
                    field=name,
                )
            pattern.append(int(value))
        count = _whole(row.get(COUNT) or "", file=file, line=line, field=COUNT)
        if not any(pattern):
            raise CaptureTableError(
                "a pattern of all zeros (on no list) cannot be observed; remove the row",
                file=file,
                line=line,
                field=lists[0],
            )
        seen = cells.setdefault(stratum, {})
        key = tuple(pattern)
        if key in seen:
            raise CaptureTableError(
                f"pattern {''.join(map(str, key))} also on line {seen[key][0]}",
                file=file,
                line=line,
            )
        seen[key] = (line, count)
    return _tables(tuple(lists), cells, file)


def _read_linked(
    rows: list[tuple[int, dict[str, str]]], strata: str | None, file: str
) -> dict[str | None, CaptureTable]:
    names: set[str] = set()
    clusters: dict[str, set[str]] = {}
    cluster_stratum: dict[str, tuple[str | None, int]] = {}
    records: dict[str, int] = {}
    for line, row in rows:
        record = (row.get("record_id") or "").strip()
        cluster = (row.get("cluster_id") or "").strip()
        name = (row.get("list") or "").strip()
        for field, value in (("record_id", record), ("cluster_id", cluster), ("list", name)):
            if not value:
                raise CaptureTableError("empty value", file=file, line=line, field=field)
        if record in records:
            raise CaptureTableError(
                f"record {record!r} also on line {records[record]}",
                file=file,
                line=line,
                field="record_id",
            )
        records[record] = line
        stratum = _stratum_of(row, strata, file=file, line=line)
        if strata is not None:
            first = cluster_stratum.setdefault(cluster, (stratum, line))
            if first[0] != stratum:
                raise CaptureTableError(
                    f"cluster {cluster!r} is in stratum {first[0]!r} on line {first[1]} and "
                    f"{stratum!r} here; resolve the conflict before estimating",
                    file=file,
                    line=line,
                    field=strata,
                )
        names.add(name)
        clusters.setdefault(cluster, set()).add(name)
    lists = tuple(sorted(names))
    if len(lists) < MIN_LISTS:
        raise CaptureTableError(
            f"needs at least {MIN_LISTS} lists to estimate what no list recorded, found "
            f"{len(lists)}: {', '.join(lists) or 'none'}",
            file=file,
            field="list",
        )
    if len(lists) > MAX_LISTS:
        raise CaptureTableError(
            f"at most {MAX_LISTS} lists are supported, found {len(lists)}: {', '.join(lists)}",
            file=file,
            field="list",
        )
    tally: dict[str | None, dict[tuple[int, ...], tuple[int, int]]] = {}
    for cluster, on in clusters.items():
        stratum = cluster_stratum[cluster][0] if strata is not None else None
        key = tuple(int(name in on) for name in lists)
        seen = tally.setdefault(stratum, {})
        line, count = seen.get(key, (0, 0))
        seen[key] = (line, count + 1)
    return _tables(lists, tally, file)


def _tables(
    lists: tuple[str, ...],
    cells: dict[str | None, dict[tuple[int, ...], tuple[int, int]]],
    file: str,
) -> dict[str | None, CaptureTable]:
    if not cells:
        raise CaptureTableError("no rows: the capture table is empty", file=file)
    tables: dict[str | None, CaptureTable] = {}
    for stratum in sorted(cells, key=lambda s: (s is not None, s or "")):
        seen = cells[stratum]
        if sum(count for _, count in seen.values()) == 0:
            label = f"stratum {stratum!r}" if stratum is not None else "the table"
            raise CaptureTableError(f"empty stratum: {label} records nobody", file=file)
        tables[stratum] = CaptureTable(
            lists,
            np.array(list(seen), dtype=np.int64),
            np.array([count for _, count in seen.values()], dtype=np.int64),
            stratum,
        )
    return tables


def read_capture_csv(
    path_or_text: str | Path, strata: str | None = None
) -> dict[str | None, CaptureTable]:
    """Read a capture table CSV (file path, or the CSV text itself) into tables by stratum.

    Without ``strata`` the result is ``{None: table}``. Raises :class:`CaptureTableError`
    naming the file, line and field of the first problem.
    """
    file, text = _source(path_or_text)
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip() for name in (reader.fieldnames or [])]
    if not header:
        raise CaptureTableError("no header row", file=file, line=1)
    reader.fieldnames = header
    if len(set(header)) != len(header):
        repeated = sorted({name for name in header if header.count(name) > 1})
        raise CaptureTableError(f"repeated column {repeated[0]!r}", file=file, line=1)
    if strata is not None and strata not in header:
        raise CaptureTableError(
            f"no strata column {strata!r}; columns are {', '.join(header)}", file=file, line=1
        )
    rows: list[tuple[int, dict[str, str]]] = []
    for row in reader:
        if None in row:
            raise CaptureTableError("more values than columns", file=file, line=reader.line_num)
        if all(not (value or "").strip() for value in row.values()):
            continue
        rows.append((reader.line_num, {k: v or "" for k, v in row.items()}))
    if all(name in header for name in LINKED):
        return _read_linked(rows, strata, file)
    if COUNT not in header:
        raise CaptureTableError(
            f"expected 0/1 list columns and a {COUNT!r} column, or linked records "
            f"({', '.join(LINKED)}); columns are {', '.join(header)}",
            file=file,
            line=1,
        )
    return _read_patterns(rows, header, strata, file)


def write_capture_csv(
    tables: CaptureTable | Iterable[CaptureTable], strata: str = "stratum"
) -> str:
    """The patterns form of one table, or of several (with a ``strata`` column), as CSV text."""
    group = [tables] if isinstance(tables, CaptureTable) else list(tables)
    if not group:
        raise CaptureTableError("no tables to write")
    with_strata = any(table.stratum is not None for table in group)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(([strata] if with_strata else []) + list(group[0].lists) + [COUNT])
    for table in group:
        for pattern, count in zip(table.patterns, table.counts, strict=True):
            lead = [table.stratum or ""] if with_strata else []
            writer.writerow(lead + [int(v) for v in pattern] + [int(count)])
    return out.getvalue()
