"""Shared builders for the campaign's tests. Every campaign and signer here is synthetic."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone


def make_campaign(slug: str = "justice-1988", **fields: Any) -> Any:
    """A published, open petition with English and Persian text."""
    from dadkhah.campaign.models import Campaign, CampaignText

    values: dict[str, Any] = {
        "kind": Campaign.Kind.PETITION,
        "state": Campaign.State.PUBLISHED,
        "target_label": "UN High Commissioner for Human Rights",
        "target_label_fa": "کمیسر عالی حقوق بشر سازمان ملل",
        "opens_at": timezone.now() - timedelta(days=1),
        "closes_at": timezone.now() + timedelta(days=30),
        "goal": 1000,
        "milestones": [10, 100],
        "retention_until": date.today() + timedelta(days=365),
        "is_synthetic": True,
    }
    values.update(fields)
    campaign = Campaign.objects.create(slug=slug, **values)
    CampaignText.objects.create(
        campaign=campaign,
        language="en",
        title="Test petition (synthetic)",
        summary="A synthetic petition for tests.",
        body="We ask for an independent investigation.",
    )
    CampaignText.objects.create(
        campaign=campaign,
        language="fa",
        title="دادخواست آزمایشی (ساختگی)",
        summary="دادخواستی ساختگی برای آزمون.",
        body="ما خواستار تحقیقی مستقل هستیم.",
    )
    return campaign


@pytest.fixture
def open_campaign(db: Any) -> Any:
    return make_campaign()
