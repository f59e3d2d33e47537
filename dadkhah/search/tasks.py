"""Keeping the index current: a huey task after extraction, signals for the case record.

``enqueue_index_item(item_id)`` is called by ``vault.tasks`` when an item's extraction is
done. Saving or deleting a record, a claim or a citation re-indexes its record (and the
record's claims) once the transaction commits, once per record however many rows the
transaction wrote.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from huey.contrib.djhuey import db_task

__all__ = ["connect_signals", "enqueue_index_item", "index_item_task", "schedule_record"]

log = logging.getLogger(__name__)


@db_task(retries=1)
def index_item_task(item_id: int) -> None:
    from dadkhah.search import indexing, mentioning

    try:  # mentions first: the index takes each page's date range from its date mentions
        mentioning.scan_item_id(item_id)
    except Exception:
        log.exception("search: could not scan item %s for mentions", item_id)
    indexing.index_item_id(item_id)


def enqueue_index_item(item_id: int) -> None:
    """Queue the indexing of an item's pages; a failure to queue never fails extraction."""
    try:
        index_item_task(item_id)
    except Exception:
        log.exception("search: could not index item %s", item_id)


class _Pending:
    """Records waiting for the commit, per connection (see ``schedule_record``)."""

    def __init__(self) -> None:
        self.keys: set[tuple[str, int]] = set()
        self.seen = 0


_PENDING: dict[int, _Pending] = {}


def schedule_record(kind: str, pk: int) -> None:
    """Re-index record ``kind``/``pk`` when the current transaction commits (now without one)."""
    from dadkhah.search import indexing

    conn = transaction.get_connection()
    if not conn.in_atomic_block:
        indexing.index_record(kind, pk)
        return
    state = _PENDING.setdefault(id(conn), _Pending())
    if len(conn.run_on_commit) < state.seen:  # rolled back: the callbacks are gone
        state.keys.clear()
    key = (kind, pk)
    if key in state.keys:
        return
    state.keys.add(key)

    def run() -> None:
        state.keys.discard(key)
        try:
            indexing.index_record(kind, pk)
        except Exception:
            log.exception("search: could not index %s %s", kind, pk)

    transaction.on_commit(run)
    state.seen = len(conn.run_on_commit)


def _record_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    schedule_record(instance.KIND, instance.pk)


def _claim_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    schedule_record(instance.subject_kind, instance.subject_id)


def _citation_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    claim = instance.claim
    schedule_record(claim.subject_kind, claim.subject_id)


def connect_signals() -> None:
    from dadkhah.records.models import Body, Citation, Claim, Event, Person, Place

    for model in (Person, Body, Place, Event):
        post_save.connect(_record_saved, sender=model, dispatch_uid=f"search-{model.KIND}")
        post_delete.connect(_record_saved, sender=model, dispatch_uid=f"search-del-{model.KIND}")
    post_save.connect(_claim_saved, sender=Claim, dispatch_uid="search-claim")
    post_delete.connect(_claim_saved, sender=Claim, dispatch_uid="search-del-claim")
    post_save.connect(_citation_saved, sender=Citation, dispatch_uid="search-citation")
