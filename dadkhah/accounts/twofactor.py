"""The second factor of staff logins: a TOTP authenticator (django-otp) and recovery codes.

After the password, a staff member types the six-digit code of their authenticator app, or
one of their ten single-use recovery codes; ``django_otp.login`` then marks the session
verified. A staff account without a confirmed authenticator is sent to enrol one first: the
page shows a QR code (an SVG drawn here, no script) and the secret in text, and the account's
recovery codes are shown once when the first code checks out.

``session_verified(user)`` is the rule the middleware and the API apply: a staff account
counts as logged in only once its session is verified; other accounts need no second factor.
A security key (``accounts.webauthn``) is a second factor too: an account with one and no
authenticator app logs in with the key (or a recovery code).
"""

from __future__ import annotations

import base64
import io
import time
from typing import Any

from django.db import transaction
from django_otp import devices_for_user
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from dadkhah.accounts.roles import is_staff_account

__all__ = [
    "AUTHENTICATOR",
    "RECOVERY",
    "RECOVERY_CODES",
    "confirm_enrolment",
    "current_code",
    "has_authenticator",
    "has_confirmed_device",
    "new_recovery_codes",
    "pending_device",
    "qr_svg",
    "recovery_left",
    "reset",
    "secret_of",
    "session_verified",
    "verify",
]

AUTHENTICATOR = "authenticator"
RECOVERY = "recovery codes"
RECOVERY_CODES = 10


def session_verified(user: Any) -> bool:
    """True when the request's user may act: not staff, or staff having passed a second
    factor in this session (``is_verified`` is installed by django-otp's middleware; without
    it nothing is verified)."""
    if not is_staff_account(user):
        return True
    check = getattr(user, "is_verified", None)
    return bool(callable(check) and check())


def has_authenticator(user: Any) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def has_confirmed_device(user: Any) -> bool:
    """An authenticator app or a security key: the login asks for it (rather than enrolment)."""
    from dadkhah.accounts.webauthn import has_key

    return has_authenticator(user) or has_key(user)


def pending_device(user: Any) -> TOTPDevice:
    """The unconfirmed authenticator being enrolled (made on first call, then the same one
    until it is confirmed, so reloading the page keeps the QR code already scanned)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR, confirmed=False)
    return device


def secret_of(device: TOTPDevice) -> str:
    """The key as authenticator apps take it typed in: base32, in groups of four."""
    text = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The ``otpauth://`` address of the device as an inline SVG QR code."""
    import qrcode
    from qrcode.image.svg import SvgPathImage

    image = qrcode.make(device.config_url, image_factory=SvgPathImage, box_size=14, border=2)
    out = io.BytesIO()
    image.save(out)
    svg = out.getvalue().decode("utf-8")
    # The XML declaration is not allowed inside HTML.
    if svg.startswith("<?xml"):
        svg = svg[svg.index("?>") + 2 :].lstrip()
    return svg


def new_recovery_codes(user: Any) -> list[str]:
    """Replace the user's recovery codes with ten new single-use ones, returned once."""
    with transaction.atomic():
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(user=user, name=RECOVERY, confirmed=True)
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


def recovery_left(user: Any) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def confirm_enrolment(user: Any, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm ``device`` when ``code`` is its current code: the authenticator becomes the
    account's only one and ten recovery codes are made. Returns the codes, or None for a
    wrong code (nothing changes)."""
    if device.user_id != user.pk or device.confirmed:
        return None
    with transaction.atomic():
        if not device.verify_token(_digits(code)):
            return None
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        return new_recovery_codes(user)


def verify(user: Any, code: str) -> Any | None:
    """The device that accepts ``code``: the authenticator (six digits) or a recovery code
    (used up). Each device throttles its own failures (django-otp)."""
    text = code.strip().replace(" ", "").replace("-", "")
    if not text:
        return None
    with transaction.atomic():
        for device in devices_for_user(user, confirmed=True, for_verify=True):
            if isinstance(device, TOTPDevice) and not text.isdigit():
                continue
            token = text if isinstance(device, TOTPDevice) else text.lower()
            if device.verify_token(token):
                return device
    return None


def reset(user: Any) -> int:
    """Remove every second factor of the account (an administrator's reset after a lost
    phone, a lost key): the next login enrols a new authenticator. Returns the devices
    removed."""
    from dadkhah.accounts.webauthn import WebAuthnKey

    with transaction.atomic():
        removed = 0
        for model in (TOTPDevice, StaticDevice, WebAuthnKey):
            devices = model.objects.filter(user=user)
            removed += devices.count()
            devices.delete()
    return removed


def current_code(device: TOTPDevice, at: float | None = None) -> str:
    """The device's code at ``at`` (now by default), moved on to the next time step when the
    current one was used already (a code is accepted once; the device tolerates one step)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() if at is None else at
    if device.last_t is not None and totp.t() <= device.last_t:
        totp.time = device.t0 + (device.last_t + 1 - device.drift) * device.step
    return f"{totp.token():0{device.digits}d}"


def _digits(code: str) -> str:
    return code.strip().replace(" ", "")
