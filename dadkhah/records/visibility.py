"""What a viewer with a given clearance may see beyond ``claims.claim_groups``.

- References to records: a claim (``place``, ``hometown``, a parent body) may point at a
  record the viewer may not see. Its uid would reveal that the record exists, so the
  value is blanked and shown as "(withheld)".
- History: the versions that django-simple-history keeps of a record, of its claims and
  of their citations, as who / when / why / what changed. Versions above the viewer's
  clearance, claims the viewer cannot see and citations of hidden sources are left out;
  a version that follows a hidden one lists its fields without their old values, so a
  withheld value never shows up as "old".
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any, Literal

from django.db import models

from dadkhah.core.confidentiality import Level
from dadkhah.records import values
from dadkhah.records.models import RECORD_MODELS, Citation, Claim, Record

__all__ = ["WITHHELD", "history", "ref_target", "shown_value", "visible_refs"]

WITHHELD = "(withheld)"


def ref_target(spec: values.PropSpec, value: Any) -> tuple[str, str] | None:
    if spec.type == "ref" and isinstance(value, str):
        return spec.to or "", value
    if spec.type == "period_ref" and isinstance(value, dict) and value.get("ref"):
        return spec.to or "", str(value["ref"])
    return None


def visible_refs(
    items: Iterable[tuple[values.PropSpec, Any]], clearance: Level
) -> set[tuple[str, str]]:
    wanted: dict[str, set[str]] = defaultdict(set)
    for spec, value in items:
        target = ref_target(spec, value)
        if target is not None:
            wanted[target[0]].add(target[1])
    seen: set[tuple[str, str]] = set()
    for kind, uids in wanted.items():
        found = RECORD_MODELS[kind].objects.visible_to(clearance).filter(uid__in=uids)
        seen.update((kind, uid) for uid in found.values_list("uid", flat=True))
    return seen


def shown_value(
    spec: values.PropSpec, value: Any, text: str, visible: set[tuple[str, str]]
) -> tuple[Any, str]:
    """The value and its display, with any reference to a withheld record blanked."""
    target = ref_target(spec, value)
    if target is None or target in visible:
        return value, text
    if spec.type == "ref":
        return None, WITHHELD
    return {**value, "ref": None}, WITHHELD


_NOT_HISTORY = {"id", "created_at", "updated_at", "subject_kind", "subject_id", "created_by"}
_ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}
_RANK = {"record": 0, "claim": 1, "citation": 2}


class _Renderer:
    """Turns stored field values into JSON, hiding references the viewer may not see."""

    def __init__(self, clearance: Level) -> None:
        self.clearance = clearance
        self.cache: dict[tuple[type[models.Model], Any], str | None] = {}

    def __call__(self, field: models.Field[Any, Any], value: Any) -> Any:
        if value is None:
            return None
        if field.is_relation:
            model = field.related_model
            assert isinstance(model, type)
            key = (model, value)
            if key not in self.cache:
                target = model._default_manager.filter(pk=value).first()
                level = getattr(target, "confidentiality", None)
                shown = level is not None and level <= self.clearance
                self.cache[key] = getattr(target, "uid", None) if shown else None
            return self.cache[key]
        if field.name == "confidentiality":
            return Level(value).label
        if isinstance(value, datetime.date | datetime.datetime):
            return value.isoformat()
        return value


def _entries(
    rows: Iterable[Any],
    what: Literal["record", "claim", "citation"],
    model: type[models.Model],
    render: _Renderer,
    identify: Callable[[Any], tuple[str, str | None]],
    fix: Callable[[Any, dict[str, Any]], None] | None = None,
) -> list[tuple[Any, ...]]:
    """History entries of one object's rows (oldest first), as sortable tuples."""
    fields = [
        f
        for f in model._meta.concrete_fields
        if f.name not in _NOT_HISTORY and not (what == "citation" and f.name == "claim")
    ]
    out: list[tuple[Any, ...]] = []
    previous: dict[str, Any] | None = None
    for row in rows:
        level = getattr(row, "confidentiality", None)
        if level is not None and level > render.clearance:
            previous = None  # a hidden state: nothing of it is shown, nor diffed against
            continue
        state = {f.name: render(f, getattr(row, f.attname)) for f in fields}
        if fix is not None:
            fix(row, state)
        if row.history_type == "-":
            changes = []
        elif previous is None:
            changes = [
                {"field": k, "old": None, "new": v} for k, v in state.items() if v not in (None, "")
            ]
        else:
            changes = [
                {"field": k, "old": previous.get(k), "new": v}
                for k, v in state.items()
                if previous.get(k) != v
            ]
        previous = state
        uid, source = identify(row)
        entry = {
            "object": what,
            "uid": uid,
            "source": source,
            "action": _ACTIONS[row.history_type],
            "who": row.history_user.username if row.history_user else None,
            "when": row.history_date,
            "why": row.history_change_reason or "",
            "changes": changes,
        }
        out.append((row.history_date, _RANK[what], row.history_id, entry))
    return out


def _by_object(rows: Iterable[Any]) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[row.id].append(row)
    return grouped


def history(record: Record, clearance: Level) -> list[dict[str, Any]]:
    """Every visible change to ``record``, its claims and their citations, oldest first.

    Each entry: ``object`` (record, claim or citation), ``uid`` (of the record, or of the
    claim for claims and citations), ``source`` (citations), ``action``, ``who``, ``when``,
    ``why`` and ``changes`` (``field``, ``old``, ``new``).
    """
    render = _Renderer(clearance)
    entries = _entries(
        record.history.select_related("history_user").order_by("history_date", "history_id"),  # type: ignore[attr-defined]
        "record",
        type(record),
        render,
        lambda row: (record.uid, None),
    )
    visible_claims = {
        c.pk: c
        for c in record.claims()
        .visible_to(clearance)
        .filter(citations__source__confidentiality__lte=int(clearance))
        .distinct()
    }
    specs = values.props_of(record.KIND)
    claim_rows = (
        Claim.history.filter(id__in=list(visible_claims))  # type: ignore[attr-defined]
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    grouped = _by_object(claim_rows)
    refs = visible_refs(
        ((specs[r.prop], r.value) for rows in grouped.values() for r in rows if r.prop in specs),
        clearance,
    )

    def fix_claim(row: Any, state: dict[str, Any]) -> None:
        spec = specs.get(row.prop)
        if spec is not None:
            state["value"] = shown_value(spec, row.value, "", refs)[0]

    for claim_id, rows in grouped.items():
        uid = visible_claims[claim_id].uid
        entries += _entries(
            rows, "claim", Claim, render, lambda row, uid=uid: (uid, None), fix_claim
        )
    citation_rows = (
        Citation.history.filter(  # type: ignore[attr-defined]
            claim_id__in=list(visible_claims), source__confidentiality__lte=int(clearance)
        )
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    for rows in _by_object(citation_rows).values():
        entries += _entries(
            rows,
            "citation",
            Citation,
            render,
            lambda row: (
                visible_claims[row.claim_id].uid,
                render(Citation._meta.get_field("source"), row.source_id),
            ),
        )
    entries.sort(key=lambda e: e[:3])
    return [e[3] for e in entries]
