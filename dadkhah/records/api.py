"""The case record over HTTP (JSON): sources, records, claims, citations and history.

Rules, so that the API never shows more than the caller may see:

- The caller's clearance comes from their role (``accounts.roles.clearance_of``); the
  anonymous public has public clearance. What the caller may see is decided by
  ``records.claims`` (``visible_records``, ``claim_groups``, ``visible_claim``), the same
  rules as the staff pages: records, claims and sources above it never appear, nor posts
  and participations that join a hidden record, nor claims that name one; asking for
  one answers 404 exactly as for an id that does not exist.
- Writes need a role that may edit (administrator or investigator); status changes of a
  claim need one that may review. A caller may not write material above their own
  clearance. Writes go through ``records.claims`` with ``user=`` and ``reason=``, so the
  history keeps who changed what and why.

Ids in URLs and bodies are the records' ``uid`` strings, never database keys.
"""

import datetime
from collections.abc import Callable
from typing import Any, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.db import models, transaction
from django.db.models import Q
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status
from pydantic import field_validator

from dadkhah.accounts import audit
from dadkhah.accounts.auth import READ_AUTH, WRITE_AUTH
from dadkhah.accounts.roles import can_edit, can_review, clearance_of, role_of
from dadkhah.core.confidentiality import Level
from dadkhah.core.dates import InvalidDate, parse_partial_date
from dadkhah.records import claims, values
from dadkhah.records.history import Entry, history
from dadkhah.records.models import (
    RECORD_MODELS,
    Citation,
    Event,
    Participation,
    Person,
    Place,
    Post,
    Record,
    Source,
    new_uid,
)

__all__ = ["PLURALS", "router"]

router = Router()

PLURALS: dict[str, str] = {
    "person": "persons",
    "body": "bodies",
    "place": "places",
    "post": "posts",
    "event": "events",
    "participation": "participations",
}

UID_PATTERN = r"^[-a-zA-Z0-9_]+$"

LevelName = Literal["public", "internal", "restricted", "protected"]
ClaimStatus = Literal["accepted", "disputed", "rejected"]
Confidence = Literal["low", "medium", "high"]
Lang = Literal["en", "fa"]


# Schemas -------------------------------------------------------------------------------


class ErrorOut(Schema):
    detail: str
    field: str | None = Field(None, description="The offending field, when one is to blame.")
    errors: list[dict[str, Any]] | None = Field(None, description="Every validation error.")


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    return isinstance(value, list) and any(_has_nul(v) for v in value)


class InSchema(Schema):
    """What callers send: no text may hold a NUL character (no database field can)."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if _has_nul(value):
            raise ValueError("contains a NUL character (0x00)")
        return value


class PageQuery(InSchema):
    q: str = Field("", description="Only records whose label (Latin or Persian) contains this.")
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0)


class CitationOut(Schema):
    source: str = Field(description="uid of the source.")
    source_title: str
    page: str
    paragraph: str
    timestamp: str
    quote: str
    confidence: Confidence


class ClaimOut(Schema):
    uid: str
    prop: str
    value: Any = Field(description="The stored JSON value.")
    display: str = Field(description="The value as a reader sees it (dates in both calendars).")
    status: ClaimStatus
    confidentiality: LevelName
    note: str
    citations: list[CitationOut]


class PropGroupOut(Schema):
    prop: str
    label: str
    many: bool
    conflict: bool = Field(
        description="Two different values, not rejected, on a single-valued property."
    )
    claims: list[ClaimOut]


class RecordSummary(Schema):
    uid: str
    kind: str
    label: str
    label_fa: str
    confidentiality: LevelName
    is_synthetic: bool = Field(description="Invented for the demo or tests: label it Synthetic.")


class RecordPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[RecordSummary]


class RecordOut(RecordSummary):
    claims: list[PropGroupOut]


class PersonOut(RecordOut):
    roles: list[str] = Field(description="victim, perpetrator, witness: from events and posts.")


class BodyOut(RecordOut):
    body_type: str


class PlaceOut(RecordOut):
    place_type: str
    latitude: float | None
    longitude: float | None


class PostOut(RecordOut):
    person: str | None
    body: str | None
    role: str
    start: datetime.date | None = Field(description="Earliest possible start.")
    end: datetime.date | None = Field(description="Latest possible end.")


class EventOut(RecordOut):
    event_type: str
    date_start: datetime.date | None
    date_end: datetime.date | None
    place: str | None


class ParticipationOut(RecordOut):
    event: str | None
    person: str | None
    role: str
    mode: str


DETAIL_SCHEMAS: dict[str, type[RecordOut]] = {
    "person": PersonOut,
    "body": BodyOut,
    "place": PlaceOut,
    "post": PostOut,
    "event": EventOut,
    "participation": ParticipationOut,
}


class RecordIn(InSchema):
    uid: str | None = Field(None, pattern=UID_PATTERN, max_length=64)
    confidentiality: LevelName = "internal"
    is_synthetic: bool = False
    reason: str = Field("", description="Why: kept in the history.")


class PostIn(RecordIn):
    person: str = Field(description="uid of the person who held the post.")
    body: str = Field(description="uid of the body the post is in.")


class ParticipationIn(RecordIn):
    event: str = Field(description="uid of the event.")
    person: str = Field(description="uid of the person who took part.")


CREATE_SCHEMAS: dict[str, type[RecordIn]] = {"post": PostIn, "participation": ParticipationIn}


class CitationIn(InSchema):
    source: str = Field(description="uid of the source.")
    page: str = ""
    paragraph: str = ""
    timestamp: str = Field("", description="For audio and video: hh:mm:ss.")
    quote: str = Field("", description="The excerpt, exactly as the source words it.")
    confidence: Confidence = "medium"


class CitationAddIn(CitationIn):
    reason: str = ""


class ClaimIn(InSchema):
    prop: str = Field(description="A property of this kind of record (vocab/properties.yaml).")
    value: str | dict[str, Any] = Field(
        description='Text ("Mordad 1367", "35.82, 50.99") or the JSON value.'
    )
    status: ClaimStatus = "accepted"
    confidentiality: LevelName | None = Field(None, description="Default: the record's level.")
    note: str = ""
    reason: str = ""
    citations: list[CitationIn] = Field(default_factory=list, description="At least one.")


class StatusIn(InSchema):
    status: ClaimStatus
    reason: str = Field(description="Required: why the status changes.")


class SourceOut(Schema):
    uid: str
    kind: str
    title: str
    citation: str
    url: str
    reliability: str
    published: dict[str, Any] | None = Field(description="Partial date of publication.")
    language: str
    notes: str
    confidentiality: LevelName
    is_synthetic: bool


class SourcePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[SourceOut]


class SourceIn(InSchema):
    uid: str | None = Field(None, pattern=UID_PATTERN, max_length=64)
    kind: str = Field("publication", description="A term of the source_kind vocabulary.")
    title: str = Field(min_length=1, max_length=500)
    citation: str = Field(min_length=1, description="Author, title, publisher, date, id.")
    url: str = ""
    reliability: str = Field("F", description="Admiralty code, A to F.")
    published: str | None = Field(None, description='A partial date: "1367/05", "1988".')
    language: str = Field("", max_length=20)
    notes: str = ""
    confidentiality: LevelName = "internal"
    is_synthetic: bool = False
    reason: str = ""


class ChangeOut(Schema):
    field: str
    old: Any
    new: Any


class HistoryEntry(Schema):
    object: Literal["record", "claim", "citation"]
    uid: str = Field(description="The record's uid, or the claim's (for claims and citations).")
    source: str | None = Field(None, description="For citations: uid of the cited source.")
    action: Literal["created", "changed", "deleted"]
    who: str | None = Field(description="Username; null when no user was recorded.")
    when: datetime.datetime
    why: str
    changes: list[ChangeOut]


class HistoryOut(Schema):
    uid: str
    kind: str
    entries: list[HistoryEntry]


ERRORS: dict[int, type[Schema]] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
# 400: a body that is not JSON; 422: one that does not fit the schema.
WRITE_ERRORS: dict[int, type[Schema]] = {**ERRORS, 400: ErrorOut, 422: ErrorOut}
# Reads accept a token, a session, or nobody (the empty requirement): public material only.
OPTIONAL_AUTH: dict[str, Any] = {"security": [{"BearerToken": []}, {"DjangoSession": []}, {}]}


# Who is asking ---------------------------------------------------------------------------


def _clearance(request: HttpRequest) -> Level:
    return clearance_of(request.auth)  # type: ignore[attr-defined]


def _permit(request: HttpRequest, check: Callable[[Any], bool], what: str) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    if not check(user):
        raise HttpError(403, f"the {role_of(user).value} role may not {what}")
    return user


def _within_clearance(level_name: str | None, clearance: Level) -> None:
    if level_name is not None and Level[level_name.upper()] > clearance:
        raise claims.RecordError(
            f"you may not write material above your clearance ({clearance.label})",
            "confidentiality",
        )


# Reading ---------------------------------------------------------------------------------


def _not_found(what: str, uid: str) -> HttpError:
    return HttpError(404, f"no {what} with id {uid!r}")


def _findable(what: str, uid: str) -> str:
    """``uid``, or 404 for one no record can have (and PostgreSQL cannot even compare)."""
    if "\x00" in uid:
        raise _not_found(what, uid)
    return uid


def _get_record(kind: str, uid: str, clearance: Level) -> Record:
    uid = _findable(kind, uid)
    record = claims.visible_records(RECORD_MODELS[kind], clearance).filter(uid=uid).first()
    if record is None:
        raise _not_found(kind, uid)
    return record


def _link(target: Record | None, clearance: Level) -> str | None:
    if target is None or target.confidentiality > int(clearance):
        return None
    return target.uid


def _citation_out(cite: Citation) -> dict[str, Any]:
    return {
        "source": cite.source.uid,
        "source_title": cite.source.title,
        "page": cite.page,
        "paragraph": cite.paragraph,
        "timestamp": cite.timestamp,
        "quote": cite.quote,
        "confidence": cite.confidence,
    }


def _claim_out(shown: claims.ShownClaim) -> dict[str, Any]:
    claim = shown.claim
    return {
        "uid": claim.uid,
        "prop": claim.prop,
        "value": claim.value,
        "display": shown.text,
        "status": claim.status,
        "confidentiality": claim.level.label,
        "note": claim.note,
        "citations": [_citation_out(c) for c in shown.citations],
    }


def _groups_out(groups: list[claims.PropGroup], lang: str) -> list[dict[str, Any]]:
    return [
        {
            "prop": g.spec.name,
            "label": g.spec.label(lang),
            "many": g.spec.many,
            "conflict": g.conflict,
            "claims": [_claim_out(c) for c in g.claims],
        }
        for g in groups
    ]


def _summary(record: Record) -> dict[str, Any]:
    return {
        "uid": record.uid,
        "kind": record.KIND,
        "label": record.label,
        "label_fa": record.label_fa,
        "confidentiality": record.level.label,
        "is_synthetic": record.is_synthetic,
    }


def _record_out(record: Record, clearance: Level, lang: str = "en") -> dict[str, Any]:
    groups = claims.claim_groups(record, clearance, lang)
    out = _summary(record) | {"claims": _groups_out(groups, lang)}
    if isinstance(record, Person):
        out["roles"] = claims.person_roles(record, clearance)
    elif isinstance(record, Place):
        out |= {
            "place_type": record.place_type,
            "latitude": record.latitude,
            "longitude": record.longitude,
        }
    elif isinstance(record, Post):
        out |= {
            "person": _link(record.person, clearance),
            "body": _link(record.body, clearance),
            "role": record.role,
            "start": record.start,
            "end": record.end,
        }
    elif isinstance(record, Event):
        out |= {
            "event_type": record.event_type,
            "date_start": record.date_start,
            "date_end": record.date_end,
            "place": _link(record.place, clearance),
        }
    elif isinstance(record, Participation):
        out |= {
            "event": _link(record.event, clearance),
            "person": _link(record.person, clearance),
            "role": record.role,
            "mode": record.mode,
        }
    else:
        out["body_type"] = getattr(record, "body_type", "")
    return out


def _visible_claim(uid: str, clearance: Level) -> tuple[claims.ShownClaim, Record]:
    found = claims.visible_claim(_findable("claim", uid), clearance)
    if found is None:
        raise _not_found("claim", uid)
    return found


def _shown_claim(uid: str, clearance: Level) -> dict[str, Any]:
    return _claim_out(_visible_claim(uid, clearance)[0])


def _value_out(value: Any) -> Any:
    if isinstance(value, Record | Source):
        return value.uid
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    return value


def _entry_out(entry: Entry) -> dict[str, Any]:
    def out(name: str, value: Any) -> Any:
        if name == "confidentiality" and value is not None:
            return Level(value).label
        return _value_out(value)

    return {
        "object": entry.object,
        "uid": entry.uid,
        "source": entry.source.uid if entry.source is not None else None,
        "action": entry.action,
        "who": entry.who,
        "when": entry.when,
        "why": entry.why,
        "changes": [
            {"field": c.field, "old": out(c.field, c.old), "new": out(c.field, c.new)}
            for c in entry.changes
        ],
    }


def _source_out(source: Source) -> dict[str, Any]:
    return {
        "uid": source.uid,
        "kind": source.kind,
        "title": source.title,
        "citation": source.citation,
        "url": source.url,
        "reliability": source.reliability,
        "published": source.published,
        "language": source.language,
        "notes": source.notes,
        "confidentiality": source.level.label,
        "is_synthetic": source.is_synthetic,
    }


def _page(
    qs: models.QuerySet[Any], params: PageQuery, out: Callable[[Any], dict[str, Any]]
) -> dict[str, Any]:
    return {
        "count": qs.count(),
        "limit": params.limit,
        "offset": params.offset,
        "items": [out(obj) for obj in qs[params.offset : params.offset + params.limit]],
    }


# Writing ---------------------------------------------------------------------------------


def _visible_source(uid: str, clearance: Level) -> Source:
    source = Source.objects.visible_to(clearance).filter(uid=uid).first()
    if source is None:
        raise claims.RecordError(f"no source with id {uid!r}", "source")
    return source


def _citation_input(cite: CitationIn, clearance: Level) -> claims.CitationInput:
    return claims.CitationInput(
        source=_visible_source(cite.source, clearance),
        page=cite.page,
        paragraph=cite.paragraph,
        timestamp=cite.timestamp,
        quote=cite.quote,
        confidence=cite.confidence,
    )


def _source_fields(payload: SourceIn) -> dict[str, Any]:
    vocab = values.vocabularies()
    fields: dict[str, Any] = {
        "title": payload.title.strip(),
        "citation": payload.citation.strip(),
        "url": payload.url.strip(),
        "language": payload.language.strip(),
        "notes": payload.notes.strip(),
        "is_synthetic": payload.is_synthetic,
        "confidentiality": int(Level[payload.confidentiality.upper()]),
    }
    for name, vocab_name in (("kind", "source_kind"), ("reliability", "reliability")):
        try:
            fields[name] = vocab[vocab_name].get(getattr(payload, name).strip()).code
        except ValueError as exc:
            raise claims.RecordError(str(exc), name) from None
    if not fields["title"] or not fields["citation"]:
        raise claims.RecordError("a source needs a title and a citation", "title")
    if fields["url"]:
        try:
            URLValidator(schemes=["http", "https"])(fields["url"])
        except DjangoValidationError:
            raise claims.RecordError(f"{fields['url']!r} is not an http(s) URL", "url") from None
    fields["published"] = None
    if payload.published and payload.published.strip():
        try:
            fields["published"] = parse_partial_date(payload.published.strip()).to_json()
        except InvalidDate as exc:
            raise claims.RecordError(str(exc), "published") from None
    return fields


# Routes: sources -------------------------------------------------------------------------


@router.get(
    "/sources",
    response={200: SourcePage, 401: ErrorOut, 422: ErrorOut},
    auth=READ_AUTH,
    openapi_extra=OPTIONAL_AUTH,
    tags=["sources"],
    operation_id="list_sources",
    summary="List the sources the caller may see",
)
def list_sources(request: HttpRequest, params: Query[PageQuery]) -> dict[str, Any]:
    qs = Source.objects.visible_to(_clearance(request))
    if params.q.strip():
        qs = qs.filter(title__icontains=params.q.strip())
    page = _page(qs.order_by("title", "id"), params, _source_out)
    levels = [row["confidentiality"] for row in page["items"]]
    audit.view(request, ("sources", params.q.strip() or "*"), audit.highest(*levels))
    return page


@router.get(
    "/sources/{uid}",
    response={200: SourceOut, **ERRORS},
    auth=READ_AUTH,
    openapi_extra=OPTIONAL_AUTH,
    tags=["sources"],
    operation_id="get_source",
    summary="One source",
)
def get_source(request: HttpRequest, uid: str) -> dict[str, Any]:
    uid = _findable("source", uid)
    source = Source.objects.visible_to(_clearance(request)).filter(uid=uid).first()
    if source is None:
        raise _not_found("source", uid)
    audit.view(request, source, source.confidentiality)
    return _source_out(source)


@router.post(
    "/sources",
    response={201: SourceOut, **WRITE_ERRORS},
    auth=WRITE_AUTH,
    tags=["sources"],
    operation_id="create_source",
    summary="Add a source (administrator, investigator)",
)
def create_source(request: HttpRequest, payload: SourceIn) -> Status[dict[str, Any]]:
    user = _permit(request, can_edit, "add sources")
    _within_clearance(payload.confidentiality, _clearance(request))
    fields = _source_fields(payload)
    uid = payload.uid or new_uid("source")
    with transaction.atomic():
        if Source.objects.filter(uid=uid).exists():
            raise claims.RecordError(f"a source with id {uid!r} exists already", "uid")
        source = Source(uid=uid, **fields)
        source._history_user = user  # type: ignore[attr-defined]
        source._change_reason = payload.reason or "new source"  # type: ignore[attr-defined]
        source.save()
    return Status(201, _source_out(source))


# Routes: claims --------------------------------------------------------------------------


@router.post(
    "/claims/{uid}/citations",
    response={201: ClaimOut, **WRITE_ERRORS},
    auth=WRITE_AUTH,
    tags=["claims"],
    operation_id="add_citation",
    summary="Cite one more source for a claim; answers with the claim",
)
def add_citation(request: HttpRequest, uid: str, payload: CitationAddIn) -> Status[dict[str, Any]]:
    user = _permit(request, can_edit, "add citations")
    clearance = _clearance(request)
    shown, _ = _visible_claim(uid, clearance)
    with transaction.atomic():
        claims.add_citation(
            shown.claim,
            _citation_input(payload, clearance),
            user=user,
            reason=payload.reason or "new citation",
        )
    return Status(201, _shown_claim(uid, clearance))


@router.post(
    "/claims/{uid}/status",
    response={200: ClaimOut, **WRITE_ERRORS},
    auth=WRITE_AUTH,
    tags=["claims"],
    operation_id="set_claim_status",
    summary="Accept, dispute or reject a claim (any staff role); the reason is required",
)
def set_claim_status(request: HttpRequest, uid: str, payload: StatusIn) -> dict[str, Any]:
    user = _permit(request, can_review, "change the status of claims")
    clearance = _clearance(request)
    shown, _ = _visible_claim(uid, clearance)
    claims.set_status(shown.claim, payload.status, user=user, reason=payload.reason)
    return _shown_claim(uid, clearance)


# Routes: records, one set per kind -------------------------------------------------------


def _register(kind: str) -> None:
    plural = PLURALS[kind]
    detail_schema = DETAIL_SCHEMAS[kind]
    create_schema = CREATE_SCHEMAS.get(kind, RecordIn)
    model = RECORD_MODELS[kind]
    tags = [plural]

    @router.get(
        f"/{plural}",
        response={200: RecordPage, 401: ErrorOut, 422: ErrorOut},
        auth=READ_AUTH,
        openapi_extra=OPTIONAL_AUTH,
        tags=tags,
        operation_id=f"list_{plural}",
        url_name=f"list_{plural}",
        summary=f"List the {plural} the caller may see",
    )
    def list_records(request: HttpRequest, params: Query[PageQuery]) -> dict[str, Any]:
        qs = claims.visible_records(model, _clearance(request))
        q = params.q.strip()
        if q:
            qs = qs.filter(Q(label__icontains=q) | Q(label_fa__icontains=q))
        page = _page(qs.order_by(*model._meta.ordering), params, _summary)
        levels = [row["confidentiality"] for row in page["items"]]
        audit.view(request, (plural, q or "*"), audit.highest(*levels), f"{len(levels)} listed")
        return page

    @router.get(
        f"/{plural}/{{uid}}",
        response={200: detail_schema, **ERRORS, 422: ErrorOut},  # 422: a bad lang
        auth=READ_AUTH,
        openapi_extra=OPTIONAL_AUTH,
        tags=tags,
        operation_id=f"get_{kind}",
        url_name=f"get_{kind}",
        summary=f"One {kind}, with its claims grouped by property",
    )
    def get_record(request: HttpRequest, uid: str, lang: Lang = "en") -> dict[str, Any]:
        clearance = _clearance(request)
        out = _record_out(_get_record(kind, uid, clearance), clearance, lang)
        shown = [c["confidentiality"] for g in out["claims"] for c in g["claims"]]
        audit.view(request, (kind, uid), audit.highest(out["confidentiality"], *shown))
        return out

    @router.post(
        f"/{plural}",
        response={201: detail_schema, **WRITE_ERRORS},
        auth=WRITE_AUTH,
        tags=tags,
        operation_id=f"create_{kind}",
        url_name=f"create_{kind}",
        summary=f"Create a {kind} (administrator, investigator)",
    )
    def create_record(request: HttpRequest, payload: create_schema) -> Status[dict[str, Any]]:  # type: ignore[valid-type]
        user = _permit(request, can_edit, f"create {plural}")
        clearance = _clearance(request)
        _within_clearance(payload.confidentiality, clearance)
        links = {name: getattr(payload, name) for name in claims.LINKS.get(kind, ())}
        try:
            record = claims.create_record(
                kind,
                uid=payload.uid,
                confidentiality=payload.confidentiality,
                is_synthetic=payload.is_synthetic,
                user=user,
                reason=payload.reason,
                clearance=clearance,
                **links,
            )
        except claims.RecordError as exc:  # name the field as this request names it
            raise claims.RecordError(str(exc), "uid" if exc.field == "id" else exc.field) from None
        claims.project(record)
        record.refresh_from_db()
        return Status(201, _record_out(record, clearance))

    @router.post(
        f"/{plural}/{{uid}}/claims",
        response={201: ClaimOut, **WRITE_ERRORS},
        auth=WRITE_AUTH,
        tags=tags,
        operation_id=f"add_{kind}_claim",
        url_name=f"add_{kind}_claim",
        summary=f"Add a claim, with its citations, to a {kind} (administrator, investigator)",
    )
    def add_claim(request: HttpRequest, uid: str, payload: ClaimIn) -> Status[dict[str, Any]]:
        user = _permit(request, can_edit, "add claims")
        clearance = _clearance(request)
        record = _get_record(kind, uid, clearance)
        _within_clearance(payload.confidentiality, clearance)
        claim = claims.add_claim(
            record,
            payload.prop,
            payload.value,
            citations=[_citation_input(c, clearance) for c in payload.citations],
            status=payload.status,
            confidentiality=payload.confidentiality,
            note=payload.note,
            user=user,
            reason=payload.reason,
            clearance=clearance,
        )
        return Status(201, _shown_claim(claim.uid, clearance))

    @router.get(
        f"/{plural}/{{uid}}/history",
        response={200: HistoryOut, **ERRORS},
        auth=WRITE_AUTH,
        tags=tags,
        operation_id=f"{kind}_history",
        url_name=f"{kind}_history",
        summary=f"Who changed this {kind}, its claims and citations, when and why (staff)",
    )
    def record_history(request: HttpRequest, uid: str) -> dict[str, Any]:
        _permit(request, can_review, "read the history")
        clearance = _clearance(request)
        record = _get_record(kind, uid, clearance)
        entries = [_entry_out(e) for e in history(record, clearance)]
        return {"uid": record.uid, "kind": kind, "entries": entries}


for _kind in PLURALS:
    _register(_kind)
