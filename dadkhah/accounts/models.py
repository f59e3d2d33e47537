"""API tokens and each account's session epoch.

A token is shown once; only its SHA-256 is stored. A token carries a role: a request made
with it acts with the lower of that role and its user's current role, so a token never
exceeds its user (a demoted user's tokens follow them down).

``SessionEpoch`` counts the times a user's sessions were ended all at once ("log out
everywhere", a password change). A session remembers the epoch it was opened in; a session
from an earlier epoch is ended at its next request (``accounts.sessions``).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F
from django.utils import timezone

from dadkhah.core.confidentiality import Role

__all__ = ["ApiToken", "SessionEpoch", "TOKEN_ROLES", "TokenRoleError", "hash_token"]

TOKEN_ROLES = (Role.ADMINISTRATOR, Role.INVESTIGATOR, Role.REVIEWER, Role.PUBLIC)


class TokenRoleError(ValueError):
    """A token asked for a role above its user's."""


def hash_token(token: str) -> str:
    return "sha256:" + hashlib.sha256(token.encode()).hexdigest()


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    digest = models.CharField(max_length=80, unique=True)
    role = models.CharField(
        max_length=20,
        choices=[(r.value, r.value) for r in TOKEN_ROLES],
        help_text="The most this token may do; its user's own role bounds it too.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.user}, {self.role})"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()

    @classmethod
    def issue(
        cls, user: Any, name: str, days: int = 90, role: Role | str | None = None
    ) -> tuple[ApiToken, str]:
        """A new token for ``user`` with ``role`` (default: the user's own role), valid for
        ``days`` (the command line and the account page ask for 1 or more). Raises
        TokenRoleError when the role is above the user's."""
        from dadkhah.accounts.roles import rank, role_of

        own = role_of(user)
        wanted = own if role is None else Role(role)
        if rank(wanted) > rank(own):
            raise TokenRoleError(
                f"role: {user.get_username()} is {own.value}; a token cannot be {wanted.value}"
            )
        token = "dk_" + secrets.token_urlsafe(32)
        row = cls.objects.create(
            user=user,
            name=name,
            role=wanted.value,
            digest=hash_token(token),
            expires_at=timezone.now() + timedelta(days=days),
        )
        return row, token

    def revoke(self) -> bool:
        """Revoke the token; False when it was revoked already."""
        done = ApiToken.objects.filter(pk=self.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        self.refresh_from_db(fields=["revoked_at"])
        return done == 1

    @classmethod
    def user_for(cls, token: str) -> Any | None:
        """The user of a live token, carrying the token's role as ``token_role`` (read by
        ``accounts.roles.role_of``); None for an unknown, revoked or expired token."""
        row = (
            cls.objects.select_related("user")
            .filter(
                digest=hash_token(token), revoked_at__isnull=True, expires_at__gt=timezone.now()
            )
            .first()
        )
        if row is None or not row.user.is_active:
            return None
        user = row.user
        user.token_role = Role(row.role)
        user.api_token_id = row.pk
        return user


class SessionEpoch(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="session_epoch"
    )
    epoch = models.PositiveIntegerField(default=0)
    changed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user} epoch {self.epoch}"

    @classmethod
    def current(cls, user_id: int) -> int:
        value = cls.objects.filter(user_id=user_id).values_list("epoch", flat=True).first()
        return 0 if value is None else int(value)

    @classmethod
    def bump(cls, user_id: int) -> int:
        """Start a new epoch for the user (every older session ends); returns it."""
        row, _ = cls.objects.get_or_create(user_id=user_id)
        cls.objects.filter(pk=row.pk).update(epoch=F("epoch") + 1, changed_at=timezone.now())
        return cls.current(user_id)


# The audit trail's table lives with its rules (accounts.audit), the security keys' with
# theirs (accounts.webauthn); imported here so that Django finds them.
from dadkhah.accounts.audit import AuditEntry  # noqa: E402, F401
from dadkhah.accounts.webauthn import WebAuthnKey  # noqa: E402, F401
