"""Second factors of the demo's synthetic staff accounts.

Staff log in with two factors, the demo's accounts too: each gets an authenticator whose
secret ``dadkhah demo`` prints beside the password, to add to an authenticator app, and
``dadkhah user totp NAME`` prints its current code. Both work for the demo accounts only:
the usernames the demo makes, listed in this DADKHAH_HOME's demo logins file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django_otp.plugins.otp_totp.models import TOTPDevice

from dadkhah.accounts.twofactor import current_code, secret_of

__all__ = ["DEMO_DEVICE", "demo_code", "ensure_demo_devices", "is_demo_account"]

DEMO_DEVICE = "demo authenticator"


def ensure_demo_devices(users: list[Any]) -> dict[str, str]:
    """A confirmed authenticator for each demo account (made once); returns
    ``{username: secret}``."""
    out: dict[str, str] = {}
    for user in users:
        device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=DEMO_DEVICE, confirmed=True)
        out[user.get_username()] = secret_of(device)
    return out


def is_demo_account(user: Any, home: Path) -> bool:
    from dadkhah.records.demo import DEMO_USERS, _read_logins, logins_path

    username = user.get_username()
    if username not in DEMO_USERS.values():
        return False
    listed = {entry.get("username") for entry in _read_logins(logins_path(home)).values()}
    return username in listed


def demo_code(user: Any, home: Path) -> str:
    """The current code of a demo account's authenticator. Raises PermissionError for any
    other account and LookupError when it has no authenticator."""
    if not is_demo_account(user, home):
        raise PermissionError(
            f"{user.get_username()} is not a demo account: its codes come from its owner's "
            "authenticator only"
        )
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()
    if device is None:
        raise LookupError(f"{user.get_username()} has no authenticator; run `dadkhah demo`")
    return current_code(device)
