"""Login lockout (django-axes): five failures per username and address lock that pair."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from dadkhah.cli import main
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

HERE, ELSEWHERE = "192.0.2.10", "198.51.100.7"


def _attempt(client, username: str, password: str, address: str = HERE):
    return client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_five_failures_lock_the_username_from_that_address(client, users, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60
    name = users["investigator"].username
    for _ in range(4):
        response = _attempt(client, name, "wrong password")
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.content.decode()
    fifth = _attempt(client, name, "wrong password")
    assert fifth.status_code == 429
    # Now even the right password is refused, with a clear message.
    locked = _attempt(client, name, PASSWORD)
    assert locked.status_code == 429
    text = locked.content.decode()
    assert "Too many failed logins" in text and "15 minutes" in text
    assert "_auth_user_id" not in client.session
    # Another address, or another username from this address, is not locked.
    assert _attempt(client, name, PASSWORD, ELSEWHERE).status_code == 302
    client.post("/accounts/logout/")
    assert _attempt(client, users["reviewer"].username, PASSWORD).status_code == 302
    client.post("/accounts/logout/")

    result = CliRunner().invoke(main, ["user", "unlock", name])
    assert result.exit_code == 0, result.output
    assert '"attempts_cleared": 1' in result.output
    assert _attempt(client, name, PASSWORD).status_code == 302


def test_a_success_before_the_limit_resets_the_count(client, users):
    name = users["reviewer"].username
    for _ in range(4):
        _attempt(client, name, "wrong password")
    assert _attempt(client, name, PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    for _ in range(4):
        assert _attempt(client, name, "wrong password").status_code == 200
    assert _attempt(client, name, PASSWORD).status_code == 302
