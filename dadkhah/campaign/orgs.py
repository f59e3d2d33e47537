"""Organisations sign statements: at their own domain, then approved by an administrator.

An organisation signs a sign-on statement (never a petition) with its name, country,
website, ECOSOC consultative status (self-declared; the administrator checks it) and a
contact. The flow:

1. :func:`submit_org` — the website is reduced to its host (lowercase, no scheme, no
   ``www.``, no path: ``https://www.Example.org/about`` → ``example.org``); the contact
   email must be at that host or a subdomain of it, and never at a public webmail provider
   (``data/free-mail-domains.txt``). One signature per organisation domain per campaign
   (the database constraint decides under concurrency): a second submission for a domain
   whose signature is still *pending* replaces it and sends a fresh link (the first
   contact may have mistyped the address); for a confirmed, approved or rejected one
   nothing changes and no email is sent. Either way the submitter sees the same screen.
2. :func:`confirm_org` — the emailed single-use link (only its SHA-256 is stored; it
   expires after ``DADKHAH_CAMPAIGN_CONFIRM_HOURS``) moves it to *confirmed*.
3. :func:`decide` — an administrator approves or rejects it, possibly correcting its
   ECOSOC status; who, when and why are kept, and django-simple-history keeps every
   earlier value. Only approved organisations are shown or exported.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import idna
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dadkhah.accounts.roles import role_of
from dadkhah.campaign import signing
from dadkhah.campaign.models import Campaign, OrgSignature
from dadkhah.campaign.signing import SignError, clean_country, open_problem, token_hash
from dadkhah.core.confidentiality import Role
from dadkhah.core.errors import FieldError

__all__ = [
    "ECOSOC_ORDER",
    "FREE_MAIL_FILE",
    "OrgConfirmation",
    "OrgData",
    "OrgError",
    "approved",
    "confirm_org",
    "contact_domain",
    "decide",
    "is_free_mail",
    "submit_org",
    "website_host",
]

FREE_MAIL_FILE = Path(__file__).parent / "data" / "free-mail-domains.txt"
# The order of the Human Rights Council's layout: general, special, roster, then the rest.
ECOSOC_ORDER = (
    OrgSignature.Ecosoc.GENERAL,
    OrgSignature.Ecosoc.SPECIAL,
    OrgSignature.Ecosoc.ROSTER,
    OrgSignature.Ecosoc.NONE,
)
MAX_NAME = 300
MAX_CONTACT_NAME = 200
MAX_EMAIL = 254
MAX_WEBSITE = 300
MAX_TOKEN = 128
# Second-level labels under which providers register per country (yahoo.co.uk, yahoo.com.br).
_COUNTRY_SECOND_LEVEL = frozenset({"ac", "co", "com", "ne", "net", "or", "org"})
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_SPACES = re.compile(r"\s+")
_LOCAL_FORBIDDEN = re.compile(r'[\s"(),:;<>@\[\\\]]')


class OrgError(FieldError):
    """An organisation's signature or a decision refused; ``field`` names the form field."""


@dataclass(frozen=True)
class OrgData:
    name: str
    country: str
    website: str
    ecosoc_status: str
    contact_name: str
    contact_email: str
    name_fa: str = ""


@dataclass(frozen=True)
class OrgConfirmation:
    """``outcome`` is "confirmed", "already", "expired" or "unknown"."""

    outcome: str
    org: OrgSignature | None = None


# ------------------------------------------------------------------ the fields


def _line(raw: str) -> str:
    """NFC, no control or format characters except ZWNJ, whitespace collapsed."""
    text = unicodedata.normalize("NFC", raw or "")
    kept = "".join(
        ch
        for ch in text
        if ch == "\u200c" or ch.isspace() or unicodedata.category(ch) not in ("Cc", "Cf")
    )
    return _SPACES.sub(" ", kept).strip()


def _text(raw: str, field: str, label: str, limit: int, required: bool = True) -> str:
    value = _line(raw)
    if required and not value:
        raise OrgError(_("%(label)s: required.") % {"label": label}, field)
    if len(value) > limit:
        raise OrgError(
            _("%(label)s: at most %(max)s characters (this one has %(count)s).")
            % {"label": label, "max": limit, "count": len(value)},
            field,
        )
    return value


def _ascii_host(raw: str, field: str, message: str) -> str:
    host = raw.strip().rstrip(".").lower()
    try:
        ascii_host = idna.encode(host, uts46=True).decode("ascii").lower() if host else ""
    except (idna.IDNAError, UnicodeError):
        raise OrgError(message, field) from None
    labels = ascii_host.split(".")
    if (
        len(labels) < 2
        or len(ascii_host) > 253
        or labels[-1].isdigit()
        or not all(_LABEL.fullmatch(label) for label in labels)
    ):
        raise OrgError(message, field)
    return ascii_host


def website_host(raw: str) -> str:
    """The host of an organisation's website: ``https://www.Example.org/about`` →
    ``example.org``; IDNA (ASCII) form; no IP addresses, ports or user names kept."""
    text = (raw or "").strip()
    if not text:
        raise OrgError(_("Website: required."), "website")
    if len(text) > MAX_WEBSITE:
        raise OrgError(_("Website: at most %(max)s characters.") % {"max": MAX_WEBSITE}, "website")
    if "://" not in text:
        text = "https://" + text
    bad = _("Website: this is not a web address (expected example.org).")
    try:
        parts = urlsplit(text)
        hostname = parts.hostname or ""
    except ValueError:
        raise OrgError(bad, "website") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise OrgError(bad, "website")
    host = _ascii_host(hostname, "website", bad)
    if host.startswith("www.") and host.count(".") >= 2:
        host = host[4:]
    if is_free_mail(host):
        raise OrgError(
            _(
                "Website: %(host)s is a public mail or hosting service; give your "
                "organisation's own website."
            )
            % {"host": host},
            "website",
        )
    return host


def contact_domain(raw: str) -> tuple[str, str]:
    """``(address, domain)``: the contact email with its domain lowercased in IDNA form."""
    text = unicodedata.normalize("NFC", (raw or "").strip())
    if not text:
        raise OrgError(_("Contact email: required."), "contact_email")
    if len(text) > MAX_EMAIL:
        raise OrgError(
            _("Contact email: at most %(max)s characters.") % {"max": MAX_EMAIL}, "contact_email"
        )
    local, at, domain = text.rpartition("@")
    bad = _("Contact email: this is not an email address (expected name@example.org).")
    if (
        not at
        or not local
        or len(local) > 64
        or _LOCAL_FORBIDDEN.search(local)
        or any(unicodedata.category(ch)[0] == "C" for ch in local)
        or local.startswith(".")
        or local.endswith(".")
        or ".." in local
    ):
        raise OrgError(bad, "contact_email")
    ascii_domain = _ascii_host(domain, "contact_email", bad)
    return f"{local}@{ascii_domain}", ascii_domain


@lru_cache(maxsize=1)
def _free_mail() -> tuple[frozenset[str], frozenset[str]]:
    """(exact domains, names matched under any country suffix) from the data file."""
    exact: set[str] = set()
    anywhere: set[str] = set()
    lines = FREE_MAIL_FILE.read_text(encoding="utf-8").splitlines()
    for number, raw in enumerate(lines, 1):
        entry = raw.strip().lower()
        if not entry or entry.startswith("#"):
            continue
        if entry.endswith(".*"):
            name = entry[:-2]
            if not _LABEL.fullmatch(name):
                raise ValueError(f"{FREE_MAIL_FILE}:{number}: expected name.*, got {entry!r}")
            anywhere.add(name)
            continue
        labels = entry.split(".")
        if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
            raise ValueError(f"{FREE_MAIL_FILE}:{number}: not a domain name: {entry!r}")
        exact.add(entry)
    return frozenset(exact), frozenset(anywhere)


def is_free_mail(domain: str) -> bool:
    """True for a public webmail provider's domain or any subdomain of it."""
    exact, anywhere = _free_mail()
    labels = domain.lower().rstrip(".").split(".")
    for i, label in enumerate(labels):
        if ".".join(labels[i:]) in exact:
            return True
        rest = labels[i + 1 :]
        if label in anywhere and (
            len(rest) == 1 or (len(rest) == 2 and rest[0] in _COUNTRY_SECOND_LEVEL)
        ):
            return True
    return False


def _clean(data: OrgData) -> dict[str, Any]:
    name = _text(data.name, "name", _("Organisation name"), MAX_NAME)
    name_fa = _text(data.name_fa, "name_fa", _("Name in Persian"), MAX_NAME, required=False)
    try:
        country = clean_country(data.country)
    except SignError as exc:
        raise OrgError(str(exc), "country") from None
    host = website_host(data.website)
    if data.ecosoc_status not in OrgSignature.Ecosoc.values:
        raise OrgError(
            _("ECOSOC status: choose one of general, special, roster or none."), "ecosoc_status"
        )
    contact_name = _text(data.contact_name, "contact_name", _("Contact name"), MAX_CONTACT_NAME)
    email, domain = contact_domain(data.contact_email)
    if is_free_mail(domain):
        raise OrgError(
            _(
                "Contact email: %(domain)s is a public webmail service. Use an address at "
                "your organisation's own domain (%(host)s), so that we know the organisation "
                "itself signs."
            )
            % {"domain": domain, "host": host},
            "contact_email",
        )
    if domain != host and not domain.endswith("." + host):
        raise OrgError(
            _(
                "Contact email: the address must be at your organisation's own domain "
                "(%(host)s or a subdomain of it), not at %(domain)s."
            )
            % {"domain": domain, "host": host},
            "contact_email",
        )
    return {
        "name": name,
        "name_fa": name_fa,
        "country": country,
        "website": host,
        "domain": host,
        "ecosoc_status": data.ecosoc_status,
        "contact_name": contact_name,
        "contact_email": email,
    }


# ------------------------------------------------------------------ signing


def submit_org(
    campaign: Campaign, data: OrgData, lang: str, now: datetime | None = None
) -> OrgSignature:
    """Record an organisation's signature of the statement ``campaign`` and email its
    contact the confirmation link (in ``lang``). Raises :class:`OrgError` for a petition,
    a campaign not open, or bad input; nothing is stored then."""
    moment = now or timezone.now()
    with translation.override(lang):
        if campaign.kind != Campaign.Kind.STATEMENT:
            raise OrgError(
                _(
                    "Organisations sign statements only; this campaign is a petition, which "
                    "people sign one by one."
                )
            )
        problem = open_problem(campaign, moment)
        if problem:
            raise OrgError(problem)
        fields = _clean(data)
        token = secrets.token_urlsafe(32)
        digest = token_hash(token)
        expires = moment + timedelta(hours=settings.CONFIG.campaign_confirm_hours)
        with transaction.atomic():
            try:
                with transaction.atomic():
                    org = OrgSignature.objects.create(
                        campaign=campaign,
                        token_sha256=digest,
                        token_expires_at=expires,
                        linked_at=moment,
                        created_at=moment,
                        **fields,
                    )
            except IntegrityError:
                org = OrgSignature.objects.select_for_update().get(
                    campaign=campaign, domain=fields["domain"]
                )
                if org.state != OrgSignature.State.PENDING:
                    return org  # the same screen; nothing changes
                if signing.linked_recently(org, moment):
                    return org  # the last link still works; the contact is not flooded
                for key, value in fields.items():
                    setattr(org, key, value)
                org.token_sha256 = digest
                org.token_expires_at = expires
                org.linked_at = moment
                org._change_reason = "submitted again while pending: fresh link"  # type: ignore[attr-defined]
                org.save()
            from dadkhah.campaign import emails

            emails.org_confirmation(org, token)
    return org


def confirm_org(token: str, now: datetime | None = None) -> OrgConfirmation:
    """Confirm the organisation's email by its link's token. Only a pending signature whose
    link has not expired is confirmed, once; a second click says "already"."""
    moment = now or timezone.now()
    if not token or len(token) > MAX_TOKEN:
        return OrgConfirmation("unknown")
    digest = token_hash(token)
    with transaction.atomic():
        changed = OrgSignature.objects.filter(
            token_sha256=digest,
            state=OrgSignature.State.PENDING,
            token_expires_at__gt=moment,
        ).update(state=OrgSignature.State.CONFIRMED, confirmed_at=moment)
        org = OrgSignature.objects.filter(token_sha256=digest).first()
        if org is None:
            return OrgConfirmation("unknown")
        if changed:
            # the conditional UPDATE decided; this save writes the history row
            org._change_reason = "email confirmed at the organisation's domain"  # type: ignore[attr-defined]
            org.save(update_fields=["state", "confirmed_at"])
            return OrgConfirmation("confirmed", org)
    if org.state == OrgSignature.State.PENDING:
        return OrgConfirmation("expired", org)
    return OrgConfirmation("already", org)


def decide(
    org: OrgSignature,
    approve: bool,
    actor: Any,
    note: str = "",
    ecosoc_status: str | None = None,
    now: datetime | None = None,
) -> OrgSignature:
    """An administrator approves or rejects a confirmed organisation (a decision may be
    changed later; each one is kept in history). ``ecosoc_status`` corrects the
    self-declared status. Raises ``PermissionDenied`` for any other role, and
    :class:`OrgError` for an unconfirmed organisation or a rejection without a reason."""
    if role_of(actor) is not Role.ADMINISTRATOR:
        raise PermissionDenied("Only administrators approve or reject organisations.")
    reason = (note or "").strip()
    if ecosoc_status is not None and ecosoc_status not in OrgSignature.Ecosoc.values:
        raise OrgError(
            f"ECOSOC status {ecosoc_status!r}: one of {', '.join(OrgSignature.Ecosoc.values)}",
            "ecosoc_status",
        )
    if not approve and not reason:
        raise OrgError("Note: say why the organisation is rejected.", "note")
    with transaction.atomic():
        current = OrgSignature.objects.select_for_update().get(pk=org.pk)
        if current.state == OrgSignature.State.PENDING:
            raise OrgError(
                f"{current.name} has not confirmed its email yet; it cannot be decided.", "state"
            )
        change = "approved" if approve else "rejected"
        if ecosoc_status is not None and ecosoc_status != current.ecosoc_status:
            change += f"; ECOSOC status corrected from {current.ecosoc_status} to {ecosoc_status}"
            current.ecosoc_status = ecosoc_status
        current.state = OrgSignature.State.APPROVED if approve else OrgSignature.State.REJECTED
        current.decided_by = actor
        current.decided_at = now or timezone.now()
        current.decision_note = reason
        current._history_user = actor  # type: ignore[attr-defined]
        current._change_reason = f"{change}: {reason}" if reason else change  # type: ignore[attr-defined]
        current.save()
    return current


def approved(campaign: Campaign) -> list[OrgSignature]:
    """The approved organisations of ``campaign``: general status first, then special,
    roster and none; by name (case-insensitive) within each."""
    rank = {status: n for n, status in enumerate(ECOSOC_ORDER)}
    rows = OrgSignature.objects.filter(campaign=campaign, state=OrgSignature.State.APPROVED)
    return sorted(rows, key=lambda o: (rank[o.ecosoc_status], o.name.casefold(), o.pk))
