"""The shapes of the records API (django-ninja schemas): what callers send and get back.

Inputs derive from ``InSchema``, which refuses a NUL character anywhere (no database field
can hold one). The routes that use these are in ``records.api``; the names here are the
schema names of the OpenAPI document, so renaming one changes the published contract.
"""

import datetime
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import field_validator

__all__ = [
    "CREATE_SCHEMAS",
    "DETAIL_SCHEMAS",
    "BodyOut",
    "ChangeOut",
    "CitationAddIn",
    "CitationIn",
    "CitationOut",
    "ClaimIn",
    "ClaimOut",
    "ClaimStatus",
    "Confidence",
    "ErrorOut",
    "EventOut",
    "HistoryEntry",
    "HistoryOut",
    "InSchema",
    "LevelName",
    "PageQuery",
    "ParticipationIn",
    "ParticipationOut",
    "PersonOut",
    "PlaceOut",
    "PostIn",
    "PostOut",
    "PropGroupOut",
    "RecordIn",
    "RecordOut",
    "RecordPage",
    "RecordSummary",
    "SourceIn",
    "SourceOut",
    "SourcePage",
    "StatusIn",
]

MAX_CLAIMS = 200  # claims in one creation request: one transaction stays short

UID_PATTERN = r"^[-a-zA-Z0-9_]+$"

LevelName = Literal["public", "internal", "restricted", "protected"]
ClaimStatus = Literal["accepted", "disputed", "rejected"]
Confidence = Literal["low", "medium", "high"]


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


class RecordIn(InSchema):
    uid: str | None = Field(None, pattern=UID_PATTERN, max_length=64)
    confidentiality: LevelName = "internal"
    is_synthetic: bool = False
    reason: str = Field("", description="Why: kept in the history.")
    claims: list[ClaimIn] = Field(
        default_factory=list,
        max_length=MAX_CLAIMS,
        description="Its first claims, each with its citations: added with the record in one "
        f"transaction, all or none (a bad one is named claims[i], from 0); at most {MAX_CLAIMS}.",
    )


class PostIn(RecordIn):
    person: str = Field(description="uid of the person who held the post.")
    body: str = Field(description="uid of the body the post is in.")


class ParticipationIn(RecordIn):
    event: str = Field(description="uid of the event.")
    person: str = Field(description="uid of the person who took part.")


CREATE_SCHEMAS: dict[str, type[RecordIn]] = {"post": PostIn, "participation": ParticipationIn}


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
