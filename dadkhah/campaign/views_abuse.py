"""Moderators' abuse pages and the proof-of-work challenge endpoint.

- ``/campaign/manage/<slug>/abuse/``: a campaign's signatures counted by state and by flag
  reason (never an address or an email), removal by network range or email domain with a
  preview count before confirming, and the removals made so far;
- ``/campaign/manage/rules/``: the allow and block lists;
- ``/campaigns/pow-challenge.json``: a fresh proof-of-work challenge for the sign form.

Only reviewers and administrators reach the staff pages (403 for anyone else); every change
is a POST with Django's CSRF check.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import URLPattern, path, reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_http_methods

from dadkhah.campaign import abuse
from dadkhah.campaign.models import AccessRule, Campaign, Invalidation, Signature

__all__ = ["abuse_page", "challenge", "public_urls", "root_urls", "rules_page", "staff_urls"]

SHOWN = 100  # the newest invalidations and rules listed


def _moderator(request: HttpRequest) -> None:
    if not abuse.is_moderator(request.user):
        raise PermissionDenied("Only reviewers and administrators handle abuse.")


def _page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    response = render(request, template, context, status=status)
    add_never_cache_headers(response)
    return response


@require_GET
def challenge(request: HttpRequest) -> JsonResponse:
    """A fresh challenge, for a sign form left open longer than a challenge lives."""
    response = JsonResponse(abuse.pow_challenge())
    add_never_cache_headers(response)
    return response


def _counts(campaign: Campaign) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    by_state = dict(
        Signature.objects.filter(campaign=campaign)
        .values_list("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
    states = [
        {"state": value, "label": label, "count": by_state.get(value, 0)}
        for value, label in Signature.State.choices
    ]
    reasons = [
        {"reason": reason or "(none)", "count": n}
        for reason, n in Signature.objects.filter(campaign=campaign)
        .exclude(flag_reason="")
        .values_list("flag_reason")
        .annotate(n=Count("id"))
        .order_by("-n", "flag_reason")
        .values_list("flag_reason", "n")
    ]
    return states, reasons, sum(by_state.values())


def _form(request: HttpRequest) -> dict[str, str]:
    return {
        "kind": str(request.POST.get("kind", "network")),
        "value": str(request.POST.get("value", "")).strip(),
        "reason": str(request.POST.get("reason", "")).strip(),
    }


@require_http_methods(["GET", "POST"])
def abuse_page(request: HttpRequest, slug: str) -> HttpResponse:
    _moderator(request)
    campaign = get_object_or_404(Campaign, slug=slug)
    form = {"kind": "network", "value": "", "reason": ""}
    preview: dict[str, Any] | None = None
    error = ""
    status = 200
    if request.method == "POST":
        form = _form(request)
        step = request.POST.get("step", "preview")
        try:
            if step == "confirm":
                record = abuse.invalidate(
                    campaign, form["kind"], form["value"], form["reason"], request.user
                )
                url = reverse("campaign_staff:abuse", args=[campaign.slug])
                return HttpResponseRedirect(f"{url}?done={record.pk}")
            if not form["reason"]:
                raise abuse.AbuseError("Reason: say why these signatures are removed", "reason")
            match, count = abuse.matching(campaign, form["kind"], form["value"])
            form["value"] = match.value
            preview = {"count": count}
        except abuse.AbuseError as exc:
            error = str(exc)
            status = 400
    done = None
    if request.GET.get("done", "").isdigit():
        done = Invalidation.objects.filter(campaign=campaign, pk=int(request.GET["done"])).first()
    states, reasons, total = _counts(campaign)
    context = {
        "campaign": campaign,
        "title": _title(campaign),
        "states": states,
        "reasons": reasons,
        "total": total,
        "form": form,
        "kinds": AccessRule.Kind.choices,
        "preview": preview,
        "error": error,
        "done": done,
        "invalidations": Invalidation.objects.filter(campaign=campaign)
        .select_related("actor")
        .order_by("-created_at", "-id")[:SHOWN],
    }
    return _page(request, "campaign/abuse/campaign.html", context, status)


def _title(campaign: Campaign) -> str:
    text = campaign.text("en")
    return str(text.title) if text is not None else str(campaign.slug)


@require_http_methods(["GET", "POST"])
def rules_page(request: HttpRequest) -> HttpResponse:
    _moderator(request)
    form = {"action": "block", "kind": "network", "value": "", "note": ""}
    error = ""
    status = 200
    if request.method == "POST":
        try:
            if request.POST.get("remove", "").isdigit():
                abuse.remove_rule(int(request.POST["remove"]), request.user)
            else:
                form = {
                    "action": str(request.POST.get("action", "")),
                    "kind": str(request.POST.get("kind", "")),
                    "value": str(request.POST.get("value", "")).strip(),
                    "note": str(request.POST.get("note", "")).strip(),
                }
                abuse.add_rule(
                    form["action"], form["kind"], form["value"], form["note"], request.user
                )
            return HttpResponseRedirect(reverse("campaign_staff:rules"))
        except abuse.AbuseError as exc:
            error = str(exc)
            status = 400
    rules = list(
        AccessRule.objects.select_related("created_by").order_by("action", "kind", "value", "id")[
            : SHOWN * 10
        ]
    )
    context = {
        "allow_rules": [r for r in rules if r.action == AccessRule.Action.ALLOW],
        "block_rules": [r for r in rules if r.action == AccessRule.Action.BLOCK],
        "form": form,
        "actions": AccessRule.Action.choices,
        "kinds": AccessRule.Kind.choices,
        "error": error,
        "disposable": len(abuse.disposable_domains()),
    }
    return _page(request, "campaign/abuse/rules.html", context, status)


public_urls: list[URLPattern] = []  # under /<lang>/campaigns/
root_urls: list[URLPattern] = [  # under /campaigns/ (no language prefix)
    path("pow-challenge.json", challenge, name="pow-challenge"),
]
staff_urls: list[URLPattern] = [  # under /campaign/manage/
    path("rules/", rules_page, name="rules"),
    path("<slug:slug>/abuse/", abuse_page, name="abuse"),
]
