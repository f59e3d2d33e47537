"""Canonical JSON (RFC 8785, the JSON Canonicalization Scheme) for everything that is hashed.

Two programs that agree on a value agree on its bytes: keys sorted by UTF-16 code units,
no insignificant whitespace, numbers in ECMAScript form, strings minimally escaped, UTF-8.
"""

from __future__ import annotations

from typing import Any

import rfc8785

__all__ = ["canonical_json"]


def canonical_json(obj: Any) -> bytes:
    """The RFC 8785 bytes of ``obj`` (dicts, lists, str, int, bool, None; no NaN)."""
    return rfc8785.dumps(obj)
