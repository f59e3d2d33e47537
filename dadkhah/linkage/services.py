"""The linkage app's rules: importing lists, running linkage, judging pairs, deciding
clusters, and making people from clusters.

The pure core (``lists``, ``gazetteer``, ``prepare``, ``model``, ``cluster``) does the work;
this module wires it to tables:

- ``receive_upload`` keeps an uploaded file under ``DADKHAH_HOME/linkage/files`` as a draft
  ``ListImport``; ``import_list`` reads it with the chosen mapping and, in ONE transaction,
  creates its records ``Source`` and every ``ListRow``. With ``on_error="stop"`` any problem
  refuses the whole import (``ImportRefused`` carries every problem); with ``"report"`` the
  rows are kept and the problems stored with the import.
- ``start_run`` queues a ``LinkageRun``; ``execute_run`` (the huey task's body) prepares the
  rows, calls ``model.link`` with every judgement so far, and stores the pairs and clusters.
- ``judge`` appends a ``Judgement``; ``merge`` / ``split`` / ``undo`` append a
  ``ClusterDecision``. ``current_clusters`` is the fold: the run's scored pairs clustered
  again (``cluster.clusters``) with the latest judgement of every pair, where a merge counts
  as an accepted pair and a split as rejected pairs, unless undone.
- ``make_people`` turns every reviewed cluster into one Person (``records.claims``), and
  updates the same Person when run again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from dadkhah.core.confidentiality import Level
from dadkhah.core.dates import InvalidDate, parse_partial_date
from dadkhah.linkage import lists
from dadkhah.linkage.models import (
    ClusterDecision,
    ClusterMember,
    ExecutionLink,
    Judgement,
    LinkageRun,
    ListImport,
    ListRow,
    PairResult,
    PersonLink,
    new_uid,
)
from dadkhah.records import claims
from dadkhah.records.claims import CitationInput, RecordError
from dadkhah.records.models import Citation, Person, Source

__all__ = [
    "CONTRACT_COLUMNS",
    "Cluster",
    "RecordError",
    "cluster_of",
    "keep_in_vault",
    "person_of",
    "stored_file",
    "ImportRefused",
    "PeopleSummary",
    "PairView",
    "cluster_audit",
    "current_clusters",
    "current_judgements",
    "effective_links",
    "execute_run",
    "import_list",
    "judge",
    "latest_run",
    "make_people",
    "merge",
    "pair_view",
    "read_preview",
    "receive_upload",
    "review_queue",
    "split",
    "start_run",
    "undo",
    "visible_imports",
    "visible_runs",
]

CONTRACT_COLUMNS = tuple(c for c in lists.COLUMNS if c != "list")
SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".ods"}
BULK = 2000
ACTOR = "dadkhah-linkage"


class ImportRefused(ValueError):
    """An import did not happen; ``problems`` says why, each naming file, line and field."""

    def __init__(self, problems: Sequence[lists.Problem | str]) -> None:
        self.problems = [str(p) for p in problems]
        super().__init__("; ".join(self.problems) or "the import was refused")


def _home() -> Path:
    home: Path = settings.CONFIG.home
    return home


def _renamed(problems: Iterable[lists.Problem], shown: str) -> list[lists.Problem]:
    """Problems naming the file as the user knows it, not where it is kept."""
    return [dataclasses.replace(p, file=shown) for p in problems]


def _problem_json(problem: lists.Problem) -> dict[str, Any]:
    return {
        "file": problem.file,
        "line": problem.line,
        "field": problem.field,
        "message": problem.message,
        "fatal": problem.fatal,
        "text": str(problem),
    }


# ------------------------------------------------------------------ visibility


def visible_imports(clearance: Level) -> Any:
    return ListImport.objects.filter(confidentiality__lte=int(clearance))


def visible_runs(clearance: Level) -> Any:
    return LinkageRun.objects.filter(confidentiality__lte=int(clearance))


# ------------------------------------------------------------------ import


def receive_upload(stream: IO[bytes], name: str, user: Any) -> ListImport:
    """Keep an uploaded list file as a draft import, once it reads as a table.

    Raises ``ImportRefused`` (and keeps nothing) when the file cannot be read as a table.
    """
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise ImportRefused([f"{name}: not a CSV, XLSX or ODS file (its name ends {suffix!r})"])
    folder = _home() / "linkage" / "files"
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    with tempfile.NamedTemporaryFile(dir=folder, suffix=suffix, delete=False) as out:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
        temp = Path(out.name)
    target = folder / f"{digest.hexdigest()}{suffix}"
    temp.replace(target)
    shown = Path(name).name
    try:
        table = lists.read_table(target)
    except lists.ListError as exc:
        raise ImportRefused(_renamed(exc.problems, shown)) from None
    return ListImport.objects.create(
        uid=new_uid("list"),
        original_name=shown,
        stored_path=str(target.relative_to(_home())),
        sha256=f"sha256:{digest.hexdigest()}",
        size=size,
        file_format=table.format,
        encoding=table.encoding or "",
        headers=list(table.headers),
        mapping=lists.guess_mapping(list(table.headers)),
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )


def stored_file(imp: ListImport) -> Path:
    return _home() / imp.stored_path


def read_preview(imp: ListImport, rows: int = 8) -> lists.Table:
    table = lists.read_table(stored_file(imp))
    table.rows = table.rows[:rows]
    table.lines = table.lines[:rows]
    return table


def _mapping(imp: ListImport) -> dict[str, str | None]:
    mapping: dict[str, str | None] = {c: None for c in lists.COLUMNS}
    mapping.update(imp.mapping or {})
    mapping["list"] = None  # one import is one list: its name comes from the provenance form
    return mapping


def import_list(
    imp: ListImport,
    *,
    name: str,
    compiled_by: str,
    compiled_when: str,
    method: str,
    confidentiality: Level,
    on_error: str,
    user: Any,
    reliability: str = "F",
) -> list[dict[str, Any]]:
    """Read the draft's file with its mapping and store it, all or nothing.

    Returns the problems kept with a ``report`` import; raises ``ImportRefused`` when the
    import is refused (every problem of a ``stop`` import, or a duplicate list name).
    """
    if imp.status != "draft":
        raise ImportRefused([f"{imp.original_name} is imported already"])
    name = name.strip()
    if not name:
        raise ImportRefused(["give the list a name"])
    if ListImport.objects.filter(status="imported", name=name).exists():
        raise ImportRefused([f"a list named {name!r} is imported already; choose another name"])
    mode = "report" if on_error == "report" else "stop"
    try:
        records, problems = lists.read_records(
            stored_file(imp), mapping=_mapping(imp), list_name=name, on_error=mode
        )
    except lists.ListError as exc:
        raise ImportRefused(_renamed(exc.problems, imp.original_name)) from None
    problems = _renamed(problems, imp.original_name)
    if not records:
        raise ImportRefused([*problems, f"{imp.original_name}: no record to import"])
    published = None
    if compiled_when.strip():
        try:
            published = parse_partial_date(compiled_when.strip()).to_json()
        except InvalidDate as exc:
            raise ImportRefused([f"when compiled: {exc}"]) from None
    kept = [_problem_json(p) for p in problems]
    with transaction.atomic():
        source = Source(
            uid=new_uid("source"),
            kind="list",
            title=name,
            citation=(
                f"{name}. Victim list compiled by {compiled_by.strip() or 'unknown'}"
                f"{', ' + compiled_when.strip() if compiled_when.strip() else ''}. "
                f"File {imp.original_name} ({imp.sha256})."
            ),
            reliability=reliability,
            published=published,
            confidentiality=int(confidentiality),
            notes=method.strip(),
        )
        source._history_user = user  # type: ignore[attr-defined]
        source._change_reason = "victim list imported"  # type: ignore[attr-defined]
        source.save()
        ListRow.objects.bulk_create(
            (
                ListRow(
                    list_import=imp,
                    line=r.line,
                    record_id=r.record_id,
                    list_name=name,
                    full_name=r.full_name,
                    father_name=r.father_name,
                    birth_year=r.birth_year,
                    gender=r.gender,
                    city=r.city,
                    prison=r.prison,
                    death_date=r.death_date,
                )
                for r in records
            ),
            batch_size=BULK,
        )
        imp.name = name
        imp.compiled_by = compiled_by.strip()
        imp.compiled_when = compiled_when.strip()
        imp.method = method.strip()
        imp.confidentiality = int(confidentiality)
        imp.on_error = mode
        imp.problems = kept
        imp.row_count = len(records)
        imp.source = source
        imp.status = "imported"
        imp.imported_at = timezone.now()
        imp.save()
    return kept


def keep_in_vault(imp: ListImport, user: Any) -> str:
    """Preserve the original file in the evidence vault; returns the item's uid, or a
    message starting with "not kept" (the import stands either way)."""
    from dadkhah.vault import services as vault

    try:
        items = vault.ingest_path(
            [stored_file(imp)],
            getattr(user, "username", "") or ACTOR,
            note=f"Victim list imported for linkage as {imp.name!r}",
            restricted=imp.confidentiality >= Level.RESTRICTED,
            source=imp.compiled_by,
        )
    except Exception as exc:  # noqa: BLE001 - the vault's own message is shown
        return f"not kept in the vault: {exc}"
    if not items:
        return "not kept in the vault: nothing was preserved"
    ListImport.objects.filter(pk=imp.pk).update(vault_item=items[0].uid)
    return items[0].uid


# ------------------------------------------------------------------ runs


def start_run(
    imports: Sequence[ListImport], *, threshold: float, user: Any, enqueue: bool = True
) -> LinkageRun:
    if not imports:
        raise ValueError("choose at least one list")
    if not 0.0 < threshold < 1.0:
        raise ValueError("the threshold is a probability between 0 and 1")
    with transaction.atomic():
        run = LinkageRun.objects.create(
            uid=new_uid("run"),
            threshold=threshold,
            review_low=min(0.3, threshold),
            review_high=max(0.95, threshold),
            confidentiality=max(i.confidentiality for i in imports),
            created_by=user if getattr(user, "is_authenticated", False) else None,
            stage="queued",
        )
        run.lists.set(imports)
        if enqueue:
            from dadkhah.linkage.tasks import enqueue_run

            enqueue_run(run)
    return run


def _set(run_id: int, **fields: Any) -> None:
    LinkageRun.objects.filter(pk=run_id).update(**fields)


def _record_of(row: ListRow, imp: ListImport) -> lists.ListRecord:
    return lists.ListRecord(
        record_id=row.record_id,
        list=row.list_name,
        full_name=row.full_name,
        father_name=row.father_name,
        birth_year=row.birth_year,
        gender=row.gender,
        city=row.city,
        prison=row.prison,
        death_date=row.death_date,
        file=imp.original_name,
        line=row.line,
    )


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _plain(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    try:
        if value != value:  # pandas NA / NaN
            return None
    except (TypeError, ValueError):
        return None
    if hasattr(value, "item"):
        return _plain(value.item())
    return str(value)


def comparisons_of(row: dict[str, Any]) -> list[dict[str, Any]]:
    """One entry per comparison of a scored pair: its level (gamma), Bayes factor (with the
    term-frequency adjustment when there is one) and match weight (log2 of it)."""
    out = []
    for column in row:
        if not column.startswith("gamma_"):
            continue
        name = column.removeprefix("gamma_")
        gamma = _number(row[column])
        bf = _number(row.get(f"bf_{name}"))
        adjust = _number(row.get(f"bf_tf_adj_{name}"))
        if bf is not None and adjust is not None:
            bf *= adjust
        weight = math.log2(bf) if bf is not None and bf > 0 else None
        out.append(
            {
                "name": name,
                "gamma": None if gamma is None else int(gamma),
                "bf": bf,
                "weight": weight,
                "left": _plain(row.get(f"{name}_l")),
                "right": _plain(row.get(f"{name}_r")),
            }
        )
    return out


def execute_run(run_id: int) -> None:
    """Prepare, link, cluster and store one run; its status says how far it got."""
    from dadkhah.linkage import model, prepare
    from dadkhah.linkage.gazetteer import Gazetteer

    run = LinkageRun.objects.get(pk=run_id)
    _set(run_id, status="running", progress=5, stage="reading the lists", error="")
    try:
        imports = {i.pk: i for i in run.lists.all()}
        rows = list(ListRow.objects.filter(list_import__in=list(imports)).order_by("id"))
        records = [_record_of(r, imports[r.list_import_id]) for r in rows]
        _set(run_id, progress=15, stage=f"preparing {len(records)} records")
        frame, problems = prepare.prepare(records, Gazetteer.default(), on_error="report")
        by_key = {(r.list_name, r.record_id): r for r in rows}
        row_of: dict[str, ListRow] = {}
        for uid, lst, rid in zip(
            frame["unique_id"], frame["source_list"], frame["record_id"], strict=True
        ):
            row_of[str(uid)] = by_key[(str(lst), str(rid))]
        uid_of = {r.pk: uid for uid, r in row_of.items()}
        judged = [
            model.Judgement(uid_of[a], uid_of[b], same)
            for (a, b), same in effective_links(set(uid_of)).items()
            if a in uid_of and b in uid_of
        ]
        _set(run_id, progress=30, stage=f"linking ({len(judged)} judgements)")
        result = model.link(frame, model.LinkConfig(threshold=run.threshold), judged)
        _set(run_id, progress=85, stage="storing pairs and clusters")
        with transaction.atomic():
            PairResult.objects.bulk_create(
                (
                    PairResult(
                        run_id=run_id,
                        row_l=row_of[str(p["unique_id_l"])],
                        row_r=row_of[str(p["unique_id_r"])],
                        probability=float(p["match_probability"]),
                        weight=float(p["match_weight"]),
                        comparisons=comparisons_of(p),
                    )
                    for p in result.pairs.to_dict("records")
                ),
                batch_size=BULK,
            )
            ClusterMember.objects.bulk_create(
                (
                    ClusterMember(
                        run_id=run_id,
                        row=row_of[str(c["unique_id"])],
                        unique_id=str(c["unique_id"]),
                        cluster_key=str(c["cluster_id"]),
                        weakest=float(c["match_probability"]),
                    )
                    for c in result.clusters.to_dict("records")
                ),
                batch_size=BULK,
            )
            _set(
                run_id,
                status="done",
                progress=100,
                stage="done",
                records=len(records),
                comparisons=int(result.comparisons),
                judgements_used=len(judged),
                seconds={k: round(float(v), 3) for k, v in result.seconds.items()},
                model=result.model,
                problems=[_problem_json(p) for p in problems],
                algorithm=_algorithm(),
                finished_at=timezone.now(),
            )
    except Exception as exc:  # noqa: BLE001 - the run page shows why it failed
        _set(
            run_id,
            status="failed",
            stage="failed",
            error=f"{type(exc).__name__}: {exc}",
            finished_at=timezone.now(),
        )
        raise


def _algorithm() -> str:
    from importlib import metadata

    try:
        splink = metadata.version("splink")
    except metadata.PackageNotFoundError:
        splink = "?"
    return f"dadkhah.linkage v1, splink {splink}"


def latest_run(clearance: Level) -> LinkageRun | None:
    run: LinkageRun | None = (
        visible_runs(clearance).filter(status="done").order_by("-created_at", "-id").first()
    )
    return run


# ------------------------------------------------------------------ judgements and decisions


def _ordered(a: ListRow | int, b: ListRow | int) -> tuple[int, int]:
    x = a if isinstance(a, int) else a.pk
    y = b if isinstance(b, int) else b.pk
    if x == y:
        raise ValueError("a pair needs two different rows")
    return (x, y) if x < y else (y, x)


def judge(
    row_a: ListRow,
    row_b: ListRow,
    decision: str,
    *,
    user: Any,
    note: str = "",
    run: LinkageRun | None = None,
    probability: float | None = None,
) -> Judgement:
    if decision not in ("accept", "reject", "skip"):
        raise ValueError(f"unknown decision {decision!r}; use accept, reject or skip")
    left, right = _ordered(row_a, row_b)
    return Judgement.objects.create(
        row_l_id=left,
        row_r_id=right,
        decision=decision,
        note=note,
        run=run,
        probability=probability,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )


def current_judgements(row_ids: Iterable[int] | None = None) -> dict[tuple[int, int], Judgement]:
    """The latest judgement of every pair (skips included), by (smaller, larger) row id."""
    rows = Judgement.objects.select_related("created_by").order_by("created_at", "id")
    if row_ids is not None:
        ids = list(row_ids)
        rows = rows.filter(row_l_id__in=ids, row_r_id__in=ids)
    out: dict[tuple[int, int], Judgement] = {}
    for j in rows:
        out[(j.row_l_id, j.row_r_id)] = j
    return out


def _active_decisions() -> list[ClusterDecision]:
    undone = set(ClusterDecision.objects.filter(action="undo").values_list("reverts_id", flat=True))
    return [
        d
        for d in ClusterDecision.objects.exclude(action="undo").order_by("created_at", "id")
        if d.pk not in undone
    ]


def effective_links(row_ids: set[int] | None = None) -> dict[tuple[int, int], bool]:
    """Pair → same person? The fold of judgements (accept / reject; a skip says nothing and
    leaves an earlier decision standing) and cluster decisions not undone (a merge accepts
    one pair, a split rejects the row against each row it was split from); later wins."""
    events: list[tuple[Any, int, tuple[int, int], bool]] = []
    for j in Judgement.objects.exclude(decision="skip").order_by("created_at", "id"):
        events.append((j.created_at, 0, (j.row_l_id, j.row_r_id), j.decision == "accept"))
    for d in _active_decisions():
        if d.action == "merge" and d.row_a_id and d.row_b_id:
            events.append((d.created_at, 1, _ordered(d.row_a_id, d.row_b_id), True))
        elif d.action == "split" and d.row_a_id:
            for other in d.others:
                if other != d.row_a_id:
                    events.append((d.created_at, 1, _ordered(d.row_a_id, int(other)), False))
    events.sort(key=lambda e: (e[0], e[1]))
    out: dict[tuple[int, int], bool] = {}
    for _when, _kind, pair, same in events:
        if row_ids is None or (pair[0] in row_ids and pair[1] in row_ids):
            out[pair] = same
    return out


@dataclass
class Cluster:
    key: str
    rows: list[ListRow]
    weakest: float
    lists: list[str] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.rows)


def current_clusters(run: LinkageRun) -> list[Cluster]:
    """The run's clusters with every judgement and decision made since applied."""
    from dadkhah.linkage import cluster

    members = list(ClusterMember.objects.filter(run=run).select_related("row", "row__list_import"))
    uid_of = {m.row_id: m.unique_id for m in members}
    row_of = {m.unique_id: m.row for m in members}
    pairs = [
        (uid_of[a], uid_of[b], p)
        for a, b, p in PairResult.objects.filter(run=run).values_list(
            "row_l_id", "row_r_id", "probability"
        )
    ]
    judged = [
        cluster.Judgement(uid_of[a], uid_of[b], same)
        for (a, b), same in effective_links(set(uid_of)).items()
    ]
    assigned = cluster.clusters(list(row_of), pairs, run.threshold, judged)
    groups: dict[str, list[str]] = defaultdict(list)
    weakest: dict[str, float] = {}
    for uid, (key, prob) in assigned.items():
        groups[key].append(uid)
        weakest[key] = min(weakest.get(key, 1.0), prob)
    out = []
    for key, uids in groups.items():
        rows = sorted((row_of[u] for u in uids), key=lambda r: (r.list_name, r.line))
        out.append(Cluster(key, rows, weakest[key], sorted({r.list_name for r in rows})))
    out.sort(key=lambda c: (-c.size, c.rows[0].full_name or "", c.key))
    return out


def cluster_of(run: LinkageRun, row: ListRow) -> Cluster | None:
    return next((c for c in current_clusters(run) if any(r.pk == row.pk for r in c.rows)), None)


def merge(
    row_a: ListRow, row_b: ListRow, *, reason: str, user: Any, run: LinkageRun | None
) -> ClusterDecision:
    """Put the clusters of two rows together."""
    _ordered(row_a, row_b)
    if not reason.strip():
        raise ValueError("say why the clusters are merged")
    return ClusterDecision.objects.create(
        action="merge", row_a=row_a, row_b=row_b, reason=reason.strip(), run=run,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )  # fmt: skip


def split(row: ListRow, *, reason: str, user: Any, run: LinkageRun) -> ClusterDecision:
    """Take one row out of its current cluster (it stays apart from every row it was with)."""
    if not reason.strip():
        raise ValueError("say why the row is split out")
    found = cluster_of(run, row)
    others = [r.pk for r in found.rows if r.pk != row.pk] if found else []
    if not others:
        raise ValueError(f"{row} is alone in its cluster already")
    return ClusterDecision.objects.create(
        action="split", row_a=row, others=others, reason=reason.strip(), run=run,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )  # fmt: skip


def undo(decision: ClusterDecision, *, reason: str, user: Any) -> ClusterDecision:
    if decision.action == "undo":
        raise ValueError("an undo cannot be undone; make the decision again")
    if ClusterDecision.objects.filter(reverts=decision).exists():
        raise ValueError("that decision is undone already")
    if not reason.strip():
        raise ValueError("say why the decision is undone")
    return ClusterDecision.objects.create(
        action="undo", reverts=decision, row_a=decision.row_a, row_b=decision.row_b,
        reason=reason.strip(), run=decision.run,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )  # fmt: skip


def cluster_audit(row_ids: Iterable[int]) -> list[dict[str, Any]]:
    """Judgements and decisions touching these rows, oldest first, for the cluster page."""
    ids = list(row_ids)
    out: list[dict[str, Any]] = []
    for j in Judgement.objects.filter(Q(row_l_id__in=ids) | Q(row_r_id__in=ids)).select_related(
        "row_l", "row_r", "created_by"
    ):
        out.append({"when": j.created_at, "kind": "judgement", "obj": j})
    decisions = ClusterDecision.objects.filter(
        Q(row_a_id__in=ids) | Q(row_b_id__in=ids)
    ).select_related("row_a", "row_b", "created_by", "reverts")
    undone = set(ClusterDecision.objects.filter(action="undo").values_list("reverts_id", flat=True))
    for d in decisions:
        out.append({"when": d.created_at, "kind": "decision", "obj": d, "undone": d.pk in undone})
    out.sort(key=lambda e: (e["when"], e["obj"].pk))
    return out


# ------------------------------------------------------------------ review queue


@dataclass
class PairView:
    pair: PairResult
    judgement: Judgement | None
    fields: list[dict[str, Any]]
    bars: list[dict[str, Any]]


def review_queue(run: LinkageRun) -> list[PairResult]:
    """Pairs in the run's uncertain band not yet accepted or rejected, the most uncertain
    first; pairs someone skipped come after the others."""
    pairs = list(
        PairResult.objects.filter(
            run=run, probability__gte=run.review_low, probability__lte=run.review_high
        ).select_related("row_l", "row_r")
    )
    ids = {p.row_l_id for p in pairs} | {p.row_r_id for p in pairs}
    latest = current_judgements(ids)
    queue = []
    for p in pairs:
        j = latest.get(_ordered(p.row_l_id, p.row_r_id))
        if j is not None and j.decision != "skip":
            continue
        queue.append((j is not None, abs(p.probability - 0.5), p.pk, p))
    queue.sort(key=lambda q: q[:3])
    return [q[3] for q in queue]


FIELD_LABELS = {
    "record_id": "Record id",
    "full_name": "Name",
    "father_name": "Father's name",
    "birth_year": "Birth year",
    "gender": "Gender",
    "city": "City",
    "prison": "Prison",
    "death_date": "Death date",
}


def pair_view(pair: PairResult) -> PairView:
    left, right = pair.row_l, pair.row_r
    fields = [
        {
            "label": label,
            "left": getattr(left, name),
            "right": getattr(right, name),
            "same": (getattr(left, name) or "") == (getattr(right, name) or ""),
        }
        for name, label in FIELD_LABELS.items()
    ]
    scale = max((abs(c["weight"] or 0.0) for c in pair.comparisons), default=1.0) or 1.0
    bars = [
        {
            **c,
            "width": round(100 * abs(c["weight"] or 0.0) / scale),
            "sign": "for" if (c["weight"] or 0.0) >= 0 else "against",
        }
        for c in pair.comparisons
    ]
    latest = current_judgements([left.pk, right.pk]).get(_ordered(left, right))
    return PairView(pair, latest, fields, bars)


# ------------------------------------------------------------------ people


@dataclass
class PeopleSummary:
    created: list[Person] = field(default_factory=list)
    updated: list[Person] = field(default_factory=list)
    unchanged: int = 0
    claims: int = 0
    retracted: int = 0
    unreviewed: int = 0


GENDER_TERMS = {"m": "male", "f": "female"}


def _locator(row: ListRow) -> str:
    return f"line {row.line}"


def _claim(
    record: Any, prop: str, value: Any, row: ListRow, source: Source, user: Any, level: int
) -> int:
    """Add ``value`` citing the row's line in its list, or add the citation to the claim
    that says the same; returns 1 when something was written, else 0."""
    from dadkhah.records import values

    spec = values.prop_spec(record.KIND, prop)
    try:
        clean = values.clean(spec, value)
    except ValueError:
        return 0  # an unreadable value stays in the list row, shown on the cluster page
    cite = CitationInput(source=source, page=_locator(row), quote=str(value)[:2000])
    key = values.value_key(spec, clean)
    existing = None
    for claim in record.claims().filter(prop=prop):
        if values.value_key(spec, claim.value) == key:
            existing = claim
            break
    if existing is None:
        claims.add_claim(
            record, prop, clean, citations=[cite], confidentiality=level, user=user,
            reason="from a linked victim list", reproject=False,
        )  # fmt: skip
        return 1
    if existing.citations.filter(source=source, page=cite.page, retracted_at=None).exists():
        return 0
    claims.add_citation(
        existing, cite, user=user, reason="from a linked victim list", reproject=False
    )
    return 1


def _retract_moved(row: ListRow, person: Person, user: Any) -> int:
    """A row now in another cluster: retract its citations on the person it was part of."""
    source = row.list_import.source
    ids = list(person.claims().values_list("pk", flat=True))
    execution = ExecutionLink.objects.filter(person=person).first()
    if execution is not None:
        ids += list(execution.event.claims().values_list("pk", flat=True))
    count = 0
    for citation in Citation.objects.filter(
        claim_id__in=ids, source=source, page=_locator(row), retracted_at=None
    ):
        citation.retracted_at = timezone.now()
        citation._history_user = user  # type: ignore[attr-defined]
        citation._change_reason = f"{row} now belongs to another person"  # type: ignore[attr-defined]
        citation.save()
        count += 1
    return count


def _execution(person: Person, level: int, user: Any) -> Any:
    link = ExecutionLink.objects.filter(person=person).select_related("event").first()
    if link is not None:
        return link.event
    event = claims.create_record(
        "event", confidentiality=level, user=user, reason="execution from linked victim lists"
    )
    claims.create_record(
        "participation", event=event, person=person, confidentiality=level, user=user,
        reason="victim named in linked victim lists",
    )  # fmt: skip
    ExecutionLink.objects.create(person=person, event=event)
    return event


def _unreviewed_rows(run: LinkageRun) -> set[int]:
    rows: set[int] = set()
    for p in review_queue(run):
        rows.update((p.row_l_id, p.row_r_id))
    return rows


@transaction.atomic
def make_people(run: LinkageRun, user: Any) -> PeopleSummary:
    """One Person per reviewed cluster (no pair of it left in the review queue): a name
    claim per distinct name citing every list that gives it (the row's line as locator),
    father's name, gender, birth date, and an execution event with the death dates.
    Running it again updates the same people: nothing is duplicated."""
    summary = PeopleSummary()
    pending = _unreviewed_rows(run)
    links = {
        pl.row_id: pl
        for pl in PersonLink.objects.filter(row__in=ClusterMember.objects.filter(run=run).values("row"))
    }  # fmt: skip
    claimed: set[int] = set()
    reviewed = []
    for found in current_clusters(run):
        if any(r.pk in pending for r in found.rows):
            summary.unreviewed += 1
        else:
            reviewed.append(found)

    def claim_order(found: Cluster) -> tuple[int, int]:
        # clusters holding most rows of an existing person, then its earliest row, go first:
        # a row split out leaves the person to the rows that stay
        linked = [r.pk for r in found.rows if r.pk in links]
        return (-len(linked), min(linked, default=0))

    for found in sorted(reviewed, key=claim_order):
        level = max(r.list_import.confidentiality for r in found.rows)
        votes: dict[int, int] = defaultdict(int)
        for r in found.rows:
            if r.pk in links:
                votes[links[r.pk].person_id] += 1
        choice = sorted(
            (pid for pid in votes if pid not in claimed), key=lambda pid: (-votes[pid], pid)
        )
        if choice:
            person = Person.objects.get(pk=choice[0])
            fresh = False
        else:
            person = claims.create_record(
                "person", confidentiality=level, user=user, reason="from linked victim lists"
            )
            fresh = True
        claimed.add(person.pk)
        written = 0
        event = None
        for r in found.rows:
            old = links.get(r.pk)
            if old is not None and old.person_id != person.pk:
                summary.retracted += _retract_moved(r, old.person, user)
                old.person = person
                old.save()
                written += 1
            elif old is None:
                PersonLink.objects.create(row=r, person=person)
            source = r.list_import.source
            lvl = r.list_import.confidentiality
            if r.full_name:
                written += _claim(person, "name", r.full_name, r, source, user, lvl)
            if r.father_name:
                written += _claim(person, "father_name", r.father_name, r, source, user, lvl)
            if r.gender:
                term = _gender(r.gender)
                if term:
                    written += _claim(person, "gender", term, r, source, user, lvl)
            if r.birth_year:
                written += _claim(person, "birth_date", r.birth_year, r, source, user, lvl)
            if r.death_date:
                event = event or _execution(person, level, user)
                if not event.claims().filter(prop="event_type").exists():
                    _claim(event, "event_type", "execution", r, source, user, lvl)
                written += _claim(event, "date", r.death_date, r, source, user, lvl)
        claims.project(person)
        if event is not None:
            claims.project(event)
        summary.claims += written
        if fresh:
            summary.created.append(person)
        elif written:
            summary.updated.append(person)
        else:
            summary.unchanged += 1
    return summary


def _gender(text: str) -> str | None:
    from dadkhah.linkage.prepare import parse_gender

    try:
        code = parse_gender(text)
    except ValueError:
        return None
    return GENDER_TERMS.get(code or "")


def person_of(row: ListRow) -> Person | None:
    link = PersonLink.objects.filter(row=row).select_related("person").first()
    return link.person if link else None
