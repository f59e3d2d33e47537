"""Reading the cells of a victim-list file: CSV, XLSX and ODS into a ``Table``.

This is the first step of reading a list (``lists.read_records`` is the second: it maps the
columns and makes the records). ``read_table`` finds the format from the content (a zip archive
holding a workbook or a spreadsheet document, else CSV). CSV text is decoded from its byte-order
mark (UTF-8, UTF-16 LE/BE), else as UTF-16 without a mark when the bytes show its pattern (NUL
bytes, or Arabic letters' 0x06 bytes, at every other position), else as strict UTF-8, else as
Windows-1256 when the text that gives is plausibly Persian or Arabic; anything else is an
"unknown encoding". The delimiter (comma, semicolon or tab) is the one the header line uses
most. Quoted fields may hold newlines; each row keeps the line it starts on (for sheets, its
row number). The first non-empty row is the header; rows whose cells are all empty are skipped.

Every problem names the file, the line and the field (``Problem``). A file that cannot be used
(unreadable or empty, an old .xls file, an unknown encoding, no header) raises ``ListError``;
rows left out (a malformed CSV row: unbalanced quotes, more fields than headers) and sheets
after the first that hold cells (they are not read) are non-fatal problems in
``Table.problems``. Nothing here knows the columns of the list contract.
"""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Problem", "ListError", "Table", "read_table"]


@dataclass(frozen=True)
class Problem:
    """What is wrong, and where: ``file``, ``line`` (or sheet row) and ``field`` when known."""

    file: str
    line: int | None
    field: str | None
    message: str
    fatal: bool = True

    def __str__(self) -> str:
        where = [self.file]
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.field is not None:
            where.append(f"field {self.field}")
        return f"{', '.join(where)}: {self.message}"


class ListError(ValueError):
    """A list that cannot be used as it is; ``problems`` names every problem found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the list"
        super().__init__("\n".join([head, *(str(p) for p in self.problems)]))


@dataclass
class Table:
    """The cells of a list file: ``headers``, then ``rows`` of strings, each starting on the
    line (CSV) or row number (sheets) in ``lines``."""

    path: Path
    format: str  # "csv", "xlsx" or "ods"
    encoding: str | None  # of a CSV file: "utf-8", "utf-8-sig", "utf-16-le", "utf-16-be", "cp1256"
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    #: problems that leave the table usable: rows left out, sheets not read (never fatal)
    problems: list[Problem] = field(default_factory=list)
    header_line: int = 1  # line (CSV) or row number (sheets) of the header


# ------------------------------------------------------------------------------- reading


def read_table(path: Path) -> Table:
    """Read the cells of a CSV, XLSX or ODS file.

    Raises ``ListError`` when the file cannot be used (a fatal problem: unreadable, unknown
    encoding, no header); rows that cannot be read (malformed CSV, cells
    beyond the last header) and sheets that are not read are in ``Table.problems``.
    """
    table, problems = _read(Path(path))
    if table is None or any(p.fatal for p in problems):
        raise ListError(problems)
    table.problems = problems
    return table


def _read(path: Path) -> tuple[Table | None, list[Problem]]:
    """The table (None when nothing can be read) and the problems found reading it."""
    name = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, [Problem(name, None, None, f"cannot read the file: {exc.strerror or exc}")]
    if not data.strip():
        return None, [Problem(name, None, None, "the file is empty")]
    if data.startswith(b"PK\x03\x04"):
        return _read_zip(path, data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return None, [
            Problem(
                name,
                None,
                None,
                "an old Excel (.xls) or other OLE file is not supported: save it as .xlsx, .ods or CSV",
            )
        ]
    text, encoding, problem = _decode(data, name)
    if problem is not None or text is None:
        return None, [problem or Problem(name, None, None, "unknown encoding")]
    return _read_csv(path, text, encoding)


def _read_zip(path: Path, data: bytes) -> tuple[Table | None, list[Problem]]:
    name = str(path)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            mime = archive.read("mimetype").strip() if "mimetype" in names else b""
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        return None, [Problem(name, None, None, f"not a readable spreadsheet: {exc}")]
    if mime == b"application/vnd.oasis.opendocument.spreadsheet":
        return _guarded(path, "ods", _read_ods)
    if "xl/workbook.xml" in names:
        return _guarded(path, "xlsx", _read_xlsx)
    return None, [
        Problem(name, None, None, "a zip archive that is neither an XLSX workbook nor an ODS file")
    ]


def _guarded(
    path: Path, kind: str, reader: Callable[[Path], tuple[Table | None, list[Problem]]]
) -> tuple[Table | None, list[Problem]]:
    try:
        return reader(path)
    except Exception as exc:  # noqa: BLE001 - any parser failure is a problem with this file
        return None, [Problem(str(path), None, None, f"not a readable {kind.upper()} file: {exc}")]


# ------------------------------------------------------------------------------- encodings

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
_UNKNOWN = (
    "unknown encoding: the file is not UTF-8, UTF-16 or Windows-1256 Persian text; "
    "save it as UTF-8 CSV"
)


def _decode(data: bytes, name: str) -> tuple[str | None, str | None, Problem | None]:
    """The text, its encoding, or a problem."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _strict(data[len(bom) :], encoding, name, f"after a {encoding} byte-order mark")
    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        return _strict(data, utf16, name, "(detected from the byte pattern)")
    try:
        return data.decode("utf-8"), "utf-8", None
    except UnicodeDecodeError:
        pass
    text = data.decode("cp1256", errors="replace")
    if "\ufffd" not in text and _plausibly_arabic_script(text):
        return text, "cp1256", None
    return None, None, Problem(name, None, None, _UNKNOWN)


def _strict(
    data: bytes, encoding: str, name: str, how: str
) -> tuple[str | None, str | None, Problem | None]:
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    try:
        return data.decode(codec), encoding, None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n" if codec == "utf-8" else "\n".encode(codec)) + 1
        return None, None, Problem(name, line, None, f"not valid {codec} {how}: {exc.reason}")


def _utf16_without_bom(data: bytes) -> str | None:
    """Whether the bytes look like UTF-16 text: "utf-16-le", "utf-16-be" or None.

    Text in UTF-8 or Windows-1256 has no NUL bytes, and no 0x06 bytes: in UTF-16 every ASCII
    character has a NUL byte and every Arabic letter a 0x06 byte, on the same side of each pair.
    """
    sample = data[:8192]
    sample = sample[: len(sample) - len(sample) % 2]
    if len(sample) < 2:
        return None
    even, odd = sample[0::2], sample[1::2]
    pairs = len(even)

    def high(half: bytes) -> int:  # bytes of a pair that are the high byte of ASCII or Arabic
        return half.count(0) + half.count(6)

    if high(odd) >= 0.9 * pairs and high(even) < 0.1 * pairs:
        return "utf-16-le"
    if high(even) >= 0.9 * pairs and high(odd) < 0.1 * pairs:
        return "utf-16-be"
    return None


def _plausibly_arabic_script(text: str) -> bool:
    """Whether non-ASCII letters are mostly Arabic-script ones (Persian text in Windows-1256),
    judged on the first million characters."""
    arabic = other = 0
    for char in text[: 1 << 20]:
        if char.isascii() or not char.isalpha():
            continue
        if "\u0600" <= char <= "\u06ff":
            arabic += 1
        else:
            other += 1
    return arabic > 0 and arabic >= 4 * other


# ------------------------------------------------------------------------------------ CSV

_DELIMITERS = (",", ";", "\t")


def _sniff_delimiter(text: str) -> str:
    """The delimiter the header line uses most (outside quotes); comma when it uses none."""
    counts = dict.fromkeys(_DELIMITERS, 0)
    quoted = False
    start = len(text) - len(text[:4096].lstrip("\r\n")) if text[:1] in "\r\n" else 0
    for char in text[start : start + 65536]:
        if char == '"':
            quoted = not quoted
        elif not quoted:
            if char in "\r\n":
                break
            if char in counts:
                counts[char] += 1
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_csv(path: Path, text: str, encoding: str | None) -> tuple[Table | None, list[Problem]]:
    name = str(path)
    problems: list[Problem] = []
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text), strict=True
    )
    headers: list[str] | None = None
    table: Table | None = None
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            why = str(exc)
            if "unexpected end of data" in why:
                why = "a quoted field that starts here is never closed (unbalanced quotes)"
            problems.append(
                Problem(name, start, None, f"malformed CSV: {why}; the row is left out", False)
            )
            continue
        if not any(cell.strip() for cell in row):
            continue
        if headers is None:
            headers = [cell.strip().strip("\ufeff").strip() for cell in row]
            table = Table(path, "csv", encoding, headers, header_line=start)
            continue
        assert table is not None
        _add_row(table, row, start, problems)
    if table is None:
        return None, [*problems, Problem(name, None, None, "the file has no header row")]
    return table, problems


def _add_row(table: Table, row: list[str], line: int, problems: list[Problem]) -> None:
    width = len(table.headers)
    if len(row) > width:
        if any(cell.strip() for cell in row[width:]):
            why = (
                "a delimiter or a quote is probably missing"
                if table.format == "csv"
                else "cells right of the last header have no column"
            )
            problems.append(
                Problem(
                    str(table.path),
                    line,
                    None,
                    f"the row has {len(row)} fields but the header has {width}: {why}; "
                    "the row is left out",
                    False,
                )
            )
            return
        row = row[:width]
    elif len(row) < width:
        row = row + [""] * (width - len(row))
    table.rows.append(row)
    table.lines.append(line)


# --------------------------------------------------------------------------------- sheets


def _cell_text(value: Any) -> str:
    """A spreadsheet value as text: whole numbers without ".0", dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value).strip()


def _sheet_table(
    path: Path, kind: str, rows: Iterable[tuple[int, list[str]]]
) -> tuple[Table | None, list[Problem]]:
    """A table from (row number, cells) pairs, the first non-empty row being the header."""
    name = str(path)
    table: Table | None = None
    problems: list[Problem] = []
    for number, cells in rows:
        if not any(cells):
            continue
        if table is None:
            while cells and not cells[-1]:
                cells.pop()
            table = Table(path, kind, None, cells, header_line=number)
            continue
        _add_row(table, cells, number, problems)
    if table is None:
        return None, [Problem(name, None, None, "the first sheet is empty")]
    return table, problems


def _other_sheets(name: str, sheets: list[tuple[str, bool]]) -> list[Problem]:
    """A problem for each sheet after the first that holds anything: only the first is read."""
    return [
        Problem(
            name,
            None,
            None,
            f"sheet {title!r} is not read (only the first sheet is): move its rows to the first "
            "sheet or save it as a file of its own",
            False,
        )
        for title, filled in sheets[1:]
        if filled
    ]


def _read_xlsx(path: Path) -> tuple[Table | None, list[Problem]]:
    import openpyxl  # type: ignore[import-untyped]

    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheets = workbook.worksheets
        if not sheets:
            return None, [Problem(str(path), None, None, "the workbook has no sheet")]

        def rows() -> Iterable[tuple[int, list[str]]]:
            for number, values in enumerate(sheets[0].iter_rows(values_only=True), 1):
                yield number, [_cell_text(v) for v in values]

        table, problems = _sheet_table(path, "xlsx", rows())
        filled = [("", True)] + [
            (
                sheet.title,
                any(
                    v is not None and str(v).strip()
                    for r in sheet.iter_rows(values_only=True)
                    for v in r
                ),
            )
            for sheet in sheets[1:]
        ]
        return table, problems + _other_sheets(str(path), filled)
    finally:
        workbook.close()


def _read_ods(path: Path) -> tuple[Table | None, list[Problem]]:
    from odf import teletype  # type: ignore[import-untyped]
    from odf.namespaces import OFFICENS, TABLENS  # type: ignore[import-untyped]
    from odf.opendocument import load  # type: ignore[import-untyped]
    from odf.table import Table as OdfTable  # type: ignore[import-untyped]
    from odf.table import TableCell, TableRow
    from odf.text import P  # type: ignore[import-untyped]

    def attr(element: Any, ns: str, key: str) -> str | None:
        value = element.attributes.get((ns, key))
        return None if value is None else str(value)

    def value_of(cell: Any) -> str:
        kind = attr(cell, OFFICENS, "value-type")
        if kind in ("float", "percentage", "currency"):
            number = attr(cell, OFFICENS, "value")
            if number is not None:
                return (
                    _cell_text(float(number)) if "." in number or "e" in number.lower() else number
                )
        elif kind == "date":
            stamp = attr(cell, OFFICENS, "date-value") or ""
            return stamp[:10] if stamp.endswith("T00:00:00") or len(stamp) == 10 else stamp
        elif kind == "boolean":
            return (attr(cell, OFFICENS, "boolean-value") or "").upper()
        return "\n".join(teletype.extractText(p) for p in cell.getElementsByType(P)).strip()

    def cells_of(row: Any) -> list[str]:
        cells: list[str] = []
        pending = 0  # empty cells not yet known to come before a filled one
        for cell in row.childNodes:
            if cell.qname[1] not in ("table-cell", "covered-table-cell"):
                continue
            repeat = int(attr(cell, TABLENS, "number-columns-repeated") or 1)
            text = value_of(cell)
            if not text:
                pending += repeat
                continue
            cells.extend([""] * pending)
            pending = 0
            cells.extend([text] * min(repeat, 1024))
        return cells

    def rows(table: Any) -> Iterable[tuple[int, list[str]]]:
        number = 0
        for row in table.getElementsByType(TableRow):
            repeat = int(attr(row, TABLENS, "number-rows-repeated") or 1)
            cells = cells_of(row)
            if not any(cells):
                number += repeat
                continue
            for _ in range(min(repeat, 1 << 20)):
                number += 1
                yield number, list(cells)

    _ = TableCell  # imported for its registration of the cell element
    document = load(str(path))
    tables = document.spreadsheet.getElementsByType(OdfTable)
    if not tables:
        return None, [Problem(str(path), None, None, "the spreadsheet has no sheet")]
    table, problems = _sheet_table(path, "ods", rows(tables[0]))
    filled = [("", True)] + [
        (str(attr(t, TABLENS, "name")), any(any(c) for _, c in rows(t))) for t in tables[1:]
    ]
    return table, problems + _other_sheets(str(path), filled)
