"""The "Dossier" button of a record page: the dossier as PDF or HTML, for signed-in staff.

The clearance is the viewer's role's; the request is logged in the custody ledger like a
dossier made on the command line, with the viewer as actor and requester. The evidence
bundle is made on the command line (``dadkhah dossier ... --bundle``), not here.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from dadkhah.accounts import audit
from dadkhah.accounts.roles import clearance_of
from dadkhah.core.security import protect_document
from dadkhah.dossiers.parts import DossierError
from dadkhah.dossiers.render import make_dossier
from dadkhah.records.views import is_staff, require

__all__ = ["dossier"]

_TYPES = {"pdf": "application/pdf", "html": "text/html; charset=utf-8"}


@require_GET
@require(is_staff, "make dossiers")
def dossier(request: HttpRequest, kind: str, uid: str) -> HttpResponse:
    fmt = request.GET.get("format", "pdf")
    if fmt not in _TYPES:
        raise Http404("No such format.")
    lang = request.GET.get("lang", "both")
    dossier_kind = request.GET.get("kind") or None
    user = request.user.get_username()
    reason = request.GET.get("reason", "")
    if audit.needs_reason("dossier", clearance_of(request.user)) and not reason.strip():
        return audit.ask_reason(request, "this dossier")  # it may hold restricted material
    with tempfile.TemporaryDirectory(prefix="dadkhah-dossier-") as tmp:
        out = Path(tmp) / f"{uid}.{fmt}"
        try:
            made = make_dossier(
                kind,
                uid,
                fmt=fmt,
                out=out,
                clearance=clearance_of(request.user),
                actor=user,
                requester=user,
                lang=lang,
                kind=dossier_kind,
                date_from=request.GET.get("from", ""),
                date_to=request.GET.get("to", ""),
                with_bundle=False,
            )
        except DossierError as exc:
            if str(exc).startswith("no "):  # unknown, or hidden from this viewer: the same
                raise Http404("No such record.") from None
            return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
        data = made.path.read_bytes()
    audit.record(
        request,
        "dossier",
        (kind, made.subject),
        clearance_of(request.user),
        reason,
        detail=f"{made.kind} dossier ({fmt}), ledger entry {made.ledger_seq}",
    )
    response = HttpResponse(data, content_type=_TYPES[fmt])
    disposition = "attachment" if fmt == "pdf" else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="dossier-{made.subject}.{fmt}"'
    response["X-Content-SHA256"] = made.content_hash
    # A standalone document with its own inline stylesheet: sandboxed, no script, no request.
    return protect_document(response)
