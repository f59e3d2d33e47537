"""The campaign's tables.

- :class:`Campaign` is a petition or a sign-on statement with its target, its dates, its
  thresholds and its moderation state; :class:`CampaignText` holds its text, one row per
  language.
- :class:`Signature` is one person's signature. Its email is kept as given (to write to)
  and normalized (to find duplicates; unique per campaign). The confirmation token is kept
  only as a SHA-256. Network addresses are kept only as keyed hashes (exact address and the
  networks it belongs to), purged after 30 days. ``counted_at`` is set by the batched tally,
  never by the request that confirms.
- :class:`OrgSignature` is an organisation's signature of a statement: confirmed by email
  at its own domain, then approved by an administrator; its ECOSOC status decides where it
  stands in the Human Rights Council layout.
- :class:`Tally` holds the counted totals per campaign and country, written only by the
  tally batch, so no request ever updates a shared counter row.
- :class:`Milestone`, :class:`Delivery`, :class:`AccessRule` and :class:`Invalidation`
  record milestones reached, deliveries made, allow and block lists, and bulk removals.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.fields.json import KT
from django.utils import timezone
from simple_history.models import HistoricalRecords

__all__ = [
    "AccessRule",
    "Campaign",
    "CampaignText",
    "Delivery",
    "Invalidation",
    "Milestone",
    "OrgSignature",
    "Signature",
    "Tally",
]


class Campaign(models.Model):
    class Kind(models.TextChoices):
        PETITION = "petition", "Petition"
        STATEMENT = "statement", "Sign-on statement"

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "Awaiting moderation"
        PUBLISHED = "published", "Published"  # open between opens_at and closes_at
        REJECTED = "rejected", "Rejected"
        CLOSED = "closed", "Closed"  # read-only archive

    slug = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.PETITION)
    state = models.CharField(max_length=20, choices=State.choices, default=State.DRAFT)
    default_language = models.CharField(max_length=8, default="en")
    # The target: a body (the Human Rights Council) or a person holding a post (the High
    # Commissioner). The records are optional; target_label is what the public reads.
    target_label = models.CharField(max_length=300)
    target_label_fa = models.CharField(max_length=300, blank=True)
    target_body = models.ForeignKey(
        "records.Body", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    target_post = models.ForeignKey(
        "records.Post", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    opens_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField(null=True, blank=True)
    goal = models.PositiveIntegerField(null=True, blank=True, help_text="The threshold to reach.")
    milestones = models.JSONField(
        default=list, blank=True, help_text="Signature counts to mark on the way, e.g. [100, 1000]."
    )
    word_limit = models.PositiveIntegerField(
        default=2000, help_text="Most words in the statement's text (the HRC limit)."
    )
    retention_until = models.DateField(
        help_text="After this date signers' names, emails and cities are anonymized."
    )
    is_synthetic = models.BooleanField(
        default=False, help_text="Invented for the demo; labelled as such wherever shown."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    moderated_at = models.DateTimeField(null=True, blank=True)
    moderation_note = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-opens_at", "-id"]

    def __str__(self) -> str:
        return self.slug

    def is_open(self, now: object = None) -> bool:
        """Published, opened, not yet closed: signatures are accepted."""
        moment = now or timezone.now()
        return (
            self.state == self.State.PUBLISHED
            and (self.opens_at is None or self.opens_at <= moment)
            and (self.closes_at is None or moment < self.closes_at)
        )

    def is_public(self) -> bool:
        return self.state in (self.State.PUBLISHED, self.State.CLOSED)

    def text(self, lang: str) -> CampaignText | None:
        texts = {t.language: t for t in self.texts.all()}
        return (
            texts.get(lang) or texts.get(self.default_language) or next(iter(texts.values()), None)
        )


class CampaignText(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(max_length=8)
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True)
    body = models.TextField()
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "language"], name="campaign_one_text_per_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.campaign.slug} [{self.language}]"


class Visibility(models.TextChoices):
    PUBLIC = "public", "My name may be shown publicly"
    PRIVATE = "private", "My name goes to the recipients only"
    ANONYMOUS = "anonymous", "Count me only: my name goes nowhere"


class Signature(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", "Awaiting email confirmation"
        VALIDATED = "validated", "Confirmed"
        FRAUDULENT = "fraudulent", "Flagged (never counted)"
        INVALIDATED = "invalidated", "Removed by a moderator"

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="signatures")
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    name = models.CharField(max_length=200)
    email = models.CharField(max_length=254, null=True, blank=True)
    email_normalized = models.CharField(max_length=254, null=True, blank=True)
    email_domain = models.CharField(max_length=253, blank=True, db_index=True)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2 code.")
    city = models.CharField(max_length=120, blank=True)
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    consent = models.BooleanField(default=False, help_text="Agreed to the privacy notice.")
    newsletter = models.BooleanField(default=False, help_text="Separate opt-in to news.")
    language = models.CharField(max_length=8, default="en")
    token_sha256 = models.CharField(max_length=64, null=True, blank=True, unique=True)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    # When the last confirmation link, and the last "already signed" notice, were sent:
    # signing again with someone's address sends them at most one link every few minutes
    # and one notice a day (``signing._duplicate``), so the form cannot flood a mailbox.
    linked_at = models.DateTimeField(null=True, blank=True)
    noticed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    counted_at = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    removal_counted_at = models.DateTimeField(
        null=True, blank=True, help_text="When the tally added this removal to Tally.removed."
    )
    flag_reason = models.CharField(max_length=80, blank=True)
    # Keyed hashes (HMAC-SHA256, key outside the database) of the exact address and of the
    # networks holding it (IPv4 /24 and /16, IPv6 /64 and /48): enough to rate-limit and to
    # remove by network, never the address itself. Emptied 30 days after signing.
    ip_hash = models.CharField(max_length=64, blank=True)
    net_hashes = models.JSONField(default=list, blank=True)
    # The first of net_hashes (the /24 or /64), computed by the database so the network's
    # rate window has an index; it empties itself with net_hashes.
    net_hash = models.GeneratedField(
        expression=KT("net_hashes__0"),
        output_field=models.CharField(max_length=67, null=True),
        db_persist=True,
    )
    anonymized_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "email_normalized"], name="campaign_one_signature_per_email"
            )
        ]
        indexes = [
            models.Index(fields=["campaign", "state", "counted_at"], name="campaign_sig_to_count"),
            models.Index(fields=["ip_hash", "created_at"], name="campaign_sig_by_address"),
            models.Index(fields=["net_hash", "created_at"], name="campaign_sig_by_network"),
        ]

    def __str__(self) -> str:
        return f"signature {self.pk} on {self.campaign_id} ({self.state})"


class OrgSignature(models.Model):
    class Ecosoc(models.TextChoices):
        GENERAL = "general", "General consultative status"
        SPECIAL = "special", "Special consultative status"
        ROSTER = "roster", "Roster status"
        NONE = "none", "No consultative status"

    class State(models.TextChoices):
        PENDING = "pending", "Awaiting email confirmation"
        CONFIRMED = "confirmed", "Email confirmed; awaiting approval"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="organisations")
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    name = models.CharField(max_length=300)
    name_fa = models.CharField(max_length=300, blank=True)
    country = models.CharField(max_length=2)
    website = models.CharField(max_length=300)
    domain = models.CharField(max_length=253)
    ecosoc_status = models.CharField(max_length=10, choices=Ecosoc.choices, default=Ecosoc.NONE)
    contact_name = models.CharField(max_length=200)
    contact_email = models.CharField(max_length=254, null=True, blank=True)
    token_sha256 = models.CharField(max_length=64, null=True, blank=True, unique=True)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    linked_at = models.DateTimeField(
        null=True, blank=True, help_text="When the last confirmation link was sent."
    )
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "domain"], name="campaign_one_signature_per_org"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} on {self.campaign_id} ({self.state})"


class Tally(models.Model):
    """Counted signatures of one campaign from one country. Written by the tally batch only.

    ``signed`` only grows; ``removed`` counts signatures a moderator removed after they
    were counted (it only grows too). The public shows both.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="tallies")
    country = models.CharField(max_length=2)
    signed = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "country"], name="campaign_one_tally_per_country"
            )
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.country}: {self.signed} signed, {self.removed} removed"


class Milestone(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="reached")
    threshold = models.PositiveIntegerField()
    reached_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["threshold"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "threshold"], name="campaign_one_milestone")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} reached {self.threshold}"


class Delivery(models.Model):
    """A delivery of the signatures: to whom, when, how, the package sent, any answer."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="deliveries")
    recipient = models.CharField(max_length=300)
    delivered_at = models.DateTimeField()
    method = models.CharField(max_length=200, help_text="By email, by hand, at a session…")
    reference = models.CharField(max_length=300, blank=True, help_text="A UN document symbol…")
    package_sha256 = models.CharField(max_length=64, blank=True)
    ledger_seq = models.PositiveBigIntegerField(null=True, blank=True)
    response = models.TextField(blank=True)
    response_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-delivered_at", "-id"]

    def __str__(self) -> str:
        return f"{self.campaign_id} to {self.recipient} on {self.delivered_at:%Y-%m-%d}"


class PackageRequest(models.Model):
    """A delivery package asked for on the web, made by the task queue
    (:mod:`dadkhah.campaign.delivery_jobs`); its zip lives under DADKHAH_HOME until expiry."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        MAKING = "making", "Being prepared"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"
        EXPIRED = "expired", "Deleted after its time"

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requester = models.CharField(max_length=300, help_text="For whom the package is made.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    ledger_seq = models.PositiveBigIntegerField(null=True, blank=True)
    manifest_sha256 = models.CharField(max_length=71, blank=True)
    content_hash = models.CharField(max_length=71, blank=True)
    signatures = models.PositiveIntegerField(null=True, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True, help_text="Bytes of the zip.")

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["state", "finished_at"], name="campaign_package_by_state")]

    def __str__(self) -> str:
        return f"package {self.pk} of {self.campaign_id} ({self.state})"


class AccessRule(models.Model):
    """Allow and block lists: a network (CIDR) or an email domain."""

    class Action(models.TextChoices):
        ALLOW = "allow", "Allow (no rate limit)"
        BLOCK = "block", "Block (accepted silently, marked fraudulent)"

    class Kind(models.TextChoices):
        NETWORK = "network", "Network address range"
        DOMAIN = "domain", "Email domain"

    action = models.CharField(max_length=10, choices=Action.choices)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    value = models.CharField(
        max_length=253, help_text="203.0.113.0/24, 2001:db8::/48 or example.org"
    )
    # A network rule is kept as the keyed hashes of the networks it covers, so it can be
    # matched against signatures without storing addresses.
    net_hashes = models.JSONField(default=list, blank=True)
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["action", "kind", "value"], name="campaign_one_rule")
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.kind} {self.value}"


class Invalidation(models.Model):
    """A moderator's bulk removal of signatures, by network range or email domain."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="invalidations")
    kind = models.CharField(max_length=10, choices=AccessRule.Kind.choices)
    value = models.CharField(max_length=253)
    reason = models.TextField()
    signatures = models.PositiveIntegerField(help_text="How many signatures it removed.")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    ledger_seq = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.signatures} removed by {self.kind} {self.value}"
