"""The campaign's public pages, in English and Persian, under ``/<lang>/campaigns/``.

- ``list``: published campaigns, and closed ones as a read-only archive;
- ``detail``: a campaign's text, target, dates, goal, count and public names. It holds no
  form, so it is cached (:func:`dadkhah.campaign.cache.public_cache`);
- ``sign``: the form (CSRF and the proof-of-work check the memorial uses), then ``thanks``
  — the same page for a new signature, a duplicate and a silently flagged one;
- ``confirm``: the emailed link. GET only shows a button (mail scanners open links); the
  POST confirms.

Everything works without JavaScript except the proof of work.
"""

from __future__ import annotations

import json
from typing import Any

from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from dadkhah.campaign import abuse, signing, tally
from dadkhah.campaign.cache import public_cache
from dadkhah.campaign.forms import SignForm
from dadkhah.campaign.models import Campaign, CampaignText, Delivery, Signature, Visibility
from dadkhah.core.languages import page_language
from dadkhah.core.pow import PowError

__all__ = ["public_urls", "root_urls", "staff_urls"]

PUBLIC_NAMES = 50


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


def _public(slug: str, texts: bool = True) -> Campaign:
    """The published or closed campaign; with its texts unless ``texts`` is false (a
    signature's POST reads them only to show the form again)."""
    found = Campaign.objects.filter(
        slug=slug, state__in=[Campaign.State.PUBLISHED, Campaign.State.CLOSED]
    )
    if texts:
        found = found.prefetch_related(
            Prefetch("texts", queryset=CampaignText.objects.order_by("language"))
        )
    campaign = found.first()
    if campaign is None:
        raise Http404(_("There is no public campaign at this address."))
    return campaign


def _shown(campaign: Campaign, lang: str) -> dict[str, Any]:
    """What every page says about a campaign, in ``lang`` (or a marked fallback)."""
    now = timezone.now()
    text = campaign.text(lang)
    target = campaign.target_label
    target_lang = "en"
    if lang == "fa" and campaign.target_label_fa:
        target, target_lang = campaign.target_label_fa, "fa"
    return {
        "campaign": campaign,
        "text": text,
        "text_lang": text.language if text is not None else lang,
        "fallback": text is not None and text.language != lang,
        "target": target,
        "target_lang": target_lang,
        "is_open": not signing.open_problem(campaign, now),
        "opens_future": campaign.opens_at is not None and now < campaign.opens_at,
        "closes_past": campaign.closes_at is not None and campaign.closes_at <= now,
        "archived": campaign.state == Campaign.State.CLOSED,
    }


# ------------------------------------------------------------------ list and detail


@require_GET
@public_cache()
def campaign_list(request: HttpRequest) -> HttpResponse:
    lang = page_language()
    campaigns = list(
        Campaign.objects.filter(state__in=[Campaign.State.PUBLISHED, Campaign.State.CLOSED])
        .prefetch_related("texts")
        .order_by("-opens_at", "-id")
    )
    current = [_shown(c, lang) for c in campaigns if c.state == Campaign.State.PUBLISHED]
    archive = [_shown(c, lang) for c in campaigns if c.state == Campaign.State.CLOSED]
    context = {"nav": "campaigns", "lang": lang, "current": current, "archive": archive}
    return render(request, "campaign/public/list.html", context)


@require_GET
@public_cache()
def campaign_detail(request: HttpRequest, slug: str) -> HttpResponse:
    lang = page_language()
    campaign = _public(slug)
    count = tally.public_count(campaign)
    names = list(
        Signature.objects.filter(
            campaign=campaign,
            state=Signature.State.VALIDATED,
            visibility=Visibility.PUBLIC,
            anonymized_at__isnull=True,
        )
        .order_by("-confirmed_at", "-id")
        .values("name", "country")[:PUBLIC_NAMES]
    )
    for row in names:
        row["country_name"] = signing.country_name(row["country"], lang)
    milestones = sorted({int(m) for m in campaign.milestones or [] if str(m).isdigit()})
    reached = set(count.milestones_reached)
    deliveries: list[Delivery] = []
    if campaign.state == Campaign.State.CLOSED:
        deliveries = list(
            Delivery.objects.filter(campaign=campaign).order_by("-delivered_at", "-id")
        )
    context = {
        "nav": "campaigns",
        "lang": lang,
        **_shown(campaign, lang),
        "count": count,
        "names": names,
        "milestones": [{"threshold": m, "reached": m in reached} for m in milestones],
        "deliveries": deliveries,
        "by_country": [
            {"code": code, "name": signing.country_name(code, lang), "signed": n}
            for code, n in sorted(
                count.by_country.items(),
                key=lambda item: (-item[1], signing.country_name(item[0], lang)),
            )
            if n > 0
        ][:20],
    }
    return render(request, "campaign/public/detail.html", context)


# ------------------------------------------------------------------ signing


def _sign_page(
    request: HttpRequest,
    campaign: Campaign,
    form: SignForm | None,
    problems: list[str],
    status: int = 200,
) -> HttpResponse:
    lang = page_language()
    context = {
        "nav": "campaigns",
        "lang": lang,
        **_shown(campaign, lang),
        "form": form,
        "problems": problems,
        "countries": signing.countries(lang),
        "closed_problem": signing.open_problem(campaign),
        "challenge_json": json.dumps(abuse.pow_challenge()),
        "challenge_url": reverse("campaign_root:pow-challenge"),
        "max_name": signing.MAX_NAME,
        "max_city": signing.MAX_CITY,
    }
    response = render(request, "campaign/public/sign.html", context, status=status)
    response["X-Robots-Tag"] = "noindex"
    return _no_store(response)


def _pow_message(exc: PowError) -> str:
    if exc.reason == "missing":
        return _(
            "The automatic check did not run, so your signature was not sent. It needs "
            "JavaScript: wait until it says it is done, then send again."
        )
    if exc.reason == "expired":
        return _("The automatic check expired, so your signature was not sent. Please send again.")
    return _("The automatic check failed, so your signature was not sent. Please send again.")


@csrf_protect
@require_http_methods(["GET", "POST"])
def sign(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = _public(slug, texts=request.method != "POST")
    if request.method != "POST":
        problem = signing.open_problem(campaign)
        return _sign_page(request, campaign, None if problem else SignForm(), [])
    problem = signing.open_problem(campaign)
    if problem:
        return _sign_page(request, campaign, None, [problem], status=400)
    form = SignForm(request.POST)
    if not form.is_valid():
        return _sign_page(request, campaign, form, [], status=400)
    try:
        abuse.check_pow(request)
    except PowError as exc:
        return _sign_page(request, campaign, form, [_pow_message(exc)], status=400)
    try:
        signing.submit(campaign, form.sign_data(), abuse.client_address(request), page_language())
    except signing.SignError as exc:
        if exc.field and exc.field in form.fields:
            form.add_error(exc.field, str(exc))
            return _sign_page(request, campaign, form, [], status=400)
        return _sign_page(request, campaign, form, [str(exc)], status=400)
    return HttpResponseRedirect(reverse("campaign:thanks", args=[campaign.slug]), status=303)


@require_GET
def thanks(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = _public(slug)
    lang = page_language()
    context = {"nav": "campaigns", "lang": lang, **_shown(campaign, lang)}
    context["hours"] = signing.confirm_hours()
    return _no_store(render(request, "campaign/public/thanks.html", context))


# ------------------------------------------------------------------ confirming

_CONFIRM_STATUS = {"confirmed": 200, "already": 200, "expired": 410, "closed": 410, "unknown": 404}


@csrf_protect
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    lang = page_language()
    context: dict[str, Any] = {"nav": "campaigns", "lang": lang, "token": token}
    if request.method != "POST":
        response = render(request, "campaign/public/confirm.html", context)
    else:
        result = signing.confirm(token)
        context["outcome"] = result.outcome
        if result.campaign is not None:
            context.update(_shown(result.campaign, lang))
        response = render(
            request,
            "campaign/public/confirmed.html",
            context,
            status=_CONFIRM_STATUS.get(result.outcome, 200),
        )
    # The token is in the address: keep it out of Referer headers, caches and indexes.
    # strict-origin, not no-referrer: under no-referrer browsers send "Origin: null" with
    # the form's POST, and Django's CSRF check refuses it (403).
    response["Referrer-Policy"] = "strict-origin"
    response["X-Robots-Tag"] = "noindex"
    return _no_store(response)


public_urls: list[URLPattern] = [  # under /<lang>/campaigns/
    path("", campaign_list, name="list"),
    path("confirm/<str:token>/", confirm, name="confirm"),
    path("<slug:slug>/", campaign_detail, name="detail"),
    path("<slug:slug>/sign/", sign, name="sign"),
    path("<slug:slug>/thanks/", thanks, name="thanks"),
]
root_urls: list[URLPattern] = []  # the challenge endpoint is views_abuse's
staff_urls: list[URLPattern] = []  # under /campaign/manage/
