"""Tables of search: the index entries (``SearchEntry``) and the mentions found in documents.

The engine side of the index (an FTS5 table on SQLite, a ``tsvector`` column with a GIN
index on PostgreSQL) is created by the migration and kept in step with ``search_entry``
by the database itself; see ``backends``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

ENTRY_KINDS = ("page", "person", "body", "place", "event", "claim")
MENTION_KINDS = ("person", "body", "place", "date", "number", "candidate")
MENTION_STATUSES = ("auto", "confirmed", "rejected")


class SearchEntry(models.Model):
    """One searchable thing: a vault page (or a part of a very long one), a record, a claim."""

    kind = models.CharField(max_length=20, choices=[(k, k) for k in ENTRY_KINDS])
    object_id = models.CharField(max_length=100, help_text="ITEM_UID:PAGE, or a record uid.")
    part = models.PositiveIntegerField(default=0, help_text="Part of a very long page.")
    item = models.ForeignKey(
        "vault.Item", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    page = models.PositiveIntegerField(null=True, blank=True)
    offset = models.PositiveIntegerField(
        default=0, help_text="Where ``text`` starts in Page.text (characters)."
    )
    group = models.CharField(
        max_length=100, help_text="What results are grouped by: item:UID or KIND:UID."
    )
    title = models.CharField(max_length=500)
    title_normalized = models.TextField(blank=True)
    text = models.TextField(help_text="The original text, as extracted or displayed.")
    normalized = models.TextField(blank=True, help_text="One normalized token per word.")
    keys = models.TextField(blank=True, help_text="One cross-script key per name-like word.")
    confidentiality = models.PositiveSmallIntegerField()
    sources = models.CharField(
        max_length=2000, blank=True, help_text="' uid uid ': the item, or the cited sources."
    )
    date_lo = models.DateField(null=True, blank=True)
    date_hi = models.DateField(null=True, blank=True)
    # Altering a column of this table on SQLite rebuilds it and drops the FTS5 triggers: see
    # migration 0003 for the steps such a migration needs.
    place_uid = models.CharField(
        max_length=2000,
        blank=True,
        help_text="' uid uid ': the places a page mentions, or an event's place.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "search_entry"
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_id", "part"], name="search_entry_unique"
            )
        ]
        indexes = [models.Index(fields=["group"]), models.Index(fields=["item", "page"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}"


class Mention(models.Model):
    """A span of a document page that names a record, a date or a number (or may name one)."""

    item = models.ForeignKey("vault.Item", on_delete=models.CASCADE, related_name="mentions")
    page = models.PositiveIntegerField()
    start = models.PositiveIntegerField(help_text="Character offset into Page.text.")
    end = models.PositiveIntegerField(help_text="Character offset into Page.text (exclusive).")
    quote = models.TextField()
    kind = models.CharField(max_length=20, choices=[(k, k) for k in MENTION_KINDS])
    record_kind = models.CharField(max_length=20, blank=True)
    record_uid = models.CharField(max_length=64, blank=True, db_index=True)
    value = models.JSONField(null=True, blank=True, help_text="Partial date JSON, or a number.")
    score = models.FloatField(default=1.0)
    status = models.CharField(
        max_length=20, default="auto", choices=[(s, s) for s in MENTION_STATUSES]
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["item", "page"]),
            models.Index(fields=["record_kind", "record_uid"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.quote!r} in {self.item_id} p.{self.page}"


DECISIONS = ("confirm", "reject", "person", "alias")


class MentionDecision(models.Model):
    """A reviewer's decision on a mention: who, when, what and why. Append-only.

    ``Mention.status`` is the current state; these rows are how it came to be. "person" and
    "alias" record a candidate turned into a new person or an alias of a known one
    (``record_uid`` names it).
    """

    mention = models.ForeignKey(Mention, on_delete=models.CASCADE, related_name="decisions")
    decision = models.CharField(max_length=20, choices=[(d, d) for d in DECISIONS])
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    username = models.CharField(max_length=150, blank=True, help_text="Kept if the user goes.")
    at = models.DateTimeField(auto_now_add=True)
    record_uid = models.CharField(max_length=64, blank=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.decision} mention {self.mention_id} by {self.username or '?'}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("decisions on mentions are append-only")
        super().save(*args, **kwargs)
