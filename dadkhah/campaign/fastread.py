"""A WSGI fast path for the cached public reads (``count.json``, the campaign pages).

Django's middleware costs more than a cached page itself: the fast path answers hot
anonymous reads before entering Django, from a per-process store of complete responses.

- It wraps the Django application (``dadkhah.wsgi``). A ``GET`` or ``HEAD`` without a
  session cookie whose response is in the store and still fresh gets exactly the status,
  headers and body Django gave (the server adds ``Date`` as for any response).
- Everything else goes to Django. When the view answering was served by
  :func:`dadkhah.campaign.cache.public_cache` (it leaves ``(stored_at, fresh)`` in the WSGI
  environ), the complete response is kept until the stored rendering stops being fresh;
  never a response that sets a cookie or is not a 200.
- Stale copies are never served here: stale-while-revalidate and stale-if-error are
  Django's (the cache layer's), so the rules are the same on both paths.

The key is the scheme (``X-Forwarded-Proto`` from the reverse proxy, else the server's),
the host, the script name, the path and the query string as the server gave them; a host
Django refuses is never stored, since its requests never reach the view, and a plain-HTTP
request under ``DADKHAH_HTTPS=1`` never meets a stored HTTPS page (Django redirects it, and
a redirect is never stored).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from dadkhah.campaign import cache

__all__ = ["FastRead", "Kept"]

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


@dataclass(frozen=True)
class Kept:
    """A complete response as Django gave it, and until when it may be served."""

    status: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    fresh_until: float


Key = tuple[str, str, str, str, str]


def _key(environ: dict[str, Any]) -> Key:
    scheme = environ.get("HTTP_X_FORWARDED_PROTO") or environ.get("wsgi.url_scheme", "http")
    host = (
        environ.get("HTTP_HOST")
        or f"{environ.get('SERVER_NAME', '')}:{environ.get('SERVER_PORT', '')}"
    )
    return (
        str(scheme),
        host,
        environ.get("SCRIPT_NAME", ""),
        environ.get("PATH_INFO", ""),
        environ.get("QUERY_STRING", ""),
    )


class FastRead:
    """The WSGI application: ``FastRead(get_wsgi_application())``."""

    def __init__(self, app: WSGIApp, session_cookie: str = "sessionid", entries: int = 512):
        self.app = app
        self.session_cookie = session_cookie
        self.entries = entries
        self.store: dict[Key, Kept] = {}
        self._lock = threading.Lock()
        cache.on_clear(self.clear)

    def clear(self) -> None:
        with self._lock:
            self.store.clear()

    def _anonymous(self, environ: dict[str, Any]) -> bool:
        cookies = environ.get("HTTP_COOKIE", "")
        return self.session_cookie + "=" not in cookies and "HTTP_AUTHORIZATION" not in environ

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD") or not self._anonymous(environ):
            return self.app(environ, start_response)
        key = _key(environ)
        kept = self.store.get(key)
        if kept is not None and time.time() < kept.fresh_until:
            start_response(kept.status, list(kept.headers))
            return [kept.body]
        return self._through(key, environ, start_response)

    def _through(
        self, key: Key, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        seen: list[tuple[str, list[tuple[str, str]]]] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen.append((status, headers))
            return start_response(status, headers, exc_info)

        result = self.app(environ, capture)
        mark = environ.get(cache.FASTREAD_KEY)
        if mark is None or not seen:
            return result
        status, headers = seen[-1]
        stored_at, fresh = mark
        fresh_until = float(stored_at) + float(fresh)
        if (
            not status.startswith("200 ")
            or any(name.lower() == "set-cookie" for name, _ in headers)
            or time.time() >= fresh_until
        ):
            return result
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()  # Django's request_finished (connections go back)
        self._keep(key, Kept(status, tuple(headers), body, fresh_until))
        return [body]

    def _keep(self, key: Key, kept: Kept) -> None:
        with self._lock:
            held = self.store.get(key)
            if held is not None and held.fresh_until > kept.fresh_until:
                return  # a newer rendering is kept already
            if key not in self.store and len(self.store) >= self.entries:
                now = time.time()
                for old in [k for k, v in self.store.items() if v.fresh_until <= now]:
                    del self.store[old]
                while len(self.store) >= self.entries:
                    del self.store[next(iter(self.store))]
            self.store[key] = kept
