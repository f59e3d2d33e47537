"""The Django admin for the case record, with each object's history (who, when, why).

The staff UI is the place for everyday work; the admin is for administrators who need
to look at or repair a row directly. Changes made here are kept in the same history.
"""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from dadkhah.records.models import (
    Body,
    Citation,
    Claim,
    Event,
    Participation,
    Person,
    Place,
    Post,
    Source,
)

RECORD_FIELDS = ("uid", "label", "label_fa", "confidentiality", "is_synthetic", "updated_at")


class RecordAdmin(SimpleHistoryAdmin):
    list_display = RECORD_FIELDS
    list_filter = ("confidentiality", "is_synthetic")
    search_fields = ("uid", "label", "label_fa")
    readonly_fields = ("label", "label_fa", "created_at", "updated_at")
    ordering = ("label", "id")


@admin.register(Person)
class PersonAdmin(RecordAdmin):
    pass


@admin.register(Body)
class BodyAdmin(RecordAdmin):
    list_display = (*RECORD_FIELDS[:3], "body_type", *RECORD_FIELDS[3:])


@admin.register(Place)
class PlaceAdmin(RecordAdmin):
    list_display = (*RECORD_FIELDS[:3], "place_type", *RECORD_FIELDS[3:])


@admin.register(Post)
class PostAdmin(RecordAdmin):
    list_display = (*RECORD_FIELDS[:2], "role", "start", "end", *RECORD_FIELDS[3:])
    raw_id_fields = ("person", "body")


@admin.register(Event)
class EventAdmin(RecordAdmin):
    list_display = (*RECORD_FIELDS[:2], "event_type", "date_start", "date_end", *RECORD_FIELDS[3:])
    list_filter = ("event_type", *RecordAdmin.list_filter)
    raw_id_fields = ("place",)
    ordering = ("date_start", "label", "id")


@admin.register(Participation)
class ParticipationAdmin(RecordAdmin):
    list_display = (*RECORD_FIELDS[:2], "role", "mode", *RECORD_FIELDS[3:])
    list_filter = ("role", *RecordAdmin.list_filter)
    raw_id_fields = ("event", "person")


@admin.register(Source)
class SourceAdmin(SimpleHistoryAdmin):
    list_display = ("uid", "title", "kind", "reliability", "confidentiality", "is_synthetic")
    list_filter = ("kind", "reliability", "confidentiality", "is_synthetic")
    search_fields = ("uid", "title", "citation")
    ordering = ("title", "id")


class CitationInline(admin.TabularInline):
    model = Citation
    extra = 0
    raw_id_fields = ("source",)
    fields = ("source", "page", "paragraph", "timestamp", "quote", "confidence", "retracted_at")


@admin.register(Claim)
class ClaimAdmin(SimpleHistoryAdmin):
    list_display = ("uid", "subject_kind", "subject_id", "prop", "status", "confidentiality")
    list_filter = ("subject_kind", "prop", "status", "confidentiality")
    search_fields = ("uid", "prop")
    readonly_fields = ("created_by", "created_at", "updated_at")
    inlines = [CitationInline]
    ordering = ("subject_kind", "subject_id", "prop", "id")


@admin.register(Citation)
class CitationAdmin(SimpleHistoryAdmin):
    list_display = ("claim", "source", "page", "confidence", "retracted_at")
    list_filter = ("confidence",)
    raw_id_fields = ("claim", "source")
    readonly_fields = ("created_by", "created_at")
    ordering = ("claim_id", "id")
