"""API tokens scoped to a role, with expiry; listing and revocation (page and CLI)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from dadkhah.accounts.models import ApiToken, TokenRoleError
from dadkhah.accounts.roles import clearance_of, role_of, set_role
from dadkhah.cli import main
from dadkhah.core.confidentiality import Level, Role
from tests.factories import make_person, make_source

pytestmark = pytest.mark.django_db


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_token_acts_with_the_lower_of_its_role_and_its_users(client, users):
    src = make_source("src-1")
    make_person("Synthetic Restricted", src, Level.RESTRICTED, uid="person-r")
    admin = users["administrator"]
    _, full = ApiToken.issue(admin, "full")
    _, narrow = ApiToken.issue(admin, "narrow", role="reviewer")
    assert client.get("/api/persons/person-r", headers=_auth(full)).status_code == 200
    assert client.get("/api/persons/person-r", headers=_auth(narrow)).status_code == 404
    write = {"title": "t", "citation": "c"}
    response = client.post(
        "/api/sources", write, content_type="application/json", headers=_auth(narrow)
    )
    assert response.status_code == 403
    assert "reviewer role may not" in response.json()["detail"]
    user = ApiToken.user_for(narrow)
    assert role_of(user) is Role.REVIEWER and clearance_of(user) is Level.INTERNAL

    # A token never exceeds its user: not when issued, not after a demotion.
    with pytest.raises(TokenRoleError, match="cannot be administrator"):
        ApiToken.issue(users["investigator"], "too high", role="administrator")
    _, investigating = ApiToken.issue(users["investigator"], "inv")
    set_role(users["investigator"], Role.REVIEWER)
    assert role_of(ApiToken.user_for(investigating)) is Role.REVIEWER
    assert client.get("/api/persons/person-r", headers=_auth(investigating)).status_code == 404


def test_expired_and_revoked_tokens_are_refused(client, users):
    _, old = ApiToken.issue(users["reviewer"], "old", days=-1)
    row, live = ApiToken.issue(users["reviewer"], "live")
    assert client.get("/api/persons", headers=_auth(old)).status_code == 401
    assert client.get("/api/persons", headers=_auth(live)).status_code == 200
    assert row.revoke() is True and row.revoke() is False
    assert client.get("/api/persons", headers=_auth(live)).status_code == 401


def test_the_account_page_lists_issues_and_revokes_tokens(client, users):
    user = users["investigator"]
    client.force_login(user)
    row, secret = ApiToken.issue(user, "laptop", role="reviewer")
    other, _ = ApiToken.issue(users["reviewer"], "someone else's")
    page = client.get("/accounts/").content.decode()
    assert "laptop" in page and "someone else" not in page and secret not in page
    made = client.post("/accounts/", {"name": "script", "role": "investigator", "days": 7})
    text = made.content.decode()
    new = ApiToken.objects.get(user=user, name="script")
    assert new.role == "investigator" and "dk_" in text
    refused = client.post("/accounts/", {"name": "x", "role": "administrator", "days": 7})
    assert "cannot be administrator" in refused.content.decode()
    assert not ApiToken.objects.filter(name="x").exists()
    assert client.post(f"/accounts/tokens/{other.pk}/revoke/").status_code == 404
    assert client.post(f"/accounts/tokens/{row.pk}/revoke/").status_code == 302
    row.refresh_from_db()
    other.refresh_from_db()
    assert row.revoked_at is not None and other.revoked_at is None


def test_the_command_line_issues_lists_and_revokes(users):
    runner = CliRunner()
    name = users["investigator"].username
    issued = runner.invoke(main, ["user", "token", name, "--role", "reviewer", "--name", "ci"])
    assert issued.exit_code == 0, issued.output
    made = json.loads(issued.stdout)
    assert made["role"] == "reviewer" and made["token"].startswith("dk_")
    too_high = runner.invoke(main, ["user", "token", name, "--role", "administrator"])
    assert too_high.exit_code == 2 and "cannot be administrator" in too_high.output
    assert runner.invoke(main, ["user", "token", name, "--days", "0"]).exit_code == 2
    listed = [
        json.loads(x) for x in runner.invoke(main, ["user", "tokens", name]).stdout.split("\n") if x
    ]
    assert [(t["name"], t["role"], t["live"]) for t in listed] == [("ci", "reviewer", True)]
    assert made["token"] not in runner.invoke(main, ["user", "tokens", name]).output
    revoked = runner.invoke(main, ["user", "revoke", str(made["id"])])
    assert revoked.exit_code == 0 and json.loads(revoked.stdout)["changed"] is True
    assert ApiToken.user_for(made["token"]) is None
    assert runner.invoke(main, ["user", "revoke", "999999"]).exit_code == 2
    # The older `dadkhah token` takes the role too.
    old = runner.invoke(main, ["token", name, "--role", "reviewer"])
    assert old.exit_code == 0 and json.loads(old.stdout)["role"] == "reviewer"
