"""API tokens: the token is shown once; only its SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone


def hash_token(token: str) -> str:
    return "sha256:" + hashlib.sha256(token.encode()).hexdigest()


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    digest = models.CharField(max_length=80, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"

    @classmethod
    def issue(cls, user: object, name: str, days: int = 90) -> tuple[ApiToken, str]:
        token = "dk_" + secrets.token_urlsafe(32)
        row = cls.objects.create(
            user=user,
            name=name,
            digest=hash_token(token),
            expires_at=timezone.now() + timedelta(days=days),
        )
        return row, token

    @classmethod
    def user_for(cls, token: str) -> object | None:
        row = (
            cls.objects.select_related("user")
            .filter(
                digest=hash_token(token), revoked_at__isnull=True, expires_at__gt=timezone.now()
            )
            .first()
        )
        return row.user if row and row.user.is_active else None
