"""Read-only admin of the campaign's tables. Campaigns are written, moderated and closed in
the organizers' pages (``/campaign/manage/``), where every change is checked and kept in
history; the admin only shows rows. A signer's email, token and address hashes are never
shown here, nor an organisation's contact email."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from dadkhah.campaign.models import (
    AccessRule,
    Campaign,
    CampaignText,
    Delivery,
    Invalidation,
    Milestone,
    OrgSignature,
    Signature,
    Tally,
)


class ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TextInline(admin.StackedInline):  # type: ignore[type-arg]
    model = CampaignText
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Campaign)
class CampaignAdmin(ReadOnly):
    list_display = ("slug", "kind", "state", "opens_at", "closes_at", "is_synthetic")
    list_filter = ("state", "kind", "is_synthetic")
    search_fields = ("slug", "target_label")
    inlines = [TextInline]


@admin.register(Signature)
class SignatureAdmin(ReadOnly):
    list_display = (
        "id",
        "campaign",
        "state",
        "country",
        "visibility",
        "created_at",
        "confirmed_at",
    )
    list_filter = ("state", "visibility")
    fields = (
        "campaign",
        "state",
        "name",
        "country",
        "city",
        "visibility",
        "consent",
        "newsletter",
        "language",
        "created_at",
        "confirmed_at",
        "counted_at",
        "removed_at",
        "removal_counted_at",
        "flag_reason",
        "anonymized_at",
    )
    show_full_result_count = False


@admin.register(OrgSignature)
class OrgSignatureAdmin(ReadOnly):
    list_display = ("name", "campaign", "state", "country", "ecosoc_status", "domain")
    list_filter = ("state", "ecosoc_status")
    exclude = ("contact_email", "token_sha256", "token_expires_at")


@admin.register(Tally)
class TallyAdmin(ReadOnly):
    list_display = ("campaign", "country", "signed", "removed", "updated_at")


@admin.register(Milestone)
class MilestoneAdmin(ReadOnly):
    list_display = ("campaign", "threshold", "reached_at")


@admin.register(Delivery)
class DeliveryAdmin(ReadOnly):
    list_display = ("campaign", "recipient", "delivered_at", "method", "reference", "ledger_seq")


@admin.register(AccessRule)
class AccessRuleAdmin(ReadOnly):
    list_display = ("action", "kind", "value", "created_by", "created_at")
    exclude = ("net_hashes",)


@admin.register(Invalidation)
class InvalidationAdmin(ReadOnly):
    list_display = ("campaign", "kind", "value", "signatures", "actor", "created_at")
