"""The campaign's emails: rendered and sent over SMTP by the task queue (huey).

Each public function schedules one task once the caller's transaction commits:

- :func:`confirmation` — the single-use link that confirms a signature;
- :func:`duplicate_notice` — "you have already signed; nothing changed";
- :func:`org_confirmation` — the link that confirms an organisation's signature at its own
  domain (an administrator reviews it next);
- :func:`milestone` — to the campaign's creator, when a threshold is reached.

Tasks carry row ids (and the raw token, which the database never holds), never an email
address. Each task reads its row again when it runs: a signature anonymized, removed or
already confirmed meanwhile gets nothing. Subjects, plain text and HTML are rendered from
``campaign/email/<kind>.*`` in the recipient's language (Persian HTML right to left);
synthetic campaigns say so in the subject. SMTP failures are retried by the queue and logged
without the address. Where mail goes is ``DADKHAH_SMTP_URL`` (empty: the local sink of
:mod:`dadkhah.campaign.mailsink`).
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
from dataclasses import dataclass
from email.utils import make_msgid, parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from huey.contrib.djhuey import db_task

from dadkhah.campaign.models import Campaign, OrgSignature, Signature

__all__ = [
    "LANGUAGES",
    "MailNotSent",
    "Outgoing",
    "confirmation",
    "deliver_confirmation",
    "deliver_duplicate_notice",
    "deliver_milestone",
    "deliver_org_confirmation",
    "duplicate_notice",
    "milestone",
    "org_confirmation",
    "send_confirmation",
    "send_duplicate_notice",
    "send_milestone",
    "send_org_confirmation",
]

log = logging.getLogger(__name__)

LANGUAGES = ("en", "fa")
RETRIES = 3
RETRY_DELAY = 60  # seconds before the first retry; doubled each time


class MailNotSent(Exception):
    """An SMTP failure, described without the recipient's address (the queue retries it)."""


@dataclass(frozen=True)
class Outgoing:
    """A rendered email, ready to send."""

    to: str
    subject: str
    text: str
    html: str
    language: str


# --- what the rest of the campaign calls ------------------------------------------------


def confirmation(signature: Signature, token: str) -> None:
    """Email the confirmation link for ``signature`` (in its language) once committed."""
    signature_id = signature.pk
    transaction.on_commit(lambda: send_confirmation(signature_id, token))


def duplicate_notice(signature: Signature) -> None:
    """Tell the holder of ``signature`` that someone signed again with their email."""
    signature_id = signature.pk
    transaction.on_commit(lambda: send_duplicate_notice(signature_id))


def org_confirmation(org: OrgSignature, token: str) -> None:
    """Email the confirmation link to the organisation's contact, in the current language."""
    org_id = org.pk
    language = _language(translation.get_language())
    transaction.on_commit(lambda: send_org_confirmation(org_id, token, language))


def milestone(campaign: Campaign, threshold: int) -> None:
    """Tell the campaign's creator that ``threshold`` signatures were reached."""
    campaign_id = campaign.pk
    transaction.on_commit(lambda: send_milestone(campaign_id, threshold))


# --- the queued tasks -------------------------------------------------------------------


@db_task(retries=RETRIES, retry_delay=RETRY_DELAY, retry_backoff=2)
def send_confirmation(signature_id: int, token: str) -> None:
    deliver_confirmation(signature_id, token)


@db_task(retries=RETRIES, retry_delay=RETRY_DELAY, retry_backoff=2)
def send_duplicate_notice(signature_id: int) -> None:
    deliver_duplicate_notice(signature_id)


@db_task(retries=RETRIES, retry_delay=RETRY_DELAY, retry_backoff=2)
def send_org_confirmation(org_id: int, token: str, language: str) -> None:
    deliver_org_confirmation(org_id, token, language)


@db_task(retries=RETRIES, retry_delay=RETRY_DELAY, retry_backoff=2)
def send_milestone(campaign_id: int, threshold: int) -> None:
    deliver_milestone(campaign_id, threshold)


# --- rendering and sending (each returns whether a message went out) -------------------


def deliver_confirmation(signature_id: int, token: str) -> bool:
    signature = Signature.objects.select_related("campaign").filter(pk=signature_id).first()
    if signature is None or not _reachable(signature):
        return False
    # Flagged signatures get the ordinary email: abuse is never revealed to the abuser.
    if signature.state not in (Signature.State.PENDING, Signature.State.FRAUDULENT):
        return False
    if signature.token_sha256 != _sha256(token):  # a newer link replaced this one
        return False
    language = _language(signature.language)
    context = {
        "link": _absolute("campaign:confirm", token, language),
        "expires_at": signature.token_expires_at,
    }
    message = _render("confirmation", signature.email or "", signature.campaign, language, context)
    return _send(message, "confirmation", f"signature {signature_id}")


def deliver_duplicate_notice(signature_id: int) -> bool:
    signature = Signature.objects.select_related("campaign").filter(pk=signature_id).first()
    if signature is None or not _reachable(signature):
        return False
    language = _language(signature.language)
    message = _render("duplicate", signature.email or "", signature.campaign, language, {})
    return _send(message, "duplicate notice", f"signature {signature_id}")


def deliver_org_confirmation(org_id: int, token: str, language: str) -> bool:
    org = OrgSignature.objects.select_related("campaign").filter(pk=org_id).first()
    if org is None or not org.contact_email or org.state != OrgSignature.State.PENDING:
        return False
    if org.token_sha256 != _sha256(token):
        return False
    language = _language(language)
    context = {
        "link": _absolute("campaign:org-confirm", token, language),
        "expires_at": org.token_expires_at,
        "org": org,
    }
    message = _render("org_confirmation", org.contact_email, org.campaign, language, context)
    return _send(message, "organisation confirmation", f"organisation {org_id}")


def deliver_milestone(campaign_id: int, threshold: int) -> bool:
    campaign = Campaign.objects.select_related("created_by").filter(pk=campaign_id).first()
    if campaign is None or campaign.created_by is None or not campaign.created_by.email:
        return False
    language = _language(campaign.default_language)
    context = {"threshold": threshold, "goal": campaign.goal}
    message = _render("milestone", campaign.created_by.email, campaign, language, context)
    return _send(message, "milestone", f"campaign {campaign_id}")


def _reachable(signature: Signature) -> bool:
    """Still has an address to write to: not anonymized, not removed."""
    return bool(signature.email) and signature.anonymized_at is None


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _language(code: str | None) -> str:
    base = (code or "").split("-")[0].lower()
    return base if base in LANGUAGES else "en"


def _absolute(name: str, token: str, language: str) -> str:
    with translation.override(language):
        path = reverse(name, args=[token])
    return settings.CONFIG.site_url.rstrip("/") + path


def _render(
    kind: str, to: str, campaign: Campaign, language: str, extra: dict[str, Any]
) -> Outgoing:
    with translation.override(language):
        text = campaign.text(language)
        title = text.title if text is not None else campaign.slug
        campaign_path = _campaign_path(campaign, language)
        context: dict[str, Any] = {
            "campaign": campaign,
            "title": title,
            "target": (campaign.target_label_fa if language == "fa" else "")
            or campaign.target_label,
            "campaign_url": settings.CONFIG.site_url.rstrip("/") + campaign_path
            if campaign_path
            else "",
            "site_url": settings.CONFIG.site_url.rstrip("/"),
            "synthetic": campaign.is_synthetic,
            "language": language,
            "direction": "rtl" if translation.get_language_bidi() else "ltr",
            **extra,
        }
        subject = " ".join(render_to_string(f"campaign/email/{kind}.subject.txt", context).split())
        body = render_to_string(f"campaign/email/{kind}.txt", context)
        html = render_to_string(f"campaign/email/{kind}.html", context)
    return Outgoing(to=to, subject=subject, text=body, html=html, language=language)


def _campaign_path(campaign: Campaign, language: str) -> str:
    """The campaign's public page, when the public views are installed."""
    from django.urls import NoReverseMatch

    with translation.override(language):
        try:
            return reverse("campaign:detail", args=[campaign.slug])
        except NoReverseMatch:
            return ""


def _send(message: Outgoing, kind: str, about: str) -> bool:
    sender = settings.CONFIG.mail_from
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.text,
        from_email=sender,
        to=[message.to],
        headers={
            "Message-ID": make_msgid(domain=domain),
            "Auto-Submitted": "auto-generated",
            "X-Auto-Response-Suppress": "All",
            "Content-Language": message.language,
        },
    )
    email.attach_alternative(message.html, "text/html")
    try:
        sent = get_connection(fail_silently=False).send_messages([email])
    except (smtplib.SMTPException, OSError) as exc:
        # SMTP errors may quote the recipient; the log and the queue only see the kind.
        code = getattr(exc, "smtp_code", None)
        reason = type(exc).__name__ + (f" {code}" if code else "")
        log.warning("campaign %s email for %s not sent: %s", kind, about, reason)
        raise MailNotSent(f"{kind} email for {about}: {reason}") from None
    log.info("campaign %s email sent for %s", kind, about)
    return bool(sent)
