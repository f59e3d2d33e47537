"""Web hardening: the Content Security Policy, production (HTTPS) settings, upload limits,
the headers on served files, and CSRF on every form.

The production settings are checked in a fresh process with the environment set, the way
they are read at start-up: ``manage.py check --deploy`` must find nothing. The CSRF test
renders every page it can reach from the URL resolver (as anonymous and as administrator,
on the demo case) and checks that each ``<form method="post">`` carries the token.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import deque
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.urls.resolvers import LocalePrefixPattern

from dadkhah.core import security
from dadkhah.vault import services
from dadkhah.vault.models import Item

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "dadkhah"

HTML_WITH_SCRIPT = (
    b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
)
SVG_WITH_SCRIPT = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(document.domain)</script><rect width='10' height='10'/></svg>"
)
# The smallest valid PNG: one transparent pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


# ------------------------------------------------------------------ the policy


def test_site_policy_allows_the_site_itself_only() -> None:
    directives = security.site_policy("")["DIRECTIVES"]
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["img-src"] == ["'self'", "data:"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert directives["form-action"] == ["'self'"]
    flat = " ".join(" ".join(v) for v in directives.values())
    assert "unsafe" not in flat


@pytest.mark.parametrize(
    ("url", "source"),
    [
        ("https://tiles.example.org/{z}/{x}/{y}.png", "https://tiles.example.org"),
        ("https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://*.tile.example.org"),
        ("http://127.0.0.1:8080/tiles/{z}/{x}/{y}.png", "http://127.0.0.1:8080"),
        ("", None),
    ],
)
def test_the_tile_server_is_allowed_for_images_only(url: str, source: str | None) -> None:
    assert security.tile_source(url) == source
    directives = security.site_policy(url)["DIRECTIVES"]
    if source is not None:
        assert source in directives["img-src"]
        others = [v for k, v in directives.items() if k != "img-src"]
        assert all(source not in v for v in others)


@pytest.mark.parametrize("url", ["tiles.example.org/{z}/{x}/{y}.png", "https://a.{s}.org/{z}.png"])
def test_a_bad_tile_url_is_refused_by_name(url: str) -> None:
    with pytest.raises(ValueError, match="DADKHAH_TILE_URL"):
        security.tile_source(url)


@pytest.mark.django_db
def test_pages_carry_the_policy_header(client: Client, settings: Any) -> None:
    header = client.get("/en/about/")["Content-Security-Policy"]
    parts = dict(p.strip().split(" ", 1) for p in header.split(";"))
    assert parts["script-src"] == "'self'"
    assert parts["style-src"] == "'self'"
    assert parts["frame-ancestors"] == "'none'"
    settings.CONTENT_SECURITY_POLICY = security.site_policy(
        "https://{s}.tile.example.org/{z}/{x}/{y}.png"
    )
    header = client.get("/en/about/")["Content-Security-Policy"]
    assert "img-src 'self' data: https://*.tile.example.org" in header


# Inline script, event-handler attributes, javascript: URLs, inline styles.
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I | re.S)
JS_URL = re.compile(r"javascript:", re.I)
STYLE_ATTR = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I | re.S)
STYLE_ELEMENT = re.compile(r"<style[\s>]", re.I)
# Standalone documents, never pages of the site: they keep their own inline stylesheet.
# Dossiers are served with security.DOCUMENT_POLICY (sandboxed, no script); emails are
# read in mail clients, which drop linked stylesheets.
OWN_STYLES = (
    "templates/dossiers/",
    "templates/campaign/email/",
    "templates/campaign/delivery/",  # the delivery package, a PDF / zip download
)


def _templates() -> list[Path]:
    found = sorted(PACKAGE.glob("templates/**/*.html")) + sorted(
        PACKAGE.glob("*/templates/**/*.html")
    )
    assert len(found) > 50
    return found


def test_no_template_has_inline_script_handlers_or_inline_styles() -> None:
    problems: list[str] = []
    for path in _templates():
        text = path.read_text(encoding="utf-8")
        name = str(path.relative_to(PACKAGE))
        checks = [(INLINE_SCRIPT, "inline <script>"), (HANDLER, "on…= handler")]
        checks.append((JS_URL, "javascript: URL"))
        if not any(part in name.replace(os.sep, "/") for part in OWN_STYLES):
            checks += [(STYLE_ATTR, "style attribute"), (STYLE_ELEMENT, "<style> element")]
        for pattern, what in checks:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                problems.append(f"{name}:{line}: {what}: {match.group(0)[:60]!r}")
    assert problems == [], "\n".join(problems)


def test_the_scan_finds_what_it_looks_for() -> None:
    page = '<p style="x">a</p><button onclick="go()">b</button><script>x()</script><a href="javascript:x">'
    assert STYLE_ATTR.search(page) and HANDLER.search(page) and INLINE_SCRIPT.search(page)
    assert JS_URL.search(page)
    assert not INLINE_SCRIPT.search('<script src="/static/a.js" defer></script>')
    assert not HANDLER.search('<a href="/x" data-one="1">one</a>')


# ------------------------------------------------------------------ production settings


def _django(env: dict[str, str], *args: str, home: Path) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("DADKHAH_", "DJANGO_"))} | {
        "DADKHAH_HOME": str(home),
        "DJANGO_SETTINGS_MODULE": "dadkhah.settings",
        **env,
    }
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=full, cwd=ROOT, timeout=300
    )


PRODUCTION = {
    "DADKHAH_DEBUG": "0",
    "DADKHAH_HTTPS": "1",
    "DADKHAH_SITE_URL": "https://dadkhah.example.org",
    "DADKHAH_ALLOWED_HOSTS": "dadkhah.example.org",
}


def test_deploy_checks_are_all_green_in_production_settings(tmp_path: Path) -> None:
    done = _django(
        PRODUCTION, "-m", "django", "check", "--deploy", "--fail-level", "WARNING", home=tmp_path
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_deploy_checks_fail_without_https(tmp_path: Path) -> None:
    """The check above can fail: plain HTTP (the local default) is not a production setup."""
    env = {**PRODUCTION, "DADKHAH_HTTPS": "0"}
    done = _django(
        env, "-m", "django", "check", "--deploy", "--fail-level", "WARNING", home=tmp_path
    )
    assert done.returncode != 0
    for code in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert code in done.stderr, done.stderr
    site = {**PRODUCTION, "DADKHAH_SITE_URL": "http://dadkhah.example.org"}
    done = _django(
        site, "-m", "django", "check", "--deploy", "--fail-level", "WARNING", home=tmp_path
    )
    assert done.returncode != 0 and "dadkhah.W001" in done.stderr, done.stderr


PROBE = """
import django, json
django.setup()
from django.conf import settings
from django.test import Client
c = Client(HTTP_HOST="dadkhah.example.org")
plain = c.get("/robots.txt")
secure = c.get("/robots.txt", HTTP_X_FORWARDED_PROTO="https")
login = c.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")
cookie = login.cookies.get("csrftoken")
print(json.dumps({
    "plain": [plain.status_code, plain.get("Location", "")],
    "secure": [secure.status_code, secure.get("Strict-Transport-Security", "")],
    "csrf_cookie_secure": bool(cookie and cookie["secure"]),
    "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
    "trusted": settings.CSRF_TRUSTED_ORIGINS,
    "proxy": list(settings.SECURE_PROXY_SSL_HEADER or ()),
    "coop": secure.get("Cross-Origin-Opener-Policy", ""),
    "referrer": secure.get("Referrer-Policy", ""),
}))
"""


def test_https_behind_a_proxy_redirects_and_sends_hsts(tmp_path: Path) -> None:
    import json

    done = _django(PRODUCTION, "-c", PROBE, home=tmp_path)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["plain"] == [301, "https://dadkhah.example.org/robots.txt"]
    assert seen["secure"] == [200, "max-age=31536000; includeSubDomains; preload"]
    assert seen["csrf_cookie_secure"] and seen["session_cookie_secure"]
    assert seen["trusted"] == ["https://dadkhah.example.org"]
    assert seen["proxy"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert (seen["coop"], seen["referrer"]) == ("same-origin", "same-origin")


def test_plain_http_is_the_local_default(tmp_path: Path) -> None:
    """`dadkhah demo` on loopback: no redirect, no HSTS, cookies over plain HTTP."""
    import json

    env = {"DADKHAH_DEBUG": "0"}
    done = _django(env, "-c", PROBE.replace("dadkhah.example.org", "127.0.0.1"), home=tmp_path)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["plain"] == [200, ""]
    assert seen["secure"] == [200, ""]
    assert not seen["csrf_cookie_secure"] and not seen["session_cookie_secure"]
    assert seen["proxy"] == []


def test_https_settings_are_parsed_and_bad_values_named() -> None:
    from dadkhah import config

    loaded = config.load({"DADKHAH_HOME": os.environ.get("DADKHAH_HOME", "./var")})
    assert (loaded.https, loaded.hsts_seconds, loaded.upload_max_mb) == (False, 31_536_000, 512)
    with pytest.raises(ValueError, match="DADKHAH_HTTPS='yes'"):
        config.load({"DADKHAH_HTTPS": "yes"})
    with pytest.raises(ValueError, match="DADKHAH_HSTS_SECONDS='-1'"):
        config.load({"DADKHAH_HSTS_SECONDS": "-1"})
    with pytest.raises(ValueError, match="DADKHAH_UPLOAD_MAX_MB='0'"):
        config.load({"DADKHAH_UPLOAD_MAX_MB": "0"})


# ------------------------------------------------------------------ files served


def _staff(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _ingest(tmp_path: Path, name: str, data: bytes, **kwargs: Any) -> Item:
    path = tmp_path / name
    path.write_bytes(data)
    (item,) = services.ingest_path(path, collector="test-investigator", extract=False, **kwargs)
    return item


def _assert_sandboxed_attachment(response: Any) -> None:
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "application/octet-stream"


@pytest.mark.django_db
def test_html_and_svg_evidence_are_never_served_inline(
    home: Path, tmp_path: Path, users: dict[str, Any]
) -> None:
    html = _ingest(tmp_path, "page.html", HTML_WITH_SCRIPT)
    svg = _ingest(tmp_path, "drawing.svg", SVG_WITH_SCRIPT)
    assert html.mime.startswith("text/html") and svg.mime.startswith("image/svg")
    client = _staff(users["investigator"])
    for item, body in ((html, HTML_WITH_SCRIPT), (svg, SVG_WITH_SCRIPT)):
        response = client.post(f"/vault/items/{item.uid}/download/", {"purpose": "check headers"})
        assert response.status_code == 200
        _assert_sandboxed_attachment(response)
        assert f'filename="{item.name}"' in response["Content-Disposition"]
        assert b"".join(response.streaming_content) == body  # the original, untouched
        # No inline preview of either.
        assert client.get(f"/vault/items/{item.uid}/preview/").status_code == 404


@pytest.mark.django_db
def test_a_public_image_that_is_not_a_raster_image_is_an_attachment(
    home: Path, tmp_path: Path
) -> None:
    from dadkhah.memorial.views import inline_public_image

    svg = _ingest(tmp_path, "flag.svg", SVG_WITH_SCRIPT)
    _assert_sandboxed_attachment(inline_public_image(svg))
    png = _ingest(tmp_path, "photo.png", PNG)
    shown = inline_public_image(png)
    assert shown["Content-Type"] == "image/png"
    assert shown["Content-Disposition"].startswith("inline;")
    assert shown["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert shown["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_an_image_preview_is_inline_but_sandboxed(
    home: Path, tmp_path: Path, users: dict[str, Any]
) -> None:
    png = _ingest(tmp_path, "photo.png", PNG)
    client = _staff(users["reviewer"])
    for url in (f"/vault/items/{png.uid}/preview/", f"/search/documents/{png.uid}/pages/1/image/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"] == "image/png"
        assert response["Content-Disposition"].startswith("inline;")
        assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
        assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("mime", "inline", "sent", "shown"),
    [
        ("image/png", True, "image/png", "inline"),
        ("application/pdf", True, "application/pdf", "inline"),
        ("application/pdf", False, "application/pdf", "attachment"),
        ("text/html; charset=utf-8", True, "application/octet-stream", "attachment"),
        ("image/svg+xml", True, "application/octet-stream", "attachment"),
        ("application/xhtml+xml", True, "application/octet-stream", "attachment"),
        ("application/rss+xml", True, "application/octet-stream", "attachment"),
        ("text/plain", True, "text/plain", "attachment"),
        ("", True, "application/octet-stream", "attachment"),
    ],
)
def test_protect_file_allows_inline_for_safe_types_only(
    mime: str, inline: bool, sent: str, shown: str
) -> None:
    from django.http import HttpResponse

    response = security.protect_file(HttpResponse(b"x"), mime, 'a "name"\n.bin', inline=inline)
    assert response["Content-Type"] == sent
    assert response["Content-Disposition"].split(";")[0] == shown
    assert '"a _name_ .bin"' in response["Content-Disposition"]  # no header injection
    assert response["Content-Security-Policy"] == security.SANDBOX_POLICY


@pytest.mark.django_db
def test_evidence_above_the_upload_limit_is_refused_by_name_and_nothing_kept(
    home: Path, users: dict[str, Any], settings: Any
) -> None:
    settings.EVIDENCE_UPLOAD_MAX_BYTES = 1000
    client = _staff(users["investigator"])
    before = Item.objects.count()
    small = SimpleUploadedFile("small.txt", b"a short statement", content_type="text/plain")
    big = SimpleUploadedFile("big-scan.txt", b"x" * 1001, content_type="text/plain")
    response = client.post("/vault/upload/", {"files": [small, big], "source": "test"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "big-scan.txt" in text and "1,001 bytes" in text and "small.txt:" not in text
    assert Item.objects.count() == before
    ok = SimpleUploadedFile("fits.txt", b"y" * 1000, content_type="text/plain")
    assert client.post("/vault/upload/", {"files": [ok], "source": "test"}).status_code == 302
    assert Item.objects.count() == before + 1


# ------------------------------------------------------------------ CSRF on every form


class _Page(HTMLParser):
    """The links and the POST forms (with whether each carries a CSRF token) of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.forms: list[dict[str, Any]] = []
        self._form: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if a.get("hx-get"):  # parts of the page loaded by htmx
            self.links.append(a["hx-get"])
        elif tag == "form":
            self._form = {"method": a.get("method", "get").lower(), "action": a.get("action")}
            self._form["token"] = False
            self.forms.append(self._form)
        elif (
            tag == "input"
            and self._form is not None
            and a.get("name") == "csrfmiddlewaretoken"
            and len(a.get("value", "")) >= 32
        ):
            self._form["token"] = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None


def _plain_routes(patterns: list[Any], prefix: str = "") -> list[str]:
    """Paths of the URL patterns that take no argument, from the resolver."""
    out: list[str] = []
    for entry in patterns:
        if isinstance(entry.pattern, LocalePrefixPattern):
            part = entry.pattern.language_prefix
        else:
            part = str(entry.pattern)
        if "<" in part or any(ch in part.lstrip("^").rstrip("$") for ch in "()[]?*+\\|"):
            continue
        part = part.lstrip("^").rstrip("$")
        if isinstance(entry, URLResolver):
            out += _plain_routes(entry.url_patterns, prefix + part)
        elif isinstance(entry, URLPattern):
            out.append("/" + prefix + part)
    return out


# Reached by following links from the pages the resolver lists; a crawl bounded per route.
MAX_PAGES = 400
SKIP = ("/static/", "/api/", "/accounts/logout/")


def _crawl(client: Client, starts: list[str]) -> tuple[dict[str, Any], set[str], list[str]]:
    seen_routes: set[str] = set()
    forms: dict[str, Any] = {}
    templates: set[str] = set()
    failures: list[str] = []
    queue = deque(starts)
    visited = 0
    while queue and visited < MAX_PAGES:
        url = queue.popleft()
        path = urlsplit(url).path
        if path.startswith(SKIP):
            continue
        try:
            match = resolve(path)
        except Resolver404:
            continue
        key = f"{match.view_name}|{match.route}"
        if key in seen_routes:
            continue
        seen_routes.add(key)
        visited += 1
        response = client.get(url)
        if response.status_code >= 500:
            failures.append(f"{url}: {response.status_code}")
            continue
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        templates.update(t.name for t in response.templates if t.name)
        page = _Page()
        page.feed(response.content.decode("utf-8", errors="replace"))
        for number, form in enumerate(page.forms):
            if form["method"] == "post":
                forms[f"{url} form {number + 1}"] = form
            if form["action"]:  # a form's target may have a page of its own (a download)
                page.links.append(form["action"])
        for link in page.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue
            queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return forms, templates, failures


POST_FORM = re.compile(r"<form\b[^>]*\bmethod=\"post\"[^>]*>(.*?)</form>", re.I | re.S)
INCLUDE = re.compile(r"{%\s*include\s+\"([^\"]+)\"")
# Pages the crawl must reach with their POST forms, whatever else it reaches.
MUST_RENDER = {
    "vault/upload.html",
    "vault/download.html",
    "vault/item.html",
    "memorial/contribute.html",
    "records/record_new.html",
    "counting/report.html",
    "linkage/import_new.html",
    "search/document.html",
}


def _template_text(name: str) -> str:
    from django.template.loader import get_template

    return Path(get_template(name).origin.name).read_text(encoding="utf-8")


def test_every_post_form_in_the_templates_has_the_csrf_token() -> None:
    """Static: each POST form's body (with the templates it includes) has {% csrf_token %}."""
    missing: list[str] = []
    forms = 0
    for path in _templates():
        text = path.read_text(encoding="utf-8")
        for match in POST_FORM.finditer(text):
            forms += 1
            body = match.group(1)
            body += "".join(_template_text(n) for n in INCLUDE.findall(body) if "{" not in n)
            if "{% csrf_token %}" not in body:
                line = text.count("\n", 0, match.start()) + 1
                missing.append(f"{path.relative_to(PACKAGE)}:{line}")
    assert forms >= 40
    assert missing == [], missing


def test_the_form_scan_sees_a_form_without_the_token() -> None:
    bad = '<form method="post" action="/x">{% include "records/partials/form_errors.html" %}</form>'
    (body,) = POST_FORM.findall(bad)
    assert "{% csrf_token %}" not in body


@pytest.mark.django_db
def test_every_post_form_rendered_carries_the_csrf_token(
    home: Path, tmp_path: Path, client: Client
) -> None:
    """Dynamic: every page reachable from the resolver's routes (and the links and form
    targets on them), as a visitor and as an administrator on the demo case."""
    from django.contrib.auth import get_user_model

    from dadkhah.records.demo import ensure_demo

    logins = ensure_demo(home)
    starts = sorted(set(_plain_routes(get_resolver().url_patterns)))
    assert "/en/contribute/" in starts and "/vault/upload/" in starts
    # A route with an argument the links do not reach first: a document with its text.
    from dadkhah.vault import tasks

    letter = _ingest(tmp_path, "letter.txt", b"A synthetic letter from Evin, summer 1367.")
    tasks.run_extraction(letter.pk)
    starts += [f"/search/documents/{letter.uid}/"]
    forms, templates, failures = _crawl(client, starts)  # anonymous visitors
    admin = get_user_model().objects.get(username=logins["administrator"][0])
    staff = Client()
    staff.force_login(admin)
    staff_forms, staff_templates, staff_failures = _crawl(staff, starts)
    forms.update({f"(staff) {k}": v for k, v in staff_forms.items()})
    templates |= staff_templates
    assert failures + staff_failures == []
    missing = [name for name, form in forms.items() if not form["token"]]
    assert missing == [], missing
    assert len(forms) >= 30, sorted(forms)
    assert templates >= MUST_RENDER, sorted(MUST_RENDER - templates)
