"""``/campaigns/<slug>/count.json``: a campaign's public count, for pages and other sites.

The numbers come from the tally (:func:`dadkhah.campaign.tally.public_count`), never from
counting signatures, and the response is cached (:func:`dadkhah.campaign.cache.public_cache`):
fresh for 5 seconds, served stale while it is refreshed and when the database fails.
``signed`` never goes down; signatures removed after review are ``removed``.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path

from dadkhah.campaign import tally
from dadkhah.campaign.cache import public_cache
from dadkhah.campaign.models import Campaign

__all__ = ["count", "public_urls", "root_urls", "staff_urls"]


@public_cache(fresh=5, vary_cookie=False)
def count(request: HttpRequest, slug: str) -> JsonResponse:
    campaign = get_object_or_404(
        Campaign, slug=slug, state__in=(Campaign.State.PUBLISHED, Campaign.State.CLOSED)
    )
    counted = tally.public_count(campaign)
    return JsonResponse(
        {
            "campaign": campaign.slug,
            "synthetic": campaign.is_synthetic,
            "signed": counted.signed,
            "removed": counted.removed,
            "by_country": counted.by_country,
            "goal": counted.goal,
            "milestones_reached": counted.milestones_reached,
            "as_of": counted.as_of.isoformat(timespec="seconds"),
        }
    )


public_urls: list[URLPattern] = []  # under /<lang>/campaigns/
root_urls: list[URLPattern] = [  # under /campaigns/ (no language prefix)
    path("<slug:slug>/count.json", count, name="count"),
]
staff_urls: list[URLPattern] = []  # under /campaign/manage/
