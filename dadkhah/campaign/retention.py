"""Forgetting what the campaign keeps only for a while.

- :func:`purge_addresses`: the keyed hashes of a signer's network address (``ip_hash``,
  ``net_hashes``) serve the rate limits and bulk removals of the first days; 30 days after
  signing they are emptied.
- :func:`anonymize_expired`: after a campaign's ``retention_until`` date, its signers'
  names, emails (as given, normalized, and the domain), cities and confirmation tokens are
  erased, and ``anonymized_at`` is set. The country, the dates and the state stay, so no
  count changes. Organisation signatures lose their contact person, contact email and
  token, in their history rows too; the organisation's own name stays (it signed publicly).
- :func:`purge` runs both (``dadkhah campaign purge``); :func:`upkeep` runs both and closes
  the campaigns whose closing date has passed (``dadkhah work`` and the daily task).

Every function takes ``now`` so that tests fix the clock.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from dadkhah.campaign.models import Campaign, OrgSignature, Signature

__all__ = [
    "ADDRESS_DAYS",
    "Purged",
    "anonymize_expired",
    "daily_upkeep",
    "purge",
    "purge_addresses",
    "upkeep",
]

ADDRESS_DAYS = 30


@dataclass(frozen=True)
class Purged:
    """How many rows each step changed."""

    addresses: int = 0
    signatures_anonymized: int = 0
    organisations_anonymized: int = 0
    organisation_history_rows: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def purge_addresses(now: datetime) -> int:
    """Empty the address hashes of signatures made more than 30 days before ``now``."""
    cutoff = now - timedelta(days=ADDRESS_DAYS)
    kept = Q(ip_hash__gt="") | ~Q(net_hashes=[])
    return Signature.objects.filter(kept, created_at__lt=cutoff).update(ip_hash="", net_hashes=[])


def _expired(now: datetime) -> list[int]:
    today = now.date()
    return list(
        Campaign.objects.filter(retention_until__lt=today)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def anonymize_expired(now: datetime) -> tuple[int, int, int]:
    """Erase signer data of campaigns whose retention date has passed (``retention_until``
    earlier than ``now``'s date). Returns (signatures, organisations, organisation history
    rows) changed."""
    expired = _expired(now)
    if not expired:
        return 0, 0, 0
    with transaction.atomic():
        signatures = Signature.objects.filter(
            campaign_id__in=expired, anonymized_at__isnull=True
        ).update(
            name="",
            email=None,
            email_normalized=None,
            email_domain="",
            city="",
            token_sha256=None,
            token_expires_at=None,
            ip_hash="",
            net_hashes=[],
            anonymized_at=now,
        )
        contact = (
            ~Q(contact_name="") | Q(contact_email__isnull=False) | Q(token_sha256__isnull=False)
        )
        organisations = OrgSignature.objects.filter(contact, campaign_id__in=expired).update(
            contact_name="", contact_email=None, token_sha256=None, token_expires_at=None
        )
        history = OrgSignature.history.filter(contact, campaign_id__in=expired).update(
            contact_name="", contact_email=None, token_sha256=None, token_expires_at=None
        )
    return signatures, organisations, history


def purge(now: datetime) -> Purged:
    """Purge old addresses and anonymize expired campaigns."""
    addresses = purge_addresses(now)
    signatures, organisations, history = anonymize_expired(now)
    return Purged(addresses, signatures, organisations, history)


def upkeep(now: datetime) -> tuple[Purged, list[str]]:
    """:func:`purge`, then close the published campaigns past their closing date (slugs)."""
    from dadkhah.campaign.manage import close_due

    purged = purge(now)
    return purged, close_due(now)


@db_periodic_task(crontab(minute="17", hour="3"))
def daily_upkeep() -> dict[str, int]:
    """:func:`upkeep` once a day (03:17 UTC) in the task consumer."""
    purged, closed = upkeep(timezone.now())
    return {**purged.as_dict(), "campaigns_closed": len(closed)}
