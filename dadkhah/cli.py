"""The ``dadkhah`` command. Each command is thin: it sets Django up and calls domain code.

Machine-readable output is JSON Lines on stdout (``--json``); diagnostics go to stderr.
Exit status: 0 success, 1 a check found a problem, 2 bad usage or bad input.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from dadkhah.linkage import DEFAULT_THRESHOLD

__all__ = ["main"]


def setup(migrate: bool = True) -> None:
    """Configure Django and bring the database up to date (first use creates it)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dadkhah.settings")
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        from dadkhah.accounts.roles import ensure_groups

        ensure_groups()


def emit(obj: dict[str, Any]) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, default=str))


def fail(message: str, code: int = 2) -> None:
    click.echo(f"dadkhah: {message}", err=True)
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="dadkhah")
def main() -> None:
    """Dadkhah: preserve evidence, document the case, count, and bring it to justice."""


@main.command()
@click.option("--port", default=8000, show_default=True, help="Port on 127.0.0.1.")
@click.option(
    "--no-serve", is_flag=True, help="Load the demo case and print the login, but do not serve."
)
def demo(port: int, no_serve: bool) -> None:
    """Create DADKHAH_HOME, load the demo case (once) and serve it on 127.0.0.1."""
    setup()
    from dadkhah.records.demo import ensure_demo

    login = ensure_demo()
    from dadkhah.memorial.estimates import publish_demo_estimate

    # The counting demo's synthetic estimate, on the memorial's count page (computed once).
    publish_demo_estimate()
    click.echo("Demo case loaded. Staff logins (synthetic accounts, demo only):", err=True)
    for role, (username, password) in login.items():
        click.echo(f"  {role:13} {username} / {password}", err=True)
    if not no_serve:
        _serve("127.0.0.1", port)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
def serve(host: str, port: int) -> None:
    """Serve the site and the API (gunicorn, 2 workers), with the background task consumer."""
    setup()
    _serve(host, port)


def _serve(host: str, port: int) -> None:
    """gunicorn and the task consumer (huey) side by side; Ctrl-C or SIGTERM stops both."""
    import signal
    import subprocess
    import time

    from dadkhah.memorial.browse import refresh_stale

    refresh_stale()  # memorial rows whose name keys an older dadkhah.names made

    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    click.echo(f"Serving on http://{host}:{port}/  (Ctrl-C to stop)", err=True)
    gunicorn = [
        sys.executable,
        "-m",
        "gunicorn",
        "dadkhah.wsgi",
        "--bind",
        f"{host}:{port}",
        "--workers",
        "2",
        "--threads",
        "4",
        "--access-logfile",
        "-",
    ]
    consumer = [sys.executable, "-m", "django", "run_huey"]
    children = {"task consumer": subprocess.Popen(consumer), "gunicorn": subprocess.Popen(gunicorn)}
    asked: list[int] = []

    def stop(signum: int, frame: object) -> None:
        asked.append(signum)
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while not asked and all(child.poll() is None for child in children.values()):
        time.sleep(0.2)
    ended = [name for name, child in children.items() if child.poll() is not None]
    if not asked:  # one of them ended on its own: the other goes too
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
    for child in children.values():
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    if not asked:
        fail(f"{', '.join(ended)} stopped unexpectedly; stopped the rest", code=1)


@main.command()
@click.option(
    "--json", "as_json", is_flag=True, help="One JSON line at the end: tasks run by name."
)
def work(as_json: bool) -> None:
    """Run the queued background tasks here (text extraction, search indexing, mentions), until
    none is left. `dadkhah serve` runs them as they come; this is for working without it, for
    example `dadkhah ingest DIR` then `dadkhah work` then `dadkhah search QUERY`. Tasks that
    fail are reported by the item they concern (its extraction status) and retried later if
    they allow it."""
    import collections
    import json

    setup()
    from django.utils.module_loading import autodiscover_modules
    from huey.contrib.djhuey import HUEY

    autodiscover_modules("tasks")  # as the consumer does: every app's tasks known by name
    from dadkhah.vault.tasks import requeue_interrupted, requeue_stranded

    requeue_interrupted()  # as the consumer does when it starts: what a crash left running
    ran: collections.Counter[str] = collections.Counter()
    unreadable = 0
    stranded: set[int] = set()
    while True:
        try:
            task = HUEY.dequeue()
        except Exception as exc:  # the message is off the queue but can't be read back
            unreadable += 1
            click.echo(f"dadkhah work: skipped an unreadable queued task ({exc})", err=True)
            continue
        if task is None:
            # an empty queue with originals still pending: their task was lost; queue them again
            again = requeue_stranded(stranded)
            if not again:
                break
            stranded.update(again)
            continue
        HUEY.execute(task)  # errors are logged and the item marked; retries are re-queued
        ran[task.name] += 1
    if as_json:
        click.echo(
            json.dumps(
                {
                    "tasks": sum(ran.values()),
                    "by_name": dict(sorted(ran.items())),
                    "unreadable": unreadable,
                    "requeued": len(stranded),
                }
            )
        )
    else:
        done = ", ".join(f"{n} {name}" for name, n in sorted(ran.items())) or "nothing queued"
        lost = (
            f"; {unreadable} unreadable, {len(stranded)} items queued again"
            if unreadable or stranded
            else ""
        )
        click.echo(f"Ran {sum(ran.values())} tasks: {done}{lost}", err=True)


@main.command("createuser")
@click.argument("username")
@click.option(
    "--role", type=click.Choice(["administrator", "investigator", "reviewer"]), required=True
)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--email", default="")
def createuser(username: str, role: str, password: str, email: str) -> None:
    """Create a staff user with a role."""
    setup()
    from django.contrib.auth import get_user_model

    from dadkhah.accounts.roles import set_role
    from dadkhah.core.confidentiality import Role

    user_model = get_user_model()
    if user_model.objects.filter(username=username).exists():
        fail(f"user {username!r} exists already")
    user = user_model.objects.create_user(username=username, email=email, password=password)
    if role == "administrator":
        user.is_superuser = True
        user.save(update_fields=["is_superuser"])
    set_role(user, Role(role))
    emit({"username": username, "role": role})


@main.command()
@click.argument("username")
@click.option("--name", default="cli", help="A label to recognise the token by.")
@click.option("--days", default=90, show_default=True, help="Days until it expires.")
def token(username: str, name: str, days: int) -> None:
    """Issue an API token for USERNAME (printed once; only its hash is kept)."""
    setup()
    from django.contrib.auth import get_user_model

    from dadkhah.accounts.models import ApiToken

    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        fail(f"no user {username!r}")
    row, secret = ApiToken.issue(user, name, days)
    emit({"token": secret, "user": username, "expires": row.expires_at.isoformat()})


@main.command("import")
@click.argument("kind")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "jsonl"]),
    default=None,
    help="Default: from the file name's ending.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON Lines.")
def import_(kind: str, file: Path, fmt: str | None, as_json: bool) -> None:
    """Import records of KIND from FILE, all or nothing, with a per-row report.

    KIND is one of: source, person, body, place, post, event, participation, claim,
    citation, or case (every kind, in JSON Lines, as `export case` writes it).
    """
    setup()
    from dadkhah.records import io

    if not file.exists():
        fail(f"{file}: no such file")
    try:
        report = io.import_file(kind, file, fmt=fmt)
    except io.ImportExportError as exc:
        fail(str(exc))
        return
    for line in report.lines():
        if as_json:
            emit(line)
        else:
            click.echo(io.format_report_line(line), err=not line.get("ok", False))
    sys.exit(0 if report.ok else 2)


@main.command("export")
@click.argument("kind")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "jsonl", "ftm"]),
    default="jsonl",
    show_default=True,
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to this file instead of standard output.",
)
@click.option(
    "--level",
    default="public",
    show_default=True,
    help="Highest confidentiality level to include: public, internal, restricted, protected.",
)
def export(kind: str, fmt: str, out: Path | None, level: str) -> None:
    """Export records of KIND (or the whole case) as CSV, JSON Lines or FollowTheMoney."""
    setup()
    from dadkhah.core.confidentiality import parse_level
    from dadkhah.records import io

    try:
        clearance = parse_level(level)
        stream = out.open("w", encoding="utf-8", newline="") if out else sys.stdout
        try:
            io.export(kind, fmt, stream, clearance)
        finally:
            if out:
                stream.close()
    except (ValueError, io.ImportExportError) as exc:
        fail(str(exc))
    except BrokenPipeError:
        sys.stderr.close()


def _system_user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"


@main.command()
@click.argument("query", required=False, default="")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines: one line per hit.")
@click.option("--limit", default=20, show_default=True, help="Documents and records to show.")
@click.option("--offset", default=0, show_default=True, help="Skip this many first.")
@click.option(
    "--level",
    default="public",
    show_default=True,
    help="Clearance to search with, as for export: public, internal, restricted, protected. "
    "Documents (vault pages) are searched from internal up.",
)
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    type=click.Choice(["page", "person", "body", "place", "event", "claim"]),
    help="Only these kinds (repeatable).",
)
@click.option("--source", default="", help="Only this item (pages) or cited source (claims).")
@click.option("--date-from", default="", help="Dates overlapping from: 1367/05, 1988-08-14…")
@click.option("--date-to", default="", help="Dates overlapping until.")
@click.option("--place", default="", help="Only what happened at this place (uid).")
@click.option("--reindex", is_flag=True, help="Rebuild the whole index first (or only).")
def search(
    query: str,
    as_json: bool,
    limit: int,
    offset: int,
    level: str,
    kinds: tuple[str, ...],
    source: str,
    date_from: str,
    date_to: str,
    place: str,
    reindex: bool,
) -> None:
    """Full-text search over documents and records, across scripts.

    Words must all match; "a phrase" matches words side by side; -word leaves out; a OR b.
    A name matches its spellings in either script ("Raisi" finds رئیسی). With --json, one
    line per hit: {"kind", "id", "title", "snippet", "page", "marks", "rank", "url"}, where
    marks are [start, end] offsets of the matched words in the snippet. Like export, the
    command sees only what --level allows (default: public).
    """
    setup()
    from dadkhah.core.confidentiality import Level, parse_level
    from dadkhah.search import services

    if reindex:
        from dadkhah.search.indexing import reindex as rebuild

        done = rebuild()
        click.echo(
            f"dadkhah: indexed {done.pages} pages and {done.records} records "
            f"({done.entries} entries)",
            err=True,
        )
        if not query:
            return
    try:
        clearance = parse_level(level)
        filters = services.Filters(
            kinds=frozenset(kinds) if kinds else None,
            source=source,
            date_from=services.parse_date_filter(date_from),
            date_to=services.parse_date_filter(date_to, end=True),
            place=place,
        )
        results = services.search(query, clearance, filters, limit=limit, offset=offset)
    except ValueError as exc:  # QueryError, a bad level, an unreadable date
        fail(str(exc))
        return
    for note in results.notes:
        click.echo(f"dadkhah: note: {note}", err=True)
    try:
        for group in results.groups:
            if not as_json:
                click.echo(f"{group.title}  [{group.key}]  {group.url}")
            for hit in group.hits:
                if as_json:
                    emit(hit.as_json())
                else:
                    where = f"p. {hit.page}" if hit.page is not None else hit.kind
                    click.echo(f"  {where}: {_marked(hit.snippet, hit.marks)}")
    except BrokenPipeError:
        sys.stderr.close()
        return
    more = "+" if results.capped else ""
    click.echo(
        f"dadkhah: {results.total_hits}{more} hits in {results.total_groups} documents "
        f"and records (at {clearance.label} clearance)",
        err=True,
    )
    if results.total_hits == 0 and clearance < Level.INTERNAL:
        click.echo("dadkhah: documents are searched from --level internal up", err=True)


def _marked(text: str, marks: list[tuple[int, int]]) -> str:
    out, pos = [], 0
    for start, end in marks:
        out.append(text[pos:start])
        out.append(click.style(text[start:end], bold=True))
        pos = end
    out.append(text[pos:])
    return "".join(out)


@main.command()
@click.argument("targets", nargs=-1, required=True, metavar="PATH_OR_URL...")
@click.option("--collector", default=None, help="Who received it (default: the system user).")
@click.option("--note", default="", help="A note kept in each item's preservation record.")
@click.option(
    "--source", default="", help="Who or where it came from (for a URL, the URL by default)."
)
@click.option("--consent", default="", help="The consent given for its use, in words.")
@click.option(
    "--restricted",
    is_flag=True,
    help="Encrypt at rest (AES-256-GCM) and show only to restricted clearance.",
)
@click.option(
    "--timeout", default=30.0, show_default=True, help="Seconds to wait for a URL to answer."
)
def ingest(
    targets: tuple[str, ...],
    collector: str | None,
    note: str,
    source: str,
    consent: str,
    restricted: bool,
    timeout: float,
) -> None:
    """Preserve files, folders, zip archives, .eml messages or URLs.

    Prints one JSON line per item: {"id", "sha256", "mime", "name"}. Zip members and e-mail
    attachments become items linked to their archive or message; a URL gives a WARC, the
    page and a screenshot. Each item is preserved on its own (blob, then one database
    transaction): when one input is bad, the problem is named on stderr, everything else is
    still preserved, and the exit status is 2. Leftovers of an interrupted ingest are
    reported and removed first.
    """
    setup()
    from dadkhah.vault.ingest import Ingest
    from dadkhah.vault.services import IngestError

    def on_item(item: Any, name: str) -> None:
        emit({"id": item.uid, "sha256": item.sha256, "mime": item.mime, "name": name})

    try:
        run = Ingest(
            collector or _system_user(),
            note=note,
            source=source,
            consent=consent,
            restricted=restricted,
            capture_timeout=timeout,
            on_item=on_item,
            on_problem=lambda message: click.echo(f"dadkhah: {message}", err=True),
            on_warning=lambda message: click.echo(f"dadkhah: warning: {message}", err=True),
        )
        for target in targets:
            run.add(target)
    except IngestError as exc:
        fail(str(exc))
        return
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(1)
    sys.exit(2 if run.problems else 0)


@main.command()
@click.option(
    "--json", "as_json", is_flag=True, help="JSON Lines: one line per problem, then a summary."
)
@click.option(
    "--actor", default=None, help="Who runs the check, for the ledger (default: the system user)."
)
def verify(as_json: bool, actor: str | None) -> None:
    """Re-hash every original and check the ledger, proofs and checkpoint signatures.

    Exits 0 when everything is intact and 1 when anything is wrong, naming every bad item
    and ledger entry. An intact run is recorded in the ledger as an audit event and signs a
    checkpoint, also kept outside the database in DADKHAH_HOME/checkpoints/latest.
    """
    setup()
    from dadkhah.vault.verify import verify_all

    report = verify_all(actor=actor or _system_user())
    try:
        if as_json:
            for problem in report.problems:
                emit(problem.as_dict())
            emit(report.summary())
        else:
            for problem in report.problems:
                click.echo(f"BAD {problem}")
            for warning in report.warnings:
                click.echo(f"warning: {warning}", err=True)
            click.echo(
                f"{'intact' if report.ok else f'{len(report.problems)} problems'}: "
                f"{report.items} originals ({report.bytes:,} bytes), {report.entries} ledger "
                f"entries, {report.receipts} receipts, {report.checkpoints} checkpoints, "
                f"{report.proofs} proofs in {report.seconds:.1f} s"
                + (f"; signed checkpoint {report.signed}" if report.signed else "")
            )
    except BrokenPipeError:
        sys.stderr.close()
    sys.exit(0 if report.ok else 1)


@main.command()
@click.argument("item_ids", nargs=-1, required=True)
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The zip file to write.",
)
@click.option(
    "--purpose",
    default="",
    help="Why the bundle is made, recorded in the ledger. Required for restricted items.",
)
@click.option("--actor", default=None, help="Who makes it (default: the system user).")
def bundle(item_ids: tuple[str, ...], out: Path, purpose: str, actor: str | None) -> None:
    """Export an evidence bundle that contains its own standard-library verifier.

    The zip holds the originals (in plaintext), their preservation records, the ledger
    entries about them with inclusion proofs, the signed checkpoint, the public key,
    manifest.html and verify_bundle.py; run `python3 verify_bundle.py FILE.zip` to check it.
    The export is itself a ledger event.
    """
    setup()
    from dadkhah.vault.bundle import BundleError, write_bundle

    try:
        summary = write_bundle(item_ids, out, actor or _system_user(), purpose)
    except BundleError as exc:
        fail(str(exc))
        return
    emit(summary.as_dict())


@main.command()
@click.argument("record_kind", type=click.Choice(["person", "event", "place", "body"]))
@click.argument("record_id")
@click.option(
    "--format", "fmt", type=click.Choice(["pdf", "html"]), default="pdf", show_default=True
)
@click.option(
    "--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="File to write."
)
@click.option(
    "--level",
    default="public",
    show_default=True,
    help="Highest confidentiality level to include: public, internal, restricted, protected.",
)
@click.option("--lang", type=click.Choice(["en", "fa", "both"]), default="both", show_default=True)
@click.option(
    "--kind",
    type=click.Choice(["perpetrator", "family"]),
    default=None,
    help="For a person (default: family for a victim, else perpetrator).",
)
@click.option("--from", "date_from", default="", help="For a place: events from this date.")
@click.option("--to", "date_to", default="", help="For a place: events until this date.")
@click.option("--requester", default="", help="For whom it is made (logged in the ledger).")
@click.option(
    "--bundle",
    "bundle_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Evidence bundle to write (default: FILE.evidence.zip when vault items are cited).",
)
@click.option("--actor", default=None, help="Who makes it (default: the system user).")
def dossier(
    record_kind: str,
    record_id: str,
    fmt: str,
    out: Path,
    level: str,
    lang: str,
    kind: str | None,
    date_from: str,
    date_to: str,
    requester: str,
    bundle_path: Path | None,
    actor: str | None,
) -> None:
    """Case file on a person (perpetrator dossier or family file), an event, a place
    (optionally --from/--to) or a body (the work of a commission), as PDF or HTML.

    Protected identities appear only as pseudonyms; material above --level is left out.
    Writes the evidence bundle of the vault items it relies on, and records the generation
    in the custody ledger. Prints one JSON line: the files, hashes and ledger entry.
    """
    setup()
    from dadkhah.core.confidentiality import parse_level
    from dadkhah.dossiers.evidence import EvidenceError
    from dadkhah.dossiers.parts import DossierError
    from dadkhah.dossiers.render import make_dossier

    try:
        made = make_dossier(
            record_kind,
            record_id,
            fmt=fmt,
            out=out,
            clearance=parse_level(level),
            actor=actor or _system_user(),
            requester=requester,
            lang=lang,
            kind=kind,
            date_from=date_from,
            date_to=date_to,
            bundle=bundle_path,
        )
    except (DossierError, EvidenceError, ValueError, OSError) as exc:
        fail(str(exc))
        return
    for note in made.missing:
        click.echo(f"dadkhah: note: {note}", err=True)
    emit(made.as_dict())


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="CLUSTERS.csv",
    help="Where to write record_id, cluster_id, match_probability.",
)
@click.option(
    "--threshold",
    type=click.FloatRange(0.0, 1.0, min_open=True),
    default=DEFAULT_THRESHOLD,
    show_default=True,
    help="Match probability at or above which two records join a cluster.",
)
@click.option(
    "--on-error",
    type=click.Choice(["stop", "report"]),
    default="stop",
    show_default=True,
    help="stop: exit at bad input, naming every problem; report: carry on and list them.",
)
@click.option(
    "--backend",
    type=click.Choice(["duckdb", "spark"]),
    default="duckdb",
    show_default=True,
    help="Splink's engine: DuckDB in process, or Spark (local mode) for lists too big for it.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON line.")
def link(
    files: tuple[Path, ...],
    out: Path,
    threshold: float,
    on_error: str,
    backend: str,
    as_json: bool,
) -> None:
    """Reconcile victim lists: which records on FILE... name the same person.

    Each FILE is a victim list (CSV in UTF-8, Windows-1256 or UTF-16; XLSX; ODS) with the
    columns record_id, list, full_name, father_name, birth_year, gender, city, prison,
    death_date. The clusters go to --out; join them with each record's list to run
    `dadkhah estimate` on them.
    """
    from dadkhah.linkage.lists import ListError
    from dadkhah.linkage.run import run_link

    for path in files:
        if not path.is_file():
            fail(f"{path}: no such file")
    try:
        summary = run_link(
            list(files),
            out,
            threshold=threshold,
            on_error=on_error,  # type: ignore[arg-type]
            backend=backend,  # type: ignore[arg-type]
        )
    except ListError as exc:
        for problem in exc.problems:
            click.echo(f"dadkhah: {problem}", err=True)
        sys.exit(2)
    except ValueError as exc:
        fail(str(exc))
    for problem in summary["problems"]:
        click.echo(f"dadkhah: {problem}", err=True)
    if as_json:
        emit(summary)
    else:
        click.echo(
            f"{summary['records']} records from {len(summary['lists'])} lists: "
            f"{summary['clusters']} people, {summary['comparisons']} comparisons, "
            f"{summary['seconds']['total']:.1f} s; clusters in {summary['out']}",
            err=True,
        )
        for note in summary["notes"]:
            click.echo(f"note: {note}", err=True)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--method",
    type=click.Choice(["loglinear", "lcmcr", "all"]),
    default="all",
    show_default=True,
    help="loglinear: Rcapture-style log-linear models; lcmcr: the Bayesian latent-class "
    "model; all: both, the simple baselines, and the recommended estimate last.",
)
@click.option(
    "--terms",
    default=None,
    metavar="A:B,…",
    help="The two-way interactions of one log-linear model, by list name ('' is the "
    "independence model). Without it, model selection chooses.",
)
@click.option(
    "--strata", default=None, metavar="COL", help="Estimate per value of this column, and summed."
)
@click.option(
    "--seed",
    type=int,
    default=None,
    help="Seed of the random samplers (default: a random one, printed).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON line per estimate.")
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    metavar="OUT.html|OUT.pdf",
    help="Also write the report (plots, and what the estimate means in English and Persian).",
)
def estimate(
    file: Path,
    method: str,
    terms: str | None,
    strata: str | None,
    seed: int | None,
    as_json: bool,
    report_path: Path | None,
) -> None:
    """Multiple systems estimation: how many people no list recorded.

    FILE is a capture table: one 0/1 column per list and a `count` column (one row per
    pattern), or `dadkhah link` output joined with a `list` column (one row per record).
    Prints one line per method (and stratum); with --method all the last line is the
    estimate Dadkhah recommends, with the reason in its diagnostics. See docs/counting.md.
    """
    from dadkhah.counting.collect import REPORT_SUFFIXES
    from dadkhah.counting.run import run
    from dadkhah.counting.table import read_capture_csv

    if report_path is not None and report_path.suffix.lower() not in REPORT_SUFFIXES:
        fail(f"--report {report_path}: write the report as .html or .pdf")
        return
    try:
        tables = read_capture_csv(file, strata=strata)
        result = run(
            tables,
            method=method,
            terms=terms,
            seed=seed,
            on_progress=lambda message: click.echo(f"dadkhah: {message}", err=True),
        )
    except ValueError as exc:  # bad table, bad model: CaptureTableError, LoglinearError, ...
        fail(str(exc))
        return
    if method != "loglinear":
        click.echo(f"dadkhah: seed {result.seed}", err=True)
    for note in result.notes:
        click.echo(f"dadkhah: note: {note}", err=True)
    try:
        if as_json:
            for item in result.estimates:
                emit(item.to_json())
        else:
            _print_estimates(result.estimates)
    except BrokenPipeError:
        sys.stderr.close()
    if report_path is not None:
        from dadkhah.counting.collect import write_report

        try:
            write_report(report_path, tables, result.estimates, seed=result.seed, source=file.name)
        except (OSError, RuntimeError) as exc:  # unwritable path, fonts missing for the PDF
            fail(f"--report {report_path}: {exc}")
            return
        click.echo(f"dadkhah: report written to {report_path}", err=True)


def _print_estimates(estimates: list[Any]) -> None:
    """A readable table on stdout; warnings on stderr."""

    def number(value: float) -> str:
        return f"{value:,.0f}" if value == value and abs(value) != float("inf") else "-"

    rows = [("", "method", "model", "observed", "estimate", "95% interval")]
    for item in estimates:
        mark = "*" if item.recommended else ""
        lo, hi = item.interval
        rows.append(
            (
                mark,
                item.method + (f" [{item.stratum}]" if item.stratum is not None else ""),
                item.model,
                f"{item.observed:,}",
                number(item.estimate),
                f"{number(lo)} – {number(hi)}",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    if any(item.recommended for item in estimates):
        click.echo("* recommended; why: " + str(estimates[-1].diagnostics.get("why", "")))
    said: set[tuple[str, str, str]] = set()
    for item in estimates:
        where = f"{item.method} {item.model}" + (
            f" [{item.stratum}]" if item.stratum is not None else ""
        )
        for warning in item.diagnostics.get("warnings", []) or []:
            if (where, warning, "") not in said:
                said.add((where, warning, ""))
                click.echo(f"dadkhah: warning: {where}: {warning}", err=True)


from dadkhah.campaign.commands import campaign as _campaign  # noqa: E402

main.add_command(_campaign)
