"""Two factors for staff: the requirement is tested here on password-only sessions, without
the test-suite's help (`plain_force_login`, form logins)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_totp.models import TOTPDevice

from dadkhah.accounts import twofactor
from dadkhah.accounts.models import ApiToken
from tests.conftest import plain_force_login
from tests.factories import PASSWORD, make_source

pytestmark = pytest.mark.django_db

STAFF_PAGES = ["/records/", "/vault/", "/search/", "/accounts/", "/admin/", "/counting/"]


def _form_login(client, username: str, next_url: str = "/records/"):
    return client.post(
        "/accounts/login/",
        {"username": username, "password": PASSWORD, "next": next_url},
        REMOTE_ADDR="192.0.2.10",
    )


@pytest.mark.parametrize("role", ["administrator", "investigator", "reviewer"])
def test_a_password_only_staff_session_opens_no_staff_page(client, users, role):
    plain_force_login(client, users[role])
    for path in STAFF_PAGES:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/two-factor/setup/?next="), path
    TOTPDevice.objects.create(user=users[role], name="phone", confirmed=True)
    response = client.get("/records/")
    assert response["Location"] == "/accounts/two-factor/?next=%2Frecords%2F"
    # Posts are refused the same way (no staff action goes through).
    make_source("src-1")
    assert client.post("/records/source/new/", {"title": "x"}).status_code == 302
    # The API with the session: 401, for reads and writes.
    for method, url in (("get", "/api/persons"), ("post", "/api/sources")):
        response = getattr(client, method)(url, content_type="application/json")
        assert response.status_code == 401, url
        assert "two-factor" in response.json()["detail"]


def test_the_api_refuses_an_unverified_session_even_without_the_middleware(users, rf):
    from django.contrib.auth.models import AnonymousUser
    from ninja.errors import AuthenticationError

    from dadkhah.accounts.auth import DjangoSession

    request = rf.get("/api/persons")
    request.user = users["investigator"]  # no OTPMiddleware ran: nothing is verified
    with pytest.raises(AuthenticationError):
        DjangoSession().authenticate(request, "cookie")
    request.user = AnonymousUser()
    assert DjangoSession().authenticate(request, "cookie") is None


def test_a_bearer_token_is_not_a_session_and_needs_no_second_factor(client, users):
    _, token = ApiToken.issue(users["investigator"], "t")
    response = client.get("/api/persons", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    # Even beside a password-only session cookie.
    plain_force_login(client, users["investigator"])
    response = client.get("/api/persons", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_public_pages_and_non_staff_accounts_are_unaffected(client, db):
    assert client.get("/en/").status_code == 200
    assert client.get("/api/persons").status_code == 200
    visitor = get_user_model().objects.create_user(username="visitor", password=PASSWORD)
    response = _form_login(client, "visitor", "/en/about/")
    assert response["Location"] == "/en/about/"
    assert client.get("/en/about/").status_code == 200
    assert not TOTPDevice.objects.filter(user=visitor).exists()


def test_first_login_enrols_an_authenticator_then_logins_ask_its_code(client, users):
    user = users["investigator"]
    response = _form_login(client, user.username, "/vault/")
    assert response["Location"] == "/accounts/two-factor/setup/?next=%2Fvault%2F"
    page = client.get(response["Location"]).content.decode()
    assert "<svg" in page and "<?xml" not in page
    assert re.search(r"<script(?![^>]*\bsrc=)", page) is None  # no inline script
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    shown = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page)
    assert shown is not None and shown.group(1) == twofactor.secret_of(device)
    # Reloading keeps the same secret (the phone may have scanned it already).
    client.get("/accounts/two-factor/setup/")
    assert TOTPDevice.objects.filter(user=user).count() == 1

    wrong = client.post("/accounts/two-factor/setup/", {"code": "000000", "next": "/vault/"})
    assert "That code is not right" in wrong.content.decode()
    assert client.get("/vault/").status_code == 302
    device.refresh_from_db()
    device.throttling_failure_count = 0  # the wrong try above made the device wait
    device.save()
    code = twofactor.current_code(device)
    done = client.post("/accounts/two-factor/setup/", {"code": code, "next": "/vault/"})
    codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>", done.content.decode())
    assert len(codes) == 10 == len(set(codes)) == twofactor.recovery_left(user)
    assert client.get("/vault/").status_code == 200

    # The next login asks the code; enrolling again is refused without it.
    client.post("/accounts/logout/")
    response = _form_login(client, user.username, "/vault/")
    assert response["Location"] == "/accounts/two-factor/?next=%2Fvault%2F"
    setup = client.get("/accounts/two-factor/setup/")
    assert setup["Location"].startswith("/accounts/two-factor/?next=")
    assert client.get("/vault/").status_code == 302
    # A recovery code works once.
    response = client.post("/accounts/two-factor/", {"code": codes[0], "next": "/vault/"})
    assert response["Location"] == "/vault/"
    assert client.get("/vault/").status_code == 200
    assert twofactor.recovery_left(user) == 9
    client.post("/accounts/logout/")
    _form_login(client, user.username)
    again = client.post("/accounts/two-factor/", {"code": codes[0], "next": "/vault/"})
    assert again.status_code == 200 and "That code is not right" in again.content.decode()
    # The authenticator's code works, once per time step.
    device.refresh_from_db()
    code = twofactor.current_code(device)
    response = client.post("/accounts/two-factor/", {"code": code, "next": "/vault/"})
    assert response["Location"] == "/vault/"
    client.post("/accounts/logout/")
    _form_login(client, user.username)
    replay = client.post("/accounts/two-factor/", {"code": code, "next": "/vault/"})
    assert replay.status_code == 200


def test_next_never_leaves_the_site(client, users):
    TOTPDevice.objects.create(user=users["reviewer"], name="phone", confirmed=True)
    _form_login(client, users["reviewer"].username)
    device = TOTPDevice.objects.get(user=users["reviewer"])
    response = client.post(
        "/accounts/two-factor/",
        {"code": twofactor.current_code(device), "next": "https://evil.example/"},
    )
    assert response["Location"] == "/records/"


def test_verify_matches_recovery_codes_case_and_spaces(users):
    user = users["reviewer"]
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    codes = twofactor.new_recovery_codes(user)
    assert twofactor.verify(user, " " + codes[3].upper() + " ") is not None
    assert twofactor.verify(user, codes[3]) is None
    assert twofactor.verify(user, "") is None
    assert twofactor.reset(user) == 2
    assert not twofactor.has_confirmed_device(user) and twofactor.recovery_left(user) == 0
