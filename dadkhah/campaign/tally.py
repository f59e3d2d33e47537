"""Counting signatures in batches, so that no request ever updates a shared counter row.

A confirmation only flips its own signature to ``validated`` and calls :func:`request`,
which schedules a batch a couple of seconds later (at most one per second across the
site). :func:`run` is the batch, and the only writer of :class:`Tally` and
:class:`Milestone`:

- it takes up to ``limit`` validated signatures not yet counted (``counted_at`` empty),
  sets their ``counted_at`` and adds their per-(campaign, country) sums to ``Tally.signed``,
  in one transaction; on PostgreSQL the rows are locked with ``FOR UPDATE SKIP LOCKED`` so
  concurrent batches take disjoint sets, on SQLite writers are serialized (``IMMEDIATE``
  transactions). A signature is counted only by the transaction that set its
  ``counted_at``: exactly once.
- likewise signatures removed after they were counted (``fraudulent`` or ``invalidated``
  with ``counted_at`` set and ``removal_counted_at`` empty) go to ``Tally.removed``;
- then it records the milestones crossed (one :class:`Milestone` row each, unique) and
  has the organizer told (:func:`dadkhah.campaign.emails.milestone`).

``signed`` never goes down: a removal is shown beside it, as ``removed``.

:func:`public_count` reads the tally rows only (never counts signatures), and first runs a
short batch itself when the last one is older than :data:`STALE_AFTER` seconds, in one
process at a time: the public count lags by at most about 15 seconds even when the task
queue is stopped.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.core.cache import caches
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max, QuerySet, Sum
from django.utils import timezone

from dadkhah.campaign.models import Campaign, Milestone, Signature, Tally

__all__ = [
    "CACHE",
    "PublicCount",
    "STALE_AFTER",
    "public_count",
    "request",
    "run",
    "run_if_stale",
]

log = logging.getLogger(__name__)

#: The cache (settings.CACHES) shared by the processes of the site.
CACHE = "campaign"
#: Seconds between a request for a batch and the batch (confirmations meanwhile join it).
DELAY = 2
#: Seconds after a run when the count read path runs a batch itself (with the 5 s of a
#: cached copy, the public count lags by at most about 15 s).
STALE_AFTER = 8
#: How long one call of :func:`run` keeps taking batches (seconds).
BUDGET = 5.0
#: A batch the read path runs is shorter: a visitor waits for it.
READ_PATH_LIMIT = 5000
READ_PATH_BUDGET = 1.0

_SCHEDULED = "campaign:tally-scheduled"
_LAST_RUN = "campaign:tally-last-run"
_RUNNING = "campaign:tally-running"
_CHUNK = 500  # ids per UPDATE … WHERE id IN (…)

_REMOVED_STATES = (Signature.State.FRAUDULENT, Signature.State.INVALIDATED)


@dataclass(frozen=True)
class PublicCount:
    """What the public sees of a campaign's count."""

    signed: int
    removed: int
    by_country: dict[str, int] = field(default_factory=dict)
    goal: int | None = None
    milestones_reached: list[int] = field(default_factory=list)
    as_of: datetime = field(default_factory=timezone.now)


# --- asking for a batch -------------------------------------------------------------------


def request(campaign_id: int) -> None:
    """Ask for a batch soon. Cheap, and safe to call on every confirmation and removal.

    The task is queued when the caller's transaction commits (so the batch sees the new
    state), with a delay of :data:`DELAY` seconds, and only when no other request did so
    in the last second (a short-lived cache key): a burst of confirmations queues a
    handful of tasks, not one each. ``campaign_id`` is accepted for the callers' sake; a
    batch counts every campaign.
    """
    transaction.on_commit(_schedule)


def _schedule() -> None:
    # After the commit nothing may fail the confirmation: a lost task only delays the
    # count until the next reader, the next minute or the next confirmation.
    try:
        if not caches[CACHE].add(_SCHEDULED, 1, timeout=1):
            return
        from dadkhah.campaign.tasks import count_signatures

        count_signatures.schedule(delay=DELAY)
    except Exception:
        log.warning("could not queue a count of signatures", exc_info=True)


# --- the batch ----------------------------------------------------------------------------


def run(limit: int = 10000, budget: float = BUDGET) -> int:
    """Count what is waiting, ``limit`` signatures per transaction, until nothing is left
    or ``budget`` seconds have passed. Return the number of signatures counted."""
    if limit < 1:
        raise ValueError(f"limit={limit}: expected at least 1")
    deadline = time.monotonic() + budget
    counted = 0
    while True:
        started = timezone.now()
        added, removed = _batch(limit)
        counted += added
        _mark_run(started)
        if (added < limit and removed < limit) or time.monotonic() >= deadline:
            return counted


def _mark_run(started: datetime) -> None:
    try:
        caches[CACHE].set(_LAST_RUN, started.timestamp(), timeout=None)
    except OSError:  # the cache directory is unwritable: the next read runs a batch again
        log.warning("could not record the time of the last count", exc_info=True)


def last_run() -> datetime | None:
    """When the last batch started (every signature confirmed before it is counted)."""
    stamp = caches[CACHE].get(_LAST_RUN)
    return None if stamp is None else datetime.fromtimestamp(float(stamp), tz=UTC)


def _take(queryset: QuerySet[Signature], limit: int) -> list[tuple[int, int, str]]:
    if connection.features.has_select_for_update_skip_locked:
        queryset = queryset.select_for_update(skip_locked=True)
    return list(queryset.order_by("id").values_list("id", "campaign_id", "country")[:limit])


def _batch(limit: int) -> tuple[int, int]:
    """One transaction: count up to ``limit`` confirmations and ``limit`` removals."""
    now = timezone.now()
    with transaction.atomic():
        signed_rows = _take(
            Signature.objects.filter(state=Signature.State.VALIDATED, counted_at__isnull=True),
            limit,
        )
        removed_rows = _take(
            Signature.objects.filter(
                state__in=_REMOVED_STATES,
                counted_at__isnull=False,
                removal_counted_at__isnull=True,
            ),
            limit,
        )
        if not signed_rows and not removed_rows:
            return 0, 0
        signed_ids = [r[0] for r in signed_rows]
        removed_ids = [r[0] for r in removed_rows]
        # The rows are ours (locked, or the only writer): each UPDATE must hit all of them.
        # Its condition repeats the selection, so a miss means a lost race: undo it all.
        for start in range(0, len(signed_ids), _CHUNK):
            chunk = signed_ids[start : start + _CHUNK]
            hit = Signature.objects.filter(
                id__in=chunk, state=Signature.State.VALIDATED, counted_at__isnull=True
            ).update(counted_at=now)
            if hit != len(chunk):
                raise RuntimeError(f"tally: {len(chunk) - hit} signatures changed under the batch")
        for start in range(0, len(removed_ids), _CHUNK):
            chunk = removed_ids[start : start + _CHUNK]
            hit = Signature.objects.filter(
                id__in=chunk, counted_at__isnull=False, removal_counted_at__isnull=True
            ).update(removal_counted_at=now)
            if hit != len(chunk):
                raise RuntimeError(f"tally: {len(chunk) - hit} removals changed under the batch")
        signed = Counter((r[1], r[2]) for r in signed_rows)
        removed = Counter((r[1], r[2]) for r in removed_rows)
        _add(signed, removed, now)
    return len(signed_rows), len(removed_rows)


def _add(
    signed: Counter[tuple[int, str]], removed: Counter[tuple[int, str]], now: datetime
) -> None:
    keys = sorted(set(signed) | set(removed))
    campaign_ids = sorted({k[0] for k in keys})
    # One batch per campaign at a time from here on (locks taken in id order: no deadlock),
    # so the milestone check below sees every earlier batch's sums. NO KEY: signatures
    # being inserted meanwhile (a key-share lock on their campaign) do not wait for it.
    locked = Campaign.objects.filter(id__in=campaign_ids).order_by("id")
    if connection.features.has_select_for_update:
        locked = locked.select_for_update(no_key=connection.features.has_select_for_no_key_update)
    campaigns = list(locked)
    Tally.objects.bulk_create(
        [Tally(campaign_id=c, country=country, updated_at=now) for c, country in keys],
        ignore_conflicts=True,
    )
    for key in keys:
        campaign_id, country = key
        Tally.objects.filter(campaign_id=campaign_id, country=country).update(
            signed=F("signed") + signed.get(key, 0),
            removed=F("removed") + removed.get(key, 0),
            updated_at=now,
        )
    for campaign in campaigns:
        if any(k[0] == campaign.pk for k in signed):
            _milestones(campaign, now)


def _thresholds(campaign: Campaign) -> list[int]:
    marks = {int(m) for m in (campaign.milestones or []) if str(m).isdigit() and int(m) > 0}
    if campaign.goal:
        marks.add(int(campaign.goal))
    return sorted(marks)


def _milestones(campaign: Campaign, now: datetime) -> None:
    """Record each threshold the campaign's ``signed`` total has reached, once."""
    total = Tally.objects.filter(campaign=campaign).aggregate(n=Sum("signed"))["n"] or 0
    reached = [t for t in _thresholds(campaign) if t <= total]
    if not reached:
        return
    known = set(
        Milestone.objects.filter(campaign=campaign, threshold__in=reached).values_list(
            "threshold", flat=True
        )
    )
    from dadkhah.campaign import emails

    for threshold in reached:
        if threshold in known:
            continue
        try:
            with transaction.atomic():
                Milestone.objects.create(campaign=campaign, threshold=threshold, reached_at=now)
        except IntegrityError:  # another batch recorded it first: it sends the email
            continue
        emails.milestone(campaign, threshold)


# --- reading ------------------------------------------------------------------------------


def run_if_stale() -> bool:
    """Run a short batch when the last one is older than :data:`STALE_AFTER` seconds, in
    one process at a time (the others read the tally as it is). Return whether it ran."""
    store = caches[CACHE]
    stamp = store.get(_LAST_RUN)
    if stamp is not None and time.time() - float(stamp) < STALE_AFTER:
        return False
    if not store.add(_RUNNING, 1, timeout=30):
        return False
    try:
        run(READ_PATH_LIMIT, READ_PATH_BUDGET)
    finally:
        store.delete(_RUNNING)
    return True


def public_count(campaign: Campaign) -> PublicCount:
    """The campaign's public count, from its tally rows (after a batch, when due)."""
    run_if_stale()
    rows = list(
        Tally.objects.filter(campaign=campaign)
        .order_by("country")
        .values_list("country", "signed", "removed")
    )
    reached = list(
        Milestone.objects.filter(campaign=campaign)
        .order_by("threshold")
        .values_list("threshold", flat=True)
    )
    as_of = last_run()
    if as_of is None:
        as_of = Tally.objects.filter(campaign=campaign).aggregate(t=Max("updated_at"))["t"]
    return PublicCount(
        signed=sum(r[1] for r in rows),
        removed=sum(r[2] for r in rows),
        by_country={country: n for country, n, _ in rows if n > 0},
        goal=campaign.goal,
        milestones_reached=reached,
        as_of=as_of or timezone.now(),
    )
