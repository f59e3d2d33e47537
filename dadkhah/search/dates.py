"""Dates and numbers in running text, with their positions.

``find_dates(text)`` finds days, months, seasons and years in both calendars, written in
English, in Persian or in transliteration, with Persian, Arabic or ASCII digits:

- "14 August 1988", "August 14, 1988", "14th of August 1988", "Aug. 1988", "1988-08-14";
- "23 Mordad 1367", "Mordad 1367", "1367/05/23", "1367/05", "۲۳ مرداد ۱۳۶۷", "مرداد ماه ۱۳۶۷";
- "summer of 1988", "تابستان ۱۳۶۷", and ranges of months in one year ("Tir–Shahrivar 1367",
  "between July and September 1988", "از تیر تا شهریور ۱۳۶۷");
- a year alone (1900-2099 Gregorian, 1300-1499 Solar Hijri) with a lower score.

The value of each is a ``PartialDate`` parsed by ``dadkhah.core.dates.parse_partial_date``
from the text found, so both calendars and their spans agree with the rest of the project.
A date that does not exist (31 Shahrivar is fine, 32 Mordad is not) is skipped.

``find_numbers(text)`` finds quantities: "30,000", "4,482", "4482" (three digits or more),
"30 thousand", "۳۰ هزار", and vague quantities such as "thousands", "hundreds", "tens of
thousands", "هزاران", "صدها". Years and the parts of dates are not numbers.

Pure Python: no Django import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from dadkhah.core.dates import InvalidDate, PartialDate, parse_partial_date

__all__ = [
    "FoundDate",
    "FoundNumber",
    "Quantity",
    "ascii_digits",
    "find_dates",
    "find_numbers",
]

_DIGITS = str.maketrans(
    {**{c: str(i % 10) for i, c in enumerate("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩")}, "٬": ",", "٫": "."}
)
_NON_ASCII_DIGIT = re.compile("[۰-۹٠-٩٬٫]+")


def ascii_digits(text: str) -> str:
    """``text`` with Persian and Arabic digits (and separators) as ASCII: the same length.

    Only the runs of such digits are translated: most pages have none, and translating a
    whole page character by character costs more than finding them.
    """
    if _NON_ASCII_DIGIT.search(text) is None:
        return text
    return _NON_ASCII_DIGIT.sub(lambda m: m.group().translate(_DIGITS), text)


@dataclass(frozen=True, slots=True)
class FoundDate:
    """``text[start:end] == quote`` names ``date``; ``score`` is lower for a year alone."""

    start: int
    end: int
    quote: str
    date: PartialDate
    score: float = 1.0


@dataclass(frozen=True, slots=True)
class Quantity:
    """A number, exact (``value``) or vague ("thousands": ``low`` 2000, no ``high``)."""

    value: int | None
    low: int | None = None
    high: int | None = None
    vague: str = ""

    def to_json(self) -> dict[str, object]:
        return {"value": self.value, "low": self.low, "high": self.high, "vague": self.vague}


@dataclass(frozen=True, slots=True)
class FoundNumber:
    start: int
    end: int
    quote: str
    quantity: Quantity
    score: float = 1.0


# ------------------------------------------------------------------------------- dates
_EN_MONTHS = (
    r"jan(?:uary|\.)?|feb(?:ruary|\.)?|mar(?:ch|\.)?|apr(?:il|\.)?|may|june?|july?|aug(?:ust|\.)?"
    r"|sep(?:t(?:ember)?)?\.?|oct(?:ober|\.)?|nov(?:ember|\.)?|dec(?:ember|\.)?"
)
_SH_MONTHS = (
    r"farvardin|ordibehe?sht|khordad|khurdad|tir|a?mordad|murdad|shahri[vw]ar|sharivar|mehr"
    r"|mihr|aban|azar|adhar|dey|dei|bahman|esfand|isfand|esfend"
)
_FA_MONTHS = (
    "فروردین|اردیبهشت|ارديبهشت|خرداد|تیر|تير|امرداد|مرداد|شهریور|شهريور|مهر|آبان|ابان|آذر|اذر"
    "|دی|دي|بهمن|اسفند|ژانویه|فوریه|مارس|آوریل|مه|ژوئن|ژوئیه|ژوییه|اوت|اگوست|سپتامبر|اکتبر"
    "|نوامبر|دسامبر"
)
_MONTH = rf"(?:{_EN_MONTHS}|{_SH_MONTHS})(?![^\W\d_])"
_FA_MONTH = rf"(?:{_FA_MONTHS})(?:\s*ماه)?(?![^\W\d_])"
_SEASON = r"(?:spring|summer|autumn|fall|winter)(?:\s+of)?"
_FA_SEASON = r"(?:بهار|تابستان|پاییز|پائیز|زمستان)"
_YEAR = r"(?<![\d,.])(\d{4})(?!\d|[,.]\d)"
_FA_YEAR_WORD = r"(?:\s*سال)?"
_DAY = r"(?<![\d,./-])(\d{1,2})(?:st|nd|rd|th)?"
_FA_DAY = r"(?<![\d,./-])(\d{1,2})(?:\s*ام)?"
_SEP = r"[ \t\u00a0]*\n?[ \t\u00a0]*(?<=\s)"  # white space within one paragraph
_GAP = rf"(?:,|\.)?{_SEP}"
_DASH = r"\s*[–—-]\s*|\s+(?:to|until|and|through)\s+"

# a number of people is not a year: "1300 prisoners"
_COUNTED = r"\s+(?:people|persons|prisoners|victims|men|women|نفر|زندانی|تن)(?![^\W\d_])"

# (pattern, score); earlier patterns win over later ones on overlap
_DATE_PATTERNS: list[tuple[re.Pattern[str], float]] = [
    (re.compile(rf"(?:between{_SEP})?{_MONTH}(?:{_DASH}){_MONTH}{_GAP}{_YEAR}", re.I), 1.0),
    (
        re.compile(
            rf"(?:بین|از){_SEP}{_FA_MONTH}{_SEP}(?:و|تا){_SEP}{_FA_MONTH}{_FA_YEAR_WORD}{_SEP}{_YEAR}"
        ),
        1.0,
    ),
    (re.compile(rf"{_DAY}{_SEP}(?:of{_SEP})?{_MONTH}{_GAP}{_YEAR}", re.I), 1.0),
    (re.compile(rf"{_MONTH}{_SEP}{_DAY}{_GAP}{_YEAR}", re.I), 1.0),
    (re.compile(rf"{_FA_DAY}{_SEP}{_FA_MONTH}{_FA_YEAR_WORD}{_SEP}{_YEAR}"), 1.0),
    (re.compile(r"(?<![\d/.-])(\d{4})-(\d{1,2})-(\d{1,2})(?![\d-])"), 1.0),
    (re.compile(r"(?<![\d/.-])(1[34]\d\d)/(\d{1,2})(?:/(\d{1,2}))?(?![\d/])"), 1.0),
    (re.compile(rf"{_MONTH}{_GAP}{_YEAR}", re.I), 1.0),
    (re.compile(rf"{_FA_MONTH}{_FA_YEAR_WORD}{_SEP}{_YEAR}"), 1.0),
    (re.compile(rf"{_SEASON}{_SEP}{_YEAR}", re.I), 0.9),
    (re.compile(rf"{_FA_SEASON}{_FA_YEAR_WORD}{_SEP}{_YEAR}"), 0.9),
    (re.compile(rf"(?<![\d,.:/-])((?:19|20)\d\d|1[34]\d\d)(?![\d:/]|[,.-]\d|{_COUNTED})"), 0.6),
]
_BARE_YEAR = len(_DATE_PATTERNS) - 1
_FA_RANGE_WORDS = re.compile(r"^(?:بین|از)\s+")


@lru_cache(maxsize=4096)
def _parse(quote: str) -> PartialDate | None:
    text = quote.translate(_DIGITS)
    if _FA_RANGE_WORDS.match(text) and " و " in text:  # "بین تیر و شهریور" → "از تیر تا شهریور"
        text = "از " + _FA_RANGE_WORDS.sub("", text).replace(" و ", " تا ", 1)
    text = re.sub(r"(?i)\bthrough\b|\buntil\b", "to", text)
    text = re.sub(r"(?i)^between\s+(.+?)\s+to\s+", r"between \1 and ", text)
    try:
        return parse_partial_date(text)
    except InvalidDate:
        return None


_ANCHOR = re.compile(r"\d{4}")  # every date form has a four-digit year
_BEFORE, _AFTER = 64, 10  # how far a date reaches around its year (in characters)


def _windows(digits: str) -> list[tuple[int, int]]:
    """Stretches of text around four-digit numbers, merged: only they are searched."""
    out: list[tuple[int, int]] = []
    for m in _ANCHOR.finditer(digits):
        start, end = max(0, m.start() - _BEFORE), min(len(digits), m.end() + _AFTER)
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def find_dates(text: str, *, years: bool = True, digits: str | None = None) -> list[FoundDate]:
    """Dates in ``text`` with their offsets, in text order; ``years=False`` skips bare years.

    ``digits`` is ``ascii_digits(text)`` if the caller has it already.
    """
    if not text:
        return []
    digits = ascii_digits(text) if digits is None else digits  # the same length as text
    windows = _windows(digits)
    if not windows:
        return []
    taken: list[tuple[int, int]] = []
    out: list[FoundDate] = []
    for n, (pattern, score) in enumerate(_DATE_PATTERNS):
        if n == _BARE_YEAR and not years:
            break
        for lo, hi in windows:
            for m in pattern.finditer(digits, lo, hi):
                start, end = m.span()
                if any(s < end and start < e for s, e in taken):
                    continue
                quote = text[start:end]
                date = _parse(quote)
                if date is None:
                    continue
                taken.append((start, end))
                out.append(FoundDate(start, end, quote, date, score))
    out.sort(key=lambda f: f.start)
    return out


# ----------------------------------------------------------------------------- numbers
_SCALES = {
    "hundred": 100,
    "thousand": 1000,
    "million": 1_000_000,
    "صد": 100,
    "هزار": 1000,
    "میلیون": 1_000_000,
}
_WORD_NUMBERS = {
    **dict.fromkeys(("one", "یک"), 1),
    **dict.fromkeys(("two", "دو"), 2),
    **dict.fromkeys(("three", "سه"), 3),
    **dict.fromkeys(("four", "چهار"), 4),
    **dict.fromkeys(("five", "پنج"), 5),
    **dict.fromkeys(("six", "شش"), 6),
    **dict.fromkeys(("seven", "هفت"), 7),
    **dict.fromkeys(("eight", "هشت"), 8),
    **dict.fromkeys(("nine", "نه"), 9),
    **dict.fromkeys(("ten", "ده"), 10),
    **dict.fromkeys(("twelve", "دوازده"), 12),
    **dict.fromkeys(("fifteen", "پانزده"), 15),
    **dict.fromkeys(("twenty", "بیست"), 20),
    **dict.fromkeys(("thirty", "سی"), 30),
    **dict.fromkeys(("forty", "چهل"), 40),
    **dict.fromkeys(("fifty", "پنجاه"), 50),
    **dict.fromkeys(("hundred", "صد"), 100),
}
# vague quantity → (low, high); "thousands" is at least two thousand
_VAGUE = {
    "tens of thousands": (20_000, 99_999),
    "hundreds of thousands": (200_000, 999_999),
    "thousands": (2_000, None),
    "hundreds": (200, None),
    "dozens": (24, None),
    "scores": (40, None),
    "ده\u200cها هزار": (20_000, 99_999),
    "دهها هزار": (20_000, 99_999),
    "ده ها هزار": (20_000, 99_999),
    "صدها هزار": (200_000, 999_999),
    "هزاران": (2_000, None),
    "صدها": (200, None),
    "ده\u200cها": (20, None),
    "دهها": (20, None),
}
_SCALE_WORDS = "|".join(_SCALES)
_NUMBER_WORDS = "|".join(sorted(_WORD_NUMBERS, key=len, reverse=True))
_VAGUE_WORDS = "|".join(
    re.escape(k).replace(r"\ ", r"\s+") for k in sorted(_VAGUE, key=len, reverse=True)
)
_NUMBER_PATTERNS: list[tuple[re.Pattern[str], float]] = [
    # 30 thousand, ۳۰ هزار, 1.5 million
    (
        re.compile(
            rf"(?<![\d,.])(\d{{1,6}}(?:[.,]\d{{1,3}})?)\s*({_SCALE_WORDS})(?![^\W\d_])", re.I
        ),
        1.0,
    ),
    # thirty thousand, سی هزار
    (
        re.compile(
            rf"(?<![^\W\d_])({_NUMBER_WORDS})(?:[\s-]+|\s+و\s+)({_SCALE_WORDS})(?![^\W\d_])", re.I
        ),
        0.9,
    ),
    (re.compile(rf"(?<![^\W\d_])(?:{_VAGUE_WORDS})(?![^\W\d_])", re.I), 0.8),
    # 30,000 and 4,482 (groups of three)
    (re.compile(r"(?<![\d,.])\d{1,3}(?:,\d{3}){1,4}(?!\d|[,.]\d)"), 1.0),
    # 4482: three to twelve digits, not part of a code, a decimal, a date or a word
    (re.compile(r"(?<![\w,./:-])\d{3,12}(?![\w/:]|[,.-]\d)"), 0.6),
]


def _quantity(n: int, m: re.Match[str]) -> Quantity | None:
    found = m.group()
    if n == 0:
        number = float(m[1].replace(",", "."))
        return Quantity(int(round(number * _SCALES[m[2].lower()])))
    if n == 1:
        return Quantity(_WORD_NUMBERS[m[1].lower()] * _SCALES[m[2].lower()])
    if n == 2:
        key = " ".join(found.lower().split())
        if key not in _VAGUE:
            return None
        low, high = _VAGUE[key]
        return Quantity(None, low, high, key)
    return Quantity(int(found.replace(",", "")))


# Where each pattern can match, found by a cheap scan; the patterns run only there (their
# lookbehinds see the text before a window; a window ends late enough for their lookaheads).
_DIGIT_RUN = re.compile(r"\d[\d,.]*(?:\s*[^\W\d_]+)?")  # 30,000 · 30 thousand · 1.5 million
# Words that must be there for the word patterns; found with str.find, much faster than a
# regex pass. "ده ها" written apart is found by its second word.
_SCALE_HINTS = tuple(_SCALES)
_VAGUE_HINTS: tuple[str, ...] = (
    *("hundreds", "thousands", "dozens", "scores", "هزاران", "صدها", "دهها"),
    *("ده\u200cها", " ها", "\tها", "\nها"),
)
_WORDS_BEFORE = 40  # "thirty-five thousand": number words before a scale word
_VAGUE_AROUND = 30  # "tens of thousands", "صدها هزار": words around the hint
_LOOKAHEAD = 2


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for lo, hi in spans:
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(hi, out[-1][1]))
        else:
            out.append((lo, hi))
    return out


def _occurrences(
    text: str, words: tuple[str, ...], before: int, after: int
) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for word in words:
        at = text.find(word)
        while at >= 0:
            spans.append((max(0, at - before), min(len(text), at + len(word) + after)))
            at = text.find(word, at + 1)
    spans.sort()
    return _merged(spans)


def _number_windows(n: int, digits: str) -> list[tuple[int, int]]:
    """Where pattern ``n`` may match (the digit patterns share n = 0)."""
    if n in (1, 2):
        lowered = digits.lower()
        if len(lowered) != len(digits):  # lower-casing changed offsets: look everywhere
            return [(0, len(digits))]
        if n == 1:
            return _occurrences(lowered, _SCALE_HINTS, _WORDS_BEFORE, _LOOKAHEAD)
        return _occurrences(lowered, _VAGUE_HINTS, _VAGUE_AROUND, _VAGUE_AROUND)
    size = len(digits)
    return _merged(
        [(m.start(), min(size, m.end() + _LOOKAHEAD)) for m in _DIGIT_RUN.finditer(digits)]
    )


def find_numbers(
    text: str, *, dates: list[FoundDate] | None = None, digits: str | None = None
) -> list[FoundNumber]:
    """Quantities in ``text`` with their offsets, in text order, outside the ``dates`` found
    (by default, ``find_dates(text)``). ``digits`` is ``ascii_digits(text)`` if known."""
    if not text:
        return []
    digits = ascii_digits(text) if digits is None else digits
    found = find_dates(text, digits=digits) if dates is None else dates
    taken = [(d.start, d.end) for d in found]
    out: list[FoundNumber] = []
    windows: dict[int, list[tuple[int, int]]] = {}
    for n, (pattern, score) in enumerate(_NUMBER_PATTERNS):
        key = n if n in (1, 2) else 0  # the digit patterns share their windows
        if key not in windows:
            windows[key] = _number_windows(key, digits)
        for lo, hi in windows[key]:
            for m in pattern.finditer(digits, lo, hi):
                start, end = m.span()
                if any(s < end and start < e for s, e in taken):
                    continue
                quantity = _quantity(n, m)
                if quantity is None:
                    continue
                taken.append((start, end))
                out.append(FoundNumber(start, end, text[start:end], quantity, score))
    out.sort(key=lambda f: f.start)
    return out
