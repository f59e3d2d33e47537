"""The production settings: Redis for the queue and the caches, and the example files of
deploy/ against the settings registry (fast; the smoke test starts them for real)."""

from __future__ import annotations

import json
import runpy
from pathlib import Path
from typing import Any

import pytest

from dadkhah import config
from tests.deploy.stack import DEPLOY, read_env_file

DOCS = DEPLOY.parent / "docs" / "deploy.md"


def settings_module(monkeypatch: pytest.MonkeyPatch, home: Path, **env: str) -> dict[str, Any]:
    """dadkhah/settings.py evaluated afresh with this environment (the loaded one untouched)."""
    monkeypatch.setenv("DADKHAH_HOME", str(home))
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    for name in ("DADKHAH_QUEUE_URL", "DADKHAH_CACHE_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(DEPLOY.parent / "dadkhah" / "settings.py"))


def test_queue_and_caches_stay_on_the_machine_by_default(monkeypatch, tmp_path):
    found = settings_module(monkeypatch, tmp_path)
    assert found["HUEY"]["huey_class"] == "huey.SqliteHuey"
    assert found["HUEY"]["filename"] == str(tmp_path / "tasks.sqlite3")
    assert found["CACHES"]["default"]["BACKEND"].endswith("LocMemCache")
    assert found["CACHES"]["campaign"]["BACKEND"].endswith("FileBasedCache")


def test_redis_urls_put_the_queue_and_the_caches_on_redis(monkeypatch, tmp_path):
    from huey import RedisHuey

    found = settings_module(
        monkeypatch,
        tmp_path,
        DADKHAH_QUEUE_URL="redis://10.0.0.5:6380/2",
        DADKHAH_CACHE_URL="rediss://cache.internal:6379/3",
    )
    queue = dict(found["HUEY"])
    assert queue.pop("huey_class") == "huey.RedisHuey" and "filename" not in queue
    queue.pop("consumer")
    # as huey.contrib.djhuey builds it; the connection pool connects on first use only
    huey = RedisHuey(queue.pop("name"), **queue)
    pool = huey.storage.pool
    assert pool.connection_kwargs["host"] == "10.0.0.5"
    assert (pool.connection_kwargs["port"], pool.connection_kwargs["db"]) == (6380, 2)
    assert huey.immediate is False
    caches = found["CACHES"]
    assert {alias: c["BACKEND"] for alias, c in caches.items()} == {
        "default": "django.core.cache.backends.redis.RedisCache",
        "campaign": "django.core.cache.backends.redis.RedisCache",
    }
    assert {c["LOCATION"] for c in caches.values()} == {"rediss://cache.internal:6379/3"}
    assert caches["default"]["KEY_PREFIX"] != caches["campaign"]["KEY_PREFIX"]
    assert not (tmp_path / "tasks.sqlite3").exists()


@pytest.mark.parametrize(
    "url",
    ["redis://127.0.0.1:6379/0", "redis://:secret@redis.internal", "rediss://h:6380/15",
     "unix:///run/redis/redis-server.sock?db=1", " redis://localhost/1 "],
)  # fmt: skip
def test_redis_urls_accepted(url, tmp_path):
    loaded = config.load({"DADKHAH_HOME": str(tmp_path), "DADKHAH_QUEUE_URL": url})
    assert loaded.queue_url == url.strip()


@pytest.mark.parametrize(
    "url",
    ["localhost:6379", "http://127.0.0.1:6379/0", "redis://127.0.0.1:6379/zero", "redis://",
     "redis://h:port/0", "unix://", "unix:///run/redis.sock?db=x"],
)  # fmt: skip
@pytest.mark.parametrize("env", ["DADKHAH_QUEUE_URL", "DADKHAH_CACHE_URL"])
def test_bad_redis_urls_are_refused_by_name(url, env, tmp_path):
    with pytest.raises(ValueError, match=f"^{env}=.*expected redis://host:port/db"):
        config.load({"DADKHAH_HOME": str(tmp_path), env: url})


def test_the_example_environment_names_only_real_settings():
    """Every variable of deploy/dadkhah.env.example (commented-out ones too) is a setting
    of the registry, or one that Django, gunicorn or boto3 reads."""
    known = {s.env for s in config.SETTINGS}
    known |= {"DJANGO_SETTINGS_MODULE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
    known |= {"AWS_DEFAULT_REGION"}
    text = (DEPLOY / "dadkhah.env.example").read_text(encoding="utf-8")
    commented = [
        line.lstrip("#") for line in text.splitlines() if line.startswith("#") and "=" in line
    ]
    names = set(read_env_file(DEPLOY / "dadkhah.env.example"))
    names |= {line.split("=", 1)[0] for line in commented if line.split("=", 1)[0].isupper()}
    assert names - known == set()
    # what production needs is set, and set for production
    example = read_env_file(DEPLOY / "dadkhah.env.example")
    assert example["DADKHAH_DEBUG"] == "0" and example["DADKHAH_HTTPS"] == "1"
    for name in ("DADKHAH_SECRET_KEY", "DATABASE_URL", "DADKHAH_QUEUE_URL", "DADKHAH_CACHE_URL"):
        assert example.get(name), f"{name} missing from the example"


def test_the_deploy_files_are_described_in_the_guide():
    guide = DOCS.read_text(encoding="utf-8")
    for path in sorted(p for p in DEPLOY.iterdir() if p.is_file()):
        assert f"deploy/{path.name}" in guide, f"docs/deploy.md does not mention deploy/{path.name}"


def test_nginx_accepts_what_the_site_accepts():
    """client_max_body_size is above DADKHAH_UPLOAD_MAX_MB, so the site (not nginx) names a
    file that is too large."""
    import re

    site = (DEPLOY / "nginx-dadkhah.conf").read_text(encoding="utf-8")
    body = re.search(r"client_max_body_size\s+(\d+)m;", site)
    assert body is not None
    upload = int(read_env_file(DEPLOY / "dadkhah.env.example")["DADKHAH_UPLOAD_MAX_MB"])
    assert upload < int(body.group(1)) <= upload + 64
    # the headers Django trusts are set by nginx, never passed on from the client
    assert "proxy_set_header X-Forwarded-Proto https;" in site
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in site


def test_dadkhah_run_gives_the_settings_of_the_file_and_nothing_else(tmp_path):
    """deploy/dadkhah-run: the env file as systemd reads it (comments, values with spaces),
    the caller's environment left out, the program from the virtual environment."""
    import getpass
    import os
    import subprocess
    import sys

    home = tmp_path / "home"
    home.mkdir()
    env_file = tmp_path / "dadkhah.env"
    env_file.write_text(
        "# a comment\n\n"
        f"DADKHAH_HOME={home}\n"
        "DADKHAH_MAIL_FROM=Dadkhah Archive <no-reply@archive.example.org>\n"
        "  # an indented comment\n",
        "utf-8",
    )
    caller = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DADKHAH_ENV_FILE": str(env_file),
        "DADKHAH_VENV": sys.prefix,
        "DADKHAH_USER": getpass.getuser(),
        "DADKHAH_SECRET_KEY": "from-the-caller",
    }
    code = (
        "import json, os; print(json.dumps([os.getcwd(), os.environ.get('DADKHAH_MAIL_FROM'), "
        "os.environ.get('DADKHAH_SECRET_KEY')]))"
    )
    done = subprocess.run(
        [str(DEPLOY / "dadkhah-run"), "python", "-c", code],
        env=caller, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    cwd, mail_from, secret = json.loads(done.stdout)
    assert (cwd, mail_from, secret) == (
        str(home),
        "Dadkhah Archive <no-reply@archive.example.org>",
        None,
    )
    missing = subprocess.run(
        [str(DEPLOY / "dadkhah-run"), "no-such-program"],
        env=caller, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert missing.returncode == 2 and "no program" in missing.stderr
