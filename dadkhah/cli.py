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
    from dadkhah.campaign.demo import ensure_demo_campaigns

    # The synthetic petition and sign-on statement of the campaign pages (created once).
    ensure_demo_campaigns()
    from django.contrib.auth import get_user_model

    from dadkhah.accounts.demo import ensure_demo_devices

    # Staff log in with two factors: each demo account has an authenticator secret.
    names = [username for username, _ in login.values()]
    authenticators = ensure_demo_devices(list(get_user_model().objects.filter(username__in=names)))
    click.echo("Demo case loaded. Staff logins (synthetic accounts, demo only):", err=True)
    for role, (username, password) in login.items():
        click.echo(
            f"  {role:13} {username} / {password}   authenticator secret: {authenticators[username]}",
            err=True,
        )
    click.echo(
        "Add a secret to an authenticator app, or print the current code with "
        "`dadkhah user totp USERNAME`.",
        err=True,
    )
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
    sink = _start_mailsink(host, port)
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
    if sink is not None:
        sink.stop()
    if not asked:
        fail(f"{', '.join(ended)} stopped unexpectedly; stopped the rest", code=1)


def _start_mailsink(host: str, port: int) -> Any:
    """With DADKHAH_SMTP_URL empty (the demo, development), email goes to the local sink:
    start it here and say where mail goes. Links in emails point at this server unless
    DADKHAH_SITE_URL says otherwise (the task consumer reads it from the environment)."""
    from django.conf import settings

    if "DADKHAH_SITE_URL" not in os.environ and host not in ("0.0.0.0", "::"):
        shown = f"[{host}]" if ":" in host else host
        os.environ["DADKHAH_SITE_URL"] = f"http://{shown}:{port}"
    if settings.CONFIG.smtp_url:
        smtp = settings.CONFIG.smtp
        click.echo(f"Email goes out through {smtp.host}:{smtp.port}.", err=True)
        return None
    from dadkhah.campaign import mailsink

    folder = mailsink.mail_dir()
    try:
        controller = mailsink.start(folder, settings.CONFIG.mailsink_port)
    except OSError as exc:
        fail(
            f"cannot start the local mail sink on 127.0.0.1:{settings.CONFIG.mailsink_port} "
            f"({exc.strerror}); set DADKHAH_MAILSINK_PORT to a free port, or DADKHAH_SMTP_URL",
            code=1,
        )
    click.echo(
        f"Email stays on this machine: the local sink on 127.0.0.1:{settings.CONFIG.mailsink_port} "
        f"keeps it in {folder}; read it at http://{host}:{port}/campaigns/mailbox/",
        err=True,
    )
    return controller


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
    from dadkhah.campaign import tally

    tally.run()  # confirmed signatures waiting for a delayed batch are counted now
    from django.utils import timezone

    from dadkhah.campaign.retention import upkeep

    # the campaigns' upkeep: old address hashes, expired signer data, campaigns past closing
    purged, closed = upkeep(timezone.now())
    campaign_upkeep = {**purged.as_dict(), "campaigns_closed": len(closed)}
    if as_json:
        click.echo(
            json.dumps(
                {
                    "tasks": sum(ran.values()),
                    "by_name": dict(sorted(ran.items())),
                    "unreadable": unreadable,
                    "requeued": len(stranded),
                    "campaign_upkeep": campaign_upkeep,
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
        changed = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in campaign_upkeep.items() if n)
        if changed:
            click.echo(f"Campaign upkeep: {changed}", err=True)


@main.command("createuser")
@click.argument("username")
@click.option(
    "--role", type=click.Choice(["administrator", "investigator", "reviewer"]), required=True
)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--email", default="")
@click.pass_context
def createuser(ctx: click.Context, username: str, role: str, password: str, email: str) -> None:
    """Create a staff user with a role (the same as `dadkhah user create`)."""
    from dadkhah.accounts.commands import create

    ctx.invoke(create, username=username, role=role, password=password, email=email)


@main.command()
@click.argument("username")
@click.option("--name", default="cli", help="A label to recognise the token by.")
@click.option(
    "--days", type=click.IntRange(1), default=90, show_default=True, help="Days until it expires."
)
@click.option(
    "--role",
    type=click.Choice(["administrator", "investigator", "reviewer", "public"]),
    default=None,
    help="The most the token may do. Default: the user's own role.",
)
@click.pass_context
def token(ctx: click.Context, username: str, name: str, days: int, role: str | None) -> None:
    """Issue an API token for USERNAME (printed once; only its hash is kept). Same as
    `dadkhah user token`."""
    from dadkhah.accounts.commands import token as user_token

    ctx.invoke(user_token, username=username, name=name, role=role, days=days)


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
@click.option(
    "--reason",
    default="",
    help="Why, recorded in the audit trail. Required from --level restricted up.",
)
def export(kind: str, fmt: str, out: Path | None, level: str, reason: str) -> None:
    """Export records of KIND (or the whole case) as CSV, JSON Lines or FollowTheMoney.

    The export is recorded in the audit trail (and so in the custody ledger)."""
    setup()
    from dadkhah.accounts import audit
    from dadkhah.core.confidentiality import parse_level
    from dadkhah.records import io

    try:
        clearance = parse_level(level)
        if audit.needs_reason("export", clearance) and not reason.strip():
            fail(f"--reason: an export of {clearance.label} material needs a reason")
        stream = out.open("w", encoding="utf-8", newline="") if out else sys.stdout
        try:
            io.export(kind, fmt, stream, clearance)
        finally:
            if out:
                stream.close()
        audit.record(None, "export", ("records", kind), clearance, reason, detail=f"as {fmt}")
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
    and ledger entry, and every audit-trail entry that differs from its ledger entry. An
    intact run is recorded in the ledger as an audit event and signs a checkpoint, also kept
    outside the database in DADKHAH_HOME/checkpoints/latest.
    """
    setup()
    from dadkhah.vault.verify import verify_all

    report = verify_all(actor=actor or _system_user())
    from dadkhah.accounts import audit

    for problem in audit.check():  # the audit trail against its ledger entries
        report.add(problem.kind, problem.message, seq=problem.seq)
    _print_verify(report, as_json)
    sys.exit(0 if report.ok else 1)


def _print_verify(report: Any, as_json: bool) -> None:
    """What `verify` prints: each problem, then one summary line (JSON Lines with --json)."""
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


@main.command()
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The directory to create (it must not exist); written as DIR.partial, then renamed.",
)
@click.option(
    "--passphrase-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File whose first line is the passphrase that encrypts the keys "
    "(default: the DADKHAH_BACKUP_PASSPHRASE environment variable).",
)
def backup(out: Path, passphrase_file: Path | None) -> None:
    """Back up the database, the blobs, the files kept outside the database and the keys
    (encrypted with the passphrase) into a new directory, consistently while others write.

    Prints one JSON line: what was copied. Exits 1, naming each, when a blob the database
    refers to is missing or altered (the rest is backed up); 2 without a passphrase. The
    task queue is not backed up. See docs/backup.md.
    """
    from dadkhah.vault.backup import BackupError, make_backup, read_passphrase

    try:
        passphrase = read_passphrase(passphrase_file)
    except BackupError as exc:
        fail(str(exc))
        return
    setup(migrate=False)
    try:
        summary = make_backup(
            out, passphrase, on_progress=lambda message: click.echo(f"dadkhah: {message}", err=True)
        )
    except BackupError as exc:
        fail(str(exc), exc.code)
        return
    for problem in summary.problems:
        click.echo(f"dadkhah: BAD {problem}", err=True)
    emit(summary.as_dict())
    sys.exit(1 if summary.problems else 0)


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--passphrase-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File whose first line is the backup's passphrase "
    "(default: the DADKHAH_BACKUP_PASSPHRASE environment variable).",
)
@click.option(
    "--force", is_flag=True, help="Replace the database and files of a target that is not empty."
)
@click.option("--json", "as_json", is_flag=True, help="JSON Lines: the restore, then as verify.")
def restore(directory: Path, passphrase_file: Path | None, force: bool, as_json: bool) -> None:
    """Restore a backup into the configured DADKHAH_HOME and database, then check it.

    Every file is checked against the backup's manifest and the keys decrypted before
    anything is written; a mismatch or a wrong passphrase exits 2 naming the file. A target
    that is not empty is refused without --force. After the restore, migrations run if the
    backup is older, and the checks of `verify` run (without writing to the ledger): exit 1
    if they find a problem.
    """
    from dadkhah.vault.backup import BackupError, read_passphrase
    from dadkhah.vault.restore import open_backup, restore_backup

    try:
        opened = open_backup(directory, read_passphrase(passphrase_file))
    except BackupError as exc:
        fail(str(exc))
        return
    setup(migrate=False)
    try:
        summary = restore_backup(opened, force=force)
    except BackupError as exc:
        fail(str(exc), exc.code)
        return
    for warning in summary.warnings:
        click.echo(f"dadkhah: warning: {warning}", err=True)
    for problem in summary.problems:
        click.echo(f"dadkhah: BAD {problem}", err=True)
    if as_json:
        emit(summary.as_dict())
    else:
        click.echo(
            f"restored {opened.root}: {summary.engine} database, {summary.blobs} blobs, "
            f"{summary.files} other files, {summary.keys} keys"
            + (f"; migrated {', '.join(summary.migrated)}" if summary.migrated else ""),
            err=True,
        )
    if summary.waiting:
        click.echo(
            f"dadkhah: {summary.waiting} originals await text extraction (the task queue is "
            "not in a backup): run `dadkhah work`, or `dadkhah serve` queues them",
            err=True,
        )
    from dadkhah.vault.verify import verify_all

    report = verify_all(publish=False)
    _print_verify(report, as_json)
    sys.exit(0 if report.ok and not summary.problems else 1)


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
    from dadkhah.accounts import audit
    from dadkhah.vault.models import Item

    levels = Item.objects.filter(uid__in=summary.items).values_list("confidentiality", flat=True)
    audit.record(
        actor,
        "bundle",
        ("bundle", out.name),
        audit.highest(*levels),
        purpose,
        detail=f"{len(summary.items)} items, export entry {summary.export_seq}",
    )
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
@click.option(
    "--reason",
    default="",
    help="Why, recorded in the audit trail. Required from --level restricted up.",
)
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
    reason: str,
) -> None:
    """Case file on a person (perpetrator dossier or family file), an event, a place
    (optionally --from/--to) or a body (the work of a commission), as PDF or HTML.

    Protected identities appear only as pseudonyms; material above --level is left out.
    Writes the evidence bundle of the vault items it relies on, and records the generation
    in the custody ledger. Prints one JSON line: the files, hashes and ledger entry.
    """
    setup()
    from dadkhah.accounts import audit
    from dadkhah.core.confidentiality import parse_level
    from dadkhah.dossiers.evidence import EvidenceError
    from dadkhah.dossiers.parts import DossierError
    from dadkhah.dossiers.render import make_dossier

    try:
        clearance = parse_level(level)
        if audit.needs_reason("dossier", clearance) and not reason.strip():
            fail(f"--reason: a dossier of {clearance.label} material needs a reason")
        made = make_dossier(
            record_kind,
            record_id,
            fmt=fmt,
            out=out,
            clearance=clearance,
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
    audit.record(
        actor,
        "dossier",
        (record_kind, made.subject),
        clearance,
        reason,
        detail=f"{made.kind} dossier ({fmt}), ledger entry {made.ledger_seq}",
    )
    for note in made.missing:
        click.echo(f"dadkhah: note: {note}", err=True)
    emit(made.as_dict())


def _jvm_size(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    """A JVM memory size ("768m", "4g"), as Spark reads it."""
    text = value.strip().lower()
    if not (text[:-1].isdigit() and text[-1:] in ("m", "g") and int(text[:-1]) > 0):
        raise click.BadParameter(f"{value!r} is not a size such as 768m or 4g")
    return text


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
@click.option(
    "--spark-cores",
    type=click.IntRange(1, 512),
    default=os.cpu_count() or 2,
    show_default="every core of this machine",
    help="With --backend spark: how many cores Spark (local mode) uses.",
)
@click.option(
    "--spark-memory",
    default="1g",
    show_default=True,
    callback=_jvm_size,
    help="With --backend spark: memory for Spark, as a JVM size (768m, 4g).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON line.")
def link(
    files: tuple[Path, ...],
    out: Path,
    threshold: float,
    on_error: str,
    backend: str,
    spark_cores: int,
    spark_memory: str,
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
            spark_cores=spark_cores,
            spark_memory=spark_memory,
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


@main.command()
@click.argument("person_uid")
@click.option("--name", default="", help="The legal name in Latin script (stored encrypted).")
@click.option("--name-fa", default="", help="The legal name in Persian (stored encrypted).")
@click.option("--contact", default="", help="How to reach them (stored encrypted).")
@click.option("--notes", default="", help="Notes (stored encrypted).")
@click.option(
    "--kind",
    type=click.Choice(["witness", "family", "person"]),
    default=None,
    help="Default: witness if the person testified (a witness participation), else person.",
)
@click.option("--json", "as_json", is_flag=True, help="Print what was done as one JSON line.")
def protect(
    person_uid: str,
    name: str,
    name_fa: str,
    contact: str,
    notes: str,
    kind: str | None,
    as_json: bool,
) -> None:
    """Put PERSON_UID's identity under witness protection.

    The names, contact and notes are encrypted (keys under DADKHAH_HOME/keys/fields/); the
    person is shown as a pseudonym everywhere; the clear names are scrubbed from the
    person's labels, name claims, claim notes, citation quotes and participation labels,
    and from their history rows. Only an administrator's audited reveal shows them."""
    setup()
    from dadkhah.records.protected import ProtectError
    from dadkhah.records.protected import protect as protect_identity

    try:
        done = protect_identity(
            person_uid, name=name, name_fa=name_fa, contact=contact, notes=notes, kind=kind
        )
    except ProtectError as exc:
        fail(str(exc))
        return
    line = {
        "person": done.person,
        "pseudonym": done.pseudonym,
        "claims": done.claims,
        "citations": done.citations,
        "participations": done.participations,
        "history_rows": done.history_rows,
        "scrubbed": done.scrubbed,
    }
    if as_json:
        emit(line)
    else:
        click.echo(f"{done.person} is now {done.pseudonym}")
        click.echo(
            f"scrubbed: {done.claims} claims, {done.citations} citation quotes, "
            f"{done.participations} participation labels, {done.history_rows} history rows"
        )


@main.group()
def keys() -> None:
    """Keys kept under DADKHAH_HOME/keys/."""


@keys.command("rotate-fields")
@click.option("--keep-old", is_flag=True, help="Keep the old field keys even when unused.")
def rotate_fields(keep_old: bool) -> None:
    """Make a new field-encryption key and re-encrypt every protected value under it."""
    setup()
    from dadkhah.core.fieldcrypt import FieldCryptError
    from dadkhah.records.protected import rotate_fields as rotate

    try:
        done = rotate(remove_unused=not keep_old)
    except FieldCryptError as exc:
        fail(str(exc), 1)
        return
    emit(
        {
            "new_key": done.new_key,
            "reencrypted": done.reencrypted,
            "removed": done.removed,
            "kept": done.kept,
        }
    )


from dadkhah.campaign.commands import campaign as _campaign  # noqa: E402

main.add_command(_campaign)

from dadkhah.accounts.commands import user as _user  # noqa: E402

main.add_command(_user)


if __name__ == "__main__":
    main()
