from __future__ import annotations

import os
import shutil

import pytest


def require_tool(name: str, path: str | None = None) -> str:
    """Return the tool's path, or skip; under DADKHAH_REQUIRE_ALL=1 a missing tool fails."""
    found = path if path and os.path.exists(path) else shutil.which(name)
    if found:
        return found
    message = f"{name} is not installed (scripts/system-deps.sh test installs it)"
    if os.environ.get("DADKHAH_REQUIRE_ALL") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def home(settings, tmp_path):
    """DADKHAH_HOME (keys, blobs, work area, uploads) in a per-test directory, with the
    filesystem blob store whatever the environment sets."""
    import dataclasses

    root = tmp_path / "home"
    root.mkdir()
    settings.CONFIG = dataclasses.replace(settings.CONFIG, home=root, blobs="", s3_endpoint="")
    return root


@pytest.fixture
def users(db):
    from tests.factories import make_users

    return make_users()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Creating users dominates test setup with the production hasher; tests don't need its cost."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
