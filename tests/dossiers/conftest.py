"""The demo case, loaded once per test module into the test database and rolled back after,
with a DADKHAH_HOME of its own (keys, blobs, the pseudonym key)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[Path]:
    from django.conf import settings
    from django.db import transaction

    from dadkhah.accounts.roles import ensure_groups
    from dadkhah.records.demo import ensure_demo

    home = tmp_path_factory.mktemp("dossier-home")
    before = settings.CONFIG
    settings.CONFIG = dataclasses.replace(before, home=home, blobs="", s3_endpoint="")
    try:
        with django_db_blocker.unblock(), transaction.atomic():
            ensure_groups()
            ensure_demo(home)
            yield home
            transaction.set_rollback(True)
    finally:
        settings.CONFIG = before


def text_of_pdf(path: Path) -> str:
    """The PDF's text as ``pdftotext`` extracts it (pages separated by form feeds)."""
    import subprocess

    from tests.conftest import require_tool

    tool = require_tool("pdftotext")
    done = subprocess.run([tool, "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)
    return done.stdout.decode("utf-8")
