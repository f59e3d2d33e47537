"""The demo's staff accounts have an authenticator; codes are printed for them only."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from django_otp.plugins.otp_totp.models import TOTPDevice

from dadkhah.accounts import twofactor
from dadkhah.accounts.demo import demo_code, ensure_demo_devices, is_demo_account
from dadkhah.cli import main
from dadkhah.records.demo import ensure_logins

pytestmark = pytest.mark.django_db


def test_demo_accounts_get_one_authenticator_and_their_codes_log_in(home, users, client):
    accounts = [user for user, _ in ensure_logins(home).values()]
    secrets = ensure_demo_devices(accounts)
    assert ensure_demo_devices(accounts) == secrets  # made once
    assert TOTPDevice.objects.filter(user__in=accounts).count() == 3
    investigator = next(u for u in accounts if u.username == "demo-investigator")
    device = TOTPDevice.objects.get(user=investigator)
    assert secrets["demo-investigator"] == twofactor.secret_of(device)

    result = CliRunner().invoke(main, ["user", "totp", "demo-investigator"])
    assert result.exit_code == 0, result.output
    code = result.stdout.strip()
    assert code == demo_code(investigator, home) and len(code) == 6

    # Not a demo account: refused.
    assert not is_demo_account(users["investigator"], home)
    refused = CliRunner().invoke(main, ["user", "totp", users["investigator"].username])
    assert refused.exit_code == 2 and "not a demo account" in refused.output


def test_a_demo_username_outside_a_demo_home_is_not_a_demo_account(tmp_path, db):
    from django.contrib.auth import get_user_model

    lookalike = get_user_model().objects.create_user(username="demo-admin", password="x" * 20)
    assert not is_demo_account(lookalike, tmp_path)
    with pytest.raises(PermissionError):
        demo_code(lookalike, tmp_path)
