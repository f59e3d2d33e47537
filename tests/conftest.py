from __future__ import annotations

import os
import shutil

import pytest
from hypothesis import settings as hypothesis_settings

# No per-example deadline: a CPU stall on a loaded CI machine is not a failure of the
# property, and speed is measured by the benchmarks in bench/, not by tests.
hypothesis_settings.register_profile("dadkhah", deadline=None)
hypothesis_settings.load_profile("dadkhah")


def require_tool(name: str, path: str | None = None) -> str:
    """Return the tool's path, or skip; under DADKHAH_REQUIRE_ALL=1 a missing tool fails."""
    found = path if path and os.path.exists(path) else shutil.which(name)
    if found:
        return found
    message = f"{name} is not installed (scripts/system-deps.sh test installs it)"
    if os.environ.get("DADKHAH_REQUIRE_ALL") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(autouse=True)
def campaign_cache(settings, tmp_path):
    """Each test gets an empty shared cache of its own (cached pages, the tally's last run and
    schedule), not the one in var/ that both test workers would share; changing CACHES also
    drops the copies the process holds in memory."""
    caches = {alias: dict(conf) for alias, conf in settings.CACHES.items()}
    if caches["campaign"]["BACKEND"].endswith("FileBasedCache"):
        caches["campaign"]["LOCATION"] = str(tmp_path / "campaign-cache")
        settings.CACHES = caches
    return tmp_path / "campaign-cache"


@pytest.fixture
def home(settings, tmp_path):
    """DADKHAH_HOME (keys, blobs, work area, uploads) in a per-test directory, with the
    filesystem blob store whatever the environment sets."""
    import dataclasses

    root = tmp_path / "home"
    root.mkdir()
    settings.CONFIG = dataclasses.replace(settings.CONFIG, home=root, blobs="", s3_endpoint="")
    return root


@pytest.fixture
def users(db):
    from tests.factories import make_users

    return make_users()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Creating users dominates test setup with the production hasher; tests don't need its cost."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# Two factors in tests. Staff accounts must pass a second factor before any staff page or
# the API with a session works (dadkhah.accounts.middleware). Tests that log in with
# `client.force_login(user)` or `client.login(...)` to test something else get the second
# factor the way a real login gets it: a confirmed authenticator for the user, and its id in
# the session as `django_otp.login` stores it after a right code. Tests of the requirement
# itself use `plain_force_login`, which does not. `client.login` also hands the lockout
# backend (django-axes) a request, which it needs to count failures per address.

from django.test import Client  # noqa: E402

PLAIN_FORCE_LOGIN = Client.force_login
PLAIN_LOGIN = Client.login


def plain_force_login(client: Client, user: object) -> None:
    """A password-only session: no second factor."""
    PLAIN_FORCE_LOGIN(client, user)


def verify_session(client: Client, user: object) -> None:
    """Mark the client's session verified with the user's authenticator (made if missing),
    as `django_otp.login` does once the code is right."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test authenticator", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


@pytest.fixture(autouse=True)
def second_factor_for_test_logins(monkeypatch):
    from django.contrib.auth import SESSION_KEY, get_user_model
    from django.http import HttpRequest

    from dadkhah.accounts.roles import is_staff_account

    def force_login(self: Client, user: object, backend: str | None = None) -> None:
        PLAIN_FORCE_LOGIN(self, user, backend)
        if is_staff_account(user):
            verify_session(self, user)

    def login(self: Client, **credentials: object) -> bool:
        if "request" not in credentials:
            request = HttpRequest()
            request.META["REMOTE_ADDR"] = "127.0.0.1"
            credentials["request"] = request
        if not PLAIN_LOGIN(self, **credentials):
            return False
        user = get_user_model().objects.get(pk=self.session[SESSION_KEY])
        if is_staff_account(user):
            verify_session(self, user)
        return True

    monkeypatch.setattr(Client, "force_login", force_login)
    monkeypatch.setattr(Client, "login", login)
