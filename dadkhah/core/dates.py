"""Partial dates in two calendars: Solar Hijri (Jalali, Persian) and Gregorian.

A :class:`PartialDate` keeps what was entered (a day, a month, a season, a year or a
range, in the calendar it was entered in, with the original text) and the inclusive
Gregorian span ``start``..``end`` of every day it may denote.  Spans drive sorting,
overlap and containment; the entry calendar and components drive display.

Seasons.  Solar Hijri seasons are exact: spring = Farvardin-Khordad (months 1-3),
summer = Tir-Shahrivar, autumn = Mehr-Azar, winter = Dey-Esfand.  A *Gregorian* season
of year Y is defined as the same span as the Solar Hijri season that starts in
Gregorian year Y, so "summer 1988" is 1 Tir - 31 Shahrivar 1367 (1988-06-22 to
1988-09-22) and "winter 1988" is Dey-Esfand 1367, which ends on 1989-03-20.

Calendar detection: a year below 1700 is Solar Hijri, 1700 and later Gregorian, unless
a ``calendar`` is passed or a month name decides it.  Solar Hijri arithmetic is done by
``jdatetime``; this module imports no Django.
"""

from __future__ import annotations

import calendar as _gcal
import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import jdatetime  # type: ignore[import-untyped]

__all__ = [
    "Calendar",
    "InvalidDate",
    "PartialDate",
    "Precision",
    "format_day",
    "gregorian_to_sh",
    "parse_partial_date",
    "sh_days_in_month",
    "sh_is_leap",
    "sh_to_gregorian",
]


class Calendar(StrEnum):
    GREGORIAN = "gregorian"
    SOLAR_HIJRI = "solar_hijri"


class Precision(StrEnum):
    DAY = "day"
    MONTH = "month"
    SEASON = "season"
    YEAR = "year"
    RANGE = "range"


class InvalidDate(ValueError):
    """A date that does not exist or cannot be read; the message says why."""


SH, GR = Calendar.SOLAR_HIJRI, Calendar.GREGORIAN
SEASONS = ("spring", "summer", "autumn", "winter")
_SEASON_NAMES = {
    "en": ("Spring", "Summer", "Autumn", "Winter"),
    "fa": ("بهار", "تابستان", "پاییز", "زمستان"),
}
_MONTH_NAMES = {
    (SH, "en"): ("Farvardin", "Ordibehesht", "Khordad", "Tir", "Mordad", "Shahrivar",
                 "Mehr", "Aban", "Azar", "Dey", "Bahman", "Esfand"),
    (SH, "fa"): ("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور",
                 "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند"),
    (GR, "en"): ("January", "February", "March", "April", "May", "June", "July",
                 "August", "September", "October", "November", "December"),
    (GR, "fa"): ("ژانویه", "فوریه", "مارس", "آوریل", "مه", "ژوئن",
                 "ژوئیه", "اوت", "سپتامبر", "اکتبر", "نوامبر", "دسامبر"),
}  # fmt: skip
# Years the arithmetic accepts; a PartialDate must also lie within _FIRST_DAY.._LAST_DAY so
# that it converts both ways and every display has a 3- or 4-digit year and reads back.
_YEAR_RANGE = {SH: (1, 9377), GR: (1, 9999)}
_FIRST_DAY, _LAST_DAY = datetime.date(1000, 1, 1), datetime.date(9999, 3, 20)  # 30 Esfand 9377
_CAL_LABEL = {SH: "Solar Hijri", GR: "Gregorian"}
_FORMS = (
    "1367/05/23, 1367/05, 1367, 1988-08-14, 23 Mordad 1367, 14 August 1988, "
    "Mordad 1367, summer 1988, between Tir and Shahrivar 1367"
)

# ---------------------------------------------------------------- calendar arithmetic


def _check_year(cal: Calendar, year: int) -> None:
    lo, hi = _YEAR_RANGE[cal]
    if not lo <= year <= hi:
        raise InvalidDate(f"year {year} is outside the supported {_CAL_LABEL[cal]} years {lo}-{hi}")


def _check_month(month: int) -> None:
    if not 1 <= month <= 12:
        raise InvalidDate(f"month {month} does not exist: months are numbered 1 to 12")


def sh_is_leap(year: int) -> bool:
    """Whether Solar Hijri ``year`` has 366 days (Esfand has 30 days)."""
    _check_year(SH, year)
    return bool(jdatetime.date(year, 1, 1).isleap())


def sh_days_in_month(year: int, month: int) -> int:
    """Number of days in Solar Hijri ``month`` (1-12) of ``year``."""
    _check_year(SH, year)
    _check_month(month)
    days = int(jdatetime.j_days_in_month[month - 1])
    return days + 1 if month == 12 and sh_is_leap(year) else days


def _days_in_month(cal: Calendar, year: int, month: int) -> int:
    if cal is SH:
        return sh_days_in_month(year, month)
    _check_year(GR, year)
    _check_month(month)
    return _gcal.monthrange(year, month)[1]


def _check_day(cal: Calendar, year: int, month: int, day: int) -> None:
    days = _days_in_month(cal, year, month)
    if 1 <= day <= days:
        return
    name = _MONTH_NAMES[cal, "en"][month - 1]
    if (cal, month) in ((SH, 12), (GR, 2)):  # length depends on the year
        leap = sh_is_leap(year) if cal is SH else _gcal.isleap(year)
        why = f"{name} {year} has {days} days ({year} is {'' if leap else 'not '}a leap year)"
    else:
        why = f"{name} has {days} days"
    raise InvalidDate(f"day {day} of {name} {year} does not exist: {why}")


def sh_to_gregorian(year: int, month: int, day: int) -> datetime.date:
    """Gregorian date of a Solar Hijri day; raises :class:`InvalidDate` if it does not exist."""
    _check_day(SH, year, month, day)
    g = jdatetime.date(year, month, day).togregorian()  # validated above, cannot raise
    return datetime.date(int(g.year), int(g.month), int(g.day))


def gregorian_to_sh(d: datetime.date) -> tuple[int, int, int]:
    """Solar Hijri ``(year, month, day)`` of a Gregorian date."""
    if isinstance(d, datetime.datetime):
        d = d.date()
    try:
        j = jdatetime.date.fromgregorian(date=d)
    except (ValueError, OverflowError) as exc:
        raise InvalidDate(f"{d.isoformat()} is outside the Solar Hijri conversion range") from exc
    return int(j.year), int(j.month), int(j.day)


def _to_date(cal: Calendar, year: int, month: int, day: int) -> datetime.date:
    if cal is SH:
        return sh_to_gregorian(year, month, day)
    _check_day(GR, year, month, day)
    return datetime.date(year, month, day)


def _ymd(cal: Calendar, d: datetime.date) -> tuple[int, int, int]:
    return gregorian_to_sh(d) if cal is SH else (d.year, d.month, d.day)


def _span(
    cal: Calendar,
    precision: Precision,
    year: int | None,
    month: int | None,
    day: int | None,
    season: str | None,
) -> tuple[datetime.date, datetime.date]:
    """Inclusive Gregorian span of a non-range partial date given by its components."""
    if year is None:
        raise InvalidDate(f"a {precision} date needs a year")
    _check_year(cal, year)
    if precision is Precision.SEASON:
        if season not in SEASONS:
            raise InvalidDate(f"unknown season {season!r}: use one of {', '.join(SEASONS)}")
        # A Gregorian season is the Solar Hijri season starting in that Gregorian year.
        sy = year if cal is SH else gregorian_to_sh(datetime.date(year, 7, 1))[0]
        first = 3 * SEASONS.index(season) + 1
        return sh_to_gregorian(sy, first, 1), sh_to_gregorian(
            sy, first + 2, sh_days_in_month(sy, first + 2)
        )
    if precision is Precision.YEAR:
        return _to_date(cal, year, 1, 1), _to_date(cal, year, 12, _days_in_month(cal, year, 12))
    if month is None:
        raise InvalidDate(f"a {precision} date needs a month")
    if precision is Precision.MONTH:
        return _to_date(cal, year, month, 1), _to_date(
            cal, year, month, _days_in_month(cal, year, month)
        )
    if day is None:
        raise InvalidDate("a day date needs a day")
    d = _to_date(cal, year, month, day)
    return d, d


# ---------------------------------------------------------------------- the value type

_COMPONENTS = ("year", "month", "day", "season")
_NEEDS = {
    Precision.DAY: {"year", "month", "day"},
    Precision.MONTH: {"year", "month"},
    Precision.YEAR: {"year"},
    Precision.SEASON: {"year", "season"},
    Precision.RANGE: set(),
}
_JSON_KEYS = {"calendar", "precision", "start", "end", "text", *_COMPONENTS}


@dataclass(frozen=True)
class PartialDate:
    """A possibly partial date, as entered, with its inclusive Gregorian span.

    Orders by ``(start, end)``.  ``year``/``month``/``day`` are in the entry calendar;
    a SEASON keeps ``year`` and ``season``; a RANGE keeps no components.
    """

    calendar: Calendar
    precision: Precision
    start: datetime.date
    end: datetime.date
    text: str
    year: int | None = None
    month: int | None = None
    day: int | None = None
    season: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.calendar, Calendar) or not isinstance(self.precision, Precision):
            raise InvalidDate("calendar and precision must be Calendar and Precision members")
        for d in (self.start, self.end):
            if not isinstance(d, datetime.date) or isinstance(d, datetime.datetime):
                raise InvalidDate(f"start and end must be dates, not {d!r}")
        if not isinstance(self.text, str):
            raise InvalidDate("text must be a string")
        if self.end < self.start:
            raise InvalidDate(f"range ends before it starts: {self.end} is before {self.start}")
        if self.start < _FIRST_DAY or self.end > _LAST_DAY:
            raise InvalidDate(f"dates before {_FIRST_DAY} or after {_LAST_DAY} are not supported")
        present = {name for name in _COMPONENTS if getattr(self, name) is not None}
        if present != _NEEDS[self.precision]:
            needs = ", ".join(sorted(_NEEDS[self.precision])) or "no components"
            raise InvalidDate(
                f"a {self.precision} date takes {needs}, got {', '.join(sorted(present))}"
            )
        for name in ("year", "month", "day"):
            value = getattr(self, name)
            if value is not None and type(value) is not int:
                raise InvalidDate(f"{name} must be an integer, not {value!r}")
        if self.precision is not Precision.RANGE:
            span = _span(
                self.calendar, self.precision, self.year, self.month, self.day, self.season
            )
            if span != (self.start, self.end):
                raise InvalidDate(
                    f"start/end {self.start}..{self.end} do not match the {self.precision} "
                    f"they describe ({span[0]}..{span[1]})"
                )

    # ordering, overlap and containment use the Gregorian span
    @property
    def sort_key(self) -> tuple[datetime.date, datetime.date]:
        return self.start, self.end

    def __lt__(self, other: PartialDate) -> bool:
        return self.sort_key < other.sort_key if isinstance(other, PartialDate) else NotImplemented

    def __le__(self, other: PartialDate) -> bool:
        return self.sort_key <= other.sort_key if isinstance(other, PartialDate) else NotImplemented

    def __gt__(self, other: PartialDate) -> bool:
        return self.sort_key > other.sort_key if isinstance(other, PartialDate) else NotImplemented

    def __ge__(self, other: PartialDate) -> bool:
        return self.sort_key >= other.sort_key if isinstance(other, PartialDate) else NotImplemented

    def overlaps(self, other: PartialDate) -> bool:
        """Whether the two spans share at least one day."""
        return self.start <= other.end and other.start <= self.end

    def contains(self, d: datetime.date) -> bool:
        """Whether Gregorian day ``d`` lies in the span."""
        if isinstance(d, datetime.datetime):
            d = d.date()
        return self.start <= d <= self.end

    # JSON
    def to_json(self) -> dict[str, object]:
        return {
            "calendar": self.calendar.value,
            "precision": self.precision.value,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "text": self.text,
            "year": self.year,
            "month": self.month,
            "day": self.day,
            "season": self.season,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> PartialDate:
        """Rebuild from :meth:`to_json` output; raises :class:`InvalidDate` if inconsistent."""
        if not isinstance(data, Mapping):
            raise InvalidDate("a partial date must be a JSON object")
        if unknown := set(data) - _JSON_KEYS:
            raise InvalidDate(f"unknown partial date keys: {', '.join(sorted(map(str, unknown)))}")
        strings: dict[str, str] = {}
        for key in ("calendar", "precision", "start", "end", "text"):
            value = data.get(key)
            if not isinstance(value, str):
                raise InvalidDate(f"partial date {key!r} must be a string, not {value!r}")
            strings[key] = value
        season = data.get("season")
        if season is not None and not isinstance(season, str):
            raise InvalidDate(f"season must be a string, not {season!r}")
        ints: dict[str, int | None] = {}
        for key in ("year", "month", "day"):
            value = data.get(key)
            if value is not None and type(value) is not int:
                raise InvalidDate(f"{key} must be an integer, not {value!r}")
            ints[key] = value
        try:
            calendar = Calendar(strings["calendar"])
            precision = Precision(strings["precision"])
            start = datetime.date.fromisoformat(strings["start"])
            end = datetime.date.fromisoformat(strings["end"])
        except ValueError as exc:
            raise InvalidDate(f"invalid partial date: {exc}") from exc
        return cls(
            calendar,
            precision,
            start,
            end,
            strings["text"],
            ints["year"],
            ints["month"],
            ints["day"],
            season,
        )

    # display
    def format(self, calendar: Calendar | None = None, lang: str = "en") -> str:
        """Display in ``calendar`` (default: the entry calendar), ``lang`` "en" or "fa".

        A DAY converts to a day; anything else shown in the other calendar shows its span.
        Languages other than Persian fall back to English.
        """
        cal = self.calendar if calendar is None else Calendar(calendar)
        lg = "fa" if lang.lower().startswith("fa") else "en"
        if self.precision is Precision.DAY:
            out = _fmt_day(cal, self.start, lg)
        elif cal is not self.calendar:
            out = _fmt_span(cal, self.start, self.end, lg)
        elif self.precision is Precision.RANGE:
            out = _fmt_between(cal, self.start, self.end, lg)
        elif self.precision is Precision.YEAR:
            out = str(self.year)
        elif self.precision is Precision.SEASON:
            out = f"{_SEASON_NAMES[lg][SEASONS.index(self.season or '')]} {self.year}"
        else:
            out = f"{_MONTH_NAMES[cal, lg][(self.month or 0) - 1]} {self.year}"
        return out.translate(_TO_FA_DIGITS) if lg == "fa" else out

    def both(self, lang: str = "en") -> str:
        """Entry calendar first, the other calendar in brackets."""
        other = GR if self.calendar is SH else SH
        return f"{self.format(self.calendar, lang)} ({self.format(other, lang)})"


_TO_FA_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def format_day(d: datetime.date, lang: str = "en") -> str:
    """A day as a reader of ``lang`` expects it: in Persian, the Solar Hijri date with
    Persian digits; otherwise the Gregorian date.

    >>> format_day(datetime.date(1988, 8, 14), "fa"), format_day(datetime.date(1988, 8, 14))
    ('۲۳ مرداد ۱۳۶۷', '14 August 1988')
    """
    if lang.lower().startswith("fa"):
        return _fmt_day(SH, d, "fa").translate(_TO_FA_DIGITS)
    return _fmt_day(GR, d, "en")


def _fmt_day(cal: Calendar, d: datetime.date, lg: str) -> str:
    y, m, dd = _ymd(cal, d)
    return f"{dd} {_MONTH_NAMES[cal, lg][m - 1]} {y}"


def _fmt_span(cal: Calendar, start: datetime.date, end: datetime.date, lg: str) -> str:
    (y1, m1, d1), (y2, m2, d2) = _ymd(cal, start), _ymd(cal, end)
    names = _MONTH_NAMES[cal, lg]
    sep = " تا " if lg == "fa" else " – "
    if (y1, m1) == (y2, m2):
        return f"{d1}{sep if lg == 'fa' else '–'}{d2} {names[m1 - 1]} {y1}"
    first = f"{d1} {names[m1 - 1]}" + ("" if y1 == y2 else f" {y1}")
    return f"{first}{sep}{d2} {names[m2 - 1]} {y2}"


def _fmt_between(cal: Calendar, start: datetime.date, end: datetime.date, lg: str) -> str:
    (y1, m1, d1), (y2, m2, d2) = _ymd(cal, start), _ymd(cal, end)
    names = _MONTH_NAMES[cal, lg]
    between, and_ = ("بین ", " و ") if lg == "fa" else ("between ", " and ")
    month_aligned = d1 == 1 and d2 == _days_in_month(cal, y2, m2)
    if month_aligned and m1 == 1 and m2 == 12 and y1 != y2:
        return f"{between}{y1}{and_}{y2}"
    if month_aligned and (y1, m1) != (y2, m2):
        first = names[m1 - 1] + ("" if y1 == y2 else f" {y1}")
        return f"{between}{first}{and_}{names[m2 - 1]} {y2}"
    if (y1, m1) == (y2, m2):
        first = str(d1)
    else:
        first = f"{d1} {names[m1 - 1]}" + ("" if y1 == y2 else f" {y1}")
    return f"{between}{first}{and_}{d2} {names[m2 - 1]} {y2}"


# ---------------------------------------------------------------------------- parsing

_NORMALIZE = str.maketrans(
    {
        **{c: str(i % 10) for i, c in enumerate("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩")},
        "ي": "ی", "ى": "ی", "ك": "ک", "آ": "ا", "أ": "ا", "إ": "ا", "ئ": "ی",
        "\u200c": None, "\u200d": None, "\u200e": None, "\u200f": None, "\u0640": None,
        "—": "–", "−": "–", "‒": "–", "―": "–", "‐": "-", "،": ",", "٫": "/",
    }
)  # fmt: skip


def _normalize(text: str) -> str:
    s = text.translate(_NORMALIZE).casefold()
    s = re.sub(r"(?<=\d)(?:st|nd|rd|th|ام)\b", "", s)  # 14th, ۲۳ام
    s = re.sub(r"(?<=[^\W\d_])\.", " ", s).replace(",", " ")  # "Aug. 14, 1988"
    return " ".join(s.split())


_SH_VARIANTS = (
    "farvardin", "ordibehesht ordibehasht", "khordad khurdad", "tir",
    "mordad amordad murdad امرداد", "shahrivar shahriwar sharivar", "mehr mihr",
    "aban", "azar adhar", "dey dei", "bahman", "esfand isfand esfend",
)  # fmt: skip


def _month_words() -> dict[str, tuple[Calendar, int]]:
    words: dict[str, tuple[Calendar, int]] = {
        "sept": (GR, 9),
        "می": (GR, 5),
        "ژوییه": (GR, 7),
        "اگوست": (GR, 8),
    }
    for i in range(1, 13):
        fa, en = _MONTH_NAMES[SH, "fa"][i - 1], _MONTH_NAMES[GR, "en"][i - 1]
        for w in (*_SH_VARIANTS[i - 1].split(), fa, fa + "ماه"):
            words[_normalize(w)] = (SH, i)
        for w in (en, en[:3], _MONTH_NAMES[GR, "fa"][i - 1]):
            words[_normalize(w)] = (GR, i)
    return words


_MONTH_WORDS = _month_words()
_SEASON_WORDS = {
    _normalize(w): season
    for season, words in zip(
        SEASONS,
        ("spring bahar بهار", "summer tabestan تابستان",
         "autumn fall paeez paiz payiz پاییز پائیز", "winter zemestan زمستان"),
        strict=True,
    )
    for w in words.split()
}  # fmt: skip
_MARKERS = {"sh": SH, "ap": SH, "shamsi": SH, "شمسی": SH, "ad": GR, "ce": GR, "میلادی": GR}
_FILLER = {"of", "the", "ماه", "سال", "فصل"}

_NUMERIC_RE = re.compile(r"(\d{3,4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?")
_RANGE_RES = (
    re.compile(r"(?:between|بین)\s+(.+?)\s+(?:and|و)\s+(.+)"),
    re.compile(r"(?:from|از)\s+(.+?)\s+(?:to|until|till|through|تا)\s+(.+)"),
    re.compile(r"(\d{4}-\d{1,2}(?:-\d{1,2})?)\s*/\s*(\d{4}-\d{1,2}(?:-\d{1,2})?)"),  # ISO interval
    re.compile(r"(\d{4})\s*-\s*(\d{4})"),  # 1366-1367
)
_RANGE_SEP_RE = re.compile(
    r"\s*–\s*|\s+(?:-|to|until|till|through|تا)\s+|(?<=[^\W\d_])-(?=[^\W\d_])"
)


def _make(
    cal: Calendar,
    precision: Precision,
    text: str,
    year: int,
    month: int | None = None,
    day: int | None = None,
    season: str | None = None,
) -> PartialDate:
    start, end = _span(cal, precision, year, month, day, season)
    return PartialDate(cal, precision, start, end, text, year, month, day, season)


def _pick_calendar(
    year: int, hint: Calendar | None, word: str = "", word_cal: Calendar | None = None
) -> Calendar:
    if word_cal is not None:
        if hint is not None and hint is not word_cal:
            raise InvalidDate(f'"{word}" is a {_CAL_LABEL[word_cal]} month, not {_CAL_LABEL[hint]}')
        return word_cal
    if hint is not None:
        return hint
    return SH if year < 1700 else GR


def _parse_single(s: str, hint: Calendar | None, text: str) -> PartialDate:
    tokens: list[str] = []
    for tok in s.split():
        if tok in _MARKERS:
            if hint is not None and hint is not _MARKERS[tok]:
                raise InvalidDate(
                    f'"{tok}" marks a {_CAL_LABEL[_MARKERS[tok]]} date, not {_CAL_LABEL[hint]}'
                )
            hint = _MARKERS[tok]
        elif tok not in _FILLER:
            tokens.append(tok)
    if len(tokens) == 1 and (m := _NUMERIC_RE.fullmatch(tokens[0])):
        year = int(m[1])
        cal = _pick_calendar(year, hint)
        if m[3]:
            return _make(cal, Precision.DAY, text, year, int(m[2]), int(m[3]))
        if m[2]:
            return _make(cal, Precision.MONTH, text, year, int(m[2]))
        return _make(cal, Precision.YEAR, text, year)

    def kind(tok: str) -> str:
        if tok.isascii() and tok.isdigit():
            return "y" if len(tok) in (3, 4) else "d" if len(tok) <= 2 else "?"
        return "m" if tok in _MONTH_WORDS else "s" if tok in _SEASON_WORDS else "?"

    shape = "".join(kind(t) for t in tokens)
    if shape in ("dmy", "mdy", "my"):
        word = tokens[shape.index("m")]
        year, (word_cal, month) = int(tokens[-1]), _MONTH_WORDS[word]
        cal = _pick_calendar(year, hint, word, word_cal)
        if shape == "my":
            return _make(cal, Precision.MONTH, text, year, month)
        return _make(cal, Precision.DAY, text, year, month, int(tokens[shape.index("d")]))
    if shape == "sy":
        year = int(tokens[1])
        return _make(
            _pick_calendar(year, hint),
            Precision.SEASON,
            text,
            year,
            season=_SEASON_WORDS[tokens[0]],
        )
    if shape and "y" not in shape and "?" not in shape:
        raise InvalidDate(
            f'"{text.strip()}" has no year: add a four-digit year, e.g. "Mordad 1367"'
        )
    raise InvalidDate(f'could not read "{text.strip()}" as a date; accepted forms include {_FORMS}')


def _split_range(s: str, text: str) -> tuple[str, str] | None:
    for rx in _RANGE_RES:
        if m := rx.fullmatch(s):
            return m[1], m[2]
    parts = _RANGE_SEP_RE.split(s)
    if len(parts) > 2:
        raise InvalidDate(
            f'"{text.strip()}" has more than two parts; write a range as "between X and Y"'
        )
    return (parts[0], parts[1]) if len(parts) == 2 else None


def _borrow(part: str, ref: PartialDate) -> PartialDate:
    """Parse a range end that lacks a year ("Tir", "14") with the year of the other end."""
    if re.fullmatch(r"\d{1,2}", part) and ref.precision is Precision.DAY:
        return _make(ref.calendar, Precision.DAY, part, ref.year or 0, ref.month, int(part))
    return _parse_single(f"{part} {ref.year}", ref.calendar, part)


def parse_partial_date(text: str, calendar: Calendar | None = None) -> PartialDate:
    """Parse a day, month, season, year or range in either calendar.

    Accepts e.g. ``1367/05/23``, ``1988-08-14``, ``23 Mordad 1367``, ``۲۳ مرداد ۱۳۶۷``,
    ``August 14, 1988``, ``Mordad 1367``, ``summer 1988``, ``between Tir and Shahrivar
    1367``, ``Tir–Shahrivar 1367``, ``1988-07-01/1988-09-30`` and ``از تیر تا شهریور ۱۳۶۷``.
    Persian and Arabic-Indic digits are accepted.  Raises :class:`InvalidDate`.
    """
    if not isinstance(text, str):
        raise InvalidDate(f"a date must be text, not {type(text).__name__}")
    try:
        hint = None if calendar is None else Calendar(calendar)
    except ValueError as exc:
        raise InvalidDate(f"unknown calendar {calendar!r}") from exc
    s = _normalize(text)
    if not s:
        raise InvalidDate(f"empty date: enter a day, month, season, year or range, e.g. {_FORMS}")
    parts = _split_range(s, text)
    if parts is None:
        return _parse_single(s, hint, text)
    a, b = parts
    has_year = [re.search(r"\d{3}", p) is not None for p in parts]
    if all(has_year):
        first, last = _parse_single(a, hint, a), _parse_single(b, hint, b)
    elif has_year[1]:
        last = _parse_single(b, hint, b)
        first = _borrow(a, last)
    elif has_year[0]:
        first = _parse_single(a, hint, a)
        last = _borrow(b, first)
    else:
        raise InvalidDate(
            f'"{text.strip()}" has no year: add a four-digit year, e.g. "Tir–Shahrivar 1367"'
        )
    if first.calendar is not last.calendar:
        raise InvalidDate(f'"{text.strip()}" mixes the Solar Hijri and Gregorian calendars')
    if last.end < first.start:
        raise InvalidDate(
            f'range ends before it starts: "{text.strip()}" would run from {first.start} back to '
            f"{last.end}; give the year of both ends if it crosses a new year"
        )
    return PartialDate(first.calendar, Precision.RANGE, first.start, last.end, text)
