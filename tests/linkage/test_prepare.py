"""The prepared frame: values parsed, names keyed, places resolved, problems named."""

from __future__ import annotations

import datetime
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from dadkhah.linkage.lists import ListError, ListRecord, read_records
from dadkhah.linkage.prepare import (
    FRAME_COLUMNS,
    UID_SEP,
    death_bounds,
    name_tf_key,
    parse_birth_year,
    parse_gender,
    prepare,
    unique_id,
)
from dadkhah.names import match_keys

D = datetime.date


def record(record_id: str = "1", list_: str = "A", **values: str | None) -> ListRecord:
    fields: dict[str, str | None] = dict.fromkeys(
        ("full_name", "father_name", "birth_year", "gender", "city", "prison", "death_date")
    )
    fields.update(values)
    return ListRecord(record_id, list_, **fields, file="victims.csv", line=int(record_id) + 1)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------- values


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("1340", 1961),
        ("۱۳۴۰", 1961),
        ("١٣٤٠", 1961),
        (" 1340.0 ", 1961),
        ("1340 ش", 1961),
        ("1340 SH", 1961),
        ("c. 1961", 1961),
        ("1961?", 1961),
        ("1961", 1961),
        ("1961 AD", 1961),
        ("1259", 1880),
        ("1404", 2025),
        ("1340/05/12", 1961),  # 3 August 1961
        ("1340/11/01", 1962),  # 21 January 1962
        ("Dey 1340", 1962),
        ("1961-08-03", 1961),
        ("August 1961", 1961),
        ("", None),
        (None, None),
        ("?", None),
        ("نامعلوم", None),
        ("unknown", None),
    ],
)
def test_parse_birth_year(text, year):
    assert parse_birth_year(text) == year


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("13x7", "not a year: '13x7'"),
        ("40", "not a year: '40'"),
        ("1100", "not a plausible birth year: '1100'"),
        ("2150", "not a plausible birth year: '2150'"),
        ("1961 SH", "not a plausible birth year"),
        ("1340 AD", "not a plausible birth year"),
        ("sometime", "not a year"),
    ],
)
def test_parse_birth_year_errors(text, message):
    with pytest.raises(ValueError, match=message):
        parse_birth_year(text)


@pytest.mark.parametrize(
    ("text", "gender"),
    [("m", "m"), ("M", "m"), ("Male", "m"), ("مرد", "m"), ("مذکر", "m"), ("آقا", "m"),
     ("f", "f"), ("FEMALE", "f"), ("woman", "f"), ("زن", "f"), ("مونث", "f"), ("مؤنث", "f"),
     ("خانم", "f"), ("", None), (None, None), ("?", None), ("نامشخص", None)],
)  # fmt: skip
def test_parse_gender(text, gender):
    assert parse_gender(text) == gender


@pytest.mark.parametrize("text", ["x", "other", "1", "مردان"])
def test_parse_gender_errors(text):
    with pytest.raises(ValueError, match=f"unknown gender {text!r}"):
        parse_gender(text)


@pytest.mark.parametrize(
    ("text", "bounds"),
    [
        ("1367/05/23", (D(1988, 8, 14), D(1988, 8, 14), "day")),
        ("۱۳۶۷/۰۵/۲۳", (D(1988, 8, 14), D(1988, 8, 14), "day")),
        ("1367/05", (D(1988, 7, 23), D(1988, 8, 22), "month")),
        ("Mordad 1367", (D(1988, 7, 23), D(1988, 8, 22), "month")),
        ("مرداد ۱۳۶۷", (D(1988, 7, 23), D(1988, 8, 22), "month")),
        ("1367", (D(1988, 3, 21), D(1989, 3, 20), "year")),
        ("1988-08-14", (D(1988, 8, 14), D(1988, 8, 14), "day")),
        ("August 1988", (D(1988, 8, 1), D(1988, 8, 31), "month")),
        ("14 August 1988", (D(1988, 8, 14), D(1988, 8, 14), "day")),
        ("1988", (D(1988, 1, 1), D(1988, 12, 31), "year")),
        ("summer 1988", (D(1988, 6, 22), D(1988, 9, 22), "year")),  # a season: 93 days
        ("between 1 and 20 Shahrivar 1367", (D(1988, 8, 23), D(1988, 9, 11), "month")),
        ("", (None, None, None)),
        (None, (None, None, None)),
        ("نامعلوم", (None, None, None)),
    ],
)
def test_death_bounds(text, bounds):
    assert death_bounds(text) == bounds


@pytest.mark.parametrize("text", ["31/31/1988", "Mordad", "1367/13/01", "1367/12/30"])
def test_death_bounds_errors(text):
    with pytest.raises(ValueError):
        death_bounds(text)


def test_name_tf_key_ignores_order_script_and_letter_forms():
    key = name_tf_key("Ali Rezaei")
    assert key is not None
    assert {name_tf_key(n) for n in ("Rezaei, Ali", "علی رضایی", "علي رضائي", "ALI REZAEI")} == {
        key
    }
    assert name_tf_key("Ali Rahimi") != key
    assert name_tf_key("Mohammad Rezaei") != key
    assert name_tf_key("") is None and name_tf_key(None) is None and name_tf_key("  ") is None


def test_unique_id_is_unambiguous():
    assert unique_id("A", "1") == "A\x1f1" and UID_SEP == "\x1f"
    assert unique_id("A:B", "1") != unique_id("A", "B:1")


# ---------------------------------------------------------------------------------- frame

CROSS_SCRIPT = [
    record("1", "NGO", full_name="Ebrahim Raisi", father_name="Ali", birth_year="1961",
           gender="male", city="Tehran", prison="Evin Prison", death_date="14 August 1988"),
    record("1", "families", full_name="ابراهيم رئيسي", father_name="علي", birth_year="۱۳۴۰",
           gender="مرد", city="تهران", prison="زندان اوين", death_date="۱۳۶۷/۰۵/۲۳"),
    record("2", "families", full_name="Zahra Ahmadi", birth_year="1338", gender="f",
           city="Rezaiyeh", prison="Gohar Dasht", death_date="Mordad 1367"),
    record("3", "families"),
]  # fmt: skip


def test_frame_columns_and_types():
    frame, problems = prepare(CROSS_SCRIPT)
    assert problems == []
    assert tuple(frame.columns) == FRAME_COLUMNS
    assert str(frame["birth_year"].dtype) == "Int64"
    for column in FRAME_COLUMNS:
        if column != "birth_year":
            assert frame[column].dtype == object, column
    assert frame["unique_id"].tolist() == [
        "NGO\x1f1",
        "families\x1f1",
        "families\x1f2",
        "families\x1f3",
    ]
    assert frame["record_id"].tolist() == ["1", "1", "2", "3"]
    assert frame["source_list"].tolist() == ["NGO", "families", "families", "families"]
    empty = frame.iloc[3]
    assert empty["name_keys"] == [] and empty["full_name"] is None and empty["name_tf"] is None
    assert pd.isna(empty["birth_year"]) and empty["death_lo"] is None
    assert empty["city_key"] is None and empty["death_precision"] is None


def test_the_same_person_in_two_scripts_agrees_on_every_field():
    frame, _ = prepare(CROSS_SCRIPT)
    latin, persian = frame.iloc[0], frame.iloc[1]
    assert latin["full_name"] == "Ebrahim Raisi" and persian["full_name"] == "ابراهيم رئيسي"
    assert set(latin["name_keys"]) & set(persian["name_keys"])
    assert latin["name_keys"] == sorted(match_keys("Ebrahim Raisi"))
    assert latin["name_tf"] == persian["name_tf"]
    assert persian["name_norm"] == "ابراهیم رییسی" and persian["father_norm"] == "علی"
    for column in ("birth_year", "gender", "city_key", "prison_key", "death_lo", "death_hi"):
        assert latin[column] == persian[column], column
    assert (latin["birth_year"], latin["gender"]) == (1961, "m")
    assert (latin["city_key"], latin["prison_key"]) == ("tehran", "evin")
    assert latin["death_lo"] == D(1988, 8, 14) and latin["death_precision"] == "day"
    other = frame.iloc[2]
    assert (other["city_key"], other["prison_key"], other["birth_year"]) == (
        "urmia",
        "gohardasht",
        1959,
    )
    assert (other["death_lo"], other["death_hi"], other["death_precision"]) == (
        D(1988, 7, 23),
        D(1988, 8, 22),
        "month",
    )


def test_unknown_places_keep_their_normalized_text():
    frame, _ = prepare([record(city="Rafsanjan", prison="Prison of Foo")])
    assert frame["city_key"].tolist() == ["rafsanjan"]
    assert frame["prison_key"].tolist() == ["of foo"]


def test_bad_values_stop_or_are_reported():
    records = [
        record("1", birth_year="13x7", gender="x", death_date="31/31/1988", full_name="Ali"),
        record("2", birth_year="1340", full_name="Reza"),
    ]
    with pytest.raises(ListError) as caught:
        prepare(records)
    assert [str(p) for p in caught.value.problems] == [
        "victims.csv, line 2, field birth_year: not a year: '13x7'",
        "victims.csv, line 2, field gender: unknown gender 'x': use m, f, male, female, مرد or زن",
        caught.value.problems[2].__str__(),
    ]
    assert caught.value.problems[2].field == "death_date"
    frame, problems = prepare(records, on_error="report")
    assert problems == caught.value.problems
    assert frame["record_id"].tolist() == ["1", "2"]
    assert pd.isna(frame["birth_year"][0]) and frame["birth_year"][1] == 1961
    assert frame["gender"][0] is None and frame["death_lo"][0] is None


def test_duplicated_unique_id_is_fatal_in_both_modes():
    records = [
        record("1", "A", full_name="Ali"),
        record("1", "B"),
        replace(record("1", "A"), file="other.csv"),
    ]
    for mode in ("stop", "report"):
        with pytest.raises(ListError) as caught:
            prepare(records, on_error=mode)
        (problem,) = caught.value.problems
        assert problem.fatal and problem.file == "other.csv" and problem.field == "record_id"
        assert "also at victims.csv, line 2" in problem.message


def test_separator_in_ids_is_refused():
    with pytest.raises(ListError, match="U\\+001F"):
        prepare([record("1", "A\x1fB")], on_error="report")


def test_no_records_give_an_empty_frame_with_the_columns():
    frame, problems = prepare([])
    assert problems == [] and len(frame) == 0
    assert tuple(frame.columns) == FRAME_COLUMNS and str(frame["birth_year"].dtype) == "Int64"


def test_from_a_file_to_a_frame(tmp_path: Path):
    path = tmp_path / "victims.csv"
    path.write_text(
        "شماره,فهرست,نام و نام خانوادگی,نام پدر,سال تولد,جنسیت,شهر,زندان,تاریخ اعدام\n"
        "۱,خانواده,محمد رضايي,علي,۱۳۴۰,مرد,تهران,گوهردشت,۱۳۶۷/۰۶/۰۵\n",
        encoding="utf-8",
    )
    records, _ = read_records(path)
    frame, _ = prepare(records)
    row = frame.iloc[0]
    assert (row["unique_id"], row["birth_year"], row["prison_key"]) == (
        "خانواده\x1f۱",
        1961,
        "gohardasht",
    )
    assert row["death_lo"] == D(1988, 8, 27)
    assert row["name_tf"] == name_tf_key("Mohammad Rezaei")
