"""Arbitrary input for the parsers: partial dates (text and JSON) and capture tables.

Each parser either returns a value that keeps its invariants and round-trips, or raises
its documented error (``InvalidDate``, ``CaptureTableError`` naming file, line and field);
never another exception. Generation is seeded (``SEED``, printed) and bounded.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, seed, settings
from hypothesis import strategies as st

from dadkhah.core.dates import (
    Calendar,
    InvalidDate,
    PartialDate,
    gregorian_to_sh,
    parse_partial_date,
    sh_to_gregorian,
)
from dadkhah.counting.table import CaptureTable, CaptureTableError, read_capture_csv

SEED = 1367
FUZZ = settings(
    max_examples=150,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(autouse=True)
def print_seed() -> None:
    print(f"hypothesis seed {SEED}")  # noqa: T201 (the seed, to replay a failure)


# Partial dates ---------------------------------------------------------------------------

DATE_WORDS = [
    "1367", "۱۳۶۷", "١٣٦٧", "1988", "/", "-", "–", " ", "05", "5", "23", "31", "32", "00",
    "Mordad", "مرداد", "August", "Aug.", "summer", "تابستان", "between", "and", "from", "to",
    "of", ",", "Esfand", "اسفند", "30", "29", "1403", "2100", "0", "99999", "\x00", "\u200c",
]  # fmt: skip
date_texts = st.one_of(
    st.lists(st.sampled_from(DATE_WORDS), max_size=8).map("".join),
    st.lists(st.sampled_from(DATE_WORDS), max_size=8).map(" ".join),
    st.text(max_size=40),
)


@seed(SEED)
@FUZZ
@given(text=date_texts, calendar=st.sampled_from([None, *Calendar]))
def test_any_text_is_a_date_or_invalid_date(text: str, calendar: Calendar | None) -> None:
    try:
        p = parse_partial_date(text, calendar)
    except InvalidDate as err:
        assert str(err).strip()
        return
    assert p.start <= p.end and p.text == text
    assert PartialDate.from_json(json.loads(json.dumps(p.to_json()))) == p
    for cal in Calendar:
        for lang in ("en", "fa"):
            back = parse_partial_date(p.format(cal, lang), calendar=cal)
            assert (back.start, back.end) == (p.start, p.end)


@seed(SEED)
@FUZZ
@given(day=st.dates(dt.date(1000, 1, 1), dt.date(2500, 12, 31)))
def test_solar_hijri_day_round_trips_through_text(day: dt.date) -> None:
    """A day written in Solar Hijri (Latin and Persian digits) reads back as that day."""
    try:
        y, m, d = gregorian_to_sh(day)
    except InvalidDate:
        return  # outside the supported span: refused by name, which is what is checked
    assert sh_to_gregorian(y, m, d) == day
    for text in (
        f"{y}/{m:02}/{d:02}",
        f"{y}/{m}/{d}".translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")),
    ):
        try:
            p = parse_partial_date(text, Calendar.SOLAR_HIJRI)
        except InvalidDate:
            continue
        assert (p.start, p.end, p.year, p.month, p.day) == (day, day, y, m, d)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)
KEYS = ["calendar", "precision", "start", "end", "text", "year", "month", "day", "season"]


@st.composite
def date_objects(draw: st.DrawFn) -> Any:
    """A valid partial date's JSON with some keys changed, dropped or added; or anything."""
    if draw(st.integers(0, 4)) == 0:
        return draw(json_values)
    base = parse_partial_date(
        draw(
            st.sampled_from(
                ["1367/05/23", "Mordad 1367", "summer 1988", "1988", "between Tir and Mordad 1367"]
            )
        )
    ).to_json()
    for key in draw(st.lists(st.sampled_from([*KEYS, "extra"]), max_size=3)):
        action = draw(st.sampled_from(["set", "drop"]))
        if action == "drop":
            base.pop(key, None)
        else:
            base[key] = draw(
                json_values | st.sampled_from(["sh", "gregorian", "day", "1988-02-30"])
            )
    return base


@seed(SEED)
@FUZZ
@given(data=date_objects())
def test_any_json_is_a_partial_date_or_invalid_date(data: Any) -> None:
    try:
        p = PartialDate.from_json(data)
    except InvalidDate as err:
        assert str(err).strip()
        return
    assert p.start <= p.end
    assert PartialDate.from_json(p.to_json()) == p


# Capture tables --------------------------------------------------------------------------

CAPTURE_CELLS = ["0", "1", "2", "-1", "1.5", "", " 1 ", "12", "x", "۱", "A", "B", "count", "city"]
capture_cells = st.sampled_from(CAPTURE_CELLS) | st.text(max_size=8)
HEADERS = [
    ["A", "B", "count"], ["A", "B", "C", "count"], ["record_id", "cluster_id", "list"],
    ["record_id", "cluster_id", "list", "city"], ["A", "A", "count"], ["A", "count", "city"],
    ["A", "B", "C", "D", "E", "F", "G", "count"], [],
]  # fmt: skip


@st.composite
def capture_files(draw: st.DrawFn) -> bytes:
    header = list(draw(st.sampled_from(HEADERS) | st.lists(capture_cells, max_size=4)))
    rows = draw(st.lists(st.lists(capture_cells, min_size=0, max_size=len(header) + 1), max_size=8))
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows([header, *rows])
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1256", "latin-1"]))
    data = text.getvalue().encode(encoding, errors="replace")
    mangle = draw(st.sampled_from(["none", "none", "cut", "insert"]))
    if mangle == "cut" and data:
        data = data[: draw(st.integers(0, len(data) - 1))]
    elif mangle == "insert":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=6)) + data[at:]
    return data


@seed(SEED)
@FUZZ
@given(data=capture_files(), strata=st.sampled_from([None, "city", "A"]))
@example(data=b"\xff\xfeA\x00,\x00B", strata=None)  # a UTF-16 mark, then odd bytes
def test_any_capture_file_is_tables_or_a_named_error(
    tmp_path_factory: Any, data: bytes, strata: str | None
) -> None:
    path: Path = tmp_path_factory.mktemp("capture") / "table.csv"
    path.write_bytes(data)
    try:
        tables = read_capture_csv(path, strata=strata)
    except CaptureTableError as err:
        assert err.file == str(path) and str(err).startswith(str(path))
        return
    assert tables and (strata is not None or list(tables) == [None])
    for table in tables.values():
        assert isinstance(table, CaptureTable)
        assert table.observed > 0
        assert np.all(table.counts >= 0)
