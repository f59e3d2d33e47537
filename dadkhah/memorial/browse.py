"""Finding published victims: the index behind the list, name search and facets.

``refresh(person)`` rebuilds one victim's :class:`VictimEntry` from the claims a PUBLIC
viewer may see (``records.claims.shown_claims``), so a restricted hometown, a protected
witness or a rejected claim never reaches the list, a facet count or a search key.
``browse(params)`` answers a list request: name search in either script (the cross-script
word keys of ``dadkhah.names.match_keys``), filters by city, prison, year (or a range of
years), affiliation, age band and gender, facet counts over the filtered set, and a sort.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, Exists, Max, OuterRef, QuerySet, Sum

import dadkhah.names
from dadkhah.core.confidentiality import Level
from dadkhah.core.dates import PartialDate, sh_to_gregorian
from dadkhah.memorial.models import Publication, VictimEntry, VictimFacet, VictimNameKey
from dadkhah.names import match_keys, normalize
from dadkhah.records.claims import ShownClaim, shown_claims, visible_records
from dadkhah.records.models import Claim, Event, Participation, Person, Place
from dadkhah.records.values import vocabularies

__all__ = [
    "AGE_BANDS",
    "FACETS",
    "Browse",
    "BrowseParams",
    "FacetValue",
    "VictimFacts",
    "age_band",
    "browse",
    "parse_params",
    "rebuild_all",
    "refresh",
    "victim_facts",
    "word_keys",
]

PUBLIC = Level.PUBLIC
FACETS = ("city", "prison", "year", "affiliation", "age", "gender")
#: Age at execution, in bands (inclusive lower, inclusive upper; None = open).
AGE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("0-19", 0, 19),
    ("20-29", 20, 29),
    ("30-39", 30, 39),
    ("40-49", 40, 49),
    ("50-", 50, None),
)
#: How long the number of matches and the facet counts of one search stay cached. The key
#: holds the state of the index (``_index_version``), so any refresh makes a new key.
COUNTS_CACHE_SECONDS = 600
YEAR_RE = re.compile(r"^\s*(\d{4})\s*(?:[-–]\s*(\d{4})\s*)?$")
SOLAR_HIJRI_BEFORE = 1500  # a year below this is Solar Hijri (1367), at or above Gregorian
MAX_QUERY_WORDS = 6


@dataclass
class VictimFacts:
    """What the PUBLIC claims say about one victim (preferred values; ``None`` if unknown)."""

    person: Person
    names: list[dict[str, str]] = field(default_factory=list)
    gender: str | None = None
    birth: PartialDate | None = None
    city: Place | None = None
    occupations: list[str] = field(default_factory=list)
    affiliations: list[str] = field(default_factory=list)
    execution_event: Event | None = None
    execution: PartialDate | None = None
    prison: Place | None = None
    burial_event: Event | None = None
    burial_place: Place | None = None
    person_claims: list[ShownClaim] = field(default_factory=list)
    event_claims: dict[int, list[ShownClaim]] = field(default_factory=dict)

    @property
    def name_en(self) -> str:
        return next((n["text"] for n in self.names if n["script"] == "latn"), "")

    @property
    def name_fa(self) -> str:
        return next((n["text"] for n in self.names if n["script"] == "fa"), "")

    def age(self) -> tuple[int, int] | None:
        """The age at execution, as the least and greatest the partial dates allow."""
        if self.birth is None or self.execution is None:
            return None
        low = _years_between(self.birth.end, self.execution.start)
        high = _years_between(self.birth.start, self.execution.end)
        if low < 0 or high < 0:
            return None
        return low, high


def _years_between(born: datetime.date, on: datetime.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _preferred(claims: Iterable[ShownClaim]) -> list[ShownClaim]:
    """Accepted claims first, then disputed ones; rejected claims are never a fact."""
    live = [c for c in claims if c.claim.status != "rejected"]
    return sorted(live, key=lambda c: (c.claim.status != "accepted", c.claim.pk))


def _event_kind(claims: list[ShownClaim]) -> str:
    found = _preferred(c for c in claims if c.claim.prop == "event_type")
    return str(found[0].claim.value) if found else ""


def victim_facts(person: Person, lang: str = "en") -> VictimFacts:
    """The facts of ``person`` a PUBLIC viewer may see, with the claims they rest on."""
    facts = VictimFacts(person=person)
    facts.person_claims = shown_claims(person.claims().order_by("prop", "id"), PUBLIC, lang)
    by_prop: dict[str, list[ShownClaim]] = {}
    for shown in facts.person_claims:
        by_prop.setdefault(shown.claim.prop, []).append(shown)
    facts.names = [
        c.claim.value
        for c in _preferred(by_prop.get("name", []))
        if c.claim.value["kind"] == "full"
    ] or [c.claim.value for c in _preferred(by_prop.get("name", []))]
    if found := _preferred(by_prop.get("gender", [])):
        facts.gender = str(found[0].claim.value)
    if found := _preferred(by_prop.get("birth_date", [])):
        facts.birth = PartialDate.from_json(found[0].claim.value)
    if found := _preferred(by_prop.get("hometown", [])):
        target = found[0].target
        facts.city = target if isinstance(target, Place) else None
    facts.occupations = [c.text for c in _preferred(by_prop.get("occupation", []))]
    facts.affiliations = list(
        dict.fromkeys(str(c.claim.value) for c in _preferred(by_prop.get("affiliation", [])))
    )
    # The events the person took part in as a victim, as far as PUBLIC may see them.
    links = visible_records(Participation.objects.filter(person=person, role="victim"), PUBLIC)
    event_ids = list(links.values_list("event_id", flat=True))
    events = {e.pk: e for e in visible_records(Event.objects.filter(pk__in=event_ids), PUBLIC)}
    rows = Claim.objects.filter(subject_kind="event", subject_id__in=list(events)).order_by(
        "subject_id", "prop", "id"
    )
    for shown in shown_claims(rows, PUBLIC, lang):
        facts.event_claims.setdefault(shown.claim.subject_id, []).append(shown)
    for pk in sorted(events, key=lambda pk: (events[pk].date_start or datetime.date.max, pk)):
        claims = facts.event_claims.get(pk, [])
        kind = _event_kind(claims)
        dates = _preferred(c for c in claims if c.claim.prop == "date")
        places = _preferred(c for c in claims if c.claim.prop == "place")
        place = places[0].target if places and isinstance(places[0].target, Place) else None
        if kind == "execution" and facts.execution_event is None:
            facts.execution_event = events[pk]
            facts.execution = PartialDate.from_json(dates[0].claim.value) if dates else None
            facts.prison = place
        elif kind == "burial" and facts.burial_event is None:
            facts.burial_event = events[pk]
            facts.burial_place = place
    return facts


def age_band(age: int) -> str:
    for code, low, high in AGE_BANDS:
        if age >= low and (high is None or age <= high):
            return code
    return AGE_BANDS[-1][0]


def word_keys(text: str) -> set[str]:
    """The cross-script keys of each word of ``text`` (``names.match_keys`` word by word)."""
    keys: set[str] = set()
    for word in normalize(text).split():
        keys |= match_keys(word)
    return keys


def _term_label(vocab: str, code: str, lang: str) -> str:
    terms = vocabularies()[vocab].terms
    return terms[code].label(lang) if code in terms else code


def _place_labels(place: Place) -> tuple[str, str]:
    return place.label or place.label_fa or place.uid, place.label_fa or place.label or place.uid


def _facet_rows(facts: VictimFacts) -> list[tuple[str, str, str, str]]:
    rows: list[tuple[str, str, str, str]] = []
    if facts.city is not None:
        rows.append(("city", facts.city.uid, *_place_labels(facts.city)))
    if facts.prison is not None:
        rows.append(("prison", facts.prison.uid, *_place_labels(facts.prison)))
    if facts.execution is not None and facts.execution.start.year == facts.execution.end.year:
        year = str(facts.execution.start.year)
        rows.append(("year", year, year, year))
    for code in facts.affiliations:
        labels = (_term_label("affiliation", code, "en"), _term_label("affiliation", code, "fa"))
        rows.append(("affiliation", code, *labels))
    age = facts.age()
    if age is not None:
        band = age_band(age[0])
        rows.append(("age", band, band, band))
    if facts.gender:
        labels = (
            _term_label("gender", facts.gender, "en"),
            _term_label("gender", facts.gender, "fa"),
        )
        rows.append(("gender", facts.gender, *labels))
    return rows


def _is_published(person: Person) -> bool:
    return (
        person.confidentiality == int(PUBLIC)
        and Publication.objects.current().filter(person=person).exists()
    )


def refresh(person: Person) -> VictimEntry | None:
    """Rebuild the index row of ``person``: present if published and PUBLIC, else removed."""
    with transaction.atomic():
        VictimEntry.objects.filter(person=person).delete()
        if not _is_published(person):
            return None
        facts = victim_facts(person)
        age = facts.age()
        city = _place_labels(facts.city) if facts.city is not None else ("", "")
        prison = _place_labels(facts.prison) if facts.prison is not None else ("", "")
        sort_name = facts.name_en or facts.name_fa or person.label or person.uid
        entry = VictimEntry.objects.create(
            person=person,
            uid=person.uid,
            name_en=facts.name_en,
            name_fa=facts.name_fa,
            sort_key=normalize(sort_name)[:300] or person.uid,
            is_synthetic=person.is_synthetic,
            city_en=city[0],
            city_fa=city[1],
            prison_en=prison[0],
            prison_fa=prison[1],
            execution=facts.execution.to_json() if facts.execution is not None else None,
            execution_lo=facts.execution.start if facts.execution is not None else None,
            execution_hi=facts.execution.end if facts.execution is not None else None,
            age_lo=age[0] if age is not None else None,
            age_hi=age[1] if age is not None else None,
            names_version=dadkhah.names.VERSION,
        )
        VictimFacet.objects.bulk_create(
            [
                VictimFacet(entry=entry, facet=f, value=v, label_en=en, label_fa=fa)
                for f, v, en, fa in dict.fromkeys(_facet_rows(facts))
            ]
        )
        keys: set[str] = set()
        for name in facts.names:
            keys |= word_keys(name["text"])
        VictimNameKey.objects.bulk_create(
            [VictimNameKey(entry=entry, key=k) for k in sorted(keys) if len(k) <= 120]
        )
    return entry


def refresh_stale() -> int:
    """Rebuild the rows whose name keys an older ``dadkhah.names`` made (its VERSION changed
    with an upgrade), so that search by name finds what the current keys find; returns how
    many. One query when nothing is stale; run before serving (``dadkhah serve``, ``demo``)."""
    stale = VictimEntry.objects.exclude(names_version=dadkhah.names.VERSION)
    people = Person.objects.filter(pk__in=list(stale.values_list("person_id", flat=True)))
    return sum(1 for person in people.order_by("pk") if refresh(person) is not None)


def rebuild_all() -> int:
    """Rebuild every published victim's index row; return how many there are."""
    with transaction.atomic():
        VictimEntry.objects.all().delete()
        ids = Publication.objects.current().values_list("person_id", flat=True)
        people = Person.objects.filter(pk__in=list(ids)).order_by("pk")
        return sum(1 for person in people if refresh(person) is not None)


# ---------------------------------------------------------------------------- queries


class ParamError(ValueError):
    """A list request asked for something malformed (named in the message)."""


@dataclass(frozen=True)
class BrowseParams:
    q: str = ""
    city: str = ""
    prison: str = ""
    year: str = ""
    affiliation: str = ""
    age: str = ""
    gender: str = ""

    def filters(self) -> dict[str, str]:
        return {f: getattr(self, f) for f in FACETS if getattr(self, f)}


def parse_params(query: Any) -> tuple[BrowseParams, list[str]]:
    """Read the list parameters from a ``QueryDict``; return them with any problems found.

    A malformed value is dropped from the search and named in the problems, so the page
    says what it ignored instead of failing or silently showing everything.
    """
    problems: list[str] = []
    values = {"q": str(query.get("q", "")).strip()[:200]}
    for name in FACETS:
        values[name] = str(query.get(name, "")).strip()[:100]
    if values["year"] and _year_span(values["year"]) is None:
        problems.append(
            f"year: {values['year']!r} is not a year (1988 or 1367) or a range (1987-1990)"
        )
        values["year"] = ""
    bands = {code for code, _, _ in AGE_BANDS}
    if values["age"] and values["age"] not in bands:
        problems.append(f"age: {values['age']!r} is not one of {', '.join(sorted(bands))}")
        values["age"] = ""
    return BrowseParams(**values), problems


def _year_span(text: str) -> tuple[datetime.date, datetime.date] | None:
    """The days of a year or a range of years: ``1988``, ``1987-1990``; a year before 1500
    is a Solar Hijri year (``1367`` is 21 March 1988 to 20 March 1989). Persian digits too."""
    m = YEAR_RE.match(text)
    if m is None:
        return None
    first = int(m.group(1))
    last = int(m.group(2) or first)
    if last < first or not (first >= 1300 and last <= 2100):
        return None
    if last < SOLAR_HIJRI_BEFORE:
        start = sh_to_gregorian(first, 1, 1)
        end = sh_to_gregorian(last + 1, 1, 1) - datetime.timedelta(days=1)
        return start, end
    if first < SOLAR_HIJRI_BEFORE:
        return None  # one end in each calendar
    return datetime.date(first, 1, 1), datetime.date(last, 12, 31)


@dataclass(frozen=True)
class FacetValue:
    facet: str
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class Browse:
    entries: QuerySet[Any]
    total: int
    facets: dict[str, list[FacetValue]]
    params: BrowseParams


def _matching(params: BrowseParams) -> QuerySet[Any]:
    rows = VictimEntry.objects.filter(person__confidentiality=int(PUBLIC))
    words = normalize(params.q).split()[:MAX_QUERY_WORDS] if params.q else []
    for word in words:
        keys = match_keys(word)
        if not keys:
            continue
        # IN (…) reads the key index once; a correlated EXISTS probed it for every entry.
        named = VictimNameKey.objects.filter(key__in=sorted(keys)).values("entry_id")
        rows = rows.filter(pk__in=named)
    for facet, value in params.filters().items():
        if facet == "year":
            span = _year_span(value)
            if span is not None:
                rows = rows.filter(execution_lo__lte=span[1], execution_hi__gte=span[0])
            continue
        having = VictimFacet.objects.filter(facet=facet, value=value).values("entry_id")
        rows = rows.filter(pk__in=having)
    return rows


def _index_version() -> tuple[int, int, int]:
    """The state of the index: entries are never updated in place (``refresh`` deletes and
    recreates them) and their ids are never reused once committed, so any refresh, new
    publication or withdrawal changes the count, the greatest id or the sum of the ids."""
    row = VictimEntry.objects.aggregate(n=Count("id"), top=Max("id"), ids=Sum("id"))
    return row["n"], row["top"] or 0, row["ids"] or 0


@dataclass(frozen=True)
class _FacetTable:
    """Every facet value of the index as a row of booleans over the entries, so that the
    facet counts of any set of matches are one column selection and one sum (SQL read one
    row per facet of every match: 50-150 ms at 30,000 victims)."""

    ids: np.ndarray  # the entries' ids, ascending
    values: list[dict[str, Any]]  # facet, value, label_en, label_fa of each row of ``has``
    row_of: dict[tuple[str, str], int]  # (facet, value) → its row
    has: np.ndarray  # bool, len(values) × len(ids)
    lo: np.ndarray  # execution_lo as a day number (NO_DAY_LO where none), per entry
    hi: np.ndarray  # execution_hi likewise (NO_DAY_HI where none)

    def mask(self, params: BrowseParams) -> np.ndarray | None:
        """The entries matching ``params`` as a boolean mask, or None when a name query
        needs the database."""
        if params.q:
            return None
        found = np.ones(len(self.ids), dtype=bool)
        for facet, value in params.filters().items():
            if facet == "year":
                span = _year_span(value)
                if span is not None:  # as the SQL: a NULL bound never matches
                    found &= (self.lo <= span[1].toordinal()) & (self.hi >= span[0].toordinal())
                continue
            row = self.row_of.get((facet, value))
            found &= self.has[row] if row is not None else False
        return found


_TABLES: dict[tuple[int, int, int], _FacetTable] = {}  # this process's, for the latest state
NO_DAY_LO, NO_DAY_HI = np.iinfo(np.int64).max, np.iinfo(np.int64).min


def _facet_table() -> _FacetTable:
    entries = list(
        VictimEntry.objects.filter(person__confidentiality=int(PUBLIC))
        .order_by("pk")
        .values_list("pk", "execution_lo", "execution_hi")
    )
    ids = np.fromiter((e[0] for e in entries), dtype=np.int64, count=len(entries))
    lo = np.fromiter(
        (e[1].toordinal() if e[1] else NO_DAY_LO for e in entries), np.int64, len(entries)
    )
    hi = np.fromiter(
        (e[2].toordinal() if e[2] else NO_DAY_HI for e in entries), np.int64, len(entries)
    )
    rows = list(
        VictimFacet.objects.order_by("facet", "value", "entry_id").values_list(
            "entry_id", "facet", "value", "label_en", "label_fa"
        )
    )
    index: dict[tuple[str, str], int] = {}
    values: list[dict[str, Any]] = []
    for _, facet, value, en, fa in rows:
        if (facet, value) not in index:
            index[facet, value] = len(values)
            values.append({"facet": facet, "value": value, "label_en": en, "label_fa": fa})
    entry = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    at = np.searchsorted(ids, entry)
    known = (at < len(ids)) & (ids[np.minimum(at, len(ids) - 1)] == entry) if len(ids) else at < 0
    row = np.fromiter((index[r[1], r[2]] for r in rows), dtype=np.int64, count=len(rows))
    has = np.zeros((len(values), len(ids)), dtype=bool)
    has[row[known], at[known]] = True
    return _FacetTable(ids, values, index, has, lo, hi)


def _counts(params: BrowseParams) -> tuple[int, list[dict[str, Any]]]:
    """The number of victims matching ``params`` and the facet counts among them.

    Counting the facets of a large result (every victim, or every woman) reads one row per
    facet of each match, so the answer is cached per state of the index. Inside a
    transaction nothing is cached or read from the cache: what it sees may be rolled back,
    and a rolled-back id can be used again.
    """
    key = ""
    if connection.in_atomic_block:
        table = _facet_table()  # what it reads may be rolled back: not kept
    else:
        version = _index_version()
        key = "memorial:counts:" + hashlib.sha256(repr((version, params)).encode()).hexdigest()
        hit = cache.get(key)
        if hit is not None:
            return hit  # type: ignore[no-any-return]
        table = _TABLES.get(version)
        if table is None:  # kept in a local: another thread may replace the entry meanwhile
            table = _facet_table()
            _TABLES.clear()
            _TABLES[version] = table
    mask = table.mask(params)
    if mask is None:  # a name query: its matches from the database
        matching = np.fromiter(_matching(params).values_list("pk", flat=True), dtype=np.int64)
        mask = np.isin(table.ids, matching)
    counts = np.count_nonzero(table.has[:, mask], axis=1)
    counted = [{**v, "n": int(n)} for v, n in zip(table.values, counts, strict=True) if n]
    found = (int(np.count_nonzero(mask)), counted)
    if key:
        cache.set(key, found, COUNTS_CACHE_SECONDS)
    return found


def browse(params: BrowseParams, lang: str = "en") -> Browse:
    """The published victims matching ``params``, in name order, with facet counts."""
    rows = _matching(params)
    if params.q:
        # Victims whose name has a word with exactly the query word's skeleton come first.
        exact = [k for w in normalize(params.q).split()[:MAX_QUERY_WORDS] for k in match_keys(w)]
        exact = [k for k in exact if k.startswith("c:")]
        rows = rows.annotate(
            exact=Exists(VictimNameKey.objects.filter(entry=OuterRef("pk"), key__in=exact))
        ).order_by("-exact", "sort_key", "uid")
    else:
        rows = rows.order_by("sort_key", "uid")
    total, counted = _counts(params)
    facets: dict[str, list[FacetValue]] = {f: [] for f in FACETS}
    chosen = params.filters()
    for row in counted:
        label = (row["label_fa"] or row["label_en"]) if lang == "fa" else row["label_en"]
        facets[row["facet"]].append(
            FacetValue(
                facet=row["facet"],
                value=row["value"],
                label=label or row["value"],
                count=row["n"],
                selected=chosen.get(row["facet"]) == row["value"],
            )
        )
    for facet in ("city", "prison", "affiliation", "gender"):
        facets[facet].sort(key=lambda v: (-v.count, v.label))
    order = {code: i for i, (code, _, _) in enumerate(AGE_BANDS)}
    facets["age"].sort(key=lambda v: order.get(v.value, len(order)))
    return Browse(entries=rows, total=total, facets=facets, params=params)
