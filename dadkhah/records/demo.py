"""The demo case: real, public, cited facts about the 1988 prison massacres in Iran, a
handful of clearly synthetic victims and witnesses, and three synthetic staff accounts.

The data is YAML under ``records/demo/`` (one file per kind of thing, each documented in
its header) so that people can correct and extend it without touching code.
:func:`read_case` parses and checks it without touching the database; :func:`load_case`
writes it through ``records.claims`` in one transaction; :func:`load_evidence` preserves
the evidence items of ``evidence.yaml`` in the vault (``vault.services.Preserver``: blob,
preservation record, ledger entry) and links each to its source; :func:`ensure_demo` is
what ``dadkhah demo`` calls: it creates the staff logins once and loads the case and its
evidence once.

Passwords of the demo accounts live in ``DADKHAH_HOME/keys/demo-logins.json`` (mode 0600),
never in the database or the repository.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import re
import secrets
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from dadkhah.core.confidentiality import Level, Role, parse_level
from dadkhah.core.dates import InvalidDate, PartialDate, parse_partial_date
from dadkhah.core.vocab import UnknownTerm
from dadkhah.records import claims, values
from dadkhah.records.claims import CitationInput
from dadkhah.records.models import RECORD_MODELS, Record, Source

__all__ = [
    "DEMO_DIR",
    "DEMO_USERS",
    "REASON",
    "ClaimSpec",
    "DemoCase",
    "DemoDataError",
    "EvidenceSpec",
    "RecordSpec",
    "SourceSpec",
    "ensure_demo",
    "ensure_logins",
    "is_loaded",
    "load_case",
    "load_evidence",
    "logins_path",
    "read_case",
]

DEMO_DIR = Path(__file__).resolve().parent / "demo"
REASON = "demo case"
SOURCES_FILE = "sources.yaml"
EVIDENCE_FILE = "evidence.yaml"
SYNTHETIC_LABEL = "Synthetic — invented for the Dadkhah demo"
SOURCE_RECORD_LABEL = "Source record — written by the Dadkhah demo editors"
EVIDENCE_COLLECTOR_NOTE = {
    True: "Synthetic document invented for the Dadkhah demo; it describes no real person.",
    False: "Source record written by the Dadkhah demo editors (title, publisher, date, URL "
    "and a summary in their own words); not a copy of the source.",
}
RECORD_FILES = ("places.yaml", "bodies.yaml", "people.yaml", "events.yaml", "synthetic.yaml")
DEMO_USERS: dict[Role, str] = {
    Role.ADMINISTRATOR: "demo-admin",
    Role.INVESTIGATOR: "demo-investigator",
    Role.REVIEWER: "demo-reviewer",
}
# Records are created, then given their claims, in this order, so that every reference
# (a hometown, a post's body, an event's place) points at a record that already exists
# and every label is projected from labels that are already there.
KIND_ORDER = ("place", "body", "person", "event", "post", "participation")

_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_ID_MAX = 50  # claim uids are "claim-<record id>-<n>" and must fit in 64 characters
_SOURCE_KEYS = {
    "id", "kind", "title", "citation", "url", "reliability", "published", "language",
    "confidentiality", "synthetic", "notes",
}  # fmt: skip
_RECORD_KEYS = {"id", "kind", "confidentiality", "synthetic", "cite", "claims"}
_NESTED = {
    "person": ("posts", "post", "body"),
    "event": ("participants", "participation", "person"),
}
_CLAIM_KEYS = {"prop", "value", "cite", "status", "confidentiality", "note"}
_CITE_KEYS = {"source", "page", "paragraph", "timestamp", "quote", "confidence"}
_EVIDENCE_KEYS = {"source", "file", "text", "publisher", "summary"}
_FILE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*\.txt$")


class DemoDataError(ValueError):
    """The demo data is wrong; the message names the file, the record and the claim."""


@dataclass(frozen=True)
class SourceSpec:
    uid: str
    kind: str
    title: str
    citation: str
    url: str
    reliability: str
    published: dict[str, Any] | None
    language: str
    level: Level
    synthetic: bool
    notes: str


@dataclass(frozen=True)
class ClaimSpec:
    prop: str
    value: Any
    cites: tuple[CitationInput, ...]
    status: str
    level: Level
    note: str


@dataclass(frozen=True)
class RecordSpec:
    kind: str
    uid: str
    level: Level
    synthetic: bool
    links: dict[str, str]
    claims: tuple[ClaimSpec, ...]
    where: str


@dataclass(frozen=True)
class EvidenceSpec:
    """A document to preserve in the vault as the item that ``source`` stands for."""

    source: str
    file: str
    level: Level
    synthetic: bool
    content: bytes


@dataclass(frozen=True)
class DemoCase:
    sources: tuple[SourceSpec, ...]
    records: tuple[RecordSpec, ...]
    evidence: tuple[EvidenceSpec, ...] = ()

    def source(self, uid: str) -> SourceSpec:
        return next(s for s in self.sources if s.uid == uid)

    def record(self, uid: str) -> RecordSpec:
        return next(r for r in self.records if r.uid == uid)


# ---------------------------------------------------------------------------- reading


def _scalar(value: Any) -> Any:
    """YAML turns 2022-07-14 into a date and 1367 into an int; the record wants text."""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return str(value)
    return value


def _level(raw: Any, default: Level, where: str) -> Level:
    if raw is None:
        return default
    try:
        return parse_level(raw)
    except ValueError as exc:
        raise DemoDataError(f"{where}: {exc}") from None


def _mapping(raw: Any, allowed: set[str], where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise DemoDataError(f"{where}: expected a mapping, got {type(raw).__name__}")
    unknown = set(raw) - allowed
    if unknown:
        raise DemoDataError(
            f"{where}: unknown field {', '.join(sorted(unknown))}; use {', '.join(sorted(allowed))}"
        )
    return raw


def _check_id(raw: Any, where: str) -> str:
    if not isinstance(raw, str) or not _ID.match(raw) or len(raw) > _ID_MAX:
        raise DemoDataError(
            f"{where}: id {raw!r} must be lower-case letters, digits and hyphens, "
            f"at most {_ID_MAX} characters"
        )
    return raw


def _load_yaml(path: Path, key: str) -> tuple[dict[str, Any], list[Any]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DemoDataError(f"{path.name}: not valid YAML: {exc}") from None
    data = _mapping(data, {"defaults", key}, path.name)
    defaults = _mapping(data.get("defaults") or {}, {"confidentiality", "synthetic"}, path.name)
    items = data.get(key) or []
    if not isinstance(items, list):
        raise DemoDataError(f"{path.name}: {key} must be a list")
    return defaults, items


def _read_sources(path: Path) -> list[SourceSpec]:
    defaults, items = _load_yaml(path, "sources")
    vocab = values.vocabularies()
    out = []
    for n, raw in enumerate(items, 1):
        where = f"{path.name}: source {n}"
        raw = _mapping(raw, _SOURCE_KEYS, where)
        uid = _check_id(raw.get("id"), where)
        where = f"{path.name}: {uid}"
        for name in ("title", "citation"):
            if not str(raw.get(name) or "").strip():
                raise DemoDataError(f"{where}: a source needs a {name}")
        try:
            kind = vocab["source_kind"].get(str(raw.get("kind", "publication"))).code
            reliability = vocab["reliability"].get(str(raw.get("reliability", ""))).code
            published = raw.get("published")
            published_json = (
                None if published is None else parse_partial_date(_scalar(published)).to_json()
            )
        except (UnknownTerm, InvalidDate) as exc:
            raise DemoDataError(f"{where}: {exc}") from None
        out.append(
            SourceSpec(
                uid=uid,
                kind=kind,
                title=" ".join(str(raw["title"]).split()),
                citation=" ".join(str(raw["citation"]).split()),
                url=str(raw.get("url") or ""),
                reliability=reliability,
                published=published_json,
                language=str(raw.get("language") or ""),
                level=_level(
                    raw.get("confidentiality"),
                    _level(defaults.get("confidentiality"), Level.INTERNAL, path.name),
                    where,
                ),
                synthetic=bool(raw.get("synthetic", defaults.get("synthetic", False))),
                notes=" ".join(str(raw.get("notes") or "").split()),
            )
        )
    return out


def _cites(raw: Any, fallback: Any, where: str) -> tuple[CitationInput, ...]:
    raw = fallback if raw is None else raw
    items = raw if isinstance(raw, list) else [] if raw is None else [raw]
    out = []
    for item in items:
        if isinstance(item, str):
            item = {"source": item}
        item = _mapping(item, _CITE_KEYS, f"{where}: cite")
        confidence = str(item.get("confidence", "medium"))
        if confidence not in ("low", "medium", "high"):
            raise DemoDataError(f"{where}: confidence {confidence!r}; use low, medium or high")
        out.append(
            CitationInput(
                source=str(item.get("source") or ""),
                page=str(_scalar(item.get("page")) or ""),
                paragraph=str(_scalar(item.get("paragraph")) or ""),
                timestamp=str(item.get("timestamp") or ""),
                quote=" ".join(str(item.get("quote") or "").split()),
                confidence=confidence,
            )
        )
    if not out:
        raise DemoDataError(f"{where}: every claim needs at least one citation (cite:)")
    return tuple(out)


def _read_claims(
    kind: str, raw: Any, record_cite: Any, level: Level, where: str
) -> tuple[ClaimSpec, ...]:
    if not isinstance(raw, list) or not raw:
        raise DemoDataError(f"{where}: claims must be a non-empty list")
    out = []
    for n, item in enumerate(raw, 1):
        item = _mapping(item, _CLAIM_KEYS, f"{where}: claim {n}")
        prop = str(item.get("prop") or "")
        here = f"{where}: claim {n} ({prop or 'no prop'})"
        try:
            spec = values.prop_spec(kind, prop)
            value = values.clean(spec, _scalar(item.get("value")))
        except ValueError as exc:
            raise DemoDataError(f"{here}: {exc}") from None
        status = str(item.get("status", "accepted"))
        if status not in ("accepted", "disputed", "rejected"):
            raise DemoDataError(f"{here}: status {status!r}; use accepted, disputed or rejected")
        claim_level = _level(item.get("confidentiality"), level, here)
        if claim_level < level:
            raise DemoDataError(
                f"{here}: a claim may not be less confidential ({claim_level.label}) "
                f"than its record ({level.label})"
            )
        out.append(
            ClaimSpec(
                prop=prop,
                value=value,
                cites=_cites(item.get("cite"), record_cite, here),
                status=status,
                level=claim_level,
                note=" ".join(str(item.get("note") or "").split()),
            )
        )
    return tuple(out)


def _read_records(path: Path) -> list[tuple[RecordSpec, dict[str, Any]]]:
    """Records of one file, nested posts and participations flattened after their parent.

    Returned with the raw ``confidentiality`` of nested records, whose default (the
    highest level of the two records they link) is only known once every file is read.
    """
    defaults, items = _load_yaml(path, "records")
    default_level = _level(defaults.get("confidentiality"), Level.INTERNAL, path.name)
    synthetic = bool(defaults.get("synthetic", False))
    out: list[tuple[RecordSpec, dict[str, Any]]] = []
    for n, raw in enumerate(items, 1):
        kind = raw.get("kind") if isinstance(raw, dict) else None
        nested = _NESTED.get(str(kind))
        allowed = _RECORD_KEYS | ({nested[0]} if nested else set())
        raw = _mapping(raw, allowed, f"{path.name}: record {n}")
        uid = _check_id(raw.get("id"), f"{path.name}: record {n}")
        where = f"{path.name}: {uid}"
        if kind not in ("person", "body", "place", "event"):
            raise DemoDataError(f"{where}: kind {kind!r}; use person, body, place or event")
        level = _level(raw.get("confidentiality"), default_level, where)
        is_synthetic = bool(raw.get("synthetic", synthetic))
        parent = RecordSpec(
            kind=kind,
            uid=uid,
            level=level,
            synthetic=is_synthetic,
            links={},
            claims=_read_claims(kind, raw.get("claims"), raw.get("cite"), level, where),
            where=path.name,
        )
        out.append((parent, {}))
        if not nested:
            continue
        key, child_kind, other = nested
        for m, child in enumerate(raw.get(key) or [], 1):
            allowed_child = {"id", other, "confidentiality", "cite", "claims"}
            child = _mapping(child, allowed_child, f"{where}: {key} {m}")
            child_uid = _check_id(child.get("id"), f"{where}: {key} {m}")
            child_where = f"{path.name}: {child_uid}"
            target = child.get(other)
            if not isinstance(target, str) or not target:
                raise DemoDataError(f"{child_where}: a {child_kind} needs a {other}")
            links = {kind: uid, other: target}
            # The child's level is settled later; claims are checked against the parent's.
            spec = RecordSpec(
                kind=child_kind,
                uid=child_uid,
                level=level,
                synthetic=is_synthetic,
                links=links,
                claims=_read_claims(
                    child_kind, child.get("claims"), child.get("cite"), Level.PUBLIC, child_where
                ),
                where=path.name,
            )
            out.append((spec, {"confidentiality": child.get("confidentiality")}))
    return out


def _settle_level(spec: RecordSpec, raw_level: Any, by_uid: dict[str, RecordSpec]) -> RecordSpec:
    """A post or participation is at least as confidential as either record it links."""
    floor = max(by_uid[uid].level for uid in spec.links.values())
    level = _level(raw_level, floor, f"{spec.where}: {spec.uid}")
    if level < floor:
        raise DemoDataError(
            f"{spec.where}: {spec.uid}: a {spec.kind} may not be less confidential "
            f"({level.label}) than a record it links ({floor.label})"
        )
    claims_ = tuple(
        c if c.level >= level else ClaimSpec(c.prop, c.value, c.cites, c.status, level, c.note)
        for c in spec.claims
    )
    return RecordSpec(spec.kind, spec.uid, level, spec.synthetic, spec.links, claims_, spec.where)


def _refs(spec: RecordSpec) -> list[tuple[str, str]]:
    """(kind, uid) of every record that ``spec`` points at."""
    out = list(spec.links.items())
    props = values.props_of(spec.kind)
    for claim in spec.claims:
        prop = props[claim.prop]
        if prop.type == "ref":
            out.append((prop.to or "", claim.value))
        elif prop.type == "period_ref":
            out.append((prop.to or "", claim.value["ref"]))
    return out


def _source_record(source: SourceSpec, publisher: str, summary: str) -> str:
    """The text of a source record: what the source is and says, in the editors' words."""
    date = PartialDate.from_json(source.published).both("en") if source.published else "n.d."
    lines = [
        SOURCE_RECORD_LABEL,
        "This file describes a public source cited in the Dadkhah demo case. It is not the",
        "source and does not reproduce its text: the summary is in the demo editors' own",
        "words. Obtain the source itself from its publisher.",
        "",
        f"Title:      {source.title}",
        f"Publisher:  {publisher}",
        f"Date:       {date}",
        f"URL:        {source.url or 'none'}",
        f"Source id:  {source.uid}",
        "",
        "Summary",
        "",
        textwrap.fill(summary, 88),
    ]
    return "\n".join(lines) + "\n"


def _read_evidence(path: Path, by_source: dict[str, SourceSpec]) -> list[EvidenceSpec]:
    """The documents of ``evidence.yaml``: synthetic ones as given, source records built."""
    if not path.exists():
        return []
    _, items = _load_yaml(path, "evidence")
    out: list[EvidenceSpec] = []
    for n, raw in enumerate(items, 1):
        raw = _mapping(raw, _EVIDENCE_KEYS, f"{path.name}: evidence {n}")
        source = by_source.get(str(raw.get("source") or ""))
        if source is None:
            raise DemoDataError(f"{path.name}: evidence {n}: no source {raw.get('source')!r}")
        where = f"{path.name}: {source.uid}"
        name = str(raw.get("file") or "")
        if not _FILE.match(name):
            raise DemoDataError(f"{where}: file {name!r} must be lower-case words and .txt")
        if source.synthetic:
            text = str(raw.get("text") or "")
            if set(raw) & {"publisher", "summary"} or SYNTHETIC_LABEL not in text:
                raise DemoDataError(
                    f"{where}: a synthetic document gives its text, labelled {SYNTHETIC_LABEL!r}"
                )
        else:
            publisher = " ".join(str(raw.get("publisher") or "").split())
            summary = " ".join(str(raw.get("summary") or "").split())
            if "text" in raw or not publisher or not summary:
                raise DemoDataError(
                    f"{where}: a real source gets a source record (publisher and summary), "
                    "never a copy of its text"
                )
            text = _source_record(source, publisher, summary)
        out.append(EvidenceSpec(source.uid, name, source.level, source.synthetic, text.encode()))
    for key in ("source", "file"):
        seen = [getattr(e, key) for e in out]
        twice = sorted({x for x in seen if seen.count(x) > 1})
        if twice:
            raise DemoDataError(f"{path.name}: {key} {', '.join(twice)} is listed twice")
    return out


def read_case(directory: Path = DEMO_DIR) -> DemoCase:
    """Parse and check the demo data; raise :class:`DemoDataError` naming what is wrong."""
    sources = _read_sources(directory / SOURCES_FILE)
    by_source = {s.uid: s for s in sources}
    if len(by_source) != len(sources):
        raise DemoDataError(f"{SOURCES_FILE}: two sources share an id")
    pending: list[tuple[RecordSpec, dict[str, Any]]] = []
    for name in RECORD_FILES:
        pending += _read_records(directory / name)
    by_uid: dict[str, RecordSpec] = {}
    for spec, _ in pending:
        if spec.uid in by_uid or spec.uid in by_source:
            raise DemoDataError(f"{spec.where}: id {spec.uid!r} is used twice")
        by_uid[spec.uid] = spec
    records = []
    for spec, raw in pending:
        if spec.links:
            spec = _settle_level(spec, raw.get("confidentiality"), by_uid)
            by_uid[spec.uid] = spec
        records.append(spec)
    for spec in records:
        for kind, uid in _refs(spec):
            target = by_uid.get(uid)
            if target is None or target.kind != kind:
                raise DemoDataError(f"{spec.where}: {spec.uid}: no {kind} with id {uid!r}")
        for claim in spec.claims:
            for cite in claim.cites:
                source = by_source.get(str(cite.source))
                here = f"{spec.where}: {spec.uid}: {claim.prop}"
                if source is None:
                    raise DemoDataError(f"{here}: no source with id {cite.source!r}")
                if source.synthetic != spec.synthetic:
                    what = "synthetic" if spec.synthetic else "real"
                    raise DemoDataError(
                        f"{here}: a {what} record may only cite {what} sources, not {source.uid!r}"
                    )
    evidence = _read_evidence(directory / EVIDENCE_FILE, by_source)
    return DemoCase(tuple(sources), tuple(records), tuple(evidence))


# ---------------------------------------------------------------------------- loading


def is_loaded(case: DemoCase) -> bool:
    """True once any part of the case is in the database (loading is all or nothing)."""
    if Source.objects.filter(uid__in=[s.uid for s in case.sources]).exists():
        return True
    by_kind: dict[str, list[str]] = {}
    for spec in case.records:
        by_kind.setdefault(spec.kind, []).append(spec.uid)
    return any(
        RECORD_MODELS[k].objects.filter(uid__in=uids).exists() for k, uids in by_kind.items()
    )


def _history(obj: Any, user: Any) -> None:
    obj._history_user = user
    obj._change_reason = REASON


def load_case(case: DemoCase, user: Any) -> dict[str, int]:
    """Write the case through ``records.claims`` in one transaction; return counts by kind."""
    counts = {"source": 0, **{k: 0 for k in KIND_ORDER}, "claim": 0, "citation": 0}
    with transaction.atomic():
        sources: dict[str, Source] = {}
        for s in case.sources:
            source = Source(
                uid=s.uid,
                confidentiality=int(s.level),
                is_synthetic=s.synthetic,
                kind=s.kind,
                title=s.title,
                citation=s.citation,
                url=s.url,
                reliability=s.reliability,
                published=s.published,
                language=s.language,
                notes=s.notes,
            )
            _history(source, user)
            source.save()
            sources[s.uid] = source
            counts["source"] += 1
        ordered = sorted(case.records, key=lambda r: KIND_ORDER.index(r.kind))
        made: dict[str, Record] = {}
        for spec in ordered:
            links = {name: made[uid] for name, uid in spec.links.items()}
            made[spec.uid] = claims.create_record(
                spec.kind,
                uid=spec.uid,
                confidentiality=spec.level,
                is_synthetic=spec.synthetic,
                user=user,
                reason=REASON,
                **links,
            )
            counts[spec.kind] += 1
        for spec in ordered:
            record = made[spec.uid]
            for n, c in enumerate(spec.claims, 1):
                cites = [
                    CitationInput(
                        source=sources[str(x.source)],
                        page=x.page,
                        paragraph=x.paragraph,
                        timestamp=x.timestamp,
                        quote=x.quote,
                        confidence=x.confidence,
                    )
                    for x in c.cites
                ]
                try:
                    claims.add_claim(
                        record,
                        c.prop,
                        c.value,
                        citations=cites,
                        status=c.status,
                        confidentiality=c.level,
                        note=c.note,
                        user=user,
                        reason=REASON,
                        uid=f"claim-{spec.uid}-{n}",
                    )
                except claims.RecordError as exc:
                    raise DemoDataError(
                        f"{spec.where}: {spec.uid}: claim {n} ({c.prop}): {exc}"
                    ) from exc
                counts["claim"] += 1
                counts["citation"] += len(cites)
    return counts


def load_evidence(case: DemoCase, user: Any) -> int:
    """Preserve each evidence document whose source has no item yet and link it; return how
    many were preserved (0 when everything is there already).

    Each goes through ``vault.services.Preserver`` as any ingest does: the blob in the
    store (encrypted at rest from restricted up), a preservation record and an ``ingest``
    ledger entry by ``user``, at its source's level. A checkpoint is signed over them.
    """
    from dadkhah.vault import ledger, services

    uids = [spec.source for spec in case.evidence]
    sources = {s.uid: s for s in Source.objects.filter(uid__in=uids)}
    missing = sorted(set(uids) - set(sources))
    if missing:
        raise DemoDataError(f"{EVIDENCE_FILE}: the sources {', '.join(missing)} are not loaded")
    todo = [spec for spec in case.evidence if sources[spec.source].item_id is None]
    if not todo:
        return 0
    collector = user.get_username()
    with transaction.atomic():
        for spec in todo:
            preserver = services.Preserver(
                collector,
                note=EVIDENCE_COLLECTOR_NOTE[spec.synthetic],
                source="Dadkhah demo editors",
                consent="synthetic: no real person" if spec.synthetic else "",
                restricted=spec.level >= Level.RESTRICTED,
                purpose=f"{REASON}: preserve the document of {spec.source}",
            )
            staged = preserver.stage(io.BytesIO(spec.content))
            origin = services.Origin(name=services.plain_name(spec.file), path=f"demo/{spec.file}")
            item = preserver.commit(
                staged, origin, services.detect_mime(staged.head), "ingest", spec.level
            )
            if item.confidentiality < spec.level:
                raise DemoDataError(
                    f"{EVIDENCE_FILE}: {spec.source}: its document is in the vault already as "
                    f"item {item.uid}, at a lower level ({Level(item.confidentiality).label})"
                )
            source = sources[spec.source]
            source.item = item
            _history(source, user)
            source.save(update_fields=["item", "updated_at"])
        ledger.checkpoint()
    return len(todo)


# ---------------------------------------------------------------------------- logins


def logins_path(home: Path) -> Path:
    return home / "keys" / "demo-logins.json"


def _read_logins(path: Path) -> dict[str, dict[str, str]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` so that only the owner can read it, replacing the file atomically."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def ensure_logins(home: Path) -> dict[Role, tuple[Any, str]]:
    """The three demo staff users and their passwords, creating what is missing.

    A password is generated once and kept in ``keys/demo-logins.json``; the database holds
    only its hash. Calling this again changes nothing.
    """
    from django.contrib.auth import get_user_model

    from dadkhah.accounts.roles import role_of, set_role

    path = logins_path(home)
    stored = _read_logins(path)
    user_model = get_user_model()
    out: dict[Role, tuple[Any, str]] = {}
    changed = False
    for role, username in DEMO_USERS.items():
        entry = stored.get(role.value) or {}
        password = entry.get("password") if entry.get("username") == username else None
        if not password:
            password = secrets.token_urlsafe(15)
            stored[role.value] = {"username": username, "password": password}
            changed = True
        user = user_model.objects.filter(username=username).first()
        if user is None:
            user = user_model.objects.create_user(username=username, password=password)
            user.first_name, user.last_name = "Demo", role.value.capitalize()
            user.save(update_fields=["first_name", "last_name"])
        elif not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
        if role is Role.ADMINISTRATOR and not user.is_superuser:
            user.is_superuser = True
            user.save(update_fields=["is_superuser"])
        if role_of(user) is not role or not user.groups.filter(name=role.value).exists():
            set_role(user, role)
        out[role] = (user, password)
    if changed or not path.exists():
        _write_private(path, json.dumps(stored, indent=2, ensure_ascii=False) + "\n")
    elif path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)
    return out


def ensure_demo(home: Path | None = None) -> dict[str, tuple[str, str]]:
    """Create the demo logins, load the demo case and preserve its evidence, each only once.

    Returns ``{role: (username, password)}`` for administrator, investigator and reviewer.
    ``home`` defaults to ``DADKHAH_HOME``.
    """
    if home is None:
        from django.conf import settings

        home = Path(settings.CONFIG.home)
    case = read_case()
    with transaction.atomic():
        users = ensure_logins(Path(home))
        if not is_loaded(case):
            load_case(case, users[Role.ADMINISTRATOR][0])
        load_evidence(case, users[Role.ADMINISTRATOR][0])
        # The public memorial shows the synthetic victims (published once, by the reviewer).
        from dadkhah.memorial.demo import publish_demo

        publish_demo(users[Role.REVIEWER][0])
    return {role.value: (user.username, password) for role, (user, password) in users.items()}
