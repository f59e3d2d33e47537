"""A security key in chromium: added on the account page, then used to log in.

The key is chromium's virtual authenticator (DevTools protocol, ``WebAuthn`` domain), so the
browser's own ``navigator.credentials`` runs the ceremonies against the site, through
``accounts/webauthn.js`` under the strict Content-Security-Policy.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.login import log_in
from tests.factories import PASSWORD, make_users

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_security_key_is_added_and_then_logs_in(live_server, page, shot, monkeypatch):
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from dadkhah.accounts.webauthn import WebAuthnKey

    monkeypatch.delenv("DADKHAH_SITE_URL", raising=False)
    users = make_users()
    user = users["investigator"]
    base = live_server.url
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)

    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added: dict[str, Any] = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    authenticator = added["authenticatorId"]

    # Log in with the authenticator app, then add the key from the account page.
    log_in(page, base, user.username)
    page.goto(f"{base}/accounts/")
    page.get_by_role("link", name="Add a security key").click()
    page.wait_for_url(f"{base}/accounts/security-keys/new/")
    page.get_by_label("Key name").fill("laptop key")
    shot("webauthn-01-add")
    page.get_by_role("button", name="Add the key").click()
    page.wait_for_url(f"{base}/accounts/")
    assert "laptop key" in page.locator("#security-keys").inner_text()
    stored = WebAuthnKey.objects.get(user=user)
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert len(credentials["credentials"]) == 1

    # The authenticator app goes: the key is the only second factor left.
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    page.context.clear_cookies()

    page.goto(f"{base}/accounts/login/?next=/records/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/accounts/two-factor/*")
    shot("webauthn-02-verify")
    page.get_by_role("button", name="Use a security key").click()
    page.wait_for_url(f"{base}/records/")
    stored.refresh_from_db()
    assert stored.last_used_at is not None
    assert stored.sign_count >= 1
    # The session is verified: another staff page opens too.
    page.goto(f"{base}/accounts/")
    assert page.url == f"{base}/accounts/"
    assert refused == []
