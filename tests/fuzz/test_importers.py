"""Arbitrary files for the record importer and the victim-list reader.

Whatever the bytes (encodings, byte-order marks, ragged rows, huge fields, NUL bytes,
mixed scripts), an import either succeeds whole or is refused with its documented error
naming the file, line and field, and a refused import leaves every table as it was.
Generation is seeded (``SEED``, printed) and bounded.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from dadkhah.linkage.lists import COLUMNS as LIST_COLUMNS
from dadkhah.linkage.lists import ListError, read_records
from dadkhah.records.io import COLUMNS, import_file
from dadkhah.records.models import RECORD_MODELS, Citation, Claim, Source

SEED = 1367
FUZZ = settings(
    max_examples=40,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Cells: mostly values an importer knows (so some files import), else anything at all.
PLAUSIBLE = [
    "", "public", "internal", "restricted", "protected", "secret", "true", "false", "yes",
    "src-fuzz", "person-fuzz", "name", "date", "1367/05/23", "1367/05", "1988-08-14",
    "August 1988", "Mordad 1367", "۱۳۶۷/۰۵/۲۳", "مرداد ۱۳۶۷", "Synthetic Person",
    "علي رضايي", "كاظم", "B", "F", "publication", "https://example.org/a", "low", "high",
    "accepted", "rejected", "Evin", "اوین", "35.8, 50.9", "m", "f", "1950", "۱۳۳۰",
]  # fmt: skip
ODD = [
    "\x00", "a\x00b", "\ufeff", "\u200c", "\u202e", "\r", "\n", '"', '""', "\t", ";", ",",
    "x" * 200_000, "ي" * 70_000, "\ud7ff", "😀", "\x1b[0m",
]  # fmt: skip
cells = st.one_of(
    st.sampled_from(PLAUSIBLE),
    st.sampled_from(ODD),
    st.text(max_size=30),
    st.text(alphabet="ابپتثجحخدذرزسشصضطظعغفقکگلمنوهیيك ۰۱۲۳۴۵۶۷۸۹ -/abc", max_size=20),
)
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1256", "latin-1"]


@st.composite
def files(draw: st.DrawFn, columns: tuple[str, ...]) -> bytes:
    """A CSV file over ``columns``: a header (maybe shuffled, short or with an extra
    column), rows (maybe ragged), in some encoding, maybe with bytes mangled."""
    header = list(columns)
    if draw(st.booleans()):
        header = draw(st.permutations(header))
    shape = draw(st.sampled_from(["exact", "exact", "drop", "extra"]))
    if shape == "drop" and len(header) > 1:
        header.pop(draw(st.integers(0, len(header) - 1)))
    elif shape == "extra":
        header.append(draw(st.sampled_from(["notes", "", "id", "نام"])))
    rows = draw(st.lists(st.lists(cells, min_size=len(header), max_size=len(header)), max_size=6))
    for row in rows:
        if draw(st.integers(0, 9)) == 0:  # ragged
            row.extend(draw(st.lists(cells, min_size=1, max_size=2)))
        elif draw(st.integers(0, 9)) == 0 and row:
            row.pop()
    text = io.StringIO()
    csv.writer(text, lineterminator=draw(st.sampled_from(["\n", "\r\n"]))).writerows(
        [header, *rows]
    )
    data = text.getvalue().encode(draw(st.sampled_from(ENCODINGS)), errors="replace")
    mangle = draw(st.sampled_from(["none", "none", "cut", "insert"]))
    if mangle == "cut" and data:
        data = data[: draw(st.integers(0, len(data) - 1))]
    elif mangle == "insert":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
    return data


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | cells,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)


@st.composite
def jsonl_files(draw: st.DrawFn, columns: tuple[str, ...]) -> bytes:
    lines = []
    for _ in range(draw(st.integers(0, 5))):
        names = draw(st.lists(st.sampled_from([*columns, "kind", "extra"]), unique=True))
        obj = {name: draw(json_values) for name in names}
        lines.append(draw(st.sampled_from([json.dumps(obj), json.dumps(obj)[:-1], "[1]", ""])))
    return "\n".join(lines).encode(draw(st.sampled_from(ENCODINGS[:3])), errors="replace")


def table_counts() -> dict[str, int]:
    models: list[Any] = [Source, Claim, Citation, *RECORD_MODELS.values()]
    counts = {model.__name__: model.objects.count() for model in models}
    counts |= {f"history {m.__name__}": m.history.count() for m in models if hasattr(m, "history")}
    return counts


def check_import(kind: str, data: bytes, suffix: str, tmp: Path, user: Any) -> bool:
    """Import ``data``; True when it was imported, False when refused (and nothing kept)."""
    path = tmp / f"fuzz{suffix}"
    path.write_bytes(data)
    with transaction.atomic():  # each example starts from the same database
        before = table_counts()
        report = import_file(kind, path, user=user, reason="fuzz")
        after = table_counts()
        transaction.set_rollback(True)
    if report.ok:
        assert report.created <= report.rows
        assert sum(after.values()) >= sum(before.values())
    else:
        assert after == before, "a refused import changed the database"
        assert report.created == 0
        for problem in report.problems:
            assert problem.line >= 1 and problem.message.strip()
        assert all(line["file"] == str(path) for line in report.lines())
    return report.ok


pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def print_seed() -> None:
    print(f"hypothesis seed {SEED}")  # noqa: T201 (the seed, to replay a failure)


@pytest.mark.parametrize("kind", ["source", "person", "post", "claim", "citation"])
def test_record_import_of_any_csv_is_whole_or_refused(
    kind: str, users: dict[str, Any], tmp_path: Path
) -> None:
    @seed(SEED)
    @FUZZ
    @given(data=files(COLUMNS[kind]))
    def run(data: bytes) -> None:
        outcomes.append(check_import(kind, data, ".csv", tmp_path, users["administrator"]))

    outcomes: list[bool] = []
    run()
    print(f"{kind}: {outcomes.count(True)} imported, {outcomes.count(False)} refused")  # noqa: T201 (what the fuzzing reached)
    assert False in outcomes


@pytest.mark.parametrize("kind", ["source", "claim", "case"])
def test_record_import_of_any_jsonl_is_whole_or_refused(
    kind: str, users: dict[str, Any], tmp_path: Path
) -> None:
    columns = COLUMNS["claim"] if kind == "case" else COLUMNS[kind]

    @seed(SEED)
    @FUZZ
    @given(data=jsonl_files(columns))
    def run(data: bytes) -> None:
        outcomes.append(check_import(kind, data, ".jsonl", tmp_path, users["administrator"]))

    outcomes: list[bool] = []
    run()
    print(f"{kind}: {outcomes.count(True)} imported, {outcomes.count(False)} refused")  # noqa: T201 (what the fuzzing reached)
    assert False in outcomes


def test_a_valid_row_among_fuzz_imports_only_with_its_file(
    users: dict[str, Any], tmp_path: Path
) -> None:
    """The all-or-nothing rule, with a row that would import on its own."""
    good = "id,title,citation\nsrc-good,Synthetic title,Synthetic citation\n"
    bad = good + "src-bad,,\n"
    path = tmp_path / "sources.csv"
    path.write_text(bad, encoding="utf-8")
    report = import_file("source", path, user=users["administrator"])
    assert not report.ok and [(p.line, p.field) for p in report.problems] == [(3, "title")]
    assert not Source.objects.filter(uid="src-good").exists()
    path.write_text(good, encoding="utf-8")
    assert import_file("source", path, user=users["administrator"]).ok
    assert Source.objects.filter(uid="src-good").exists()


# Victim lists ---------------------------------------------------------------------------


@seed(SEED)
@FUZZ
@given(data=files(LIST_COLUMNS))
def test_any_victim_list_reads_or_names_its_problems(tmp_path_factory: Any, data: bytes) -> None:
    path = tmp_path_factory.mktemp("list") / "list.csv"
    path.write_bytes(data)
    try:
        records, problems = read_records(path, on_error="report")
    except ListError as exc:
        assert exc.problems and all(p.file == str(path) for p in exc.problems)
        assert all(p.message.strip() for p in exc.problems)
        return
    assert records, "a list read without a ListError has records"
    assert all(p.file == str(path) and not p.fatal for p in problems)
    # Nothing silently dropped: a record and its line, unique by (list, record_id).
    assert len({(r.list, r.record_id) for r in records}) == len(records)
    assert all(r.line >= 1 and r.record_id and r.list for r in records)
    # With on_error="stop" the same file raises exactly when problems were reported.
    if problems:
        with pytest.raises(ListError):
            read_records(path, on_error="stop")


LIST_TEXT = st.text(
    alphabet=st.sampled_from("ابپتثجحخدذرزسشصضطظعغفقکگلمنوهیيكآ abcdefghijklmnopqrstuvwxyz-'."),
    min_size=1,
    max_size=20,
).filter(lambda s: s.strip() != "")


@seed(SEED)
@settings(max_examples=40, database=None, deadline=None)
@given(
    names=st.lists(LIST_TEXT, min_size=1, max_size=8),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1256"]),
)
def test_victim_list_in_any_supported_encoding_reads_back_exactly(
    tmp_path_factory: Any, names: list[str], encoding: str
) -> None:
    """The oracle: what was written, in Persian or Latin script, is what is read."""
    if encoding == "cp1256":  # Windows-1256 writes Persian yeh as the Arabic one
        names = [name.replace("ی", "ي") for name in names]
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["record_id", "list", "full_name", "city"])
    for i, name in enumerate(names):
        writer.writerow([f"r{i}", "fuzz list", name, "تهران"])
    path = tmp_path_factory.mktemp("list") / "list.csv"
    path.write_bytes(text.getvalue().encode(encoding))
    records, problems = read_records(path, on_error="stop")
    assert problems == []
    assert [(r.record_id, r.full_name, r.city) for r in records] == [
        (f"r{i}", name.strip(), "تهران") for i, name in enumerate(names)
    ]


# NUL characters: SQLite stores them, PostgreSQL refuses them; both refuse them by name. --

SOURCE_ROW = {
    "id": "src-nul",
    "kind": "publication",
    "title": "Synthetic title",
    "citation": "Synthetic citation",
    "url": "https://example.org/a",
    "reliability": "B",
    "published": "1367/05",
    "language": "fa",
    "notes": "notes",
    "confidentiality": "public",
    "synthetic": "true",
}


@pytest.mark.parametrize("column", list(SOURCE_ROW))
@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_nul_character_in_any_field_is_refused_by_name(
    column: str, fmt: str, users: dict[str, Any], tmp_path: Path
) -> None:
    row = SOURCE_ROW | {column: SOURCE_ROW[column][:2] + "\x00" + SOURCE_ROW[column][2:]}
    path = tmp_path / f"sources.{fmt}"
    if fmt == "csv":
        text = io.StringIO()
        csv.writer(text, lineterminator="\n").writerows([list(row), list(row.values())])
        path.write_text(text.getvalue(), encoding="utf-8")
    else:
        path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    before = table_counts()
    report = import_file("source", path, user=users["administrator"])
    assert [(p.line, p.field) for p in report.problems] == [(2 if fmt == "csv" else 1, column)]
    assert "NUL" in report.problems[0].message
    assert table_counts() == before
    path.write_text(path.read_text(encoding="utf-8").replace("\x00", "").replace("\\u0000", ""))
    assert import_file("source", path, user=users["administrator"]).ok


def test_a_nul_character_in_a_list_leaves_its_row_out_by_name(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text(
        "record_id,list,full_name,city\nr1,L,Ali Rezaei,Tehran\nr2,L,Hasan\x00,Tabriz\n",
        encoding="utf-8",
    )
    records, problems = read_records(path, on_error="report")
    assert [r.record_id for r in records] == ["r1"]
    assert [(p.line, p.field, p.fatal) for p in problems] == [(3, "full_name", False)]
    with pytest.raises(ListError, match="line 3, field full_name: contains a NUL"):
        read_records(path, on_error="stop")
