"""How API callers prove who they are.

Three ways, tried in this order:

- ``Authorization: Bearer <token>``, a token issued by ``dadkhah token USERNAME``. A
  token that is unknown, revoked or expired is refused with 401, even on a read, so a
  caller never silently gets the public view because their token lapsed.
  The request acts with the token's role, or its user's if that is lower.
- The Django session of a logged-in user, so the staff pages can call the API. Unsafe
  methods then need the CSRF token, as any form post would. A staff session that has not
  passed its second factor yet is refused with 401 (``accounts.twofactor``).
- Nobody: reads only (``READ_AUTH``). The caller is the anonymous public and sees public
  material only; writes (``WRITE_AUTH``) answer 401 instead.

Each returns the user; what that user may see or do is ``accounts.roles``'s business.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from ninja.errors import AuthenticationError, HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from dadkhah.accounts.models import ApiToken
from dadkhah.accounts.twofactor import session_verified

__all__ = ["READ_AUTH", "WRITE_AUTH", "Anonymous", "BearerToken", "DjangoSession"]


class BearerToken(HttpBearer):
    """``Authorization: Bearer dk_…``; a bad or expired token is a 401, never anonymous."""

    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get(self.header, "")
        if not header.strip():
            return None
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationError(message="use the header 'Authorization: Bearer <token>'")
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = ApiToken.user_for(token)
        if user is None:
            raise AuthenticationError(message="the token is unknown, revoked or expired")
        return user


class DjangoSession(APIKeyCookie):
    """The session cookie of a logged-in user; unsafe methods need the CSRF token.

    Unlike ninja's ``SessionAuth``, the CSRF check only runs for a logged-in user, so a
    caller with no credentials at all gets 401, not a CSRF error.
    """

    param_name: str = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        if not session_verified(user):
            raise AuthenticationError(
                message="two-factor authentication required: finish logging in on the site"
            )
        exempt = getattr(request, "_ninja_csrf_exempt", False)
        if self.csrf and not exempt and check_csrf(request) is not None:
            raise HttpError(403, "CSRF check failed: send the X-CSRFToken header")
        return user


class Anonymous:
    """The caller without credentials: the public, with public clearance."""

    def __call__(self, request: HttpRequest) -> AnonymousUser:
        return AnonymousUser()


READ_AUTH: list[Any] = [BearerToken(), DjangoSession(), Anonymous()]
WRITE_AUTH: list[Any] = [BearerToken(), DjangoSession()]
