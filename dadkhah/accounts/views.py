"""Logging in with two factors, and the account page.

``/accounts/login/`` checks the password (django-axes counts failures and locks out); a
staff account then goes to ``/accounts/two-factor/`` for its code, or to
``/accounts/two-factor/setup/`` to enrol an authenticator when it has none. The account page
lists the second factors and API tokens, makes new recovery codes, adds security keys
(WebAuthn, ``accounts.webauthn``), issues and revokes tokens, changes the password and logs
out everywhere. A security key also answers the second step, instead of a code.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from dadkhah.accounts import sessions, twofactor, webauthn
from dadkhah.accounts.forms import CodeForm, TokenForm
from dadkhah.accounts.models import ApiToken, TokenRoleError
from dadkhah.accounts.roles import is_staff_account, role_of

__all__ = [
    "LoginView",
    "PasswordChangeView",
    "account",
    "end_everywhere",
    "enrol",
    "locked_out",
    "recovery_codes",
    "revoke_token",
    "security_key_add",
    "security_key_login",
    "security_key_login_options",
    "security_key_options",
    "verify",
]


def _next(request: HttpRequest) -> str:
    """The page asked for, when it is on this site; the staff home otherwise."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return str(settings.LOGIN_REDIRECT_URL)


def _with_next(name: str, target: str) -> str:
    return reverse(name) + "?" + urlencode({"next": target})


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = False

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        user = form.get_user()
        if not is_staff_account(user):
            return response
        step = "accounts:verify" if twofactor.has_confirmed_device(user) else "accounts:enrol"
        return HttpResponseRedirect(_with_next(step, self.get_success_url()))


def locked_out(
    request: HttpRequest, original: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """django-axes' answer to a locked-out username and address: the login page, saying so."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    context = {
        "form": AuthenticationForm(request),
        "next": _next(request),
        "locked": (
            f"Too many failed logins for this username from your network address. Logging in "
            f"is blocked for {minutes} minutes; an administrator can lift it earlier."
        ),
    }
    return render(request, "accounts/login.html", context, status=429)


def verify(request: HttpRequest) -> HttpResponse:
    """The second step: the authenticator's code or a recovery code."""
    user = request.user
    if not user.is_authenticated:
        return redirect(_with_next("login", _next(request)))
    if twofactor.session_verified(user) and getattr(user, "otp_device", None) is not None:
        return redirect(_next(request))
    if not twofactor.has_confirmed_device(user):
        return redirect(_with_next("accounts:enrol", _next(request)))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = twofactor.verify(user, form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            if device.name == twofactor.RECOVERY:
                left = twofactor.recovery_left(user)
                messages.warning(
                    request,
                    f"You used a recovery code; {left} left. Make new ones on your account page.",
                )
            return redirect(_next(request))
        form.add_error(
            "code",
            "That code is not right, or was used already. Wait for the next code; after "
            "several wrong codes each new try must wait longer.",
        )
    return _verify_page(request, form)


def _verify_page(
    request: HttpRequest, form: CodeForm, key_error: str = "", status: int = 200
) -> HttpResponse:
    context = {
        "form": form,
        "next": _next(request),
        "security_key": webauthn.has_key(request.user),
        "key_error": key_error,
    }
    return render(request, "accounts/verify.html", context, status=status)


@login_required
@require_POST
def security_key_login_options(request: HttpRequest) -> HttpResponse:
    """The challenge for the account's security keys (the second step, in JSON)."""
    try:
        options = webauthn.authentication_options(request, request.user)
    except webauthn.SecurityKeyError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return HttpResponse(options, content_type="application/json")


@login_required
def security_key_login(request: HttpRequest) -> HttpResponse:
    """The second step with a security key: the browser posts the signed challenge."""
    if request.method != "POST":
        return redirect(_with_next("accounts:verify", _next(request)))
    try:
        key = webauthn.authenticate(request, request.user, request.POST.get("credential", ""))
    except webauthn.SecurityKeyError as exc:
        return _verify_page(request, CodeForm(), key_error=str(exc), status=400)
    otp_login(request, key)
    return redirect(_next(request))


@login_required
@require_POST
def security_key_options(request: HttpRequest) -> HttpResponse:
    """The options to add a security key to the account (JSON)."""
    if not is_staff_account(request.user):
        return JsonResponse({"error": "Security keys are for staff accounts."}, status=403)
    return HttpResponse(
        webauthn.registration_options(request, request.user), content_type="application/json"
    )


@login_required
def security_key_add(request: HttpRequest) -> HttpResponse:
    """Add a security key: name it, touch it; the page's script posts the key's answer."""
    if not is_staff_account(request.user):
        return HttpResponse("Security keys are for staff accounts.", status=403)
    error = ""
    name = request.POST.get("name", "")
    if request.method == "POST":
        try:
            key = webauthn.register(request, request.user, name, request.POST.get("credential", ""))
        except webauthn.SecurityKeyError as exc:
            error = str(exc)
        else:
            messages.success(request, f"The security key {key.name!r} is added.")
            return redirect("accounts:account")
    context = {"name": name, "error": error, "max": webauthn.KEY_NAME_MAX}
    return render(request, "accounts/webauthn_add.html", context, status=400 if error else 200)


def enrol(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator: scan the QR code (or type the secret), then type a code."""
    user = request.user
    if not user.is_authenticated:
        return redirect(_with_next("login", _next(request)))
    verified = getattr(user, "otp_device", None) is not None
    if twofactor.has_confirmed_device(user) and not verified:
        # Replacing an authenticator needs the current one (or a recovery code) first.
        return redirect(_with_next("accounts:verify", _next(request)))
    device = twofactor.pending_device(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = twofactor.confirm_enrolment(user, device, form.cleaned_data["code"])
        if codes is not None:
            otp_login(request, device)
            return render(
                request,
                "accounts/recovery_codes.html",
                {"codes": codes, "next": _next(request), "first": True},
            )
        form.add_error("code", "That code is not right. Check the phone's clock and try again.")
    context = {
        "form": form,
        "next": _next(request),
        "qr": twofactor.qr_svg(device),
        "secret": twofactor.secret_of(device),
        "replacing": verified,
    }
    return render(request, "accounts/enrol.html", context)


@login_required
def account(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = TokenForm(request.POST or None, initial={"role": role_of(user).value})
    issued = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            row, secret = ApiToken.issue(user, data["name"], data["days"], data["role"])
        except TokenRoleError as exc:
            form.add_error("role", str(exc).partition(": ")[2])
        else:
            issued = {"row": row, "secret": secret}
            form = TokenForm(initial={"role": role_of(user).value})
    context = {
        "account_role": role_of(user).value,
        "staff": is_staff_account(user),
        "authenticator": twofactor.has_authenticator(user),
        "second_factor": twofactor.has_confirmed_device(user),
        "security_keys": webauthn.WebAuthnKey.objects.filter(user=user).order_by(
            "created_at", "id"
        ),
        "recovery_left": twofactor.recovery_left(user),
        "tokens": ApiToken.objects.filter(user=user).order_by("-created_at", "-id"),
        "form": form,
        "issued": issued,
    }
    return render(request, "accounts/account.html", context)


@login_required
@require_POST
def recovery_codes(request: HttpRequest) -> HttpResponse:
    # The path is under two-factor/, which a password-only session may open: new codes
    # need the second factor passed first.
    if not twofactor.session_verified(request.user):
        return redirect(_with_next("accounts:verify", reverse("accounts:account")))
    if not twofactor.has_confirmed_device(request.user):
        return redirect("accounts:enrol")
    codes = twofactor.new_recovery_codes(request.user)
    return render(
        request,
        "accounts/recovery_codes.html",
        {"codes": codes, "next": reverse("accounts:account"), "first": False},
    )


@login_required
@require_POST
def revoke_token(request: HttpRequest, pk: int) -> HttpResponse:
    row = get_object_or_404(ApiToken, pk=pk, user=request.user)
    if row.revoke():
        messages.success(request, f"The token {row.name!r} is revoked.")
    return redirect("accounts:account")


@login_required
@require_POST
def end_everywhere(request: HttpRequest) -> HttpResponse:
    """Log out on every device, this one included."""
    sessions.end_everywhere(request, request.user)
    messages.info(request, "You are logged out on every device.")
    return redirect("login")


class PasswordChangeView(auth_views.PasswordChangeView):
    """Changing the password ends every other session of the account; this one goes on."""

    template_name = "accounts/password.html"
    success_url = reverse_lazy("accounts:account")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        sessions.end_everywhere(self.request, form.user, keep_this=True)
        messages.success(self.request, "Password changed; your other sessions have ended.")
        return response
