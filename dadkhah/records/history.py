"""The history of a record as a viewer with a given clearance may read it.

django-simple-history keeps every version of a record, of its claims and of their
citations. ``history`` turns them into entries (who, when, why, what changed) for the
staff history page and the API alike; each of them only decides how to write values.

What is left out:
- claims the record page does not show (``claims.shown_claims``), with all their versions;
- citations of sources the viewer may not see;
- versions above the viewer's clearance, and versions of a claim whose value named a
  record the viewer may not see. A version that follows such a hidden one lists its
  fields without old values, so a withheld value never shows up as "old";
- links (a post's person, an event's place, a citation's source) to what the viewer may
  not see: the value is ``None``, as if the link were empty.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db import models

from dadkhah.core.confidentiality import Level
from dadkhah.records import claims, values
from dadkhah.records.models import Citation, Claim, Record, Source

__all__ = ["Change", "Entry", "history"]

Kind = Literal["record", "claim", "citation"]

_NOT_HISTORY = {"id", "created_at", "updated_at", "subject_kind", "subject_id", "created_by"}
_ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}
_RANK = {"record": 0, "claim": 1, "citation": 2}


@dataclass(frozen=True)
class Change:
    """One field of a version: the stored value before and after.

    Links are the linked record or source itself (``None`` when hidden or empty); other
    values are as stored (``confidentiality`` as a number, a claim's ``value`` as JSON).
    """

    field: str
    old: Any
    new: Any


@dataclass
class Entry:
    object: Kind
    uid: str  # of the record, or of the claim for claims and citations
    action: Literal["created", "changed", "deleted"]
    who: str | None
    when: datetime.datetime
    why: str
    changes: list[Change]
    claim: claims.ShownClaim | None = None  # claims and citations: the claim as shown now
    source: Source | None = None  # citations: the cited source
    labels: dict[str, str] = field(default_factory=dict)  # uid -> label of named records
    order: tuple[Any, ...] = ()


class _Links:
    """The record or source a stored key points at, or None when the viewer may not see it."""

    def __init__(self, clearance: Level) -> None:
        self.clearance = clearance
        self.cache: dict[tuple[type[models.Model], Any], Any] = {}

    def __call__(self, model: type[models.Model], pk: Any) -> Any:
        key = (model, pk)
        if key not in self.cache:
            target = model._default_manager.filter(pk=pk).first()
            level = getattr(target, "confidentiality", None)
            self.cache[key] = target if level is not None and level <= self.clearance else None
        return self.cache[key]


def _entries(
    rows: Iterable[Any],
    what: Kind,
    model: type[models.Model],
    links: _Links,
    about: Callable[[Any], dict[str, Any]],
    hidden: Callable[[Any], bool],
) -> list[Entry]:
    """The entries of one object's versions (oldest first)."""
    fields = [
        f
        for f in model._meta.concrete_fields
        if f.name not in _NOT_HISTORY and not (what == "citation" and f.name == "claim")
    ]
    out: list[Entry] = []
    previous: dict[str, Any] | None = None
    for row in rows:
        if hidden(row):
            previous = None  # nothing of a hidden version is shown, nor diffed against
            continue
        state = {}
        for f in fields:
            value = getattr(row, f.attname)
            if f.is_relation and value is not None:
                assert isinstance(f.related_model, type)
                value = links(f.related_model, value)
            state[f.name] = value
        if row.history_type == "-":
            changes = []
        elif previous is None:
            changes = [Change(k, None, v) for k, v in state.items() if v not in (None, "")]
        else:
            changes = [Change(k, previous[k], v) for k, v in state.items() if previous[k] != v]
        previous = state
        entry = Entry(
            object=what,
            action=_ACTIONS[row.history_type],  # type: ignore[arg-type]
            who=row.history_user.get_username() if row.history_user else None,
            when=row.history_date,
            why=row.history_change_reason or "",
            changes=changes,
            order=(row.history_date, _RANK[what], row.history_id),
            **about(row),
        )
        out.append(entry)
    return out


def _versions(manager: Any, **lookup: Any) -> dict[int, list[Any]]:
    """Historical rows by object, oldest first."""
    grouped: dict[int, list[Any]] = defaultdict(list)
    rows = manager.filter(**lookup).select_related("history_user")
    for row in rows.order_by("history_date", "history_id"):
        grouped[row.id].append(row)
    return grouped


def history(record: Record, clearance: Level) -> list[Entry]:
    """Every change to ``record``, its claims and their citations the viewer may see, oldest first."""
    links = _Links(clearance)
    level = int(clearance)
    entries: list[Entry] = []
    for rows in _versions(type(record).history, id=record.pk).values():  # type: ignore[attr-defined]
        entries += _entries(
            rows,
            "record",
            type(record),
            links,
            lambda row: {"uid": record.uid},
            lambda row: row.confidentiality > level,
        )
    shown = {s.claim.pk: s for s in claims.shown_claims(record.claims(), clearance)}
    claim_versions = _versions(Claim.history, id__in=list(shown))  # type: ignore[attr-defined]
    specs = values.props_of(record.KIND)
    named = [
        claims.ref_target(specs[row.prop], row.value)
        for rows in claim_versions.values()
        for row in rows
        if row.prop in specs
    ]
    targets = claims.visible_targets(named, clearance)
    labels = {uid: str(target) for (_, uid), target in targets.items()}

    def hidden_claim(row: Any) -> bool:
        spec = specs.get(row.prop)
        named = claims.ref_target(spec, row.value) if spec is not None else None
        return row.confidentiality > level or (named is not None and named not in targets)

    def about(claim_id: int) -> dict[str, Any]:
        item = shown[claim_id]
        return {"uid": item.claim.uid, "claim": item, "labels": labels}

    for rows in claim_versions.values():
        entries += _entries(rows, "claim", Claim, links, lambda row: about(row.id), hidden_claim)
    citation_versions = _versions(
        Citation.history,  # type: ignore[attr-defined]
        claim_id__in=list(shown),
        source__confidentiality__lte=level,
    )
    for rows in citation_versions.values():
        entries += _entries(
            rows,
            "citation",
            Citation,
            links,
            lambda row: about(row.claim_id) | {"source": links(Source, row.source_id)},
            lambda row: False,
        )
    entries.sort(key=lambda e: e.order)
    return entries
