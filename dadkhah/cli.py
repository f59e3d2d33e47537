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
    click.echo("Demo case loaded. Staff logins (synthetic accounts, demo only):", err=True)
    for role, (username, password) in login.items():
        click.echo(f"  {role:13} {username} / {password}", err=True)
    if not no_serve:
        _serve("127.0.0.1", port)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
def serve(host: str, port: int) -> None:
    """Serve the site and the API (gunicorn, 2 workers)."""
    setup()
    _serve(host, port)


def _serve(host: str, port: int) -> None:
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    click.echo(f"Serving on http://{host}:{port}/  (Ctrl-C to stop)", err=True)
    os.execvp(
        sys.executable,
        [
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
        ],
    )


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
