"""Read-only admin of the linkage tables: decisions are made in the linkage pages, where
they are append-only; the admin only shows them."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from dadkhah.linkage.models import (
    ClusterDecision,
    Judgement,
    LinkageRun,
    ListImport,
)


class ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ListImport)
class ListImportAdmin(ReadOnly):
    list_display = ("name", "original_name", "status", "row_count", "confidentiality", "created_at")


@admin.register(LinkageRun)
class LinkageRunAdmin(ReadOnly):
    list_display = ("uid", "status", "threshold", "records", "comparisons", "created_at")


@admin.register(Judgement)
class JudgementAdmin(ReadOnly):
    list_display = ("row_l", "row_r", "decision", "created_by", "created_at")


@admin.register(ClusterDecision)
class ClusterDecisionAdmin(ReadOnly):
    list_display = ("action", "row_a", "row_b", "reverts", "created_by", "created_at")
