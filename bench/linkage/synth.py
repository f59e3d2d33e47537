"""Synthetic victim lists with known truth, for the linkage benchmarks (issue 6).

Every person here is invented; every list is named ``synthetic-…`` so that no file produced
by this generator can be mistaken for a real list.

A population of ``people`` persons is drawn first:

- gender (about 88 % men, as among the 1988 victims), a given name for that gender and a
  surname, both Zipf-distributed over the names lexicon (``dadkhah/names/data``: given names,
  listed surnames, and surnames composed from roots and affixes), in the order of the data
  files, which list common names first; a father's name (a man's given name, Zipf);
- a birth year in 1940-1970 (mostly 1955-1968); a city and a prison from the places gazetteer
  (``dadkhah/linkage/data/places.yaml``), the prison in that city when the gazetteer knows one;
- a death date in the summer of 1988 (late July to mid September);
- a latent visibility (standard normal) that raises or lowers the chance to be on every list.

Each list then captures each person with its own probability: ``logit p = logit(base) +
slope * visibility + tehran * [prison in Tehran or Karaj]`` (heterogeneous and list-dependent capture,
with a covariate effect of the prison). A captured person becomes one row written in the
list's own style (``STYLES``): Persian script (Arabic letter forms, non-joiners dropped, family
name first, typos; ``bench/names/evalset.py`` writes the names) or Latin script with the list's
own transliteration habits (each list prefers one spelling of each name); Solar Hijri or
Gregorian birth years, sometimes off by one; dates as ``1367/05/23``, ``1988-08-14``,
``August 1988``, ``14 August 1988``, ``Mordad 1367`` or ``مرداد 1367``, sometimes a few days
off; places in either script and one of their variants, and now and then another city or
prison than the person's (``CONFLICT``); fields missing at list-dependent rates.

``write_csvs`` writes one CSV per list in the victim-list format of ARCHITECTURE.md (the
families' list in Windows-1256, the survivors' list in UTF-16, the press list in UTF-8 with a
BOM, the others in UTF-8) and one combined UTF-8 CSV.

    .venv/bin/python bench/linkage/synth.py --people 5000 --lists 4 [--seed N] [--out DIR]
"""

from __future__ import annotations

import argparse
import bisect
import csv
import datetime as dt
import importlib.util
import itertools
import math
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType

import yaml

from dadkhah.core.dates import gregorian_to_sh
from dadkhah.names.lexicon import DATA as NAMES_DATA
from dadkhah.names.lexicon import fa_key, lexicon

__all__ = [
    "COLUMNS",
    "STYLES",
    "Style",
    "Person",
    "Truth",
    "generate",
    "population",
    "write_csvs",
    "style_of",
]

ROOT = Path(__file__).resolve().parents[2]
PLACES = ROOT / "dadkhah" / "linkage" / "data" / "places.yaml"
COLUMNS = (
    "record_id",
    "list",
    "full_name",
    "father_name",
    "birth_year",
    "gender",
    "city",
    "prison",
    "death_date",
)
#: (list name, record_id) -> person id
Truth = dict[tuple[str, str], str]

SH_MONTHS_LATIN = ("Farvardin", "Ordibehesht", "Khordad", "Tir", "Mordad", "Shahrivar", "Mehr")
SH_MONTHS_FA = ("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر")
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
# Windows-1256 has no Farsi yeh, heh with hamza or Persian digits: files in it use the Arabic
# forms, as real ones do.
CP1256 = str.maketrans({"ی": "ي", "ۀ": "ه", **{c: str(i) for i, c in enumerate("۰۱۲۳۴۵۶۷۸۹")}})
FIRST_DEATH = dt.date(1988, 7, 27)
#: Chance that a row names another city or prison than the person's (birth or arrest city,
#: a prison the person passed through).
CONFLICT = 0.04
#: Cities whose prisons (Evin, Gohardasht, Qezel Hesar, …) form the capture covariate.
CAPITAL = ("tehran", "karaj")


@cache
def evalset() -> ModuleType:
    """bench/names/evalset.py (its name writers and typos are reused, not duplicated)."""
    path = ROOT / "bench" / "names" / "evalset.py"
    spec = importlib.util.spec_from_file_location("names_evalset", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Style:
    """How one list writes its rows (probabilities per row)."""

    name: str
    script: str  # "fa" | "latin"
    encoding: str  # Python codec name of its CSV file
    ids: str  # record id prefix ("" for plain numbers)
    base: float  # capture probability of an average person
    slope: float  # effect of the person's visibility on the logit
    tehran: float  # effect of a prison in Tehran or Karaj on the logit (the covariate)
    father: float  # father's name present
    year: float  # birth year present
    year_sh: float  # birth year written in Solar Hijri
    year_off: float  # birth year off by one
    gender: float  # gender present
    city: float
    prison: float
    dates: tuple[tuple[str, float], ...]  # date style -> weight ("" = missing)
    date_off: float  # death date a few days off
    upper: bool = False  # Latin names in capitals
    persian_digits: bool = False


STYLES: tuple[Style, ...] = (
    Style(
        "synthetic-families",
        "fa",
        "cp1256",
        "",
        base=0.55,
        slope=0.6,
        tehran=0.0,
        father=0.9,
        year=0.8,
        year_sh=1.0,
        year_off=0.05,
        gender=0.7,
        city=0.9,
        prison=0.6,
        dates=(("sh_day", 0.5), ("fa_month", 0.3), ("", 0.2)),
        date_off=0.05,
    ),
    Style(
        "synthetic-ngo",
        "latin",
        "utf-8",
        "NGO-",
        base=0.45,
        slope=0.8,
        tehran=0.8,
        father=0.4,
        year=0.7,
        year_sh=0.0,
        year_off=0.08,
        gender=0.9,
        city=0.85,
        prison=0.8,
        dates=(("iso", 0.5), ("en_month", 0.3), ("", 0.2)),
        date_off=0.08,
    ),
    Style(
        "synthetic-survivors",
        "fa",
        "utf-16",
        "",
        base=0.35,
        slope=0.5,
        tehran=1.2,
        father=0.5,
        year=0.4,
        year_sh=0.9,
        year_off=0.25,
        gender=0.5,
        city=0.6,
        prison=0.9,
        dates=(("fa_month", 0.3), ("sh_day", 0.1), ("", 0.6)),
        date_off=0.15,
        persian_digits=True,
    ),
    Style(
        "synthetic-press",
        "latin",
        "utf-8-sig",
        "P",
        base=0.3,
        slope=1.0,
        tehran=0.4,
        father=0.2,
        year=0.3,
        year_sh=0.0,
        year_off=0.15,
        gender=0.6,
        city=0.7,
        prison=0.4,
        dates=(("en_month", 0.4), ("sh_month", 0.2), ("", 0.4)),
        date_off=0.1,
    ),
    Style(
        "synthetic-un",
        "latin",
        "utf-8",
        "UN/1988/",
        base=0.35,
        slope=0.7,
        tehran=-0.3,
        father=0.6,
        year=0.6,
        year_sh=0.0,
        year_off=0.05,
        gender=0.9,
        city=0.8,
        prison=0.7,
        dates=(("iso", 0.4), ("en_day", 0.3), ("", 0.3)),
        date_off=0.05,
        upper=True,
    ),
)


def style_of(list_name: str) -> Style:
    """The style of a generated list ("synthetic-ngo", "synthetic-ngo-2", …)."""
    for style in STYLES:
        if list_name == style.name or list_name.startswith(style.name + "-"):
            return style
    raise KeyError(f"not a generated list: {list_name!r}")


@dataclass(frozen=True)
class Person:
    pid: str
    gender: str  # "m" | "f"
    given: str  # lexicon keys
    surname: str
    father: str
    birth_year: int
    city: str  # place keys
    prison: str | None
    death: dt.date
    visibility: float


@dataclass(frozen=True)
class Place:
    key: str
    kind: str  # "city" | "prison"
    fa: tuple[str, ...]  # Persian-script variants, most common first
    latin: tuple[str, ...]
    city: str | None  # a prison's city key, when known


class Zipf:
    """Draws from ``items`` with weight 1 / (rank + offset) ** exponent."""

    def __init__(self, items: Sequence[str], offset: float, exponent: float = 1.0) -> None:
        if not items:
            raise ValueError("Zipf over no items")
        self.items = list(items)
        weights = [1 / (rank + offset) ** exponent for rank in range(len(items))]
        self.cum = list(itertools.accumulate(weights))

    def __call__(self, rng: random.Random) -> str:
        i = bisect.bisect_left(self.cum, rng.random() * self.cum[-1])
        return self.items[min(i, len(self.items) - 1)]


# --------------------------------------------------------------------------------- sources
@cache
def _given_sex() -> dict[str, str]:
    """Lexicon key of each given name -> "m", "f" or "u" (given_names.csv)."""
    path = NAMES_DATA / "given_names.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        lines = [line for line in handle if line.strip() and not line.startswith("#")]
    return {fa_key(row["fa"]): row["sex"].strip() for row in csv.DictReader(lines)}


@cache
def _names() -> tuple[Zipf, Zipf, Zipf]:
    """Zipf samplers of men's given names, women's given names and surnames."""
    lex = lexicon()
    sex = _given_sex()
    order = [k for k in lex.latin if k in lex.given and lex.latin[k]]
    men = [k for k in order if sex.get(k, "u") in ("m", "u")]
    women = [k for k in order if sex.get(k, "u") in ("f", "u")]
    surnames = [k for k in lex.latin if k in lex.surnames and k not in lex.given and lex.latin[k]]
    return Zipf(men, 5), Zipf(women, 5), Zipf(surnames, 20)


def _variants(entry: object) -> list[str]:
    if entry is None:
        return []
    if isinstance(entry, str):
        return [entry]
    if isinstance(entry, list):
        return [str(x) for x in entry if x]
    raise ValueError(f"{PLACES}: unexpected variants {entry!r}")


def _is_persian(text: str) -> bool:
    return any("\u0600" <= c <= "\u06ff" for c in text)


@cache
def places(path: Path = PLACES) -> tuple[Place, ...]:
    """Cities and prisons of the gazetteer's data file, with their variants in both scripts."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    found: list[Place] = []
    for entry in data.get("places") or []:
        names = _variants(entry.get("names"))
        fa = [n for n in names if _is_persian(n)]
        latin = [n for n in names if not _is_persian(n)]
        key = str(entry["key"])
        if not fa or not latin:
            raise ValueError(f"{path}: place {key!r} lacks a Persian or a Latin variant")
        city = entry.get("city")
        found.append(Place(key, str(entry["kind"]), tuple(fa), tuple(latin), city and str(city)))
    if not any(p.kind == "city" for p in found):
        raise ValueError(f"{path}: no cities")
    return tuple(found)


# ------------------------------------------------------------------------------ population
def population(people: int, rng: random.Random) -> list[Person]:
    men, women, surnames = _names()
    all_places = places()
    cities = [p for p in all_places if p.kind == "city"]
    city_zipf = Zipf([p.key for p in cities], 1.5, 1.1)
    prisons_of: dict[str, list[str]] = {}
    for p in all_places:
        if p.kind == "prison" and p.city is not None:
            prisons_of.setdefault(p.city, []).append(p.key)
    for city in CAPITAL:  # prisoners from Tehran were held in Karaj's prisons too
        prisons_of[city] = [k for c in CAPITAL for k in prisons_of.get(c, [])]
    free_prisons = [p.key for p in all_places if p.kind == "prison"]
    persons = []
    width = len(str(people))
    for i in range(people):
        gender = "m" if rng.random() < 0.88 else "f"
        given = (men if gender == "m" else women)(rng)
        city = city_zipf(rng)
        local = prisons_of.get(city)
        if local:
            prison: str | None = rng.choice(local)
        elif free_prisons and rng.random() < 0.3:  # moved to a prison elsewhere
            prison = rng.choice(free_prisons)
        else:
            prison = None
        year = min(1970, max(1940, round(rng.triangular(1940, 1970, 1962))))
        death = FIRST_DEATH + dt.timedelta(days=round(rng.triangular(0, 50, 12)))
        persons.append(
            Person(
                f"p{i:0{width}d}",
                gender,
                given,
                surnames(rng),
                men(rng),
                year,
                city,
                prison,
                death,
                rng.gauss(0.0, 1.0),
            )
        )
    return persons


# ---------------------------------------------------------------------------------- writing
def _habit(options: Sequence[str], list_name: str, key: str) -> list[str]:
    """The list's habitual spelling first and thrice (write_latin prefers the first one)."""
    options = list(options)
    pick = random.Random(f"{list_name}\x00{key}").randrange(len(options))
    preferred = options[pick]
    return [preferred] * 3 + [o for o in options if o != preferred]


def _pick(rng: random.Random, weighted: Sequence[tuple[str, float]]) -> str:
    return rng.choices([k for k, _ in weighted], [w for _, w in weighted])[0]


def _date(rng: random.Random, style: Style, death: dt.date) -> str:
    kind = _pick(rng, style.dates)
    if not kind:
        return ""
    if rng.random() < style.date_off:
        death += dt.timedelta(days=rng.choice((-7, -3, -2, -1, 1, 2, 3, 7)))
    y, m, d = gregorian_to_sh(death)
    if kind == "sh_day":
        text = f"{y}/{m:02d}/{d:02d}"
    elif kind == "fa_month":
        text = f"{SH_MONTHS_FA[m - 1]} {y}"
    elif kind == "sh_month":
        text = f"{SH_MONTHS_LATIN[m - 1]} {y}"
    elif kind == "iso":
        text = death.isoformat()
    elif kind == "en_month":
        text = death.strftime("%B %Y")
    elif kind == "en_day":
        text = f"{death.day} {death.strftime('%B %Y')}"
    else:
        raise ValueError(f"unknown date style {kind!r}")
    return text.translate(PERSIAN_DIGITS) if style.persian_digits else text


def _year(rng: random.Random, style: Style, year: int) -> str:
    if rng.random() >= style.year:
        return ""
    if rng.random() < style.year_off:
        year += rng.choice((-1, 1))
    # a Gregorian year overlaps two Solar Hijri years; its first months fall in the earlier one
    text = str(year - 621 - (rng.random() < 0.22)) if rng.random() < style.year_sh else str(year)
    return text.translate(PERSIAN_DIGITS) if style.persian_digits else text


def _place(rng: random.Random, style: Style, place: Place | None, present: float) -> str:
    if place is None or rng.random() >= present:
        return ""
    if style.script == "fa":
        return place.fa[0] if rng.random() < 0.7 else rng.choice(place.fa)
    common = place.latin[:2]
    habit = common[random.Random(f"{style.name}\x00{place.key}").randrange(len(common))]
    text = habit if rng.random() < 0.85 else rng.choice(place.latin)
    return text.upper() if style.upper else text


def _gender(rng: random.Random, style: Style, gender: str) -> str:
    if rng.random() >= style.gender:
        return ""
    if style.script == "fa":
        return "مرد" if gender == "m" else "زن"
    words = ("M", "F") if style.name != "synthetic-press" else ("male", "female")
    return words[0] if gender == "m" else words[1]


def _father(rng: random.Random, style: Style, key: str) -> str:
    ev = evalset()
    lex = lexicon()
    if rng.random() >= style.father:
        return ""
    if style.script == "fa":
        text = lex.display.get(key, key)
        if rng.random() < 0.08:
            text = ev._persian_typo(rng, text)
        return text.replace("ی", "ي").replace("ک", "ك") if rng.random() < 0.4 else text
    options = _habit(lex.latin_of(key), style.name, key)
    text = options[0] if rng.random() < 0.6 else rng.choice(options)
    if rng.random() < 0.15:
        text = ev._latin_typo(rng, text)
    return text.upper() if style.upper else text


def _row(
    rng: random.Random, style: Style, list_name: str, person: Person, by_key: dict[str, Place]
) -> dict[str, str]:
    ev = evalset()
    lex = lexicon()
    if style.script == "fa":
        name, _typo = ev.write_persian(
            rng, lex.display.get(person.given, person.given), lex.display.get(person.surname)
        )
    else:
        name, _typo = ev.write_latin(
            rng,
            _habit(lex.latin_of(person.given), list_name, person.given),
            _habit(lex.latin_of(person.surname), list_name, person.surname),
        )
        name = name.upper() if style.upper else name
    city, prison = by_key[person.city], by_key.get(person.prison or "")
    if rng.random() < CONFLICT:  # the city of birth, or of arrest, instead of the city of death
        city = rng.choice([p for p in by_key.values() if p.kind == "city"])
    if prison is not None and rng.random() < CONFLICT:  # another prison the person was held in
        prison = rng.choice([p for p in by_key.values() if p.kind == "prison"])
    row = {
        "record_id": "",
        "list": list_name,
        "full_name": name,
        "father_name": _father(rng, style, person.father),
        "birth_year": _year(rng, style, person.birth_year),
        "gender": _gender(rng, style, person.gender),
        "city": _place(rng, style, city, style.city),
        "prison": _place(rng, style, prison, style.prison),
        "death_date": _date(rng, style, person.death),
    }
    if style.encoding == "cp1256":
        row = {k: v.translate(CP1256) for k, v in row.items()}
    return row


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def list_names(lists: int) -> list[str]:
    if lists < 1:
        raise ValueError("at least one list")
    names = []
    for i in range(lists):
        style = STYLES[i % len(STYLES)]
        names.append(style.name if i < len(STYLES) else f"{style.name}-{i // len(STYLES) + 1}")
    return names


def generate(
    people: int, lists: int, seed: int, *, persons: list[Person] | None = None
) -> tuple[list[list[dict[str, str]]], Truth]:
    """``lists`` lists drawn from ``people`` invented persons: the rows of each list (victim-list
    format, all values strings, "" when missing) and the truth, (list, record_id) -> person id.
    Persons on no list appear in no row. Deterministic for a seed."""
    rng = random.Random(seed)
    if persons is None:
        persons = population(people, rng)
    by_key = {p.key: p for p in places()}
    tehran = capital_prisons()
    out: list[list[dict[str, str]]] = []
    truth: Truth = {}
    for list_name in list_names(lists):
        style = style_of(list_name)
        rows: list[tuple[dict[str, str], str]] = []
        for person in persons:
            logit = _logit(style.base) + style.slope * person.visibility
            logit += style.tehran * (person.prison in tehran)
            if rng.random() < 1 / (1 + math.exp(-logit)):
                rows.append((_row(rng, style, list_name, person, by_key), person.pid))
        rng.shuffle(rows)
        for number, (row, pid) in enumerate(rows, start=1):
            row["record_id"] = f"{style.ids}{number}"
            truth[(list_name, row["record_id"])] = pid
        out.append([row for row, _ in rows])
    return out, truth


def capital_prisons() -> set[str]:
    """Keys of the prisons of Tehran and Karaj (the covariate of capture)."""
    return {p.key for p in places() if p.kind == "prison" and p.city in CAPITAL}


def write_csvs(lists: Sequence[Sequence[dict[str, str]]], directory: Path) -> list[Path]:
    """One CSV per list in its style's encoding, then ``synthetic-all.csv`` (UTF-8) with every row."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for rows in lists:
        if not rows:
            continue
        name = rows[0]["list"]
        path = directory / f"{name}.csv"
        with path.open("w", encoding=style_of(name).encoding, newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
        paths.append(path)
    path = directory / "synthetic-all.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for rows in lists:
            writer.writerows(rows)
    paths.append(path)
    return paths


def people_for(records: int, lists: int, seed: int = 0) -> int:
    """How many persons give about ``records`` rows over ``lists`` lists (from a pilot draw)."""
    pilot = 4000
    rows, _truth = generate(pilot, lists, seed)
    per_person = sum(len(r) for r in rows) / pilot
    return max(1, round(records / per_person))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--lists", type=int, default=4)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--out", type=Path, default=None, help="write the CSVs here")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    print(f"seed {seed}")
    lists, truth = generate(args.people, args.lists, seed)
    seen = len(set(truth.values()))
    print(f"{args.people} persons, {seen} on at least one list, {len(truth)} rows")
    for rows in lists:
        print(f"  {rows[0]['list'] if rows else '(empty)'}: {len(rows)} rows")
        for row in rows[:3]:
            print("    " + " | ".join(row[c] for c in COLUMNS))
    if args.out is not None:
        for path in write_csvs(lists, args.out):
            print(f"wrote {path}")


if __name__ == "__main__":
    main()
