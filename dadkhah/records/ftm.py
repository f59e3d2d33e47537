"""FollowTheMoney export of the case record, for Aleph and the tools that read FtM.

One entity per record or source, one JSON object per line, built with the installed
``followthemoney`` model so that every property exists in its schema. Values come from
the claims a clearance may see (``exporting.ExportScope``, which applies the visibility
rules of ``records.claims``), never from projections, so an entity says no more than the
export would in CSV. Rejected claims are left out; disputed ones stay, since FtM
properties hold several values. The mapping is in ``docs/import-export.md``.
"""

from __future__ import annotations

import calendar
import json
from collections.abc import Iterator
from typing import Any, TextIO

from followthemoney import model
from followthemoney.proxy import EntityProxy

from dadkhah.core.confidentiality import Level
from dadkhah.core.dates import PartialDate
from dadkhah.records import values
from dadkhah.records.exporting import ExportScope
from dadkhah.records.io import ImportExportError
from dadkhah.records.models import Claim, Record, Source

__all__ = ["SYNTHETIC_NOTE", "entities", "entity_id", "export_ftm", "iso_partial"]

ID_PREFIX = "dadkhah-"
SYNTHETIC_NOTE = "SYNTHETIC: invented for the demo; not a real {what}"
# Bodies of the state are PublicBody; the rest (NGOs, UN bodies, other) Organization.
STATE_BODIES = frozenset(
    {
        "death_commission",
        "ministry",
        "prison_administration",
        "court",
        "judiciary",
        "executive",
        "security_agency",
    }
)
_FTM_KINDS = ("source", "person", "body", "place", "post", "event", "participation")
_NAME_PROPS = {"full": "name", "alias": "alias", "nom_de_guerre": "alias"}
_PERSON_NAME_PROPS = _NAME_PROPS | {"given": "firstName", "family": "lastName"}
_GENDERS = {"female", "male", "other"}


def entity_id(uid: str) -> str:
    """The FtM id of a record or source: its uid, prefixed, so it is stable across exports."""
    return f"{ID_PREFIX}{uid}"


def iso_partial(value: dict[str, Any]) -> str:
    """The ISO prefix (``1988``, ``1988-08``, ``1988-08-14``) that covers a partial date.

    A span that is exactly a Gregorian day, month or year gives that; a span inside one
    Gregorian month or year gives the month or year (Mordad 1367 is ``1988``); a span
    that crosses a Gregorian new year gives its first day.
    """
    when = PartialDate.from_json(value)
    start, end = when.start, when.end
    if start == end:
        return start.isoformat()
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.year:04d}-{start.month:02d}"
    if start.year == end.year:
        return f"{start.year:04d}"
    return start.isoformat()


def _exact(value: dict[str, Any]) -> bool:
    """Whether ``iso_partial`` says exactly the span (no wider, no narrower)."""
    when = PartialDate.from_json(value)
    start, end = when.start, when.end
    if start == end:
        return True
    last = calendar.monthrange(end.year, end.month)[1]
    if (start.year, start.month) == (end.year, end.month):
        return start.day == 1 and end.day == last
    return (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year


def _label(vocab: str, code: str) -> str:
    term = values.vocabularies()[vocab].terms.get(code)
    return term.label("en") if term else code


class _Builder:
    def __init__(self, scope: ExportScope) -> None:
        self.scope = scope
        self.places = {p.uid: p for p in scope.records["place"].values()}
        self.involved: dict[int, list[str]] = {}
        for part in scope.records["participation"].values():
            person = part.person.uid  # type: ignore[attr-defined]
            self.involved.setdefault(part.event_id, []).append(person)  # type: ignore[attr-defined]

    def claims(self, record: Record, prop: str) -> list[Claim]:
        return [
            c
            for c in self.scope.by_record.get((record.KIND, record.pk), [])
            if c.prop == prop and c.status != "rejected"
        ]

    def values(self, record: Record, prop: str) -> list[Any]:
        return [c.value for c in self.claims(record, prop)]

    def ref(self, kind: str, uid: str) -> str | None:
        return entity_id(uid) if uid in self.scope.uids[kind] else None

    def first_name(self, record: Record) -> str:
        names = self.values(record, "name")
        return str(names[0]["text"]) if names else ""

    def start(self, schema: str, record: Record, what: str) -> EntityProxy:
        proxy = model.make_entity(schema)
        proxy.id = entity_id(record.uid)
        if record.is_synthetic:
            proxy.add("summary", SYNTHETIC_NOTE.format(what=what))
        sources = {
            cite.source_id
            for claim in self.scope.by_record.get((record.KIND, record.pk), [])
            if claim.status != "rejected"
            for cite in self.scope.citations[claim.pk]
        }
        for pk in sorted(sources):
            proxy.add("proof", entity_id(self.scope.sources[pk].uid))
        return proxy

    def add_names(self, proxy: EntityProxy, record: Record, props: dict[str, str]) -> None:
        for name in self.values(record, "name"):
            proxy.add(props.get(name["kind"], "alias"), name["text"])
        if not proxy.has("name"):
            # FtM needs a name: take an alias, else the uid (never a hidden label).
            proxy.add(
                "name", proxy.first("alias") or proxy.first("firstName", quiet=True) or record.uid
            )

    def add_date(self, proxy: EntityProxy, prop: str, value: dict[str, Any] | None) -> None:
        if value:
            proxy.add(prop, iso_partial(value))

    # --------------------------------------------------------------------- kinds

    def source(self, source: Source) -> EntityProxy:
        schema = "Article" if source.kind in ("publication", "media") else "Document"
        proxy = model.make_entity(schema)
        proxy.id = entity_id(source.uid)
        if source.is_synthetic:
            proxy.add("summary", SYNTHETIC_NOTE.format(what="source"))
        proxy.add("title", source.title)
        proxy.add("description", source.citation)
        proxy.add("sourceUrl", source.url or None)
        proxy.add("language", source.language or None)
        if source.published:
            proxy.add("publishedAt", iso_partial(source.published))
        proxy.add("keywords", _label("source_kind", source.kind))
        proxy.add("keywords", f"reliability {source.reliability}")
        proxy.add("notes", source.notes or None)
        return proxy

    def person(self, record: Record) -> EntityProxy:
        proxy = self.start("Person", record, "person")
        self.add_names(proxy, record, _PERSON_NAME_PROPS)
        for name in self.values(record, "father_name"):
            proxy.add("fatherName", name["text"])
        for code in self.values(record, "gender"):
            if code in _GENDERS:
                proxy.add("gender", code)
        for when in self.values(record, "birth_date"):
            self.add_date(proxy, "birthDate", when)
        for text in self.values(record, "occupation"):
            proxy.add("profession", text)
        for code in self.values(record, "affiliation"):
            proxy.add("political", _label("affiliation", code))
        for text in self.values(record, "biography"):
            proxy.add("biography", text)
        return proxy

    def body(self, record: Record) -> EntityProxy:
        types = self.values(record, "body_type")
        schema = "PublicBody" if any(t in STATE_BODIES for t in types) else "Organization"
        proxy = self.start(schema, record, "body")
        self.add_names(proxy, record, _NAME_PROPS)
        for code in types:
            proxy.add("classification", _label("body_type", code))
        for parent in self.values(record, "parent"):
            proxy.add("parent", self.ref("body", parent["ref"]))
        for seat in self.values(record, "seat"):
            proxy.add("addressEntity", self.ref("place", seat))
        for text in self.values(record, "description"):
            proxy.add("description", text)
        return proxy

    def place(self, record: Record) -> EntityProxy:
        proxy = self.start("Address", record, "place")
        for name in self.values(record, "name"):
            proxy.add("name" if not proxy.has("name") else "alias", name["text"])
        proxy.add("full", proxy.first("name") or record.uid)
        for geometry in self.values(record, "location")[:1]:
            if geometry["type"] == "Point":
                lon, lat = geometry["coordinates"]
            else:  # the centroid of the outer ring's vertices, as the projection does
                ring = geometry["coordinates"][0][:-1]
                lon = sum(p[0] for p in ring) / len(ring)
                lat = sum(p[1] for p in ring) / len(ring)
            proxy.add("latitude", repr(round(lat, 7)))
            proxy.add("longitude", repr(round(lon, 7)))
        for code in self.values(record, "place_type"):
            proxy.add("keywords", _label("place_type", code))
        for status in self.values(record, "status"):
            text = values.display(values.prop_spec("place", "status"), status)
            proxy.add("notes", f"Status: {text}")
        for text in self.values(record, "description"):
            proxy.add("description", text)
        return proxy

    def post(self, record: Record) -> EntityProxy:
        proxy = self.start("Membership", record, "post")
        proxy.add("member", entity_id(record.person.uid))  # type: ignore[attr-defined]
        proxy.add("organization", entity_id(record.body.uid))  # type: ignore[attr-defined]
        for text in self.values(record, "role"):
            proxy.add("role", text)
        for when in self.values(record, "start_date"):
            self.add_date(proxy, "startDate", when)
        for when in self.values(record, "end_date"):
            self.add_date(proxy, "endDate", when)
        return proxy

    def event(self, record: Record) -> EntityProxy:
        proxy = self.start("Event", record, "event")
        types = [_label("event_type", code) for code in self.values(record, "event_type")]
        dates = self.values(record, "date")
        places = [p for p in self.values(record, "place") if self.ref("place", p)]
        titles = self.values(record, "title")
        place_names = [self.first_name(self.places[uid]) for uid in places]
        for title in titles:
            proxy.add("name", title)
        if not titles:
            parts = [types[0] if types else "Event", *place_names[:1]]
            parts += [PartialDate.from_json(dates[0]).text] if dates else []
            proxy.add("name", ", ".join(p for p in parts if p))
        for when in dates:
            proxy.add("date", iso_partial(when))
            if not _exact(when):
                proxy.add("startDate", when["start"])
                proxy.add("endDate", when["end"])
        for uid, name in zip(places, place_names, strict=True):
            proxy.add("addressEntity", entity_id(uid))
            proxy.add("location", name or None)
        for person in self.involved.get(record.pk, []):
            proxy.add("involved", entity_id(person))
        proxy.add("keywords", types)
        for text in self.values(record, "description"):
            proxy.add("description", text)
        return proxy

    def participation(self, record: Record) -> EntityProxy:
        proxy = self.start("UnknownLink", record, "participation")
        proxy.add("subject", entity_id(record.person.uid))  # type: ignore[attr-defined]
        proxy.add("object", entity_id(record.event.uid))  # type: ignore[attr-defined]
        roles = [_label("participant_role", code) for code in self.values(record, "role")]
        modes = [_label("perpetrator_mode", code).lower() for code in self.values(record, "mode")]
        role = ", ".join(roles) or "Participant"
        proxy.add("role", f"{role} ({', '.join(modes)})" if modes else role)
        return proxy


def entities(kind: str, clearance: Level) -> Iterator[EntityProxy]:
    """The FtM entities of ``kind`` (or of the whole ``case``) that ``clearance`` may see."""
    if kind not in (*_FTM_KINDS, "case"):
        raise ImportExportError(
            f"FollowTheMoney export is for records, sources and the whole case, not {kind!r}"
        )
    scope = ExportScope(clearance)
    builder = _Builder(scope)
    for each in _FTM_KINDS if kind == "case" else (kind,):
        if each == "source":
            yield from (builder.source(s) for s in scope.sources.values())
            continue
        make = getattr(builder, each)
        for record in scope.records[each].values():
            yield make(record)


def export_ftm(kind: str, stream: TextIO, clearance: Level) -> None:
    for proxy in entities(kind, clearance):
        stream.write(json.dumps(proxy.to_dict(), ensure_ascii=False, sort_keys=True) + "\n")
