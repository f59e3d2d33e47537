"""Cached public reads: reading survives failing writes.

:func:`public_cache` wraps the GET views of public pages (the campaign page, ``count.json``).
For anonymous visitors a rendered response is kept and served:

- while **fresh** (``fresh`` seconds, 5 by default) as it is;
- when **stale**, up to ``stale`` more seconds (stale-while-revalidate, 60): one request per
  key and process renders it again (a lock) while the others are served the stored copy;
- when the new rendering **fails** (the database is down), the stored copy is served, with
  an ordinary 200, for up to ``if_error`` seconds (stale-if-error, one day).

Every response says so to the caches in front of the site:
``Cache-Control: public, max-age=5, stale-while-revalidate=60, stale-if-error=86400``.
Pages whose content differs for signed-in staff also carry ``Vary: Cookie``; signed-in
staff are never served a stored copy (their responses are ``private``). A response that
sets a cookie, uses a CSRF token or is not a 200 is never stored. Pages must carry their
language in the path (``/en/…``, ``/fa/…``) or not depend on it: the key is the host and
the full path.

Responses are kept in two layers: a small dictionary per process (a hot read never
touches the disk) in front of the cache ``campaign`` of ``settings.CACHES``, which the
site's processes share (files under ``DADKHAH_HOME/cache``; Redis can replace them). A copy
is never replaced by an older rendering, so a count read through one process never goes
down across a refresh.

The WSGI fast path (:mod:`dadkhah.campaign.fastread`) serves fresh copies without entering
Django; a view served here tells it so through ``request.META[FASTREAD_KEY]``.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.signals import setting_changed
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.utils.cache import patch_cache_control, patch_vary_headers

__all__ = [
    "FASTREAD_KEY",
    "FRESH",
    "IF_ERROR",
    "STALE",
    "Stored",
    "cache_control",
    "clear_memory",
    "on_clear",
    "public_cache",
]

log = logging.getLogger(__name__)

FRESH = 5
STALE = 60
IF_ERROR = 86400
#: The cache alias (settings.CACHES) the site's processes share.
SHARED = "campaign"
#: Entries kept per process (the least recently stored go first).
MEMORY_ENTRIES = 512
#: request.META key through which a served view tells the fast path (stored_at, fresh).
FASTREAD_KEY = "dadkhah.fastread"

# Headers of the view's response worth keeping; the middleware adds the rest again.
_DROPPED = {"content-length", "set-cookie", "cache-control", "expires", "vary"}


@dataclass(frozen=True)
class Stored:
    """A rendered response, with the time its rendering started."""

    stored_at: float
    status: int
    content: bytes
    headers: tuple[tuple[str, str], ...]
    vary: tuple[str, ...]


_memory: OrderedDict[str, Stored] = OrderedDict()
_memory_lock = threading.Lock()
_refreshing: dict[str, threading.Lock] = {}
_clear_hooks: list[Callable[[], None]] = []


def cache_control(fresh: int = FRESH, stale: int = STALE, if_error: int = IF_ERROR) -> str:
    return f"public, max-age={fresh}, stale-while-revalidate={stale}, stale-if-error={if_error}"


def on_clear(hook: Callable[[], None]) -> None:
    """Call ``hook`` too when the per-process copies are dropped (the fast path's store)."""
    _clear_hooks.append(hook)


def clear_memory() -> None:
    """Drop every copy this process holds in memory (not the shared cache)."""
    with _memory_lock:
        _memory.clear()
        _refreshing.clear()
    for hook in _clear_hooks:
        hook()


def _settings_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == "CACHES":  # tests point the shared cache elsewhere: forget this one's copies
        clear_memory()


setting_changed.connect(_settings_changed)


# --- the two layers -----------------------------------------------------------------------


def _shared_key(key: str) -> str:
    return "page:" + hashlib.sha256(key.encode()).hexdigest()


def _remember(key: str, entry: Stored) -> Stored:
    """Keep ``entry`` unless a newer rendering is kept already; return the one kept."""
    with _memory_lock:
        held = _memory.get(key)
        if held is not None and held.stored_at > entry.stored_at:
            return held
        _memory[key] = entry
        _memory.move_to_end(key)
        while len(_memory) > MEMORY_ENTRIES:
            _memory.popitem(last=False)
    return entry


def _lookup(key: str, fresh: int) -> Stored | None:
    """The newest copy: from memory, or from the shared cache when memory's is not fresh."""
    with _memory_lock:
        held = _memory.get(key)
    if held is not None and time.time() - held.stored_at < fresh:
        return held
    try:
        shared = caches[SHARED].get(_shared_key(key))
    except Exception:  # an unreadable cache is a miss, never an error page
        log.warning("public cache: could not read the shared copy", exc_info=True)
        shared = None
    if isinstance(shared, Stored) and (held is None or shared.stored_at > held.stored_at):
        return _remember(key, shared)
    return held


def _store(key: str, entry: Stored, keep: int) -> Stored:
    kept = _remember(key, entry)
    if kept is entry:
        try:
            store = caches[SHARED]
            shared = store.get(_shared_key(key))
            if not (isinstance(shared, Stored) and shared.stored_at > entry.stored_at):
                store.set(_shared_key(key), entry, timeout=keep)
        except Exception:  # the copy in memory still serves this process
            log.warning("public cache: could not write the shared copy", exc_info=True)
    return kept


def _forget(key: str) -> None:
    with _memory_lock:
        _memory.pop(key, None)
    try:
        caches[SHARED].delete(_shared_key(key))
    except Exception:
        log.warning("public cache: could not delete the shared copy", exc_info=True)


def _lock_for(key: str) -> threading.Lock:
    with _memory_lock:
        lock = _refreshing.get(key)
        if lock is None:
            lock = _refreshing[key] = threading.Lock()
            if len(_refreshing) > 4 * MEMORY_ENTRIES:  # forget idle locks of old keys
                for old in [k for k, v in _refreshing.items() if k != key and not v.locked()]:
                    del _refreshing[old]
        return lock


# --- the decorator ------------------------------------------------------------------------


def _storable(request: HttpRequest, response: HttpResponseBase) -> bool:
    return (
        response.status_code == 200
        and isinstance(response, HttpResponse)
        and not response.streaming
        and not response.cookies
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
    )


def _vary_of(response: HttpResponseBase) -> tuple[str, ...]:
    raw = response.get("Vary", "")
    return tuple(v.strip() for v in raw.split(",") if v.strip())


def public_cache(
    fresh: int = FRESH, stale: int = STALE, if_error: int = IF_ERROR, vary_cookie: bool = True
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Serve anonymous GET and HEAD requests of the view from a stored rendering (see the
    module's docstring). ``vary_cookie=False`` for responses identical for everyone."""
    if not 0 < fresh <= stale and stale <= if_error:
        raise ValueError(f"public_cache: expected 0 < fresh ({fresh}) ≤ stale ({stale}) ≤ if_error")
    control = cache_control(fresh, stale, if_error)
    vary = ("Cookie",) if vary_cookie else ()

    def respond(request: HttpRequest, entry: Stored) -> HttpResponse:
        response = HttpResponse(entry.content, status=entry.status)
        for name, value in entry.headers:
            response[name] = value
        response["Cache-Control"] = control
        if entry.vary:
            patch_vary_headers(response, entry.vary)
        request.META[FASTREAD_KEY] = (entry.stored_at, fresh)
        return response

    def decorate(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        def cached(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if request.method not in ("GET", "HEAD"):
                return view(request, *args, **kwargs)
            # Without a session cookie nobody is signed in: the session is not even read
            # (and so adds no "Vary: Cookie" where the page does not ask for it).
            user = (
                getattr(request, "user", None)
                if settings.SESSION_COOKIE_NAME in request.COOKIES
                else None
            )
            if user is not None and user.is_authenticated:
                response = view(request, *args, **kwargs)
                patch_cache_control(response, private=True, no_cache=True)
                patch_vary_headers(response, vary)
                return response
            key = request.get_host() + request.get_full_path()
            entry = _lookup(key, fresh)
            age = None if entry is None else time.time() - entry.stored_at
            if entry is not None and age is not None and age < fresh:
                return respond(request, entry)
            lock: threading.Lock | None = None
            if entry is not None and age is not None and age < fresh + stale:
                lock = _lock_for(key)
                if not lock.acquire(blocking=False):  # another thread renders it now
                    return respond(request, entry)
            try:
                return render(request, key, entry, view, args, kwargs)
            finally:
                if lock is not None:
                    lock.release()

        def render(
            request: HttpRequest,
            key: str,
            entry: Stored | None,
            view: Callable[..., HttpResponseBase],
            args: tuple[Any, ...],
            kwargs: dict[str, Any],
        ) -> HttpResponseBase:
            started = time.time()
            usable = entry is not None and started - entry.stored_at < if_error
            try:
                response = view(request, *args, **kwargs)
                render_now = getattr(response, "render", None)
                if callable(render_now) and not getattr(response, "is_rendered", True):
                    render_now()
            except Http404:
                _forget(key)
                raise
            except Exception:
                if entry is None or not usable:
                    raise
                log.warning("public cache: serving a stored copy of %s", key, exc_info=True)
                return respond(request, entry)
            if response.status_code >= 500 and entry is not None and usable:
                log.warning("public cache: %s answered %s", key, response.status_code)
                return respond(request, entry)
            if response.status_code == 404:
                _forget(key)
            if not _storable(request, response):
                return response
            assert isinstance(response, HttpResponse)
            fresh_entry = Stored(
                stored_at=started,
                status=response.status_code,
                content=response.content,
                headers=tuple(
                    (name, value)
                    for name, value in response.items()
                    if name.lower() not in _DROPPED
                ),
                vary=tuple(dict.fromkeys(vary + _vary_of(response))),
            )
            return respond(request, _store(key, fresh_entry, if_error + fresh))

        return cached

    return decorate
