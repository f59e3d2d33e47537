"""Extraction as a background task: ingest queues it, huey (immediate mode here) runs it,
the item moves pending → running → done or failed, pages and derivatives are stored, and
each derivative is a ``derive`` entry in the custody ledger."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dadkhah.vault import ledger, services, tasks
from dadkhah.vault.models import Item, LedgerEntry, Page
from tests.conftest import require_tool
from tests.ports import free_port
from tests.vault import documents
from tests.vault.documents import normalise

pytestmark = pytest.mark.django_db


def ingest(tmp_path: Path, name: str, data: bytes, **kwargs: Any) -> Item:
    path = tmp_path / name
    path.write_bytes(data)
    (item,) = services.ingest_path(path, collector="test-investigator", **kwargs)
    return item


def test_ingest_queues_extraction_and_the_task_stores_pages_and_derivatives(
    vault_home, tmp_path, huey_immediate, django_capture_on_commit_callbacks
):
    require_tool("tesseract")
    with django_capture_on_commit_callbacks(execute=True):
        item = ingest(tmp_path, "testimony.pdf", documents.mixed_pdf())
    item.refresh_from_db()
    assert (item.extraction_status, item.extraction_progress, item.extraction_error) == (
        "done",
        100,
        "",
    )
    assert item.language == "en"  # two English pages of three, by length
    pages = list(Page.objects.filter(item=item).order_by("number"))
    assert [(p.number, p.method, p.language) for p in pages] == [
        (1, "text-layer", "en"),
        (2, "ocr", "fa"),
        (3, "ocr", "en"),
    ]
    assert "زندان" in normalise(pages[1].text)

    derivatives = {d.derivation: d for d in item.derivatives.all()}
    assert set(derivatives) == {"text", "ocr", "thumbnail", "metadata"}
    for derivative in derivatives.values():
        assert derivative.is_derivative and derivative.parent_id == item.pk
        assert derivative.extraction_status == "skipped"
        assert derivative.confidentiality == item.confidentiality
        entry = LedgerEntry.objects.get(item_sha256=derivative.sha256, event="derive")
        assert entry.actor == tasks.EXTRACTION_ACTOR
        body = json.loads(entry.body)
        assert body["details"]["record"]["parent"] == item.sha256
        assert ledger.proof(entry.seq).verify()
    assert derivatives["thumbnail"].mime == "image/png"
    with services.open_item(derivatives["ocr"]) as stream:
        assert "Witness statement" in stream.read().decode("utf-8")
    with services.open_item(derivatives["metadata"]) as stream:
        assert json.loads(stream.read())["pages"] == 3


def test_a_corrupt_pdf_fails_with_its_reason(vault_home, tmp_path, huey_immediate):
    item = ingest(tmp_path, "broken.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R")
    assert item.mime == "application/pdf"
    assert tasks.run_extraction(item.pk) == "failed"
    item.refresh_from_db()
    assert item.extraction_status == "failed"
    assert item.extraction_error.startswith("corrupt PDF")
    assert not Page.objects.filter(item=item).exists()
    assert not item.derivatives.exists()


def test_progress_is_written_as_pages_are_read(vault_home, tmp_path, huey_immediate):
    pages = [[f"Page {n} of a synthetic register"] for n in range(1, 5)]
    item = ingest(tmp_path, "register.pdf", documents.text_pdf(pages), extract=False)
    with CaptureQueriesContext(connection) as queries:
        assert tasks.run_extraction(item.pk) == "done"
    mine = re.compile(rf'WHERE "vault_item"\."id" = {item.pk}$')
    status_and_percent = re.compile(
        r"""(?:"extraction_status" = '(\w+)'.*?)?"extraction_progress" = (\d+)"""
    )
    written = []
    for query in queries.captured_queries:
        sql = query["sql"]
        if sql.startswith("UPDATE") and mine.search(sql):
            found = status_and_percent.search(sql)
            if found:
                written.append((found.group(1), int(found.group(2))))
    percents = [p for _status, p in written]
    assert written[0] == ("running", 0)
    assert percents[1:5] == [22, 45, 67, 90]  # four pages read: 90 % of the bar
    assert percents == sorted(percents) and percents[-1] == 100
    assert written[-1] == ("done", 100)


def test_plain_text_and_unsupported_types(vault_home, tmp_path, huey_immediate):
    text = ingest(tmp_path, "note.txt", "نامه از زندان اوین".encode("utf-16"), extract=False)
    assert tasks.run_extraction(text.pk) == "done"
    (page,) = Page.objects.filter(item=text)
    assert (page.text, page.method, page.language) == ("نامه از زندان اوین", "plain", "fa")

    binary = ingest(tmp_path, "blob.bin", bytes(range(256)) * 8, extract=False)
    assert tasks.run_extraction(binary.pk) == "skipped"
    binary.refresh_from_db()
    assert binary.extraction_status == "skipped"
    assert "no text to extract" in binary.extraction_error


def test_restricted_text_stays_encrypted_at_rest(vault_home, tmp_path, huey_immediate):
    item = ingest(
        tmp_path, "secret.txt", b"The name of a protected witness", restricted=True, extract=False
    )
    assert item.encrypted
    assert tasks.run_extraction(item.pk) == "done"
    (page,) = Page.objects.filter(item=item)
    assert page.text == "" and page.method == "plain" and page.language == "en"
    text = item.derivatives.get(derivation="text")
    assert text.encrypted
    blob = (vault_home / "blobs").rglob(text.hex)
    assert b"protected witness" not in next(blob).read_bytes()
    with services.open_item(text) as stream:
        assert b"The name of a protected witness" in stream.read()


def test_the_task_runs_through_huey_and_again_without_duplicates(
    vault_home, tmp_path, huey_immediate
):
    item = ingest(tmp_path, "letter.docx", documents.docx_bytes(), extract=False)
    assert item.extraction_status == "pending"
    tasks.extract_item(item.pk)  # immediate mode: runs now
    item.refresh_from_db()
    assert item.extraction_status == "done"
    derive_entries = LedgerEntry.objects.filter(event="derive").count()
    tasks.extract_item(item.pk)  # extracting again gives the same bytes: nothing new
    assert Page.objects.filter(item=item).count() == 1
    assert LedgerEntry.objects.filter(event="derive").count() == derive_entries


def test_interrupted_extractions_are_queued_again(vault_home, tmp_path, huey_immediate):
    item = ingest(tmp_path, "a.txt", b"An interrupted extraction", extract=False)
    Item.objects.filter(pk=item.pk).update(extraction_status="running", extraction_progress=40)
    assert tasks.requeue_interrupted() == [item.pk]
    item.refresh_from_db()
    assert (item.extraction_status, item.extraction_progress) == ("done", 100)


def test_enqueue_waits_for_the_commit(
    vault_home, tmp_path, huey_immediate, django_capture_on_commit_callbacks
):
    item = ingest(tmp_path, "b.txt", b"Queued after the commit", extract=False)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        tasks.enqueue_extraction(item)
    item.refresh_from_db()
    assert item.extraction_status == "pending"  # nothing ran inside the transaction
    assert len(callbacks) == 1
    callbacks[0]()
    item.refresh_from_db()
    assert item.extraction_status == "done"


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@pytest.mark.slow
def test_serve_runs_the_consumer_beside_gunicorn_and_stops_both(tmp_path):
    """`dadkhah serve` starts gunicorn and the huey consumer; a file ingested from the
    command line is extracted by that consumer; SIGTERM stops both."""
    import os
    import signal
    import socket
    import sqlite3
    import subprocess
    import sys
    import time

    home = tmp_path / "serve-home"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DADKHAH_BLOBS")}
    env["DADKHAH_HOME"] = str(home)
    port = free_port()
    env["DADKHAH_MAILSINK_PORT"] = str(free_port())  # not the default 8025 another run may hold
    cli = [sys.executable, "-c", "from dadkhah.cli import main; main()"]
    serve = subprocess.Popen(
        [*cli, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 240  # about 15 s on an idle machine with 2 cores
        while True:
            assert serve.poll() is None, "serve ended early"
            assert time.monotonic() < deadline, "serve did not start"
            commands = [_cmdline(pid) for pid in _children(serve.pid)]
            up = any("run_huey" in c for c in commands) and any("gunicorn" in c for c in commands)
            if up:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    pass
            time.sleep(0.2)
        children = _children(serve.pid)
        note = tmp_path / "note.txt"
        note.write_text("A note handed over by a synthetic witness")
        subprocess.run(
            [*cli, "ingest", str(note), "--collector", "test-investigator"],
            env=env,
            check=True,
            capture_output=True,
            timeout=60,
        )
        status = ""
        while time.monotonic() < deadline and status != "done":
            time.sleep(0.2)
            with sqlite3.connect(home / "dadkhah.sqlite3") as db:
                row = db.execute(
                    "SELECT extraction_status FROM vault_item WHERE name = 'note.txt'"
                ).fetchone()
            status = row[0] if row else ""
        assert status == "done"
    finally:
        serve.send_signal(signal.SIGTERM)
        code = serve.wait(timeout=60)
    assert code == 0
    assert [pid for pid in children if Path(f"/proc/{pid}").exists()] == []
