"""Tables of the case record. Rules and projections live in ``records.claims``."""

from __future__ import annotations

import secrets
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from dadkhah.core.confidentiality import Level

LEVEL_CHOICES = [(level.value, level.label) for level in Level]
STATUS_CHOICES = [("accepted", "accepted"), ("disputed", "disputed"), ("rejected", "rejected")]
CONFIDENCE_CHOICES = [("low", "low"), ("medium", "medium"), ("high", "high")]


def new_uid(kind: str) -> str:
    return f"{kind}-{secrets.token_hex(5)}"


class VisibleQuerySet(models.QuerySet):
    def visible_to(self, clearance: Level) -> VisibleQuerySet:
        return self.filter(confidentiality__lte=int(clearance))


class Record(models.Model):
    """Fields every record kind shares. ``label`` and ``label_fa`` are projections."""

    KIND: ClassVar[str] = ""

    uid = models.SlugField(
        max_length=64, unique=True, help_text="Stable identifier used in imports, exports and URLs."
    )
    confidentiality = models.PositiveSmallIntegerField(
        choices=LEVEL_CHOICES, default=Level.INTERNAL
    )
    is_synthetic = models.BooleanField(
        default=False,
        help_text="Invented for the demo or tests; labelled as synthetic everywhere it is shown.",
    )
    label = models.CharField(max_length=300, blank=True)
    label_fa = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(inherit=True)

    objects = VisibleQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["label", "id"]

    def __str__(self) -> str:
        return self.label or self.label_fa or self.uid

    def get_absolute_url(self) -> str:
        return f"/records/{self.KIND}/{self.uid}/"

    @property
    def level(self) -> Level:
        return Level(self.confidentiality)

    def claims(self) -> models.QuerySet[Claim]:
        return Claim.objects.filter(subject_kind=self.KIND, subject_id=self.pk)

    def structure(self) -> dict[str, Any]:
        """Identity fields that are not claims (the person a post belongs to, say)."""
        return {}


class Person(Record):
    KIND = "person"

    class Meta(Record.Meta):
        pass


class Body(Record):
    KIND = "body"
    body_type = models.CharField(max_length=40, blank=True)

    class Meta(Record.Meta):
        verbose_name_plural = "bodies"


class Place(Record):
    KIND = "place"
    place_type = models.CharField(max_length=40, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)

    class Meta(Record.Meta):
        pass


class Post(Record):
    KIND = "post"
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="posts")
    body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="posts")
    role = models.CharField(max_length=200, blank=True)
    start = models.DateField(
        null=True, blank=True, help_text="Earliest possible start (projection)."
    )
    end = models.DateField(null=True, blank=True, help_text="Latest possible end (projection).")

    class Meta(Record.Meta):
        pass

    def structure(self) -> dict[str, Any]:
        return {"person": self.person.uid, "body": self.body.uid}


class Event(Record):
    KIND = "event"
    event_type = models.CharField(max_length=40, blank=True)
    date_start = models.DateField(null=True, blank=True)
    date_end = models.DateField(null=True, blank=True)
    place = models.ForeignKey(
        Place, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )

    class Meta(Record.Meta):
        ordering = ["date_start", "label", "id"]


class Participation(Record):
    KIND = "participation"
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="participations")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="participations")
    role = models.CharField(max_length=40, blank=True)
    mode = models.CharField(max_length=40, blank=True)

    class Meta(Record.Meta):
        pass

    def structure(self) -> dict[str, Any]:
        return {"event": self.event.uid, "person": self.person.uid}


RECORD_MODELS: dict[str, type[Record]] = {
    m.KIND: m for m in (Person, Body, Place, Post, Event, Participation)
}


class Source(models.Model):
    """A publication, document, testimony or list that claims cite."""

    uid = models.SlugField(max_length=64, unique=True)
    confidentiality = models.PositiveSmallIntegerField(
        choices=LEVEL_CHOICES, default=Level.INTERNAL
    )
    is_synthetic = models.BooleanField(default=False)
    kind = models.CharField(max_length=40, default="publication")
    title = models.CharField(max_length=500)
    citation = models.TextField(
        help_text="Full citation: author, title, publisher, date, identifier."
    )
    url = models.URLField(max_length=1000, blank=True)
    reliability = models.CharField(max_length=1, default="F", help_text="A–F (Admiralty code).")
    published = models.JSONField(null=True, blank=True, help_text="Partial date of publication.")
    language = models.CharField(max_length=20, blank=True)
    notes = models.TextField(blank=True)
    item = models.ForeignKey(
        "vault.Item",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sources",
        help_text="The preserved vault item this source stands for, if there is one.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    objects = VisibleQuerySet.as_manager()

    KIND: ClassVar[str] = "source"

    class Meta:
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return f"/records/source/{self.uid}/"

    @property
    def label(self) -> str:
        return self.title

    @property
    def level(self) -> Level:
        return Level(self.confidentiality)


class Claim(models.Model):
    """One value of one property of one record, with its status and citations."""

    uid = models.SlugField(max_length=64, unique=True)
    subject_kind = models.CharField(max_length=20, choices=[(k, k) for k in RECORD_MODELS])
    subject_id = models.BigIntegerField()
    prop = models.CharField(max_length=40)
    value = models.JSONField()
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default="accepted")
    confidentiality = models.PositiveSmallIntegerField(
        choices=LEVEL_CHOICES, default=Level.INTERNAL
    )
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    objects = VisibleQuerySet.as_manager()

    class Meta:
        ordering = ["subject_kind", "subject_id", "prop", "id"]
        indexes = [models.Index(fields=["subject_kind", "subject_id", "prop"])]

    def __str__(self) -> str:
        return f"{self.subject_kind}#{self.subject_id}.{self.prop} = {self.value!r}"

    @property
    def level(self) -> Level:
        return Level(self.confidentiality)

    @property
    def subject(self) -> Record:
        return RECORD_MODELS[self.subject_kind].objects.get(pk=self.subject_id)


class Citation(models.Model):
    """A source supports a claim: where in the source, what it says, how sure we are."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="citations")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="citations")
    page = models.CharField(max_length=40, blank=True)
    paragraph = models.CharField(max_length=40, blank=True)
    timestamp = models.CharField(
        max_length=40, blank=True, help_text="For audio and video: hh:mm:ss."
    )
    quote = models.TextField(blank=True, help_text="The excerpt, exactly as the source words it.")
    confidence = models.CharField(max_length=10, choices=CONFIDENCE_CHOICES, default="medium")
    retracted_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["claim_id", "id"]

    def __str__(self) -> str:
        return f"{self.source} {self.locator}".strip()

    @property
    def locator(self) -> str:
        parts = []
        if self.page:
            parts.append(f"p. {self.page}")
        if self.paragraph:
            parts.append(f"para. {self.paragraph}")
        if self.timestamp:
            parts.append(f"at {self.timestamp}")
        return ", ".join(parts)


# Registered with the app here; defined next to the code that reads and writes it.
from dadkhah.records.protected import ProtectedIdentity  # noqa: E402, F401
