"""Dates (both calendars, Persian and English words and digits) and numbers in running text."""

from __future__ import annotations

import datetime
import random

import pytest

from dadkhah.core.dates import Precision, gregorian_to_sh
from dadkhah.search.dates import find_dates, find_numbers

SEED = 13670523
FA = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
AUG14 = datetime.date(1988, 8, 14)
SH_MONTHS = [
    "فروردین",
    "اردیبهشت",
    "خرداد",
    "تیر",
    "مرداد",
    "شهریور",
    "مهر",
    "آبان",
    "آذر",
    "دی",
    "بهمن",
    "اسفند",
]
SH_LATIN = "Farvardin Ordibehesht Khordad Tir Mordad Shahrivar Mehr Aban Azar Dey Bahman Esfand"


@pytest.mark.parametrize(
    ("written", "precision", "start", "end"),
    [
        ("14 August 1988", "day", AUG14, AUG14),
        ("August 14, 1988", "day", AUG14, AUG14),
        ("the 14th of August 1988", "day", AUG14, AUG14),
        ("1988-08-14", "day", AUG14, AUG14),
        ("۲۳ مرداد ۱۳۶۷", "day", AUG14, AUG14),
        ("٢٣ مرداد ١٣٦٧", "day", AUG14, AUG14),
        ("23 Mordad 1367", "day", AUG14, AUG14),
        ("1367/05/23", "day", AUG14, AUG14),
        ("August 1988", "month", datetime.date(1988, 8, 1), datetime.date(1988, 8, 31)),
        ("Aug. 1988", "month", datetime.date(1988, 8, 1), datetime.date(1988, 8, 31)),
        ("Mordad 1367", "month", datetime.date(1988, 7, 23), datetime.date(1988, 8, 22)),
        ("مرداد ماه ۱۳۶۷", "month", datetime.date(1988, 7, 23), datetime.date(1988, 8, 22)),
        ("1367/05", "month", datetime.date(1988, 7, 23), datetime.date(1988, 8, 22)),
        ("summer of 1988", "season", datetime.date(1988, 6, 22), datetime.date(1988, 9, 22)),
        ("تابستان ۱۳۶۷", "season", datetime.date(1988, 6, 22), datetime.date(1988, 9, 22)),
        ("between Tir and Shahrivar 1367", "range", datetime.date(1988, 6, 22),
         datetime.date(1988, 9, 22)),
        ("Tir–Shahrivar 1367", "range", datetime.date(1988, 6, 22), datetime.date(1988, 9, 22)),
        ("از تیر تا شهریور ۱۳۶۷", "range", datetime.date(1988, 6, 22),
         datetime.date(1988, 9, 22)),
        ("بین تیر و شهریور ۱۳۶۷", "range", datetime.date(1988, 6, 22),
         datetime.date(1988, 9, 22)),
    ],
)  # fmt: skip
def test_each_form_is_found_with_its_span(
    written: str, precision: str, start: datetime.date, end: datetime.date
) -> None:
    text = f"Reported ({written}), see note."
    found = find_dates(text)
    assert len(found) == 1, found
    d = found[0]
    assert text[d.start : d.end] == d.quote
    assert written.endswith(d.quote) and len(d.quote) >= len(written) - len("the ")
    assert (d.date.precision, d.date.start, d.date.end) == (precision, start, end)


def test_years_alone_have_a_lower_score_and_can_be_left_out() -> None:
    text = "the 1988 massacre; در سال ۱۳۶۷; 1300 prisoners; resolution 67/182; 1988-1989x"
    found = find_dates(text)
    assert [(d.quote, d.date.precision, d.score) for d in found] == [
        ("1988", Precision.YEAR, 0.6),
        ("۱۳۶۷", Precision.YEAR, 0.6),
    ]
    assert find_dates(text, years=False) == []


def test_dates_that_do_not_exist_are_skipped() -> None:
    assert [d.quote for d in find_dates("32 Mordad 1367, 31 February 1988")] == [
        "Mordad 1367",
        "February 1988",
    ]


def test_random_days_in_both_calendars_and_scripts() -> None:
    rng = random.Random(SEED)
    months = "January February March April May June July August September October November December"
    for _ in range(200):
        day = datetime.date(1979, 1, 1) + datetime.timedelta(days=rng.randrange(365 * 30))
        y, m, d = gregorian_to_sh(day)
        forms = [
            f"{day.day} {months.split()[day.month - 1]} {day.year}",
            f"{months.split()[day.month - 1]} {day.day}, {day.year}",
            day.isoformat(),
            f"{d} {SH_MONTHS[m - 1]} {y}".translate(FA),
            f"{d} {SH_LATIN.split()[m - 1]} {y}",
            f"{y}/{m:02d}/{d:02d}",
        ]
        written = rng.choice(forms)
        prefix = rng.choice(["On ", "در ", "(", "— "])
        text = f"{prefix}{written} the prisoners"
        found = find_dates(text)
        where = [(f.start, f.end) for f in found]
        assert where == [(len(prefix), len(prefix) + len(written))], f"seed={SEED}: {text!r}"
        assert found[0].date.start == found[0].date.end == day, f"seed={SEED}: {text!r}"


def test_numbers_exact_and_vague() -> None:
    text = (
        "About 30,000 prisoners (۳۰ هزار نفر), thousands more, 4,482 named, 4482 again, "
        "tens of thousands, هزاران تن, thirty thousand, 2.5 million, "
        "on 14 August 1988 in resolution 67/182, article 6."
    )
    got = [(n.quote, n.quantity.value, n.quantity.low) for n in find_numbers(text)]
    assert got == [
        ("30,000", 30000, None),
        ("۳۰ هزار", 30000, None),
        ("thousands", None, 2000),
        ("4,482", 4482, None),
        ("4482", 4482, None),
        ("tens of thousands", None, 20000),
        ("هزاران", None, 2000),
        ("thirty thousand", 30000, None),
        ("2.5 million", 2500000, None),
    ]
    for n in find_numbers(text):
        assert text[n.start : n.end] == n.quote
        assert n.quantity.to_json()["value"] == n.quantity.value


def test_empty_and_hostile_input() -> None:
    assert find_dates("") == [] and find_numbers("") == []
    long = "1" * 10_000 + " August " + "9" * 5000
    assert find_dates(long, years=False) == []
    assert all(n.quote for n in find_numbers(long))
