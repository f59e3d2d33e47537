"""Playwright driving Debian's chromium against pytest-django's live server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.conftest import require_tool

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    path = require_tool("chromium", "/usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    # Sync Playwright keeps an event loop running in the main thread, so Django takes the
    # tests' database calls for async code and refuses them. Allowed for this module only.
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=path, headless=True, args=CHROMIUM_ARGS
            )
            yield chromium
            chromium.close()
    finally:
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(60_000)  # a loaded 2-core CI machine; only a hang reaches it
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def shot(page: Any) -> Any:
    """Save a full-page screenshot to test-artifacts/ (gitignored) and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(name: str, target: Any = None) -> Path:
        path = ARTIFACTS / f"{name}.png"
        (target or page).screenshot(path=str(path), full_page=True)
        return path

    return take


LOOPBACK = ("127.0.0.1", "localhost", "::1")


@pytest.fixture
def offline(page: Any) -> list[str]:
    """Abort every request that would leave loopback, and list them (it must stay empty)."""
    attempted: list[str] = []

    def route(request: Any) -> None:
        if (urlparse(request.request.url).hostname or "") in LOOPBACK:
            request.continue_()
        else:
            attempted.append(request.request.url)
            request.abort()

    page.route("**/*", route)
    return attempted
