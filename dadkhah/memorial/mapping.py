"""The memorial map's places: prisons, cemeteries and mass-grave sites, as the public sees them.

:func:`map_places` reads every PUBLIC place of those kinds and keeps only what a PUBLIC
viewer may see (``records.claims.shown_claims``): the location is taken from the shown
``location`` claim, never from the projected columns alone, so a location that rests only
on a restricted source never reaches the map. Each place carries

- its status over time (intact, damaged, built over, destroyed …), one entry per shown
  ``status`` claim, dated in both calendars, with the sources that support it; disputed
  claims are marked, rejected ones are left out;
- satellite-image (or other image) evidence: a PUBLIC, unencrypted raster image in the vault
  that is the ``item`` of a source cited by one of the place's shown claims.

:func:`places_geojson` turns them into the GeoJSON the map script loads. The sources of a
fact are :class:`SourceRef` values, shared by the timeline and the count.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from dadkhah.core.confidentiality import Level
from dadkhah.core.dates import PartialDate
from dadkhah.records.claims import ShownClaim, shown_claims, visible_records
from dadkhah.records.models import Citation, Claim, Place
from dadkhah.records.values import detect_script, vocabularies

__all__ = [
    "IMAGE_TYPES",
    "MAP_KINDS",
    "EvidenceImage",
    "MapPlace",
    "SourceRef",
    "StatusEntry",
    "evidence_item",
    "map_places",
    "places_geojson",
    "preferred",
    "shown_names",
    "source_refs",
]

PUBLIC = Level.PUBLIC
#: The kinds of place the map shows, in legend order.
MAP_KINDS = ("prison", "cemetery", "mass_grave")
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})


@dataclass(frozen=True)
class SourceRef:
    """A source as the public sees it beside a fact: what it is, where, and its words."""

    uid: str
    title: str
    citation: str
    url: str
    locator: str = ""
    quote: str = ""
    is_synthetic: bool = False

    @property
    def title_lang(self) -> str:
        """``fa`` or ``en``: the script the title is written in (for ``lang``/``dir``)."""
        return "fa" if detect_script(self.title) == "fa" else "en"


def source_refs(citations: Iterable[Citation]) -> list[SourceRef]:
    """The sources of ``citations`` (already filtered for the viewer), once each, in order."""
    seen: dict[str, SourceRef] = {}
    for cite in citations:
        source = cite.source
        if source.uid in seen:
            continue
        seen[source.uid] = SourceRef(
            uid=source.uid,
            title=source.title,
            citation=source.citation,
            url=source.url,
            locator=cite.locator,
            quote=cite.quote,
            is_synthetic=source.is_synthetic,
        )
    return list(seen.values())


def preferred(claims: Iterable[ShownClaim]) -> list[ShownClaim]:
    """Accepted claims first, then disputed ones, in id order; rejected claims are dropped."""
    live = [c for c in claims if c.claim.status != "rejected"]
    return sorted(live, key=lambda c: (c.claim.status != "accepted", c.claim.pk))


@dataclass(frozen=True)
class StatusEntry:
    code: str
    label: str
    date: PartialDate | None
    date_text: str
    disputed: bool
    note: str
    sources: list[SourceRef]

    @property
    def sort_key(self) -> tuple[datetime.date, datetime.date]:
        if self.date is None:
            return (datetime.date.max, datetime.date.max)
        return self.date.sort_key


@dataclass(frozen=True)
class EvidenceImage:
    uid: str
    name: str
    mime: str
    sha256: str
    source: SourceRef

    @property
    def sources(self) -> list[SourceRef]:
        return [self.source]


@dataclass
class MapPlace:
    uid: str
    kind: str
    kind_label: str
    name_en: str
    name_fa: str
    latitude: float
    longitude: float
    is_synthetic: bool
    within: str = ""
    description: str = ""
    description_sources: list[SourceRef] = field(default_factory=list)
    location_sources: list[SourceRef] = field(default_factory=list)
    statuses: list[StatusEntry] = field(default_factory=list)
    images: list[EvidenceImage] = field(default_factory=list)
    lang: str = "en"  # the language it was read in: ``title`` and ``other_title`` use it
    events: list[Any] = field(default_factory=list)  # the timeline's events at the place

    @property
    def title(self) -> str:
        return self.name(self.lang)

    @property
    def other_title(self) -> str:
        return self.other_name(self.lang)

    def name(self, lang: str) -> str:
        return (self.name_fa or self.name_en) if lang == "fa" else (self.name_en or self.name_fa)

    def other_name(self, lang: str) -> str:
        other = self.name_en if lang == "fa" else self.name_fa
        return "" if other == self.name(lang) else other

    @property
    def current_status(self) -> StatusEntry | None:
        """The latest dated status that is not disputed (else the latest at all)."""
        dated = [s for s in self.statuses if s.date is not None]
        settled = [s for s in dated if not s.disputed] or dated
        return max(settled, key=lambda s: s.sort_key) if settled else None


def _names(claims: list[ShownClaim]) -> tuple[str, str]:
    names = [c.claim.value for c in preferred(c for c in claims if c.claim.prop == "name")]
    kinds = {"full": 0, "alias": 1}
    names = sorted((n for n in names if n.get("kind") in kinds), key=lambda n: kinds[n["kind"]])
    latin = next((n["text"] for n in names if n["script"] == "latn"), "")
    persian = next((n["text"] for n in names if n["script"] == "fa"), "")
    return latin, persian


def shown_names(kind: str, ids: Iterable[int], lang: str = "en") -> dict[int, str]:
    """The name (or title) of each record of ``kind`` in ``ids`` as a PUBLIC viewer may see
    it, in ``lang``'s script where there is one: from the shown claims, never from the
    projected label, which may rest on a source the public may not see."""
    wanted = list(ids)
    rows = Claim.objects.filter(
        subject_kind=kind, subject_id__in=wanted, prop__in=("name", "title")
    ).order_by("subject_id", "prop", "id")
    by_record: dict[int, list[ShownClaim]] = {}
    for shown in shown_claims(rows, PUBLIC, lang):
        by_record.setdefault(shown.claim.subject_id, []).append(shown)
    out: dict[int, str] = {}
    for pk, found in by_record.items():
        latin, persian = _names(found)
        title = next((c.text for c in preferred(found) if c.claim.prop == "title"), "")
        out[pk] = ((persian or latin) if lang == "fa" else (latin or persian)) or title
    return out


def _point(claims: list[ShownClaim]) -> tuple[float, float, list[SourceRef]] | None:
    """Latitude, longitude (a Point, or a polygon's vertex mean) and the location's sources."""
    found = preferred(c for c in claims if c.claim.prop == "location")
    if not found:
        return None
    geometry = found[0].claim.value
    if geometry["type"] == "Point":
        lon, lat = geometry["coordinates"]
    else:
        ring = geometry["coordinates"][0][:-1]
        lon = sum(p[0] for p in ring) / len(ring)
        lat = sum(p[1] for p in ring) / len(ring)
    return float(lat), float(lon), source_refs(found[0].citations)


def _status(shown: ShownClaim, lang: str) -> StatusEntry:
    value = shown.claim.value
    terms = vocabularies()["place_status"].terms
    code = str(value["status"])
    when = PartialDate.from_json(value["date"]) if value.get("date") else None
    return StatusEntry(
        code=code,
        label=terms[code].label(lang) if code in terms else code,
        date=when,
        date_text=when.both(lang) if when is not None else "",
        disputed=shown.claim.status == "disputed",
        note=shown.claim.note,
        sources=source_refs(shown.citations),
    )


def _images(claims: list[ShownClaim]) -> list[EvidenceImage]:
    """PUBLIC raster images that stand for a source cited by one of ``claims``."""
    out: dict[str, EvidenceImage] = {}
    for shown in claims:
        for cite in shown.citations:
            item = getattr(cite.source, "item", None)
            if item is None or item.uid in out:
                continue
            if item.confidentiality != int(PUBLIC) or item.encrypted:
                continue
            if item.mime not in IMAGE_TYPES:
                continue
            out[item.uid] = EvidenceImage(
                uid=item.uid,
                name=item.name,
                mime=item.mime,
                sha256=item.sha256,
                source=source_refs([cite])[0],
            )
    return list(out.values())


def map_places(lang: str = "en", kinds: Iterable[str] = MAP_KINDS) -> list[MapPlace]:
    """The PUBLIC places of ``kinds`` that have a location the public may see, by kind and name."""
    kinds = tuple(kinds)
    places = {
        p.pk: p for p in visible_records(Place, PUBLIC).filter(place_type__in=kinds).order_by("id")
    }
    rows = Claim.objects.filter(subject_kind="place", subject_id__in=list(places)).order_by(
        "subject_id", "prop", "id"
    )
    by_place: dict[int, list[ShownClaim]] = {}
    shown = shown_claims(rows, PUBLIC, lang)
    item_ids = {c.source.item_id for s in shown for c in s.citations if c.source.item_id}
    if item_ids:
        from dadkhah.vault.models import Item

        items = Item.objects.in_bulk(item_ids)
        for s in shown:
            for cite in s.citations:
                if cite.source.item_id:
                    cite.source.item = items.get(cite.source.item_id)
    for claim in shown:
        by_place.setdefault(claim.claim.subject_id, []).append(claim)
    terms = vocabularies()["place_type"].terms
    out = []
    within_of: dict[str, int] = {}
    for pk, place in places.items():
        claims = by_place.get(pk, [])
        point = _point(claims)
        if point is None:
            continue
        latin, persian = _names(claims)
        kind_claims = preferred(c for c in claims if c.claim.prop == "place_type")
        kind = str(kind_claims[0].claim.value) if kind_claims else place.place_type
        if kind not in kinds:
            continue
        found = MapPlace(
            uid=place.uid,
            kind=kind,
            kind_label=terms[kind].label(lang) if kind in terms else kind,
            name_en=latin or place.uid,
            name_fa=persian,
            latitude=point[0],
            longitude=point[1],
            is_synthetic=place.is_synthetic,
            location_sources=point[2],
            lang=lang,
        )
        if within := preferred(c for c in claims if c.claim.prop == "within"):
            target = within[0].target
            if isinstance(target, Place):
                within_of[place.uid] = target.pk
        if described := preferred(c for c in claims if c.claim.prop == "description"):
            found.description = described[0].text
            found.description_sources = source_refs(described[0].citations)
        found.statuses = sorted(
            (_status(c, lang) for c in preferred(c for c in claims if c.claim.prop == "status")),
            key=lambda s: s.sort_key,
        )
        found.images = _images(claims)
        out.append(found)
    names = shown_names("place", set(within_of.values()), lang)
    for found in out:
        found.within = names.get(within_of.get(found.uid, 0), "")
    order = {kind: n for n, kind in enumerate(kinds)}
    out.sort(key=lambda p: (order.get(p.kind, len(order)), p.name(lang).casefold(), p.uid))
    return out


def evidence_item(uid: str) -> Any | None:
    """The vault item ``uid`` if the map shows it as image evidence of a place, else None."""
    for place in map_places():
        for image in place.images:
            if image.uid == uid:
                from dadkhah.vault.models import Item

                return Item.objects.get(uid=uid)
    return None


def _refs_json(refs: list[SourceRef]) -> list[dict[str, Any]]:
    return [{"title": r.title, "url": r.url, "synthetic": r.is_synthetic} for r in refs]


def places_geojson(
    places: list[MapPlace], lang: str, image_url: Callable[[str], str]
) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of ``places`` (RFC 7946: longitude first, WGS84)."""
    features = []
    for place in places:
        current = place.current_status
        features.append(
            {
                "type": "Feature",
                "id": place.uid,
                "geometry": {
                    "type": "Point",
                    "coordinates": [round(place.longitude, 6), round(place.latitude, 6)],
                },
                "properties": {
                    "uid": place.uid,
                    "name": place.name(lang),
                    "other_name": place.other_name(lang),
                    "kind": place.kind,
                    "kind_label": place.kind_label,
                    "within": place.within,
                    "synthetic": place.is_synthetic,
                    "status": current.code if current else None,
                    "status_label": current.label if current else None,
                    "statuses": [
                        {
                            "status": s.code,
                            "label": s.label,
                            "date": s.date_text,
                            "disputed": s.disputed,
                            "sources": _refs_json(s.sources),
                        }
                        for s in place.statuses
                    ],
                    "images": [
                        {"url": image_url(i.uid), "name": i.name, "source": i.source.title}
                        for i in place.images
                    ],
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}
