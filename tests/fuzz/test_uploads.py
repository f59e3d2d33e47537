"""Arbitrary files uploaded to the counting page: a 400 naming the problem, never a 500.

The page reads the upload with its own decoding before the capture-table reader, so the
reader's fuzzing does not cover it. Seeded (``SEED``, printed) and bounded.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hypothesis import HealthCheck, example, given, seed, settings

from tests.fuzz.test_parsers import SEED, capture_files

pytestmark = pytest.mark.django_db


def test_any_upload_to_the_counting_page_is_a_report_or_a_named_400(
    client: Client, users: dict[str, Any]
) -> None:
    print(f"hypothesis seed {SEED}")  # noqa: T201 (the seed, to replay a failure)
    client.force_login(users["administrator"])
    statuses: dict[int, int] = {}

    @seed(SEED)
    @settings(
        max_examples=30,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(data=capture_files())
    @example(data=b"A,B,count\n1,0,3\n0,1,4\n1,1,2\n")  # a good table
    @example(data=b"\xff\xfeA\x00,\x00B")  # a UTF-16 mark, then an odd number of bytes
    def run(data: bytes) -> None:
        upload = SimpleUploadedFile("table.csv", data, content_type="text/csv")
        response = client.post("/counting/", {"file": upload, "strata": ""})
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        assert response.status_code in (302, 400), response.status_code
        if response.status_code == 400:
            assert b"table.csv" in response.content or b"errorlist" in response.content

    run()
    print(f"statuses {statuses}")  # noqa: T201 (what the fuzzing reached)
    assert 400 in statuses and 302 in statuses
