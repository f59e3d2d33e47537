"""Signing a petition: the form's rules, the email double opt-in, one signature per email.

- :func:`normalize_email` gives the address under which duplicates are found: lowercase,
  the domain in IDNA (ASCII) form, any ``+tag`` dropped from the local part, and for
  Gmail (``gmail.com``, ``googlemail.com``, which are one mailbox) the dots dropped too.
- :func:`submit` checks a signature and stores it as ``pending`` with the SHA-256 of a
  fresh token (the token itself goes only into the confirmation email). One signature per
  normalized email per campaign: the database's unique constraint decides under
  concurrency; a duplicate is answered as a success — a pending one gets a fresh link, a
  confirmed one a notice by email (rationed: ``RESEND_INTERVAL``, ``NOTICE_INTERVAL``). A
  signature the abuse checks flag is stored as ``fraudulent`` and treated like any other as
  far as the signer can see.
- :func:`confirm` validates with one ``UPDATE … WHERE token AND pending AND not expired``:
  the row count decides, so concurrent clicks validate once. The token's hash is kept
  after use, so a second click is told "already confirmed".

Names are stored as text and always escaped on output; no address is stored, only the
keyed hashes from :func:`dadkhah.campaign.abuse.address_hashes`.
"""

from __future__ import annotations

import csv
import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

import idna
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dadkhah.campaign import abuse, emails, tally
from dadkhah.campaign.models import Campaign, OrgSignature, Signature, Visibility
from dadkhah.core.errors import FieldError

__all__ = [
    "MAX_CITY",
    "MAX_NAME",
    "Confirmation",
    "Country",
    "SignData",
    "SignError",
    "clean_city",
    "clean_country",
    "clean_name",
    "confirm",
    "confirm_hours",
    "countries",
    "country_name",
    "normalize_email",
    "open_problem",
    "submit",
    "token_hash",
]

MAX_NAME = 200
MAX_CITY = 120
MAX_EMAIL = 254
MAX_LOCAL = 64
MAX_TOKEN = 128  # token_urlsafe(32) is 43 characters
COUNTRIES_FILE = Path(__file__).parent / "data" / "countries.csv"
GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})
# Characters never allowed in the local part we accept (no quoted local parts, no comments).
_LOCAL_FORBIDDEN = re.compile(r'[\s"(),:;<>@\[\\\]]')
_SPACES = re.compile(r"\s+")

OUTCOMES = ("confirmed", "already", "expired", "unknown", "closed")


class SignError(FieldError):
    """A signature refused as a whole; ``field`` names the form field ("" for none)."""


@dataclass(frozen=True)
class SignData:
    """What the signer typed, as typed; :func:`submit` checks and cleans it."""

    name: str
    email: str
    country: str
    city: str = ""
    visibility: str = Visibility.PRIVATE
    consent: bool = False
    newsletter: bool = False


@dataclass(frozen=True)
class Confirmation:
    """The outcome of a click on the emailed link.

    ``outcome`` is ``confirmed``, ``already`` (confirmed before), ``expired`` (sign again
    for a fresh link), ``unknown`` (no such link) or ``closed`` (the campaign closed before
    the link was used; nothing is counted).
    """

    outcome: str
    campaign: Campaign | None = None


@dataclass(frozen=True)
class Country:
    code: str
    name_en: str
    name_fa: str

    def name(self, lang: str) -> str:
        return self.name_fa if lang == "fa" else self.name_en


# ------------------------------------------------------------------ the fields


@lru_cache(maxsize=1)
def _country_table() -> dict[str, Country]:
    table: dict[str, Country] = {}
    with COUNTRIES_FILE.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        for line, row in enumerate(reader, 2):
            code = (row.get("code") or "").strip()
            if not (len(code) == 2 and code.isascii() and code.isalpha() and code.isupper()):
                raise ValueError(f"{COUNTRIES_FILE}:{line}: code: expected two capital letters")
            if code in table:
                raise ValueError(f"{COUNTRIES_FILE}:{line}: code: {code} is listed twice")
            name_en = (row.get("name_en") or "").strip()
            name_fa = (row.get("name_fa") or "").strip()
            if not name_en or not name_fa:
                raise ValueError(f"{COUNTRIES_FILE}:{line}: name_en/name_fa: empty name")
            table[code] = Country(code, name_en, name_fa)
    return table


def countries(lang: str = "en") -> list[Country]:
    """Every country a signer may choose, sorted by its name in ``lang``."""
    return sorted(_country_table().values(), key=lambda c: (c.name(lang).casefold(), c.code))


def country_name(code: str, lang: str = "en") -> str:
    country = _country_table().get(code)
    return country.name(lang) if country is not None else code


def _one_line(raw: str) -> str:
    """Unicode NFC, no control or format characters except ZWNJ (Persian needs it),
    whitespace collapsed to single spaces."""
    text = unicodedata.normalize("NFC", raw or "")
    kept = "".join(
        ch
        for ch in text
        if ch == "\u200c" or ch.isspace() or unicodedata.category(ch) not in ("Cc", "Cf")
    )
    return _SPACES.sub(" ", kept).strip()


def clean_name(raw: str) -> str:
    name = _one_line(raw)
    if not name:
        raise SignError(_("Name: please write your name."), "name")
    if len(name) > MAX_NAME:
        raise SignError(
            _("Name: at most %(max)s characters (this one has %(count)s).")
            % {"max": MAX_NAME, "count": len(name)},
            "name",
        )
    return name


def clean_city(raw: str) -> str:
    city = _one_line(raw)
    if len(city) > MAX_CITY:
        raise SignError(
            _("City: at most %(max)s characters (this one has %(count)s).")
            % {"max": MAX_CITY, "count": len(city)},
            "city",
        )
    return city


def clean_country(raw: str) -> str:
    code = (raw or "").strip().upper()
    if not code:
        raise SignError(_("Country: please choose your country."), "country")
    if code not in _country_table():
        raise SignError(_("Country: choose a country from the list."), "country")
    return code


def _clean_visibility(raw: str) -> str:
    if raw not in Visibility.values:
        raise SignError(_("Choose how your name may be used."), "visibility")
    return raw


def normalize_email(raw: str) -> tuple[str, str]:
    """``(normalized address, domain)`` under which duplicates are found.

    Lowercased; the domain in IDNA ASCII form (``bücher.example`` → ``xn--bcher-kva.example``);
    any ``+tag`` dropped from the local part; for Gmail the dots dropped too and
    ``googlemail.com`` read as ``gmail.com``. Raises :class:`SignError` (field ``email``)
    for anything that is not a plain ``local@domain.tld`` address.
    """
    text = unicodedata.normalize("NFC", (raw or "").strip())
    if not text:
        raise SignError(_("Email: please write your email address."), "email")
    if len(text) > MAX_EMAIL:
        raise SignError(_("Email: at most %(max)s characters.") % {"max": MAX_EMAIL}, "email")
    local, at, domain = text.rpartition("@")
    bad = _("Email: this is not an email address (expected name@example.org).")
    if not at or not local or not domain:
        raise SignError(bad, "email")
    if (
        len(local) > MAX_LOCAL
        or _LOCAL_FORBIDDEN.search(local)
        or any(unicodedata.category(ch)[0] == "C" for ch in local)
        or local.startswith(".")
        or local.endswith(".")
        or ".." in local
    ):
        raise SignError(bad, "email")
    domain = domain.rstrip(".").lower()
    try:
        ascii_domain = idna.encode(domain, uts46=True).decode("ascii").lower()
    except (idna.IDNAError, UnicodeError):
        raise SignError(_("Email: the part after @ is not a valid domain name."), "email") from None
    labels = ascii_domain.split(".")
    if (
        len(labels) < 2
        or len(ascii_domain) > 253
        or not all(labels)
        or labels[-1].isdigit()
        or not all(re.fullmatch(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", label) for label in labels)
    ):
        raise SignError(_("Email: the part after @ is not a valid domain name."), "email")
    local = local.lower()
    base, plus, _tag = local.partition("+")
    if plus and base:
        local = base
    if ascii_domain in GMAIL_DOMAINS:
        ascii_domain = "gmail.com"
        local = local.replace(".", "")
        if not local:
            raise SignError(bad, "email")
    return f"{local}@{ascii_domain}", ascii_domain


def open_problem(campaign: Campaign, now: datetime | None = None) -> str:
    """Why ``campaign`` does not accept signatures now ("" when it does)."""
    moment = now or timezone.now()
    if campaign.state == Campaign.State.CLOSED:
        return _("This campaign is closed: it no longer accepts signatures.")
    if campaign.state != Campaign.State.PUBLISHED:
        return _("This campaign is not published: it does not accept signatures.")
    if campaign.opens_at is not None and moment < campaign.opens_at:
        return _("This campaign is not open for signatures yet.")
    if campaign.closes_at is not None and moment >= campaign.closes_at:
        return _("This campaign is closed: it no longer accepts signatures.")
    return ""


# ------------------------------------------------------------------ submitting


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def confirm_hours() -> int:
    """How long a confirmation link stays valid (DADKHAH_CAMPAIGN_CONFIRM_HOURS)."""
    return int(getattr(settings.CONFIG, "campaign_confirm_hours", 72))


def _new_token(now: datetime) -> tuple[str, str, datetime]:
    token = secrets.token_urlsafe(32)
    return token, token_hash(token), now + timedelta(hours=confirm_hours())


def submit(campaign: Campaign, data: SignData, address: str | None, lang: str = "en") -> Signature:
    """Check ``data`` and store a pending signature, or answer a duplicate; never raises
    for abuse (a flagged signature is stored as ``fraudulent`` and looks like any other).

    Raises :class:`SignError` for invalid input or a campaign that does not accept
    signatures; nothing is stored then.
    """
    now = timezone.now()
    problem = open_problem(campaign, now)
    if problem:
        raise SignError(problem, "")
    name = clean_name(data.name)
    email_normalized, domain = normalize_email(data.email)
    country = clean_country(data.country)
    city = clean_city(data.city)
    visibility = _clean_visibility(str(data.visibility))
    if not data.consent:
        raise SignError(
            _("Consent: tick the box to agree to how your signature is used."), "consent"
        )
    language = "fa" if lang == "fa" else "en"
    ip_hash, net_hashes = abuse.address_hashes(address)
    verdict = abuse.assess(campaign, ip_hash, net_hashes, domain, now)
    reason = verdict.fraudulent_reason
    token, digest, expires = _new_token(now)
    try:
        with transaction.atomic():
            signature = Signature.objects.create(
                campaign=campaign,
                state=Signature.State.FRAUDULENT if reason else Signature.State.PENDING,
                flag_reason=reason[:80],
                name=name,
                email=data.email.strip()[:MAX_EMAIL],
                email_normalized=email_normalized,
                email_domain=domain,
                country=country,
                city=city,
                visibility=visibility,
                consent=True,
                newsletter=bool(data.newsletter),
                language=language,
                token_sha256=digest,
                token_expires_at=expires,
                linked_at=now,
                created_at=now,
                ip_hash=ip_hash,
                net_hashes=list(net_hashes),
            )
            emails.confirmation(signature, token)
        return signature
    except IntegrityError:
        pass
    return _duplicate(campaign, email_normalized, language, now)


#: At most one confirmation link per signature in this time, unless the last one expired…
RESEND_INTERVAL = timedelta(minutes=10)
#: …and at most one "you have already signed" notice in this time.
NOTICE_INTERVAL = timedelta(hours=24)


def linked_recently(row: Signature | OrgSignature, now: datetime) -> bool:
    """Whether ``row``'s last confirmation link went out less than ``RESEND_INTERVAL`` ago
    and still works; submitting again then sends no new one (anyone can type an address)."""
    expired = row.token_expires_at is None or row.token_expires_at <= now
    return not expired and row.linked_at is not None and now - row.linked_at < RESEND_INTERVAL


def _duplicate(
    campaign: Campaign, email_normalized: str, language: str, now: datetime
) -> Signature:
    """The email signed this campaign already: a fresh link while it is unconfirmed (the
    old one stops working), a notice once it is confirmed. The caller answers as for a
    new signature.

    Anyone can type someone else's address, so the emails are rationed: a fresh link only
    when the last one has expired or is ``RESEND_INTERVAL`` old (until then the last link
    stays valid and nothing is sent), a notice at most once per ``NOTICE_INTERVAL``.
    """
    with transaction.atomic():
        existing = (
            Signature.objects.select_for_update()
            .filter(campaign=campaign, email_normalized=email_normalized)
            .first()
        )
        if existing is None:  # removed between the insert and now: refuse plainly
            raise SignError(_("Please try again."), "")
        unconfirmed = existing.confirmed_at is None and existing.state in (
            Signature.State.PENDING,
            Signature.State.FRAUDULENT,
        )
        if unconfirmed:
            if not linked_recently(existing, now):
                token, digest, expires = _new_token(now)
                existing.token_sha256 = digest
                existing.token_expires_at = expires
                existing.linked_at = now
                existing.language = language
                existing.save(
                    update_fields=["token_sha256", "token_expires_at", "linked_at", "language"]
                )
                emails.confirmation(existing, token)
        elif existing.noticed_at is None or now - existing.noticed_at >= NOTICE_INTERVAL:
            existing.noticed_at = now
            existing.save(update_fields=["noticed_at"])
            emails.duplicate_notice(existing)
    return existing


# ------------------------------------------------------------------ confirming


def confirm(token: str) -> Confirmation:
    """Validate the signature whose link holds ``token``; see :class:`Confirmation`.

    One UPDATE decides (its row count), so two concurrent clicks validate once. A flagged
    (fraudulent) signature is answered as if confirmed and is never validated.
    """
    text = (token or "").strip()
    if not text or len(text) > MAX_TOKEN:
        return Confirmation("unknown")
    digest = token_hash(text)
    now = timezone.now()
    signature = (
        Signature.objects.filter(token_sha256=digest)
        .select_related("campaign")
        .only(
            "id",
            "state",
            "confirmed_at",
            "token_expires_at",
            "campaign__id",
            "campaign__slug",
            "campaign__state",
            "campaign__opens_at",
            "campaign__closes_at",
        )
        .first()
    )
    if signature is None:
        return Confirmation("unknown")
    campaign = signature.campaign
    expired = signature.token_expires_at is None or signature.token_expires_at <= now
    if signature.confirmed_at is not None or signature.state in (
        Signature.State.VALIDATED,
        Signature.State.INVALIDATED,
    ):
        return Confirmation("already", campaign)
    if open_problem(campaign, now):
        return Confirmation("closed", campaign)
    if expired:
        return Confirmation("expired", campaign)
    if signature.state == Signature.State.FRAUDULENT:
        done = Signature.objects.filter(
            pk=signature.pk,
            token_sha256=digest,
            state=Signature.State.FRAUDULENT,
            confirmed_at__isnull=True,
        ).update(confirmed_at=now)
        return Confirmation("confirmed" if done else "already", campaign)
    done = Signature.objects.filter(
        token_sha256=digest, state=Signature.State.PENDING, token_expires_at__gt=now
    ).update(state=Signature.State.VALIDATED, confirmed_at=now)
    if done:
        tally.request(campaign.id)
        return Confirmation("confirmed", campaign)
    # Lost a race: another click confirmed it, or a fresh link replaced this one.
    current = Signature.objects.filter(token_sha256=digest).values_list("state", flat=True).first()
    if current is None:
        return Confirmation("unknown", campaign)
    if current == Signature.State.PENDING:
        return Confirmation("expired", campaign)
    return Confirmation("already", campaign)
