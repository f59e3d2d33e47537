"""Cached public reads: fresh, stale-while-revalidate, stale-if-error, never down, and the
WSGI fast path giving exactly what Django gives. Every campaign and signer is synthetic.

Ageing a stored copy rewrites its timestamp (``_age``) instead of waiting; a failing database
is a real one made to raise on every query (``connection.execute_wrapper``)."""

from __future__ import annotations

import dataclasses
import io
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import caches
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import OperationalError, close_old_connections, connection
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dadkhah.campaign import cache, tally
from dadkhah.campaign.fastread import FastRead
from dadkhah.campaign.models import Campaign, Signature
from tests.campaign.conftest import make_campaign

CONTROL = "public, max-age=5, stale-while-revalidate=60, stale-if-error=86400"


def _validate(campaign: Campaign, n: int, start: int = 0, country: str = "SE") -> None:
    Signature.objects.bulk_create(
        Signature(
            campaign=campaign,
            state=Signature.State.VALIDATED,
            name=f"Synthetic signer {start + i}",
            email_normalized=f"v{start + i}@example.org",
            country=country,
            consent=True,
            confirmed_at=timezone.now(),
        )
        for i in range(n)
    )
    tally.run()


def _age(seconds: float) -> None:
    """Make every stored copy ``seconds`` older, in memory and in the shared cache."""
    with cache._memory_lock:
        keys = list(cache._memory)
        for key in keys:
            old = cache._memory[key]
            cache._memory[key] = dataclasses.replace(old, stored_at=old.stored_at - seconds)
    shared = caches[cache.SHARED]
    for key in keys:
        entry = shared.get(cache._shared_key(key))
        if entry is not None:
            shared.set(
                cache._shared_key(key),
                dataclasses.replace(entry, stored_at=entry.stored_at - seconds),
            )


@contextmanager
def _database_down() -> Iterator[None]:
    def fail(*args: Any) -> Any:
        raise OperationalError("synthetic failure: the database is down")

    with connection.execute_wrapper(fail):
        yield


def _count(client: Any, slug: str = "justice-1988", **extra: Any) -> Any:
    return client.get(reverse("campaign_root:count", args=[slug]), **extra)


@pytest.mark.django_db
def test_count_json_answers_from_the_tally_with_cache_headers(
    client: Any, open_campaign: Any
) -> None:
    _validate(open_campaign, 3, country="SE")
    _validate(open_campaign, 2, start=10, country="DE")
    response = _count(client)
    assert response.status_code == 200
    body = response.json()
    assert body["campaign"] == "justice-1988" and body["synthetic"] is True
    assert (body["signed"], body["removed"], body["by_country"]) == (5, 0, {"DE": 2, "SE": 3})
    assert body["goal"] == 1000 and body["milestones_reached"] == []
    assert body["as_of"].startswith(str(timezone.now().year))
    assert response["Cache-Control"] == CONTROL
    assert "Accept-Language" in response["Vary"]  # (and Cookie when a middleware reads the session)
    assert "Warning" not in response


@pytest.mark.django_db
def test_unpublished_or_unknown_campaigns_are_404(client: Any) -> None:
    make_campaign("a-draft", state=Campaign.State.DRAFT)
    make_campaign("in-review", state=Campaign.State.IN_REVIEW)
    make_campaign("archived", state=Campaign.State.CLOSED)
    assert _count(client, "a-draft").status_code == 404
    assert _count(client, "in-review").status_code == 404
    assert _count(client, "no-such-campaign").status_code == 404
    assert _count(client, "archived").status_code == 200  # a closed campaign stays readable


@pytest.mark.django_db
def test_fresh_copies_need_no_database_and_survive_a_new_process(
    client: Any, open_campaign: Any
) -> None:
    _validate(open_campaign, 4)
    first = _count(client)
    _validate(open_campaign, 3, start=10)
    with CaptureQueriesContext(connection) as queries:
        second = _count(client)
    assert len(queries) == 0
    assert second.content == first.content and second.json()["signed"] == 4
    cache.clear_memory()  # another process: the shared cache has the copy
    with CaptureQueriesContext(connection) as queries:
        third = _count(client)
    assert len(queries) == 0 and third.content == first.content


@pytest.mark.django_db
def test_stale_while_revalidate(client: Any, open_campaign: Any) -> None:
    _validate(open_campaign, 4)
    assert _count(client).json()["signed"] == 4
    _validate(open_campaign, 6, start=10)
    _age(10)  # stale, within stale-while-revalidate
    key = "testserver" + reverse("campaign_root:count", args=["justice-1988"])
    lock = cache._lock_for(key)
    assert lock.acquire(blocking=False)  # another thread is rendering it
    try:
        with CaptureQueriesContext(connection) as queries:
            during = _count(client)
        assert len(queries) == 0
        assert during.status_code == 200 and during.json()["signed"] == 4
        assert during["Cache-Control"] == CONTROL
    finally:
        lock.release()
    after = _count(client)  # this request renders it again
    assert after.json()["signed"] == 10
    with CaptureQueriesContext(connection) as queries:
        assert _count(client).json()["signed"] == 10  # and the new copy is fresh
    assert len(queries) == 0


@pytest.mark.django_db
def test_stale_if_error_serves_the_stored_copy_when_the_database_fails(
    client: Any, open_campaign: Any
) -> None:
    _validate(open_campaign, 4)
    stored = _count(client).content
    for age in (10, 3600, 86000):  # after max-age; after stale-while-revalidate; within a day
        _age(age)
        with _database_down():
            response = _count(client)
        assert response.status_code == 200, age
        assert response.content == stored
        assert response["Cache-Control"] == CONTROL and "Warning" not in response
        _age(-age)
    _age(86400 + 60)  # older than stale-if-error: the failure shows
    with _database_down(), pytest.raises(OperationalError):
        _count(client)


@pytest.mark.django_db
def test_a_campaign_taken_down_is_not_served_from_the_cache(
    client: Any, open_campaign: Any
) -> None:
    assert _count(client).status_code == 200
    Campaign.objects.filter(pk=open_campaign.pk).update(state=Campaign.State.DRAFT)
    _age(10)
    assert _count(client).status_code == 404
    assert _count(client).status_code == 404  # the copy is gone, not served again


@pytest.mark.django_db
def test_the_count_never_goes_down_across_refreshes(client: Any, open_campaign: Any) -> None:
    seen: list[int] = []
    signatures = 0
    for step in range(6):
        _validate(open_campaign, step + 1, start=100 * step)
        signatures += step + 1
        if step == 3:  # moderators remove some: signed stays, removed rises
            Signature.objects.filter(
                pk__in=Signature.objects.filter(campaign=open_campaign).values("pk")[:3]
            ).update(state=Signature.State.INVALIDATED, removed_at=timezone.now())
            tally.run()
        _age(6)
        body = _count(client).json()
        seen.append(body["signed"])
        assert body["signed"] == signatures
    assert seen == sorted(seen) and _count(client).json()["removed"] == 3
    # an older rendering finishing late never replaces a newer copy
    key = next(iter(cache._memory))
    newest = cache._memory[key]
    older = dataclasses.replace(newest, stored_at=newest.stored_at - 1, content=b"{}")
    assert cache._store(key, older, 100) is newest
    assert caches[cache.SHARED].get(cache._shared_key(key)).content == newest.content


@pytest.mark.django_db
def test_signed_in_staff_bypass_the_cache(client: Any, open_campaign: Any, users: Any) -> None:
    _validate(open_campaign, 2)
    assert _count(client).json()["signed"] == 2
    _validate(open_campaign, 5, start=10)
    staff = client.__class__()
    staff.force_login(users["administrator"])
    response = _count(staff)
    assert response.json()["signed"] == 7
    assert "private" in response["Cache-Control"] and "public" not in response["Cache-Control"]
    assert _count(client).json()["signed"] == 2  # the visitors' copy is still fresh


def _anonymous_get(path: str = "/en/campaigns/x/") -> HttpRequest:
    request = RequestFactory().get(path)
    request.user = AnonymousUser()
    return request


def test_responses_with_a_csrf_token_or_a_cookie_or_an_error_are_never_stored(
    settings: Any, tmp_path: Any
) -> None:
    calls: list[str] = []

    @cache.public_cache()
    def with_form(request: HttpRequest) -> HttpResponse:
        calls.append("form")
        return HttpResponse(f"<input value='{get_token(request)}'>")

    @cache.public_cache()
    def with_cookie(request: HttpRequest) -> HttpResponse:
        calls.append("cookie")
        response = HttpResponse("hello")
        response.set_cookie("seen", "1")
        return response

    @cache.public_cache()
    def failing(request: HttpRequest) -> HttpResponse:
        calls.append("failing")
        return HttpResponse("sorry", status=503)

    @cache.public_cache()
    def plain(request: HttpRequest) -> HttpResponse:
        calls.append("plain")
        return HttpResponse("<p>plain</p>")

    for view, path in ((with_form, "/f/"), (with_cookie, "/c/"), (failing, "/e/"), (plain, "/p/")):
        view(_anonymous_get(path))
        second = view(_anonymous_get(path))
    assert calls == ["form", "form", "cookie", "cookie", "failing", "failing", "plain"]
    assert second["Cache-Control"] == CONTROL and second["Vary"] == "Cookie"
    post = RequestFactory().post("/p/")
    post.user = AnonymousUser()
    plain(post)
    assert calls[-1] == "plain" and len(calls) == 8  # never for a POST
    with pytest.raises(ValueError, match="fresh"):
        cache.public_cache(fresh=0)


# --- the WSGI fast path ---------------------------------------------------------------------


class Counting:
    """The Django application, counting the requests that reach it."""

    def __init__(self) -> None:
        self.app = get_wsgi_application()
        self.calls = 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        self.calls += 1
        return self.app(environ, start_response)


def _wsgi(app: Any, path: str, method: str = "GET", cookie: str = "") -> tuple[str, list, bytes]:
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SCRIPT_NAME": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if cookie:
        environ["HTTP_COOKIE"] = cookie
    got: list[Any] = []

    def start_response(status: str, headers: list, exc_info: Any = None) -> Any:
        got.append((status, list(headers)))
        return lambda data: None

    # as Django's test client does: the test's transaction must outlive each request
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        result = app(environ, start_response)
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return got[-1][0], got[-1][1], body


@pytest.mark.django_db
def test_the_fast_path_serves_what_django_serves_without_entering_it(open_campaign: Any) -> None:
    _validate(open_campaign, 3)
    django_app = Counting()
    fast = FastRead(django_app)
    path = reverse("campaign_root:count", args=["justice-1988"])
    first = _wsgi(fast, path)
    assert django_app.calls == 1 and first[0].startswith("200")
    for _ in range(5):
        again = _wsgi(fast, path)
        assert again == first  # status, headers and body, byte for byte
    assert django_app.calls == 1
    head = _wsgi(fast, path, method="HEAD")
    assert head[:2] == first[:2] and django_app.calls == 1
    plain = _wsgi(django_app, path)  # Django itself, for the same URL
    assert plain[2] == first[2] and sorted(plain[1]) == sorted(first[1])
    assert ("Cache-Control", CONTROL) in first[1]
    assert json.loads(first[2])["signed"] == 3


@pytest.mark.django_db
def test_the_fast_path_leaves_staff_writes_and_stale_copies_to_django(
    open_campaign: Any,
) -> None:
    _validate(open_campaign, 3)
    django_app = Counting()
    fast = FastRead(django_app)
    path = reverse("campaign_root:count", args=["justice-1988"])
    _wsgi(fast, path)
    _wsgi(fast, path, cookie="sessionid=abc; csrftoken=x")  # a session: Django decides
    assert django_app.calls == 2
    _wsgi(fast, path, cookie="csrftoken=x")  # no session: the stored copy
    assert django_app.calls == 2
    _wsgi(fast, path, method="POST")
    assert django_app.calls == 3
    _validate(open_campaign, 4, start=10)
    for key, kept in list(fast.store.items()):  # the copy is no longer fresh
        fast.store[key] = dataclasses.replace(kept, fresh_until=time.time() - 1)
    _age(6)
    status, _, body = _wsgi(fast, path)
    assert django_app.calls == 4 and json.loads(body)["signed"] == 7
    _wsgi(fast, path)
    assert django_app.calls == 4  # the new rendering is kept
    # a page that is not cached (the memorial's) is never kept
    _wsgi(fast, "/en/campaigns/no-such-campaign/count.json")
    _wsgi(fast, "/robots-not-there.txt")
    assert len(fast.store) == 1
    cache.clear_memory()
    assert fast.store == {}


def test_fast_path_keys_differ_by_scheme() -> None:
    """A page stored for HTTPS is never the answer to plain HTTP (which Django redirects)."""
    from dadkhah.campaign.fastread import _key

    base = {"HTTP_HOST": "example.org", "PATH_INFO": "/campaigns/x/count.json"}
    http = _key({**base, "wsgi.url_scheme": "http"})
    https = _key({**base, "wsgi.url_scheme": "http", "HTTP_X_FORWARDED_PROTO": "https"})
    assert http != https and https[0] == "https" and http[0] == "http"
