"""The staff review queue of public contributions: ``/memorial/review/contributions/``.

A contribution is RESTRICTED material, so the queue is for investigators and
administrators (the roles cleared for restricted material). The contributor's identity is
PROTECTED: only administrators can reveal it, one contribution at a time, and each reveal
is a ``view`` entry in the custody ledger. A pending contribution is either accepted —
linked to the records it informs — or rejected with a reason; a decision is final, and
django-simple-history keeps who decided, when and why. Accepting publishes nothing: what
reaches the memorial goes through the publication review, like everything else.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from dadkhah.accounts import audit
from dadkhah.accounts.roles import clearance_of
from dadkhah.core.confidentiality import Level, can_see
from dadkhah.core.errors import FieldError
from dadkhah.memorial.contributions import Contribution
from dadkhah.records.claims import visible_records
from dadkhah.records.models import RECORD_MODELS
from dadkhah.records.views import require
from dadkhah.vault import services

__all__ = ["DecisionError", "accept", "identity", "queue", "detail", "reject"]

STATUSES = ("pending", "accepted", "rejected")


class DecisionError(FieldError):
    """A review decision was refused; ``field`` names the form field."""


def _cleared(user: Any) -> bool:
    return can_see(clearance_of(user), Level.RESTRICTED)


def _decide(contribution: Contribution, user: Any, status: str, reason: str) -> None:
    contribution.status = status
    contribution.decided_at = timezone.now()
    contribution.decided_by = user
    contribution.decision_reason = reason
    contribution._history_user = user  # type: ignore[attr-defined]
    contribution._change_reason = f"{status}: {reason}"  # type: ignore[attr-defined]
    contribution.save()


def _pending(contribution: Contribution) -> None:
    if contribution.status != "pending":
        raise DecisionError(
            f"{contribution.uid} was {contribution.status} already; a decision is final",
            "status",
        )


def accept(contribution: Contribution, user: Any, record_uids: list[str], reason: str) -> None:
    """Accept ``contribution`` as informing the records ``record_uids`` (at least one, each
    one the reviewer may see)."""
    _pending(contribution)
    uids = list(dict.fromkeys(u.strip() for u in record_uids if u.strip()))
    if not uids:
        raise DecisionError("name at least one record this contribution informs", "records")
    clearance = clearance_of(user)
    links: list[dict[str, str]] = []
    for uid in uids:
        found = None
        for kind, model in RECORD_MODELS.items():
            if visible_records(model, clearance).filter(uid=uid).exists():
                found = kind
                break
        if found is None:
            raise DecisionError(f"no record with id {uid!r}", "records")
        links.append({"kind": found, "uid": uid})
    with transaction.atomic():
        contribution.linked_records = links
        _decide(contribution, user, "accepted", reason.strip() or "accepted")


def reject(contribution: Contribution, user: Any, reason: str) -> None:
    _pending(contribution)
    if not reason.strip():
        raise DecisionError("say why the contribution is rejected", "reason")
    with transaction.atomic():
        _decide(contribution, user, "rejected", reason.strip())


def identity(
    contribution: Contribution, user: Any, reason: str = "", by: Any = None
) -> dict[str, Any] | None:
    """The contributor's name and contact, for an administrator, with a reason; the reveal
    is recorded in the audit trail (by ``by``, a request, or else ``user``) and so as a
    ``view`` in the custody ledger. None when none was given."""
    if not can_see(clearance_of(user), Level.PROTECTED):
        raise DecisionError("only administrators may see a contributor's identity", "identity")
    item = contribution.identity_item
    if item is None:
        return None
    try:
        audit.record(
            by or user,
            "reveal",
            item,
            Level.PROTECTED,
            reason,
            detail=f"the contributor of {contribution.uid}",
        )
    except audit.AuditError as exc:
        raise DecisionError(str(exc), "reveal_reason") from None
    with services.open_item(item) as handle:
        data: dict[str, Any] = json.loads(handle.read().decode("utf-8"))
    return data


# ------------------------------------------------------------------ views


@require_GET
@require(_cleared, "review contributions")
def queue(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "pending")
    if status not in STATUSES:
        status = "pending"
    rows = (
        Contribution.objects.filter(
            status=status, confidentiality__lte=int(clearance_of(request.user))
        )
        .select_related("victim")
        .annotate(file_count=Count("file_links"))
        .order_by("-received_at", "-id")
    )
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    visible = Contribution.objects.filter(confidentiality__lte=int(clearance_of(request.user)))
    counts = [(s, visible.filter(status=s).count()) for s in STATUSES]
    return render(
        request,
        "memorial/review_contributions.html",
        {"page": page, "status": status, "counts": counts},
    )


@require_http_methods(["GET", "POST"])
@require(_cleared, "review contributions")
def detail(request: HttpRequest, uid: str) -> HttpResponse:
    clearance = clearance_of(request.user)
    contribution = (
        Contribution.objects.filter(uid=uid, confidentiality__lte=int(clearance))
        .select_related("victim", "record_item", "identity_item", "decided_by")
        .first()
    )
    if contribution is None:
        raise Http404("No such contribution.")
    error: DecisionError | None = None
    revealed: dict[str, Any] | None = None
    action = request.POST.get("action", "")
    if request.method == "POST":
        try:
            if action == "accept":
                records = request.POST.get("records", "").replace(",", " ").split()
                accept(contribution, request.user, records, request.POST.get("reason", ""))
            elif action == "reject":
                reject(contribution, request.user, request.POST.get("reason", ""))
            elif action == "reveal":
                reason = request.POST.get("reveal_reason", "")
                revealed = identity(contribution, request.user, reason, request)
            else:
                raise DecisionError(f"unknown action {action!r}", "action")
            if action != "reveal":
                url = reverse("memorial_staff:contribution", args=[uid])
                return HttpResponseRedirect(url)
        except DecisionError as exc:
            error = exc
    files = list(contribution.file_links.select_related("item").order_by("position"))
    history = contribution.history.order_by("-history_date")[:50]
    context = {
        "c": contribution,
        "files": files,
        "history": history,
        "error": error,
        "revealed": revealed,
        "revealed_none": action == "reveal" and revealed is None and error is None,
        "may_reveal": can_see(clearance, Level.PROTECTED),
        "records_value": request.POST.get("records", "") if error else "",
        "reason_value": request.POST.get("reason", "") if error else "",
    }
    response = render(
        request,
        "memorial/review_contribution.html",
        context,
        status=400 if error else 200,
    )
    response["Cache-Control"] = "no-store"
    return response
