"""Small builders for tests. Everything they make is synthetic."""

from __future__ import annotations

import json
from typing import Any

from dadkhah.core.confidentiality import Level, Role
from dadkhah.records import claims
from dadkhah.records.models import (
    RECORD_MODELS,
    Body,
    Citation,
    Claim,
    Event,
    Participation,
    Person,
    Place,
    Post,
    Record,
    Source,
)

PASSWORD = "correct horse battery staple 1988"


def make_users() -> dict[str, Any]:
    from django.contrib.auth import get_user_model

    from dadkhah.accounts.roles import set_role

    model = get_user_model()
    out: dict[str, Any] = {}
    for role in (Role.ADMINISTRATOR, Role.INVESTIGATOR, Role.REVIEWER):
        user = model.objects.create_user(username=f"test-{role.value}", password=PASSWORD)
        set_role(user, role)
        out[role.value] = user
    return out


def make_source(uid: str = "src-test", level: Level = Level.PUBLIC, **kw: Any) -> Source:
    return Source.objects.create(
        uid=uid,
        confidentiality=int(level),
        is_synthetic=True,
        title=kw.pop("title", f"Synthetic test source {uid}"),
        citation=kw.pop("citation", f"Synthetic test source {uid}, for tests only."),
        reliability=kw.pop("reliability", "B"),
        **kw,
    )


def cite(source: Source | str, **kw: Any) -> list[claims.CitationInput]:
    return [claims.CitationInput(source=source, **kw)]


def make_record(
    kind: str, level: Level = Level.PUBLIC, uid: str | None = None, **structure: Any
) -> Record:
    return claims.create_record(
        kind, uid=uid, confidentiality=level, is_synthetic=True, **structure
    )


def make_person(
    name: str, source: Source, level: Level = Level.PUBLIC, uid: str | None = None
) -> Record:
    person = make_record("person", level, uid)
    claims.add_claim(person, "name", name, citations=cite(source), confidentiality=level)
    person.refresh_from_db()
    return person


# Round trips: the whole case as plain data, to compare before and after.

PROJECTED = {
    "person": (),
    "body": ("body_type",),
    "place": ("place_type", "latitude", "longitude"),
    "post": ("role", "start", "end"),
    "event": ("event_type", "date_start", "date_end"),
    "participation": ("role", "mode"),
}


def dump() -> dict[str, Any]:
    """Everything that must survive a round trip, keyed by uid, without database ids."""
    out: dict[str, Any] = {
        "source": {
            s.uid: (s.kind, s.title, s.citation, s.url, s.reliability, s.published, s.language)
            + (s.notes, s.confidentiality, s.is_synthetic)
            for s in Source.objects.all()
        }
    }
    uids: dict[tuple[str, int], str] = {}
    for kind, record_model in RECORD_MODELS.items():
        out[kind] = {}
        for r in record_model.objects.all():
            uids[kind, r.pk] = r.uid
            fields = {name: getattr(r, name) for name in PROJECTED[kind]}
            if isinstance(r, Event):
                fields["place"] = r.place.uid if r.place else None
            base = (r.confidentiality, r.is_synthetic, r.label, r.label_fa)
            out[kind][r.uid] = (base, r.structure(), fields)
    out["claim"] = {
        c.uid: (
            c.subject_kind,
            uids[c.subject_kind, c.subject_id],
            c.prop,
            json.dumps(c.value, sort_keys=True, ensure_ascii=False),
            c.status,
            c.confidentiality,
            c.note,
            [
                (x.source.uid, x.page, x.paragraph, x.timestamp, x.quote, x.confidence)
                for x in c.citations.order_by("id")
            ],
        )
        for c in Claim.objects.all()
    }
    return out


def wipe() -> None:
    for each in (Citation, Claim, Participation, Post, Event, Place, Body, Person, Source):
        each.objects.all().delete()


# The memorial: a victim with the facts its pages show.


def make_victim(
    names: tuple[str, ...],
    source: Source,
    *,
    uid: str | None = None,
    level: Level = Level.PUBLIC,
    city: Place | None = None,
    prison: Place | None = None,
    executed: str | None = None,
    born: str | None = None,
    gender: str | None = None,
    affiliation: str | None = None,
    occupation: str | None = None,
    burial: Place | None = None,
) -> Person:
    """A synthetic person executed in ``prison`` on ``executed`` (a victim in a PUBLIC event)."""
    person = make_record("person", level, uid)
    for name in names:
        claims.add_claim(person, "name", name, citations=cite(source))
    facts = {
        "gender": gender,
        "birth_date": born,
        "affiliation": affiliation,
        "occupation": occupation,
        "hometown": city.uid if city is not None else None,
    }
    for prop, value in facts.items():
        if value is not None:
            claims.add_claim(person, prop, value, citations=cite(source))
    event = make_record("event")
    claims.add_claim(event, "event_type", "execution", citations=cite(source))
    if executed is not None:
        claims.add_claim(event, "date", executed, citations=cite(source))
    if prison is not None:
        claims.add_claim(event, "place", prison.uid, citations=cite(source))
    link = make_record("participation", event=event, person=person)
    claims.add_claim(link, "role", "victim", citations=cite(source))
    if burial is not None:
        grave = make_record("event")
        claims.add_claim(grave, "event_type", "burial", citations=cite(source))
        claims.add_claim(grave, "place", burial.uid, citations=cite(source))
        link = make_record("participation", event=grave, person=person)
        claims.add_claim(link, "role", "victim", citations=cite(source))
    person.refresh_from_db()
    assert isinstance(person, Person)
    return person


def make_place(name: str, name_fa: str, source: Source, place_type: str = "city") -> Place:
    place = make_record("place")
    claims.add_claim(place, "name", name, citations=cite(source))
    claims.add_claim(place, "name", name_fa, citations=cite(source))
    claims.add_claim(place, "place_type", place_type, citations=cite(source))
    place.refresh_from_db()
    assert isinstance(place, Place)
    return place
