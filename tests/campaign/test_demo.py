"""The demo's campaigns: created once, synthetic, in English and Persian."""

from __future__ import annotations

from typing import Any

from django.test import Client

from dadkhah.campaign import signing
from dadkhah.campaign.demo import PETITION_SLUG, STATEMENT_SLUG, ensure_demo_campaigns
from dadkhah.campaign.models import Campaign, CampaignText


def test_demo_campaigns_are_created_once(db: Any) -> None:
    first = ensure_demo_campaigns()
    again = ensure_demo_campaigns()
    assert [c.pk for c in first] == [c.pk for c in again]
    assert Campaign.objects.count() == 2
    assert CampaignText.objects.count() == 4
    petition = Campaign.objects.get(slug=PETITION_SLUG)
    statement = Campaign.objects.get(slug=STATEMENT_SLUG)
    assert petition.kind == Campaign.Kind.PETITION and statement.kind == Campaign.Kind.STATEMENT
    assert petition.target_label == "UN High Commissioner for Human Rights"
    assert statement.target_label == "UN Human Rights Council"
    assert petition.goal == 1000 and petition.milestones == [10, 100, 500]
    assert statement.word_limit == 2000
    for campaign in (petition, statement):
        assert campaign.is_synthetic and campaign.is_open()
        assert signing.open_problem(campaign) == ""
        assert (campaign.closes_at - campaign.opens_at).days == 365
        assert campaign.retention_until > campaign.closes_at.date()
        en, fa = campaign.text("en"), campaign.text("fa")
        assert en is not None and en.language == "en" and "Demo text" in en.body
        assert fa is not None and fa.language == "fa" and "متن نمایشی" in fa.body
        assert "synthetic" in en.title and "ساختگی" in fa.title
        assert len(en.body.split()) <= campaign.word_limit


def test_demo_petition_page_says_synthetic(client: Client, db: Any) -> None:
    ensure_demo_campaigns()
    for lang, words in (("en", ["Synthetic", "Demo text"]), ("fa", ["ساختگی", "متن نمایشی"])):
        page = client.get(f"/{lang}/campaigns/{PETITION_SLUG}/").content.decode()
        for word in words:
            assert word in page
        listing = client.get(f"/{lang}/campaigns/").content.decode()
        assert PETITION_SLUG in listing and STATEMENT_SLUG in listing
