"""The admin of accounts: the audit trail, read-only, and users, whose changes of role,
staff or superuser flag, groups or permissions are recorded in the audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from dadkhah.accounts import audit
from dadkhah.core.confidentiality import Level

User = get_user_model()


@admin.register(audit.AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("created_at", "actor", "role", "action", "object_kind", "object_uid", "level")
    list_filter = ("action", "channel", "level")
    search_fields = ("actor", "object_uid", "reason")
    ordering = ("-created_at", "-id")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _grants(user: Any) -> dict[str, Any]:
    """What an account may do, for comparing before and after an admin change."""
    from dadkhah.accounts.roles import _own_role

    return {
        "role": _own_role(user).value,
        "staff": bool(user.is_staff),
        "superuser": bool(user.is_superuser),
        "active": bool(user.is_active),
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "permissions": sorted(user.user_permissions.values_list("codename", flat=True)),
    }


class AuditedUserAdmin(UserAdmin):  # type: ignore[type-arg]
    """Django's user admin; a change of what an account may do is a ``permission-change``."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before = _grants(User.objects.get(pk=obj.pk)) if change else None
        request._audit_grants_before = before  # type: ignore[attr-defined]
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        user = User.objects.get(pk=form.instance.pk)
        before = getattr(request, "_audit_grants_before", None)
        after = _grants(user)
        if before != after:
            changed = sorted(k for k in after if before is None or before[k] != after[k])
            audit.record(
                request,
                "permission-change",
                user,
                Level.INTERNAL,
                detail="; ".join(
                    f"{k} {before[k] if before else 'none'} -> {after[k]}" for k in changed
                ),
            )


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, AuditedUserAdmin)
