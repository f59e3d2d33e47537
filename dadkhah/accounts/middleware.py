"""Two middlewares, after authentication and django-otp's ``OTPMiddleware``.

``SessionPolicyMiddleware`` ends a login idle too long or opened before "log out
everywhere" (``accounts.sessions``), then the request goes on as anonymous.

``TwoFactorRequiredMiddleware`` refuses every page to a staff session that has not passed
its second factor yet: the browser is sent to the code step (or to enrol an authenticator)
and the API answers 401. The login and two-factor pages, logout and static files stay open.
Requests with an API token carry no session and are not concerned; anonymous visitors of
the public pages neither.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse

from dadkhah.accounts import sessions
from dadkhah.accounts.twofactor import has_confirmed_device, session_verified

__all__ = ["SessionPolicyMiddleware", "TwoFactorRequiredMiddleware"]

Handler = Callable[[HttpRequest], HttpResponse]


class SessionPolicyMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and hasattr(request, "session"):
            why = sessions.expired(request)
            if why is not None:
                logout(request)
                messages.info(request, why)
            else:
                sessions.touch(request)
        return self.get_response(request)


class TwoFactorRequiredMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response
        self._open: tuple[str, ...] | None = None

    def open_paths(self) -> tuple[str, ...]:
        if self._open is None:
            self._open = (
                reverse("login"),
                reverse("logout"),
                reverse("accounts:verify"),
                reverse("accounts:enrol"),
                "/" + settings.STATIC_URL.lstrip("/"),
            )
        return self._open

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not user.is_authenticated or session_verified(user):
            return self.get_response(request)
        path = request.path_info
        if path.startswith(self.open_paths()):
            return self.get_response(request)
        if path.startswith("/api/"):
            if request.headers.get("Authorization", "").strip():
                # A token is its own credential; the API refuses the session on its own
                # (accounts.auth.DjangoSession) if the token is absent or bad.
                return self.get_response(request)
            return JsonResponse(
                {"detail": "two-factor authentication required: finish logging in on the site"},
                status=401,
            )
        step = "accounts:verify" if has_confirmed_device(user) else "accounts:enrol"
        target = reverse(step)
        if request.method in ("GET", "HEAD"):
            target += "?" + urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(target)
