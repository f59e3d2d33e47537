"""Fixtures for the vault tests: a DADKHAH_HOME of its own for every test, and files to
ingest. Other vault test modules may add fixtures at the end of this file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def vault_home(home: Path) -> Path:
    """DADKHAH_HOME in a per-test directory, filesystem store (``home`` of tests/conftest.py)."""
    return home


@pytest.fixture
def blob_root(vault_home: Path) -> Path:
    return vault_home / "blobs"


def stored_blobs(root: Path) -> list[str]:
    """Hex names of the blobs under a FileStore root, sorted."""
    return sorted(p.name for p in root.glob("??/??/*") if p.is_file())


def leftover_files(root: Path) -> list[str]:
    """Temporary files and intent markers in the work area (not the lock files)."""
    work = root / ".work"
    if not work.exists():
        return []
    return sorted(
        str(p.relative_to(work))
        for p in work.rglob("*")
        if p.is_file() and p.name not in ("lock", "guard.lock")
    )


@pytest.fixture
def huey_immediate() -> Any:
    """huey's immediate mode: a task runs when it is called, in this process (extraction)."""
    from huey.contrib.djhuey import HUEY

    before = HUEY.immediate
    HUEY.immediate = True
    try:
        yield HUEY
    finally:
        HUEY.immediate = before
