"""Web capture from local HTTP servers on 127.0.0.1: WARC records, the page, redirects,
chunked and gzip answers, error statuses, a server that never answers, and a screenshot."""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from dadkhah.vault import capture, services
from dadkhah.vault.ingest import Ingest
from dadkhah.vault.models import Item, LedgerEntry, Receipt
from tests.conftest import require_tool
from tests.vault.conftest import stored_blobs

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Statement</title></head>
<body><h1>بیانیه دربارهٔ اعدام‌های ۱۳۶۷</h1><p>A statement about the 1988 executions.</p>
</body></html>""".encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        html = {"Content-Type": "text/html; charset=utf-8"}
        if self.path == "/page":
            self.send(200, PAGE, html)
        elif self.path == "/moved":
            self.send(302, b"", {"Location": "/page"})
        elif self.path == "/gone":
            self.send(404, b"<html><body>removed by the publisher</body></html>", html)
        elif self.path == "/gzip":
            self.send(200, gzip.compress(PAGE), {**html, "Content-Encoding": "gzip"})
        elif self.path == "/chunked":
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Connection", "close")
            self.end_headers()
            for start in range(0, len(PAGE), 100):
                piece = PAGE[start : start + 100]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send(404, b"no such page", {"Content-Type": "text/plain"})


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def silent() -> Iterator[str]:
    """A server that accepts connections and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    held: list[socket.socket] = []
    stop = threading.Event()

    def hold() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/never"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    listener.close()


def warc_records(path: Path) -> list[tuple[str, str, int | None, bytes]]:
    out = []
    with path.open("rb") as stream:
        for record in ArchiveIterator(stream):
            status = record.http_headers.get_statuscode() if record.http_headers else None
            out.append(
                (
                    record.rec_type,
                    record.rec_headers.get_header("WARC-Target-URI") or "",
                    int(status) if status and record.rec_type == "response" else None,
                    record.content_stream().read(),
                )
            )
    return out


def test_a_redirect_is_followed_and_every_exchange_is_in_the_warc(site, tmp_path):
    got = capture.capture(f"{site}/moved", tmp_path, version="9.9", chromium=None)
    assert (got.url, got.final_url, got.status) == (f"{site}/moved", f"{site}/page", 200)
    assert [e.status for e in got.exchanges] == [302, 200]
    assert got.is_html and got.body.read_bytes() == PAGE
    records = warc_records(got.warc)
    assert [(kind, uri, status) for kind, uri, status, _body in records] == [
        ("warcinfo", "", None),
        ("response", f"{site}/moved", 302),  # warcio writes each response before its request
        ("request", f"{site}/moved", None),
        ("response", f"{site}/page", 200),
        ("request", f"{site}/page", None),
    ]
    assert records[3][3] == PAGE
    assert b"dadkhah/9.9" in records[0][3]
    assert got.screenshot is None


def response_body(warc: Path) -> bytes:
    (body,) = [body for kind, _uri, _status, body in warc_records(warc) if kind == "response"]
    return body


def test_chunked_and_gzip_answers(site, tmp_path):
    (tmp_path / "a").mkdir()
    chunked = capture.capture(f"{site}/chunked", tmp_path / "a", chromium=None)
    assert chunked.body.read_bytes() == PAGE
    assert b"Transfer-Encoding: chunked" in chunked.warc.read_bytes()
    assert response_body(chunked.warc) == PAGE  # a WARC reader de-chunks it again
    (tmp_path / "b").mkdir()
    zipped = capture.capture(f"{site}/gzip", tmp_path / "b", chromium=None)
    assert zipped.body.read_bytes() == PAGE  # the page as a browser reads it
    assert gzip.compress(PAGE)[10:] in zipped.warc.read_bytes()  # the WARC keeps the wire's bytes
    assert response_body(zipped.warc) == PAGE  # and warcio decodes them


def test_an_error_status_is_captured_with_a_warning(site, tmp_path):
    got = capture.capture(f"{site}/gone", tmp_path, chromium=None)
    assert got.status == 404 and b"removed by the publisher" in got.body.read_bytes()
    assert got.warnings == [f"{site}/gone: the server answered 404 Not Found"]


def test_only_web_urls(tmp_path):
    with pytest.raises(capture.CaptureError, match="only http"):
        capture.capture("file:///etc/passwd", tmp_path)


@pytest.mark.django_db
def test_a_url_that_never_answers_fails_after_the_timeout_and_stores_nothing(vault_home, silent):
    started = time.monotonic()
    with Ingest("investigator-1", extract=False, capture_timeout=0.5) as run:
        run.add(silent)
    assert time.monotonic() - started < 25  # the 0.5 s timeout, not the 30 s default
    assert run.problems == [f"{silent}: no answer within 0.5 s; nothing stored"]
    assert run.items == []
    assert not Item.objects.exists() and not LedgerEntry.objects.exists()
    assert stored_blobs(vault_home / "blobs") == []
    with pytest.raises(services.IngestError, match="no answer within"):
        services.ingest_url(silent, "investigator-1", capture_timeout=0.5, extract=False)


@pytest.mark.django_db
def test_ingest_of_a_url_keeps_the_warc_as_original_and_the_page_as_derivative(vault_home, site):
    url = f"{site}/moved"
    with Ingest("investigator-1", extract=False, chromium=None) as run:
        run.add(url)
    assert run.problems == []
    (warc, warc_name), (page, page_name) = run.items
    assert warc.mime == "application/warc" and not warc.is_derivative
    assert warc_name.startswith("127.0.0.1-") and warc_name.endswith(".warc")
    assert (page.mime, page.is_derivative, page.parent_id, page.derivation) == (
        "text/html",
        True,
        warc.pk,
        "html",
    )
    with services.open_item(page) as handle:
        assert handle.read() == PAGE
    record = json.loads(Receipt.objects.get(item=warc).record)
    assert (record["url"], record["source"], record["kind"]) == (url, url, "original")
    assert record["capture"]["final_url"] == f"{site}/page"
    assert [e["status"] for e in record["capture"]["exchanges"]] == [302, 200]
    assert json.loads(Receipt.objects.get(item=page).record)["parent"] == warc.sha256


@pytest.mark.django_db
def test_a_screenshot_with_its_date_when_chromium_is_there(vault_home, site):
    chromium = require_tool("chromium", capture.CHROMIUM)
    with Ingest("investigator-1", extract=False, chromium=chromium) as run:
        run.add(f"{site}/page")
    assert run.problems == [], run.problems
    names = [name for _item, name in run.items]
    assert len(names) == 3 and names[2].endswith(".png")
    shot = run.items[2][0]
    assert (shot.mime, shot.derivation, shot.parent_id) == (
        "image/png",
        "screenshot",
        run.items[0][0].pk,
    )
    record = json.loads(Receipt.objects.get(item=shot).record)
    assert record["screenshot"]["taken_at"].endswith("Z")
    assert record["screenshot"]["window"] == "1280x2000"
    assert record["url"] == f"{site}/page"
    with services.open_item(shot) as handle:
        from PIL import Image

        assert Image.open(handle).size == (1280, 2000)
