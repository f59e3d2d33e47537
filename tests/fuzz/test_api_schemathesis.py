"""Schemathesis against the API's own OpenAPI schema, in process (WSGI, no server).

Every operation is fuzzed as the anonymous public and with an administrator's bearer
token, with data that fits the schema and data that does not. Each answer must not be a
server error, must use a status code and a content type the schema documents for the
operation, and must match the documented body. Half of the path ids are generated, half
are ids of records that exist (public and restricted), so the 200 answers get checked too.

Generation is seeded (``SEED``, printed) and bounded, so a run is repeatable and short.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation import GenerationMode

from dadkhah.accounts.models import ApiToken
from dadkhah.api import api
from dadkhah.core.confidentiality import Level
from dadkhah.records import claims
from dadkhah.records.api import PLURALS
from tests.factories import cite, make_person, make_record, make_source

pytestmark = pytest.mark.django_db

SEED = 1988
EXAMPLES = 8  # per operation, caller and generation mode
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
CALLERS = ("anonymous", "administrator")
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)


def _operations() -> list[tuple[str, str]]:
    """(METHOD, path) of every operation, from the schema ninja serves."""
    paths = api.get_openapi_schema(path_prefix="/api/")["paths"]
    return sorted(
        (method.upper(), path)
        for path, item in paths.items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    )


OPERATIONS = _operations()


@pytest.fixture
def wsgi_app() -> Iterator[WSGIHandler]:
    """Django's WSGI handler, without closing the test's connection between requests (as
    django.test.Client does), so every request sees the test transaction."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def existing_ids(db: Any) -> dict[str, list[str]]:
    """uids of sources, records and claims that exist, at two levels of confidentiality,
    by the collection of the API that serves them ("sources", "persons", "claims"…)."""
    public = make_source("src-fuzz-public", Level.PUBLIC)
    restricted = make_source("src-fuzz-restricted", Level.RESTRICTED)
    ids: dict[str, list[str]] = {"sources": [public.uid, restricted.uid], "claims": []}
    for level, source in ((Level.PUBLIC, public), (Level.RESTRICTED, restricted)):
        tag = level.label
        person = make_person(f"Synthetic Fuzz {tag}", source, level, uid=f"person-fuzz-{tag}")
        body = make_record("body", level, uid=f"body-fuzz-{tag}")
        place = make_record("place", level, uid=f"place-fuzz-{tag}")
        event = make_record("event", level, uid=f"event-fuzz-{tag}")
        post = make_record("post", level, uid=f"post-fuzz-{tag}", person=person, body=body)
        part = make_record(
            "participation", level, uid=f"participation-fuzz-{tag}", event=event, person=person
        )
        claim = claims.add_claim(
            event, "date", "Mordad 1367", citations=cite(source), confidentiality=level
        )
        for record in (person, body, place, event, post, part):
            ids.setdefault(PLURALS[record.KIND], []).append(record.uid)
        ids["claims"].append(claim.uid)
    return ids


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_operation_conforms(
    wsgi_app: WSGIHandler,
    existing_ids: dict[str, list[str]],
    users: dict[str, Any],
    caller: str,
    method: str,
    path: str,
) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", wsgi_app)
    operation = schema[path][method]
    headers: dict[str, str] = {}
    if caller == "administrator":
        _, token = ApiToken.issue(users["administrator"], "fuzz")
        headers["Authorization"] = f"Bearer {token}"
    seen: dict[int, int] = {}
    print(f"hypothesis seed {SEED}, {EXAMPLES} examples per mode, caller {caller}")  # noqa: T201 (the seed, to replay a failure)

    # Negative data needs something to break besides the path's id, which any string fits.
    negatable = len(operation.query) > 0 or len(operation.body) > 0
    for mode in MODES if negatable else (GenerationMode.POSITIVE,):
        cases: st.SearchStrategy[Any] = operation.as_strategy(generation_mode=mode)
        if "{uid}" in path:
            collection = path.split("/")[2]  # /api/persons/{uid} -> persons
            known = st.sampled_from(existing_ids[collection]).flatmap(
                lambda uid, mode=mode: operation.as_strategy(
                    generation_mode=mode, path_parameters={"uid": uid}
                )
            )
            cases = st.one_of(cases, known)

        @seed(SEED)
        @settings(
            max_examples=EXAMPLES,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=cases)
        def run(case: Any) -> None:
            response = case.call_and_validate(headers=headers, checks=CHECKS)
            seen[response.status_code] = seen.get(response.status_code, 0) + 1

        run()
    print(f"statuses {dict(sorted(seen.items()))}")  # noqa: T201 (what the fuzzing reached)
    # The fuzzing reached the handlers, not only the doors: reads of the existing records
    # answer 200 (a history needs staff), and the administrator's writes get past auth.
    if method == "GET" and (caller == "administrator" or not path.endswith("/history")):
        assert 200 in seen, seen
    elif caller == "anonymous":
        assert set(seen) == {401}, seen
    else:
        assert 401 not in seen, seen


# NUL characters: SQLite stores them, PostgreSQL refuses them; the API refuses them by name
# (422) in bodies and queries, and answers 404 for an id holding one.


@pytest.mark.parametrize(
    ("method", "url", "body", "field"),
    [
        ("post", "/api/sources", {"title": "a\x00b", "citation": "c"}, "title"),
        ("post", "/api/sources", {"title": "t", "citation": "c", "notes": "\x00"}, "notes"),
        ("get", "/api/persons", {"q": "a\x00b"}, "q"),
        ("get", "/api/sources", {"q": "\x00"}, "q"),
        ("post", "/api/persons", {"uid": "p1", "reason": "why\x00"}, "reason"),
        (
            "post",
            "/api/persons/person-fuzz-public/claims",
            {"prop": "name", "value": "A\x00"},
            "value",
        ),
        (
            "post",
            "/api/persons/person-fuzz-public/claims",
            {"prop": "name", "value": {"k": ["\x00"]}},
            "value",
        ),
        (
            "post",
            "/api/persons/person-fuzz-public/claims",
            {"prop": "name\x00", "value": "A"},
            "prop",
        ),
        ("get", "/api/persons/a%00b", None, None),
        ("get", "/api/sources/a%00b", None, None),
        ("get", "/api/events/a%00b/history", None, None),
        ("post", "/api/claims/a%00b/status", {"status": "accepted", "reason": "r"}, None),
    ],
)
def test_nul_characters_are_refused_by_name(
    client: Any,
    existing_ids: dict[str, list[str]],
    users: dict[str, Any],
    method: str,
    url: str,
    body: dict[str, Any] | None,
    field: str | None,
) -> None:
    _, token = ApiToken.issue(users["administrator"], "fuzz")
    headers = {"Authorization": f"Bearer {token}"}
    if method == "get":
        response = client.get(url, body or {}, headers=headers)
    else:
        response = client.post(url, body, content_type="application/json", headers=headers)
    if field is None:
        assert response.status_code == 404, response.content
    else:
        assert response.status_code == 422, response.content
        assert response.json()["field"] == field
        assert "NUL" in response.json()["detail"]
