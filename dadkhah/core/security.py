"""Web hardening: the site's Content Security Policy and the headers on served files.

Two kinds of response leave the site:

- **pages** we render: they get the site policy (:func:`site_policy`), which allows
  scripts, styles, fonts and connections from the site itself only, no inline script, no
  ``eval``, no plugin, no framing. The policy is set by django-csp's middleware from
  ``CONTENT_SECURITY_POLICY`` in ``dadkhah.settings``.
- **files** someone else made: evidence originals, contributed files, public images. They
  go through :func:`protect_file`, which forbids content sniffing, sends anything outside
  :data:`SAFE_INLINE_TYPES` as an attachment (and a type a browser would run as
  ``application/octet-stream``), and puts the response in a CSP sandbox with
  ``default-src 'none'``: an HTML or SVG file uploaded as evidence can never run as a page
  of the site, even when opened directly.

Standalone documents we generate with their own inline stylesheet (the HTML dossier) are
served with :data:`DOCUMENT_POLICY`: sandboxed, no script, no network, inline styles only.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote, urlsplit

if TYPE_CHECKING:  # settings import this module before Django is set up
    from django.http import HttpResponseBase

__all__ = [
    "ACTIVE_TYPES",
    "check_https_settings",
    "DOCUMENT_POLICY",
    "SAFE_INLINE_TYPES",
    "SANDBOX_POLICY",
    "protect_document",
    "protect_file",
    "site_policy",
    "tile_source",
]

# Types a browser shows inline without running anything of the file's own.
SAFE_INLINE_TYPES = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"}
)
# Types a browser would run or render as a page: sent as bytes, never as themselves.
ACTIVE_TYPES = re.compile(
    r"^\s*(text/html|application/xhtml|image/svg|text/xml|application/xml|[a-z]+/[a-z.+-]*\+xml|"
    r"text/javascript|application/javascript|application/ecmascript|text/ecmascript|"
    r"multipart/x-mixed-replace)",
    re.I,
)
SANDBOX_POLICY = "sandbox; default-src 'none'"
DOCUMENT_POLICY = (
    "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

_R = TypeVar("_R", bound="HttpResponseBase")

SELF = "'self'"
NONE = "'none'"


def tile_source(tile_url: str) -> str | None:
    """The CSP source of a Leaflet tile URL template, or None when there is no tile server.

    ``https://{s}.tile.example.org/{z}/{x}/{y}.png`` gives ``https://*.tile.example.org``:
    a ``{s}`` (or any other placeholder) in the host stands for a subdomain.
    """
    text = tile_url.strip()
    if not text:
        return None
    parts = urlsplit(text)
    host = parts.netloc.rsplit("@", 1)[-1]
    if parts.scheme not in ("http", "https") or not host:
        raise ValueError(
            f"DADKHAH_TILE_URL={tile_url!r}: expected an http(s) URL template such as "
            "https://tiles.example.org/{z}/{x}/{y}.png"
        )
    labels = host.split(".")
    if labels and "{" in labels[0]:
        labels[0] = "*"
    if any("{" in label or "}" in label for label in labels[1:]):
        raise ValueError(
            f"DADKHAH_TILE_URL={tile_url!r}: only the first label of the host may be a "
            "placeholder ({s})"
        )
    return f"{parts.scheme}://{'.'.join(labels)}"


def site_policy(tile_url: str = "") -> dict[str, Any]:
    """``CONTENT_SECURITY_POLICY`` for django-csp 4: the policy of every rendered page."""
    images = [SELF, "data:"]
    tiles = tile_source(tile_url)
    if tiles is not None:
        images.append(tiles)
    return {
        "DIRECTIVES": {
            "default-src": [SELF],
            "script-src": [SELF],
            "style-src": [SELF],
            "img-src": images,
            "connect-src": [SELF],
            "font-src": [SELF],
            "object-src": [NONE],
            "base-uri": [SELF],
            "form-action": [SELF],
            "frame-ancestors": [NONE],
        }
    }


def _disposition(kind: str, filename: str) -> str:
    """A Content-Disposition header value, with the name in ASCII and in RFC 5987 UTF-8."""
    name = filename.replace("\r", " ").replace("\n", " ").strip() or "file"
    ascii_name = name.encode("ascii", "replace").decode("ascii").replace("?", "_")
    ascii_name = ascii_name.replace("\\", "_").replace('"', "_")
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def protect_file(response: _R, mime: str, filename: str = "", *, inline: bool = False) -> _R:
    """Headers for a response carrying a file someone else made (evidence, a contribution).

    ``inline=True`` asks to show it in the browser; it is honoured only for
    :data:`SAFE_INLINE_TYPES`. Anything else is an attachment, and a type a browser would
    run is sent as ``application/octet-stream``. Every such response forbids sniffing and is
    sandboxed with ``default-src 'none'``.
    """
    kind = (mime or "").split(";", 1)[0].strip().lower()
    if not kind or ACTIVE_TYPES.match(kind):
        kind = "application/octet-stream"
    shown = inline and kind in SAFE_INLINE_TYPES
    response["Content-Type"] = kind
    response["Content-Disposition"] = _disposition("inline" if shown else "attachment", filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX_POLICY
    return response


def protect_document(response: _R) -> _R:
    """Headers for a standalone HTML document we generated (a dossier): shown inline, with
    its own inline stylesheet, but sandboxed, with no script and no request to anywhere."""
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = DOCUMENT_POLICY
    return response


def check_https_settings(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    """Deploy check: under DADKHAH_HTTPS=1 the site's address must be its https:// one (the
    address in emails, and the origin CSRF trusts)."""
    from django.conf import settings
    from django.core.checks import Warning

    config = settings.CONFIG
    if config.https and not config.site_url.startswith("https://"):
        return [
            Warning(
                f"DADKHAH_HTTPS=1 but DADKHAH_SITE_URL is {config.site_url!r}",
                hint="Set DADKHAH_SITE_URL to the https:// address the reverse proxy serves.",
                id="dadkhah.W001",
            )
        ]
    return []
