"""Staff pages of the linkage app: import a list (upload, map its columns, say where it
came from), run linkage, review uncertain pairs, decide clusters and make people.

Investigators and administrators may use these pages (``can_edit``); anonymous visitors are
sent to log in and other users get 403. A list, a run or a cluster above the viewer's
clearance answers 404, as records do. Every change is a POST with a CSRF token, and every
decision is appended with who made it (``linkage.services``).
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dadkhah.accounts.roles import can_edit, clearance_of
from dadkhah.core.confidentiality import Level
from dadkhah.linkage import forms, lists, services
from dadkhah.linkage.models import (
    ClusterDecision,
    LinkageRun,
    ListImport,
    ListRow,
    PairResult,
)
from dadkhah.records.views import require

__all__ = [
    "cluster_detail",
    "cluster_list",
    "decision_undo",
    "import_detail",
    "import_map",
    "import_new",
    "import_provenance",
    "index",
    "judge",
    "merge",
    "people",
    "review",
    "run_detail",
    "run_new",
    "run_status",
    "split",
]

WHAT = "link victim lists"
TERMINAL = ("done", "failed")
CLUSTERS_PER_PAGE = 50
ROWS_SHOWN = 50


def _clearance(request: HttpRequest) -> Level:
    return clearance_of(request.user)


def _import_or_404(request: HttpRequest, uid: str) -> ListImport:
    imp: ListImport | None = services.visible_imports(_clearance(request)).filter(uid=uid).first()
    if imp is None:
        raise Http404("No such list.")
    return imp


def _run_or_404(request: HttpRequest, uid: str) -> LinkageRun:
    run: LinkageRun | None = services.visible_runs(_clearance(request)).filter(uid=uid).first()
    if run is None:
        raise Http404("No such run.")
    return run


def _row_in_run(run: LinkageRun, pk: int) -> ListRow:
    row = ListRow.objects.filter(pk=pk, list_import__in=run.lists.all()).first()
    if row is None:
        raise Http404("No such record in this run.")
    return row


# ------------------------------------------------------------------ overview


@require_GET
@require(can_edit, WHAT)
def index(request: HttpRequest) -> HttpResponse:
    clearance = _clearance(request)
    imports = services.visible_imports(clearance)
    context = {
        "imported": imports.filter(status="imported").order_by("name"),
        "drafts": imports.filter(status="draft", created_by=request.user),
        "runs": services.visible_runs(clearance)[:20],
    }
    return render(request, "linkage/index.html", context)


# ------------------------------------------------------------------ import


@require_http_methods(["GET", "POST"])
@require(can_edit, WHAT)
def import_new(request: HttpRequest) -> HttpResponse:
    problems: list[str] = []
    if request.method == "POST":
        form = forms.UploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                imp = services.receive_upload(upload, upload.name or "list.csv", request.user)
            except services.ImportRefused as exc:
                problems = exc.problems
            else:
                return HttpResponseRedirect(reverse("linkage:import_map", args=[imp.uid]))
        return render(
            request, "linkage/import_new.html", {"form": form, "problems": problems}, status=400
        )
    return render(request, "linkage/import_new.html", {"form": forms.UploadForm()})


def _draft_or_404(request: HttpRequest, uid: str) -> ListImport:
    imp = _import_or_404(request, uid)
    if imp.status != "draft":
        raise Http404("This list is imported already.")
    return imp


@require_http_methods(["GET", "POST"])
@require(can_edit, WHAT)
def import_map(request: HttpRequest, uid: str) -> HttpResponse:
    imp = _draft_or_404(request, uid)
    try:
        table = services.read_preview(imp)
    except lists.ListError as exc:
        problems = [
            str(p).replace(str(services.stored_file(imp)), imp.original_name) for p in exc.problems
        ]
        return render(request, "linkage/import_map.html", {"imp": imp, "problems": problems}, status=400)  # fmt: skip
    initial = {k: v for k, v in (imp.mapping or {}).items() if v}
    if request.method == "POST":
        form = forms.MappingForm(request.POST, headers=imp.headers)
        if form.is_valid():
            imp.mapping = form.mapping()
            imp.save(update_fields=["mapping"])
            return HttpResponseRedirect(reverse("linkage:import_provenance", args=[imp.uid]))
        status = 400
    else:
        form = forms.MappingForm(initial=initial, headers=imp.headers)
        status = 200
    context = {
        "imp": imp,
        "table": table,
        "preview_rows": list(zip(table.lines, table.rows, strict=False)),
        "form": form,
    }
    return render(request, "linkage/import_map.html", context, status=status)


@require_http_methods(["GET", "POST"])
@require(can_edit, WHAT)
def import_provenance(request: HttpRequest, uid: str) -> HttpResponse:
    imp = _draft_or_404(request, uid)
    clearance = _clearance(request)
    problems: list[str] = []
    if request.method == "POST":
        form = forms.ProvenanceForm(request.POST, clearance=clearance)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.import_list(
                    imp,
                    name=data["name"],
                    compiled_by=data["compiled_by"],
                    compiled_when=data["compiled_when"],
                    method=data["method"],
                    confidentiality=Level(data["confidentiality"]),
                    on_error=data["on_error"],
                    user=request.user,
                )
            except services.ImportRefused as exc:
                problems = exc.problems
            else:
                imp.refresh_from_db()
                if request.POST.get("keep_original") == "on":
                    services.keep_in_vault(imp, request.user)
                return HttpResponseRedirect(reverse("linkage:import", args=[imp.uid]))
        status = 400
    else:
        stem = imp.original_name.rsplit(".", 1)[0]
        form = forms.ProvenanceForm(initial={"name": stem}, clearance=clearance)
        status = 200
    mapped = {forms.COLUMN_LABELS[k]: v for k, v in (imp.mapping or {}).items() if k in forms.COLUMN_LABELS}  # fmt: skip
    context = {"imp": imp, "form": form, "problems": problems, "mapped": mapped}
    return render(request, "linkage/import_provenance.html", context, status=status)


@require_GET
@require(can_edit, WHAT)
def import_detail(request: HttpRequest, uid: str) -> HttpResponse:
    imp = _import_or_404(request, uid)
    if imp.status == "draft":
        return HttpResponseRedirect(reverse("linkage:import_map", args=[imp.uid]))
    rows = imp.rows.all()[:ROWS_SHOWN]
    return render(request, "linkage/import_detail.html", {"imp": imp, "rows": rows})


# ------------------------------------------------------------------ runs


@require_http_methods(["GET", "POST"])
@require(can_edit, WHAT)
def run_new(request: HttpRequest) -> HttpResponse:
    imports = services.visible_imports(_clearance(request)).filter(status="imported").order_by("name")  # fmt: skip
    if request.method == "POST":
        form = forms.RunForm(request.POST, imports=imports)
        if form.is_valid():
            try:
                run = services.start_run(
                    list(form.cleaned_data["lists"]),
                    threshold=form.cleaned_data["threshold"],
                    user=request.user,
                )
            except ValueError as exc:
                form.add_error(None, str(exc))
            else:
                return HttpResponseRedirect(reverse("linkage:run", args=[run.uid]))
        return render(request, "linkage/run_new.html", {"form": form}, status=400)
    form = forms.RunForm(imports=imports, initial={"lists": list(imports)})
    return render(request, "linkage/run_new.html", {"form": form})


def _run_context(run: LinkageRun) -> dict[str, Any]:
    context: dict[str, Any] = {"run": run, "polling": run.status not in TERMINAL}
    if run.status == "done":
        found = services.current_clusters(run)
        context.update(
            clusters=len(found),
            linked=sum(1 for c in found if c.size > 1),
            queue=len(services.review_queue(run)),
            pairs=run.pairs.count(),
        )
    return context


@require_GET
@require(can_edit, WHAT)
def run_detail(request: HttpRequest, uid: str) -> HttpResponse:
    run = _run_or_404(request, uid)
    context = _run_context(run)
    context["lists"] = run.lists.order_by("name")
    context["people"] = request.session.pop(f"linkage.people.{run.uid}", None)
    return render(request, "linkage/run_detail.html", context)


@require_GET
@require(can_edit, WHAT)
def run_status(request: HttpRequest, uid: str) -> HttpResponse:
    """The status section alone, polled by htmx while the run is queued or running."""
    run = _run_or_404(request, uid)
    return render(request, "linkage/partials/run_status.html", _run_context(run))


# ------------------------------------------------------------------ review


@require_GET
@require(can_edit, WHAT)
def review(request: HttpRequest, uid: str) -> HttpResponse:
    run = _run_or_404(request, uid)
    if run.status != "done":
        return HttpResponseRedirect(reverse("linkage:run", args=[run.uid]))
    queue = services.review_queue(run)
    shown = None
    if queue:
        shown = services.pair_view(queue[0])
    context = {
        "run": run,
        "view": shown,
        "left": len(queue),
        "form": forms.JudgeForm(),
        "upcoming": queue[1:6],
    }
    return render(request, "linkage/review.html", context)


@require_POST
@require(can_edit, WHAT)
def judge(request: HttpRequest, uid: str, pair: int) -> HttpResponse:
    run = _run_or_404(request, uid)
    found = PairResult.objects.filter(run=run, pk=pair).select_related("row_l", "row_r").first()
    if found is None:
        raise Http404("No such pair.")
    form = forms.JudgeForm(request.POST)
    if not form.is_valid():
        return HttpResponse("Choose same person, different people or skip.", status=400)
    services.judge(
        found.row_l,
        found.row_r,
        form.cleaned_data["decision"],
        user=request.user,
        note=form.cleaned_data["note"],
        run=run,
        probability=found.probability,
    )
    target = request.POST.get("next") or ""
    if target.startswith("/linkage/"):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(reverse("linkage:review", args=[run.uid]))


# ------------------------------------------------------------------ clusters


@require_GET
@require(can_edit, WHAT)
def cluster_list(request: HttpRequest, uid: str) -> HttpResponse:
    run = _run_or_404(request, uid)
    found = services.current_clusters(run)
    show = request.GET.get("show", "linked")
    if show != "all":
        found = [c for c in found if c.size > 1]
    page = Paginator(found, CLUSTERS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"run": run, "page": page, "show": show}
    return render(request, "linkage/cluster_list.html", context)


def _candidates(run: LinkageRun, members: set[int]) -> list[dict[str, Any]]:
    """Rows of other clusters that scored with a member: the likely merges."""
    pairs = PairResult.objects.filter(run=run).select_related("row_l", "row_r")
    out: dict[int, dict[str, Any]] = {}
    for p in pairs.filter(row_l_id__in=members) | pairs.filter(row_r_id__in=members):
        inside, outside = (p.row_l, p.row_r) if p.row_l_id in members else (p.row_r, p.row_l)
        if outside.pk in members:
            continue
        best = out.get(outside.pk)
        if best is None or best["probability"] < p.probability:
            out[outside.pk] = {"row": outside, "with": inside, "probability": p.probability}
    return sorted(out.values(), key=lambda c: -c["probability"])[:10]


@require_GET
@require(can_edit, WHAT)
def cluster_detail(request: HttpRequest, uid: str, row: int) -> HttpResponse:
    run = _run_or_404(request, uid)
    anchor = _row_in_run(run, row)
    found = services.cluster_of(run, anchor)
    if found is None:
        raise Http404("This record is not in the run.")
    members = {r.pk for r in found.rows}
    inside = PairResult.objects.filter(run=run, row_l_id__in=members, row_r_id__in=members)
    context = {
        "run": run,
        "cluster": found,
        "anchor": anchor,
        "members": [(r, services.person_of(r)) for r in found.rows],
        "pairs": inside.select_related("row_l", "row_r").order_by("-probability")[:100],
        "candidates": _candidates(run, members),
        "audit": services.cluster_audit(members),
        "fields": list(services.FIELD_LABELS.items())[1:],
    }
    return render(request, "linkage/cluster_detail.html", context)


def _back_to_cluster(run: LinkageRun, row: ListRow) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("linkage:cluster", args=[run.uid, row.pk]))


@require_POST
@require(can_edit, WHAT)
def split(request: HttpRequest, uid: str, row: int) -> HttpResponse:
    run = _run_or_404(request, uid)
    target = _row_in_run(run, row)
    form = forms.ReasonForm(request.POST)
    if not form.is_valid():
        return HttpResponse("Say why the record is split out.", status=400)
    try:
        services.split(target, reason=form.cleaned_data["reason"], user=request.user, run=run)
    except ValueError as exc:
        return HttpResponse(str(exc), status=400)
    return _back_to_cluster(run, target)


@require_POST
@require(can_edit, WHAT)
def merge(request: HttpRequest, uid: str, row: int) -> HttpResponse:
    run = _run_or_404(request, uid)
    target = _row_in_run(run, row)
    form = forms.MergeForm(request.POST)
    if not form.is_valid():
        return HttpResponse("Say why the clusters are merged.", status=400)
    other = _row_in_run(run, form.cleaned_data["other"])
    try:
        services.merge(target, other, reason=form.cleaned_data["reason"], user=request.user, run=run)  # fmt: skip
    except ValueError as exc:
        return HttpResponse(str(exc), status=400)
    return _back_to_cluster(run, target)


@require_POST
@require(can_edit, WHAT)
def decision_undo(request: HttpRequest, uid: str, decision: int) -> HttpResponse:
    run = _run_or_404(request, uid)
    found = ClusterDecision.objects.filter(pk=decision).select_related("row_a").first()
    if found is None or found.row_a is None:
        raise Http404("No such decision.")
    anchor = _row_in_run(run, found.row_a.pk)
    form = forms.ReasonForm(request.POST)
    if not form.is_valid():
        return HttpResponse("Say why the decision is undone.", status=400)
    try:
        services.undo(found, reason=form.cleaned_data["reason"], user=request.user)
    except ValueError as exc:
        return HttpResponse(str(exc), status=400)
    return _back_to_cluster(run, anchor)


# ------------------------------------------------------------------ people


@require_POST
@require(can_edit, WHAT)
def people(request: HttpRequest, uid: str) -> HttpResponse:
    run = _run_or_404(request, uid)
    if run.status != "done":
        return HttpResponse("The run has not finished.", status=400)
    summary = services.make_people(run, request.user)
    request.session[f"linkage.people.{run.uid}"] = {
        "created": len(summary.created),
        "updated": len(summary.updated),
        "unchanged": summary.unchanged,
        "claims": summary.claims,
        "retracted": summary.retracted,
        "unreviewed": summary.unreviewed,
        "examples": [
            {"label": str(p), "url": p.get_absolute_url()}
            for p in (summary.created + summary.updated)[:10]
        ],
    }
    return HttpResponseRedirect(reverse("linkage:run", args=[run.uid]) + "#people")
