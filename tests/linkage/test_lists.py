"""Reading victim lists: encodings, CSV dialects, sheets, column mapping and problems.

Every fixture file is written into ``tmp_path`` by the test that reads it.
"""

from __future__ import annotations

import datetime
import os
import random
from pathlib import Path

import pytest

from dadkhah.linkage.lists import (
    COLUMNS,
    JOIN,
    ListError,
    ListRecord,
    Problem,
    guess_mapping,
    read_records,
    read_table,
)

HEADER = ",".join(COLUMNS)
PERSIAN_ROWS = [
    ["1", "خانواده", "محمد رضایی", "علی", "۱۳۴۰", "مرد", "تهران", "اوین", "۱۳۶۷/۰۵/۲۳"],
    ["2", "خانواده", "فاطمه کریمی", "حسن", "1338", "زن", "رشت", "لاکان", "Mordad 1367"],
    ["3", "خانواده", "ژاله گودرزی", "", "", "", "کرمانشاه", "دیزل‌آباد", ""],
]


def csv_text(rows: list[list[str]], header: str = HEADER, sep: str = ",") -> str:
    return "\n".join([header.replace(",", sep), *(sep.join(r) for r in rows)]) + "\n"


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


# ------------------------------------------------------------------------------ encodings


@pytest.mark.parametrize(
    ("encoding", "prefix", "expected"),
    [
        ("utf-8", b"", "utf-8"),
        ("utf-8", b"\xef\xbb\xbf", "utf-8-sig"),
        ("cp1256", b"", "cp1256"),
        ("utf-16-le", b"\xff\xfe", "utf-16-le"),
        ("utf-16-be", b"\xfe\xff", "utf-16-be"),
        ("utf-16-le", b"", "utf-16-le"),  # no byte-order mark: found from the NUL bytes
        ("utf-16-be", b"", "utf-16-be"),
    ],
)
def test_encodings_are_detected_and_converted(tmp_path, encoding, prefix, expected):
    text = csv_text(PERSIAN_ROWS)
    names = ["محمد رضایی", "فاطمه کریمی", "ژاله گودرزی"]
    if encoding == "cp1256":  # Windows-1256 has neither Persian digits nor Persian yeh (ی)
        text = text.replace("۱۳۴۰", "1340").replace("۱۳۶۷/۰۵/۲۳", "1367/05/23")
        text, names = text.replace("ی", "ي"), [n.replace("ی", "ي") for n in names]
    path = write(tmp_path, "list.csv", prefix + text.encode(encoding))
    table = read_table(path)
    assert table.encoding == expected
    assert table.format == "csv"
    assert table.headers == list(COLUMNS)
    assert [row[2] for row in table.rows] == names
    assert table.rows[2][7].replace("ي", "ی") == "دیزل‌آباد"  # the non-joiner survives
    assert table.lines == [2, 3, 4]


def test_utf16_without_bom_and_without_ascii_is_still_found(tmp_path):
    text = "نام\nمحمد رضایی\nعلی کریمی\n"
    path = write(tmp_path, "list.csv", text.replace("\n", "\u06d4").encode("utf-16-le"))
    assert read_table(path).encoding == "utf-16-le"


def test_unknown_encoding_is_a_fatal_problem(tmp_path):
    latin1 = csv_text([["1", "ONG", "Hélène Müller", "", "", "", "Genève", "", ""]])
    path = write(tmp_path, "list.csv", latin1.encode("latin-1"))
    with pytest.raises(ListError) as caught:
        read_table(path)
    (problem,) = caught.value.problems
    assert problem.fatal and problem.file == str(path)
    assert "unknown encoding" in problem.message


def test_invalid_utf8_after_a_bom_names_the_line(tmp_path):
    data = b"\xef\xbb\xbf" + csv_text(PERSIAN_ROWS[:1]).encode() + b"4,x,\xff\xfe\n"
    with pytest.raises(ListError) as caught:
        read_table(write(tmp_path, "list.csv", data))
    assert caught.value.problems[0].line == 3


# -------------------------------------------------------------------------------- dialect


@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_delimiter_is_sniffed(tmp_path, sep):
    rows = [["1", "L", "Ali, Reza", "", "1960", "m", "Tehran", "Evin", "1988"]]
    body = csv_text([[f'"{c}"' if "," in c else c for c in r] for r in rows], sep=sep)
    table = read_table(write(tmp_path, "list.csv", body))
    assert table.headers == list(COLUMNS)
    assert table.rows[0][2] == "Ali, Reza"


def test_delimiter_of_a_header_after_blank_lines_and_of_one_column(tmp_path):
    table = read_table(write(tmp_path, "a.csv", "\n\r\nid;name\n1;Ali, Reza\n"))
    assert (table.headers, table.rows, table.lines) == (["id", "name"], [["1", "Ali, Reza"]], [4])
    table = read_table(write(tmp_path, "b.csv", "name\nAli Rezaei\n"))
    assert (table.headers, table.rows) == (["name"], [["Ali Rezaei"]])


def test_quoted_newlines_keep_the_start_line_of_each_row(tmp_path):
    body = HEADER + '\n1,L,"Ali\nRezaei",,,,,,\n\n2,L,"Hassan ""the elder"" Karimi",,,,,,\n'
    table = read_table(write(tmp_path, "list.csv", body))
    assert [r[2] for r in table.rows] == ["Ali\nRezaei", 'Hassan "the elder" Karimi']
    assert table.lines == [2, 5]  # the blank line 4 is not a row


def test_fewer_fields_are_padded_extra_empty_fields_tolerated(tmp_path):
    body = HEADER + "\n1,L,Ali Rezaei\n2,L,Reza Karimi,,,,,,,,\n"
    table = read_table(write(tmp_path, "list.csv", body))
    assert table.rows == [
        ["1", "L", "Ali Rezaei", "", "", "", "", "", ""],
        ["2", "L", "Reza Karimi", "", "", "", "", "", ""],
    ]


def test_malformed_csv_lists_every_bad_line(tmp_path):
    body = (
        HEADER
        + "\n1,L,Ali Rezaei,,,,,,\n"
        + '2,L,"Reza" Karimi,,,,,,\n'  # line 3: text after a closing quote
        + "3,L,Hassan,,1960,m,Tehran,Evin,1988,extra\n"  # line 4: more fields than the header
        + "4,L,Zahra,,,,,,\n"
        + '5,L,"never closed,,,,,,\n6,L,x,,,,,,\n'  # line 6: the quote runs to the end
    )
    table = read_table(write(tmp_path, "bad.csv", body))
    assert [r[0] for r in table.rows] == ["1", "4"]
    assert [p.line for p in table.problems] == [3, 4, 6]
    assert not any(p.fatal for p in table.problems)
    assert "unbalanced quotes" in table.problems[2].message
    assert "10 fields but the header has 9" in table.problems[1].message
    with pytest.raises(ListError) as caught:
        read_records(tmp_path / "bad.csv")  # stop: all of them
    assert caught.value.problems == table.problems
    records, problems = read_records(tmp_path / "bad.csv", on_error="report")
    assert [r.record_id for r in records] == ["1", "4"]  # the others are named in problems
    assert problems == table.problems


def test_repeated_header_is_a_problem_when_it_is_used(tmp_path):
    path = write(tmp_path, "list.csv", "\nid,name,note,name,note\n1,Ali,x,Reza,y\n")
    assert read_table(path).headers == ["id", "name", "note", "name", "note"]
    with pytest.raises(ListError) as caught:
        read_records(path, list_name="A", on_error="report")
    (problem,) = caught.value.problems
    assert (problem.line, problem.field, problem.fatal) == (2, "full_name", True)
    assert "header 'name' repeats in columns 2, 4" in problem.message
    unused = write(tmp_path, "other.csv", "id,name,note,note\n1,Ali,x,y\n")
    records, problems = read_records(unused, list_name="A")  # an unused repeat is harmless
    assert [r.full_name for r in records] == ["Ali"] and problems == []


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"", "the file is empty"), (b" \n\n", "the file is empty"), (b",,\n,,\n", "no header row")],
)
def test_empty_files(tmp_path, data, message):
    with pytest.raises(ListError, match=message):
        read_table(write(tmp_path, "list.csv", data))


def test_missing_file(tmp_path):
    with pytest.raises(ListError, match="cannot read the file"):
        read_table(tmp_path / "nowhere.csv")


# --------------------------------------------------------------------------------- sheets


def test_xlsx(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["ردیف", "فهرست", "نام و نام خانوادگی", "نام پدر", "سال تولد", "تاریخ اعدام"])
    sheet.append([7, "A", "محمد رضايي", "علي", 1340.0, datetime.datetime(1988, 8, 14)])
    sheet.append([None, None, None, None, None, None])  # blank row: not a row of the list
    sheet.append(["008", "A", "Reza Karimi", None, 1961, "Mordad 1367"])
    path = tmp_path / "list.xlsx"
    workbook.save(path)
    table = read_table(path)
    assert (table.format, table.encoding) == ("xlsx", None)
    assert table.rows[0] == ["7", "A", "محمد رضايي", "علي", "1340", "1988-08-14"]
    assert table.lines == [2, 4]
    records, problems = read_records(path)
    assert problems == []
    assert [(r.record_id, r.full_name, r.birth_year, r.line) for r in records] == [
        ("7", "محمد رضايي", "1340", 2),
        ("008", "Reza Karimi", "1961", 4),
    ]
    assert records[0].death_date == "1988-08-14"


def test_xlsx_second_sheet_with_rows_is_named(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    workbook = openpyxl.Workbook()
    workbook.active.append(["record_id", "list", "full_name"])
    workbook.active.append(["1", "A", "Ali Rezaei"])
    workbook.create_sheet("Empty")
    workbook.create_sheet("More").append(["2", "A", "Reza Karimi"])
    path = tmp_path / "list.xlsx"
    workbook.save(path)
    with pytest.raises(ListError) as caught:
        read_records(path)
    (problem,) = caught.value.problems
    assert "sheet 'More' is not read" in problem.message and not problem.fatal
    records, problems = read_records(path, on_error="report")
    assert [r.full_name for r in records] == ["Ali Rezaei"] and problems == [problem]


def write_ods(path: Path, rows: list[list[object]], extra_sheet: bool = False) -> None:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    for title, sheet_rows in [("Victims", rows), *([("Notes", [["x"]])] if extra_sheet else [])]:
        table = Table(name=title)
        for values in sheet_rows:
            row = TableRow()
            for value in values:
                if value is None:
                    cell = TableCell(numbercolumnsrepeated=2)  # repeated empty cells
                elif isinstance(value, float | int):
                    cell = TableCell(valuetype="float", value=value)
                    cell.addElement(P(text=str(value)))
                elif isinstance(value, datetime.date):
                    cell = TableCell(valuetype="date", datevalue=value.isoformat())
                    cell.addElement(P(text=value.strftime("%d/%m/%Y")))
                else:
                    cell = TableCell(valuetype="string")
                    for line in str(value).split("\n"):
                        cell.addElement(P(text=line))
                row.addElement(cell)
            table.addElement(row)
        table.addElement(TableRow(numberrowsrepeated=1000))  # trailing empty rows, as saved
        document.spreadsheet.addElement(table)
    document.save(str(path))


def test_ods(tmp_path):
    pytest.importorskip("odf")
    path = tmp_path / "list.ods"
    write_ods(
        path,
        [
            ["Record ID", "List", "Name", "Father's name", "Year of birth", "Date of death"],
            [1, "B", "Ebrahim\nRaisi", "Ali", 1960.0, datetime.date(1988, 8, 14)],
            [],
            [2.0, "B", "ابراهیم رئیسی", None, "Mordad 1367"],  # None: two empty cells
        ],
    )
    table = read_table(path)
    assert table.format == "ods"
    assert table.rows[0] == ["1", "B", "Ebrahim\nRaisi", "Ali", "1960", "1988-08-14"]
    assert table.rows[1][:4] == ["2", "B", "ابراهیم رئیسی", ""]
    assert table.rows[1][5] == "Mordad 1367"  # after two repeated empty cells
    assert table.lines == [2, 4]
    records, _ = read_records(path)
    assert [r.record_id for r in records] == ["1", "2"]


def test_ods_second_sheet_is_named(tmp_path):
    pytest.importorskip("odf")
    path = tmp_path / "list.ods"
    write_ods(path, [["id", "list", "name"], ["1", "A", "Ali"]], extra_sheet=True)
    with pytest.raises(ListError, match="sheet 'Notes' is not read"):
        read_records(path)


def test_old_excel_and_foreign_zip_are_refused(tmp_path):
    with pytest.raises(ListError, match=r"\.xls"):
        read_table(write(tmp_path, "old.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 100))
    import zipfile

    path = tmp_path / "some.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(ListError, match="neither an XLSX workbook nor an ODS"):
        read_table(path)


# -------------------------------------------------------------------------------- mapping


def test_guess_mapping_english_and_persian_headers():
    english = ["ID", "Source List", "Full Name", "Father's Name", "Year of Birth", "Sex",
               "City", "Prison", "Date of Execution", "Notes"]  # fmt: skip
    assert guess_mapping(english) == dict(zip(COLUMNS, english[:9], strict=True))
    persian = ["ردیف", "فهرست", "نام و نام\u200cخانوادگی", "نام پدر", "سال تولد", "جنسيت",
               "شهر", "زندان", "تاريخ اعدام"]  # fmt: skip
    assert guess_mapping(persian) == dict(zip(COLUMNS, persian, strict=True))
    contract = [c.upper() for c in COLUMNS]
    assert guess_mapping(list(reversed(contract))) == dict(zip(COLUMNS, contract, strict=True))


def test_guess_mapping_prefers_the_contract_name_and_leaves_unknowns_out():
    mapping = guess_mapping(["name", "full_name", "comment"])
    assert mapping["full_name"] == "full_name"
    assert mapping["record_id"] is None and mapping["death_date"] is None


def test_given_name_and_surname_columns_are_joined(tmp_path):
    headers = ["شماره", "نام", "نام خانوادگی", "نام پدر"]
    mapping = guess_mapping(headers)
    assert mapping["full_name"] == f"نام{JOIN}نام خانوادگی"
    assert mapping["father_name"] == "نام پدر"
    path = write(tmp_path, "list.csv", ",".join(headers) + "\n1,محمد,رضایی,علی\n2,,کریمی,\n")
    records, _ = read_records(path, list_name="خانواده")
    assert [(r.full_name, r.father_name, r.list) for r in records] == [
        ("محمد رضایی", "علی", "خانواده"),
        ("کریمی", None, "خانواده"),
    ]


@pytest.mark.parametrize(
    ("headers", "full_name"),
    [
        (["id", "First Name", "Last Name"], f"First Name{JOIN}Last Name"),
        (["id", "name", "surname"], f"name{JOIN}surname"),
        (["id", "نام", "فامیلی"], f"نام{JOIN}فامیلی"),
        (["id", "نام"], "نام"),  # alone, a name column holds the whole name
        (["id", "Name"], "Name"),
        (["id", "نام", "نام پدر"], "نام"),
    ],
)
def test_name_columns(headers, full_name):
    assert guess_mapping(headers)["full_name"] == full_name


def test_explicit_mapping_overrides_the_guess(tmp_path):
    path = write(tmp_path, "list.csv", "id,list,name,victim\n1,A,wrong,Ali Rezaei\n")
    records, _ = read_records(path, mapping={"full_name": "Victim"})
    assert records[0].full_name == "Ali Rezaei"
    with pytest.raises(ListError) as caught:
        read_records(path, mapping={"full_name": "Nom", "colour": "x"})
    messages = [str(p) for p in caught.value.problems]
    assert any("field colour: not a list column" in m for m in messages)
    assert any("field full_name: the mapping names header 'Nom'" in m for m in messages)


# -------------------------------------------------------------------------------- records


def test_records_from_a_contract_file(tmp_path):
    path = write(tmp_path, "victims.csv", csv_text(PERSIAN_ROWS))
    records, problems = read_records(path)
    assert problems == []
    assert records[0] == ListRecord(
        "1", "خانواده", "محمد رضایی", "علی", "۱۳۴۰", "مرد", "تهران", "اوین", "۱۳۶۷/۰۵/۲۳",
        str(path), 2,
    )  # fmt: skip
    assert records[2].father_name is None and records[2].death_date is None


def test_problem_text_names_file_line_and_field():
    problem = Problem("victims.csv", 12, "birth_year", "not a year: '13x7'")
    assert str(problem) == "victims.csv, line 12, field birth_year: not a year: '13x7'"
    assert str(Problem("victims.csv", None, None, "the file is empty")) == (
        "victims.csv: the file is empty"
    )
    error = ListError([problem, Problem("b.csv", 3, None, "x", False)])
    assert str(error).splitlines() == [
        "2 problems in the list",
        "victims.csv, line 12, field birth_year: not a year: '13x7'",
        "b.csv, line 3: x",
    ]


def test_no_name_column_is_fatal_and_names_the_file(tmp_path):
    path = write(tmp_path, "victims.csv", "record_id,list,city\n1,A,Tehran\n")
    for mode in ("stop", "report"):
        with pytest.raises(ListError) as caught:
            read_records(path, on_error=mode)
        (problem,) = caught.value.problems
        assert problem.fatal and problem.field == "full_name" and problem.file == str(path)
        assert "no name column" in problem.message


def test_missing_list_column_needs_a_list_name(tmp_path):
    path = write(tmp_path, "victims.csv", "record_id,full_name\n1,Ali Rezaei\n")
    with pytest.raises(ListError, match="field list: no list column"):
        read_records(path)
    records, _ = read_records(path, list_name="Amnesty 2018")
    assert records[0].list == "Amnesty 2018"


def test_empty_list_is_fatal(tmp_path):
    path = write(tmp_path, "victims.csv", HEADER + "\n\n,,,,,,,,\n")
    with pytest.raises(ListError, match="the list has no records"):
        read_records(path, on_error="report")


def test_duplicated_record_id_is_fatal_in_both_modes(tmp_path):
    rows = [["1", "A", "Ali", *[""] * 6], ["2", "A", "Reza", *[""] * 6],
            ["1", "B", "Hassan", *[""] * 6], ["1", "A", "Zahra", *[""] * 6]]  # fmt: skip
    path = write(tmp_path, "victims.csv", csv_text(rows))
    for mode in ("stop", "report"):
        with pytest.raises(ListError) as caught:
            read_records(path, on_error=mode)
        (problem,) = caught.value.problems
        assert (problem.line, problem.field, problem.fatal) == (5, "record_id", True)
        assert "duplicated record_id '1' in list 'A': also on line 2" in problem.message


def test_bad_values_stop_or_are_reported(tmp_path):
    rows = [
        ["1", "A", "Ali Rezaei", "", "13x7", "m", "", "", "1367/05/23"],
        ["2", "A", "Reza Karimi", "", "۱۳۴۰", "unknown-ish", "", "", "31/31/1988"],
        ["", "A", "Hassan Ahmadi", "", "", "", "", "", ""],
        ["4", "", "Zahra Jafari", "", "1340", "f", "", "", ""],
        ["5", "A", "Maryam Sadeghi", "", "١٣٤٢", "زن", "", "", ""],
    ]
    path = write(tmp_path, "victims.csv", csv_text(rows))
    with pytest.raises(ListError) as caught:
        read_records(path)  # stop: every problem of the file, in one error
    where = [(p.line, p.field) for p in caught.value.problems]
    assert where == [
        (2, "birth_year"), (3, "gender"), (3, "death_date"), (4, "record_id"), (5, "list"),
    ]  # fmt: skip
    assert str(caught.value.problems[0]) == (
        f"{path}, line 2, field birth_year: not a year: '13x7'"
    )
    records, problems = read_records(path, on_error="report")
    assert problems == caught.value.problems
    assert not any(p.fatal for p in problems)
    assert [r.record_id for r in records] == ["1", "2", "5"]
    assert (records[0].birth_year, records[0].death_date) == (None, "1367/05/23")
    assert (records[1].birth_year, records[1].gender, records[1].death_date) == ("۱۳۴۰", None, None)
    assert records[2].birth_year == "١٣٤٢"  # Arabic-Indic digits are a year


def test_nothing_is_silently_dropped(tmp_path):
    """Random rows, some broken: every data row is a record or named in a problem."""
    seed = int(os.environ.get("DADKHAH_TEST_SEED", "1988"))
    print(f"seed {seed} (set DADKHAH_TEST_SEED to vary it)")  # noqa: T201 - reproduces a failure
    rng = random.Random(seed)
    names = ["Ali Rezaei", "محمد کریمی", "", "Zahra, Ahmadi", 'Hassan "Ali" Jafari']
    years = ["1340", "۱۳۴۲", "1961", "", "13x7", "?", "1100"]
    genders = ["m", "f", "زن", "", "x"]
    dates = ["1367/05/23", "August 1988", "", "Mordad", "۱۳۶۷"]
    rows, lines, line = [], [], 2
    for i in range(200):
        rid = "" if rng.random() < 0.05 else str(i)
        lst = "" if rng.random() < 0.05 else rng.choice(["A", "B"])
        name = rng.choice(names)
        row = [
            rid,
            lst,
            name,
            "",
            rng.choice(years),
            rng.choice(genders),
            "",
            "",
            rng.choice(dates),
        ]
        rows.append(row)
        lines.append(line)
        line += 1
    quoted = [[f'"{c.replace(chr(34), chr(34) * 2)}"' for c in r] for r in rows]
    path = write(tmp_path, "victims.csv", csv_text(quoted))
    records, problems = read_records(path, on_error="report")
    kept = {r.line for r in records}
    left_out = {p.line for p in problems if p.field in ("record_id", "list")}
    assert kept.isdisjoint(left_out)
    assert kept | left_out == set(lines)
    for record in records:
        row = rows[lines.index(record.line)]
        assert record.full_name == (row[2] or None)
        for field, value in (("birth_year", row[4]), ("gender", row[5]), ("death_date", row[8])):
            flagged = any(p.line == record.line and p.field == field for p in problems)
            assert getattr(record, field) == (None if flagged or not value else value)
