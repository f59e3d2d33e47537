"""The local SMTP sink (aiosmtpd on loopback), its reader, its command, and the demo's mailbox."""

from __future__ import annotations

import os
import signal
import smtplib
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dadkhah.campaign import mailsink
from tests.ports import free_port


def _message(subject: str, to: str, body: str, language: str = "en") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Dadkhah <no-reply@localhost>"
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = "Mon, 08 Sep 2025 10:00:00 +0000"
    message.set_content(body)
    message.add_alternative(f"<p>{body}</p>", subtype="html")
    message["Content-Language"] = language  # after the parts: it would move into the first
    return message


def _send(port: int, message: EmailMessage) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.send_message(message)


def test_every_message_becomes_one_eml_file_read_back_newest_first(tmp_path: Path) -> None:
    folder = tmp_path / "mail"
    port = free_port()
    with mailsink.running(folder, port):
        _send(port, _message("First", "one@example.org", "Hello one"))
        _send(port, _message("دوم", "two@example.org", "سلام https://example.org/x/", "fa"))
        _send(port, _message("Third", "three@example.org", "Hello three"))
    files = sorted(folder.iterdir())
    assert [p.suffix for p in files] == [".eml"] * 3  # no temporary file left behind
    got = mailsink.messages(10, folder)
    assert [m.subject for m in got] == ["Third", "دوم", "First"]
    second = got[1]
    assert second.to == "two@example.org"
    assert second.language == "fa"
    assert second.text.strip() == "سلام https://example.org/x/"
    assert second.html.strip() == "<p>سلام https://example.org/x/</p>"
    assert second.date is not None and second.date.year == 2025
    assert second.message["X-Sink-Rcpt-To"] == "two@example.org"
    assert [m.subject for m in mailsink.messages(2, folder)] == ["Third", "دوم"]
    assert mailsink.messages(0, folder) == []


def test_reader_of_a_missing_folder_finds_nothing(tmp_path: Path) -> None:
    assert mailsink.messages(5, tmp_path / "never-created") == []


def test_temporary_files_are_not_messages(tmp_path: Path) -> None:
    """A message being written (a dot-file ending in .tmp) is never read half-way."""
    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / ".00000000000000000001-abc.eml.tmp").write_bytes(b"Subject: half")
    (folder / "00000000000000000002-abc.eml").write_bytes(b"Subject: whole\r\n\r\nbody\r\n")
    assert [m.subject for m in mailsink.messages(5, folder)] == ["whole"]


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "::", "mail.example.org"])
def test_it_refuses_to_listen_beyond_loopback(tmp_path: Path, host: str) -> None:
    with pytest.raises(mailsink.SinkError, match="loopback"):
        mailsink.start(tmp_path, free_port(), host)


def test_the_command_refuses_a_public_address(tmp_path: Path) -> None:
    from dadkhah.cli import main

    result = CliRunner().invoke(
        main,
        ["campaign", "mailsink", "--host", "0.0.0.0", "--port", str(free_port())],
        env={"DADKHAH_HOME": str(tmp_path)},
    )
    assert result.exit_code == 2
    assert "not loopback" in result.output


def test_the_command_keeps_messages_under_dadkhah_home(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "DADKHAH_HOME": str(tmp_path), "DADKHAH_MAILSINK_PORT": str(port)}
    process = subprocess.Popen(
        [sys.executable, "-c", "from dadkhah.cli import main; main()", "campaign", "mailsink"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                _send(port, _message("Via the command", "cmd@example.org", "kept"))
                break
            except OSError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline, "the sink did not start in 30 s"
                time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert f"smtp://127.0.0.1:{port}/" in err
    assert [m.subject for m in mailsink.messages(5, tmp_path / "mail")] == ["Via the command"]


# --- the demo's mailbox page ------------------------------------------------------------


@pytest.fixture
def local_mail(settings: Any, home: Path) -> Path:
    import dataclasses

    settings.CONFIG = dataclasses.replace(settings.CONFIG, smtp_url="")
    return mailsink.mail_dir(home)


def test_mailbox_lists_the_sinks_messages_with_clickable_links(
    client: Any, db: Any, local_mail: Path
) -> None:
    port = free_port()
    with mailsink.running(local_mail, port):
        _send(port, _message("Older <b>", "old@example.org", "Old one"))
        _send(port, _message("Newer", "new@example.org", "Open http://127.0.0.1:8000/en/x/ now"))
        _send(port, _message("به فارسی", "fa@example.org", "سلام", "fa"))
    response = client.get("/campaigns/mailbox/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Local development mailbox: these messages never left this machine" in html
    assert '<a href="http://127.0.0.1:8000/en/x/"' in html  # the link is clickable
    assert "Older &lt;b&gt;" in html and "Older <b>" not in html  # escaped
    assert html.index("به فارسی") < html.index("Newer") < html.index("Older")  # newest first
    assert 'lang="fa" dir="rtl"' in html
    assert "new@example.org" in html
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    assert "<script>" not in html and " onclick=" not in html


def test_mailbox_says_when_it_is_empty(client: Any, db: Any, local_mail: Path) -> None:
    response = client.get("/campaigns/mailbox/")
    assert response.status_code == 200
    assert "No message yet" in response.content.decode()


def test_no_mailbox_when_mail_really_goes_out(client: Any, db: Any, settings: Any) -> None:
    import dataclasses

    settings.CONFIG = dataclasses.replace(
        settings.CONFIG, smtp_url="smtp+starttls://user:pw@mail.example.org:587"
    )
    # (the locale middleware first tries /en/campaigns/mailbox/, a campaign that isn't there)
    assert client.get("/campaigns/mailbox/", follow=True).status_code == 404


def test_mailbox_accepts_only_reading(client: Any, db: Any, local_mail: Path) -> None:
    assert client.post("/campaigns/mailbox/").status_code == 405
