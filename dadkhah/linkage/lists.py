"""Reading victim lists: CSV, XLSX and ODS files into ``ListRecord`` rows.

A list has the columns of the victim-list contract (``COLUMNS``, see ARCHITECTURE.md), under
those names or under usual English and Persian headers (``guess_mapping``). Reading happens in
two steps:

- ``read_table`` (in ``listfile``) reads the cells: the format and the encoding are found from
  the content, the delimiter from the header line; each row keeps the line it starts on (for
  sheets, its row number).
- ``read_records`` maps the columns, checks every row and makes one ``ListRecord`` per row.

``Problem``, ``ListError``, ``Table`` and ``read_table`` are defined in ``listfile`` and are
part of this module's public surface too, so callers import everything from here.

Every problem names the file, the line and the field (``Problem``). Fatal problems make the
list unusable as a whole (an unreadable file, an unknown encoding, no header, no name or
record_id column, a mapping naming a header the file lacks or one that repeats, a duplicated
``record_id``, an empty list); the others concern one row or one value: a malformed CSV row
(unbalanced quotes, more fields than headers), a missing ``record_id`` or list name, or a value
holding a NUL character (the row is left out), a year, gender or death date that cannot be read
(the value is emptied), a sheet after the first that holds cells (it is not read). With ``on_error="stop"`` any problem raises
``ListError`` listing all of them, after the whole file has been read; with
``on_error="report"`` fatal problems still raise, and otherwise the records and the problems
are returned. Nothing is dropped silently: every row read is a record or is named in a
problem. Rows whose cells are all empty are not rows of the list and are skipped.
"""

from __future__ import annotations

import gc
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from dadkhah.linkage.listfile import ListError, Problem, Table, read_table

__all__ = [
    "COLUMNS",
    "Problem",
    "ListError",
    "ListRecord",
    "Table",
    "OnError",
    "read_table",
    "guess_mapping",
    "read_records",
]

COLUMNS = (
    "record_id",
    "list",
    "full_name",
    "father_name",
    "birth_year",
    "gender",
    "city",
    "prison",
    "death_date",
)

OnError = Literal["stop", "report"]

#: In a mapping, a column may be several headers joined by this: their cells are joined by a space
#: (a given name and a surname in two columns make the full name).
JOIN = " + "


@dataclass(frozen=True, slots=True)
class ListRecord:
    """One row of a list, values as written (stripped; empty cells are None)."""

    record_id: str
    list: str
    full_name: str | None
    father_name: str | None
    birth_year: str | None
    gender: str | None
    city: str | None
    prison: str | None
    death_date: str | None
    file: str
    line: int


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while a loop makes millions of objects and no cycles:
    its passes over them would otherwise take a third of the time of reading a large list."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# -------------------------------------------------------------------------------- mapping

_SYNONYMS: dict[str, tuple[str, ...]] = {
    "record_id": (
        "record_id", "id", "record", "record no", "record number", "no", "number", "nr", "#",
        "row", "ref", "reference", "ردیف", "شماره", "شماره ردیف", "شناسه", "کد", "شماره پرونده",
    ),
    "list": (
        "list", "list name", "source list", "source", "list id", "فهرست", "لیست", "منبع",
        "نام فهرست", "نام لیست",
    ),
    "full_name": (
        "full_name", "full name", "name", "name and surname", "victim", "victim name", "person",
        "نام و نام خانوادگی", "نام کامل", "نام و نام خانوادگی قربانی", "نام و فامیل",
        "نام قربانی", "اسم و فامیل", "مشخصات", "نام", "اسم",
    ),
    "father_name": (
        "father_name", "father name", "fathers name", "name of father", "father", "patronymic",
        "نام پدر", "پدر", "اسم پدر", "فرزند",
    ),
    "birth_year": (
        "birth_year", "birth year", "year of birth", "yob", "born", "birth", "date of birth",
        "birth date", "dob", "سال تولد", "تولد", "متولد", "تاریخ تولد", "سال ولادت",
    ),
    "gender": ("gender", "sex", "جنسیت", "جنس"),
    "city": (
        "city", "town", "city of execution", "place of execution", "place", "province",
        "شهر", "محل", "محل اعدام", "شهر محل اعدام", "استان", "محل سکونت",
    ),
    "prison": (
        "prison", "jail", "place of detention", "prison of execution", "زندان", "محل زندان",
        "زندان محل اعدام", "بازداشتگاه",
    ),
    "death_date": (
        "death_date", "death date", "date of death", "date of execution", "execution date",
        "executed", "died", "death", "date", "تاریخ اعدام", "تاریخ شهادت", "تاریخ فوت",
        "تاریخ مرگ", "تاریخ جانباختن", "تاریخ", "زمان اعدام",
    ),
}  # fmt: skip
_GIVEN = ("first name", "given name", "forename", "نام", "اسم", "نام کوچک", "name")
_FAMILY = ("last name", "surname", "family name", "family", "نام خانوادگی", "فامیلی", "شهرت")

_HEADER_FOLD = str.maketrans(
    {"ي": "ی", "ى": "ی", "ك": "ک", "\u200c": " ", "\u200d": None, "_": " ", "-": " ", ".": " ",
     "/": " ", "(": " ", ")": " ", ":": " ", "'": None, "’": None, "\ufeff": None}
)  # fmt: skip


@lru_cache(maxsize=4096)
def _header_key(header: str) -> str:
    folded = unicodedata.normalize("NFC", header).translate(_HEADER_FOLD).casefold()
    return " ".join(folded.split())


def guess_mapping(headers: list[str]) -> dict[str, str | None]:
    """Contract column -> the header that holds it (None when no header does).

    A header named after the column wins; then the English and Persian synonyms, in order of
    preference, case, spacing, underscores and Arabic letter forms aside. With no full-name
    header but a given-name and a surname header, ``full_name`` is both joined by ``JOIN``.
    """
    keys = [_header_key(h) for h in headers]
    used: set[int] = set()
    mapping: dict[str, str | None] = dict.fromkeys(COLUMNS)

    def take(column: str, synonyms: Sequence[str]) -> bool:
        for synonym in synonyms:
            wanted = _header_key(synonym)
            for i, key in enumerate(keys):
                if key == wanted and i not in used and headers[i]:
                    used.add(i)
                    mapping[column] = headers[i]
                    return True
        return False

    for column in COLUMNS:  # the contract's own names first
        take(column, (column, column.replace("_", " ")))
    given = family = None
    if mapping["full_name"] is None:
        given_i = _find(keys, _GIVEN, used)
        family_i = _find(keys, _FAMILY, used | ({given_i} if given_i is not None else set()))
        if given_i is not None and family_i is not None:
            given, family = headers[given_i], headers[family_i]
            used.update((given_i, family_i))
            mapping["full_name"] = f"{given}{JOIN}{family}"
    for column in COLUMNS:
        if mapping[column] is None:
            take(column, _SYNONYMS[column])
    return mapping


def _find(keys: list[str], synonyms: Sequence[str], used: set[int]) -> int | None:
    for synonym in synonyms:
        wanted = _header_key(synonym)
        for i, key in enumerate(keys):
            if key == wanted and i not in used:
                return i
    return None


def _resolve(
    table: Table, mapping: dict[str, str | None] | None
) -> tuple[dict[str, list[int]], list[Problem]]:
    """Column -> the indexes of its headers, from the guess overridden by ``mapping``."""
    name = str(table.path)
    problems: list[Problem] = []
    chosen = guess_mapping(table.headers)
    if mapping is not None:
        unknown = sorted(set(mapping) - set(COLUMNS))
        for column in unknown:
            problems.append(
                Problem(
                    name, None, column, f"not a list column; the columns are {', '.join(COLUMNS)}"
                )
            )
        given = {c: h for c, h in mapping.items() if c in COLUMNS}
        taken = {h for h in given.values() if h is not None}
        for column, header in list(chosen.items()):
            if column not in given and header is not None and header in taken:
                chosen[column] = None  # the user put this header elsewhere
        chosen.update(given)
    by_header = {h: i for i, h in reversed(list(enumerate(table.headers))) if h}
    by_key = {_header_key(h): i for i, h in reversed(list(enumerate(table.headers))) if h}
    indexes: dict[str, list[int]] = {}
    for column, spec in chosen.items():
        if spec is None:
            continue
        parts = [p.strip() for p in spec.split(JOIN)] if JOIN in spec else [spec]
        found = []
        for part in parts:
            i = by_header.get(part, by_key.get(_header_key(part)))
            if i is None:
                shown = ", ".join(repr(h) for h in table.headers if h)
                problems.append(
                    Problem(
                        name,
                        table.header_line,
                        column,
                        f"the mapping names header {part!r}, which the file does not have "
                        f"(its headers: {shown})",
                    )
                )
                continue
            same = [j + 1 for j, h in enumerate(table.headers) if h == table.headers[i]]
            if len(same) > 1:
                problems.append(
                    Problem(
                        name,
                        table.header_line,
                        column,
                        f"header {table.headers[i]!r} repeats in columns "
                        f"{', '.join(map(str, same))}: rename them so that each says what it holds",
                    )
                )
                continue
            found.append(i)
        if found and len(found) == len(parts):
            indexes[column] = found
    if "full_name" not in indexes and not any(p.field == "full_name" for p in problems):
        shown = ", ".join(repr(h) for h in table.headers if h)
        problems.append(
            Problem(
                name,
                None,
                "full_name",
                f"no name column: none of the headers ({shown}) is a name; name it full_name "
                "or give a mapping",
            )
        )
    if "record_id" not in indexes and not any(p.field == "record_id" for p in problems):
        problems.append(
            Problem(name, None, "record_id", "no record_id column: every list row needs an id")
        )
    return indexes, problems


# -------------------------------------------------------------------------------- records


def read_records(
    path: Path,
    *,
    mapping: dict[str, str | None] | None = None,
    list_name: str | None = None,
    on_error: OnError = "stop",
) -> tuple[list[ListRecord], list[Problem]]:
    """The records of a list file, and the problems found (see the module docstring).

    ``mapping`` overrides the guessed header of each column it names (None ignores a column;
    headers joined by ``JOIN`` are joined by a space). ``list_name`` names the list of rows
    whose ``list`` cell is empty or that have no ``list`` column.
    """
    if on_error not in ("stop", "report"):
        raise ValueError(f"on_error must be 'stop' or 'report', not {on_error!r}")
    path = Path(path)
    name = str(path)
    with paused_gc():
        table = read_table(path)
    problems = list(table.problems)
    indexes, mapping_problems = _resolve(table, mapping)
    problems.extend(mapping_problems)
    if "list" not in indexes and not list_name and not any(p.field == "list" for p in problems):
        problems.append(
            Problem(name, None, "list", "no list column: add one, or give the list's name")
        )
    if any(p.fatal for p in mapping_problems) or ("list" not in indexes and not list_name):
        raise ListError(problems)

    from dadkhah.linkage.prepare import checker  # prepare imports this module

    default_list = list_name.strip() if list_name else None

    # Where each column's cells are: one index (the usual case), several (joined), or none.
    picks = [indexes.get(column) for column in COLUMNS]
    checks = [
        (COLUMNS.index(c), check)
        for c in ("birth_year", "gender", "death_date")
        if c in indexes and (check := checker(c)) is not None
    ]
    with paused_gc():
        records = _records(table, picks, checks, default_list, problems)
    if not records and not any(p.fatal for p in problems):
        why = "the list has no records" if not table.rows else "no row of the list could be read"
        problems.append(Problem(name, None, None, why))
    if (on_error == "stop" and problems) or any(p.fatal for p in problems):
        raise ListError(problems)
    return records, problems


def _records(
    table: Table,
    picks: list[list[int] | None],
    checks: list[tuple[int, Callable[[str], str | None]]],
    default_list: str | None,
    problems: list[Problem],
) -> list[ListRecord]:
    """One record per row of ``table``; the rows left out and the values emptied are added
    to ``problems``."""
    name = str(table.path)
    records: list[ListRecord] = []
    seen: dict[tuple[str, str], int] = {}
    for row, line in zip(table.rows, table.lines, strict=True):
        values: list[str | None] = [
            None
            if pick is None
            else (row[pick[0]].strip() or None)
            if len(pick) == 1
            else (" ".join(v for v in (row[i].strip() for i in pick) if v) or None)
            for pick in picks
        ]
        if nul := [COLUMNS[i] for i, v in enumerate(values) if v is not None and "\x00" in v]:
            why = "contains a NUL character (0x00): the row is left out"
            problems.append(Problem(name, line, nul[0], why, False))
            continue
        record_id = values[0]
        if record_id is None:
            problems.append(
                Problem(name, line, "record_id", "missing record_id: the row is left out", False)
            )
            continue
        list_ = values[1] or default_list
        if list_ is None:
            problems.append(
                Problem(name, line, "list", "missing list name: the row is left out", False)
            )
            continue
        first = seen.setdefault((list_, record_id), line)
        if first != line:
            problems.append(
                Problem(
                    name,
                    line,
                    "record_id",
                    f"duplicated record_id {record_id!r} in list {list_!r}: also on line {first}",
                )
            )
            continue
        for i, check in checks:
            value = values[i]
            if value is not None and (message := check(value)) is not None:
                problems.append(Problem(name, line, COLUMNS[i], message, False))
                values[i] = None
        full_name, father_name, birth_year, gender, city, prison, death_date = values[2:]
        records.append(
            ListRecord(
                record_id,
                list_,
                full_name,
                father_name,
                birth_year,
                gender,
                city,
                prison,
                death_date,
                name,
                line,
            )
        )
    return records
