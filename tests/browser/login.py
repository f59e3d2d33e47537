"""Logging in through the form in a real browser, with both factors.

Staff accounts give a code after the password. The helper gives the account an
authenticator when it has none (as enrolment would), and types the code computed from its
key, as an authenticator app would show it.
"""

from __future__ import annotations

from typing import Any

from tests.factories import PASSWORD


def authenticator(username: str) -> Any:
    from django.contrib.auth import get_user_model
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = get_user_model().objects.get(username=username)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="browser test", confirmed=True)
    return device


def log_in(
    page: Any,
    base: str,
    username: str,
    password: str = PASSWORD,
    next_path: str = "",
    shot: Any = None,
) -> None:
    """Password, then the authenticator's code; ends on ``next_path`` (the staff home by
    default)."""
    from dadkhah.accounts.twofactor import current_code

    device = authenticator(username)
    page.goto(f"{base}/accounts/login/" + (f"?next={next_path}" if next_path else ""))
    if shot is not None:
        shot("00-login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/accounts/two-factor/*")
    device.refresh_from_db()
    page.get_by_role("textbox", name="Authentication code").fill(current_code(device))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(f"{base}{next_path or '/records/'}")
