"""Template tags for the organisations shown with a statement (``campaign/orgs/_list.html``)."""

from __future__ import annotations

from django import template

from dadkhah.campaign import orgs, signing
from dadkhah.campaign.models import Campaign, OrgSignature
from dadkhah.core.languages import page_language

__all__ = ["approved_organisations", "country_label"]

register = template.Library()


@register.simple_tag
def approved_organisations(campaign: Campaign) -> list[OrgSignature]:
    """The approved organisations of ``campaign``, in the Human Rights Council's order."""
    return orgs.approved(campaign)


@register.simple_tag
def country_label(code: str) -> str:
    """The country's name in the page's language."""
    return signing.country_name(code, page_language())
