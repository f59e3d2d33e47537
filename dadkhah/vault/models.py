"""Tables of the vault. The rules live in ``vault.services`` (ingest), ``vault.ledger``
(custody) and ``vault.extraction``; nothing here is ever updated in place except the
extraction status of an item."""

from __future__ import annotations

from django.db import models

from dadkhah.core.confidentiality import Level

LEVEL_CHOICES = [(level.value, level.label) for level in Level]


class Item(models.Model):
    """One unique content (by SHA-256). Receiving the same bytes again adds a Receipt."""

    uid = models.SlugField(max_length=64, unique=True, help_text="ITEM_ID in the CLI and URLs.")
    sha256 = models.CharField(
        max_length=71, unique=True, help_text="sha256:<hex> of the original bytes."
    )
    size = models.BigIntegerField()
    mime = models.CharField(max_length=200, help_text="Detected from the content, not the name.")
    name = models.CharField(
        max_length=500, help_text="The first original name it was received under."
    )
    is_derivative = models.BooleanField(default=False)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="derivatives"
    )
    derivation = models.CharField(
        max_length=40,
        blank=True,
        help_text="text, ocr, thumbnail, redacted, screenshot, warc, html…",
    )
    confidentiality = models.PositiveSmallIntegerField(
        choices=LEVEL_CHOICES, default=Level.INTERNAL
    )
    encrypted = models.BooleanField(
        default=False, help_text="Stored with AES-256-GCM (restricted items)."
    )
    language = models.CharField(max_length=20, blank=True)
    extraction_status = models.CharField(max_length=20, default="pending")
    extraction_progress = models.PositiveSmallIntegerField(default=0, help_text="Percent.")
    extraction_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.sha256[:19]}…)"

    def get_absolute_url(self) -> str:
        return f"/vault/items/{self.uid}/"

    @property
    def hex(self) -> str:
        return self.sha256.removeprefix("sha256:")


class Receipt(models.Model):
    """One act of receiving an item: the preservation record of the Berkeley Protocol."""

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="receipts")
    original_name = models.CharField(max_length=500)
    original_path = models.CharField(max_length=2000, blank=True)
    source = models.CharField(
        max_length=2000, blank=True, help_text="Who or where it came from; the URL for captures."
    )
    collector = models.CharField(max_length=200)
    capture_tool = models.CharField(max_length=200)
    capture_tool_version = models.CharField(max_length=100)
    received_at = models.DateTimeField()
    consent = models.TextField(blank=True)
    restrictions = models.TextField(blank=True)
    note = models.TextField(blank=True)
    record = models.TextField(
        help_text="The preservation record as canonical JSON (RFC 8785), as hashed into the ledger."
    )
    ledger_entry = models.OneToOneField(
        "LedgerEntry", on_delete=models.PROTECT, related_name="receipt"
    )

    class Meta:
        ordering = ["received_at", "id"]

    def __str__(self) -> str:
        return (
            f"{self.original_name} received {self.received_at:%Y-%m-%d %H:%M} by {self.collector}"
        )


class LedgerEntry(models.Model):
    """An append-only custody event. ``seq`` is the leaf index in the Merkle tree."""

    seq = models.BigIntegerField(unique=True)
    event = models.CharField(max_length=40)  # one of vault.ledger.EVENTS
    actor = models.CharField(max_length=200)
    purpose = models.TextField(blank=True)
    item_sha256 = models.CharField(max_length=71, blank=True, db_index=True)
    created_at = models.DateTimeField()
    body = models.TextField(
        help_text="Canonical JSON (RFC 8785) of the entry: exactly the bytes that are hashed."
    )
    leaf_hash = models.CharField(max_length=64, help_text="hex of SHA-256(0x00 || body).")

    class Meta:
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"#{self.seq} {self.event} by {self.actor}"


class Checkpoint(models.Model):
    """A signed statement of the tree's size and root (C2SP tlog-checkpoint note)."""

    size = models.BigIntegerField(unique=True)
    root_hash = models.CharField(max_length=64)
    note = models.TextField(help_text="The signed note, byte for byte.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["size"]

    def __str__(self) -> str:
        return f"checkpoint {self.size} {self.root_hash[:12]}…"


class Page(models.Model):
    """Extracted text of one page (or the whole text, page 1, for formats without pages)."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="pages")
    number = models.PositiveIntegerField()
    text = models.TextField()
    method = models.CharField(
        max_length=20, help_text="text-layer, ocr, docx, html, plain, image-ocr"
    )
    language = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["item_id", "number"]
        constraints = [models.UniqueConstraint(fields=["item", "number"], name="vault_page_unique")]

    def __str__(self) -> str:
        return f"{self.item} p.{self.number}"
