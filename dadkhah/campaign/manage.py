"""Organizing campaigns: writing them, moderating them, closing them, recording deliveries.

States (``Campaign.State``) and who may move a campaign between them:

- ``draft`` or ``rejected`` → ``in_review``: :func:`submit_for_review`, by an organizer
  (investigator or administrator); only a draft or a rejected campaign may be edited
  (:func:`save_campaign`), so what the moderator approves is what the public signs.
- ``in_review`` → ``published`` (:func:`approve`) or ``rejected`` with a note
  (:func:`reject`), by a reviewer or an administrator who is not the campaign's creator
  (an administrator may moderate their own).
- ``published`` → ``closed``: :func:`close` by an organizer, or :func:`close_due` for every
  published campaign whose ``closes_at`` has passed (the upkeep runs it).
- On a published or closed campaign an organizer records :class:`Delivery` rows
  (:func:`record_delivery`) and later the recipient's answer (:func:`record_response`).

Every transition locks the row, checks the current state, and saves through
``simple_history`` with who did it and why; an illegal one raises :class:`ManageError`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from dadkhah.accounts.roles import can_edit, role_of
from dadkhah.campaign.models import Campaign, CampaignText, Delivery, OrgSignature, Signature, Tally
from dadkhah.core.confidentiality import Level, Role
from dadkhah.core.errors import FieldError

__all__ = [
    "EDITABLE",
    "RESERVED_SLUGS",
    "CampaignInput",
    "CampaignRow",
    "ManageError",
    "TextInput",
    "approve",
    "campaign_rows",
    "can_moderate",
    "close",
    "close_due",
    "effective_state",
    "parse_milestones",
    "record_delivery",
    "record_response",
    "reject",
    "save_campaign",
    "submit_for_review",
    "word_count",
    "year_after",
]

State = Campaign.State
EDITABLE = (State.DRAFT, State.REJECTED)
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_LANG = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?")
_WORD = re.compile(r"\S+")
# First path segments other pages use under /campaign/manage/ and /<lang>/campaigns/.
RESERVED_SLUGS = frozenset(
    {"new", "rules", "mailbox", "organisations", "confirm", "sign", "manage", "abuse"}
)


class ManageError(FieldError):
    """A campaign change refused as a whole; ``field`` names the offending field."""


@dataclass
class TextInput:
    language: str
    title: str = ""
    summary: str = ""
    body: str = ""

    def is_blank(self) -> bool:
        return not (self.language.strip() or self.title.strip() or self.body.strip())


@dataclass
class CampaignInput:
    """What the organizer's form (or a script) gives; :func:`save_campaign` validates it."""

    slug: str
    kind: str = Campaign.Kind.PETITION
    target_label: str = ""
    target_label_fa: str = ""
    target_body: str = ""  # uid of a public records.Body, or ""
    target_post: str = ""  # uid of a public records.Post, or ""
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    goal: int | None = None
    milestones: list[int] = field(default_factory=list)
    word_limit: int = 2000
    retention_until: date | None = None  # default: closes_at + 1 year
    default_language: str = "en"
    is_synthetic: bool = False
    texts: list[TextInput] = field(default_factory=list)


def word_count(text: str) -> int:
    """Words as the HRC counts them: runs of non-space characters (a Persian zero-width
    non-joiner joins the parts of one word)."""
    return len(_WORD.findall(text))


def year_after(day: date) -> date:
    """The same day a year later (28 February after a 29 February)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def parse_milestones(raw: str) -> list[int]:
    """ "100, 1000" → [100, 1000]; raises ManageError naming the bad value."""
    values: list[int] = []
    for part in re.split(r"[,\s]+", raw.strip()):
        if not part:
            continue
        if not part.isdigit() or int(part) <= 0:
            raise ManageError(f"milestone {part!r} is not a positive whole number", "milestones")
        values.append(int(part))
    return values


def can_moderate(user: Any, campaign: Campaign) -> bool:
    """Reviewers and administrators; not the campaign's creator, unless an administrator."""
    role = role_of(user)
    if role is Role.ADMINISTRATOR:
        return True
    return role is Role.REVIEWER and campaign.created_by_id != getattr(user, "pk", None)


def effective_state(campaign: Campaign, now: datetime | None = None) -> str:
    """The state the public sees: a published campaign past ``closes_at`` is closed."""
    moment = now or timezone.now()
    if (
        campaign.state == State.PUBLISHED
        and campaign.closes_at is not None
        and campaign.closes_at <= moment
    ):
        return str(State.CLOSED)
    return str(campaign.state)


# ---------------------------------------------------------------------------- editing


def _target(model_name: str, uid: str, field_name: str) -> Any:
    from dadkhah.records.claims import visible_records
    from dadkhah.records.models import Body, Post

    if not uid.strip():
        return None
    model = {"body": Body, "post": Post}[model_name]
    found = visible_records(model, Level.PUBLIC).filter(uid=uid.strip()).first()
    if found is None:
        raise ManageError(f"no public {model_name} record {uid.strip()!r}", field_name)
    return found


def _clean(
    data: CampaignInput, campaign: Campaign | None
) -> tuple[dict[str, Any], list[TextInput]]:
    slug = data.slug.strip()
    if not _SLUG.fullmatch(slug) or len(slug) > 80:
        raise ManageError(
            "the slug is lowercase letters, digits and single hyphens, at most 80", "slug"
        )
    if slug in RESERVED_SLUGS:
        raise ManageError(f"{slug!r} is a reserved word; choose another slug", "slug")
    clash = Campaign.objects.filter(slug=slug)
    if campaign is not None:
        clash = clash.exclude(pk=campaign.pk)
    if clash.exists():
        raise ManageError(f"another campaign is already called {slug!r}", "slug")
    if data.kind not in Campaign.Kind.values:
        raise ManageError(f"kind {data.kind!r}; one of {', '.join(Campaign.Kind.values)}", "kind")
    label = data.target_label.strip()
    if not label:
        raise ManageError("name the target (whom the campaign addresses)", "target_label")
    if len(label) > 300 or len(data.target_label_fa.strip()) > 300:
        raise ManageError("the target's name is at most 300 characters", "target_label")
    if data.opens_at and data.closes_at and data.closes_at <= data.opens_at:
        raise ManageError("the campaign must close after it opens", "closes_at")
    if data.goal is not None and data.goal <= 0:
        raise ManageError("the goal is a positive number of signatures", "goal")
    if any(not isinstance(m, int) or isinstance(m, bool) or m <= 0 for m in data.milestones):
        raise ManageError("milestones are positive numbers of signatures", "milestones")
    milestones = sorted(set(data.milestones))
    if data.word_limit <= 0:
        raise ManageError("the word limit is a positive number", "word_limit")
    retention = data.retention_until
    if retention is None:
        if data.closes_at is None:
            raise ManageError(
                "give a retention date (or a closing date: the default is a year after it)",
                "retention_until",
            )
        retention = year_after(data.closes_at.astimezone(UTC).date())
    if data.closes_at is not None and retention < data.closes_at.astimezone(UTC).date():
        raise ManageError(
            "the retention date falls before the campaign closes: signers would be erased "
            "while it still collects",
            "retention_until",
        )
    language = data.default_language.strip()
    texts = [t for t in data.texts if not t.is_blank()]
    seen: set[str] = set()
    for i, text in enumerate(texts, start=1):
        text.language = text.language.strip()
        where = f"texts[{i}]"
        if not _LANG.fullmatch(text.language):
            raise ManageError(
                f"text {i}: language {text.language!r} is not a language code such as en or fa",
                f"{where}.language",
            )
        if text.language in seen:
            raise ManageError(f"two texts in {text.language}", f"{where}.language")
        seen.add(text.language)
        text.title, text.summary, text.body = (
            text.title.strip(),
            text.summary.strip(),
            text.body.strip(),
        )
        if not text.title or not text.body:
            raise ManageError(f"text in {text.language}: give a title and a body", f"{where}.title")
        if len(text.title) > 300:
            raise ManageError(
                f"text in {text.language}: the title is at most 300 characters", f"{where}.title"
            )
        words = word_count(text.body)
        if data.kind == Campaign.Kind.STATEMENT and words > data.word_limit:
            raise ManageError(
                f"text in {text.language}: {words} words, over the limit of {data.word_limit}",
                f"{where}.body",
            )
    if not texts:
        raise ManageError("write the campaign's text in at least one language", "texts")
    if language not in seen:
        raise ManageError(
            f"the main language is {language!r} but there is no text in it", "default_language"
        )
    values = {
        "slug": slug,
        "kind": data.kind,
        "target_label": label,
        "target_label_fa": data.target_label_fa.strip(),
        "target_body": _target("body", data.target_body, "target_body"),
        "target_post": _target("post", data.target_post, "target_post"),
        "opens_at": data.opens_at,
        "closes_at": data.closes_at,
        "goal": data.goal,
        "milestones": milestones,
        "word_limit": data.word_limit,
        "retention_until": retention,
        "default_language": language,
        "is_synthetic": data.is_synthetic,
    }
    return values, texts


def _save(campaign: Campaign, user: Any, reason: str) -> None:
    campaign._history_user = user  # type: ignore[attr-defined]
    campaign._change_reason = reason  # type: ignore[attr-defined]
    campaign.save()


def save_campaign(data: CampaignInput, user: Any, campaign: Campaign | None = None) -> Campaign:
    """Create a draft (``campaign`` None) or edit a draft or rejected campaign, texts included.

    Texts not given are removed; a statement's texts must keep within its word limit.
    """
    if not can_edit(user):
        raise ManageError("only investigators and administrators write campaigns")
    with transaction.atomic():
        if campaign is not None:
            campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
            if campaign.state not in EDITABLE:
                raise ManageError(
                    f"a campaign {campaign.get_state_display().lower()} cannot be edited; "
                    "only drafts and rejected campaigns can",
                    "state",
                )
        values, texts = _clean(data, campaign)
        if campaign is None:
            campaign = Campaign(created_by=user, **values)
            reason = "created"
        else:
            for name, value in values.items():
                setattr(campaign, name, value)
            reason = "edited"
        try:
            with transaction.atomic():
                _save(campaign, user, reason)
        except IntegrityError as exc:  # a concurrent create took the slug
            raise ManageError(
                f"another campaign is already called {values['slug']!r}", "slug"
            ) from exc
        existing = {t.language: t for t in campaign.texts.all()}
        for text in texts:
            row = existing.pop(text.language, None) or CampaignText(
                campaign=campaign, language=text.language
            )
            if (row.pk, row.title, row.summary, row.body) != (
                None,
                text.title,
                text.summary,
                text.body,
            ):
                row.title, row.summary, row.body = text.title, text.summary, text.body
                row._history_user = user  # type: ignore[attr-defined]
                row.save()
        for row in existing.values():
            row._history_user = user  # type: ignore[attr-defined]
            row.delete()
    return campaign


# ---------------------------------------------------------------------------- transitions


def _locked(campaign: Campaign, allowed: tuple[str, ...], action: str) -> Campaign:
    fresh = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if fresh.state not in allowed:
        names = " or ".join(str(State(s).label).lower() for s in allowed)
        raise ManageError(
            f"cannot {action} a campaign that is {fresh.get_state_display().lower()} "
            f"(only one that is {names})",
            "state",
        )
    return fresh


def submit_for_review(campaign: Campaign, user: Any) -> Campaign:
    """draft or rejected → in_review."""
    if not can_edit(user):
        raise ManageError("only investigators and administrators submit campaigns")
    with transaction.atomic():
        fresh = _locked(campaign, EDITABLE, "submit for moderation")
        if not fresh.texts.exists():
            raise ManageError("write the campaign's text before submitting it", "texts")
        fresh.state = State.IN_REVIEW
        _save(fresh, user, "submitted for moderation")
    return fresh


def approve(campaign: Campaign, user: Any, note: str = "") -> Campaign:
    """in_review → published."""
    if not can_moderate(user, campaign):
        raise ManageError("only a reviewer or an administrator other than its creator moderates")
    with transaction.atomic():
        fresh = _locked(campaign, (State.IN_REVIEW,), "approve")
        if not can_moderate(user, fresh):
            raise ManageError(
                "only a reviewer or an administrator other than its creator moderates"
            )
        now = timezone.now()
        if fresh.closes_at is not None and fresh.closes_at <= now:
            raise ManageError("its closing date has passed: edit the dates first", "closes_at")
        fresh.state = State.PUBLISHED
        fresh.moderated_by, fresh.moderated_at = user, now
        fresh.moderation_note = note.strip()
        _save(fresh, user, "approved" + (f": {note.strip()}" if note.strip() else ""))
    return fresh


def reject(campaign: Campaign, user: Any, note: str) -> Campaign:
    """in_review → rejected; the note tells the organizer why."""
    if not can_moderate(user, campaign):
        raise ManageError("only a reviewer or an administrator other than its creator moderates")
    if not note.strip():
        raise ManageError("say why the campaign is rejected", "note")
    with transaction.atomic():
        fresh = _locked(campaign, (State.IN_REVIEW,), "reject")
        if not can_moderate(user, fresh):
            raise ManageError(
                "only a reviewer or an administrator other than its creator moderates"
            )
        fresh.state = State.REJECTED
        fresh.moderated_by, fresh.moderated_at = user, timezone.now()
        fresh.moderation_note = note.strip()
        _save(fresh, user, f"rejected: {note.strip()}")
    return fresh


def close(campaign: Campaign, user: Any, now: datetime | None = None) -> Campaign:
    """published → closed: signing stops, the public page becomes a read-only archive."""
    if not can_edit(user):
        raise ManageError("only investigators and administrators close campaigns")
    with transaction.atomic():
        fresh = _locked(campaign, (State.PUBLISHED,), "close")
        fresh.state = State.CLOSED
        fresh.closed_at = now or timezone.now()
        _save(fresh, user, "closed")
    return fresh


def close_due(now: datetime | None = None) -> list[str]:
    """Close every published campaign whose ``closes_at`` has passed; their slugs.

    ``closed_at`` is the closing date itself: that is when signing stopped.
    """
    moment = now or timezone.now()
    closed: list[str] = []
    due = Campaign.objects.filter(state=State.PUBLISHED, closes_at__lte=moment)
    for pk in due.order_by("closes_at", "pk").values_list("pk", flat=True):
        with transaction.atomic():
            fresh = Campaign.objects.select_for_update().get(pk=pk)
            if fresh.state != State.PUBLISHED or fresh.closes_at is None:
                continue
            if fresh.closes_at > moment:
                continue
            fresh.state = State.CLOSED
            fresh.closed_at = fresh.closes_at
            _save(fresh, None, "closed automatically at its closing date")
            closed.append(fresh.slug)
    return closed


# ---------------------------------------------------------------------------- deliveries


def record_delivery(
    campaign: Campaign,
    user: Any,
    *,
    recipient: str,
    delivered_at: datetime | None,
    method: str,
    reference: str = "",
    ledger_seq: int | None = None,
) -> Delivery:
    """Record that the signatures went to ``recipient``. ``ledger_seq`` names the package's
    ``campaign-delivery`` ledger entry; its manifest hash is copied onto the delivery."""
    from dadkhah.vault.models import LedgerEntry

    if not can_edit(user):
        raise ManageError("only investigators and administrators record deliveries")
    if not recipient.strip():
        raise ManageError("name the recipient", "recipient")
    if not method.strip():
        raise ManageError("say how it was delivered", "method")
    if delivered_at is None:
        raise ManageError("give the date of the delivery", "delivered_at")
    if delivered_at > timezone.now() + timedelta(days=1):
        raise ManageError("the delivery date is in the future", "delivered_at")
    package = ""
    if ledger_seq is not None:
        entry = LedgerEntry.objects.filter(seq=ledger_seq, event="campaign-delivery").first()
        details = json.loads(entry.body).get("details", {}) if entry is not None else {}
        if entry is None or details.get("campaign") != campaign.slug:
            raise ManageError(
                f"ledger entry {ledger_seq} is not a delivery package of {campaign.slug}",
                "ledger_seq",
            )
        package = str(details.get("manifest", "")).removeprefix("sha256:")
    with transaction.atomic():
        _locked(campaign, (State.PUBLISHED, State.CLOSED), "record a delivery of")
        delivery = Delivery(
            campaign=campaign,
            recipient=recipient.strip()[:300],
            delivered_at=delivered_at,
            method=method.strip()[:200],
            reference=reference.strip()[:300],
            package_sha256=package,
            ledger_seq=ledger_seq,
            recorded_by=user,
        )
        delivery._history_user = user  # type: ignore[attr-defined]
        delivery._change_reason = "delivery recorded"  # type: ignore[attr-defined]
        delivery.save()
    return delivery


def record_response(
    delivery: Delivery, user: Any, response: str, response_at: datetime | None
) -> Delivery:
    """Record (or correct) the recipient's answer to a delivery."""
    if not can_edit(user):
        raise ManageError("only investigators and administrators record responses")
    if not response.strip():
        raise ManageError("write the response (or a summary of it)", "response")
    if response_at is None:
        raise ManageError("give the date of the response", "response_at")
    if response_at < delivery.delivered_at:
        raise ManageError("the response is dated before the delivery", "response_at")
    delivery.response, delivery.response_at = response.strip(), response_at
    delivery._history_user = user  # type: ignore[attr-defined]
    delivery._change_reason = "response recorded"  # type: ignore[attr-defined]
    delivery.save(update_fields=["response", "response_at"])
    return delivery


# ---------------------------------------------------------------------------- listing


@dataclass(frozen=True)
class CampaignRow:
    """One campaign in the organizers' list, with its counts."""

    campaign: Campaign
    state: str  # effective: a published campaign past its closing date shows as closed
    title: str
    pending: int
    validated: int
    fraudulent: int
    invalidated: int
    counted: int  # signatures the tally counted (lags by seconds; never goes down)
    removed: int
    organisations: int
    deliveries: int

    def as_dict(self) -> dict[str, Any]:
        c = self.campaign
        return {
            "slug": c.slug,
            "kind": c.kind,
            "state": self.state,
            "stored_state": c.state,
            "title": self.title,
            "opens_at": c.opens_at.isoformat() if c.opens_at else None,
            "closes_at": c.closes_at.isoformat() if c.closes_at else None,
            "retention_until": c.retention_until.isoformat(),
            "synthetic": c.is_synthetic,
            "signatures": {
                "pending": self.pending,
                "validated": self.validated,
                "fraudulent": self.fraudulent,
                "invalidated": self.invalidated,
            },
            "counted": self.counted,
            "removed": self.removed,
            "organisations": self.organisations,
            "deliveries": self.deliveries,
        }


def campaign_rows(now: datetime | None = None) -> list[CampaignRow]:
    """Every campaign, newest first, with its signature counts by state (four queries)."""
    moment = now or timezone.now()
    campaigns = list(
        Campaign.objects.prefetch_related("texts")
        .annotate(deliveries_n=Count("deliveries", distinct=True))
        .order_by("-created_at", "-id")
    )
    by_state: dict[tuple[int, str], int] = {
        (row["campaign_id"], row["state"]): row["n"]
        for row in Signature.objects.values("campaign_id", "state")
        .order_by()
        .annotate(n=Count("id"))
    }
    tallies = {
        row["campaign_id"]: (row["signed"] or 0, row["removed"] or 0)
        for row in Tally.objects.values("campaign_id")
        .order_by()
        .annotate(signed=Sum("signed"), removed=Sum("removed"))
    }
    orgs = dict(
        OrgSignature.objects.filter(~Q(state=OrgSignature.State.REJECTED))
        .values("campaign_id")
        .order_by()
        .annotate(n=Count("id"))
        .values_list("campaign_id", "n")
    )
    rows = []
    for c in campaigns:
        text = c.text(c.default_language)
        signed, removed = tallies.get(c.pk, (0, 0))
        rows.append(
            CampaignRow(
                campaign=c,
                state=effective_state(c, moment),
                title=text.title if text else c.slug,
                pending=by_state.get((c.pk, Signature.State.PENDING), 0),
                validated=by_state.get((c.pk, Signature.State.VALIDATED), 0),
                fraudulent=by_state.get((c.pk, Signature.State.FRAUDULENT), 0),
                invalidated=by_state.get((c.pk, Signature.State.INVALIDATED), 0),
                counted=signed,
                removed=removed,
                organisations=orgs.get(c.pk, 0),
                deliveries=c.deliveries_n,  # type: ignore[attr-defined]
            )
        )
    return rows
