"""Delivery packages asked for on the organizers' page, made by the task queue.

A package of 100,000 signatures takes about a minute to make, too long for a web request:

1. :func:`request_package` records a :class:`PackageRequest` (*queued*) and, once the
   transaction commits, queues :func:`make_requested_package`. Asking again for the same
   campaign and requester while one is queued or being made returns that one.
2. :func:`run_request` claims the request (*queued* → *making*, one conditional update, so a
   task that runs twice makes the package once), builds the files
   (:func:`dadkhah.campaign.delivery.build_files`), writes the zip to
   ``DADKHAH_HOME/campaign-packages/<campaign>/<manifest-sha256>.zip`` (through a partial
   file and a rename), then appends the ``campaign-delivery`` ledger entry and marks the
   request *ready* in one transaction: the ledger entry is written once, when the package
   is made. Any error marks it *failed* with the reason, and leaves no zip behind.
3. :func:`expire_packages` (daily, :func:`expire_packages_daily`) deletes the zips older than
   ``DADKHAH_CAMPAIGN_PACKAGE_DAYS`` (the request becomes *expired*; its ledger entry stays)
   and fails requests left *making* by a consumer that died.

The same data gives the same zip bytes, so two requests may share one file; a file is
deleted only when no ready request still points at it.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from dadkhah.campaign.delivery import (
    DeliveryError,
    build_files,
    check_request,
    log_delivery,
    zip_files,
)
from dadkhah.campaign.models import Campaign, PackageRequest

__all__ = [
    "PACKAGES_DIR",
    "STUCK_AFTER",
    "expire_packages",
    "expire_packages_daily",
    "make_requested_package",
    "package_path",
    "request_package",
    "run_request",
]

log = logging.getLogger(__name__)

PACKAGES_DIR = "campaign-packages"
STUCK_AFTER = timedelta(hours=6)  # a package takes minutes; after this its maker is gone
State = PackageRequest.State


def package_path(slug: str, manifest_sha256: str) -> Path:
    """Where the zip of a made package lives."""
    digest = manifest_sha256.removeprefix("sha256:")
    if len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
        raise DeliveryError(f"not a manifest hash: {manifest_sha256!r}")
    return Path(settings.CONFIG.home) / PACKAGES_DIR / slug / f"{digest}.zip"


def request_package(campaign: Campaign, user: Any, requester: str) -> PackageRequest:
    """Queue the making of ``campaign``'s package for ``requester``, asked by ``user``;
    raises DeliveryError when it cannot be made (nothing is queued then)."""
    _, requester = check_request(campaign, user.get_username(), requester)
    with transaction.atomic():
        pending = (
            PackageRequest.objects.select_for_update()
            .filter(campaign=campaign, requester=requester, state__in=[State.QUEUED, State.MAKING])
            .order_by("-requested_at", "-id")
            .first()
        )
        if pending is not None:
            return pending
        made = PackageRequest.objects.create(
            campaign=campaign, requested_by=user, requester=requester, requested_at=timezone.now()
        )
        request_id = made.pk
        transaction.on_commit(lambda: make_requested_package(request_id))
    return made


@db_task(retries=0)
def make_requested_package(request_id: int) -> None:
    run_request(request_id)


def run_request(
    request_id: int, *, chunk: int | None = None, workers: int | None = None
) -> PackageRequest:
    """Make the package of a queued request (see the module's docstring); a request that is
    not queued any more is left as it is."""
    claimed = PackageRequest.objects.filter(pk=request_id, state=State.QUEUED).update(
        state=State.MAKING, started_at=timezone.now()
    )
    found = PackageRequest.objects.select_related("campaign", "requested_by").get(pk=request_id)
    if not claimed:
        return found
    campaign = found.campaign
    target: Path | None = None
    written = False
    try:
        actor, requester = check_request(
            campaign, found.requested_by.get_username(), found.requester
        )
        built = build_files(campaign, chunk=chunk, workers=workers)
        data = zip_files(campaign.slug, built.files)
        target = package_path(campaign.slug, built.manifest_sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{request_id}.partial")
        partial.write_bytes(data)
        os.replace(partial, target)
        written = True

        def ready(seq: int) -> None:
            PackageRequest.objects.filter(pk=request_id).update(
                state=State.READY,
                finished_at=timezone.now(),
                ledger_seq=seq,
                manifest_sha256=built.manifest_sha256,
                content_hash=built.content_hash,
                signatures=built.counts["signatures"],
                size=len(data),
            )

        log_delivery(
            campaign,
            actor=actor,
            requester=requester,
            counts=built.counts,
            content_hash=built.content_hash,
            manifest_sha256=built.manifest_sha256,
            on_entry=ready,
        )
    except Exception as exc:  # the request records the failure; the page shows it
        log.exception("delivery package %s of %s failed", request_id, campaign.slug)
        if target is not None:
            target.with_name(f".{target.name}.{request_id}.partial").unlink(missing_ok=True)
            if written and not _shared(target, campaign.pk, request_id):
                target.unlink(missing_ok=True)
        reason = str(exc) if isinstance(exc, DeliveryError) else f"{type(exc).__name__}: {exc}"
        PackageRequest.objects.filter(pk=request_id).update(
            state=State.FAILED, finished_at=timezone.now(), error=reason[:2000]
        )
    found.refresh_from_db()
    return found


def _shared(path: Path, campaign_id: int, but: int) -> bool:
    """Whether another ready request of the campaign points at the zip ``path``."""
    return (
        PackageRequest.objects.filter(
            campaign_id=campaign_id,
            state=State.READY,
            manifest_sha256="sha256:" + path.stem,
        )
        .exclude(pk=but)
        .exists()
    )


def expire_packages(now: datetime) -> int:
    """Delete the zips made more than ``DADKHAH_CAMPAIGN_PACKAGE_DAYS`` before ``now`` and
    fail the requests stuck *making*; returns the number of requests expired."""
    days = int(getattr(settings.CONFIG, "campaign_package_days", 7))
    PackageRequest.objects.filter(state=State.MAKING, started_at__lt=now - STUCK_AFTER).update(
        state=State.FAILED, finished_at=now, error="interrupted: the task stopped; ask again"
    )
    old = list(
        PackageRequest.objects.select_related("campaign")
        .filter(state=State.READY, finished_at__lt=now - timedelta(days=days))
        .order_by("pk")
    )
    for found in old:
        PackageRequest.objects.filter(pk=found.pk).update(state=State.EXPIRED)
        path = package_path(found.campaign.slug, found.manifest_sha256)
        if not _shared(path, found.campaign_id, found.pk):
            path.unlink(missing_ok=True)
    return len(old)


@db_periodic_task(crontab(minute="37", hour="3"))
def expire_packages_daily() -> int:
    """:func:`expire_packages` once a day (03:37 UTC) in the task consumer."""
    return expire_packages(timezone.now())
