"""Waiting for a condition in a page under the site's Content-Security-Policy.

Playwright's ``wait_for_function`` evaluates its predicate with ``eval`` inside the page,
which the site's CSP (no ``'unsafe-eval'``) refuses. ``page.evaluate`` runs through the
browser's debugging protocol instead, so polling it works under any policy.
"""

from __future__ import annotations

import time
from typing import Any


def wait_until(page: Any, expression: str, timeout_ms: int = 30_000) -> Any:
    """Poll ``expression`` in the page until it is truthy; its value, or TimeoutError."""
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        value = page.evaluate(expression)
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"still false after {timeout_ms} ms: {expression}")
        page.wait_for_timeout(100)
