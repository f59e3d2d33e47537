"""The organizers' screens under ``/campaign/manage/``: the list of campaigns, writing one,
its page (moderation, closing, deliveries, history) and the delivery package download.

Staff of every role see the list and the pages; investigators and administrators write,
submit, close, record deliveries and download packages; reviewers and administrators
moderate (:func:`dadkhah.campaign.manage.can_moderate`). The rules live in
:mod:`dadkhah.campaign.manage`; a refused change re-renders the page with the reason (400).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dadkhah.accounts.roles import can_edit, can_review
from dadkhah.campaign import manage
from dadkhah.campaign.manage import CampaignInput, ManageError, TextInput
from dadkhah.campaign.models import Campaign, Delivery
from dadkhah.records.views import require

__all__ = ["public_urls", "root_urls", "staff_urls"]

MAX_TEXT_ROWS = 20


# ---------------------------------------------------------------------------- parsing


def _when(raw: str, field: str) -> datetime | None:
    """``YYYY-MM-DDTHH:MM`` (a datetime-local input) or ``YYYY-MM-DD``, read as UTC."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise ManageError(
            f"{raw!r} is not a date and time (YYYY-MM-DD HH:MM, UTC)", field
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _day(raw: str, field: str) -> date | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ManageError(f"{raw!r} is not a date (YYYY-MM-DD)", field) from None


def _number(raw: str, field: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise ManageError(f"{raw!r} is not a whole number", field)
    return int(raw)


def _texts(post: Any) -> list[TextInput]:
    texts = []
    for i in range(MAX_TEXT_ROWS):
        if f"text-{i}-language" not in post:
            continue
        if post.get(f"text-{i}-remove") == "on":
            continue
        texts.append(
            TextInput(
                language=post.get(f"text-{i}-language", ""),
                title=post.get(f"text-{i}-title", ""),
                summary=post.get(f"text-{i}-summary", ""),
                body=post.get(f"text-{i}-body", ""),
            )
        )
    return texts


def campaign_input(post: Any) -> CampaignInput:
    """The form's fields as a :class:`CampaignInput`; raises ManageError on a malformed value."""
    word_limit = _number(post.get("word_limit", ""), "word_limit")
    return CampaignInput(
        slug=post.get("slug", ""),
        kind=post.get("kind", Campaign.Kind.PETITION),
        target_label=post.get("target_label", ""),
        target_label_fa=post.get("target_label_fa", ""),
        target_body=post.get("target_body", ""),
        target_post=post.get("target_post", ""),
        opens_at=_when(post.get("opens_at", ""), "opens_at"),
        closes_at=_when(post.get("closes_at", ""), "closes_at"),
        goal=_number(post.get("goal", ""), "goal"),
        milestones=manage.parse_milestones(post.get("milestones", "")),
        word_limit=2000 if word_limit is None else word_limit,
        retention_until=_day(post.get("retention_until", ""), "retention_until"),
        default_language=post.get("default_language", "en"),
        is_synthetic=post.get("is_synthetic") == "on",
        texts=_texts(post),
    )


def _initial(campaign: Campaign | None) -> dict[str, Any]:
    """The form's values for an existing campaign (or a new one)."""

    def local(moment: datetime | None) -> str:
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M") if moment else ""

    if campaign is None:
        return {
            "kind": Campaign.Kind.PETITION,
            "word_limit": 2000,
            "default_language": "en",
            "texts": [TextInput("en"), TextInput("fa")],
        }
    return {
        "slug": campaign.slug,
        "kind": campaign.kind,
        "target_label": campaign.target_label,
        "target_label_fa": campaign.target_label_fa,
        "target_body": campaign.target_body.uid if campaign.target_body else "",
        "target_post": campaign.target_post.uid if campaign.target_post else "",
        "opens_at": local(campaign.opens_at),
        "closes_at": local(campaign.closes_at),
        "goal": campaign.goal or "",
        "milestones": ", ".join(str(m) for m in campaign.milestones),
        "word_limit": campaign.word_limit,
        "retention_until": campaign.retention_until.isoformat(),
        "default_language": campaign.default_language,
        "is_synthetic": campaign.is_synthetic,
        "texts": [
            TextInput(t.language, t.title, t.summary, t.body)
            for t in campaign.texts.order_by("language")
        ],
    }


def _posted(post: Any) -> dict[str, Any]:
    """What was posted, to show again beside the error."""
    values = {k: post.get(k, "") for k in _initial(None) if k != "texts"}
    for key in (
        "slug",
        "target_label",
        "target_label_fa",
        "target_body",
        "target_post",
        "opens_at",
        "closes_at",
        "goal",
        "milestones",
        "retention_until",
    ):
        values[key] = post.get(key, "")
    values["is_synthetic"] = post.get("is_synthetic") == "on"
    values["texts"] = _texts(post)
    return values


# ---------------------------------------------------------------------------- views


@require_GET
@require(can_review, "see campaigns")
def campaign_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "campaign/manage/list.html",
        {"rows": manage.campaign_rows(), "can_write": can_edit(request.user)},
    )


def _form(
    request: HttpRequest, campaign: Campaign | None, values: dict[str, Any], error: Any = None
) -> HttpResponse:
    texts = list(values.get("texts") or [])
    rows = [(i, t) for i, t in enumerate(texts)]
    rows.append((len(texts), TextInput("")))  # the "add a language" row
    return render(
        request,
        "campaign/manage/form.html",
        {
            "campaign": campaign,
            "v": values,
            "text_rows": rows,
            "kinds": Campaign.Kind.choices,
            "error": error,
        },
        status=400 if error else 200,
    )


@require_http_methods(["GET", "POST"])
@require(can_edit, "write campaigns")
def campaign_new(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _form(request, None, _initial(None))
    try:
        campaign = manage.save_campaign(campaign_input(request.POST), request.user)
    except ManageError as exc:
        return _form(request, None, _posted(request.POST), exc)
    return HttpResponseRedirect(reverse("campaign_staff:detail", args=[campaign.slug]))


@require_http_methods(["GET", "POST"])
@require(can_edit, "write campaigns")
def campaign_edit(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = get_object_or_404(Campaign, slug=slug)
    if request.method == "GET":
        return _form(request, campaign, _initial(campaign))
    try:
        campaign = manage.save_campaign(campaign_input(request.POST), request.user, campaign)
    except ManageError as exc:
        return _form(request, campaign, _posted(request.POST), exc)
    return HttpResponseRedirect(reverse("campaign_staff:detail", args=[campaign.slug]))


def _detail(request: HttpRequest, campaign: Campaign, error: Any = None) -> HttpResponse:
    from dadkhah.campaign.models import Signature

    counts = {
        state: Signature.objects.filter(campaign=campaign, state=state).count()
        for state in Signature.State.values
    }
    context = {
        "c": campaign,
        "state": manage.effective_state(campaign),
        "texts": campaign.texts.order_by("language"),
        "counts": counts,
        "deliveries": campaign.deliveries.order_by("-delivered_at", "-id"),
        "history": campaign.history.order_by("-history_date", "-history_id")[:50],
        "editable": campaign.state in manage.EDITABLE,
        "can_write": can_edit(request.user),
        "can_moderate": manage.can_moderate(request.user, campaign),
        "error": error,
        "posted": request.POST if error else {},
    }
    return render(request, "campaign/manage/detail.html", context, status=400 if error else 200)


@require_GET
@require(can_review, "see campaigns")
def campaign_detail(request: HttpRequest, slug: str) -> HttpResponse:
    return _detail(request, get_object_or_404(Campaign, slug=slug))


@require_POST
@require(can_review, "see campaigns")
def campaign_state(request: HttpRequest, slug: str) -> HttpResponse:
    """submit, approve, reject or close; the rules are manage's."""
    campaign = get_object_or_404(Campaign, slug=slug)
    action = request.POST.get("action", "")
    note = request.POST.get("note", "")
    try:
        if action == "submit":
            manage.submit_for_review(campaign, request.user)
        elif action == "approve":
            manage.approve(campaign, request.user, note)
        elif action == "reject":
            manage.reject(campaign, request.user, note)
        elif action == "close":
            manage.close(campaign, request.user)
        else:
            raise ManageError(f"unknown action {action!r}", "action")
    except ManageError as exc:
        campaign.refresh_from_db()
        return _detail(request, campaign, exc)
    return HttpResponseRedirect(reverse("campaign_staff:detail", args=[slug]))


@require_POST
@require(can_edit, "record deliveries")
def delivery_new(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = get_object_or_404(Campaign, slug=slug)
    post = request.POST
    try:
        manage.record_delivery(
            campaign,
            request.user,
            recipient=post.get("recipient", ""),
            delivered_at=_when(post.get("delivered_at", ""), "delivered_at"),
            method=post.get("method", ""),
            reference=post.get("reference", ""),
            ledger_seq=_number(post.get("ledger_seq", ""), "ledger_seq"),
        )
    except ManageError as exc:
        return _detail(request, campaign, exc)
    return HttpResponseRedirect(reverse("campaign_staff:detail", args=[slug]))


@require_POST
@require(can_edit, "record responses")
def delivery_response(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, slug=slug)
    delivery = get_object_or_404(Delivery, pk=pk, campaign=campaign)
    try:
        manage.record_response(
            delivery,
            request.user,
            request.POST.get("response", ""),
            _when(request.POST.get("response_at", ""), "response_at"),
        )
    except ManageError as exc:
        return _detail(request, campaign, exc)
    return HttpResponseRedirect(reverse("campaign_staff:detail", args=[slug]))


@require_http_methods(["GET", "POST"])
@require(can_edit, "make delivery packages")
def package_request(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: the packages asked for on this page. POST: queue a delivery package (made by the
    task queue, logged in the custody ledger when made) and show its page."""
    from dadkhah.campaign.delivery import DeliveryError
    from dadkhah.campaign.delivery_jobs import request_package

    campaign = get_object_or_404(Campaign, slug=slug)
    if request.method == "GET":
        return _package_page(request, campaign, None)
    requester = request.POST.get("requester", "").strip()
    try:
        if not requester:
            raise ManageError("name for whom the package is made", "requester")
        asked = request_package(campaign, request.user, requester)
    except (ManageError, DeliveryError) as exc:
        error = exc if isinstance(exc, ManageError) else ManageError(str(exc), "package")
        return _detail(request, campaign, error)
    target = reverse("campaign_staff:package-status", args=[slug, asked.pk])
    return HttpResponseRedirect(target, status=303)


def _package_page(request: HttpRequest, campaign: Campaign, pk: int | None) -> HttpResponse:
    from dadkhah.campaign.models import PackageRequest

    shown = get_object_or_404(PackageRequest, pk=pk, campaign=campaign) if pk else None
    waiting = shown is not None and shown.state in (
        PackageRequest.State.QUEUED,
        PackageRequest.State.MAKING,
    )
    context = {
        "c": campaign,
        "shown": shown,
        "waiting": waiting,
        "requests": PackageRequest.objects.filter(campaign=campaign)
        .select_related("requested_by")
        .order_by("-requested_at", "-id")[:30],
    }
    response = render(request, "campaign/delivery/status.html", context)
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@require(can_edit, "make delivery packages")
def package_status(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """A requested package: being prepared (the page refreshes itself), ready, or failed."""
    return _package_page(request, get_object_or_404(Campaign, slug=slug), pk)


@require_GET
@require(can_edit, "make delivery packages")
def package_zip(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The zip of a ready package (staff only; kept DADKHAH_CAMPAIGN_PACKAGE_DAYS days)."""
    from django.http import FileResponse, Http404

    from dadkhah.campaign.delivery_jobs import package_path
    from dadkhah.campaign.models import PackageRequest

    campaign = get_object_or_404(Campaign, slug=slug)
    made = get_object_or_404(
        PackageRequest, pk=pk, campaign=campaign, state=PackageRequest.State.READY
    )
    zipped = package_path(campaign.slug, made.manifest_sha256)
    if not zipped.is_file():
        raise Http404("the package's file is gone; ask for a new one")
    response = FileResponse(
        zipped.open("rb"),
        as_attachment=True,
        filename=f"{campaign.slug}-delivery-{made.ledger_seq}.zip",
        content_type="application/zip",
    )
    response["X-Package-Manifest"] = made.manifest_sha256
    response["X-Ledger-Seq"] = str(made.ledger_seq)
    response["Cache-Control"] = "no-store"
    return response


public_urls: list[URLPattern] = []  # under /<lang>/campaigns/
root_urls: list[URLPattern] = []  # under /campaigns/ (no language prefix)
staff_urls: list[URLPattern] = [  # under /campaign/manage/
    path("", campaign_list, name="list"),
    path("new/", campaign_new, name="new"),
    path("<slug:slug>/", campaign_detail, name="detail"),
    path("<slug:slug>/edit/", campaign_edit, name="edit"),
    path("<slug:slug>/state/", campaign_state, name="state"),
    path("<slug:slug>/deliveries/", delivery_new, name="delivery"),
    path("<slug:slug>/deliveries/<int:pk>/response/", delivery_response, name="response"),
    path("<slug:slug>/package/", package_request, name="package"),
    path("<slug:slug>/package/<int:pk>/", package_status, name="package-status"),
    path("<slug:slug>/package/<int:pk>/zip/", package_zip, name="package-zip"),
]
