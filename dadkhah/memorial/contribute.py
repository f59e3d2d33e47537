"""The public contribution form: families and witnesses send what they know, and files.

``/<lang>/contribute/`` asks a proof-of-work check of the browser (``core.pow``, no third
party) instead of a CAPTCHA. A submission is all or nothing: every field and file is
checked first; then, in one transaction, the check's answer is spent and the vault
preserves the files and a canonical JSON record of the form (RESTRICTED, encrypted at rest,
collector "public contribution"), plus — only if the contributor gave a name or a way to
reach them — a separate PROTECTED JSON item with that identity; finally a pending
:class:`~dadkhah.memorial.contributions.Contribution` enters the staff review queue
(``contributions_review``). Nothing of it is public until a reviewer publishes it through
the publication flow.

Network addresses are never stored. The rate limit keeps, for its window only, an
HMAC-SHA256 of the address under a key in ``DADKHAH_HOME/keys``; an address over the limit
gets the same "thank you" page as a real submission, and nothing is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from django import forms
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from dadkhah.core.confidentiality import Level
from dadkhah.core.errors import FieldError
from dadkhah.core.languages import page_language
from dadkhah.core.pow import PowError, ProofOfWork, Solution
from dadkhah.memorial.contributions import (
    Contribution,
    ContributionFile,
    DbSpentStore,
    RateHit,
    SpentChallenge,
)
from dadkhah.memorial.models import VictimEntry
from dadkhah.vault import keys, ledger
from dadkhah.vault.canonical import canonical_json
from dadkhah.vault.models import Item
from dadkhah.vault.services import (
    IngestError,
    Origin,
    Pending,
    Preserver,
    detect_mime,
    plain_name,
)
from dadkhah.vault.store import HEAD, Staged

__all__ = [
    "ACCEPTED_TYPES",
    "COLLECTOR",
    "ContributionError",
    "ContributionForm",
    "FileIn",
    "Limits",
    "address_key",
    "challenge",
    "contribute",
    "contribute_done",
    "limits",
    "pow_engine",
    "purge",
    "rate_limited",
    "submit",
]

logger = logging.getLogger(__name__)

COLLECTOR = "public contribution"
POW_SCOPE = "memorial-contribution"
POW_KEY_FILE = "pow.key"
ADDRESS_KEY_FILE = "address.key"
RECORD_FORM = "dadkhah.memorial.contribution/1"
MAX_TEXT = 20_000
# Detected from the content (libmagic), never from the name. No archives, web pages,
# scripts or programs: nothing that unpacks or runs.
ACCEPTED_TYPES = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/webp",
        "image/gif",
        "image/heic",
        "image/heif",
        "image/tiff",
        "application/pdf",
        "text/plain",
        "text/csv",
        "application/msword",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.oasis.opendocument.text",
        "audio/mpeg",
        "audio/mp4",
        "audio/x-m4a",
        "audio/aac",
        "audio/ogg",
        "audio/wav",
        "audio/x-wav",
        "audio/webm",
        "audio/amr",
        "video/mp4",
        "video/quicktime",
        "video/webm",
        "video/3gpp",
        "video/x-matroska",
    }
)


class ContributionError(FieldError):
    """A submission refused as a whole; ``field`` names the form field."""


# ------------------------------------------------------------------ settings and keys


@dataclass(frozen=True)
class Limits:
    max_files: int
    max_file_bytes: int
    rate_count: int
    rate_window: timedelta

    @property
    def max_request_bytes(self) -> int:
        """A whole request may carry every file at its largest, plus 1 MB of form fields."""
        return self.max_files * self.max_file_bytes + (1 << 20)


def limits() -> Limits:
    cfg = settings.CONFIG
    count, seconds = cfg.contribute_rate
    return Limits(
        max_files=cfg.contribute_max_files,
        max_file_bytes=cfg.contribute_max_file_mb * 1_000_000,
        rate_count=count,
        rate_window=timedelta(seconds=seconds),
    )


def pow_engine() -> ProofOfWork:
    cfg = settings.CONFIG
    return ProofOfWork(
        keys.secret(POW_KEY_FILE), max_number=cfg.pow_max_number, ttl=timedelta(seconds=cfg.pow_ttl)
    )


def address_key(request: HttpRequest) -> str:
    """The keyed hash of the client's address (REMOTE_ADDR); the address itself is not kept."""
    address = request.META.get("REMOTE_ADDR", "") or "unknown"
    return hmac.new(keys.secret(ADDRESS_KEY_FILE), address.encode(), hashlib.sha256).hexdigest()


def purge(now: datetime, limit: Limits) -> tuple[int, int]:
    """Delete address hashes older than the window and spent answers past their expiry;
    returns how many of each. Run at each submission and every 10 minutes by the task
    consumer (``memorial.tasks``)."""
    hits, _ = RateHit.objects.filter(scope=POW_SCOPE, at__lt=now - limit.rate_window).delete()
    spent, _ = SpentChallenge.objects.filter(scope=POW_SCOPE, expires_at__lt=now).delete()
    return hits, spent


def rate_limited(key: str, now: datetime, limit: Limits) -> bool:
    """Count this attempt; True when the address made ``rate_count`` attempts in the window
    already. Rows older than the window are deleted first."""
    since = now - limit.rate_window
    with transaction.atomic():
        purge(now, limit)
        recent = RateHit.objects.filter(scope=POW_SCOPE, key=key, at__gte=since).count()
        if recent >= limit.rate_count:
            return True
        RateHit.objects.create(scope=POW_SCOPE, key=key, at=now)
    return False


# ------------------------------------------------------------------ the form


class ContributionForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("What you know"), required=False, max_length=MAX_TEXT)
    about_name = forms.CharField(
        label=gettext_lazy("About whom (name)"), required=False, max_length=300
    )
    victim = forms.CharField(required=False, max_length=64)
    name = forms.CharField(label=gettext_lazy("Your name"), required=False, max_length=200)
    contact = forms.CharField(
        label=gettext_lazy("How to reach you"), required=False, max_length=300
    )
    named = forms.ChoiceField(
        label=gettext_lazy("If what you sent is published"),
        choices=[("anonymous", "anonymous"), ("named", "named")],
        initial="anonymous",
    )
    contact_consent = forms.BooleanField(
        label=gettext_lazy("You may contact me about what I sent."), required=False
    )

    def clean_victim(self) -> VictimEntry | None:
        uid = self.cleaned_data.get("victim", "").strip()
        if not uid:
            return None
        entry = VictimEntry.objects.filter(
            uid=uid, person__confidentiality=int(Level.PUBLIC)
        ).first()
        if entry is None:
            raise forms.ValidationError(_("There is no victim's page with this id."))
        return entry

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("named") == "named" and not data.get("name", "").strip():
            self.add_error("name", _("To be named, write your name, or choose to stay anonymous."))
        if data.get("contact_consent") and not data.get("contact", "").strip():
            self.add_error("contact", _("Write how we may reach you, or untick the box."))
        if data.get("contact", "").strip() and not data.get("contact_consent"):
            self.add_error(
                "contact_consent",
                _("Tick the box if we may contact you, or leave the contact empty."),
            )
        return data


@dataclass
class FileIn:
    """One uploaded file, checked: its name as sent, size and detected type."""

    name: str
    size: int
    mime: str
    source: Path | IO[bytes] = field(repr=False)
    sha256: str = ""  # known once staged


def _safe_name(raw: str) -> str:
    name = raw.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    return name[:200] or "unnamed"


def check_files(uploads: list[Any], limit: Limits) -> tuple[list[FileIn], list[str]]:
    """Every file checked before anything is kept: count, size, type from the content."""
    problems: list[str] = []
    if len(uploads) > limit.max_files:
        problems.append(
            _("Too many files: %(count)s sent, at most %(max)s.")
            % {"count": len(uploads), "max": limit.max_files}
        )
        return [], problems
    files: list[FileIn] = []
    max_mb = limit.max_file_bytes // 1_000_000
    for upload in uploads:
        name = _safe_name(getattr(upload, "name", "") or "")
        shown = f"\u2068{name}\u2069"  # isolated: a Latin name in a Persian sentence
        size = int(upload.size or 0)
        if size == 0:
            problems.append(_("%(name)s: the file is empty.") % {"name": shown})
            continue
        if size > limit.max_file_bytes:
            problems.append(
                _("%(name)s: the file is too large (%(size)s MB; at most %(max)s MB).")
                % {"name": shown, "size": f"{size / 1_000_000:.1f}", "max": max_mb}
            )
            continue
        upload.seek(0)
        head = upload.read(HEAD)
        upload.seek(0)
        mime = detect_mime(head).split(";")[0].strip()
        if mime not in ACCEPTED_TYPES:
            problems.append(
                _(
                    "%(name)s: this kind of file (%(type)s) is not accepted. Send photos, "
                    "PDF, text or Word documents, audio or video."
                )
                % {"name": shown, "type": f"\u2068{mime}\u2069"}
            )
            continue
        temp_path = getattr(upload, "temporary_file_path", None)
        source: Path | IO[bytes] = Path(temp_path()) if temp_path is not None else upload
        files.append(FileIn(name=name, size=size, mime=mime, source=source))
    return files, problems


# ------------------------------------------------------------------ preserving a submission


@dataclass(frozen=True)
class Submission:
    text: str
    about_name: str
    victim: VictimEntry | None
    name: str
    contact: str
    named: bool
    contact_consent: bool
    language: str
    files: list[FileIn]


def _json_bytes(obj: dict[str, Any]) -> bytes:
    return canonical_json(obj) + b"\n"


def _stage_bytes(preserver: Preserver, data: bytes) -> Staged:
    return preserver.stage(io.BytesIO(data), encrypted=True)


def submit(data: Submission, solution: Solution, engine: ProofOfWork) -> Contribution:
    """Preserve a checked submission and queue it for review, all or nothing.

    The proof-of-work answer is spent inside the same transaction, first: a replayed
    answer (or one spent concurrently) raises PowError before anything is stored. Blobs a
    failed transaction leaves in the store are removed by the vault's ``repair``.
    """
    if not (data.text.strip() or data.files):
        raise ContributionError(_("Write what you know, or attach a file."), "text")
    expires = engine.check(solution)
    now = timezone.now()
    uid = f"co-{secrets.token_hex(6)}"
    consent = (
        f"named: {'yes' if data.named else 'no'}; "
        f"may be contacted: {'yes' if data.contact_consent else 'no'}"
    )
    note = f"memorial contribution {uid}"
    # A file's bytes may be in the vault already, at a lower level; its new receipt then
    # shows where the bytes came from, but not the contributor's choices.
    files_preserver = Preserver(
        COLLECTOR,
        note=note,
        source="memorial contribution form",
        restricted=True,
        purpose="preserve a public contribution as received",
    )
    json_preserver = Preserver(
        COLLECTOR,
        note=note,
        source="memorial contribution form",
        consent=consent,
        restricted=True,
        purpose="preserve a public contribution as received",
        extract=False,
    )
    staged: list[Staged] = []
    try:
        pending: list[Pending] = []
        for position, upload in enumerate(data.files, 1):
            one = files_preserver.stage(upload.source, encrypted=True)
            staged.append(one)
            upload.sha256 = f"sha256:{one.hex}"
            origin = Origin(name=plain_name(upload.name), path=f"{uid}/files/{position}")
            pending.append(Pending(one, origin, upload.mime))
        identity: Staged | None = None
        if data.name.strip() or data.contact.strip():
            identity_doc = {
                "form": RECORD_FORM,
                "contribution": uid,
                "name": data.name.strip(),
                "contact": data.contact.strip(),
                "named": data.named,
                "contact_consent": data.contact_consent,
                "nonce": secrets.token_hex(16),  # so that a guessed identity can't be hashed
            }
            identity = _stage_bytes(json_preserver, _json_bytes(identity_doc))
            staged.append(identity)
        record_doc = {
            "form": RECORD_FORM,
            "contribution": uid,
            "received_at": ledger.rfc3339(now),
            "language": data.language,
            "text": data.text,
            "about_name": data.about_name.strip(),
            "victim": data.victim.uid if data.victim is not None else None,
            "files": [
                {"name": f.name, "size": f.size, "mime": f.mime, "sha256": f.sha256}
                for f in data.files
            ],
            "named": data.named,
            "contact_consent": data.contact_consent,
            "identity_sha256": f"sha256:{identity.hex}" if identity is not None else None,
            "nonce": secrets.token_hex(16),
        }
        record = _stage_bytes(json_preserver, _json_bytes(record_doc))
        staged.append(record)
        with transaction.atomic():
            if not DbSpentStore(POW_SCOPE, now).spend(solution.challenge, expires):
                raise PowError("spent", "this answer to the check was used already")
            items = files_preserver.commit_many(pending, level=Level.RESTRICTED)
            record_item = json_preserver.commit(
                record,
                Origin(name=plain_name(f"{uid}.json"), path=f"{uid}/record.json"),
                "application/json",
                level=Level.RESTRICTED,
            )
            identity_item: Item | None = None
            if identity is not None:
                identity_item = json_preserver.commit(
                    identity,
                    Origin(name=plain_name(f"{uid}-contributor.json"), path=f"{uid}/contributor"),
                    "application/json",
                    level=Level.PROTECTED,
                )
            contribution = Contribution(
                uid=uid,
                received_at=now,
                language=data.language,
                confidentiality=int(Level.RESTRICTED),
                about_name=data.about_name.strip(),
                victim=data.victim.person if data.victim is not None else None,
                text=data.text,
                record_item=record_item,
                identity_item=identity_item,
                named=data.named,
                contact_consent=data.contact_consent,
            )
            contribution._change_reason = "received through the public form"  # type: ignore[attr-defined]
            contribution.save()
            ContributionFile.objects.bulk_create(
                ContributionFile(contribution=contribution, item=item, position=n, sent_name=f.name)
                for n, (item, f) in enumerate(zip(items, data.files, strict=True), 1)
            )
    finally:
        for one in staged:
            one.temp.unlink(missing_ok=True)
    return contribution


# ------------------------------------------------------------------ views


def _context(
    form: ContributionForm, problems: list[str], victim: VictimEntry | None
) -> dict[str, Any]:
    engine = pow_engine()
    limit = limits()
    return {
        "nav": "contribute",
        "lang": page_language(),
        "form": form,
        "problems": problems,
        "victim": victim,
        "challenge_json": json.dumps(engine.issue().as_dict()),
        "max_files": limit.max_files,
        "max_file_mb": limit.max_file_bytes // 1_000_000,
        "contact": settings.CONFIG.contact,
        "rate_window_minutes": max(1, int(limit.rate_window.total_seconds() // 60)),
    }


def _victim_from_query(request: HttpRequest) -> VictimEntry | None:
    uid = request.GET.get("victim", "").strip()
    if not uid:
        return None
    return VictimEntry.objects.filter(uid=uid, person__confidentiality=int(Level.PUBLIC)).first()


def _refuse(
    request: HttpRequest, form: ContributionForm, problems: list[str], status: int
) -> HttpResponse:
    victim = form.cleaned_data.get("victim") if hasattr(form, "cleaned_data") else None
    context = _context(form, problems, victim if isinstance(victim, VictimEntry) else None)
    response = render(request, "memorial/contribute.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt
@require_http_methods(["GET", "POST"])
def contribute(request: HttpRequest) -> HttpResponse:
    """The form. A request larger than the limits allow is refused before its body is read
    (CSRF is checked afterwards, by ``_contribute``)."""
    if request.method == "POST":
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = limits()
        if length > limit.max_request_bytes:
            message = _(
                "What you sent is too large (%(size)s MB). Send at most %(count)s files of "
                "%(max)s MB each; nothing was kept."
            ) % {
                "size": f"{length / 1_000_000:.0f}",
                "count": limit.max_files,
                "max": limit.max_file_bytes // 1_000_000,
            }
            response = render(
                request,
                "memorial/contribute.html",
                _context(ContributionForm(), [message], None),
                status=413,
            )
            response["Connection"] = "close"
            return response
    return _contribute(request)


@csrf_protect
def _contribute(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        victim = _victim_from_query(request)
        form = ContributionForm(initial={"victim": victim.uid if victim is not None else ""})
        response = render(request, "memorial/contribute.html", _context(form, [], victim))
        response["Cache-Control"] = "no-store"
        return response
    limit = limits()
    now = timezone.now()
    form = ContributionForm(request.POST)
    uploads = request.FILES.getlist("files")
    files, problems = check_files(uploads, limit)
    if not form.is_valid() or problems:
        return _refuse(request, form, problems, 400)
    engine = pow_engine()
    try:
        solution = Solution.from_payload(request.POST.get("pow", ""))
    except PowError as exc:
        return _refuse(request, form, [_pow_message(exc)], 400)
    done = HttpResponseRedirect(reverse("memorial:contribute_done"), status=303)
    if rate_limited(address_key(request), now, limit):
        return done  # the same answer as a real submission: abuse learns nothing
    cleaned = form.cleaned_data
    submission = Submission(
        text=cleaned["text"],
        about_name=cleaned["about_name"],
        victim=cleaned["victim"],
        name=cleaned["name"],
        contact=cleaned["contact"],
        named=cleaned["named"] == "named",
        contact_consent=bool(cleaned["contact_consent"]),
        language=page_language(),
        files=files,
    )
    try:
        submit(submission, solution, engine)
    except PowError as exc:
        return _refuse(request, form, [_pow_message(exc)], 400)
    except ContributionError as exc:
        return _refuse(request, form, [str(exc)], 400)
    except (IngestError, OSError) as exc:
        # the type only: the message may carry the contributor's file names
        logger.error("a contribution could not be preserved (%s)", type(exc).__name__)
        message = _(
            "What you sent could not be stored, so nothing was kept. Please try again "
            "later, or use the other way to reach us given above."
        )
        return _refuse(request, form, [message], 503)
    return done


def _pow_message(exc: PowError) -> str:
    if exc.reason == "missing":
        return _(
            "The automatic check did not run, so nothing was kept. It needs JavaScript: "
            "wait until it says it is done, then send again, or use the other way to reach "
            "us given above."
        )
    if exc.reason == "expired":
        return _("The automatic check expired, so nothing was kept. Please send again.")
    return _(
        "The automatic check failed, so nothing was kept. Please send again, or use the "
        "other way to reach us given above."
    )


@require_GET
def challenge(request: HttpRequest) -> JsonResponse:
    """A fresh challenge, for a form left open longer than a challenge lives."""
    response = JsonResponse(pow_engine().issue().as_dict())
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def contribute_done(request: HttpRequest) -> HttpResponse:
    context = {"nav": "contribute", "lang": page_language(), "contact": settings.CONFIG.contact}
    response = render(request, "memorial/contribute_done.html", context)
    response["Cache-Control"] = "no-store"
    return response
