"""The prepared frame: one row per list record, in the form the linkage model compares.

Columns (the contract between ``prepare`` and ``model``; see
``docs/design/2026-11-21-linkage.md``):

=================  ==============  ==========================================================
column             dtype           value
=================  ==============  ==========================================================
unique_id          object (str)    ``list`` + ``UID_SEP`` (the unit separator, U+001F) +
                                   ``record_id``: record ids are unique only within a list
record_id          object (str)    as given
source_list        object (str)    the record's list, as given
full_name          object          as written, or None
father_name        object          as written, or None
name_norm          object          ``names.normalize(full_name)``, or None
father_norm        object          ``names.normalize(father_name)``, or None
name_keys          object (list)   ``sorted(names.match_keys(full_name))``; [] without a name
                                   (records of one name share one list: do not mutate it)
name_tf            object          ``name_tf_key(full_name)``, or None
birth_year         Int64           Gregorian year (``parse_birth_year``), or <NA>
gender             object          "m", "f" or None
city_key           object          gazetteer key, else the normalized text, or None
prison_key         object          gazetteer key, else the normalized text, or None
death_lo           object (date)   first day the death date may denote (``datetime.date``)
death_hi           object (date)   last day; equal to ``death_lo`` for a day
death_precision    object          "day", "month", "year", or None
=================  ==============  ==========================================================

Missing values are None (``pandas.NA`` in ``birth_year``), never NaN. Dates are Python
``datetime.date`` objects in object columns: no nanosecond timestamps, which cannot hold every
date a partial date may span; DuckDB reads them as DATE (and ``name_keys`` as VARCHAR[]).

Values that cannot be read are problems naming the file, line and field, as in
``lists.read_records``: ``on_error="stop"`` raises ``ListError`` with all of them, ``"report"``
empties the value and returns the problems. A ``unique_id`` given twice is always fatal.
Everything is computed per distinct value (caches), with plain loops rather than per-row pandas
calls, the garbage collector paused: one million synthetic records took 11.5 s of CPU time.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import TypeVar

import pandas as pd  # type: ignore[import-untyped]  # no pandas-stubs in the lock file

from dadkhah.core.dates import Precision, parse_partial_date
from dadkhah.linkage.gazetteer import Gazetteer
from dadkhah.linkage.lists import ListError, ListRecord, OnError, Problem, paused_gc
from dadkhah.names import match_keys, normalize
from dadkhah.names.tokens import split

__all__ = [
    "FRAME_COLUMNS",
    "UID_SEP",
    "unique_id",
    "prepare",
    "parse_birth_year",
    "parse_gender",
    "death_bounds",
    "name_tf_key",
    "check_value",
    "checker",
    "SH_YEARS",
    "GREGORIAN_YEARS",
]

FRAME_COLUMNS = (
    "unique_id",
    "record_id",
    "source_list",
    "full_name",
    "father_name",
    "name_norm",
    "father_norm",
    "name_keys",
    "name_tf",
    "birth_year",
    "gender",
    "city_key",
    "prison_key",
    "death_lo",
    "death_hi",
    "death_precision",
)
UID_SEP = "\x1f"
#: Birth years accepted: Solar Hijri (converted, SH + 621) and Gregorian; the ranges meet.
SH_YEARS = (1259, 1404)
GREGORIAN_YEARS = (1880, 2025)
_SH_TO_GREGORIAN = 621


def unique_id(list_name: str, record_id: str) -> str:
    """The ``unique_id`` of a record: unambiguous, as neither part may hold ``UID_SEP``."""
    return f"{list_name}{UID_SEP}{record_id}"


# ------------------------------------------------------------------------------- values

_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_FOLD = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "ؤ": "و", "\u200c": None})
#: Values that say the value is unknown: read as empty, not as a problem.
UNKNOWN = frozenset(
    {"?", "??", "-", "--", "—", "unknown", "unk", "n/a", "na", "none", "not known",
     "نامعلوم", "نامشخص", "معلوم نیست", "مشخص نیست", "؟", "-؟-"}
)  # fmt: skip


def _clean(text: str | None) -> str:
    """Digits to ASCII, Arabic letter forms to Persian, case folded, spaces collapsed."""
    if text is None:
        return ""
    return " ".join(str(text).translate(_DIGITS).translate(_FOLD).casefold().split())


_YEAR_RE = re.compile(
    r"(?:(?:c|ca|circa|about|approx|approximately|حدود|حدودا|حدوداً|~)\.?\s*)?"
    r"(\d{4})(?:\.0+)?\s*\??\s*(sh|ap|hs|ش|شمسی|هش|ad|ce|م|میلادی)?"
)


def parse_birth_year(text: str | None) -> int | None:
    """The Gregorian birth year, or None when empty or unknown ("?", "نامعلوم").

    A year alone (``1340``, ``۱۳۴۰``, ``1961``, ``c. 1961``, ``1340 ش``) is Solar Hijri from
    1259 to 1404 (given as the Gregorian year holding most of it, SH + 621) and Gregorian from
    1880 to 2025; a full date (``1340/05/12``, ``1961-08-03``, ``Mordad 1340``) gives the
    Gregorian year of its middle. Raises ValueError with a clear message otherwise.
    """
    s = _clean(text)
    if not s or s in UNKNOWN:
        return None
    if m := _YEAR_RE.fullmatch(s):
        year, marker = int(m[1]), m[2]
        solar = marker in ("sh", "ap", "hs", "ش", "شمسی", "هش") or (
            marker is None and year <= SH_YEARS[1]
        )
        lo, hi = SH_YEARS if solar else GREGORIAN_YEARS
        if not lo <= year <= hi:
            raise ValueError(
                f"not a plausible birth year: {text!r} (Solar Hijri {SH_YEARS[0]}-{SH_YEARS[1]} "
                f"or Gregorian {GREGORIAN_YEARS[0]}-{GREGORIAN_YEARS[1]})"
            )
        return year + _SH_TO_GREGORIAN if solar else year
    try:
        date = parse_partial_date(str(text))
    except ValueError:
        raise ValueError(f"not a year: {text!r}") from None
    middle = date.start + (date.end - date.start) / 2
    if not GREGORIAN_YEARS[0] <= middle.year <= GREGORIAN_YEARS[1]:
        raise ValueError(f"not a plausible birth date: {text!r}")
    return middle.year


_GENDERS = {
    "m": "m", "male": "m", "man": "m", "mr": "m", "masculine": "m", "h": "m",
    "مرد": "m", "مذکر": "m", "ذکر": "m", "اقا": "m", "آقا": "m", "پسر": "m",
    "f": "f", "female": "f", "woman": "f", "w": "f", "mrs": "f", "ms": "f", "miss": "f",
    "feminine": "f", "زن": "f", "مونث": "f", "موونث": "f", "خانم": "f", "دختر": "f",
    "بانو": "f",
}  # fmt: skip


def parse_gender(text: str | None) -> str | None:
    """The gender, "m" or "f", from m/f/male/female/man/woman/مرد/زن/مذکر/مونث/آقا/خانم…; None
    when empty or unknown; raises ValueError for anything else."""
    s = _clean(text)
    if not s or s in UNKNOWN:
        return None
    found = _GENDERS.get(s.rstrip("."))
    if found is None:
        raise ValueError(f"unknown gender {text!r}: use m, f, male, female, مرد or زن")
    return found


_PRECISION = {Precision.DAY: "day", Precision.MONTH: "month", Precision.YEAR: "year"}


def death_bounds(
    text: str | None,
) -> tuple[datetime.date | None, datetime.date | None, str | None]:
    """First and last Gregorian day of a partial date, and its precision.

    Reads what ``core.dates.parse_partial_date`` reads (``1367/05/23``, ``1367/05``, ``1367``,
    ``1988-08-14``, ``August 1988``, ``14 August 1988``, ``Mordad 1367``, Persian digits,
    seasons and ranges). A season or a range gets "month" when it spans at most 31 days, else
    "year". Empty or unknown: (None, None, None). Raises ValueError (``InvalidDate``).
    """
    s = _clean(text)
    if not s or s in UNKNOWN:
        return None, None, None
    date = parse_partial_date(str(text))
    precision = _PRECISION.get(date.precision)
    if precision is None:
        precision = "month" if (date.end - date.start).days < 31 else "year"
    return date.start, date.end, precision


def name_tf_key(name: str | None) -> str | None:
    """One key of the whole name for term frequencies: the consonant skeletons of its tokens
    (titles aside, compounds joined), sorted, so that word order and script do not matter
    ("Ali Rezaei", "Rezaei, Ali", "علی رضایی" share it). None when the name has none."""
    if name is None or not name.strip():
        return None
    skeletons = sorted(t.skeleton for t in split(name) if t.skeleton)
    return " ".join(skeletons) or None


_T = TypeVar("_T")
_Bounds = tuple[datetime.date | None, datetime.date | None, str | None]


def _cached(parse: Callable[[str], _T]) -> Callable[[str], tuple[_T | None, str | None]]:
    """``parse`` with its value or its error message cached per distinct text."""

    @lru_cache(maxsize=1 << 16)
    def parsed(text: str) -> tuple[_T | None, str | None]:
        try:
            return parse(text), None
        except ValueError as exc:
            return None, str(exc)

    return parsed


_YEAR_OF = _cached(parse_birth_year)
_GENDER_OF = _cached(parse_gender)
_DEATH_OF = _cached(death_bounds)
_PARSERS: dict[str, Callable[[str], tuple[object, str | None]]] = {
    "birth_year": _YEAR_OF,
    "gender": _GENDER_OF,
    "death_date": _DEATH_OF,
}


def check_value(column: str, text: str) -> str | None:
    """Why ``text`` is not a valid value of ``column`` (birth_year, gender, death_date), or
    None when it is (or the column has no check)."""
    parse = _PARSERS.get(column)
    return None if parse is None else parse(text)[1]


def checker(column: str) -> Callable[[str], str | None] | None:
    """``check_value`` for one column, as a function (None when the column has no check)."""
    parse = _PARSERS.get(column)
    if parse is None:
        return None
    return lambda text: parse(text)[1]


# -------------------------------------------------------------------------------- frame


def prepare(
    records: Iterable[ListRecord],
    gazetteer: Gazetteer | None = None,
    on_error: OnError = "stop",
) -> tuple[pd.DataFrame, list[Problem]]:
    """The prepared frame of ``records`` and the problems found (see the module docstring)."""
    if on_error not in ("stop", "report"):
        raise ValueError(f"on_error must be 'stop' or 'report', not {on_error!r}")
    places = gazetteer if gazetteer is not None else Gazetteer.default()
    year_of, gender_of, death_of = _YEAR_OF, _GENDER_OF, _DEATH_OF
    city_of = _memo(lambda t: places.key_or_text(t, "city"))
    prison_of = _memo(lambda t: places.key_or_text(t, "prison"))
    features: dict[str, tuple[str | None, list[str], str | None]] = {}  # per distinct name

    problems: list[Problem] = []
    seen: dict[str, tuple[str, int]] = {}
    uids: list[str] = []
    rids: list[str] = []
    lists: list[str] = []
    full: list[str | None] = []
    father: list[str | None] = []
    norm: list[str | None] = []
    father_norm: list[str | None] = []
    keys: list[list[str]] = []
    tf: list[str | None] = []
    years: list[int | None] = []
    genders: list[str | None] = []
    cities: list[str | None] = []
    prisons: list[str | None] = []
    lo: list[datetime.date | None] = []
    hi: list[datetime.date | None] = []
    precision: list[str | None] = []

    with paused_gc():
        for r in records:
            rid, lst = r.record_id, r.list
            if not rid or not lst or UID_SEP in rid or UID_SEP in lst:
                which = "record_id" if not rid or UID_SEP in rid else "list"
                problems.append(
                    Problem(r.file, r.line, which, f"{which} is empty or holds a U+001F character")
                )
                continue
            uid = lst + UID_SEP + rid
            if uid in seen:
                first_file, first_line = seen[uid]
                problems.append(
                    Problem(
                        r.file,
                        r.line,
                        "record_id",
                        f"duplicated record_id {rid!r} in list {lst!r}: also at "
                        f"{first_file}, line {first_line}",
                    )
                )
                continue
            seen[uid] = (r.file, r.line)
            uids.append(uid)
            rids.append(rid)
            lists.append(lst)

            name = r.full_name or None
            full.append(name)
            k: list[str]
            if name is None:
                n, k, t = None, [], None
            elif (found := features.get(name)) is not None:
                n, k, t = found
            else:
                n, k, t = features[name] = _name_features(name)
            norm.append(n)
            keys.append(k)
            tf.append(t)
            fname = r.father_name or None
            father.append(fname)
            father_norm.append(_normalized(fname) if fname else None)

            year = None
            if r.birth_year:
                year, error = year_of(r.birth_year)
                if error is not None:
                    problems.append(Problem(r.file, r.line, "birth_year", error, False))
            years.append(year)
            gender = None
            if r.gender:
                gender, error = gender_of(r.gender)
                if error is not None:
                    problems.append(Problem(r.file, r.line, "gender", error, False))
            genders.append(gender)
            cities.append(city_of(r.city) if r.city else None)
            prisons.append(prison_of(r.prison) if r.prison else None)
            bounds: _Bounds | None = None
            if r.death_date:
                bounds, error = death_of(r.death_date)
                if error is not None:
                    problems.append(Problem(r.file, r.line, "death_date", error, False))
            if bounds is None:
                bounds = (None, None, None)
            lo.append(bounds[0])
            hi.append(bounds[1])
            precision.append(bounds[2])

    if (on_error == "stop" and problems) or any(p.fatal for p in problems):
        raise ListError(problems)

    def obj(values: Sequence[object]) -> pd.Series:
        return pd.Series(values, dtype=object)

    frame = pd.DataFrame(
        {
            "unique_id": obj(uids),
            "record_id": obj(rids),
            "source_list": obj(lists),
            "full_name": obj(full),
            "father_name": obj(father),
            "name_norm": obj(norm),
            "father_norm": obj(father_norm),
            "name_keys": obj(keys),
            "name_tf": obj(tf),
            "birth_year": pd.array(years, dtype="Int64"),
            "gender": obj(genders),
            "city_key": obj(cities),
            "prison_key": obj(prisons),
            "death_lo": obj(lo),
            "death_hi": obj(hi),
            "death_precision": obj(precision),
        },
        columns=list(FRAME_COLUMNS),
    )
    return frame, problems


@lru_cache(maxsize=1 << 16)
def _normalized(text: str) -> str | None:
    return normalize(text) or None


def _name_features(name: str) -> tuple[str | None, list[str], str | None]:
    """(normalized, sorted match keys, term-frequency key) of a full name."""
    return normalize(name) or None, sorted(match_keys(name)), name_tf_key(name)


def _memo(compute: Callable[[str], str | None]) -> Callable[[str], str | None]:
    known: dict[str, str | None] = {}

    def memo(text: str) -> str | None:
        if text in known:
            return known[text]
        found = known[text] = compute(text)
        return found

    return memo
