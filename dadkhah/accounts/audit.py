"""The audit trail: who saw or took restricted material, who changed whose role, and why.

An :class:`AuditEntry` says when, who (user id and username, kept as text so that it
outlives the account), with which role, did what (``ACTIONS``, a fixed vocabulary) to which
object (kind, id, confidentiality level), from where (the client address, in clear: staff
are accountable; the user agent, shortened), through which channel (web, api, admin, cli)
and why (a reason, required for reveals and for taking restricted or protected material
out). Entries are only ever added: no code path updates or deletes one, and the admin
shows them read-only.

Each entry is chained into the vault's custody ledger by :func:`record`: one
``ledger.append`` per entry, whose ``purpose`` is ``audit sha256:<hex>``, the SHA-256 of the
canonical JSON (RFC 8785) of the entry's fields (:func:`canonical_fields`), and whose
details are ``{"audit": 1}``. The ledger commits to the entry without disclosing it: an
evidence bundle carries the custody entries of its items, and those must not hand a staff
member's address or reason to whoever receives the bundle. The row itself, kept in the
database, is what the hash is checked against. The
entry keeps the ledger ``seq``. Changing an entry's row, deleting it or inventing one no
longer matches the ledger (:func:`check`, run by ``dadkhah verify``); changing the ledger
entry breaks its leaf hash and the signed checkpoints that cover it (``vault.verify``).
``record`` signs no checkpoint: ingestion, bundles, dossiers, ``dadkhah verify``, proofs
and the periodic :func:`sign_checkpoint` task sign one over whatever the ledger holds.

What is recorded (by the views, the API and the command line): every view by staff of a
record, source, claim or vault item page that shows restricted or protected material
(:func:`view`), every API read of such material, every download, bundle, export and
dossier at any level, every identity reveal, and every role change. Views of public and
internal pages are not: they are too many, and the vault's custody ledger already logs
every read of an item's content.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from dadkhah.core.confidentiality import Level, Role
from dadkhah.core.errors import FieldError

__all__ = [
    "ACTIONS",
    "AuditEntry",
    "AuditError",
    "AuditProblem",
    "LEDGER_MARK",
    "Who",
    "canonical_fields",
    "check",
    "filtered",
    "highest",
    "item_access",
    "needs_reason",
    "record",
    "sign_checkpoint",
    "view",
    "who",
]

# action -> the custody ledger event it is appended as
ACTIONS: dict[str, str] = {
    "view": "view",  # a page showing restricted or protected material
    "api-read": "view",  # the same through the API
    "reveal": "view",  # a protected identity shown in clear
    "download": "download",  # an original taken out of the vault
    "export": "export",  # records or audit entries exported (CSV, JSON Lines, FtM)
    "bundle": "export",  # an evidence bundle
    "dossier": "export",  # a case file generated (its own "dossier" entry is the generation)
    "permission-change": "security",  # a role, staff or superuser flag, group or permission
}
# Taking restricted or protected material out needs a reason; a reveal always does.
TAKEN_OUT = frozenset({"download", "export", "bundle", "dossier"})
ALWAYS_EXPLAINED = frozenset({"reveal"})
CHANNELS = ("web", "api", "admin", "cli")
LEDGER_MARK = {"audit": 1}  # the details of every audit entry in the ledger
AGENT_CHARS = 120
PAGE_SIZE = 50


class AuditError(FieldError):
    """An audit entry was refused (an unknown action, a missing reason); ``field`` names it."""


class AuditEntry(models.Model):
    """One audited act. Append-only: see the module docstring."""

    created_at = models.DateTimeField(db_index=True)
    actor_id = models.BigIntegerField(
        null=True, blank=True, help_text="The user's id; empty on the command line."
    )
    actor = models.CharField(max_length=150, db_index=True, help_text="The username, as text.")
    role = models.CharField(max_length=20, help_text="The actor's role at the time.")
    action = models.CharField(max_length=30, choices=[(a, a) for a in ACTIONS], db_index=True)
    object_kind = models.CharField(max_length=40)
    object_uid = models.CharField(max_length=200, db_index=True)
    level = models.PositiveSmallIntegerField(
        choices=[(level.value, level.label) for level in Level]
    )
    detail = models.CharField(max_length=300, blank=True, help_text="What exactly, in words.")
    reason = models.TextField(blank=True)
    channel = models.CharField(max_length=10, choices=[(c, c) for c in CHANNELS])
    address = models.CharField(
        max_length=64, blank=True, help_text="The client address, in clear (staff actions)."
    )
    user_agent = models.CharField(max_length=AGENT_CHARS, blank=True)
    ledger_seq = models.BigIntegerField(unique=True, help_text="Its entry in the custody ledger.")

    class Meta:
        app_label = "accounts"
        ordering = ["-created_at", "-id"]
        verbose_name = "audit entry"
        verbose_name_plural = "audit trail"

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.object_kind} {self.object_uid}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AuditError("audit entries are never changed", "id")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AuditError("audit entries are never deleted", "id")

    @property
    def level_label(self) -> str:
        return Level(self.level).label


# ------------------------------------------------------------------ who


@dataclass(frozen=True)
class Who:
    """The actor of an audited act, as recorded."""

    user_id: int | None
    name: str
    role: str
    channel: str
    address: str = ""
    user_agent: str = ""


def _system_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"


def _request_user(request: HttpRequest) -> Any:
    """The API's authenticated caller (``request.auth``) or the session's user."""
    auth = getattr(request, "auth", None)
    if auth is not None and hasattr(auth, "is_authenticated"):
        return auth
    return getattr(request, "user", None)


def who(actor: HttpRequest | Any | str | None) -> Who:
    """A request (web, API or admin), a user (acting from the command line), a name (the
    command line's operator) or None (the operator running this process)."""
    from dadkhah.accounts.roles import role_of

    if actor is None or isinstance(actor, str):
        return Who(None, (actor or "").strip() or _system_name(), "operator", "cli")
    if isinstance(actor, HttpRequest):
        from dadkhah.campaign.abuse import client_address

        user = _request_user(actor)
        path = actor.path
        channel = (
            "api" if path.startswith("/api/") else "admin" if path.startswith("/admin/") else "web"
        )
        known = user is not None and getattr(user, "is_authenticated", False)
        return Who(
            int(user.pk) if known else None,
            user.get_username() if known else "anonymous",
            role_of(user).value,
            channel,
            client_address(actor) or "",
            str(actor.META.get("HTTP_USER_AGENT", ""))[:AGENT_CHARS],
        )
    return Who(int(actor.pk), actor.get_username(), role_of(actor).value, "cli")


# ------------------------------------------------------------------ what


def _describe(obj: Any) -> tuple[str, str, str]:
    """(kind, uid, item sha256 or "") of an audited object: a model instance or (kind, uid)."""
    if isinstance(obj, tuple):
        kind, uid = obj
        return str(kind), str(uid), ""
    meta = getattr(obj, "_meta", None)
    if meta is not None and meta.label == "vault.Item":
        return "item", str(obj.uid), str(obj.sha256)
    kind = getattr(obj, "KIND", "") or (meta.model_name if meta is not None else type(obj).__name__)
    if hasattr(obj, "get_username"):
        return "user", str(obj.get_username()), ""
    uid = getattr(obj, "uid", None)
    return str(kind), str(uid if uid is not None else obj.pk), ""


def _level(thing: Any) -> int:
    if isinstance(thing, int):
        return int(thing)
    if isinstance(thing, str):
        return int(Level[thing.upper()])
    return int(getattr(thing, "confidentiality", Level.PUBLIC))


def highest(*things: Any) -> Level:
    """The highest confidentiality among levels, level names ("restricted") and objects
    with a ``confidentiality``; public when there is none."""
    return Level(max((_level(t) for t in things), default=int(Level.PUBLIC)))


def needs_reason(action: str, level: Level | int) -> bool:
    return action in ALWAYS_EXPLAINED or (action in TAKEN_OUT and int(level) >= Level.RESTRICTED)


def canonical_fields(entry: AuditEntry) -> dict[str, Any]:
    """The fields of an entry as hashed into the ledger (the ``purpose`` of its entry)."""
    from dadkhah.vault.ledger import rfc3339

    return {
        "audit": 1,
        "when": rfc3339(entry.created_at),
        "actor_id": entry.actor_id,
        "actor": entry.actor,
        "role": entry.role,
        "action": entry.action,
        "object": {"kind": entry.object_kind, "uid": entry.object_uid, "level": entry.level},
        "detail": entry.detail,
        "reason": entry.reason,
        "channel": entry.channel,
        "address": entry.address,
        "user_agent": entry.user_agent,
    }


def _purpose(entry: AuditEntry) -> str:
    import hashlib

    from dadkhah.vault.canonical import canonical_json

    return "audit sha256:" + hashlib.sha256(canonical_json(canonical_fields(entry))).hexdigest()


def reasons(seqs: Iterable[int]) -> dict[int, str]:
    """The reason (or detail) of the audit entries logged at these ledger ``seq``s, for
    staff pages that list custody entries (the ledger holds only the entry's hash)."""
    rows = AuditEntry.objects.filter(ledger_seq__in=list(seqs)).values_list(
        "ledger_seq", "reason", "detail"
    )
    return {seq: reason or detail for seq, reason, detail in rows}


def record(
    actor: HttpRequest | Any | str | None,
    action: str,
    obj: Any,
    level: Level | int,
    reason: str = "",
    *,
    detail: str = "",
) -> AuditEntry:
    """Record one act: the entry and its ledger entry, in one transaction (the caller's, if
    any). Raises AuditError for an unknown action or a missing reason."""
    from dadkhah.vault import ledger

    if action not in ACTIONS:
        raise AuditError(f"unknown audit action {action!r}; one of {', '.join(ACTIONS)}", "action")
    level = Level(level)
    reason = reason.strip()
    if needs_reason(action, level) and not reason:
        what = "a reveal" if action == "reveal" else f"a {action} of {level.label} material"
        raise AuditError(f"reason: {what} needs a reason, recorded with your name", "reason")
    actor_ = who(actor)
    kind, uid, sha = _describe(obj)
    entry = AuditEntry(
        created_at=timezone.now(),
        actor_id=actor_.user_id,
        actor=actor_.name[:150],
        role=actor_.role,
        action=action,
        object_kind=kind[:40],
        object_uid=uid[:200],
        level=int(level),
        detail=detail.strip()[:300],
        reason=reason,
        channel=actor_.channel,
        address=actor_.address,
        user_agent=actor_.user_agent,
    )
    with transaction.atomic():
        logged = ledger.append(
            ACTIONS[action], entry.actor, _purpose(entry), sha, dict(LEDGER_MARK)
        )
        entry.ledger_seq = logged.seq
        entry.save()
    return entry


def view(request: HttpRequest, obj: Any, level: Level | int, detail: str = "") -> AuditEntry | None:
    """Record a staff member's view (``api-read`` through the API) of restricted or
    protected material; public and internal views are not recorded (None)."""
    from dadkhah.accounts.roles import role_of

    if int(level) < Level.RESTRICTED or role_of(_request_user(request)) is Role.PUBLIC:
        return None
    action = "api-read" if request.path.startswith("/api/") else "view"
    return record(request, action, obj, level, detail=detail)


def item_access(request: HttpRequest, item: Any, what: str) -> Any:
    """A read of a vault item's content: an audit entry (whose ledger entry is the item's
    custody entry) for restricted and protected items, a plain custody entry otherwise."""
    from dadkhah.vault import services

    if int(item.confidentiality) >= Level.RESTRICTED:
        return record(request, "view", item, item.confidentiality, detail=what)
    return services.record_view(item, _request_user(request).get_username(), what)


# ------------------------------------------------------------------ checking


@dataclass(frozen=True)
class AuditProblem:
    kind: str
    message: str
    seq: int | None = None
    entry: int | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"problem": self.kind}
        if self.entry is not None:
            out["audit_entry"] = self.entry
        if self.seq is not None:
            out["seq"] = self.seq
        out["message"] = self.message
        return out

    def __str__(self) -> str:
        names = [f"audit entry {self.entry}" if self.entry is not None else ""]
        names.append(f"entry {self.seq}" if self.seq is not None else "")
        where = ", ".join(n for n in names if n)
        return f"{self.kind} [{where}]: {self.message}" if where else f"{self.kind}: {self.message}"


def _is_marked(body: str) -> bool:
    import json

    try:
        details = json.loads(body).get("details")
    except (ValueError, AttributeError):
        return False
    return isinstance(details, dict) and details.get("audit") == 1


def check() -> list[AuditProblem]:
    """Every audit entry matches its ledger entry (event, actor, purpose), and every ledger
    entry marked as an audit entry has its row. The ledger itself is ``vault.verify``'s."""
    from dadkhah.vault.models import LedgerEntry

    problems: list[AuditProblem] = []
    seen: set[int] = set()
    rows = AuditEntry.objects.order_by("ledger_seq")
    for batch_start in range(0, rows.count(), 2000):
        batch = list(rows[batch_start : batch_start + 2000])
        logged = {
            e.seq: e for e in LedgerEntry.objects.filter(seq__in=[r.ledger_seq for r in batch])
        }
        for row in batch:
            seen.add(row.ledger_seq)
            entry = logged.get(row.ledger_seq)
            if entry is None:
                problems.append(
                    AuditProblem(
                        "audit-unlogged",
                        f"audit entry {row.pk}: its ledger entry is missing",
                        row.ledger_seq,
                        row.pk,
                    )
                )
            elif (
                entry.purpose != _purpose(row)
                or entry.event != ACTIONS.get(row.action)
                or entry.actor != row.actor
                or not _is_marked(entry.body)
            ):
                problems.append(
                    AuditProblem(
                        "audit-altered",
                        f"audit entry {row.pk} differs from the one hashed into the ledger",
                        row.ledger_seq,
                        row.pk,
                    )
                )
    marked = LedgerEntry.objects.filter(body__contains='"details":{"audit":1}').exclude(
        seq__in=AuditEntry.objects.values("ledger_seq")
    )
    for seq, body in marked.order_by("seq").values_list("seq", "body"):
        if seq not in seen and _is_marked(body):
            problems.append(
                AuditProblem("audit-missing", "the ledger holds an audit entry with no row", seq)
            )
    return problems


# ------------------------------------------------------------------ searching


@dataclass(frozen=True)
class Filters:
    actor: str = ""
    action: str = ""
    object: str = ""
    date_from: date | None = None
    date_to: date | None = None
    reason: str = ""

    def query(self) -> dict[str, str]:
        out = {
            "actor": self.actor,
            "action": self.action,
            "object": self.object,
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "reason": self.reason,
        }
        return {k: v for k, v in out.items() if v}


def parse_filters(data: Any) -> Filters:
    """Filters from a query string; AuditError names a bad field."""

    def day(name: str) -> date | None:
        text = str(data.get(name, "")).strip()
        if not text:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise AuditError(f"{name}: {text!r} is not a date (YYYY-MM-DD)", name) from None

    action = str(data.get("action", "")).strip()
    if action and action not in ACTIONS:
        raise AuditError(f"action: {action!r} is not one of {', '.join(ACTIONS)}", "action")
    return Filters(
        actor=str(data.get("actor", "")).strip()[:150],
        action=action,
        object=str(data.get("object", "")).strip()[:200],
        date_from=day("from"),
        date_to=day("to"),
        reason=str(data.get("reason", "")).strip()[:200],
    )


def filtered(filters: Filters) -> models.QuerySet[AuditEntry]:
    rows = AuditEntry.objects.all()
    if filters.actor:
        rows = rows.filter(actor__icontains=filters.actor)
    if filters.action:
        rows = rows.filter(action=filters.action)
    if filters.object:
        rows = rows.filter(
            models.Q(object_uid__icontains=filters.object)
            | models.Q(object_kind__iexact=filters.object)
        )
    if filters.date_from is not None:
        rows = rows.filter(created_at__gte=datetime.combine(filters.date_from, time(), UTC))
    if filters.date_to is not None:
        end = datetime.combine(filters.date_to + timedelta(days=1), time(), UTC)
        rows = rows.filter(created_at__lt=end)
    if filters.reason:
        rows = rows.filter(reason__icontains=filters.reason)
    return rows.order_by("-created_at", "-id")


CSV_COLUMNS = (
    "when",
    "actor_id",
    "actor",
    "role",
    "action",
    "object_kind",
    "object_uid",
    "level",
    "detail",
    "reason",
    "channel",
    "address",
    "user_agent",
    "ledger_seq",
)


def csv_rows(rows: Iterable[AuditEntry]) -> Iterable[list[str]]:
    from dadkhah.vault.ledger import rfc3339

    yield list(CSV_COLUMNS)
    for row in rows:
        yield [
            rfc3339(row.created_at),
            "" if row.actor_id is None else str(row.actor_id),
            row.actor,
            row.role,
            row.action,
            row.object_kind,
            row.object_uid,
            row.level_label,
            row.detail,
            row.reason,
            row.channel,
            row.address,
            row.user_agent,
            str(row.ledger_seq),
        ]


# ------------------------------------------------------------------ access to the page


def is_administrator(user: Any) -> bool:
    from dadkhah.accounts.roles import role_of

    return role_of(user) is Role.ADMINISTRATOR


def administrators_only(view_func: Callable[..., Any]) -> Callable[..., Any]:
    """Anonymous visitors go to the login page; everyone but administrators gets 403."""

    @wraps(view_func)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_administrator(request.user):
            raise PermissionDenied("Only administrators may read the audit trail.")
        return view_func(request, *args, **kwargs)

    return wrapped


# ------------------------------------------------------------------ pages


def _page_context(request: HttpRequest) -> tuple[dict[str, Any], int]:
    from django.core.paginator import Paginator

    try:
        filters = parse_filters(request.GET)
        error = ""
    except AuditError as exc:
        filters, error = Filters(), str(exc)
    rows = filtered(filters)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "filters": filters,
        "query": filters.query(),
        "actions": list(ACTIONS),
        "error": error,
        "csv_error": "",
        "levels": {level.value: level.label for level in Level},
    }
    return context, 400 if error else 200


@administrators_only
def audit_page(request: HttpRequest) -> Any:
    """``/audit/``: the trail, searchable by actor, action, object, dates and reason;
    a POST exports the filtered entries as CSV (itself audited, with its reason)."""
    import csv
    import io

    from django.http import HttpResponse, HttpResponseNotAllowed
    from django.shortcuts import render

    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    context, status = _page_context(request)
    if request.method == "POST":
        try:
            filters = parse_filters(request.POST)
            rows = list(filtered(filters))
            record(
                request,
                "export",
                ("audit", "trail"),
                Level.RESTRICTED,  # the trail names protected material and staff addresses
                request.POST.get("export_reason", ""),
                detail=f"{len(rows)} audit entries as CSV; filters {filters.query() or 'none'}",
            )
        except AuditError as exc:
            context["csv_error"] = str(exc)
            return render(request, "accounts/audit.html", context, status=400)
        buffer = io.StringIO()
        csv.writer(buffer).writerows(csv_rows(rows))
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
        response["Cache-Control"] = "private, no-store"
        return response
    response = render(request, "accounts/audit.html", context, status=status)
    response["Cache-Control"] = "private, no-store"
    return response


@administrators_only
def audit_entry(request: HttpRequest, seq: int) -> Any:
    """One entry with its ledger entry and the inclusion proof of that entry to a signed
    checkpoint (signed now if none covers it yet)."""
    from django.http import Http404
    from django.shortcuts import render

    from dadkhah.vault import keys, ledger
    from dadkhah.vault.checkpoint import NoteError, open_checkpoint
    from dadkhah.vault.models import LedgerEntry

    entry = AuditEntry.objects.filter(ledger_seq=seq).first()
    if entry is None:
        raise Http404("No such audit entry.")
    logged = LedgerEntry.objects.filter(seq=seq).first()
    context: dict[str, Any] = {
        "entry": entry,
        "logged": logged,
        "matches": logged is not None and logged.purpose == _purpose(entry),
        "level": Level(entry.level).label,
    }
    try:
        proof = ledger.proof(seq)
        context["proof"] = proof
        context["included"] = proof.verify()
        signed = ""
        if proof.checkpoint:
            try:
                data = open_checkpoint(proof.checkpoint, keys.verifier())
                signed = "valid" if data.size == proof.size else "for another size"
            except NoteError as exc:
                signed = f"invalid: {exc}"
        context["signed"] = signed
    except ledger.LedgerError as exc:
        context["proof_error"] = str(exc)
    response = render(request, "accounts/audit_entry.html", context)
    response["Cache-Control"] = "private, no-store"
    return response


def ask_reason(request: HttpRequest, what: str, exc: AuditError | None = None) -> Any:
    """A page asking why, for a GET link that takes restricted material out (a dossier):
    it repeats the request with ``reason`` added."""
    from django.shortcuts import render

    fields = [(k, v) for k, values in request.GET.lists() for v in values if k != "reason"]
    context = {"what": what, "fields": fields, "action": request.path, "error": str(exc or "")}
    return render(request, "accounts/audit_reason.html", context, status=400 if exc else 200)


# ------------------------------------------------------------------ checkpoints


@db_periodic_task(crontab(minute="*/15"))
def sign_checkpoint() -> None:
    """Every 15 minutes, sign a checkpoint over the ledger if it grew: audit entries made
    between ingestions are under a signature within 15 minutes (``dadkhah work``)."""
    from dadkhah.vault import ledger

    ledger.checkpoint()
