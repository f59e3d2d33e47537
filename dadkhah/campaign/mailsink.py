"""The local SMTP sink: development, the demo and tests send mail here, and none leaves.

An aiosmtpd server on a loopback address accepts every message and keeps it as one ``.eml``
file under ``DADKHAH_HOME/mail/`` (written to a temporary name, then renamed, so a reader
never sees half a message). :func:`messages` reads them back, newest first, for the demo's
mailbox page. It refuses to listen on anything but loopback: it is not a mail server.

Run it with ``dadkhah campaign mailsink [--port N]``; ``dadkhah serve`` and ``dadkhah demo``
start it themselves when ``DADKHAH_SMTP_URL`` is empty.
"""

from __future__ import annotations

import ipaddress
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

__all__ = ["Received", "SinkError", "mail_dir", "messages", "running", "start"]

SUFFIX = ".eml"


class SinkError(ValueError):
    """The sink cannot start as asked (an address that is not loopback)."""


@dataclass(frozen=True)
class Received:
    """One message the sink kept."""

    name: str  # the file's name under the mail folder
    subject: str
    sender: str
    to: str
    date: datetime | None
    language: str
    text: str  # the plain-text body ("" when the message has none)
    html: str  # the HTML body ("" when the message has none)
    message: EmailMessage


def mail_dir(home: Path | None = None) -> Path:
    """``DADKHAH_HOME/mail`` (of the running site when ``home`` is not given)."""
    if home is None:
        from django.conf import settings

        home = settings.CONFIG.home
    return home / "mail"


class _Keeper:
    """aiosmtpd handler: each message becomes one file, written atomically."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        recipients = ", ".join(envelope.rcpt_tos)
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8")
        data = f"X-Sink-Rcpt-To: {recipients}\r\n".encode() + content
        name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:12]}{SUFFIX}"
        tmp = self.directory / f".{name}.tmp"
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.directory / name)
        return "250 Message accepted for delivery"


def _loopback(host: str) -> str:
    if host == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise SinkError(f"mail sink address {host!r}: expected a loopback address") from None
    if not address.is_loopback:
        raise SinkError(
            f"mail sink address {host!r} is not loopback: the sink only listens on this "
            "machine (127.0.0.1 or ::1)"
        )
    return host


def start(directory: Path, port: int, host: str = "127.0.0.1") -> Controller:
    """Start the sink in a background thread; ``controller.stop()`` stops it."""
    # aiosmtpd gives its thread 5 s to answer; a loaded machine can take longer to start it
    controller = Controller(
        _Keeper(directory), hostname=_loopback(host), port=port, ready_timeout=60
    )
    controller.start()
    return controller


@contextmanager
def running(directory: Path, port: int, host: str = "127.0.0.1") -> Iterator[Controller]:
    controller = start(directory, port, host)
    try:
        yield controller
    finally:
        controller.stop()


def messages(limit: int = 50, directory: Path | None = None) -> list[Received]:
    """The newest ``limit`` messages the sink kept, newest first."""
    folder = directory if directory is not None else mail_dir()
    if not folder.is_dir():
        return []
    names = sorted(
        (p.name for p in folder.iterdir() if p.suffix == SUFFIX and not p.name.startswith(".")),
        reverse=True,
    )
    return [_read(folder / name) for name in names[: max(limit, 0)]]


def _read(path: Path) -> Received:
    with open(path, "rb") as handle:
        message = BytesParser(policy=policy.default).parse(handle)
    assert isinstance(message, EmailMessage)
    date: datetime | None
    try:
        date = parsedate_to_datetime(str(message["Date"])) if message["Date"] else None
    except (TypeError, ValueError):
        date = None
    return Received(
        name=path.name,
        subject=str(message["Subject"] or "").strip(),
        sender=str(message["From"] or ""),
        to=str(message["To"] or message["X-Sink-Rcpt-To"] or ""),
        date=date,
        language=str(message["Content-Language"] or ""),
        text=_body(message, "plain"),
        html=_body(message, "html"),
        message=message,
    )


def _body(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    if part is None or part.get_content_subtype() != subtype:
        return ""
    content = part.get_content()
    return content if isinstance(content, str) else ""
