"""Tests for dadkhah.core.dates: partial dates in the Solar Hijri and Gregorian calendars."""

from __future__ import annotations

import datetime as dt
import json
import re
from calendar import monthrange
from typing import cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dadkhah.core.dates import (
    Calendar,
    InvalidDate,
    PartialDate,
    Precision,
    gregorian_to_sh,
    parse_partial_date,
    sh_days_in_month,
    sh_is_leap,
    sh_to_gregorian,
)

SH, GR = Calendar.SOLAR_HIJRI, Calendar.GREGORIAN
D = dt.date

# Independently known public facts (not derived from jdatetime).
KNOWN = [
    ((1367, 1, 1), D(1988, 3, 21)),  # Nowruz 1367
    ((1366, 12, 30), D(1988, 3, 20)),  # 1366 was a leap year
    ((1367, 5, 23), D(1988, 8, 14)),
    ((1367, 4, 1), D(1988, 6, 22)),
    ((1367, 6, 31), D(1988, 9, 22)),
    ((1367, 10, 1), D(1988, 12, 22)),  # Yalda night is the eve of 1 Dey
    ((1357, 11, 22), D(1979, 2, 11)),  # victory of the revolution
    ((1357, 10, 26), D(1979, 1, 16)),  # the Shah leaves Iran
    ((1358, 1, 12), D(1979, 4, 1)),  # Islamic Republic day
    ((1332, 5, 28), D(1953, 8, 19)),  # the 1953 coup
    ((1399, 12, 30), D(2021, 3, 20)),  # leap
    ((1400, 1, 1), D(2021, 3, 21)),
    ((1403, 1, 1), D(2024, 3, 20)),
    ((1403, 12, 30), D(2025, 3, 20)),  # leap
    ((1404, 1, 1), D(2025, 3, 21)),
]


@pytest.mark.parametrize(("sh", "greg"), KNOWN)
def test_known_pairs_both_directions(sh: tuple[int, int, int], greg: dt.date) -> None:
    assert sh_to_gregorian(*sh) == greg
    assert gregorian_to_sh(greg) == sh
    assert gregorian_to_sh(dt.datetime(greg.year, greg.month, greg.day, 12, 30)) == sh


@pytest.mark.parametrize(
    ("year", "leap"),
    [(1366, True), (1367, False), (1399, True), (1400, False), (1403, True), (1404, False)],
)
def test_leap_years(year: int, leap: bool) -> None:
    assert sh_is_leap(year) is leap
    assert sh_days_in_month(year, 12) == (30 if leap else 29)


def test_month_lengths() -> None:
    assert [sh_days_in_month(1367, m) for m in range(1, 13)] == [31] * 6 + [30] * 5 + [29]


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        ((1367, 12, 30), ["day 30", "Esfand 1367", "29 days", "not a leap year"]),
        ((1367, 7, 31), ["day 31", "Mehr", "30 days"]),
        ((1367, 13, 1), ["month 13"]),
        ((1367, 0, 1), ["month 0"]),
        ((1367, 5, 0), ["day 0", "Mordad"]),
        ((0, 1, 1), ["year 0", "supported"]),
    ],
)
def test_sh_to_gregorian_rejects_impossible_days(
    args: tuple[int, int, int], needles: list[str]
) -> None:
    with pytest.raises(InvalidDate) as err:
        sh_to_gregorian(*args)
    for needle in needles:
        assert needle in str(err.value)


def test_limits() -> None:
    with pytest.raises(InvalidDate, match="outside"):
        gregorian_to_sh(D(100, 1, 1))
    assert gregorian_to_sh(D(9999, 3, 20)) == (9377, 12, 30)
    assert parse_partial_date("1000-01-01", GR).format(SH) == "11 Dey 378"
    for text in ("0300", "0999-12-31", "9999", "0000", "10000"):
        with pytest.raises(InvalidDate):
            parse_partial_date(text)


def test_every_day_1900_to_2100_round_trips_and_steps_one_day_at_a_time() -> None:
    """Exhaustive: identity both ways, and consecutive days walk the SH calendar in order."""
    day, last = D(1900, 1, 1), D(2100, 12, 31)
    prev = gregorian_to_sh(day - dt.timedelta(days=1))
    while day <= last:
        y, m, d = gregorian_to_sh(day)
        assert sh_to_gregorian(y, m, d) == day
        py, pm, pd = prev
        if pd < sh_days_in_month(py, pm):
            assert (y, m, d) == (py, pm, pd + 1)
        elif pm < 12:
            assert (y, m, d) == (py, pm + 1, 1)
        else:
            assert (y, m, d) == (py + 1, 1, 1)
        prev = (y, m, d)
        day += dt.timedelta(days=1)


@given(st.dates(D(1900, 1, 1), D(2100, 12, 31)))
def test_round_trip_property(day: dt.date) -> None:
    assert sh_to_gregorian(*gregorian_to_sh(day)) == day


@given(st.integers(379, 9376))
def test_sh_months_partition_the_year(year: int) -> None:
    months = [parse_partial_date(f"{year:04}/{m}", SH) for m in range(1, 13)]
    assert months[0].start == sh_to_gregorian(year, 1, 1)
    for a, b in zip(months, months[1:], strict=False):
        assert b.start == a.end + dt.timedelta(days=1)
    whole = parse_partial_date(f"{year:04}", SH)
    assert (whole.start, whole.end) == (months[0].start, months[-1].end)
    assert (whole.end - whole.start).days + 1 == (366 if sh_is_leap(year) else 365)
    assert parse_partial_date(f"{year + 1:04}", SH).start == whole.end + dt.timedelta(days=1)
    seasons = [
        parse_partial_date(f"{s} {year:04}", SH) for s in ("spring", "summer", "autumn", "winter")
    ]
    assert [(s.start, s.end) for s in seasons] == [
        (months[i].start, months[i + 2].end) for i in (0, 3, 6, 9)
    ]


# ------------------------------------------------------------------------ parsing


def _c(p: PartialDate) -> tuple[object, ...]:
    return p.calendar, p.precision, p.start, p.end, p.year, p.month, p.day, p.season


DAY_1367 = (SH, Precision.DAY, D(1988, 8, 14), D(1988, 8, 14), 1367, 5, 23, None)
MORDAD = (SH, Precision.MONTH, D(1988, 7, 23), D(1988, 8, 22), 1367, 5, None, None)
YEAR_1367 = (SH, Precision.YEAR, D(1988, 3, 21), D(1989, 3, 20), 1367, None, None, None)
DAY_1988 = (GR, Precision.DAY, D(1988, 8, 14), D(1988, 8, 14), 1988, 8, 14, None)
AUG = (GR, Precision.MONTH, D(1988, 8, 1), D(1988, 8, 31), 1988, 8, None, None)
SUMMER_SH = (SH, Precision.SEASON, D(1988, 6, 22), D(1988, 9, 22), 1367, None, None, "summer")
SUMMER_GR = (GR, Precision.SEASON, D(1988, 6, 22), D(1988, 9, 22), 1988, None, None, "summer")
TIR_SHAHRIVAR = (SH, Precision.RANGE, D(1988, 6, 22), D(1988, 9, 22), None, None, None, None)
JUL_SEP = (GR, Precision.RANGE, D(1988, 7, 1), D(1988, 9, 30), None, None, None, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1367/05/23", DAY_1367),
        ("1367-05-23", DAY_1367),
        ("1367/5/23", DAY_1367),
        ("  1367/05/23\n", DAY_1367),
        ("۱۳۶۷/۰۵/۲۳", DAY_1367),
        ("١٣٦٧/٠٥/٢٣", DAY_1367),
        ("23 Mordad 1367", DAY_1367),
        ("23 AMORDAD 1367", DAY_1367),
        ("Mordad 23, 1367", DAY_1367),
        ("۲۳ مرداد ۱۳۶۷", DAY_1367),
        ("۲۳ امرداد ۱۳۶۷", DAY_1367),
        ("1367/05", MORDAD),
        ("Mordad 1367", MORDAD),
        ("mordad 1367", MORDAD),
        ("مرداد ۱۳۶۷", MORDAD),
        ("مرداد\u200cماه ۱۳۶۷", MORDAD),
        ("1367", YEAR_1367),
        ("۱۳۶۷", YEAR_1367),
        ("1988-08-14", DAY_1988),
        ("14 August 1988", DAY_1988),
        ("August 14, 1988", DAY_1988),
        ("Aug. 14, 1988", DAY_1988),
        ("14th August 1988", DAY_1988),
        ("۱۴ اوت ۱۹۸۸", DAY_1988),
        ("1988-08", AUG),
        ("August 1988", AUG),
        ("Aug 1988", AUG),
        ("Aug. 1988", AUG),
        ("AUGUST 1988", AUG),
        ("summer 1988", SUMMER_GR),
        ("Summer of 1988", SUMMER_GR),
        ("tabestan 1367", SUMMER_SH),
        ("تابستان ۱۳۶۷", SUMMER_SH),
        ("Summer 1367", SUMMER_SH),
        ("between Tir and Shahrivar 1367", TIR_SHAHRIVAR),
        ("Tir–Shahrivar 1367", TIR_SHAHRIVAR),
        ("Tir - Shahrivar 1367", TIR_SHAHRIVAR),
        ("Tir-Shahrivar 1367", TIR_SHAHRIVAR),
        ("Tir to Shahrivar 1367", TIR_SHAHRIVAR),
        ("from Tir to Shahrivar 1367", TIR_SHAHRIVAR),
        ("between 1367/04/01 and 1367/06/31", TIR_SHAHRIVAR),
        ("بین تیر و شهریور ۱۳۶۷", TIR_SHAHRIVAR),
        ("از تیر تا شهریور ۱۳۶۷", TIR_SHAHRIVAR),
        ("between July and September 1988", JUL_SEP),
        ("1988-07-01/1988-09-30", JUL_SEP),
        ("from 1 July 1988 to 30 September 1988", JUL_SEP),
    ],
)
def test_parse_accepted_forms(text: str, expected: tuple[object, ...]) -> None:
    p = parse_partial_date(text)
    assert _c(p) == expected
    assert p.text == text  # original kept exactly


@pytest.mark.parametrize(
    ("text", "month"),
    [
        ("Farvardin 1367", 1), ("Ordibehesht 1367", 2), ("اردیبهشت ۱۳۶۷", 2),
        ("اردی\u200cبهشت ۱۳۶۷", 2), ("ارديبهشت ۱۳۶۷", 2), ("Khordad 1367", 3), ("Tir 1367", 4),
        ("Amordad 1367", 5), ("Shahrivar 1367", 6), ("Mehr 1367", 7), ("Aban 1367", 8),
        ("آبان ۱۳۶۷", 8), ("Azar 1367", 9), ("آذر ۱۳۶۷", 9), ("Dey 1367", 10), ("Dei 1367", 10),
        ("دی ۱۳۶۷", 10), ("دي ۱۳۶۷", 10), ("Bahman 1367", 11), ("Esfand 1367", 12),
        ("Isfand 1367", 12), ("اسفند ١٣٦٧", 12), ("فروردین ۱۳۶۷", 1), ("خرداد ۱۳۶۷", 3),
        ("تیر ۱۳۶۷", 4), ("شهریور ۱۳۶۷", 6), ("مهر ۱۳۶۷", 7), ("بهمن ۱۳۶۷", 11),
    ],
)  # fmt: skip
def test_sh_month_name_variants(text: str, month: int) -> None:
    p = parse_partial_date(text)
    assert (p.calendar, p.precision, p.year, p.month) == (SH, Precision.MONTH, 1367, month)
    assert p.start == sh_to_gregorian(1367, month, 1)


@pytest.mark.parametrize(
    ("text", "season", "start", "end"),
    [
        ("spring 1367", "spring", D(1988, 3, 21), D(1988, 6, 21)),
        ("bahar 1367", "spring", D(1988, 3, 21), D(1988, 6, 21)),
        ("بهار ۱۳۶۷", "spring", D(1988, 3, 21), D(1988, 6, 21)),
        ("autumn 1367", "autumn", D(1988, 9, 23), D(1988, 12, 21)),
        ("fall 1988", "autumn", D(1988, 9, 23), D(1988, 12, 21)),
        ("paeez 1367", "autumn", D(1988, 9, 23), D(1988, 12, 21)),
        ("پاییز ۱۳۶۷", "autumn", D(1988, 9, 23), D(1988, 12, 21)),
        ("winter 1367", "winter", D(1988, 12, 22), D(1989, 3, 20)),
        ("zemestan 1367", "winter", D(1988, 12, 22), D(1989, 3, 20)),
        ("زمستان ۱۳۶۷", "winter", D(1988, 12, 22), D(1989, 3, 20)),
        ("winter 1988", "winter", D(1988, 12, 22), D(1989, 3, 20)),  # ends in 1989 by design
        ("spring 1988", "spring", D(1988, 3, 21), D(1988, 6, 21)),
    ],
)
def test_seasons(text: str, season: str, start: dt.date, end: dt.date) -> None:
    p = parse_partial_date(text)
    assert (p.precision, p.season, p.start, p.end) == (Precision.SEASON, season, start, end)


def test_calendar_argument_and_detection() -> None:
    assert parse_partial_date("1699").calendar is SH
    assert parse_partial_date("1700").calendar is GR
    p = parse_partial_date("1367/05/23", calendar=GR)
    assert (p.calendar, p.start) == (GR, D(1367, 5, 23))
    assert parse_partial_date("1988", calendar=SH).calendar is SH  # explicit wins over the year
    assert parse_partial_date("Mordad 1988").calendar is SH  # the month name decides
    assert parse_partial_date("1367 AP").calendar is SH


def test_range_borrows_day_and_year_from_the_other_end() -> None:
    p = parse_partial_date("between 14 and 20 August 1988")
    assert (p.precision, p.start, p.end) == (Precision.RANGE, D(1988, 8, 14), D(1988, 8, 20))
    p = parse_partial_date("Esfand 1366 – Farvardin 1367")
    assert (p.start, p.end) == (D(1988, 2, 20), D(1988, 4, 20))
    p = parse_partial_date("1366–1367")
    assert (p.calendar, p.start, p.end) == (SH, D(1987, 3, 21), D(1989, 3, 20))


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        ("1367/07/31", ["day 31", "Mehr", "30 days"]),
        ("31 Mehr 1367", ["day 31", "Mehr", "30 days"]),
        ("1367/13/01", ["month 13"]),
        ("1367/05/00", ["day 0"]),
        ("1988-02-30", ["day 30", "February", "29 days"]),
        ("1987-02-29", ["February 1987", "28 days", "not a leap year"]),
        ("30 Esfand 1367", ["day 30", "Esfand", "leap"]),
        ("1367/12/30", ["day 30", "Esfand", "leap"]),
        ("", ["empty"]),
        ("   ", ["empty"]),
        ("next tuesday", ['"next tuesday"', "1367/05/23", "Mordad 1367"]),
        ("Mordad", ["no year"]),
        ("between Shahrivar and Tir 1367", ["range ends before it starts"]),
        ("1988-09-30/1988-07-01", ["range ends before it starts"]),
        ("1988-07-01/1367-05-01", ["mixes"]),
        ("a – b – c", ["more than two parts"]),
        ("Tir–Shahrivar", ["no year"]),
    ],
)
def test_invalid_dates_have_clear_messages(text: str, needles: list[str]) -> None:
    with pytest.raises(InvalidDate) as err:
        parse_partial_date(text)
    for needle in needles:
        assert needle in str(err.value)


def test_month_name_conflicting_with_requested_calendar() -> None:
    with pytest.raises(InvalidDate, match="Gregorian month"):
        parse_partial_date("August 1988", calendar=SH)
    with pytest.raises(InvalidDate):
        parse_partial_date(1367)  # type: ignore[arg-type]


# --------------------------------------------------------------------- formatting


@pytest.mark.parametrize(
    ("text", "cal", "lang", "expected"),
    [
        ("1367/05/23", None, "en", "23 Mordad 1367"),
        ("1367/05/23", None, "fa", "۲۳ مرداد ۱۳۶۷"),
        ("1367/05/23", GR, "en", "14 August 1988"),
        ("1367/05/23", GR, "fa", "۱۴ اوت ۱۹۸۸"),
        ("1988-08-14", None, "en", "14 August 1988"),
        ("1988-08-14", SH, "en", "23 Mordad 1367"),
        ("Mordad 1367", None, "en", "Mordad 1367"),
        ("Mordad 1367", None, "fa", "مرداد ۱۳۶۷"),
        ("Mordad 1367", GR, "en", "23 July – 22 August 1988"),
        ("Mordad 1367", GR, "fa", "۲۳ ژوئیه تا ۲۲ اوت ۱۹۸۸"),
        ("August 1988", None, "en", "August 1988"),
        ("August 1988", SH, "en", "10 Mordad – 9 Shahrivar 1367"),
        ("1367", None, "en", "1367"),
        ("1367", GR, "en", "21 March 1988 – 20 March 1989"),
        ("summer 1988", None, "en", "Summer 1988"),
        ("summer 1988", SH, "en", "1 Tir – 31 Shahrivar 1367"),
        ("tabestan 1367", None, "fa", "تابستان ۱۳۶۷"),
        ("Tir–Shahrivar 1367", None, "en", "between Tir and Shahrivar 1367"),
        ("Tir–Shahrivar 1367", None, "fa", "بین تیر و شهریور ۱۳۶۷"),
        ("Tir–Shahrivar 1367", GR, "en", "22 June – 22 September 1988"),
        ("1988-07-01/1988-09-30", None, "en", "between July and September 1988"),
        ("between 14 and 20 August 1988", None, "en", "between 14 and 20 August 1988"),
        ("between 14 and 20 August 1988", SH, "en", "23–29 Mordad 1367"),
        ("between 1 Tir and 15 Mordad 1367", None, "en", "between 1 Tir and 15 Mordad 1367"),
        ("Esfand 1366 – Farvardin 1367", None, "en", "between Esfand 1366 and Farvardin 1367"),
        ("1366–1367", None, "en", "between 1366 and 1367"),
        ("winter 1367", GR, "en", "22 December 1988 – 20 March 1989"),
    ],
)
def test_format(text: str, cal: Calendar | None, lang: str, expected: str) -> None:
    assert parse_partial_date(text).format(cal, lang) == expected


def test_both() -> None:
    assert parse_partial_date("1367/05/23").both() == "23 Mordad 1367 (14 August 1988)"
    assert parse_partial_date("14 August 1988").both() == "14 August 1988 (23 Mordad 1367)"
    assert parse_partial_date("۲۳ مرداد ۱۳۶۷").both("fa") == "۲۳ مرداد ۱۳۶۷ (۱۴ اوت ۱۹۸۸)"
    assert parse_partial_date("Mordad 1367").both() == "Mordad 1367 (23 July – 22 August 1988)"


# ------------------------------------------------------------- comparisons, JSON


def test_ordering_overlap_and_containment() -> None:
    day, month, summer = (
        parse_partial_date(t) for t in ("1367/05/23", "Mordad 1367", "summer 1988")
    )
    assert sorted([day, month, summer]) == [summer, month, day]  # by (start, end)
    assert summer < month < day and day > month and summer <= summer
    assert summer.overlaps(day) and day.overlaps(summer)
    assert not parse_partial_date("Mehr 1367").overlaps(month)
    assert not parse_partial_date("Shahrivar 1367").overlaps(month)  # adjacent months
    assert month.overlaps(parse_partial_date("1988-07-23")) and month.overlaps(
        parse_partial_date("1988-08-22")
    )
    assert parse_partial_date("1988-08-22").overlaps(month) and parse_partial_date(
        "1988-07-23"
    ).overlaps(month)
    assert not month.overlaps(parse_partial_date("1988-08-23"))
    assert month.contains(D(1988, 8, 14)) and not month.contains(D(1988, 8, 23))
    assert month.contains(D(1988, 7, 23)) and month.contains(D(1988, 8, 22))


def test_to_json_shape() -> None:
    assert parse_partial_date("Mordad 1367").to_json() == {
        "calendar": "solar_hijri",
        "precision": "month",
        "start": "1988-07-23",
        "end": "1988-08-22",
        "text": "Mordad 1367",
        "year": 1367,
        "month": 5,
        "day": None,
        "season": None,
    }


@pytest.mark.parametrize(
    "change",
    [
        {"start": "1988-07-24"},
        {"end": "1988-07-01"},
        {"month": 13},
        {"month": True},
        {"day": 3},
        {"calendar": "julian"},
        {"precision": "decade"},
        {"start": "not a date"},
        {"text": None},
        {"extra": 1},
        {"season": "summer"},
    ],
)
def test_from_json_validates(change: dict[str, object]) -> None:
    data = parse_partial_date("Mordad 1367").to_json() | change
    with pytest.raises(InvalidDate):
        PartialDate.from_json(data)


def test_from_json_rejects_range_with_components() -> None:
    data = parse_partial_date("Tir–Shahrivar 1367").to_json() | {"year": 1367}
    with pytest.raises(InvalidDate):
        PartialDate.from_json(data)


# ----------------------------------------------------- generated inputs (hypothesis)

SH_NAMES = [
    ["Farvardin", "فروردین"], ["Ordibehesht", "اردیبهشت", "اردی\u200cبهشت", "ارديبهشت"],
    ["Khordad", "خرداد"], ["Tir", "تیر", "تير"], ["Mordad", "Amordad", "مرداد", "امرداد"],
    ["Shahrivar", "شهریور", "شهريور"], ["Mehr", "مهر"], ["Aban", "آبان"], ["Azar", "آذر"],
    ["Dey", "Dei", "دی", "دي"], ["Bahman", "بهمن"], ["Esfand", "Isfand", "اسفند"],
]  # fmt: skip
GR_NAMES = [
    ["January", "Jan", "ژانویه"], ["February", "Feb", "فوریه"], ["March", "Mar", "مارس"],
    ["April", "Apr", "آوریل"], ["May", "مه"], ["June", "Jun", "ژوئن"], ["July", "Jul", "ژوئیه"],
    ["August", "Aug", "Aug.", "اوت"], ["September", "Sep", "Sept", "سپتامبر"],
    ["October", "Oct", "اکتبر"], ["November", "Nov", "نوامبر"], ["December", "Dec", "دسامبر"],
]  # fmt: skip
SEASON_WORDS = {
    "spring": ["spring", "Bahar", "بهار"],
    "summer": ["summer", "Tabestan", "تابستان"],
    "autumn": ["autumn", "fall", "Paeez", "پاییز"],
    "winter": ["Winter", "zemestan", "زمستان"],
}
DIGITS = ["0123456789", "۰۱۲۳۴۵۶۷۸۹", "٠١٢٣٤٥٦٧٨٩"]


@st.composite
def entries(draw: st.DrawFn) -> tuple[str, tuple[object, ...]]:
    """Text in one of the accepted forms, and the (calendar, precision, y, m, d, season) it means."""
    cal = draw(st.sampled_from(Calendar))
    year = draw(st.integers(1300, 1450) if cal is SH else st.integers(1900, 2100))
    month = draw(st.integers(1, 12))
    last = sh_days_in_month(year, month) if cal is SH else monthrange(year, month)[1]
    day = draw(st.integers(1, last))
    name = draw(st.sampled_from((SH_NAMES if cal is SH else GR_NAMES)[month - 1]))
    name = draw(st.sampled_from([name, name.upper(), name.lower()]))
    kind = draw(st.sampled_from(["day", "month", "year", "season", "range"]))
    if kind == "day":
        forms = ["{y}/{m:02}/{d:02}", "{y}-{m}-{d}", "{d} {n} {y}", "{n} {d}, {y}"]
        expected: tuple[object, ...] = (cal, Precision.DAY, year, month, day, None)
    elif kind == "month":
        forms, expected = (
            ["{y}/{m}", "{y}-{m:02}", "{n} {y}"],
            (cal, Precision.MONTH, year, month, None, None),
        )
    elif kind == "year":
        forms, expected = ["{y}"], (cal, Precision.YEAR, year, None, None, None)
    elif kind == "season":
        season = draw(st.sampled_from(list(SEASON_WORDS)))
        name = draw(st.sampled_from(SEASON_WORDS[season]))
        forms, expected = (
            ["{n} {y}", "{n} of {y}"],
            (cal, Precision.SEASON, year, None, None, season),
        )
    else:
        month2 = draw(st.integers(month, 12))
        name2 = (SH_NAMES if cal is SH else GR_NAMES)[month2 - 1][0]
        forms = [
            f"between {{n}} and {name2} {{y}}",
            f"{{n}}–{name2} {{y}}",
            f"from {{n}} to {name2} {{y}}",
        ]
        expected = (cal, Precision.RANGE, None, None, None, None, (year, month, month2))
    text = draw(st.sampled_from(forms)).format(y=year, m=month, d=day, n=name)
    text = text.translate(str.maketrans("0123456789", draw(st.sampled_from(DIGITS))))
    return draw(st.sampled_from(["", " ", "\t"])) + text + draw(
        st.sampled_from(["", "  "])
    ), expected


def _expected_span(expected: tuple[object, ...]) -> tuple[dt.date, dt.date]:
    cal, precision, year, month, day = expected[:5]
    to_date = sh_to_gregorian if cal is SH else D
    length = sh_days_in_month if cal is SH else (lambda y, m: monthrange(y, m)[1])
    if precision is Precision.RANGE:
        y, m1, m2 = cast(tuple[int, int, int], expected[6])
        return to_date(y, m1, 1), to_date(y, m2, length(y, m2))
    assert isinstance(year, int)
    if precision is Precision.DAY:
        assert isinstance(month, int) and isinstance(day, int)
        return to_date(year, month, day), to_date(year, month, day)
    if precision is Precision.MONTH:
        assert isinstance(month, int)
        return to_date(year, month, 1), to_date(year, month, length(year, month))
    if precision is Precision.YEAR:
        return to_date(year, 1, 1), to_date(year, 12, length(year, 12))
    sy = year if cal is SH else year - 621  # a Gregorian season is the SH season starting that year
    first = 3 * ["spring", "summer", "autumn", "winter"].index(str(expected[5])) + 1
    last = sh_days_in_month(sy, first + 2)
    return sh_to_gregorian(sy, first, 1), sh_to_gregorian(sy, first + 2, last)


@settings(max_examples=300, deadline=None)
@given(entries())
def test_generated_inputs_parse_format_and_round_trip(
    entry: tuple[str, tuple[object, ...]],
) -> None:
    text, expected = entry
    p = parse_partial_date(text)
    assert (p.calendar, p.precision, p.year, p.month, p.day, p.season) == expected[:6]
    assert (p.start, p.end) == _expected_span(expected)
    assert p.start <= p.end and p.text == text
    # JSON round trip is exact and JSON-safe
    assert PartialDate.from_json(json.loads(json.dumps(p.to_json()))) == p
    # every display reads back as the same span
    for cal in Calendar:
        for lang in ("en", "fa"):
            shown = p.format(cal, lang)
            if lang == "fa":
                assert not re.search(r"[0-9]", shown)
            back = parse_partial_date(shown, calendar=cal)
            assert (back.start, back.end) == (p.start, p.end), shown
            if cal is p.calendar:
                assert back.precision is p.precision
    assert p.both().startswith(p.format())


@given(
    st.text(max_size=40)
    | st.text(alphabet="0123456789۱۳۶/-– .,tirmordadbetweenandsummerto", max_size=30)
)
def test_arbitrary_text_parses_or_raises_invalid_date(text: str) -> None:
    try:
        p = parse_partial_date(text)
    except InvalidDate as err:
        assert str(err)
    else:
        assert p.start <= p.end
        assert PartialDate.from_json(p.to_json()) == p


def test_format_day_in_the_readers_calendar() -> None:
    from dadkhah.core.dates import format_day

    assert format_day(dt.date(1988, 7, 19), "fa") == "۲۸ تیر ۱۳۶۷"
    assert format_day(dt.date(1988, 7, 19), "fa-ir") == "۲۸ تیر ۱۳۶۷"
    assert format_day(dt.date(1988, 7, 19), "en") == "19 July 1988"
    assert format_day(dt.date(2025, 3, 20), "fa") == "۳۰ اسفند ۱۴۰۳"  # a leap year's end
    assert format_day(dt.date(2025, 3, 21), "fa") == "۱ فروردین ۱۴۰۴"
