"""The case record as a dossier: a plain, serializable tree of what one requester may see.

``assemble(kind, uid, clearance)`` reads the records through the visibility rules of
``records.claims`` (what the clearance does not allow is left out entirely) and replaces
every protected identity by its pseudonym (``protect``). The result is a ``Dossier`` of
dataclasses holding only strings, numbers, booleans and lists, so that its canonical JSON
(``content_json``) and its hash (``content_hash``) say exactly what the dossier contains.

Kinds: ``perpetrator`` (a person: identity, posts, events with role and mode, testimonies,
every claim with its sources, the seats for the command-responsibility graph), ``family``
(a victim: what is known and from where, what is not, candidate grave sites) and
``incident`` (an event; a place, optionally between two dates; or a body, the work of a
commission). What is missing is said in ``missing`` (and ``unknown`` for families), never
an error. The parts that are the same for every kind are in ``dossiers.parts``.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from datetime import date

from dadkhah.core.confidentiality import Level
from dadkhah.core.dates import InvalidDate, PartialDate, parse_partial_date
from dadkhah.dossiers.parts import (
    Counts,
    Dossier,
    DossierError,
    EventView,
    Note,
    ParticipantView,
    PlaceView,
    PostView,
    Reader,
    SeatView,
    term_labels,
)
from dadkhah.records import claims
from dadkhah.records.claims import visible_records
from dadkhah.records.models import Body, Event, Participation, Person, Place, Post, Record
from dadkhah.vault.canonical import canonical_json

__all__ = [
    "KINDS",
    "Dossier",
    "DossierError",
    "assemble",
    "content_hash",
    "content_json",
    "default_kind",
]

KINDS = ("perpetrator", "family", "incident")
_IDENTITY_PROPS = ("name", "father_name", "gender", "birth_date", "hometown", "affiliation")
_FAMILY_PROPS = (*_IDENTITY_PROPS, "occupation", "biography")
_GRAVE_TYPES = ("cemetery", "mass_grave")


def content_json(dossier: Dossier) -> bytes:
    """The canonical JSON (RFC 8785) of everything the dossier says."""
    return canonical_json(asdict(dossier))


def content_hash(dossier: Dossier) -> str:
    """``sha256:<hex>`` of :func:`content_json`: printed on every page of the dossier."""
    return "sha256:" + hashlib.sha256(content_json(dossier)).hexdigest()


def default_kind(person: Person, clearance: Level) -> str:
    """``perpetrator`` for a person with posts or a perpetrator's role, ``family`` for a
    victim, and ``perpetrator`` otherwise (the dossier then says what is missing)."""
    roles = claims.person_roles(person, clearance)
    if "perpetrator" in roles or visible_records(person.posts.all(), clearance).exists():
        return "perpetrator"
    if "victim" in roles:
        return "family"
    return "perpetrator"


def assemble(
    record_kind: str,
    uid: str,
    clearance: Level,
    *,
    kind: str | None = None,
    date_from: str = "",
    date_to: str = "",
    requester: str = "",
) -> Dossier:
    """The dossier on the ``record_kind`` (person, event, place, body) with ``uid``.

    Raises :class:`DossierError` for an unknown id (or one the clearance may not see, with
    the same message), a kind that does not fit the record, or unreadable dates.
    """
    if record_kind not in ("person", "event", "place", "body"):
        raise DossierError(
            f"a dossier is about a person, event, place or body, not {record_kind!r}"
        )
    try:
        record = claims.get_record(record_kind, uid, clearance)
    except claims.RecordError as exc:
        raise DossierError(str(exc)) from None
    if kind is not None and kind not in KINDS:
        raise DossierError(f"unknown dossier kind {kind!r}; use one of: {', '.join(KINDS)}")
    if (date_from or date_to) and record_kind != "place":
        raise DossierError("--from and --to select the events at a place; give a place")
    reader = Reader(clearance)
    if isinstance(record, Person):
        chosen = kind or default_kind(record, clearance)
        if chosen == "incident":
            raise DossierError("an incident dossier is about an event, a place or a body")
        build = _perpetrator if chosen == "perpetrator" else _family
        dossier = build(reader, record)
    else:
        if kind not in (None, "incident"):
            raise DossierError(f"a {record_kind} has an incident dossier, not a {kind} one")
        dossier = _incident(reader, record, date_from, date_to)
    dossier.requester = reader.protector.scrub(requester)
    dossier.clearance = clearance.label
    dossier.sources = reader.source_list()
    dossier.evidence, dossier.evidence_withheld, dossier.photographs = reader.evidence()
    dossier.synthetic = reader.synthetic
    return dossier


# ------------------------------------------------------------------------------- pieces
def _post_view(reader: Reader, post: Post) -> PostView:
    groups = {g.spec.name: g for g in claims.claim_groups(post, reader.clearance)}
    start = reader.best_date(groups.get("start_date"))
    end = reader.best_date(groups.get("end_date"))
    role_group = groups.get("role")
    cited = [s for g in groups.values() for c in g.claims for s in reader.cite_uids(c)]
    return PostView(
        ref=reader.ref(post),
        role=role_group.claims[0].text if role_group else post.role,
        body=reader.ref(post.body),
        start=start,
        end=end,
        sources=sorted(set(cited)),
    )


def _event_view(
    reader: Reader, event: Event, part: Participation | None = None, relation: str = ""
) -> EventView:
    groups = {g.spec.name: g for g in claims.claim_groups(event, reader.clearance)}
    type_en, type_fa = term_labels("event_type", event.event_type)
    role = part.role if part else ""
    mode = part.mode if part else ""
    cited = [s for g in groups.values() for c in g.claims for s in reader.cite_uids(c)]
    if part is not None:
        for group in claims.claim_groups(part, reader.clearance):
            cited += [s for c in group.claims for s in reader.cite_uids(c)]
    place = None
    if event.place_id is not None and event.place.confidentiality <= int(reader.clearance):
        place = reader.ref(event.place)
    date_group = groups.get("date")
    return EventView(
        ref=reader.ref(event),
        event_type=event.event_type,
        type_label=type_en,
        type_label_fa=type_fa,
        date=reader.best_date(date_group),
        date_conflict=bool(date_group and date_group.conflict),
        place=place,
        role=role,
        role_label=term_labels("participant_role", role)[0] if role else "",
        role_label_fa=term_labels("participant_role", role)[1] if role else "",
        mode=mode,
        mode_label=term_labels("perpetrator_mode", mode)[0] if mode else "",
        mode_label_fa=term_labels("perpetrator_mode", mode)[1] if mode else "",
        relation=relation,
        sources=sorted(set(cited)),
    )


def _participant(reader: Reader, part: Participation, relation: str = "") -> ParticipantView:
    role_en, role_fa = term_labels("participant_role", part.role) if part.role else ("", "")
    mode_en, mode_fa = term_labels("perpetrator_mode", part.mode) if part.mode else ("", "")
    cited = [
        s
        for g in claims.claim_groups(part, reader.clearance)
        for c in g.claims
        for s in reader.cite_uids(c)
    ]
    return ParticipantView(
        person=reader.ref(part.person),
        event=reader.ref(part.event),
        role=part.role,
        role_label=role_en,
        role_label_fa=role_fa,
        mode=part.mode,
        mode_label=mode_en,
        mode_label_fa=mode_fa,
        relation=relation,
        sources=sorted(set(cited)),
    )


def _place_view(reader: Reader, place: Place, basis: Note) -> PlaceView:
    groups = {g.spec.name: g for g in claims.claim_groups(place, reader.clearance)}
    type_en, type_fa = term_labels("place_type", place.place_type)
    statuses = groups.get("status")
    cited = [s for g in groups.values() for c in g.claims for s in reader.cite_uids(c)]
    return PlaceView(
        ref=reader.ref(place),
        type_label=type_en,
        type_label_fa=type_fa,
        lat=place.latitude,
        lon=place.longitude,
        statuses=[reader.text(c) for c in statuses.claims if c.claim.status != "rejected"]
        if statuses
        else [],
        statuses_fa=[reader.text_fa(c) for c in statuses.claims if c.claim.status != "rejected"]
        if statuses
        else [],
        basis=basis,
        sources=sorted(set(cited)),
    )


def _seats(reader: Reader, focus: int | None, bodies: set[int]) -> list[SeatView]:
    """Every visible post in ``bodies``; ``focus`` is the dossier's subject (a person's pk)."""
    posts = (
        visible_records(Post, reader.clearance)
        .filter(body_id__in=bodies)
        .select_related("person", "body")
        .order_by("body__label", "start", "person__label", "id")
    )
    return [
        SeatView(
            person=reader.ref(p.person),
            body=reader.ref(p.body),
            role=p.role,
            start=p.start.isoformat() if p.start else None,
            end=p.end.isoformat() if p.end else None,
            focus=focus is not None and p.person_id == focus,
        )
        for p in posts
    ]


def _subject_title(reader: Reader, record: Record, en: str, fa: str) -> tuple[str, str]:
    ref = reader.ref(record)
    return f"{en}: {ref.label}", f"{fa}: {ref.label_fa or ref.label}"


def _missing_places(places: list[PlaceView]) -> list[Note]:
    return [
        Note(
            f"No coordinates are recorded for {p.ref.label}; it is not on the map.",
            f"مختصات {p.ref.label_fa or p.ref.label} ثبت نشده است؛ این مکان روی نقشه نیست.",
        )
        for p in places
        if p.lat is None or p.lon is None
    ]


# --------------------------------------------------------------------------- perpetrator
def _perpetrator(reader: Reader, person: Person) -> Dossier:
    title, title_fa = _subject_title(reader, person, "Dossier", "پرونده")
    dossier = Dossier(
        kind="perpetrator", subject=reader.ref(person), title=title, title_fa=title_fa
    )
    dossier.identity = reader.facts(person, _IDENTITY_PROPS)
    posts = list(
        visible_records(person.posts.all(), reader.clearance)
        .select_related("body")
        .order_by("start", "id")
    )
    dossier.posts = [_post_view(reader, p) for p in posts]
    parts = list(
        visible_records(person.participations.all(), reader.clearance)
        .select_related("event", "event__place")
        .order_by("event__date_start", "event__id")
    )
    dossier.events = [_event_view(reader, p.event, p) for p in parts]
    dossier.seats = _seats(reader, person.pk, {p.body_id for p in posts})
    sections = [reader.claim_section(person)]
    sections += [reader.claim_section(p) for p in posts]
    sections += [reader.claim_section(p) for p in parts]
    dossier.claims = [s for s in sections if s.groups]
    dossier.testimonies = reader.testimonies([person, *posts, *parts], person)
    if reader.protector.is_protected_person(person.uid):
        dossier.missing.append(
            Note(
                "This person's identity is protected: names and identifying details are left out.",
                "هویت این فرد محافظت می‌شود: نام‌ها و جزئیات شناسایی‌کننده آورده نشده‌اند.",
            )
        )
    if not posts:
        dossier.missing.append(
            Note(
                "No posts are recorded for this person.",
                "هیچ سمتی برای این فرد ثبت نشده است.",
            )
        )
    if not parts:
        dossier.missing.append(
            Note(
                "No events are linked to this person.",
                "هیچ رویدادی به این فرد پیوند داده نشده است.",
            )
        )
    if not dossier.testimonies:
        dossier.missing.append(
            Note(
                "No testimony on record mentions this person.",
                "هیچ شهادتی در پرونده از این فرد نام نمی‌برد.",
            )
        )
    return dossier


# -------------------------------------------------------------------------------- family
def _family(reader: Reader, person: Person) -> Dossier:
    title, title_fa = _subject_title(reader, person, "Family file", "پروندهٔ خانواده")
    dossier = Dossier(kind="family", subject=reader.ref(person), title=title, title_fa=title_fa)
    dossier.identity = reader.facts(person, _FAMILY_PROPS)
    parts = list(
        visible_records(person.participations.all(), reader.clearance)
        .select_related("event", "event__place")
        .order_by("event__date_start", "event__id")
    )
    dossier.events = [_event_view(reader, p.event, p) for p in parts]
    name = dossier.subject.label
    name_fa = dossier.subject.label_fa or name
    deaths = [e for e in dossier.events if e.event_type == "execution"]
    burials = [e for e in dossier.events if e.event_type == "burial"]
    unknown = dossier.unknown
    if not deaths or all(e.date is None for e in deaths):
        unknown.append(Note("The date of death is not known.", "تاریخ مرگ معلوم نیست."))
    for event in deaths:
        if event.date is not None and event.date.approximate:
            unknown.append(
                Note(
                    f"The exact date of death is not known: the sources give only {event.date.text}.",
                    f"تاریخ دقیق مرگ معلوم نیست: منابع فقط «{event.date.text_fa}» را می‌گویند.",
                )
            )
        if event.date_conflict:
            unknown.append(
                Note(
                    "The sources disagree on the date of death; both dates are shown below.",
                    "منابع دربارهٔ تاریخ مرگ اختلاف دارند؛ هر دو تاریخ در زیر آمده است.",
                )
            )
        if event.place is None:
            unknown.append(Note("The place of death is not known.", "محل مرگ معلوم نیست."))
    burial_places = [e.place for e in burials if e.place is not None]
    if not burial_places:
        unknown.append(
            Note(
                f"The burial place of {name} is not known: no source on record says where "
                "the body was buried.",
                f"محل دفن {name_fa} معلوم نیست: هیچ منبعی در پرونده نمی‌گوید پیکر کجا به خاک "
                "سپرده شد.",
            )
        )
    else:
        unknown.append(
            Note(
                "The exact grave is not known: the sources name the burial site, not the grave.",
                "گور دقیق معلوم نیست: منابع محل دفن را می‌گویند، نه جای گور را.",
            )
        )
    for fact in dossier.identity:
        if fact.conflict:
            unknown.append(
                Note(
                    f"The sources disagree on: {fact.label.lower()}.",
                    f"منابع دربارهٔ «{fact.label_fa}» اختلاف دارند.",
                )
            )
    dossier.graves = _grave_candidates(reader, person, parts)
    if not dossier.graves:
        dossier.missing.append(
            Note("No candidate grave site is on record.", "هیچ محل احتمالی دفنی در پرونده نیست.")
        )
    dossier.places = [g for g in dossier.graves]
    dossier.missing += _missing_places(dossier.graves)
    sections = [reader.claim_section(person)] + [reader.claim_section(p) for p in parts]
    sections += [reader.claim_section(p.event) for p in parts]
    dossier.claims = [s for s in sections if s.groups]
    witnesses = list(
        visible_records(Participation, reader.clearance)
        .filter(event_id__in=[p.event_id for p in parts], role="witness")
        .select_related("person", "event")
        .order_by("event__date_start", "id")
    )
    dossier.participants = [_participant(reader, w) for w in witnesses]
    dossier.testimonies = reader.testimonies([person, *parts, *witnesses], person)
    return dossier


def _grave_candidates(
    reader: Reader, person: Person, parts: list[Participation]
) -> list[PlaceView]:
    """Where the victim may be buried, each with the reason it is listed."""
    places = visible_records(Place, reader.clearance)
    events = visible_records(Event, reader.clearance)
    out: dict[int, PlaceView] = {}
    for part in parts:
        if part.event.event_type == "burial" and part.event.place_id:
            place = places.filter(pk=part.event.place_id).first()
            if place is not None:
                out[place.pk] = _place_view(
                    reader,
                    place,
                    Note(
                        "A source records the burial here.", "منبعی دفن را در اینجا ثبت کرده است."
                    ),
                )
    death_places = {
        p.event.place_id
        for p in parts
        if p.event.event_type == "execution" and p.event.place_id is not None
    }
    if death_places:
        others = visible_records(Participation, reader.clearance).filter(
            role="victim", event__event_type="execution", event__place_id__in=death_places
        )
        buried = (
            events.filter(
                event_type="burial",
                participations__person_id__in=others.values("person_id"),
                place__isnull=False,
            )
            .exclude(participations__person=person)
            .values_list("place_id", flat=True)
            .distinct()
        )
        for place in places.filter(pk__in=list(buried)).order_by("label", "id"):
            out.setdefault(
                place.pk,
                _place_view(
                    reader,
                    place,
                    Note(
                        "Others executed at the same prison are recorded as buried here.",
                        "دیگرانی که در همان زندان اعدام شدند، در اینجا به خاک سپرده شده‌اند.",
                    ),
                ),
            )
    known_sites = places.filter(place_type__in=_GRAVE_TYPES).filter(
        pk__in=events.filter(event_type="grave_destruction").values("place_id")
    ) | places.filter(place_type="mass_grave")
    for place in known_sites.distinct().order_by("label", "id"):
        out.setdefault(
            place.pk,
            _place_view(
                reader,
                place,
                Note(
                    "A known site of mass graves of the period.",
                    "محل شناخته‌شدهٔ گورهای جمعی آن دوره.",
                ),
            ),
        )
    return list(out.values())


# ------------------------------------------------------------------------------ incident
def _period(date_from: str, date_to: str) -> tuple[PartialDate | None, PartialDate | None]:
    found: list[PartialDate | None] = []
    for option, text in (("--from", date_from), ("--to", date_to)):
        try:
            found.append(parse_partial_date(text) if text.strip() else None)
        except InvalidDate as exc:
            raise DossierError(f"{option} {text!r}: {exc}") from None
    start, end = found
    if start is not None and end is not None and end.end < start.start:
        raise DossierError(f"--to {date_to!r} is before --from {date_from!r}")
    return start, end


def _within(event: Event, lo: date | None, hi: date | None) -> str:
    """``within`` the period, ``overlaps`` it (a partly known date), or ``""`` (outside)."""
    if event.date_start is None or event.date_end is None:
        return "undated" if lo is None and hi is None else ""
    starts_in = lo is None or event.date_start >= lo
    ends_in = hi is None or event.date_end <= hi
    if starts_in and ends_in:
        return "within"
    if (lo is None or event.date_end >= lo) and (hi is None or event.date_start <= hi):
        return "overlaps"
    return ""


def _incident(reader: Reader, record: Record, date_from: str, date_to: str) -> Dossier:
    events = visible_records(Event, reader.clearance).select_related("place")
    main: list[tuple[Event, str]] = []
    if isinstance(record, Event):
        main = [(record, "")]
        title, title_fa = _subject_title(reader, record, "Incident", "رویداد")
        lo, hi = record.date_start, record.date_end
        places = {record.place_id} if record.place_id else set()
    elif isinstance(record, Place):
        start, end = _period(date_from, date_to)
        lo = start.start if start else None
        hi = end.end if end else None
        for event in events.filter(place=record).order_by("date_start", "id"):
            relation = _within(event, lo, hi)
            if relation:
                main.append((event, relation))
        title, title_fa = _subject_title(reader, record, "Incidents at", "رویدادها در")
        places = {record.pk}
    else:
        assert isinstance(record, Body)
        members = visible_records(Post, reader.clearance).filter(body=record)
        perpetrators = visible_records(Participation, reader.clearance).filter(
            person_id__in=members.values("person_id"), role="perpetrator"
        )
        for event in events.filter(pk__in=perpetrators.values("event_id")).order_by(
            "date_start", "id"
        ):
            if event.event_type in ("commission_session", "execution", "decree"):
                main.append((event, ""))
        dated = [e for e, _ in main if e.date_start is not None]
        lo = min((e.date_start for e in dated if e.date_start), default=None)
        hi = max((e.date_end for e in dated if e.date_end), default=None)
        places = {e.place_id for e, _ in main if e.place_id}
        title, title_fa = _subject_title(reader, record, "The work of", "کارنامهٔ")
    dossier = Dossier(kind="incident", subject=reader.ref(record), title=title, title_fa=title_fa)
    if isinstance(record, Place) and (date_from or date_to):
        start, end = _period(date_from, date_to)
        dossier.period = Note(
            f"from {start.both('en') if start else 'the beginning'} "
            f"to {end.both('en') if end else 'today'}",
            f"از {start.both('fa') if start else 'آغاز'} تا {end.both('fa') if end else 'امروز'}",
        )
    chosen = {e.pk for e, _ in main}
    related: list[tuple[Event, str]] = []
    if not isinstance(record, Place) and places and (lo is not None or hi is not None):
        for event in (
            events.filter(place_id__in=places, event_type="execution")
            .exclude(pk__in=chosen)
            .order_by("date_start", "id")
        ):
            relation = _within(event, lo, hi)
            if relation and relation != "undated":
                related.append((event, relation))
    dossier.events = [_event_view(reader, e, None, rel) for e, rel in main]
    dossier.events += [_event_view(reader, e, None, rel) for e, rel in related]
    all_ids = [e.pk for e, _ in main + related]
    relation_of = {e.pk: rel for e, rel in main + related}
    parts = (
        visible_records(Participation, reader.clearance)
        .filter(event_id__in=all_ids)
        .select_related("person", "event")
        .order_by("event__date_start", "event_id", "role", "person__label", "id")
    )
    for part in parts:
        view = _participant(reader, part, relation_of.get(part.event_id, ""))
        if part.role == "victim":
            dossier.victims.append(view)
        elif part.event_id in chosen:
            dossier.participants.append(view)
    if isinstance(record, Body):
        dossier.seats = _seats(reader, None, {record.pk})
    named = {v.person.uid for v in dossier.victims}
    dossier.counts = Counts(
        named_victims=len(named),
        events=len(dossier.events),
        estimate=None,
        note=Note(
            "No estimate of the total number of victims is stored for this incident. The count "
            "is of victims known by name in this record only: a minimum, not a total.",
            "برای این رویداد هیچ برآوردی از شمار کل قربانیان ثبت نشده است. این شمار فقط "
            "قربانیانی است که نامشان در این پرونده آمده است: کمینه است، نه شمار کل.",
        ),
    )
    place_records = visible_records(Place, reader.clearance).filter(
        pk__in={e.place_id for e, _ in main + related if e.place_id} | places
    )
    dossier.places = [
        _place_view(reader, p, Note("Where the events took place.", "محل رویدادها."))
        for p in place_records.order_by("label", "id")
    ]
    dossier.claims = [s for s in (reader.claim_section(e) for e, _ in main) if s.groups]
    dossier.testimonies = reader.testimonies([e for e, _ in main], record)
    missing = dossier.missing
    if not main:
        missing.append(
            Note(
                "No events are recorded for this selection.",
                "هیچ رویدادی برای این گزینش ثبت نشده است.",
            )
        )
    if not named:
        missing.append(
            Note(
                "No victims are known by name for this incident in the record.",
                "برای این رویداد هیچ قربانی‌ای با نام در پرونده شناخته نیست.",
            )
        )
    if not dossier.participants and not dossier.seats:
        missing.append(
            Note(
                "No participants (perpetrators or witnesses) are recorded.",
                "هیچ مشارکت‌کننده‌ای (عامل یا شاهد) ثبت نشده است.",
            )
        )
    if not dossier.places:
        missing.append(Note("No place is recorded.", "هیچ مکانی ثبت نشده است."))
    missing += _missing_places(dossier.places)
    if any(e.date is None for e in dossier.events):
        missing.append(
            Note(
                "Some events have no recorded date; they are not on the timeline.",
                "برخی رویدادها تاریخ ثبت‌شده ندارند و روی خط زمان نیستند.",
            )
        )
    return dossier
