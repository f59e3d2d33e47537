"""The staff page of the counting report: upload a capture table (or use the demo) and read it.

``/counting/`` is for staff (a reviewer, investigator or administrator, or a user with
``is_staff``): anonymous visitors are sent to log in and other users get 403. The page shows
the report of the *current* table: the one the user uploaded in this session, or the synthetic
demo table (:mod:`dadkhah.counting.demo`) when there is none. An upload is read at once
(:func:`dadkhah.counting.table.read_capture_csv`); a bad file is answered with the reader's
message, which names the line and field. Only the pattern counts are kept, in the session; the
file itself is not stored. ``report.pdf`` and ``report.html`` download the same report.

Estimating takes seconds (LCMCR runs its chains), so results are cached by the table's
content and the seed; the same input gives the same report.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from dadkhah.accounts.roles import can_review
from dadkhah.counting import demo, pdf, report
from dadkhah.counting.collect import Collected, collect
from dadkhah.counting.table import (
    CaptureTable,
    CaptureTableError,
    read_capture_csv,
    write_capture_csv,
)
from dadkhah.records.views import require

__all__ = ["can_count", "report_html", "report_page", "report_pdf"]

SESSION_KEY = "counting.table"
MAX_UPLOAD = 20 * 1024 * 1024  # linked-records CSVs run to a few MB for tens of thousands of rows
CACHE_SECONDS = 6 * 3600
STRATA_DEFAULT = "stratum"


def can_count(user: Any) -> bool:
    """Staff roles, or a user Django marks as staff."""
    return can_review(user) or bool(getattr(user, "is_staff", False))


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Capture table (CSV)",
        help_text="Either one 0/1 column per list and a count column, one row per pattern, or "
        "the output of dadkhah link joined with a list column (record_id, cluster_id, list).",
    )
    strata = forms.CharField(
        label="Strata column",
        required=False,
        max_length=100,
        help_text="Optional: the column that splits the table (city, prison or period).",
    )
    seed = forms.IntegerField(
        label="Random seed",
        required=False,
        min_value=0,
        max_value=2**32 - 1,
        initial=demo.DEMO_SEED,
        help_text="The same seed gives the same estimates.",
    )


@dataclass(frozen=True)
class Current:
    """The table the page reports on."""

    tables: dict[str | None, CaptureTable]
    name: str
    seed: int
    synthetic: bool
    true_total: int | None = None

    def key(self) -> str:
        text = write_capture_csv(self.tables.values(), strata=STRATA_DEFAULT)
        digest = hashlib.sha256(f"{report.VERSION}\n{self.seed}\n{text}".encode()).hexdigest()
        return f"counting:{digest}"


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with a BOM, or Windows-1256, as the reader accepts."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1256")


def _current(request: HttpRequest) -> Current:
    stored = request.session.get(SESSION_KEY)
    if stored:
        tables = read_capture_csv(stored["csv"], strata=stored["strata"])
        return Current(tables, stored["name"], int(stored["seed"]), synthetic=False)
    made = demo.demo()
    return Current(made.tables, "demo", made.seed, synthetic=True, true_total=made.true_total)


def _run(current: Current) -> Collected:
    key = current.key()
    found = cache.get(key)
    if isinstance(found, Collected):
        return found
    run = collect(current.tables, seed=current.seed)
    cache.set(key, run, CACHE_SECONDS)
    return run


def _options(current: Current, run: Collected) -> dict[str, Any]:
    return {
        "unavailable": run.unavailable,
        "synthetic": current.synthetic,
        "synthetic_seed": demo.DEMO_SEED if current.synthetic else None,
        "true_total": current.true_total,
        "seed": run.seed,
        "source": "Synthetic demo table" if current.synthetic else current.name,
    }


def _read_upload(form: UploadForm) -> dict[str, Any] | None:
    upload = form.cleaned_data["file"]
    name = (upload.name or "upload.csv")[:200]
    if upload.size > MAX_UPLOAD:
        form.add_error("file", f"The file is larger than {MAX_UPLOAD // (1024 * 1024)} MB.")
        return None
    try:
        text = _decode(upload.read())
    except UnicodeDecodeError as exc:  # a UTF-16 byte-order mark on bytes that are not
        form.add_error("file", f"{name}: not UTF-16, though it starts with its mark: {exc.reason}")
        return None
    if not text.endswith("\n"):
        text += "\n"  # the reader takes text with a newline as CSV, not as a path
    strata = form.cleaned_data["strata"].strip() or None
    try:
        tables = read_capture_csv(text, strata=strata)
    except CaptureTableError as exc:
        form.add_error("file", str(exc).replace("<text>", name, 1))
        return None
    seed = form.cleaned_data["seed"]
    return {
        "csv": write_capture_csv(tables.values(), strata=strata or STRATA_DEFAULT),
        "strata": strata,
        "name": name,
        "seed": demo.DEMO_SEED if seed is None else seed,
    }


@require(can_count, "see the counting report")
@require_http_methods(["GET", "POST"])
def report_page(request: HttpRequest) -> HttpResponse:
    """The form and the report on the current table; a bad upload gets the form and why."""
    if request.method == "POST":
        if "demo" in request.POST:
            request.session.pop(SESSION_KEY, None)
            return HttpResponseRedirect(reverse("counting:report"))
        form = UploadForm(request.POST, request.FILES)
        stored = _read_upload(form) if form.is_valid() else None
        if stored is not None:
            request.session[SESSION_KEY] = stored
            return HttpResponseRedirect(reverse("counting:report"))
        context = {"form": form, "current": None}
        return render(request, "counting/report.html", context, status=400)
    current = _current(request)
    run = _run(current)
    context = {
        "form": UploadForm(),
        "fragment": report.render_report(current.tables, run.estimates, **_options(current, run)),
        "current": current,
    }
    return render(request, "counting/report.html", context)


def _attachment(body: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require(can_count, "see the counting report")
@require_GET
def report_pdf(request: HttpRequest) -> HttpResponse:
    current = _current(request)
    run = _run(current)
    body = pdf.report_pdf(current.tables, run.estimates, **_options(current, run))
    return _attachment(body, "application/pdf", "counting-report.pdf")


@require(can_count, "see the counting report")
@require_GET
def report_html(request: HttpRequest) -> HttpResponse:
    current = _current(request)
    run = _run(current)
    document = report.render_document(current.tables, run.estimates, **_options(current, run))
    return _attachment(document.encode("utf-8"), "text/html; charset=utf-8", "counting-report.html")
