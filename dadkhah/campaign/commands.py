"""``dadkhah campaign …``: the organizers' commands. Each is thin and calls domain code."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def campaign() -> None:
    """Statements and petitions: packages for delivery, exports, upkeep."""


@campaign.command()
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=None,
    help="Loopback port to listen on. Default: DADKHAH_MAILSINK_PORT (8025).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="A loopback address.")
def mailsink(port: int | None, host: str) -> None:
    """Run the local SMTP sink: every message is kept under DADKHAH_HOME/mail/ and none is
    sent on. For development and the demo (`dadkhah serve` starts it itself when
    DADKHAH_SMTP_URL is empty); it listens on loopback only. Ctrl-C stops it."""
    import signal
    import threading

    from dadkhah import config
    from dadkhah.campaign import mailsink as sink

    settings = config.load()
    folder = sink.mail_dir(settings.home)
    chosen = port or settings.mailsink_port
    try:
        controller = sink.start(folder, chosen, host)
    except sink.SinkError as exc:
        raise click.UsageError(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{chosen}: {exc.strerror}") from None
    click.echo(f"Mail sink on smtp://{host}:{chosen}/, keeping messages in {folder}", err=True)
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    try:
        stopped.wait()
    finally:
        controller.stop()


# ---------------------------------------------------------------------------- organizers


@campaign.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON line per campaign.")
def list_(as_json: bool) -> None:
    """Every campaign with its state and its signature counts."""
    from dadkhah.cli import emit, setup

    setup()
    from dadkhah.campaign.manage import campaign_rows

    rows = campaign_rows()
    if as_json:
        for row in rows:
            emit(row.as_dict())
        return
    if not rows:
        click.echo("No campaign yet.", err=True)
        return
    table = [("slug", "kind", "state", "validated", "pending", "counted", "removed", "orgs")]
    for r in rows:
        table.append(
            (
                r.campaign.slug + (" (synthetic)" if r.campaign.is_synthetic else ""),
                r.campaign.kind,
                r.state,
                str(r.validated),
                str(r.pending),
                str(r.counted),
                str(r.removed),
                str(r.organisations),
            )
        )
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    for line in table:
        click.echo("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())


@campaign.command()
@click.argument("slug")
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="Directory to write (created; if it exists it must be empty).",
)
@click.option("--actor", default=None, help="Who makes it (default: the system user).")
@click.option("--requester", default=None, help="For whom (default: the actor).")
def package(slug: str, out: Path, actor: str | None, requester: str | None) -> None:
    """Write the delivery package of campaign SLUG into DIR: signatures.csv, totals.csv,
    organisations.csv (if any), package.pdf, manifest.json and MANIFEST.sha256 (check it
    with `sha256sum -c MANIFEST.sha256` in DIR). Records it in the custody ledger. Prints
    one JSON line: the files, hashes, counts and ledger entry."""
    from dadkhah.cli import _system_user, emit, fail, setup

    setup()
    from dadkhah.campaign.delivery import DeliveryError, make_package
    from dadkhah.campaign.models import Campaign

    found = Campaign.objects.filter(slug=slug).first()
    if found is None:
        fail(f"no campaign {slug!r} (see `dadkhah campaign list`)")
        return
    who = actor or _system_user()
    try:
        made = make_package(found, out, who, requester or who)
    except (DeliveryError, OSError) as exc:
        fail(str(exc))
        return
    emit(made.as_dict())


@campaign.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON line: rows changed by each step.")
def purge(as_json: bool) -> None:
    """Empty the address hashes of signatures older than 30 days, and anonymize the signers
    of campaigns past their retention date (names, emails, cities; countries and dates
    stay, so counts do not change). `dadkhah work` and the daily task run it too."""
    from django.utils import timezone

    from dadkhah.cli import emit, setup

    setup()
    from dadkhah.campaign.retention import purge as run_purge

    done = run_purge(timezone.now())
    if as_json:
        emit(done.as_dict())
    else:
        for name, n in done.as_dict().items():
            click.echo(f"{name.replace('_', ' ')}: {n}")


@campaign.command("close-due")
@click.option("--json", "as_json", is_flag=True, help="One JSON line per campaign closed.")
def close_due(as_json: bool) -> None:
    """Close every published campaign whose closing date has passed (it already reads as
    closed to the public; this records it). `dadkhah work` and the daily task run it too."""
    from django.utils import timezone

    from dadkhah.cli import emit, setup

    setup()
    from dadkhah.campaign.manage import close_due as run_close_due

    closed = run_close_due(timezone.now())
    for slug in closed:
        if as_json:
            emit({"closed": slug})
        else:
            click.echo(f"closed {slug}")
    if not as_json:
        click.echo(f"{len(closed)} campaign(s) closed", err=True)


@campaign.command()
@click.argument("slug")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The file to write: .docx (Word, as the Council's secretariat asks) or .txt.",
)
@click.option("--session", type=click.IntRange(min=1), default=None, help="Council session.")
@click.option(
    "--agenda-item", type=click.IntRange(1, 10), default=None, help="Agenda item (1 to 10)."
)
@click.option(
    "--lang", type=click.Choice(["en", "fa"]), default="en", show_default=True, help="Text."
)
def jws(slug: str, out: Path, session: int | None, agenda_item: int | None, lang: str) -> None:
    """Export a sign-on statement as a Human Rights Council joint written statement:
    approved organisations in ECOSOC consultative status as co-sponsors (general, special,
    roster), the others as sharing its views; refused over the word limit. Session and
    agenda item stay as placeholders unless given. Prints one JSON line."""
    from dadkhah.cli import emit, fail, setup

    setup()
    from dadkhah.campaign import jws as layout
    from dadkhah.campaign.models import Campaign

    found = Campaign.objects.filter(slug=slug).first()
    if found is None:
        fail(f"campaign {slug!r}: no such campaign")
        return
    try:
        statement = layout.export(found, out, lang, session, agenda_item)
    except layout.JwsError as exc:
        fail(f"{slug}: {exc}")
        return
    emit(
        {
            "out": str(out),
            "lang": lang,
            "words": statement.words,
            "limit": statement.limit,
            "cosponsors": len(statement.cosponsors),
            "sharing": len(statement.supporters),
        }
    )
