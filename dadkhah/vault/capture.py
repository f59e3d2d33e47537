"""Capture of a web page as evidence: a WARC file, the page itself, and a screenshot.
Pure: no Django import; ``services.Ingest.url`` stores what this produces.

What a capture holds (the Berkeley Protocol's minimum is the URL, the source and a
screenshot with its date):

- a WARC file (ISO 28500, written with warcio): a ``warcinfo`` record naming the tool, then
  a ``request`` and a ``response`` record for every HTTP exchange, redirects included;
- the body of the final response (the HTML, or whatever the URL served), as received;
- a screenshot, 1280 pixels wide, taken by headless chromium when it is installed, with
  the time it was taken.

Fetching uses ``urllib`` with a timeout on every network wait, and a deadline for the
whole transfer: a server that never answers gives a ``CaptureError`` after the timeout,
and nothing is stored. HTTP error statuses (404, 500…) are captured like any response: the
state of a page is evidence too.
"""

from __future__ import annotations

import gzip
import io
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

__all__ = ["CHROMIUM", "Capture", "CaptureError", "Exchange", "capture", "chromium_version"]

CHROMIUM = "/usr/bin/chromium"
MAX_REDIRECTS = 10
READ = 1 << 20


class CaptureError(Exception):
    """The URL could not be captured; nothing was stored."""


@dataclass
class Exchange:
    url: str
    status: int
    reason: str
    at: datetime
    headers: list[tuple[str, str]]


@dataclass
class Capture:
    url: str
    final_url: str
    status: int
    started_at: datetime
    finished_at: datetime
    warc: Path
    body: Path
    content_type: str  # as the server declared it (the stored MIME type is detected)
    exchanges: list[Exchange] = field(default_factory=list)
    screenshot: Path | None = None
    screenshot_at: datetime | None = None
    screenshot_note: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def is_html(self) -> bool:
        return self.content_type.split(";")[0].strip().lower() in (
            "text/html",
            "application/xhtml+xml",
        )

    def details(self) -> dict[str, Any]:
        """What the preservation records of a capture say about how it was made."""
        return {
            "url": self.url,
            "final_url": self.final_url,
            "status": self.status,
            "started_at": _iso(self.started_at),
            "finished_at": _iso(self.finished_at),
            "content_type": self.content_type,
            "exchanges": [
                {"url": e.url, "status": e.status, "reason": e.reason, "at": _iso(e.at)}
                for e in self.exchanges
            ],
            "screenshot_at": _iso(self.screenshot_at) if self.screenshot_at else None,
            "screenshot_note": self.screenshot_note,
        }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Every hop is recorded in the WARC, so redirects are followed here, not by urllib."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(_NoRedirect())


def _fetch(
    url: str, headers: dict[str, str], timeout: float, deadline: float, max_bytes: int, out: Path
) -> tuple[int, str, str, list[tuple[str, str]]]:
    """One HTTP exchange; the body goes to ``out`` as it came (after dechunking)."""
    request = urllib.request.Request(url, headers=headers, method="GET")
    try:
        response: Any = _opener().open(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        response = exc  # an HTTP error status is a response like any other
    except TimeoutError:
        raise CaptureError(f"{url}: no answer within {timeout:g} s; nothing stored") from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            raise CaptureError(f"{url}: no answer within {timeout:g} s; nothing stored") from None
        raise CaptureError(f"{url}: cannot connect ({reason}); nothing stored") from None
    except (OSError, ValueError) as exc:
        raise CaptureError(f"{url}: {exc}; nothing stored") from None
    try:
        status = int(getattr(response, "status", None) or response.code)
        reason = str(getattr(response, "reason", "") or "")
        version = getattr(getattr(response, "fp", None), "version", None) or getattr(
            response, "version", 11
        )
        protocol = "HTTP/1.0" if version == 10 else "HTTP/1.1"
        header_list = list(response.headers.items())
        size = 0
        with out.open("wb") as sink:
            while True:
                if time.monotonic() > deadline:
                    raise CaptureError(f"{url}: the transfer took too long; nothing stored")
                try:
                    chunk = response.read(READ)
                except TimeoutError:
                    raise CaptureError(
                        f"{url}: the answer stalled for {timeout:g} s; nothing stored"
                    ) from None
                except OSError as exc:
                    raise CaptureError(
                        f"{url}: the transfer broke ({exc}); nothing stored"
                    ) from None
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise CaptureError(f"{url}: more than {max_bytes:,} bytes; nothing stored")
                sink.write(chunk)
    finally:
        response.close()
    return status, reason, protocol, header_list


def _write_warc(
    warc: Path, exchanges: list[tuple[Exchange, dict[str, str], Path, str]], version: str
) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with warc.open("wb") as out:
        writer = WARCWriter(out, gzip=False)
        info = writer.create_warcinfo_record(
            warc.name,
            {
                "software": f"dadkhah/{version} (warcio, urllib)",
                "format": "WARC File Format 1.0",
                "description": "Captured as evidence by Dadkhah's evidence vault",
            },
        )
        writer.write_record(info)
        for exchange, sent, body, protocol in exchanges:
            parts = urlsplit(exchange.url)
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            when = exchange.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            request = writer.create_warc_record(
                exchange.url,
                "request",
                payload=io.BytesIO(b""),
                http_headers=StatusAndHeaders(
                    f"GET {target} HTTP/1.1", list(sent.items()), is_http_request=True
                ),
                warc_headers_dict={"WARC-Date": when},
            )
            headers = list(exchange.headers)
            chunked = any(
                k.lower() == "transfer-encoding" and "chunked" in v.lower() for k, v in headers
            )
            payload_file = body.open("rb")
            if chunked:
                # urllib has removed the wire's chunking; write the body back as one chunk,
                # so the record is a valid HTTP message for the headers it carries.
                data = payload_file.read()
                payload_file.close()
                framed = (b"%x\r\n" % len(data) + data + b"\r\n" if data else b"") + b"0\r\n\r\n"
                payload: Any = io.BytesIO(framed)
            else:
                payload = payload_file
            try:
                response = writer.create_warc_record(
                    exchange.url,
                    "response",
                    payload=payload,
                    http_headers=StatusAndHeaders(
                        f"{exchange.status} {exchange.reason}".strip(), headers, protocol=protocol
                    ),
                    warc_headers_dict={"WARC-Date": when},
                )
                writer.write_request_response_pair(request, response)
            finally:
                payload.close()
        out.flush()


def _decoded_body(raw: Path, headers: list[tuple[str, str]], out: Path) -> Path:
    """The body as a browser reads it: a gzip or deflate content encoding undone."""
    encoding = next((v.lower().strip() for k, v in headers if k.lower() == "content-encoding"), "")
    if encoding not in ("gzip", "x-gzip", "deflate"):
        return raw
    try:
        if encoding == "deflate":
            data = raw.read_bytes()
            try:
                plain = zlib.decompress(data)
            except zlib.error:
                plain = zlib.decompress(data, -zlib.MAX_WBITS)
            out.write_bytes(plain)
        else:
            with gzip.open(raw, "rb") as src, out.open("wb") as dst:
                shutil.copyfileobj(src, dst, READ)
    except (OSError, zlib.error, EOFError):
        return raw
    return out


def chromium_version(chromium: str = CHROMIUM) -> str:
    try:
        done = subprocess.run(
            [chromium, "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip()


def _screenshot(url: str, work: Path, chromium: str, timeout: float) -> tuple[Path | None, str]:
    shot = work / "screenshot.png"
    profile = work / "chromium-profile"
    profile.mkdir()
    command = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        f"--screenshot={shot}",
        "--window-size=1280,2000",
        "--hide-scrollbars",
        url,
    ]
    try:
        subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None, f"chromium took more than {timeout:g} s; no screenshot"
    except OSError as exc:
        return None, f"chromium could not run ({exc}); no screenshot"
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    if not shot.exists() or shot.stat().st_size == 0:
        return None, "chromium made no screenshot"
    return shot, ""


def capture(
    url: str,
    work: Path,
    *,
    version: str = "",
    timeout: float = 30.0,
    total_timeout: float = 600.0,
    max_bytes: int = 2 << 30,
    chromium: str | None = CHROMIUM,
    screenshot_timeout: float = 90.0,
) -> Capture:
    """Capture ``url`` into files under the directory ``work`` (which must exist)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise CaptureError(f"{url}: only http:// and https:// URLs can be captured")
    started = datetime.now(UTC)
    deadline = time.monotonic() + total_timeout
    sent = {
        "User-Agent": f"dadkhah/{version or '0'} (evidence capture)",
        "Accept": "*/*",
        "Accept-Encoding": "identity",
        "Connection": "close",
    }
    hops: list[tuple[Exchange, dict[str, str], Path, str]] = []
    current = url
    for hop in range(MAX_REDIRECTS + 1):
        body = work / f"body-{hop}.bin"
        at = datetime.now(UTC)
        status, reason, protocol, headers = _fetch(
            current, {**sent, "Host": urlsplit(current).netloc}, timeout, deadline, max_bytes, body
        )
        exchange = Exchange(current, status, reason, at, headers)
        hops.append((exchange, {**sent, "Host": urlsplit(current).netloc}, body, protocol))
        location = next((v for k, v in headers if k.lower() == "location"), "")
        if status in (301, 302, 303, 307, 308) and location:
            nxt = urljoin(current, location)
            if urlsplit(nxt).scheme not in ("http", "https"):
                break
            current = nxt
            continue
        break
    else:
        raise CaptureError(f"{url}: more than {MAX_REDIRECTS} redirects; nothing stored")
    final, _sent, raw_body, _protocol = hops[-1]
    warc = work / "capture.warc"
    _write_warc(warc, hops, version or "0")
    content_type = next((v for k, v in final.headers if k.lower() == "content-type"), "")
    result = Capture(
        url=url,
        final_url=final.url,
        status=final.status,
        started_at=started,
        finished_at=datetime.now(UTC),
        warc=warc,
        body=_decoded_body(raw_body, final.headers, work / "body-decoded.bin"),
        content_type=content_type,
        exchanges=[h[0] for h in hops],
    )
    if not 200 <= final.status < 300:
        result.warnings.append(f"{url}: the server answered {final.status} {final.reason}")
    if chromium and result.is_html:
        if os.path.exists(chromium):
            result.screenshot_at = datetime.now(UTC)
            result.screenshot, result.screenshot_note = _screenshot(
                final.url, work, chromium, screenshot_timeout
            )
            if result.screenshot is None:
                result.screenshot_at = None
                result.warnings.append(f"{url}: {result.screenshot_note}")
        else:
            result.screenshot_note = f"{chromium} is not installed; no screenshot"
            result.warnings.append(f"{url}: {result.screenshot_note}")
    return result
