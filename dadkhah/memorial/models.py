"""The memorial's own table: which victims have passed review and may be shown.

A :class:`Publication` is a reviewer's decision to show one person on the public site,
with the narrative in English and Persian, the family's words (only with their consent)
and a photograph (only with the family's consent, and only a PUBLIC vault item).
Decisions are append-only: withdrawing a publication stamps ``withdrawn_at``; publishing
again adds a new row. At most one row per person is current (a partial unique index).
Every change is kept by django-simple-history.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from dadkhah.records.models import Person

__all__ = ["Publication", "VictimEntry", "VictimFacet", "VictimNameKey"]


class PublicationQuerySet(models.QuerySet["Publication"]):
    def current(self) -> PublicationQuerySet:
        return self.filter(withdrawn_at__isnull=True)


class Publication(models.Model):
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="publications")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField()
    narrative_en = models.TextField(blank=True, help_text="A short narrative, in English.")
    narrative_fa = models.TextField(blank=True, help_text="The same narrative, in Persian.")
    family_words_en = models.TextField(blank=True)
    family_words_fa = models.TextField(blank=True)
    family_consent = models.BooleanField(
        default=False, help_text="The family agreed that their words are published."
    )
    photo_item = models.ForeignKey(
        "vault.Item", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    photo_consent = models.BooleanField(
        default=False, help_text="The family agreed that the photograph is published."
    )
    note = models.TextField(blank=True, help_text="Why it was published (staff only).")
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    withdrawn_reason = models.TextField(blank=True)

    objects = PublicationQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-reviewed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="memorial_one_current_publication",
            )
        ]

    def __str__(self) -> str:
        state = "withdrawn" if self.withdrawn_at is not None else "published"
        return f"{self.person.uid} ({state})"

    def narrative(self, lang: str) -> str:
        return (self.narrative_fa if lang == "fa" else self.narrative_en) or ""

    def family_words(self, lang: str) -> str:
        if not self.family_consent:
            return ""
        return (self.family_words_fa if lang == "fa" else self.family_words_en) or ""


class VictimEntry(models.Model):
    """One published victim as the list, search and facets see it: an index, not a decision.

    Rebuilt from the PUBLIC claims whenever the person, their claims or their publication
    change (``browse.refresh``); it exists only while a publication is current.
    """

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="memorial_entry")
    uid = models.SlugField(max_length=64, unique=True)
    name_en = models.CharField(max_length=300, blank=True)
    name_fa = models.CharField(max_length=300, blank=True)
    sort_key = models.CharField(max_length=300, db_index=True)
    is_synthetic = models.BooleanField(default=False)
    city_en = models.CharField(max_length=300, blank=True)
    city_fa = models.CharField(max_length=300, blank=True)
    prison_en = models.CharField(max_length=300, blank=True)
    prison_fa = models.CharField(max_length=300, blank=True)
    execution = models.JSONField(null=True, blank=True, help_text="Partial date (JSON).")
    execution_lo = models.DateField(null=True, blank=True, db_index=True)
    execution_hi = models.DateField(null=True, blank=True, db_index=True)
    age_lo = models.PositiveSmallIntegerField(null=True, blank=True)
    age_hi = models.PositiveSmallIntegerField(null=True, blank=True)
    names_version = models.CharField(
        max_length=80, blank=True, help_text="dadkhah.names.VERSION of the name keys."
    )
    refreshed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sort_key", "uid"]

    def __str__(self) -> str:
        return self.uid

    def name(self, lang: str) -> str:
        return (self.name_fa or self.name_en) if lang == "fa" else (self.name_en or self.name_fa)

    def city(self, lang: str) -> str:
        return (self.city_fa or self.city_en) if lang == "fa" else (self.city_en or self.city_fa)

    def prison(self, lang: str) -> str:
        return (
            (self.prison_fa or self.prison_en)
            if lang == "fa"
            else (self.prison_en or self.prison_fa)
        )


class VictimFacet(models.Model):
    """A value a published victim can be filtered by: city, prison, year, affiliation …"""

    entry = models.ForeignKey(VictimEntry, on_delete=models.CASCADE, related_name="facets")
    facet = models.CharField(max_length=20)
    value = models.CharField(max_length=100)
    label_en = models.CharField(max_length=300, blank=True)
    label_fa = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [models.Index(fields=["facet", "value"], name="memorial_facet_value")]
        constraints = [
            models.UniqueConstraint(fields=["entry", "facet", "value"], name="memorial_facet_once")
        ]

    def __str__(self) -> str:
        return f"{self.facet}={self.value}"


class VictimNameKey(models.Model):
    """A cross-script key of one word of a published victim's names (``names.match_keys``)."""

    entry = models.ForeignKey(VictimEntry, on_delete=models.CASCADE, related_name="name_keys")
    key = models.CharField(max_length=120, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["entry", "key"], name="memorial_name_key_once")
        ]

    def __str__(self) -> str:
        return self.key


# The published estimate (memorial/estimates.py) and the contribution form's tables
# (memorial/contributions.py) have their own modules; imported here so that Django
# registers their tables with the app.
from dadkhah.memorial.contributions import (  # noqa: E402, F401
    Contribution,
    ContributionFile,
    RateHit,
    SpentChallenge,
)
from dadkhah.memorial.estimates import PublishedEstimate  # noqa: E402, F401
