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
  history keeps who changed what and why. A record sent with its first claims is created
  with all of them in one transaction, or not at all.

The request and response shapes are in ``records.schemas``. Ids in URLs and bodies are the
records' ``uid`` strings, never database keys.
"""

import datetime
from collections.abc import Callable
from typing import Any, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.db import models, transaction
from django.db.models import Q
from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status

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
    Claim,
    Event,
    Participation,
    Person,
    Place,
    Post,
    Record,
    Source,
    new_uid,
)
from dadkhah.records.schemas import (
    CREATE_SCHEMAS,
    DETAIL_SCHEMAS,
    CitationAddIn,
    CitationIn,
    ClaimIn,
    ClaimOut,
    ErrorOut,
    HistoryOut,
    PageQuery,
    RecordIn,
    RecordPage,
    SourceIn,
    SourceOut,
    SourcePage,
    StatusIn,
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

Lang = Literal["en", "fa"]


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


def _add_claim(
    record: Record,
    payload: ClaimIn,
    *,
    user: Any,
    clearance: Level,
    reason: str = "",
    reproject: bool = True,
) -> Claim:
    """Add one claim with its citations, within the caller's clearance: its own level, the
    sources it cites and the records it names. ``reason`` stands in for a claim without one."""
    _within_clearance(payload.confidentiality, clearance)
    return claims.add_claim(
        record,
        payload.prop,
        payload.value,
        citations=[_citation_input(c, clearance) for c in payload.citations],
        status=payload.status,
        confidentiality=payload.confidentiality,
        note=payload.note,
        user=user,
        reason=payload.reason or reason,
        clearance=clearance,
        reproject=reproject,
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
        with transaction.atomic():  # the record and its first claims, or nothing
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
                field = "uid" if exc.field == "id" else exc.field
                raise claims.RecordError(str(exc), field) from None
            for i, claim in enumerate(payload.claims):
                try:
                    _add_claim(
                        record,
                        claim,
                        user=user,
                        clearance=clearance,
                        reason=payload.reason,
                        reproject=False,
                    )
                except claims.RecordError as exc:  # say which claim, 0-based as in the JSON
                    raise claims.RecordError(f"claims[{i}]: {exc}", exc.field) from None
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
        claim = _add_claim(record, payload, user=user, clearance=clearance)
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
