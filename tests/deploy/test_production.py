"""The production configuration, started on loopback and checked over HTTP (docs/deploy.md).

PostgreSQL, Redis and an S3 server run as processes of their own; the settings are those of
deploy/dadkhah.env.example (DADKHAH_DEBUG=0, DADKHAH_HTTPS=1, the queue and the caches on
Redis) with the blobs in S3; gunicorn runs with deploy/gunicorn.conf.py and the task
consumer is ``python -m django run_huey``, as the systemd units in deploy/ start them.
Requests carry what nginx (deploy/nginx-dadkhah.conf) sets: the Host, X-Forwarded-Proto and
X-Forwarded-For. One test, so that the stack starts once whatever the number of workers.
"""

from __future__ import annotations

import contextlib
import getpass
import gzip
import http.client
import json
import os
import random
import re
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.deploy import stack

pytestmark = pytest.mark.deploy

SEED = int(os.environ.get("DADKHAH_SMOKE_SEED", random.SystemRandom().randrange(2**32)))
PROXY = {"Host": stack.HOST, "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
POLL_SECONDS = 240  # each wait; a hang guard on a loaded machine, not a speed check
RUN = stack.DEPLOY / "dadkhah-run"


@dataclass(frozen=True)
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


@dataclass
class Site:
    port: int
    env: dict[str, str]
    database_url: str
    redis_port: int
    s3_endpoint: str
    home: Path
    web: stack.Service
    consumer: stack.Service

    def get(self, path: str, headers: dict[str, str] | None = None) -> Response:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("GET", path, headers=PROXY if headers is None else headers)
            answer = conn.getresponse()
            return Response(answer.status, answer.headers, answer.read())
        finally:
            conn.close()

    def run(self, *argv: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return run(self.env, *argv, timeout=timeout)

    def logs(self) -> str:
        return f"-- gunicorn:\n{self.web.tail()}\n-- task consumer:\n{self.consumer.tail()}"


def production_env(
    base: Path, database_url: str, redis_port: int, s3_endpoint: str
) -> dict[str, str]:
    """deploy/dadkhah.env.example, with this machine's addresses and a fresh secret."""
    example = stack.read_env_file(stack.DEPLOY / "dadkhah.env.example")
    env = {
        **example,
        **stack.AWS,
        "DADKHAH_HOME": str(base / "home"),
        "DADKHAH_SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": database_url,
        "DADKHAH_QUEUE_URL": f"redis://127.0.0.1:{redis_port}/0",
        "DADKHAH_CACHE_URL": f"redis://127.0.0.1:{redis_port}/1",
        "DADKHAH_BLOBS": f"s3://{stack.BUCKET}/archive",
        "DADKHAH_S3_ENDPOINT": s3_endpoint,
        # Nothing listens there: no mail is sent in this test.
        "DADKHAH_SMTP_URL": f"smtp://127.0.0.1:{stack.free_port()}",
    }
    assert "CHANGE-ME" not in "".join(env.values()), "a placeholder of the example is left"
    return env


def launcher(env_file: Path) -> dict[str, str]:
    """What deploy/dadkhah-run needs to run programs of this virtual environment, as this
    user, with the settings of ``env_file`` (and nothing else of the test's environment)."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DADKHAH_ENV_FILE": str(env_file),
        "DADKHAH_VENV": sys.prefix,
        "DADKHAH_USER": getpass.getuser(),
    }


def run(env: dict[str, str], *argv: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """A program on an app server, started as an administrator would (deploy/dadkhah-run)."""
    return subprocess.run(
        [str(RUN), *argv], env=env, capture_output=True, text=True, timeout=timeout
    )


def step(env: dict[str, str], name: str, *argv: str, timeout: float = 300) -> str:
    """Run a program that must succeed; say how long it took."""
    started = time.monotonic()
    done = run(env, *argv, timeout=timeout)
    assert done.returncode == 0, f"{name}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    print(f"{name}: {time.monotonic() - started:.1f} s")  # noqa: T201 (timings, for the docs)
    return done.stdout


@contextlib.contextmanager
def production(base: Path) -> Iterator[Site]:
    stack.require_tools()  # skip (or fail under DADKHAH_REQUIRE_ALL=1) before starting anything
    plain = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", **stack.AWS}
    with (
        stack.database() as database_url,
        stack.redis_server(base, plain) as redis_port,
        stack.moto_s3(base, plain) as s3_endpoint,
    ):
        settings = production_env(base, database_url, redis_port, s3_endpoint)
        env_file = base / "dadkhah.env"
        env_file.write_text("".join(f"{k}={v}\n" for k, v in settings.items()), "utf-8")
        env = launcher(env_file)
        home = Path(settings["DADKHAH_HOME"])
        home.mkdir(mode=0o700)
        # The deployment's steps (docs/deploy.md): schema, static files, the first account.
        step(env, "migrate", "python", "-m", "django", "migrate", "--noinput")
        step(env, "collectstatic", "python", "-m", "django", "collectstatic", "--noinput")
        step(env, "createuser", "dadkhah", "createuser", "admin", "--role", "administrator",
             "--password", secrets.token_urlsafe(16))  # fmt: skip
        # The two services, as deploy/dadkhah-web.service and dadkhah-tasks.service start them.
        port = stack.free_port()
        gunicorn = [str(RUN), "gunicorn", "-c", str(stack.DEPLOY / "gunicorn.conf.py")]
        gunicorn += ["--bind", f"127.0.0.1:{port}", "--workers", "2"]
        consumer = [str(RUN), "python", "-m", "django", "run_huey", "--workers", "2"]
        consumer += ["--worker-type", "thread"]
        logs = base / "logs"
        with (
            stack.spawn("gunicorn", gunicorn, env, logs) as web,
            stack.spawn("task consumer", consumer, env, logs) as tasks,
        ):
            site = Site(port, env, database_url, redis_port, s3_endpoint, home, web, tasks)
            started = time.monotonic()
            web.wait_until(lambda: site.get("/en/").status == 200, "answer to /en/")
            print(f"gunicorn up: {time.monotonic() - started:.1f} s")  # noqa: T201
            yield site


def test_the_production_configuration_serves_and_works() -> None:
    print(f"seed {SEED}")  # noqa: T201 (DADKHAH_SMOKE_SEED replays it)
    rng = random.Random(SEED)
    # Removed at the end whatever happens (logs are added to a failure's message).
    with (
        tempfile.TemporaryDirectory(prefix="dadkhah-smoke-", ignore_cleanup_errors=True) as tmp,
        production(Path(tmp)) as site,
    ):
        try:
            check_pages(site)
            check_evidence_path(site, rng)
            check_campaign_count(site)
            check_deploy_checks(site)
            report_memory(site)
        except Exception as exc:
            exc.add_note(site.logs())
            raise
        assert site.web.alive() and site.consumer.alive(), site.logs()


def check_pages(site: Site) -> None:
    # The memorial in both languages, the staff login, the API's documentation.
    for path in ("/en/", "/fa/", "/en/victims/", "/en/about/", "/accounts/login/", "/api/docs"):
        got = site.get(path)
        assert got.status == 200, f"GET {path}: {got.status}\n{got.text[:2000]}"
    home = site.get("/en/")
    assert "Content-Security-Policy" in home.headers, "no CSP header"
    assert "max-age=" in home.headers.get("Strict-Transport-Security", ""), "no HSTS over HTTPS"
    login = site.get("/accounts/login/")
    cookies = login.headers.get_all("Set-Cookie") or []
    assert cookies and all("Secure" in c for c in cookies), f"cookies not Secure: {cookies}"
    schema = json.loads(site.get("/api/openapi.json").body)
    assert schema["openapi"].startswith("3."), schema.get("openapi")

    # A static file named by the page itself, served by whitenoise (compressed on request).
    links = re.findall(r'(?:href|src)="(/static/[^"?#]+\.(?:css|js))"', home.text)
    assert links, "the home page links no static CSS or JS"
    plain = site.get(links[0])
    assert plain.status == 200 and plain.body, f"GET {links[0]}: {plain.status}"
    zipped = site.get(links[0], {**PROXY, "Accept-Encoding": "gzip"})
    assert zipped.status == 200 and zipped.headers.get("Content-Encoding") == "gzip"
    assert gzip.decompress(zipped.body) == plain.body

    # Plain HTTP is sent to HTTPS; a host that is not ours is refused; no debug pages.
    insecure = site.get("/en/about/", {"Host": stack.HOST})
    assert insecure.status == 301, insecure.status
    assert insecure.headers["Location"] == f"https://{stack.HOST}/en/about/"
    assert site.get("/en/", {**PROXY, "Host": "evil.example"}).status == 400
    missing = site.get("/en/no-such-page-at-all/")
    assert missing.status == 404 and "DEBUG = True" not in missing.text


def check_evidence_path(site: Site, rng: random.Random) -> None:
    """Ingest through the CLI: the original lands in S3, the consumer on Redis extracts and
    indexes it, and `dadkhah verify` passes."""
    import psycopg

    marker = "smoketest" + "".join(rng.choice("bcdfghjklmnpqrstvwxz") for _ in range(10))
    note = site.home.parent / "affidavit.txt"
    note.write_text(f"Testimony {marker}: synthetic, for the deployment test.\n", "utf-8")
    out = step(site.env, "ingest", "dadkhah", "ingest", str(note))
    item = json.loads(out.strip().splitlines()[-1])
    digest = item["sha256"].removeprefix("sha256:")

    s3 = stack.s3_client(site.s3_endpoint)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=stack.BUCKET).get("Contents", [])]
    stored = [k for k in keys if k.endswith(digest)]
    assert stored and stored[0].startswith("archive/"), f"{digest} not in S3: {keys}"
    body = s3.get_object(Bucket=stack.BUCKET, Key=stored[0])["Body"].read()
    assert body == note.read_bytes()
    assert not any((site.home / "blobs").rglob(digest)), "the original was kept on local disk"

    started = time.monotonic()
    status = ""
    with psycopg.connect(site.database_url, autocommit=True) as conn:
        while time.monotonic() - started < POLL_SECONDS:
            row = conn.execute(
                "SELECT extraction_status, extraction_error FROM vault_item WHERE sha256 = %s",
                (item["sha256"],),
            ).fetchone()
            assert row is not None, f"no item {item['sha256']} in the database"
            status = row[0]
            if status in ("done", "failed", "skipped"):
                break
            time.sleep(0.5)
    assert status == "done", f"extraction: {status!r} after {POLL_SECONDS} s ({row[1]})"
    print(f"extraction by the consumer: {time.monotonic() - started:.1f} s")  # noqa: T201
    # The queue was Redis's: no SQLite queue was ever made under DADKHAH_HOME.
    assert not list(site.home.glob("tasks*.sqlite3")), list(site.home.glob("tasks*"))
    # The derivative (the extracted text) went to S3 too.
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=stack.BUCKET).get("Contents", [])]
    assert len(keys) >= 2, keys

    found: list[dict[str, object]] = []
    started = time.monotonic()
    while time.monotonic() - started < POLL_SECONDS and not found:  # indexing is a task too
        out = step(site.env, "search", "dadkhah", "search", marker, "--json", "--level", "internal")
        found = [json.loads(line) for line in out.splitlines() if line.strip()]
        time.sleep(0 if found else 0.5)
    assert found and found[0]["kind"] == "page", f"search for {marker}: {found}"

    verified = site.run("dadkhah", "verify", "--json")
    assert verified.returncode == 0, (
        f"verify: {verified.returncode}\n{verified.stdout}\n{verified.stderr}"
    )


def check_campaign_count(site: Site) -> None:
    """count.json of a published campaign, answered through the cache on Redis."""
    import importlib.util

    from django.urls import NoReverseMatch, reverse

    try:
        reverse("campaign_root:count", args=["x"])
    except NoReverseMatch:
        pytest.fail("the campaign's count.json has no URL")
    if importlib.util.find_spec("dadkhah.campaign.demo") is None:
        pytest.fail("dadkhah.campaign.demo is gone: make a campaign another way here")
    code = (
        "from dadkhah.campaign.demo import ensure_demo_campaigns, PETITION_SLUG\n"
        "ensure_demo_campaigns(); print(PETITION_SLUG)"
    )
    slug = step(site.env, "demo campaigns", "python", "-m", "django", "shell", "-c", code)
    slug = slug.strip().splitlines()[-1]
    got = site.get(f"/campaigns/{slug}/count.json")
    assert got.status == 200, f"count.json: {got.status} {got.text[:500]}"
    count = json.loads(got.body)
    assert count["campaign"] == slug and count["signed"] == 0, count
    import redis

    cache = redis.Redis(host="127.0.0.1", port=site.redis_port, db=1)
    stored = [k.decode() for k in cache.scan_iter(match="dadkhah-campaign:*")]
    assert stored, f"nothing in the campaign cache on Redis: {list(cache.scan_iter())}"


def check_deploy_checks(site: Site) -> None:
    """Django's deployment checks in the production environment."""
    done = site.run("python", "-m", "django", "check", "--deploy", timeout=120)
    assert done.returncode == 0, f"check --deploy: {done.returncode}\n{done.stdout}{done.stderr}"
    warnings = re.findall(r"^\?: \((security\.\w+)\)", done.stdout + done.stderr, re.M)
    print(f"check --deploy warnings: {warnings or 'none'}")  # noqa: T201
    assert warnings == [], f"deployment check warnings:\n{done.stdout}{done.stderr}"


def report_memory(site: Site) -> None:
    """Resident memory of gunicorn's workers and of the consumer (for docs/deploy.md)."""

    def rss(pid: int) -> int | None:
        """MiB resident; None for a process that has exited or is exiting (a zombie has no
        VmRSS line): gunicorn's master may have a short-lived child besides its workers."""
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except FileNotFoundError:
            return None
        found = re.search(r"VmRSS:\s+(\d+)", status)
        return int(found.group(1)) // 1024 if found else None

    children = Path(f"/proc/{site.web.popen.pid}/task/{site.web.popen.pid}/children")
    workers = [m for m in (rss(int(p)) for p in children.read_text().split()) if m is not None]
    print(  # noqa: T201
        f"resident MiB: gunicorn master {rss(site.web.popen.pid)}, workers "
        f"{workers}, task consumer {rss(site.consumer.popen.pid)}"
    )
