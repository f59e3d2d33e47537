"""Tables of the public contribution form: what families and witnesses send, and its review.

A :class:`Contribution` is one submission. Its evidence lives in the vault: the files as
sent and a canonical JSON record of the form (both RESTRICTED, encrypted at rest), and,
only when the contributor gave a name or a way to reach them, a separate PROTECTED JSON
item with that identity. The database keeps no plaintext identity and no network address.
Review decisions (accept, linking the records it informs, or reject with a reason) are
kept by django-simple-history with who, when and why.

:class:`SpentChallenge` makes each proof-of-work answer single-use (any public form can
use it, under its own ``scope``); :class:`RateHit` holds keyed hashes of network
addresses for the rate limit's window only.
"""

from __future__ import annotations

import time
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, models, transaction
from simple_history.models import HistoricalRecords

from dadkhah.core.confidentiality import Level
from dadkhah.vault.models import LEVEL_CHOICES

__all__ = ["Contribution", "ContributionFile", "DbSpentStore", "RateHit", "SpentChallenge"]

STATUS_CHOICES = [("pending", "pending"), ("accepted", "accepted"), ("rejected", "rejected")]


class Contribution(models.Model):
    uid = models.SlugField(max_length=64, unique=True)
    received_at = models.DateTimeField()
    language = models.CharField(max_length=10, help_text="The form's language (en, fa).")
    confidentiality = models.PositiveSmallIntegerField(
        choices=LEVEL_CHOICES, default=Level.RESTRICTED
    )
    about_name = models.CharField(
        max_length=300, blank=True, help_text="Whom it is about, in the contributor's words."
    )
    victim = models.ForeignKey(
        "records.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contributions",
        help_text="The published victim whose page the contributor came from, if any.",
    )
    text = models.TextField(blank=True, help_text="What the contributor knows, as written.")
    record_item = models.ForeignKey(
        "vault.Item",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The canonical JSON record of the submission, in the vault.",
    )
    identity_item = models.ForeignKey(
        "vault.Item",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The contributor's name and contact (PROTECTED), if given.",
    )
    named = models.BooleanField(
        default=False, help_text="The contributor agreed to be named as the source."
    )
    contact_consent = models.BooleanField(
        default=False, help_text="The contributor agreed to be contacted."
    )
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default="pending")
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decision_reason = models.TextField(blank=True)
    linked_records = models.JSONField(
        default=list, blank=True, help_text='Records it informs: [{"kind": …, "uid": …}].'
    )
    files = models.ManyToManyField(
        "vault.Item", through="ContributionFile", related_name="contributions"
    )
    history = HistoricalRecords(excluded_fields=["text"])

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["status", "received_at"], name="memorial_contrib_queue")]

    def __str__(self) -> str:
        return f"{self.uid} ({self.status})"

    @property
    def level(self) -> Level:
        return Level(self.confidentiality)


class ContributionFile(models.Model):
    """One file of a contribution, in the order sent, under the name it was sent with."""

    contribution = models.ForeignKey(
        Contribution, on_delete=models.PROTECT, related_name="file_links"
    )
    item = models.ForeignKey("vault.Item", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()
    sent_name = models.CharField(max_length=500)

    class Meta:
        ordering = ["contribution", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["contribution", "position"], name="memorial_contrib_file_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.contribution.uid} #{self.position}"


class SpentChallenge(models.Model):
    """A proof-of-work answer that was used; kept until its challenge expires."""

    scope = models.CharField(max_length=40)
    challenge = models.CharField(max_length=64)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "challenge"], name="memorial_spent_once")
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.challenge[:12]}…"


_last_purge: dict[str, float] = {}  # scope → time.monotonic() of its last purge


class DbSpentStore:
    """``core.pow.SpentStore`` on the SpentChallenge table: safe across processes, since the
    unique constraint decides which of two concurrent spends wins."""

    def __init__(self, scope: str, now: datetime) -> None:
        self.scope = scope
        self.now = now

    PURGE_EVERY = 60.0  # seconds between two deletions of expired answers, per process

    def spend(self, challenge: str, expires: datetime) -> bool:
        moment = time.monotonic()
        if moment - _last_purge.get(self.scope, -self.PURGE_EVERY) >= self.PURGE_EVERY:
            # Expired answers can never be replayed (the check refuses them first), so
            # deleting them is housekeeping: once a minute, not one more query per answer.
            _last_purge[self.scope] = moment
            SpentChallenge.objects.filter(scope=self.scope, expires_at__lt=self.now).delete()
        try:
            with transaction.atomic():
                SpentChallenge.objects.create(
                    scope=self.scope, challenge=challenge, expires_at=expires
                )
        except IntegrityError:
            return False
        return True


class RateHit(models.Model):
    """One attempt from a network address, as a keyed hash; deleted when the window ends."""

    scope = models.CharField(max_length=40)
    key = models.CharField(max_length=64, help_text="HMAC-SHA256 of the address (hex).")
    at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["scope", "key", "at"], name="memorial_ratehit_key")]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key[:12]}…"
