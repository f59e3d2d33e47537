"""Session length, idle timeout, log out everywhere, password change; Argon2."""

from __future__ import annotations

import time

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.hashers import make_password
from django.test import Client

from dadkhah import config
from dadkhah.accounts import sessions

pytestmark = pytest.mark.django_db


def test_session_settings_come_from_the_configuration():
    loaded = config.load({"DADKHAH_HOME": str(django_settings.CONFIG.home)})
    assert (loaded.session_hours, loaded.session_idle_minutes) == (8, 60)
    assert loaded.session_browser_close is False
    assert loaded.session_hours * 3600 == django_settings.SESSION_COOKIE_AGE
    assert django_settings.SESSION_IDLE_SECONDS == 3600
    custom = config.load(
        {
            "DADKHAH_HOME": str(django_settings.CONFIG.home),
            "DADKHAH_SESSION_HOURS": "2",
            "DADKHAH_SESSION_BROWSER_CLOSE": "1",
            "DADKHAH_LOGIN_FAILURE_LIMIT": "3",
        }
    )
    assert (custom.session_hours, custom.session_browser_close, custom.login_failure_limit) == (
        2,
        True,
        3,
    )
    with pytest.raises(ValueError, match="DADKHAH_SESSION_IDLE_MINUTES"):
        config.load({"DADKHAH_SESSION_IDLE_MINUTES": "0"})


def test_an_idle_session_ends(client, users, settings):
    client.force_login(users["investigator"])
    assert client.get("/records/").status_code == 200
    session = client.session
    session[sessions.SEEN_KEY] = int(time.time()) - 3601
    session.save()
    response = client.get("/vault/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    page = client.get(response["Location"]).content.decode()
    assert "after 60 minutes without activity" in page
    # Activity within the limit keeps it going.
    client.force_login(users["investigator"])
    session = client.session
    session[sessions.SEEN_KEY] = int(time.time()) - 3500
    session.save()
    assert client.get("/records/").status_code == 200
    assert time.time() - client.session[sessions.SEEN_KEY] < 60


def test_log_out_everywhere_ends_every_session_of_that_user_only(users):
    laptop, phone, colleague = Client(), Client(), Client()
    for c in (laptop, phone):
        c.force_login(users["investigator"])
    colleague.force_login(users["reviewer"])
    assert phone.get("/records/").status_code == 200
    response = laptop.post("/accounts/logout-everywhere/")
    assert response["Location"] == "/accounts/login/"
    for c in (laptop, phone):
        assert c.get("/accounts/").status_code == 302
    assert colleague.get("/records/").status_code == 200
    # A new login works again.
    phone.force_login(users["investigator"])
    assert phone.get("/records/").status_code == 200


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(users):
    here, there = Client(), Client()
    for c in (here, there):
        c.force_login(users["reviewer"])
    new = "a new long passphrase for 1988 tests"
    response = here.post(
        "/accounts/password/",
        {
            "old_password": "correct horse battery staple 1988",
            "new_password1": new,
            "new_password2": new,
        },
    )
    assert response.status_code == 302, response.content.decode()[:500]
    assert here.get("/accounts/").status_code == 200
    assert there.get("/accounts/").status_code == 302
    users["reviewer"].refresh_from_db()
    assert users["reviewer"].check_password(new)


def test_argon2_hashes_new_passwords_and_older_hashes_still_verify(settings):
    from dadkhah import settings as production

    assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS
    assert make_password("x" * 20).startswith("argon2$argon2id$")
    from django.contrib.auth.hashers import check_password

    older = make_password("y" * 20, hasher="pbkdf2_sha256")
    assert check_password("y" * 20, older)
