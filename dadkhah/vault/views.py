"""Staff pages of the evidence vault: the list, upload, the item page, preview and download.

The vault is for staff only: anonymous visitors are sent to log in, signed-in users
without a staff role get 403. An item the viewer may not see (its level is above their
clearance, or it is encrypted and they are cleared below ``restricted``) answers 404, as
records do. Every time an item's content is served (the item page with its text, an
image preview, a download) a custody entry is appended to the ledger through
``services.record_view`` / ``services.record_download``; a download asks for its purpose.
Files are always sent as attachments with ``nosniff`` and a sandboxing CSP, and only
raster images are ever shown inline.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dadkhah.accounts import audit
from dadkhah.accounts.roles import can_edit, can_review, clearance_of
from dadkhah.core.confidentiality import Level
from dadkhah.core.security import protect_file
from dadkhah.records.views import require
from dadkhah.vault import ledger, services
from dadkhah.vault.ingest import Ingest
from dadkhah.vault.models import Item, LedgerEntry, Page
from dadkhah.vault.tasks import enqueue_extraction

__all__ = [
    "download",
    "extract_again",
    "extraction",
    "item_detail",
    "item_list",
    "preview",
    "type_label",
    "upload",
    "visible_items",
]

PAGE_SIZE = 50
MAX_LISTED = 100  # items listed after an upload without the script
HISTORY_SHOWN = 200
INLINE_IMAGES = {"image/jpeg", "image/png", "image/gif", "image/webp"}
TERMINAL = ("done", "failed", "skipped")
_PAGE_MARK = re.compile(r"^--- page (\d+) ---$", re.M)


TYPE_LABELS = {
    "application/pdf": "PDF",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word document",
    "application/msword": "Word document (old)",
    "application/zip": "Zip archive",
    "application/json": "JSON",
    "application/warc": "Web archive (WARC)",
    "message/rfc822": "E-mail message",
    "text/html": "Web page (HTML)",
    "text/plain": "Text",
    "application/x-empty": "Empty file",
    "application/octet-stream": "Binary data",
}


def type_label(mime: str) -> str:
    """A short name for a MIME type, for lists; the MIME type itself is shown on hover."""
    base = mime.split(";", 1)[0].strip().lower()
    if base in TYPE_LABELS:
        return TYPE_LABELS[base]
    major, _, minor = base.partition("/")
    if major in ("image", "audio", "video") and minor:
        return f"{minor.removeprefix('x-').upper()} {major}"
    return base or "unknown"


def visible_items(clearance: Level) -> QuerySet[Item]:
    """Items at or below ``clearance``; encrypted ones only from ``restricted`` up."""
    rows = Item.objects.filter(confidentiality__lte=int(clearance))
    if clearance < Level.RESTRICTED:
        rows = rows.filter(encrypted=False)
    return rows


def _item_or_404(request: HttpRequest, uid: str) -> Item:
    item = visible_items(clearance_of(request.user)).filter(uid=uid).first()
    if item is None:
        raise Http404("No such item.")
    return item


def _actor(request: HttpRequest) -> str:
    return request.user.get_username()


# ------------------------------------------------------------------ list


@require_GET
@require(can_review, "use the evidence vault")
def item_list(request: HttpRequest) -> HttpResponse:
    rows = visible_items(clearance_of(request.user))
    show_all = request.GET.get("all") == "1"
    if not show_all:
        rows = rows.filter(is_derivative=False)
    query = request.GET.get("q", "").strip()
    if query:
        rows = rows.filter(Q(name__icontains=query) | Q(sha256__icontains=query.lower()))
    page = Paginator(rows.order_by("-created_at", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for item in page.object_list:
        item.type_label = type_label(item.mime)
    return render(request, "vault/list.html", {"page": page, "query": query, "show_all": show_all})


# ------------------------------------------------------------------ upload


class UploadForm(forms.Form):
    source = forms.CharField(
        label="Source",
        required=False,
        max_length=2000,
        help_text="Who or where the files came from (a person, an organisation, an address).",
    )
    consent = forms.CharField(
        label="Consent",
        required=False,
        max_length=2000,
        help_text="What the giver agreed to: who may see the files, and for what.",
    )
    note = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    restricted = forms.BooleanField(
        label="Restricted: encrypt at rest; only investigators and administrators see it",
        required=False,
    )


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _item_json(item: Item) -> dict[str, Any]:
    return {
        "uid": item.uid,
        "name": item.name,
        "sha256": item.sha256,
        "mime": item.mime,
        "size": item.size,
        "url": item.get_absolute_url(),
        "status": item.extraction_status,
    }


@require_http_methods(["GET", "POST"])
@require(can_edit, "add evidence to the vault")
def upload(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = UploadForm(request.POST)
        files = request.FILES.getlist("files")
        if not files:
            form.add_error(None, "Choose at least one file.")
        limit = settings.EVIDENCE_UPLOAD_MAX_BYTES
        for upload in files:  # refused by name, before anything of this upload is kept
            if (upload.size or 0) > limit:
                form.add_error(
                    None,
                    f"{upload.name}: {upload.size:,} bytes, above the limit of {limit:,} bytes "
                    "(DADKHAH_UPLOAD_MAX_MB); nothing of this upload was kept.",
                )
        if form.is_valid():
            ingest = Ingest(
                _actor(request),
                source=form.cleaned_data["source"],
                consent=form.cleaned_data["consent"],
                note=form.cleaned_data["note"],
                restricted=form.cleaned_data["restricted"],
            )
            with ingest:  # commits what it batched when the block ends
                for upload in files:
                    ingest.upload(upload, upload.name or "unnamed upload")
            received = [item for item, _name in ingest.items]
            if _wants_json(request):
                answer: dict[str, Any] = {
                    "items": [_item_json(item) for item in received],
                    "problems": ingest.problems,
                    "warnings": ingest.warnings,
                }
                if not received:
                    answer["error"] = "; ".join(ingest.problems) or "nothing was preserved"
                return JsonResponse(answer, status=200 if received else 400)
            if not ingest.problems:
                done = ",".join(item.uid for item in received[:MAX_LISTED])
                return HttpResponseRedirect(f"{reverse('vault:upload')}?done={done}")
            for problem in ingest.problems:
                form.add_error(None, problem)
            return render(
                request, "vault/upload.html", {"form": form, "done": received}, status=400
            )
        if _wants_json(request):
            errors = [str(e) for e in form.non_field_errors()] + [
                f"{name}: {' '.join(errs)}"
                for name, errs in form.errors.items()
                if name != "__all__"
            ]
            return JsonResponse({"error": " ".join(errors)}, status=400)
        return render(request, "vault/upload.html", {"form": form, "done": []}, status=400)
    uids = [uid for uid in request.GET.get("done", "").split(",") if uid]
    done = list(
        visible_items(clearance_of(request.user)).filter(uid__in=uids).order_by("name", "id")
    )
    return render(request, "vault/upload.html", {"form": UploadForm(), "done": done})


# ------------------------------------------------------------------ the item page


@dataclass(frozen=True)
class ShownPage:
    number: int
    text: str
    method: str
    language: str

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")


def _read(item: Item) -> bytes:
    with services.open_item(item) as stream:
        return stream.read()


def _pages(item: Item) -> list[ShownPage]:
    """The extracted pages. An encrypted item's text is read from its encrypted derivatives."""
    rows = list(Page.objects.filter(item=item).order_by("number"))
    if not item.encrypted:
        return [ShownPage(p.number, p.text, p.method, p.language) for p in rows]
    texts: dict[int, str] = {}
    for derivative in item.derivatives.filter(derivation__in=("text", "ocr")).order_by("id"):
        body = _read(derivative).decode("utf-8", errors="replace")
        parts = _PAGE_MARK.split(body)
        for number, text in zip(parts[1::2], parts[2::2], strict=True):
            texts[int(number)] = text.strip("\n")
    return [ShownPage(p.number, texts.get(p.number, ""), p.method, p.language) for p in rows]


def _metadata(item: Item) -> dict[str, Any]:
    found = item.derivatives.filter(derivation="metadata").order_by("-id").first()
    if found is None:
        return {}
    try:
        data = json.loads(_read(found))
    except (ValueError, OSError):
        return {}
    return data if isinstance(data, dict) else {}


def _proofs(item: Item) -> list[dict[str, Any]]:
    """For each receipt, the inclusion proof of its ingest entry to the latest checkpoint."""
    from dadkhah.vault import keys
    from dadkhah.vault.checkpoint import NoteError, open_checkpoint

    out: list[dict[str, Any]] = []
    for receipt in item.receipts.select_related("ledger_entry").order_by("received_at", "id"):
        entry = receipt.ledger_entry
        try:
            proof = ledger.proof(entry.seq)
        except ledger.LedgerError as exc:
            out.append({"entry": entry, "error": str(exc)})
            continue
        signed = ""
        if proof.checkpoint:
            try:
                data = open_checkpoint(proof.checkpoint, keys.verifier())
                signed = "valid" if data.size == proof.size else "for another size"
            except NoteError as exc:
                signed = f"invalid: {exc}"
        out.append({"entry": entry, "proof": proof, "included": proof.verify(), "signed": signed})
    return out


def _history(item: Item) -> tuple[list[dict[str, Any]], int]:
    """Custody entries of the item and of its derivatives, oldest first (the latest shown)."""
    names = {item.sha256: ""}
    for derivative in item.derivatives.order_by("id"):
        names[derivative.sha256] = derivative.derivation or "derivative"
    rows = LedgerEntry.objects.filter(item_sha256__in=list(names))
    total = rows.count()
    latest = list(rows.order_by("-seq")[:HISTORY_SHOWN])
    latest.reverse()
    why = audit.reasons(e.seq for e in latest if e.purpose.startswith("audit sha256:"))
    shown = [
        {"entry": e, "about": names.get(e.item_sha256, ""), "why": why.get(e.seq)} for e in latest
    ]
    return shown, total - len(shown)


class DownloadForm(forms.Form):
    purpose = forms.CharField(
        label="Purpose of this download",
        max_length=500,
        help_text="Recorded in the custody ledger with your name, e.g. “expert analysis for case file 12”.",
    )


def _preview_kind(item: Item, derivatives: list[Item]) -> tuple[str, Item | None]:
    if item.mime in INLINE_IMAGES:
        return "image", item
    thumbnail = next((d for d in derivatives if d.derivation == "thumbnail"), None)
    if thumbnail is not None:
        return "thumbnail", thumbnail
    return "", None


def _extraction_context(item: Item) -> dict[str, Any]:
    pages = _pages(item) if item.extraction_status in TERMINAL else []
    return {
        "item": item,
        "pages": pages,
        "polling": item.extraction_status not in TERMINAL,
        "can_edit": None,  # filled by the caller
    }


@require_GET
@require(can_review, "use the evidence vault")
def item_detail(request: HttpRequest, uid: str) -> HttpResponse:
    item = _item_or_404(request, uid)
    audit.item_access(request, item, "opened the item page")  # restricted+: audited
    clearance = clearance_of(request.user)
    derivatives = list(visible_items(clearance).filter(parent=item).order_by("derivation", "id"))
    parent = visible_items(clearance).filter(pk=item.parent_id).first() if item.parent_id else None
    preview, preview_item = _preview_kind(item, derivatives)
    history, earlier = _history(item)
    context = {
        **_extraction_context(item),
        "can_edit": can_edit(request.user),
        "receipts": list(
            item.receipts.select_related("ledger_entry").order_by("received_at", "id")
        ),
        "derivatives": derivatives,
        "parent": parent,
        "preview": preview,
        "preview_item": preview_item,
        "metadata": _metadata(item),
        "history": history,
        "earlier": earlier,
        "proofs": _proofs(item),
        "download_form": DownloadForm(),
        "level": Level(item.confidentiality),
        "mentioned": _mentioned(item, clearance),
    }
    return render(request, "vault/item.html", context)


def _mentioned(item: Item, clearance: Level) -> list[Any]:
    """The records the document mentions that the viewer may see (``search.mentioning``)."""
    from dadkhah.search.mentioning import records_mentioned

    return records_mentioned(item, clearance)


@require_GET
@require(can_review, "use the evidence vault")
def extraction(request: HttpRequest, uid: str) -> HttpResponse:
    """The extraction section alone, polled by htmx while the extraction runs."""
    item = _item_or_404(request, uid)
    context = _extraction_context(item)
    context["can_edit"] = can_edit(request.user)
    if context["pages"]:
        audit.item_access(request, item, "read the extracted text")
    return render(request, "vault/partials/extraction.html", context)


@require_POST
@require(can_edit, "start an extraction")
def extract_again(request: HttpRequest, uid: str) -> HttpResponse:
    item = _item_or_404(request, uid)
    Item.objects.filter(pk=item.pk).update(
        extraction_status="pending", extraction_progress=0, extraction_error=""
    )
    enqueue_extraction(item)
    return HttpResponseRedirect(item.get_absolute_url() + "#extraction")


# ------------------------------------------------------------------ bytes out


def _protect(response: HttpResponse, item: Item, *, inline: bool = False) -> HttpResponse:
    """nosniff, a sandbox, an attachment unless a safe image is shown (core.security), and
    no copy kept by caches or named in a Referer."""
    protect_file(response, item.mime, item.name, inline=inline)
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_GET
@require(can_review, "use the evidence vault")
def preview(request: HttpRequest, uid: str) -> HttpResponse:
    """A raster image (an original photograph or a thumbnail) inline, logged as a view."""
    item = _item_or_404(request, uid)
    if item.mime not in INLINE_IMAGES:
        raise Http404("This item has no inline preview.")
    audit.item_access(request, item, "previewed the image")
    response = FileResponse(services.open_item(item), content_type=item.mime)
    return _protect(response, item, inline=True)


@require_http_methods(["GET", "POST"])
@require(can_review, "use the evidence vault")
def download(request: HttpRequest, uid: str) -> HttpResponse:
    """The original as an attachment, after its purpose is given and logged."""
    item = _item_or_404(request, uid)
    if request.method == "GET":
        return render(request, "vault/download.html", {"item": item, "form": DownloadForm()})
    form = DownloadForm(request.POST)
    if not form.is_valid():
        return render(request, "vault/download.html", {"item": item, "form": form}, status=400)
    audit.record(request, "download", item, item.confidentiality, form.cleaned_data["purpose"])
    response = FileResponse(services.open_item(item), content_type=item.mime)
    return _protect(response, item)
