"""Roles of staff users and the clearance each role grants.

A request made with an API token acts with the token's role when it is lower than the
user's (``ApiToken.user_for`` sets ``user.token_role``): a token never exceeds its user.

A contributor (``Role.CONTRIBUTOR``) is a signed-in member of the public who submits
material (the memorial's contribution form). The role has the public clearance and is not
a staff role: no staff page, no write through the API, no second factor required.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group

from dadkhah.core.confidentiality import CLEARANCE, Level, Role

__all__ = [
    "STAFF_ROLES",
    "GROUP_ROLES",
    "role_of",
    "clearance_of",
    "ensure_groups",
    "set_role",
    "can_edit",
    "can_review",
    "is_staff_account",
    "lower",
    "rank",
]

STAFF_ROLES = (Role.ADMINISTRATOR, Role.INVESTIGATOR, Role.REVIEWER)
# Roles held through a group of the same name.
GROUP_ROLES = (*STAFF_ROLES, Role.CONTRIBUTOR)


def ensure_groups() -> None:
    for role in GROUP_ROLES:
        Group.objects.get_or_create(name=role.value)


def rank(role: Role) -> int:
    """Roles are ordered by the clearance they grant."""
    return int(CLEARANCE[role])


def lower(a: Role, b: Role) -> Role:
    return a if rank(a) <= rank(b) else b


def _own_role(user: Any) -> Role:
    if user.is_superuser:
        return Role.ADMINISTRATOR
    names = {g.name for g in user.groups.all()}
    for role in GROUP_ROLES:
        if role.value in names:
            return role
    return Role.PUBLIC


def role_of(user: Any) -> Role:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Role.PUBLIC
    own = _own_role(user)
    scope = getattr(user, "token_role", None)
    return own if scope is None else lower(own, Role(scope))


def is_staff_account(user: Any) -> bool:
    """Staff accounts (a staff flag or a staff role) must log in with two factors. A
    token's scope does not count here: it is the account that is staff."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_staff or user.is_superuser or _own_role(user) in STAFF_ROLES)


def clearance_of(user: Any) -> Level:
    return CLEARANCE[role_of(user)]


def set_role(user: Any, role: Role, by: Any = None, reason: str = "") -> None:
    """Give ``user`` the role; a change is a ``permission-change`` of the audit trail, by
    ``by`` (a request, a user or a name; None: the operator running this process)."""
    from django.db import transaction

    from dadkhah.accounts import audit

    before = (_own_role(user), bool(user.is_staff)) if user.pk is not None else None
    ensure_groups()
    with transaction.atomic():
        user.groups.remove(*Group.objects.filter(name__in=[r.value for r in GROUP_ROLES]))
        if role in GROUP_ROLES:
            user.groups.add(Group.objects.get(name=role.value))
        user.is_staff = role in STAFF_ROLES
        user.save(update_fields=["is_staff"])
        after = (_own_role(user), bool(user.is_staff))
        if before != after:
            was = before[0].value if before is not None else "none"
            audit.record(
                by,
                "permission-change",
                user,
                Level.INTERNAL,
                reason,
                detail=f"role {was} -> {role.value}",
            )


def can_edit(user: Any) -> bool:
    return role_of(user) in (Role.ADMINISTRATOR, Role.INVESTIGATOR)


def can_review(user: Any) -> bool:
    return role_of(user) in STAFF_ROLES
