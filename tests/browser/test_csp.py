"""The Content Security Policy in a real browser: the main public and staff pages load,
run their scripts (the map, the proof-of-work, htmx) and raise no CSP violation.

Violations are collected two ways: a ``securitypolicyviolation`` listener the browser
installs in every page before the page's own scripts (an init script, which the page's
policy does not govern), and the console messages chromium prints for blocked content.
A control case injects an inline script into a page and checks it is refused and seen.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.staticfiles import finders

from dadkhah.records.demo import ensure_demo
from tests.browser.login import authenticator
from tests.browser.waiting import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BAHRAM = "person-syn-bahram-sadeghpour"
LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(
    `${e.effectiveDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`
  );
});
"""
PUBLIC = [
    f"/{lang}/{path}"
    for lang in ("en", "fa")
    for path in ("", "victims/", f"victims/{BAHRAM}/", "timeline/", "count/", "about/")
]
STAFF = [
    "/records/",
    "/records/?kind=source",
    f"/records/person/{BAHRAM}/",
    "/records/person/new/",
    "/vault/",
    "/vault/upload/",
    "/search/?q=Evin",
    "/counting/",
    "/linkage/",
    "/linkage/imports/new/",
    "/memorial/review/",
    "/memorial/review/contributions/",
    "/accounts/",
    "/api/docs",
    "/admin/",
]


@pytest.fixture
def demo(live_server: Any, home: Path) -> tuple[str, dict[str, tuple[str, str]]]:
    return live_server.url, ensure_demo(home)


@pytest.fixture
def watched(page: Any) -> tuple[Any, list[str]]:
    """The page, with every CSP violation it reports (console or event) collected."""
    console: list[str] = []
    page.add_init_script(script=LISTENER)

    def on_console(message: Any) -> None:
        text = message.text
        if "Content Security Policy" in text or "Refused to" in text:
            console.append(f"{page.url}: {text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: console.append(f"{page.url}: script error: {error}"))
    return page, console


def _log_in(page: Any, base: str, username: str, password: str) -> None:
    """Through the login form, password then the authenticator's code."""
    from dadkhah.accounts.twofactor import current_code

    device = authenticator(username)
    page.goto(f"{base}/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("#id_password").press("Enter")
    page.wait_for_url(f"{base}/accounts/two-factor/*")
    device.refresh_from_db()
    page.locator("#id_code").fill(current_code(device))
    page.locator("#id_code").press("Enter")
    page.wait_for_url(f"{base}/records/")


def _violations(page: Any) -> list[str]:
    found: list[str] = page.evaluate("window.__cspViolations || []")
    return [f"{page.url}: {v}" for v in found]


def _visit(page: Any, url: str) -> list[str]:
    response = page.goto(url, timeout=180_000)  # the counting report computes its estimates
    assert response is not None and response.status == 200, (url, response and response.status)
    assert "script-src 'self'" in (response.headers.get("content-security-policy") or ""), url
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)  # late scripts (htmx, deferred) have run
    return _violations(page)


def test_the_listener_sees_a_refused_inline_script(demo: Any, watched: Any) -> None:
    """Control: an inline script added to a page is refused, and both collectors see it."""
    base, _ = demo
    page, console = watched
    assert _visit(page, f"{base}/en/about/") == []
    page.evaluate(
        """() => { const s = document.createElement("script");
                   s.textContent = "window.__ran = true"; document.body.appendChild(s); }"""
    )
    page.wait_for_timeout(200)
    assert page.evaluate("window.__ran === undefined")
    assert any("script-src" in v for v in _violations(page))
    assert any("Content Security Policy" in c for c in console)


def test_public_pages_raise_no_violation(demo: Any, watched: Any) -> None:
    base, _ = demo
    page, console = watched
    found: list[str] = []
    for path in PUBLIC:
        found += _visit(page, base + path)
    # The proof-of-work is solved by pow.js under the policy.
    found += _visit(page, f"{base}/en/contribute/")
    wait_until(page, "document.getElementById('id_pow').value.length > 0", timeout_ms=60_000)
    found += _violations(page)
    assert found + console == [], "\n".join(found + console)


def test_the_map_draws_under_the_policy(demo: Any, watched: Any) -> None:
    if finders.find("memorial/vendor/leaflet/leaflet.js") is None:
        pytest.skip("the map assets are not built (make setup: npm ci, then the assets step)")
    base, _ = demo
    page, console = watched
    found: list[str] = []
    for lang in ("en", "fa"):
        found += _visit(page, f"{base}/{lang}/map/")
        rows = page.locator("table.places tbody tr").count()
        page.wait_for_selector(f"#memorial-map[data-markers='{rows}']")
        assert page.locator(".leaflet-marker-icon").count() == rows
        page.locator(".leaflet-marker-icon").first.click()  # a popup opens
        page.wait_for_selector(".leaflet-popup-content")
        found += _violations(page)
    assert found + console == [], "\n".join(found + console)


def test_staff_pages_raise_no_violation(demo: Any, watched: Any) -> None:
    base, logins = demo
    page, console = watched
    username, password = logins["administrator"]
    _log_in(page, base, username, password)
    found = _violations(page)  # the login and second-factor pages
    for path in STAFF:
        found += _visit(page, base + path)
    # htmx: the record list filters as one types, swapping part of the page.
    _visit(page, f"{base}/records/")
    with page.expect_response(lambda r: "/records/" in r.url and "q=Bahram" in r.url):
        page.locator("#q").fill("Bahram")
    page.wait_for_timeout(300)
    found += _violations(page)
    # A vault item (with its htmx-loaded extraction panel) and the document viewer.
    page.goto(f"{base}/vault/")
    item = page.locator("a[href^='/vault/items/']").first.get_attribute("href")
    found += _visit(page, f"{base}{item}")
    assert found + console == [], "\n".join(found + console)
