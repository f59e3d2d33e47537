"""The memorial timeline: the events of 1988 and after, by year, each with its sources.

:func:`timeline` reads the PUBLIC events and keeps what a PUBLIC viewer may see
(``records.claims.shown_claims``): an event needs a shown ``date`` claim to be placed, and
ends in or after :data:`FIRST_YEAR`. Its title, kind, place and description come from its
shown claims; its sources are those of all its shown claims, once each. Dates are shown in
both calendars (``PartialDate.both``); years are Gregorian, labelled with the Solar Hijri
years they overlap (1988 is 1366–1367).

An event that names victims (participations with the role ``victim``) appears only when at
least one of them is published on the memorial, and only published victims are named:
the review that gates a victim's page gates their execution on the timeline too.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from dadkhah.core.confidentiality import Level
from dadkhah.core.dates import PartialDate, gregorian_to_sh
from dadkhah.memorial.mapping import MAP_KINDS, SourceRef, preferred, shown_names, source_refs
from dadkhah.memorial.models import VictimEntry
from dadkhah.records.claims import ShownClaim, shown_claims, visible_records
from dadkhah.records.models import Citation, Claim, Event, Participation, Place
from dadkhah.records.values import detect_script, vocabularies

__all__ = ["FIRST_YEAR", "TimelineEvent", "Year", "events_by_place", "timeline", "year_label"]

PUBLIC = Level.PUBLIC
FIRST_YEAR = 1988
_FA_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


@dataclass(frozen=True)
class VictimLink:
    uid: str
    name: str


@dataclass
class TimelineEvent:
    uid: str
    title: str
    title_lang: str  # "en" or "fa": the script the title is written in
    kind: str
    kind_label: str
    date: PartialDate
    date_text: str
    place_uid: str = ""
    place_name: str = ""
    place_on_map: bool = False  # a prison, cemetery or mass-grave site: the map lists it
    description: str = ""
    description_lang: str = ""
    sources: list[SourceRef] = field(default_factory=list)
    victims: list[VictimLink] = field(default_factory=list)
    is_synthetic: bool = False


@dataclass
class Year:
    year: int
    label: str
    events: list[TimelineEvent]


def year_label(year: int, lang: str = "en") -> str:
    """``1988 (1366–1367)``: the Gregorian year and the Solar Hijri years it overlaps."""
    first = gregorian_to_sh(datetime.date(year, 1, 1))[0]
    last = gregorian_to_sh(datetime.date(year, 12, 31))[0]
    text = f"{year} ({first}–{last})" if first != last else f"{year} ({first})"
    return text.translate(_FA_DIGITS) if lang == "fa" else text


def _script_lang(text: str) -> str:
    return "fa" if detect_script(text) == "fa" else "en"


def _victims(event_ids: list[int], lang: str) -> tuple[dict[int, list[VictimLink]], set[int]]:
    """Published victims by event, and the events that name any victim at all."""
    links = visible_records(
        Participation.objects.filter(event_id__in=event_ids, role="victim"), PUBLIC
    )
    named: set[int] = set()
    person_ids: dict[int, list[int]] = {}
    for event_id, person_id in links.values_list("event_id", "person_id").order_by("id"):
        named.add(event_id)
        person_ids.setdefault(event_id, []).append(person_id)
    all_people = {p for ids in person_ids.values() for p in ids}
    entries = {e.person_id: e for e in VictimEntry.objects.filter(person_id__in=all_people)}
    out: dict[int, list[VictimLink]] = {}
    for event_id, ids in person_ids.items():
        for pid in ids:
            entry = entries.get(pid)
            if entry is not None:
                out.setdefault(event_id, []).append(VictimLink(entry.uid, entry.name(lang)))
    return out, named


def _event(
    event: Event, claims: list[ShownClaim], lang: str, place_names: dict[int, str]
) -> TimelineEvent | None:
    by_prop: dict[str, list[ShownClaim]] = {}
    for shown in preferred(claims):
        by_prop.setdefault(shown.claim.prop, []).append(shown)
    dates = by_prop.get("date")
    if not dates:
        return None
    when = PartialDate.from_json(dates[0].claim.value)
    terms = vocabularies()["event_type"].terms
    kind = str(by_prop["event_type"][0].claim.value) if "event_type" in by_prop else ""
    kind_label = terms[kind].label(lang) if kind in terms else kind
    place = next((c.target for c in by_prop.get("place", []) if isinstance(c.target, Place)), None)
    place_name = place_names.get(place.pk, "") if place is not None else ""
    title = by_prop["title"][0].text if "title" in by_prop else ""
    if not title:
        title = ", ".join(p for p in (kind_label, place_name) if p) or event.uid
    description = by_prop["description"][0].text if "description" in by_prop else ""
    citations: list[Citation] = [c for s in preferred(claims) for c in s.citations]
    return TimelineEvent(
        uid=event.uid,
        title=title,
        title_lang=_script_lang(title),
        kind=kind,
        kind_label=kind_label,
        date=when,
        date_text=when.both(lang),
        place_uid=place.uid if place is not None else "",
        place_name=place_name,
        place_on_map=place is not None and place.place_type in MAP_KINDS,
        description=description,
        description_lang=_script_lang(description) if description else "",
        sources=source_refs(citations),
        is_synthetic=event.is_synthetic,
    )


def _events(lang: str, since: int) -> list[TimelineEvent]:
    events = {e.pk: e for e in visible_records(Event, PUBLIC).order_by("id")}
    rows = Claim.objects.filter(subject_kind="event", subject_id__in=list(events)).order_by(
        "subject_id", "prop", "id"
    )
    by_event: dict[int, list[ShownClaim]] = {}
    for shown in shown_claims(rows, PUBLIC, lang):
        by_event.setdefault(shown.claim.subject_id, []).append(shown)
    victims, named = _victims(list(events), lang)
    place_ids = {
        c.target.pk
        for found in by_event.values()
        for c in found
        if c.claim.prop == "place" and isinstance(c.target, Place)
    }
    place_names = shown_names("place", place_ids, lang)
    out = []
    for pk, event in events.items():
        if pk in named and not victims.get(pk):
            continue  # it names only victims who are not published
        item = _event(event, by_event.get(pk, []), lang, place_names)
        if item is None or item.date.end.year < since:
            continue
        item.victims = victims.get(pk, [])
        out.append(item)
    out.sort(key=lambda e: (e.date.sort_key, e.uid))
    return out


def timeline(lang: str = "en", since: int = FIRST_YEAR) -> list[Year]:
    """The events that end in or after ``since``, grouped by the Gregorian year they start
    in (an event that starts before ``since`` is shown under ``since``), in date order."""
    years: dict[int, list[TimelineEvent]] = {}
    for item in _events(lang, since):
        years.setdefault(max(item.date.start.year, since), []).append(item)
    return [Year(year, year_label(year, lang), found) for year, found in sorted(years.items())]


def events_by_place(lang: str = "en", since: int = FIRST_YEAR) -> dict[str, list[TimelineEvent]]:
    """The timeline's events by the uid of their place (for the map's place list)."""
    out: dict[str, list[TimelineEvent]] = {}
    for item in _events(lang, since):
        if item.place_uid:
            out.setdefault(item.place_uid, []).append(item)
    return out
