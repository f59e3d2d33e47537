"""Organisations' pages: signing a statement, confirming by email, the approval queue.

Public, under ``/<lang>/campaigns/``:

- ``<slug>/organisations/`` (``org-sign``): the form (CSRF and the proof of work); a
  submission, new or duplicate, ends on ``<slug>/organisations/thanks/`` (``org-thanks``);
- ``organisations/confirm/<token>/`` (``org-confirm``): a page with a button; the POST
  confirms (mail scanners that open links only GET).

Staff, under ``/campaign/manage/``:

- ``<slug>/organisations/`` (``orgs``): every staff role reads the queue; only
  administrators approve or reject (``<slug>/organisations/<id>/decide/``, ``org-decide``;
  403 for other roles);
- ``<slug>/organisations/jws`` (``org-jws``): the statement in the Human Rights Council
  layout, as .docx or .txt (:mod:`dadkhah.campaign.jws`).
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dadkhah.accounts.roles import can_review, role_of
from dadkhah.campaign import abuse, jws, orgs, signing
from dadkhah.campaign.models import Campaign, OrgSignature
from dadkhah.core.confidentiality import Role
from dadkhah.core.errors import FieldError
from dadkhah.core.languages import page_language
from dadkhah.core.pow import PowError
from dadkhah.records.views import require

__all__ = ["public_urls", "root_urls", "staff_urls"]

FIELDS = ("name", "name_fa", "country", "website", "ecosoc_status", "contact_name", "contact_email")
QUEUE_ORDER = (
    OrgSignature.State.CONFIRMED,
    OrgSignature.State.PENDING,
    OrgSignature.State.APPROVED,
    OrgSignature.State.REJECTED,
)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


def _public_campaign(slug: str) -> Campaign:
    campaign = Campaign.objects.filter(slug=slug).prefetch_related("texts").first()
    if campaign is None or not campaign.is_public():
        raise Http404("No such campaign.")
    return campaign


# ------------------------------------------------------------------ public


def _form_page(
    request: HttpRequest,
    campaign: Campaign,
    values: dict[str, str],
    errors: dict[str, str],
    problems: list[str],
    status: int = 200,
) -> HttpResponse:
    lang = page_language()
    text = campaign.text(lang)
    open_problem = signing.open_problem(campaign)
    if campaign.kind != Campaign.Kind.STATEMENT:
        open_problem = _(
            "Organisations sign statements only; this campaign is a petition, which people "
            "sign one by one."
        )
    context: dict[str, Any] = {
        "nav": "campaigns",
        "lang": lang,
        "campaign": campaign,
        "text": text,
        "target": (campaign.target_label_fa or campaign.target_label)
        if lang == "fa"
        else campaign.target_label,
        "values": values,
        "errors": errors,
        "problems": problems,
        "open_problem": open_problem,
        "countries": signing.countries(lang),
        "statuses": OrgSignature.Ecosoc.choices,
    }
    if not open_problem:
        context["challenge_json"] = json.dumps(abuse.pow_challenge())
        context["challenge_url"] = reverse("campaign_root:pow-challenge")
    return _no_store(render(request, "campaign/orgs/sign.html", context, status=status))


def _pow_message(exc: PowError) -> str:
    if exc.reason == "missing":
        return _(
            "The automatic check did not run, so nothing was sent. It needs JavaScript: wait "
            "until it says it is done, then send again."
        )
    if exc.reason == "expired":
        return _("The automatic check expired, so nothing was sent. Please send again.")
    return _("The automatic check failed, so nothing was sent. Please send again.")


@csrf_protect
@require_http_methods(["GET", "POST"])
def org_sign(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = _public_campaign(slug)
    if request.method != "POST":
        values = {"ecosoc_status": OrgSignature.Ecosoc.NONE.value}
        status = 200 if campaign.kind == Campaign.Kind.STATEMENT else 404
        return _form_page(request, campaign, values, {}, [], status)
    values = {name: str(request.POST.get(name, "")) for name in FIELDS}
    data = orgs.OrgData(**values)
    try:
        abuse.check_pow(request)
    except PowError as exc:
        return _form_page(request, campaign, values, {}, [_pow_message(exc)], 400)
    try:
        orgs.submit_org(campaign, data, page_language())
    except FieldError as exc:
        errors = {exc.field: str(exc)} if exc.field else {}
        problems = [] if exc.field else [str(exc)]
        return _form_page(request, campaign, values, errors, problems, 400)
    return HttpResponseRedirect(reverse("campaign:org-thanks", args=[campaign.slug]), status=303)


@require_GET
def org_thanks(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = _public_campaign(slug)
    lang = page_language()
    context = {"nav": "campaigns", "lang": lang, "campaign": campaign, "text": campaign.text(lang)}
    return _no_store(render(request, "campaign/orgs/thanks.html", context))


@csrf_protect
@require_http_methods(["GET", "POST"])
def org_confirm(request: HttpRequest, token: str) -> HttpResponse:
    context: dict[str, Any] = {"nav": "campaigns", "lang": page_language(), "token": token}
    if request.method == "POST":
        result = orgs.confirm_org(token)
        context["outcome"] = result.outcome
        context["org"] = result.org
        if result.org is not None:
            context["campaign"] = result.org.campaign
            context["text"] = result.org.campaign.text(page_language())
    status = 404 if context.get("outcome") == "unknown" else 200
    response = render(request, "campaign/orgs/confirm.html", context, status=status)
    # The token is in the address. strict-origin, not no-referrer: under no-referrer
    # browsers send "Origin: null" with the form's POST, and the CSRF check refuses it.
    response["Referrer-Policy"] = "strict-origin"
    return _no_store(response)


public_urls: list[URLPattern] = [
    path("<slug:slug>/organisations/", org_sign, name="org-sign"),
    path("<slug:slug>/organisations/thanks/", org_thanks, name="org-thanks"),
    path("organisations/confirm/<str:token>/", org_confirm, name="org-confirm"),
]
root_urls: list[URLPattern] = []


# ------------------------------------------------------------------ staff


def _queue_context(request: HttpRequest, campaign: Campaign) -> dict[str, Any]:
    rank = {state: n for n, state in enumerate(QUEUE_ORDER)}
    rows = sorted(
        OrgSignature.objects.filter(campaign=campaign).select_related("decided_by"),
        key=lambda o: (rank[OrgSignature.State(o.state)], o.name.casefold(), o.pk),
    )
    texts = {t.language: t for t in campaign.texts.all()}
    counts = [
        {
            "language": lang,
            "words": jws.count_words(texts[lang].body),
            "limit": campaign.word_limit,
        }
        for lang in jws.LANGUAGES
        if lang in texts
    ]
    return {
        "campaign": campaign,
        "orgs": rows,
        "is_administrator": role_of(request.user) is Role.ADMINISTRATOR,
        "statuses": OrgSignature.Ecosoc.choices,
        "states": OrgSignature.State,
        "word_counts": counts,
        "agenda": sorted(jws.AGENDA.items()),
        "approved": sum(1 for o in rows if o.state == OrgSignature.State.APPROVED),
    }


@require_GET
@require(can_review, "see organisations' signatures")
def org_queue(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = get_object_or_404(Campaign, slug=slug)
    return _no_store(render(request, "campaign/orgs/queue.html", _queue_context(request, campaign)))


@require_POST
def org_decide(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("campaign_staff:orgs", args=[slug]))
    if role_of(request.user) is not Role.ADMINISTRATOR:
        raise PermissionDenied("Only administrators approve or reject organisations.")
    org = get_object_or_404(OrgSignature, pk=pk, campaign__slug=slug)
    decision = request.POST.get("decision", "")
    if decision not in ("approve", "reject"):
        messages.error(request, "Choose approve or reject.")
    else:
        status = request.POST.get("ecosoc_status", "") or None
        try:
            decided = orgs.decide(
                org, decision == "approve", request.user, request.POST.get("note", ""), status
            )
        except FieldError as exc:
            messages.error(request, f"{org.name}: {exc}")
        else:
            messages.success(request, f"{decided.name}: {decided.get_state_display().lower()}.")
    return HttpResponseRedirect(reverse("campaign_staff:orgs", args=[slug]), status=303)


def _positive(raw: str, name: str) -> int | None:
    text = raw.strip()
    if not text:
        return None
    if not text.isdigit() or int(text) < 1:
        raise jws.JwsError(f"{name}: a whole number from 1, not {text!r}", name)
    return int(text)


@require_GET
@require(can_review, "export organisations' statements")
def org_jws(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = get_object_or_404(Campaign, slug=slug)
    lang = request.GET.get("lang", "en")
    fmt = request.GET.get("format", "docx")
    try:
        if fmt not in ("docx", "txt"):
            raise jws.JwsError(f"format {fmt!r}: docx or txt", "format")
        statement = jws.build(
            campaign,
            lang,
            _positive(request.GET.get("session", ""), "session"),
            _positive(request.GET.get("agenda_item", ""), "agenda_item"),
        )
    except jws.JwsError as exc:
        context = _queue_context(request, campaign)
        context["export_problem"] = str(exc)
        return _no_store(render(request, "campaign/orgs/queue.html", context, status=400))
    if fmt == "docx":
        response = HttpResponse(jws.to_docx(statement), content_type=DOCX)
    else:
        response = HttpResponse(jws.to_text(statement), content_type="text/plain; charset=utf-8")
    name = f"{campaign.slug}-joint-written-statement-{lang}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return _no_store(response)


staff_urls: list[URLPattern] = [
    path("<slug:slug>/organisations/", org_queue, name="orgs"),
    path("<slug:slug>/organisations/<int:pk>/decide/", org_decide, name="org-decide"),
    path("<slug:slug>/organisations/jws", org_jws, name="org-jws"),
]
