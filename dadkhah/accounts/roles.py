"""Roles of staff users and the clearance each role grants."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group

from dadkhah.core.confidentiality import CLEARANCE, Level, Role

__all__ = ["role_of", "clearance_of", "ensure_groups", "set_role", "can_edit", "can_review"]

STAFF_ROLES = (Role.ADMINISTRATOR, Role.INVESTIGATOR, Role.REVIEWER)


def ensure_groups() -> None:
    for role in STAFF_ROLES:
        Group.objects.get_or_create(name=role.value)


def role_of(user: Any) -> Role:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Role.PUBLIC
    if user.is_superuser:
        return Role.ADMINISTRATOR
    names = {g.name for g in user.groups.all()}
    for role in STAFF_ROLES:
        if role.value in names:
            return role
    return Role.PUBLIC


def clearance_of(user: Any) -> Level:
    return CLEARANCE[role_of(user)]


def set_role(user: Any, role: Role) -> None:
    ensure_groups()
    user.groups.remove(*Group.objects.filter(name__in=[r.value for r in STAFF_ROLES]))
    if role in STAFF_ROLES:
        user.groups.add(Group.objects.get(name=role.value))
    user.is_staff = role in STAFF_ROLES
    user.save(update_fields=["is_staff"])


def can_edit(user: Any) -> bool:
    return role_of(user) in (Role.ADMINISTRATOR, Role.INVESTIGATOR)


def can_review(user: Any) -> bool:
    return role_of(user) in STAFF_ROLES
