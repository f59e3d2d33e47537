"""Capture tables: the two CSV forms, strata, and every bad input named by file, line, field."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dadkhah.counting.table import (
    CaptureTable,
    CaptureTableError,
    all_patterns,
    read_capture_csv,
    write_capture_csv,
)

PATTERNS = "A,B,C,count\n1,0,0,10\n0,1,0,8\n1,1,0,3\n0,0,1,7\n1,1,1,2\n"


def test_patterns_form():
    tables = read_capture_csv(PATTERNS)
    assert list(tables) == [None]
    table = tables[None]
    assert table.lists == ("A", "B", "C")
    assert table.observed == 30
    patterns, counts = table.full()
    assert patterns.tolist() == all_patterns(3).tolist()
    assert patterns.tolist()[:3] == [[0, 0, 1], [0, 1, 0], [0, 1, 1]]
    assert counts.tolist() == [7, 8, 0, 10, 0, 3, 2]
    assert table.list_totals() == {"A": 15, "B": 13, "C": 9}
    assert table.times_recorded().tolist() == [0, 25, 3, 2]


def test_patterns_form_from_a_file_in_windows_1256(tmp_path):
    path = tmp_path / "lists.csv"
    path.write_bytes("خانواده,سازمان,count\n1,0,4\n0,1,5\n1,1,2\n".encode("cp1256"))
    table = read_capture_csv(path)[None]
    assert table.lists == ("خانواده", "سازمان")
    assert table.observed == 11


def test_patterns_form_in_utf16(tmp_path):
    path = tmp_path / "lists.csv"
    path.write_bytes("A,B,count\r\n1,0,4\r\n0,1,5\r\n".encode("utf-16"))
    assert read_capture_csv(path)[None].observed == 9


def test_strata_in_the_patterns_form():
    text = "region,A,B,count\nnorth,1,0,4\nnorth,1,1,2\nsouth,0,1,5\nsouth,1,1,1\n"
    tables = read_capture_csv(text, strata="region")
    assert list(tables) == ["north", "south"]
    assert tables["north"].stratum == "north"
    assert tables["north"].lists == ("A", "B")
    assert tables["south"].observed == 6
    merged = tables["north"].merged(tables["south"])
    assert merged.observed == 12 and merged.stratum is None


def test_linked_records_form():
    text = (
        "record_id,cluster_id,match_probability,list,city\n"
        "r1,c1,0.99,families,Tehran\n"
        "r2,c1,0.97,ngo,Tehran\n"
        "r3,c2,1.0,ngo,Tabriz\n"
        "r4,c3,,press,Tehran\n"
        "r5,c3,0.9,ngo,\n"
    )
    table = read_capture_csv(text)[None]
    assert table.lists == ("families", "ngo", "press")
    assert dict(
        zip(map(lambda p: "".join(map(str, p)), table.patterns), table.counts.tolist(), strict=True)
    ) == {
        "010": 1,
        "011": 1,
        "110": 1,
    }
    with pytest.raises(CaptureTableError, match=r"<text>:6: field 'city': empty stratum"):
        read_capture_csv(text, strata="city")


def test_linked_records_with_strata_and_a_conflict():
    text = (
        "record_id,cluster_id,list,city\n"
        "r1,c1,families,Tehran\nr2,c1,ngo,Tehran\nr3,c2,ngo,Tabriz\nr4,c2,press,Tabriz\n"
    )
    tables = read_capture_csv(text, strata="city")
    assert sorted(tables) == ["Tabriz", "Tehran"]
    assert tables["Tehran"].observed == 1
    conflict = text + "r5,c2,families,Tehran\n"
    with pytest.raises(
        CaptureTableError,
        match=r"<text>:6: field 'city': cluster 'c2' is in stratum 'Tabriz' on line 4",
    ):
        read_capture_csv(conflict, strata="city")


@pytest.mark.parametrize(
    ("text", "strata", "message"),
    [
        ("A,count\n1,5\n", None, r"<text>:1: needs at least 2 list columns"),
        ("A,B,count\n0,0,5\n1,0,3\n", None, r"<text>:2: field 'A': a pattern of all zeros"),
        ("A,B,count\n1,0,-5\n", None, r"<text>:2: field 'count': '-5' is negative"),
        ("A,B,count\n1,0,2.5\n", None, r"<text>:2: field 'count': '2.5' is not a whole number"),
        ("A,B,count\n1,0,many\n", None, r"<text>:2: field 'count': 'many' is not a number"),
        ("A,B,count\n1,2,5\n", None, r"<text>:2: field 'B': '2' is not 0 or 1"),
        ("A,B,count\n1,0,5\n1,0,3\n", None, r"<text>:3: pattern 10 also on line 2"),
        ("A,B,count\n", None, r"<text>: no rows"),
        ("A,B,count\n1,0,0\n0,1,0\n", None, r"empty stratum: the table records nobody"),
        ("g,A,B,count\nx,1,0,3\ny,1,0,0\n", "g", r"empty stratum: stratum 'y' records nobody"),
        ("g,A,B,count\nx,1,0,3\n,1,0,1\n", "g", r"<text>:3: field 'g': empty stratum"),
        ("A,B,count\n1,0,3\n", "city", r"<text>:1: no strata column 'city'"),
        ("A,B,C,D,E,F,G,count\n1,0,0,0,0,0,0,3\n", None, r"at most 6 lists"),
        ("A,B\n1,0\n", None, r"expected 0/1 list columns and a 'count' column"),
        ("A,B,count\n1,0,3,9\n", None, r"<text>:2: more values than columns"),
        ("record_id,cluster_id,list\nr1,c1,A\nr2,c2,A\n", None, r"at least 2 lists .* found 1: A"),
        (
            "record_id,cluster_id,list\nr1,c1,A\nr1,c2,B\n",
            None,
            r"<text>:3: field 'record_id': record 'r1' also on line 2",
        ),
    ],
)
def test_bad_input_is_named(text, strata, message):
    with pytest.raises(CaptureTableError, match=message):
        read_capture_csv(text, strata=strata)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(CaptureTableError, match=r"nowhere.csv: cannot read"):
        read_capture_csv(tmp_path / "nowhere.csv")


def test_the_dataclass_checks_its_own_invariants():
    with pytest.raises(CaptureTableError, match="at least 2 lists"):
        CaptureTable(("A",), np.array([[1]]), np.array([3]))
    with pytest.raises(CaptureTableError, match="all zeros"):
        CaptureTable.from_counts("AB", {"00": 3})
    with pytest.raises(CaptureTableError, match="whole numbers"):
        CaptureTable.from_counts("AB", {"10": 2.5})
    with pytest.raises(CaptureTableError, match="negative"):
        CaptureTable.from_counts("AB", {"10": -1})
    with pytest.raises(CaptureTableError, match="more than once"):
        CaptureTable(("A", "B"), np.array([[1, 0], [1, 0]]), np.array([1, 2]))
    table = CaptureTable.from_counts("AB", {"10": 2, "01": 3})
    with pytest.raises(ValueError, match="read-only"):
        table.counts[0] = 5


@settings(max_examples=60, deadline=None)
@given(
    k=st.integers(min_value=2, max_value=6),
    data=st.data(),
)
def test_write_then_read_is_the_same_table(k, data):
    cells = data.draw(
        st.lists(st.integers(min_value=0, max_value=2**k - 2), min_size=1, unique=True)
    )
    counts = data.draw(
        st.lists(
            st.integers(min_value=1, max_value=10**6), min_size=len(cells), max_size=len(cells)
        )
    )
    patterns = all_patterns(k)[cells]
    table = CaptureTable(tuple(f"list {i}" for i in range(k)), patterns, np.array(counts))
    again = read_capture_csv(write_capture_csv(table))[None]
    assert again.lists == table.lists
    assert again.full()[1].tolist() == table.full()[1].tolist()
    assert again.observed == sum(counts)
