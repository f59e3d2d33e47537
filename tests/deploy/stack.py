"""The production configuration on loopback, for the deployment smoke test.

PostgreSQL, Redis (Debian's redis-server) and an S3 server (moto's) run as processes of
their own, as they would on other machines; then gunicorn (with deploy/gunicorn.conf.py)
and the task consumer run with the production settings, read from
deploy/dadkhah.env.example with this machine's addresses put in. Every process started here
is stopped, and every directory removed, when the ``with`` block ends, failed or not.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.conftest import require_tool
from tests.ports import free_port

__all__ = [
    "BUCKET",
    "DEPLOY",
    "HOST",
    "Service",
    "database",
    "free_port",
    "moto_s3",
    "read_env_file",
    "redis_server",
    "require_tools",
    "s3_client",
    "spawn",
]

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
PGBIN = Path(os.environ.get("PGBIN", "/usr/lib/postgresql/15/bin"))
#: The public host name of deploy/dadkhah.env.example; requests carry it as nginx passes it.
HOST = "archive.example.org"
BUCKET = "dadkhah-evidence"
#: Credentials of the S3 server in tests (moto accepts any).
AWS = {
    "AWS_ACCESS_KEY_ID": "synthetic-smoke-key",
    "AWS_SECRET_ACCESS_KEY": "synthetic-smoke-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
}
START_SECONDS = 180


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=value lines as systemd's EnvironmentFile= reads them (no quotes used here)."""
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        key, sep, value = text.partition("=")
        if not sep or not key.strip().isidentifier():
            raise ValueError(f"{path}, line {number}: expected KEY=value, got {line!r}")
        values[key.strip()] = value.strip()
    return values


@dataclass
class Service:
    """A process of the stack, in a session of its own (its children are stopped with it)."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def tail(self, lines: int = 60) -> str:
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, sig: int = signal.SIGTERM, wait: float = 20) -> None:
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=wait)
        # whatever is left of the session (a worker that outlived its master)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=5)

    def wait_until(
        self, ready: Callable[[], bool], what: str, timeout: float = START_SECONDS
    ) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(
                    f"{self.name} exited ({self.popen.returncode}) before {what}:\n{self.tail()}"
                )
            with contextlib.suppress(OSError, http.client.HTTPException):
                if ready():
                    return
            time.sleep(0.2)
        raise RuntimeError(f"{self.name}: no {what} after {timeout:.0f} s:\n{self.tail()}")


@contextlib.contextmanager
def spawn(name: str, argv: list[str], env: dict[str, str], logs: Path) -> Iterator[Service]:
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{name.replace(' ', '-')}.log"
    with log.open("wb") as out:
        popen = subprocess.Popen(
            argv, env=env, cwd=logs, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    service = Service(name, popen, log)
    try:
        yield service
    finally:
        service.stop()


def _listening(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=1):
        return True


@contextlib.contextmanager
def redis_server(base: Path, env: dict[str, str]) -> Iterator[int]:
    """Debian's redis-server on 127.0.0.1, nothing written to disk; yields its port."""
    binary = require_tool("redis-server")
    port = free_port()
    work = base / "redis"
    work.mkdir()
    argv = [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly"]
    argv += ["no", "--dir", str(work), "--protected-mode", "yes"]
    with spawn("redis-server", argv, env, base / "logs") as service:

        def pong() -> bool:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")

        service.wait_until(pong, "PONG")
        yield port


@contextlib.contextmanager
def moto_s3(base: Path, env: dict[str, str]) -> Iterator[str]:
    """moto's S3 server (a dev dependency) on 127.0.0.1 with the bucket made; yields its URL."""
    port = free_port()
    argv = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    with spawn("s3 server", argv, env, base / "logs") as service:
        service.wait_until(lambda: _listening(port), "listening socket")
        endpoint = f"http://127.0.0.1:{port}"
        s3_client(endpoint).create_bucket(Bucket=BUCKET)
        yield endpoint


def s3_client(endpoint: str) -> Any:
    """A boto3 client of the test S3 server (with the test's credentials, not the caller's)."""
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=AWS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=AWS["AWS_SECRET_ACCESS_KEY"],
        region_name=AWS["AWS_DEFAULT_REGION"],
    )


def _suite_on_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def require_tools() -> None:
    """redis-server, and PostgreSQL's server unless the suite runs on one already."""
    require_tool("redis-server")
    if not _suite_on_postgres():
        require_tool("initdb", str(PGBIN / "initdb"))


@contextlib.contextmanager
def database() -> Iterator[str]:
    """A PostgreSQL database of its own; yields its URL.

    When the suite itself runs on PostgreSQL (DATABASE_URL), a new database on that server,
    dropped after; otherwise a throwaway server on loopback, as scripts/postgres.sh starts.
    """
    if _suite_on_postgres():
        with _database_on(os.environ["DATABASE_URL"]) as url:
            yield url
    else:
        with _own_server() as url:
            yield url


@contextlib.contextmanager
def _database_on(server_url: str) -> Iterator[str]:
    import psycopg

    name = f"dadkhah_smoke_{secrets.token_hex(4)}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlsplit(server_url)._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def _own_server() -> Iterator[str]:
    initdb = require_tool("initdb", str(PGBIN / "initdb"))
    pg_ctl = str(PGBIN / "pg_ctl")
    # Under /tmp, not pytest's private tmp_path: as root the server runs as user postgres.
    data = Path(tempfile.mkdtemp(prefix="dadkhah-smoke-pg-"))
    as_pg: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(data, "postgres")
        as_pg = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -k {data} "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    )

    def run(*argv: str) -> None:
        subprocess.run([*as_pg, *argv], check=True, capture_output=True, timeout=120)

    try:
        run(initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
            "--locale=C.UTF-8", "--no-sync")  # fmt: skip
        run(pg_ctl, "-D", str(data), "-l", str(data / "server.log"), "-w", "-o", options, "start")
        run(
            str(PGBIN / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "dadkhah"
        )
        yield f"postgres://postgres@127.0.0.1:{port}/dadkhah"
    finally:
        stopped = subprocess.run(
            [*as_pg, pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"],
            capture_output=True,
            timeout=60,
        )
        pidfile = data / "postmaster.pid"
        if stopped.returncode != 0 and pidfile.exists():  # never leave a server behind
            with contextlib.suppress(ValueError, ProcessLookupError):
                os.kill(int(pidfile.read_text().split()[0]), signal.SIGKILL)
        shutil.rmtree(data, ignore_errors=True)
