"""``dadkhah user …``: accounts from the command line. Each command is thin."""

from __future__ import annotations

from typing import Any

import click

from dadkhah.core.confidentiality import Role

__all__ = ["user"]

STAFF = ["administrator", "investigator", "reviewer"]


def _user(username: str) -> Any:
    from django.contrib.auth import get_user_model

    from dadkhah.cli import fail

    found = get_user_model().objects.filter(username=username).first()
    if found is None:
        fail(f"no user {username!r}")
    return found


@click.group()
def user() -> None:
    """Staff accounts: create, unlock after failed logins, reset two factors, API tokens."""


@user.command()
@click.argument("username")
@click.option("--role", type=click.Choice(STAFF), required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--email", default="")
def create(username: str, role: str, password: str, email: str) -> None:
    """Create a staff user with a role. The first login sets up its authenticator."""
    from dadkhah.cli import emit, fail, setup

    setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import ValidationError, validate_password
    from django.db import transaction

    from dadkhah.accounts.roles import set_role

    model = get_user_model()
    if model.objects.filter(username=username).exists():
        fail(f"user {username!r} exists already")
    try:
        validate_password(password, model(username=username, email=email))
    except ValidationError as exc:
        fail("password: " + " ".join(exc.messages))
    with transaction.atomic():
        account = model.objects.create_user(username=username, email=email, password=password)
        if role == "administrator":
            account.is_superuser = True
            account.save(update_fields=["is_superuser"])
        set_role(account, Role(role))
    emit({"username": username, "role": role})


@user.command()
@click.argument("username")
def unlock(username: str) -> None:
    """Lift a login lockout of USERNAME (from every address) before it times out."""
    from dadkhah.cli import emit, setup

    setup()
    from axes.utils import reset

    emit({"username": username, "attempts_cleared": reset(username=username)})


@user.command("reset-2fa")
@click.argument("username")
def reset_2fa(username: str) -> None:
    """Remove USERNAME's authenticator and recovery codes (a lost phone) and end their
    sessions; their next login sets up a new authenticator."""
    from dadkhah.cli import emit, setup

    setup()
    from dadkhah.accounts import sessions, twofactor

    account = _user(username)
    removed = twofactor.reset(account)
    sessions.end_everywhere(None, account)
    emit({"username": username, "devices_removed": removed})


@user.command()
@click.argument("username")
@click.option("--name", default="cli", help="A label to recognise the token by.")
@click.option(
    "--role",
    type=click.Choice([*STAFF, "public"]),
    default=None,
    help="The most the token may do. Default: the user's own role.",
)
@click.option(
    "--days", type=click.IntRange(1), default=90, show_default=True, help="Days until it expires."
)
def token(username: str, name: str, role: str | None, days: int) -> None:
    """Issue an API token for USERNAME (printed once; only its hash is kept)."""
    from dadkhah.cli import emit, fail, setup

    setup()
    from dadkhah.accounts.models import ApiToken

    try:
        row, secret = ApiToken.issue(_user(username), name, days, role)
    except ValueError as exc:
        fail(str(exc))
    emit(
        {
            "id": row.pk,
            "token": secret,
            "user": username,
            "role": row.role,
            "expires": row.expires_at.isoformat(),
        }
    )


@user.command()
@click.argument("username")
def tokens(username: str) -> None:
    """List USERNAME's API tokens, newest first (one JSON line each; never the secret)."""
    from dadkhah.cli import emit, setup

    setup()
    from dadkhah.accounts.models import ApiToken

    for row in ApiToken.objects.filter(user=_user(username)).order_by("-created_at", "-id"):
        emit(
            {
                "id": row.pk,
                "name": row.name,
                "role": row.role,
                "created": row.created_at.isoformat(),
                "expires": row.expires_at.isoformat(),
                "revoked": row.revoked_at.isoformat() if row.revoked_at else None,
                "live": row.is_live,
            }
        )


@user.command()
@click.argument("token_id", type=int)
def revoke(token_id: int) -> None:
    """Revoke the API token TOKEN_ID (from `dadkhah user tokens`)."""
    from dadkhah.cli import emit, fail, setup

    setup()
    from dadkhah.accounts.models import ApiToken

    row = ApiToken.objects.select_related("user").filter(pk=token_id).first()
    if row is None:
        fail(f"no API token with id {token_id}")
    changed = row.revoke()
    emit({"id": token_id, "user": row.user.get_username(), "revoked": True, "changed": changed})


@user.command()
@click.argument("username")
def totp(username: str) -> None:
    """Print the current authenticator code of a demo account (demo accounts only)."""
    from dadkhah.cli import fail, setup

    setup()
    from django.conf import settings

    from dadkhah.accounts.demo import demo_code

    try:
        code = demo_code(_user(username), settings.CONFIG.home)
    except (PermissionError, LookupError) as exc:
        fail(str(exc))
    click.echo(code)
