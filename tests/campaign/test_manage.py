"""Organizers: writing, moderating, closing campaigns, recording deliveries; the staff pages
and `dadkhah campaign list / close-due`."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from django.test import Client
from django.utils import timezone

from dadkhah.cli import main
from tests.campaign.conftest import make_campaign

pytestmark = pytest.mark.django_db

CLOSES = datetime(2031, 6, 30, 12, 0, tzinfo=UTC)


def _input(**fields: Any) -> Any:
    from dadkhah.campaign.manage import CampaignInput, TextInput

    values: dict[str, Any] = {
        "slug": "call-1988",
        "kind": "petition",
        "target_label": "UN Human Rights Council",
        "target_label_fa": "شورای حقوق بشر سازمان ملل",
        "opens_at": CLOSES - timedelta(days=60),
        "closes_at": CLOSES,
        "goal": 5000,
        "milestones": [1000, 100],
        "is_synthetic": True,
        "texts": [
            TextInput("en", "A synthetic call", "", "We ask for justice."),
            TextInput("fa", "فراخوانی ساختگی", "", "ما خواستار دادخواهی هستیم."),
        ],
    }
    values.update(fields)
    return CampaignInput(**values)


def _login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


# ---------------------------------------------------------------------------- domain


def test_create_defaults_retention_to_a_year_after_closing(users):
    from dadkhah.campaign.manage import save_campaign

    campaign = save_campaign(_input(), users["investigator"])
    assert campaign.state == "draft"
    assert campaign.retention_until == date(2032, 6, 30)
    assert campaign.milestones == [100, 1000]
    assert sorted(t.language for t in campaign.texts.all()) == ["en", "fa"]
    assert campaign.created_by == users["investigator"]
    assert campaign.history.first().history_user == users["investigator"]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"slug": "Bad Slug"}, "slug", "lowercase"),
        ({"slug": "new"}, "slug", "reserved"),
        ({"target_label": "  "}, "target_label", "target"),
        ({"opens_at": CLOSES}, "closes_at", "close after"),
        ({"closes_at": None}, "retention_until", "retention"),
        ({"retention_until": date(2031, 1, 1)}, "retention_until", "before the campaign closes"),
        ({"kind": "manifesto"}, "kind", "kind"),
        ({"goal": 0}, "goal", "positive"),
        ({"default_language": "de"}, "default_language", "no text"),
        ({"texts": []}, "texts", "at least one"),
    ],
)
def test_bad_input_is_refused_naming_the_field(users, fields, field, message):
    from dadkhah.campaign.manage import ManageError, save_campaign
    from dadkhah.campaign.models import Campaign

    with pytest.raises(ManageError, match=message) as caught:
        save_campaign(_input(**fields), users["investigator"])
    assert caught.value.field == field
    assert not Campaign.objects.exists()


def test_statement_over_its_word_limit_is_refused(users):
    from dadkhah.campaign.manage import ManageError, TextInput, save_campaign, word_count

    body = " ".join(["word"] * 11)
    assert word_count(body) == 11 and word_count("نیم‌فاصله یک واژه است") == 4
    texts = [TextInput("en", "Statement", "", body)]
    with pytest.raises(ManageError, match="11 words, over the limit of 10") as caught:
        save_campaign(_input(kind="statement", word_limit=10, texts=texts), users["investigator"])
    assert caught.value.field == "texts[1].body"
    # at the limit it is accepted
    save_campaign(_input(kind="statement", word_limit=11, texts=texts), users["investigator"])


def test_reviewers_cannot_write_and_the_slug_is_unique(users):
    from dadkhah.campaign.manage import ManageError, save_campaign

    with pytest.raises(ManageError, match="investigators and administrators"):
        save_campaign(_input(), users["reviewer"])
    save_campaign(_input(), users["investigator"])
    with pytest.raises(ManageError, match="already called") as caught:
        save_campaign(_input(), users["administrator"])
    assert caught.value.field == "slug"


def test_the_whole_life_of_a_campaign_is_kept_in_history(users):
    from dadkhah.campaign import manage

    inv, rev, admin = users["investigator"], users["reviewer"], users["administrator"]
    campaign = manage.save_campaign(_input(), inv)
    manage.submit_for_review(campaign, inv)
    with pytest.raises(manage.ManageError, match="say why"):
        manage.reject(campaign, rev, "  ")
    manage.reject(campaign, rev, "Name the Special Rapporteur precisely.")
    campaign.refresh_from_db()
    assert (campaign.state, campaign.moderated_by) == ("rejected", rev)
    manage.save_campaign(_input(target_label="Special Rapporteur on Iran"), inv, campaign)
    manage.submit_for_review(campaign, inv)
    with pytest.raises(manage.ManageError, match="cannot be edited"):
        manage.save_campaign(_input(), inv, campaign)
    manage.approve(campaign, rev, "Clear and accurate.")
    campaign.refresh_from_db()
    assert campaign.state == "published" and campaign.moderation_note == "Clear and accurate."
    moment = CLOSES - timedelta(days=1)
    manage.close(campaign, admin, now=moment)
    campaign.refresh_from_db()
    assert (campaign.state, campaign.closed_at) == ("closed", moment)
    assert campaign.is_open(moment) is False
    reasons = [
        (h.state, h.history_change_reason, h.history_user)
        for h in campaign.history.order_by("history_date", "history_id")
    ]
    assert reasons == [
        ("draft", "created", inv),
        ("in_review", "submitted for moderation", inv),
        ("rejected", "rejected: Name the Special Rapporteur precisely.", rev),
        ("rejected", "edited", inv),
        ("in_review", "submitted for moderation", inv),
        ("published", "approved: Clear and accurate.", rev),
        ("closed", "closed", admin),
    ]


@pytest.mark.parametrize(
    ("state", "action"),
    [
        ("draft", "approve"),
        ("draft", "close"),
        ("in_review", "close"),
        ("in_review", "submit"),
        ("published", "submit"),
        ("published", "reject"),
        ("closed", "close"),
        ("closed", "approve"),
        ("rejected", "approve"),
    ],
)
def test_illegal_transitions_say_why(users, state, action):
    from dadkhah.campaign import manage

    campaign = make_campaign("t", state=state, created_by=users["investigator"])
    calls = {
        "submit": lambda: manage.submit_for_review(campaign, users["investigator"]),
        "approve": lambda: manage.approve(campaign, users["reviewer"]),
        "reject": lambda: manage.reject(campaign, users["reviewer"], "no"),
        "close": lambda: manage.close(campaign, users["investigator"]),
    }
    with pytest.raises(manage.ManageError, match="cannot .* a campaign that is") as caught:
        calls[action]()
    assert caught.value.field == "state"
    campaign.refresh_from_db()
    assert campaign.state == state


def test_creator_cannot_moderate_unless_administrator(users):
    from dadkhah.campaign import manage

    rev, admin = users["reviewer"], users["administrator"]
    by_reviewer = make_campaign("by-rev", state="in_review", created_by=rev)
    with pytest.raises(manage.ManageError, match="other than its creator"):
        manage.approve(by_reviewer, rev)
    with pytest.raises(manage.ManageError, match="other than its creator"):
        manage.approve(by_reviewer, users["investigator"])
    by_admin = make_campaign("by-admin", state="in_review", created_by=admin)
    assert manage.approve(by_admin, admin).state == "published"


def test_close_due_closes_published_campaigns_past_their_date(users):
    from dadkhah.campaign import manage

    now = timezone.now()
    past = make_campaign("past", closes_at=now - timedelta(hours=1))
    make_campaign("open-still", closes_at=now + timedelta(days=1))
    make_campaign("draft-past", state="draft", closes_at=now - timedelta(days=1))
    assert manage.effective_state(past, now) == "closed" and past.state == "published"
    assert manage.close_due(now) == ["past"]
    past.refresh_from_db()
    assert (past.state, past.closed_at) == ("closed", past.closes_at)
    assert past.history.first().history_change_reason == "closed automatically at its closing date"
    assert manage.close_due(now) == []


def test_deliveries_and_responses(users, home, tmp_path):
    from dadkhah.campaign import manage
    from dadkhah.campaign.delivery import make_package

    inv = users["investigator"]
    draft = make_campaign("d", state="draft")
    with pytest.raises(manage.ManageError, match="record a delivery of a campaign that is draft"):
        manage.record_delivery(
            draft, inv, recipient="OHCHR", delivered_at=timezone.now(), method="email"
        )
    campaign = make_campaign("delivered", state="closed")
    other = make_campaign("other", state="closed")
    made = make_package(campaign, tmp_path / "p", "organizer", "OHCHR")
    wrong = make_package(other, tmp_path / "q", "organizer", "OHCHR")
    when = datetime(2026, 9, 1, 10, 0, tzinfo=UTC)
    with pytest.raises(manage.ManageError, match="not a delivery package of delivered") as caught:
        manage.record_delivery(
            campaign,
            inv,
            recipient="OHCHR",
            delivered_at=when,
            method="by hand",
            ledger_seq=wrong.ledger_seq,
        )
    assert caught.value.field == "ledger_seq"
    with pytest.raises(manage.ManageError, match="recipient"):
        manage.record_delivery(campaign, inv, recipient=" ", delivered_at=when, method="x")
    delivery = manage.record_delivery(
        campaign,
        inv,
        recipient="OHCHR",
        delivered_at=when,
        method="by hand",
        reference="A/HRC/60/NGO/1",
        ledger_seq=made.ledger_seq,
    )
    assert "sha256:" + delivery.package_sha256 == made.manifest_sha256
    with pytest.raises(manage.ManageError, match="before the delivery"):
        manage.record_response(delivery, inv, "Received.", when - timedelta(days=1))
    manage.record_response(delivery, inv, "Acknowledged by letter.", when + timedelta(days=9))
    delivery.refresh_from_db()
    assert delivery.response == "Acknowledged by letter."
    assert delivery.history.count() == 2
    with pytest.raises(manage.ManageError):
        manage.record_delivery(
            campaign, users["reviewer"], recipient="x", delivered_at=when, method="x"
        )


def test_rows_count_signatures_by_state(users):
    from dadkhah.campaign.manage import campaign_rows
    from dadkhah.campaign.models import Signature, Tally

    campaign = make_campaign("counted")
    make_campaign("empty")
    for i, state in enumerate(["validated", "validated", "pending", "fraudulent", "invalidated"]):
        Signature.objects.create(
            campaign=campaign,
            state=state,
            name=f"S {i}",
            country="IR",
            email=f"s{i}@example.org",
            email_normalized=f"s{i}@example.org",
        )
    Tally.objects.create(campaign=campaign, country="IR", signed=2, removed=1)
    rows = {r.campaign.slug: r for r in campaign_rows()}
    row = rows["counted"]
    assert (row.validated, row.pending, row.fraudulent, row.invalidated) == (2, 1, 1, 1)
    assert (row.counted, row.removed) == (2, 1)
    assert rows["empty"].validated == 0


# ---------------------------------------------------------------------------- pages


def _form(**fields: str) -> dict[str, str]:
    data = {
        "slug": "web-call",
        "kind": "statement",
        "target_label": "UN Human Rights Council",
        "closes_at": "2031-06-30T12:00",
        "word_limit": "5",
        "default_language": "en",
        "milestones": "10, 100",
        "is_synthetic": "on",
        "text-0-language": "en",
        "text-0-title": "A synthetic statement",
        "text-0-body": "We call for justice now.",
        "text-1-language": "",
        "text-1-title": "",
        "text-1-body": "",
    }
    data.update(fields)
    return data


def test_pages_need_a_staff_login(users):
    anonymous = Client()
    response = anonymous.get("/campaign/manage/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    reviewer = _login(users["reviewer"])
    assert reviewer.get("/campaign/manage/").status_code == 200
    assert reviewer.get("/campaign/manage/new/").status_code == 403


def test_create_edit_submit_and_moderate_through_the_pages(users):
    from dadkhah.campaign.models import Campaign

    inv = _login(users["investigator"])
    page = inv.get("/campaign/manage/new/")
    assert b"campaign/manage.js" in page.content and b"<script>" not in page.content
    over = inv.post(
        "/campaign/manage/new/", _form(**{"text-0-body": "one two three four five six"})
    )
    assert over.status_code == 400 and b"6 words, over the limit of 5" in over.content
    assert b"one two three four five six" in over.content  # kept for correcting
    assert not Campaign.objects.exists()
    added = inv.post(
        "/campaign/manage/new/",
        _form(**{"text-1-language": "fa", "text-1-title": "بیانیه", "text-1-body": "ما دادخواهیم"}),
    )
    assert added.status_code == 302 and added["Location"] == "/campaign/manage/web-call/"
    campaign = Campaign.objects.get(slug="web-call")
    assert sorted(campaign.texts.values_list("language", flat=True)) == ["en", "fa"]
    assert campaign.retention_until == date(2032, 6, 30)
    edit = inv.get("/campaign/manage/web-call/edit/")
    assert edit.status_code == 200 and "بیانیه" in edit.content.decode()
    removed = inv.post(
        "/campaign/manage/web-call/edit/",
        _form(
            **{
                "text-1-language": "fa",
                "text-1-title": "x",
                "text-1-body": "y",
                "text-1-remove": "on",
            }
        ),
    )
    assert removed.status_code == 302
    assert list(campaign.texts.values_list("language", flat=True)) == ["en"]
    assert inv.post("/campaign/manage/web-call/state/", {"action": "submit"}).status_code == 302
    refused = inv.post("/campaign/manage/web-call/state/", {"action": "approve"})
    assert refused.status_code == 400 and b"other than its creator" in refused.content
    rev = _login(users["reviewer"])
    page = rev.get("/campaign/manage/web-call/")
    assert b"Approve and publish" in page.content
    assert (
        rev.post(
            "/campaign/manage/web-call/state/", {"action": "approve", "note": "ok"}
        ).status_code
        == 302
    )
    campaign.refresh_from_db()
    assert campaign.state == "published"
    again = rev.post("/campaign/manage/web-call/state/", {"action": "approve"})
    assert (
        again.status_code == 400 and b"cannot approve a campaign that is published" in again.content
    )
    listing = inv.get("/campaign/manage/").content.decode()
    assert "web-call" in listing and "Synthetic" in listing


def test_close_package_and_delivery_through_the_pages(
    users, home, django_capture_on_commit_callbacks
):
    import io
    import zipfile

    from dadkhah.campaign.models import Signature
    from dadkhah.vault.models import LedgerEntry

    campaign = make_campaign("to-deliver")
    Signature.objects.create(
        campaign=campaign,
        state="validated",
        name="Synthetic Person",
        country="SE",
        email="p@example.org",
        email_normalized="p@example.org",
        confirmed_at=timezone.now(),
    )
    inv = _login(users["investigator"])
    assert inv.post("/campaign/manage/to-deliver/state/", {"action": "close"}).status_code == 302
    campaign.refresh_from_db()
    assert campaign.state == "closed"
    missing = inv.post("/campaign/manage/to-deliver/package/", {"requester": ""})
    assert missing.status_code == 400 and b"for whom" in missing.content
    from huey.contrib.djhuey import HUEY

    before, HUEY.immediate = HUEY.immediate, True  # the queue runs the task at once
    try:
        with django_capture_on_commit_callbacks(execute=True):
            asked = inv.post("/campaign/manage/to-deliver/package/", {"requester": "OHCHR"})
    finally:
        HUEY.immediate = before
    assert asked.status_code == 303
    assert "is ready" in inv.get(asked["Location"]).content.decode()
    response = inv.get(asked["Location"] + "zip/")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        csv_text = archive.read("to-deliver-delivery/signatures.csv").decode()
    assert "Synthetic Person" in csv_text and "p@example.org" not in csv_text
    entry = LedgerEntry.objects.get(event="campaign-delivery")
    assert entry.actor == users["investigator"].username
    recorded = inv.post(
        "/campaign/manage/to-deliver/deliveries/",
        {
            "recipient": "OHCHR",
            "delivered_at": "2026-09-01T10:00",
            "method": "by email",
            "ledger_seq": str(entry.seq),
        },
    )
    assert recorded.status_code == 302
    delivery = campaign.deliveries.get()
    answered = inv.post(
        f"/campaign/manage/to-deliver/deliveries/{delivery.pk}/response/",
        {"response": "Acknowledged.", "response_at": "2026-09-10T09:00"},
    )
    assert answered.status_code == 302
    page = inv.get("/campaign/manage/to-deliver/").content.decode()
    assert "Acknowledged." in page and f"ledger entry {entry.seq}" in page
    assert (
        _login(users["reviewer"])
        .post("/campaign/manage/to-deliver/package/", {"requester": "x"})
        .status_code
        == 403
    )


def test_templates_have_no_inline_script(users):
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "dadkhah" / "campaign" / "templates" / "campaign"
    for template in [*root.glob("manage/*.html"), *root.glob("delivery/*.html")]:
        text = template.read_text("utf-8")
        assert "<script>" not in text and " on" + "click=" not in text, template


# ---------------------------------------------------------------------------- CLI


def test_cli_list_and_close_due(users):
    now = timezone.now()
    make_campaign("cli-past", closes_at=now - timedelta(minutes=5))
    make_campaign("cli-open")
    listed = CliRunner().invoke(main, ["campaign", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = {r["slug"]: r for r in map(json.loads, listed.stdout.splitlines())}
    assert rows["cli-past"]["state"] == "closed" and rows["cli-past"]["stored_state"] == "published"
    assert rows["cli-open"]["signatures"]["validated"] == 0
    assert "email" not in listed.stdout
    closed = CliRunner().invoke(main, ["campaign", "close-due", "--json"])
    assert closed.exit_code == 0, closed.output
    assert [json.loads(line) for line in closed.stdout.splitlines()] == [{"closed": "cli-past"}]
    text = CliRunner().invoke(main, ["campaign", "list"])
    assert "cli-past (synthetic)" in text.stdout and "closed" in text.stdout
