"""Security keys (WebAuthn) as a second factor of staff logins, with py_webauthn.

A verified staff member adds a key on the account page: the server makes registration
options (``registration_options``), the browser asks the key (``navigator.credentials.create``
in ``accounts/webauthn.js``) and posts its answer, which ``register`` checks
(``verify_registration_response``, attestation "none" accepted) and stores as a
``WebAuthnKey``. At the second step of a login, ``authentication_options`` lists the
account's keys, the browser signs the challenge (``navigator.credentials.get``) and
``authenticate`` checks the signature, the origin, the relying party and the signature
counter; the view then marks the session verified with ``django_otp.login``, as a right
TOTP code does. A key is a django-otp device, so the session keeps it as its second factor.

The relying party is the host of ``DADKHAH_SITE_URL`` when that is set, the request's host
otherwise; the expected origin is the site address's, or the request's own. Each challenge
is kept in the session for one ceremony and is removed by the first answer, right or wrong.
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import urlsplit

from django.contrib.sessions.backends.base import SessionBase
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp.models import Device, TimestampMixin
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import (
    InvalidAuthenticationResponse,
    InvalidCBORData,
    InvalidJSONStructure,
    InvalidRegistrationResponse,
)
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

__all__ = [
    "SecurityKeyError",
    "WebAuthnKey",
    "authenticate",
    "authentication_options",
    "has_key",
    "register",
    "registration_options",
    "relying_party",
]

RP_NAME = "Dadkhah"
REGISTER = "webauthn.register"
AUTHENTICATE = "webauthn.authenticate"
KEY_NAME_MAX = 64


class SecurityKeyError(ValueError):
    """A security key's answer that is refused; the message says why, for the person."""


class WebAuthnKey(TimestampMixin, Device):
    """A security key of an account: its credential id, public key (COSE) and the last
    signature counter it gave. ``name`` (the person's label), ``user`` and ``confirmed``
    come from django-otp's ``Device``; ``created_at`` and ``last_used_at`` from its
    ``TimestampMixin``."""

    credential_id = models.CharField(
        max_length=1400, unique=True, help_text="base64url, as the key gave it."
    )
    public_key = models.BinaryField(help_text="COSE public key.")
    sign_count = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = "security key"

    def verify_token(self, token: Any) -> bool:
        """A key answers a challenge, never a typed code."""
        return False


def has_key(user: Any) -> bool:
    return WebAuthnKey.objects.filter(user=user, confirmed=True).exists()


def relying_party(request: HttpRequest) -> tuple[str, list[str]]:
    """(RP id, accepted origins) for this request."""
    own = f"{request.scheme}://{request.get_host()}"
    site = os.environ.get("DADKHAH_SITE_URL", "").strip().rstrip("/")
    if site:
        parts = urlsplit(site)
        if parts.scheme and parts.hostname:
            origin = f"{parts.scheme}://{parts.netloc}"
            return parts.hostname, [origin] if origin == own else [origin, own]
    host = urlsplit(own).hostname or request.get_host()
    return host, [own]


def _keep(session: SessionBase, purpose: str, challenge: bytes, user: Any) -> None:
    session[purpose] = {"challenge": bytes_to_base64url(challenge), "user": user.pk}


def _take(session: SessionBase, purpose: str, user: Any) -> bytes:
    """The pending challenge (removed: one answer per challenge)."""
    kept = session.pop(purpose, None)
    if not isinstance(kept, dict) or kept.get("user") != user.pk:
        raise SecurityKeyError("No security-key request is pending (or it was used); try again.")
    return base64url_to_bytes(str(kept["challenge"]))


def registration_options(request: HttpRequest, user: Any) -> str:
    """The options for ``navigator.credentials.create``, as JSON; the account's keys are
    excluded (a key is added once)."""
    rp_id, _ = relying_party(request)
    existing = WebAuthnKey.objects.filter(user=user).order_by("id")
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=RP_NAME,
        user_id=f"dadkhah-user-{user.pk}".encode(),
        user_name=user.get_username(),
        user_display_name=user.get_username(),
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.DISCOURAGED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(k.credential_id)) for k in existing
        ],
    )
    _keep(request.session, REGISTER, options.challenge, user)
    return options_to_json(options)


def _parsed(credential: str) -> dict[str, Any]:
    try:
        data = json.loads(credential)
    except (TypeError, ValueError):
        raise SecurityKeyError("The browser's answer is not JSON.") from None
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise SecurityKeyError("The browser's answer has no credential id.")
    return data


def register(request: HttpRequest, user: Any, name: str, credential: str) -> WebAuthnKey:
    """Check the browser's answer to the pending registration and store the key."""
    label = name.strip()
    if not label or len(label) > KEY_NAME_MAX:
        raise SecurityKeyError(f"Give the key a name of 1 to {KEY_NAME_MAX} characters.")
    challenge = _take(request.session, REGISTER, user)
    data = _parsed(credential)
    rp_id, origins = relying_party(request)
    try:
        verified = verify_registration_response(
            credential=data,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origins,
        )
    except (InvalidRegistrationResponse, InvalidJSONStructure, InvalidCBORData, ValueError) as exc:
        raise SecurityKeyError(f"The security key was not accepted: {exc}") from None
    credential_id = bytes_to_base64url(verified.credential_id)
    with transaction.atomic():
        if WebAuthnKey.objects.filter(credential_id=credential_id).exists():
            raise SecurityKeyError("This security key is registered already.")
        return WebAuthnKey.objects.create(
            user=user,
            name=label,
            confirmed=True,
            credential_id=credential_id,
            public_key=verified.credential_public_key,
            sign_count=verified.sign_count,
        )


def authentication_options(request: HttpRequest, user: Any) -> str:
    """The options for ``navigator.credentials.get`` over the account's keys, as JSON."""
    keys = list(WebAuthnKey.objects.filter(user=user, confirmed=True).order_by("id"))
    if not keys:
        raise SecurityKeyError("This account has no security key.")
    rp_id, _ = relying_party(request)
    options = generate_authentication_options(
        rp_id=rp_id,
        allow_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(k.credential_id)) for k in keys
        ],
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    _keep(request.session, AUTHENTICATE, options.challenge, user)
    return options_to_json(options)


def authenticate(request: HttpRequest, user: Any, credential: str) -> WebAuthnKey:
    """Check the browser's signed answer to the pending challenge with the account's key;
    the key's counter must grow (a cloned key shows an old one). Returns the key."""
    challenge = _take(request.session, AUTHENTICATE, user)
    data = _parsed(credential)
    rp_id, origins = relying_party(request)
    with transaction.atomic():
        key = (
            WebAuthnKey.objects.select_for_update()
            .filter(user=user, confirmed=True, credential_id=data["id"])
            .first()
        )
        if key is None:
            raise SecurityKeyError("That security key is not one of this account's.")
        try:
            verified = verify_authentication_response(
                credential=data,
                expected_challenge=challenge,
                expected_rp_id=rp_id,
                expected_origin=origins,
                credential_public_key=bytes(key.public_key),
                credential_current_sign_count=key.sign_count,
            )
        except (
            InvalidAuthenticationResponse,
            InvalidJSONStructure,
            InvalidCBORData,
            ValueError,
        ) as exc:
            raise SecurityKeyError(f"The security key was not accepted: {exc}") from None
        key.sign_count = verified.new_sign_count
        key.last_used_at = timezone.now()
        key.save(update_fields=["sign_count", "last_used_at"])
    return key
