"""Load test of the campaign: gunicorn and PostgreSQL on loopback, on this machine.

Three measurements, in this order, against one server:

1. **Confirmation burst.** ``--burst`` signatures are made and their confirmation emails
   go through the real queue (huey) and SMTP into the local sink; the links are read
   from the sink's files. Then every link is confirmed at once (all requests in flight
   together), plus a second click on ``--burst // 10`` of them. Afterwards the public
   count must equal ``--burst`` exactly, within 15 s, and every signature must be
   counted once.
2. **Signing.** An open-loop load of ``--rate`` submissions per second for ``--duration``
   seconds (a new request starts on schedule whether or not earlier ones have answered,
   as real visitors do). Each submission is a POST of the sign form with its CSRF token
   and a solved proof-of-work challenge, from its own network address (sent through
   ``X-Forwarded-For`` by a trusted proxy on loopback, as behind a reverse proxy).
   Reported: p50/p95/p99 latency, statuses, and afterwards the number of pending
   signatures, which must equal the number of submissions.
3. **Cached reads.** ``wrk`` against ``count.json`` and the campaign page.

Proof of work: the bench lowers the difficulty (``DADKHAH_POW_MAX_NUMBER``, default
1000 here) so that one client process can solve 200 challenges a second; the server's
cost of checking an answer does not depend on the difficulty. Challenges are fetched
from the server's endpoint before the timed phase.

PostgreSQL runs with its default, durable settings (fsync and synchronous commit on).
Everything is synthetic: the campaign, the names and the example.org addresses.

    .venv/bin/python bench/campaign/load.py [--rate 200] [--duration 300] [--burst 2000]
        [--seed N] [--workers 3] [--threads 4] [--read-seconds 20] [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PY = str(ROOT / ".venv" / "bin" / "python")
PGBIN = Path(os.environ.get("PGBIN", "/usr/lib/postgresql/15/bin"))
SLUG = "bench-petition"
TARGET_RATE = 200
TARGET_P95_MS = 500.0
TARGET_READS = 2000.0
LAG_S = 15.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- servers -------------------------------------------------------------------------


class Servers:
    """PostgreSQL, the SMTP sink, the task consumer and gunicorn, stopped in reverse."""

    def __init__(self, work: Path, workers: int, threads: int) -> None:
        self.work = work
        self.home = work / "home"
        self.home.mkdir(parents=True, exist_ok=True)
        self.pgdata = work / "pg"
        self.pg_port = free_port()
        self.web_port = free_port()
        self.smtp_port = free_port()
        self.workers = workers
        self.threads = threads
        self.procs: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.as_pg: list[str] = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
        self.url = f"http://127.0.0.1:{self.web_port}"

    @property
    def database_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.pg_port}/dadkhah"

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DADKHAH_HOME=str(self.home),
            DATABASE_URL=self.database_url,
            DJANGO_SETTINGS_MODULE="dadkhah.settings",
            DADKHAH_POW_MAX_NUMBER=os.environ.get("DADKHAH_POW_MAX_NUMBER", "1000"),
            DADKHAH_TRUSTED_PROXIES="127.0.0.1/32",
            DADKHAH_SMTP_URL=f"smtp://127.0.0.1:{self.smtp_port}",
            DADKHAH_SITE_URL=self.url,
            PYTHONPATH=str(ROOT),
        )
        env.update(extra)
        return env

    def start_postgres(self) -> None:
        if not (PGBIN / "initdb").exists():
            sys.exit(f"PostgreSQL 15 is not installed ({PGBIN}/initdb missing)")
        self.pgdata.mkdir()
        if self.as_pg:
            shutil.chown(self.pgdata, "postgres")
            shutil.chown(self.work, "postgres")
        run = self.as_pg
        subprocess.run(
            [*run, str(PGBIN / "initdb"), "-D", str(self.pgdata), "-A", "trust", "-U", "postgres"]
            + ["-E", "UTF8", "--locale=C.UTF-8"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        options = f"-c listen_addresses=127.0.0.1 -p {self.pg_port} -k {self.pgdata} -c max_connections=200"
        subprocess.run(
            [*run, str(PGBIN / "pg_ctl"), "-D", str(self.pgdata), "-l", str(self.pgdata / "log")]
            + ["-w", "-o", options, "start"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        subprocess.run(
            [*run, str(PGBIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.pg_port)]
            + ["-U", "postgres", "dadkhah"],
            check=True,
        )

    def django(self, code: str) -> str:
        """Run ``code`` with Django set up against the bench's database; its stdout."""
        script = "import django; django.setup()\n" + code
        done = subprocess.run(
            [PY, "-c", script], env=self.env(), check=True, capture_output=True, text=True
        )
        return done.stdout

    def spawn(self, name: str, argv: list[str], **env: str) -> None:
        out = open(self.work / f"{name}.log", "wb")  # noqa: SIM115 (closed with the process)
        proc = subprocess.Popen(argv, env=self.env(**env), stdout=out, stderr=subprocess.STDOUT)
        self.procs.append((name, proc))

    def start_app(self) -> None:
        subprocess.run(
            [PY, "-m", "django", "migrate", "-v", "0"], env=self.env(), check=True, cwd=ROOT
        )
        # The task consumer and the sink run at the lowest priority, as deploy/ advises for
        # one machine: in a surge the web tier comes first and the queue drains after.
        low = ["nice", "-n", "19"]
        self.spawn(
            "mailsink",
            [*low, PY, "-m", "dadkhah", "campaign", "mailsink", "--port", str(self.smtp_port)],
        )
        self.spawn("huey", [*low, PY, "-m", "django", "run_huey", "--workers", "2"])
        self.spawn(
            "gunicorn",
            [PY, "-m", "gunicorn", "dadkhah.wsgi", "--bind", f"127.0.0.1:{self.web_port}"]
            + ["--workers", str(self.workers), "--threads", str(self.threads)]
            + ["--backlog", "2048", "--access-logfile", str(self.work / "access.log")]
            + ["--access-logformat", '%(s)s %(D)s "%(r)s"'],
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/campaigns/{SLUG}/count.json", timeout=2):
                    return
            except OSError:
                time.sleep(0.3)
        sys.exit("the server did not answer within 60 s; see " + str(self.work))

    def stop(self) -> None:
        for _name, proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for _name, proc in reversed(self.procs):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        if self.pgdata.exists():
            subprocess.run(
                [*self.as_pg, str(PGBIN / "pg_ctl"), "-D", str(self.pgdata), "-m", "fast"]
                + ["-w", "stop"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )


SEED_CAMPAIGN = f"""
from datetime import date, timedelta
from django.utils import timezone
from dadkhah.campaign.models import Campaign, CampaignText
c = Campaign.objects.create(
    slug={SLUG!r}, kind="petition", state="published", is_synthetic=True,
    target_label="UN High Commissioner for Human Rights",
    opens_at=timezone.now() - timedelta(days=1), closes_at=timezone.now() + timedelta(days=30),
    goal=100000, milestones=[1000, 10000, 50000],
    retention_until=date.today() + timedelta(days=365))
CampaignText.objects.create(campaign=c, language="en", title="Benchmark petition (synthetic)",
    summary="Synthetic.", body="A synthetic petition for the load benchmark.")
"""


# --- the client ------------------------------------------------------------------------

SIGN_PATH = f"/en/campaigns/{SLUG}/sign/"
CHALLENGE_PATH = "/campaigns/pow-challenge.json"
CONFIRM_RE = re.compile(r"https?://[^\s\"'<>]+/campaigns/confirm/([A-Za-z0-9_-]+)/")
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def solve(challenge: dict[str, Any]) -> str:
    """The browser's work: find the number, return the base64 payload the form sends."""
    import base64
    import hashlib

    salt, target = challenge["salt"], challenge["challenge"]
    for number in range(int(challenge["maxnumber"]) + 1):
        if hashlib.sha256(f"{salt}{number}".encode()).hexdigest() == target:
            answer = {k: challenge[k] for k in ("algorithm", "challenge", "salt", "signature")}
            answer["number"] = number
            return base64.b64encode(json.dumps(answer).encode()).decode()
    raise RuntimeError("unsolvable challenge")


def address(rng: random.Random) -> str:
    """A public-looking IPv4 address (no private, loopback or multicast ranges)."""
    while True:
        first = rng.randint(1, 223)
        if first not in (10, 127, 169, 172, 192, 100):
            return f"{first}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


class Visitor:
    """One browser: its own cookies and CSRF token."""

    def __init__(self, session: Any, csrf: str) -> None:
        self.session = session
        self.csrf = csrf


async def visitors(base: str, count: int) -> list[Visitor]:
    import aiohttp

    out = []
    for _ in range(count):
        session = aiohttp.ClientSession(
            base_url=base,
            cookie_jar=aiohttp.CookieJar(unsafe=True),  # cookies for 127.0.0.1, an IP host
            connector=aiohttp.TCPConnector(limit=0, force_close=False),
            timeout=aiohttp.ClientTimeout(total=60),
        )
        async with session.get(SIGN_PATH) as response:
            text = await response.text()
            found = CSRF_RE.search(text)
            if response.status != 200 or not found:
                raise SystemExit(f"the sign page answered {response.status} without a CSRF token")
        out.append(Visitor(session, found.group(1)))
    return out


async def challenges(people: list[Visitor], n: int) -> list[str]:
    """Fetch n challenges from the server (64 at a time) and solve them."""
    sem = asyncio.Semaphore(64)
    out: list[str] = []

    async def one(i: int) -> None:
        async with sem, people[i % len(people)].session.get(CHALLENGE_PATH) as response:
            data = await response.json()
        out.append(solve(data))

    await asyncio.gather(*(one(i) for i in range(n)))
    return out


def form(i: int, seed: int, who: Visitor, pow_answer: str, rng: random.Random) -> dict[str, str]:
    return {
        "csrfmiddlewaretoken": who.csrf,
        "name": f"Synthetic Signer {seed}-{i}",
        "email": f"signer.{seed}.{i}@example.org",
        "country": rng.choice(["DE", "SE", "FR", "GB", "CA", "US", "NL", "NO", "IR", "AU"]),
        "city": rng.choice(["Berlin", "Stockholm", "Paris", "London", "Toronto", ""]),
        "visibility": rng.choice(["private", "private", "public", "anonymous"]),
        "consent": "on",
        "pow": pow_answer,
    }


async def post(who: Visitor, path: str, data: dict[str, str], xff: str) -> int:
    async with who.session.post(
        path,
        data=data,
        headers={"X-Forwarded-For": xff},
        allow_redirects=False,
    ) as response:
        await response.read()
        return response.status


async def signing(
    base: str, rate: int, duration: int, seed: int, offset: int = 0, open_loop: bool = True
) -> dict[str, Any]:
    """``rate * duration`` submissions on schedule (open loop); latency from the scheduled
    start, so a server that falls behind is charged for the queue it builds."""
    rng = random.Random(seed)
    n = rate * duration
    people = await visitors(base, 32)
    log(f"fetching and solving {n:,} proof-of-work challenges")
    answers = await challenges(people, n)
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    errors: Counter[str] = Counter()

    async def one(i: int, at: float) -> None:
        who = people[i % len(people)]
        try:
            status = await post(
                who, SIGN_PATH, form(offset + i, seed, who, answers[i], rng), address(rng)
            )
            statuses[status] += 1
        except Exception as exc:  # noqa: BLE001 (counted and reported, never hidden)
            errors[type(exc).__name__] += 1
        latencies.append(loop.time() - at)

    log(f"signing: {n:,} submissions at {rate}/s" + (" (open loop)" if open_loop else ""))
    start = loop.time() + 0.5
    tasks = []
    for i in range(n):
        at = start + i / rate if open_loop else loop.time()
        delay = at - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, at)))
        if not open_loop and len(tasks) >= 64:
            await asyncio.gather(*tasks)
            tasks = []
    await asyncio.gather(*tasks)
    wall = loop.time() - start
    for who in people:
        await who.session.close()
    return {"n": n, "wall_s": wall, "latencies": latencies, "statuses": statuses, "errors": errors}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def tokens_in_sink(home: Path) -> dict[str, str]:
    """recipient → confirmation token, from the sink's .eml files (the newest per recipient)."""
    found: dict[str, tuple[float, str]] = {}
    for path in (home / "mail").glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        match = CONFIRM_RE.search(text)
        if match:
            when = path.stat().st_mtime
            to = str(message["To"])
            if to not in found or found[to][0] < when:
                found[to] = (when, match.group(1))
    return {to: token for to, (_, token) in found.items()}


async def burst(base: str, tokens: list[str], repeats: int) -> dict[str, Any]:
    """Every confirmation at once, and ``repeats`` of them a second time, all in flight."""
    people = await visitors(base, 16)
    loop = asyncio.get_running_loop()
    statuses: Counter[int] = Counter()
    latencies: list[float] = []

    async def one(i: int, token: str) -> None:
        who = people[i % len(people)]
        t0 = loop.time()
        path = f"/en/campaigns/confirm/{token}/"
        status = await post(who, path, {"csrfmiddlewaretoken": who.csrf}, "127.0.0.1")
        statuses[status] += 1
        latencies.append(loop.time() - t0)

    work = list(tokens) + tokens[:repeats]
    random.Random(len(work)).shuffle(work)
    t0 = loop.time()
    await asyncio.gather(*(one(i, token) for i, token in enumerate(work)))
    wall = loop.time() - t0
    for who in people:
        await who.session.close()
    return {"requests": len(work), "wall_s": wall, "statuses": statuses, "latencies": latencies}


def count_json(base: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{base}/campaigns/{SLUG}/count.json", timeout=10) as response:
        return dict(json.load(response))


def wrk(url: str, seconds: int) -> dict[str, Any]:
    """wrk's own report: requests per second, latency and non-2xx responses."""
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk)")
    done = subprocess.run(
        ["wrk", "-t2", "-c64", f"-d{seconds}s", "--latency", url],
        check=True,
        capture_output=True,
        text=True,
    )
    out = done.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    p99 = re.search(r"99%\s+([\d.]+\w+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": rps,
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "p99": p99.group(1) if p99 else "?",
        "socket_errors": errors.group(1) if errors else "none",
    }


DB_STATE = f"""
import json
from django.db.models import Count, Sum
from dadkhah.campaign.models import Signature, Tally
qs = Signature.objects.filter(campaign__slug={SLUG!r})
print(json.dumps({{
    "by_state": dict(qs.values_list("state").annotate(n=Count("id")).values_list("state", "n")),
    "counted": qs.filter(counted_at__isnull=False).count(),
    "distinct_emails": qs.values("email_normalized").distinct().count(),
    "tally_signed": Tally.objects.filter(campaign__slug={SLUG!r}).aggregate(s=Sum("signed"))["s"] or 0,
}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=int, default=TARGET_RATE)
    parser.add_argument("--duration", type=int, default=300)
    parser.add_argument("--burst", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")
    parser.add_argument("--read-seconds", type=int, default=20)
    parser.add_argument(
        "--drain-wait",
        type=int,
        default=900,
        help="seconds to wait for every email after the surge",
    )
    parser.add_argument("--keep", type=Path, default=None, help="keep the work directory here")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(10**6)
    log(f"seed {seed}; {os.cpu_count()} cores; rate {args.rate}/s for {args.duration} s")
    work = args.keep or Path(tempfile.mkdtemp(prefix="dadkhah-campaign-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    servers = Servers(work, args.workers, args.threads)
    report: dict[str, Any] = {"seed": seed, "rate": args.rate, "duration_s": args.duration}
    try:
        servers.start_postgres()
        subprocess.run(
            [PY, "-m", "django", "migrate", "-v", "0"], env=servers.env(), check=True, cwd=ROOT
        )
        servers.django(SEED_CAMPAIGN)
        servers.start_app()
        log(
            f"gunicorn {args.workers}×{args.threads} on {servers.url}, PostgreSQL on :{servers.pg_port}"
        )

        # 1. The confirmation burst.
        if args.burst:
            made = asyncio.run(
                signing(servers.url, args.burst, 1, seed + 1, offset=10**7, open_loop=False)
            )
            bad = {s: n for s, n in made["statuses"].items() if s >= 400}
            if bad or made["errors"]:
                sys.exit(f"making the burst's signatures failed: {bad} {dict(made['errors'])}")
            log("waiting for the confirmation emails in the sink")
            deadline = time.monotonic() + 600
            while True:
                tokens = tokens_in_sink(servers.home)
                if len(tokens) >= args.burst or time.monotonic() > deadline:
                    break
                time.sleep(1)
            mail_s = 600 - (deadline - time.monotonic())
            log(f"{len(tokens):,} emails arrived in {mail_s:.1f} s")
            before = count_json(servers.url)["signed"]
            result = asyncio.run(burst(servers.url, list(tokens.values()), args.burst // 10))
            done_at = time.monotonic()
            seen: list[tuple[float, int]] = []
            while time.monotonic() - done_at < LAG_S + 5:
                signed = count_json(servers.url)["signed"]
                seen.append((time.monotonic() - done_at, signed))
                if signed - before >= len(tokens):
                    break
                time.sleep(0.5)
            time.sleep(2)  # a late double count would show here
            final = count_json(servers.url)["signed"] - before
            state = json.loads(servers.django(DB_STATE))
            report["burst"] = {
                "confirmations": len(tokens),
                "requests": result["requests"],
                "wall_s": round(result["wall_s"], 2),
                "statuses": dict(result["statuses"]),
                "p95_ms": round(1000 * percentile(result["latencies"], 0.95), 1),
                "count_after": final,
                "count_reached_s": round(seen[-1][0], 1) if seen else None,
                "monotone": all(a[1] <= b[1] for a, b in zip(seen, seen[1:], strict=False)),
                "db": state,
                "emails_s": round(mail_s, 1),
            }
            log(f"burst: {report['burst']}")

        # 2. Signing under load.
        before_state = json.loads(servers.django(DB_STATE))
        run = asyncio.run(signing(servers.url, args.rate, args.duration, seed))
        time.sleep(1)
        after_state = json.loads(servers.django(DB_STATE))
        pending = after_state["by_state"].get("pending", 0) - before_state["by_state"].get(
            "pending", 0
        )
        lat = run["latencies"]
        report["signing"] = {
            "submissions": run["n"],
            "wall_s": round(run["wall_s"], 1),
            "achieved_per_s": round(run["n"] / run["wall_s"], 1),
            "p50_ms": round(1000 * statistics.median(lat), 1),
            "p95_ms": round(1000 * percentile(lat, 0.95), 1),
            "p99_ms": round(1000 * percentile(lat, 0.99), 1),
            "max_ms": round(1000 * max(lat), 1),
            "statuses": dict(run["statuses"]),
            "errors": dict(run["errors"]),
            "new_pending": pending,
            "distinct_emails": after_state["distinct_emails"],
        }
        log(f"signing: {report['signing']}")

        # The confirmation emails of the surge, drained by the consumer after it.
        expected = after_state["distinct_emails"]
        t0 = time.monotonic()
        delivered = 0
        while time.monotonic() - t0 < args.drain_wait:
            delivered = sum(1 for e in os.scandir(servers.home / "mail") if e.name.endswith(".eml"))
            if delivered >= expected:
                break
            time.sleep(5)
        drained = time.monotonic() - t0
        report["emails"] = {
            "expected": expected,
            "delivered": delivered,
            "after_surge_s": round(drained, 1),
            "all_delivered": delivered >= expected,
        }
        log(f"emails: {report['emails']}")

        # 3. Cached reads.
        report["reads"] = {
            "count.json": wrk(f"{servers.url}/campaigns/{SLUG}/count.json", args.read_seconds),
            "page": wrk(f"{servers.url}/en/campaigns/{SLUG}/", args.read_seconds),
        }
        log(f"reads: {report['reads']}")
    finally:
        servers.stop()
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)

    s = report["signing"]
    checks = {
        f"≥ {TARGET_RATE} submissions/s": s["achieved_per_s"] >= TARGET_RATE * 0.99,
        f"p95 ≤ {TARGET_P95_MS:.0f} ms": s["p95_ms"] <= TARGET_P95_MS,
        "no 5xx, no failed request": not any(k >= 500 for k in s["statuses"]) and not s["errors"],
        "one pending signature per submission": s["new_pending"] == s["submissions"],
        f"cached reads ≥ {TARGET_READS:.0f}/s": all(
            r["rps"] >= TARGET_READS and not r["non_2xx"] for r in report["reads"].values()
        ),
    }
    if "burst" in report:
        b = report["burst"]
        checks["burst counted exactly once"] = (
            b["count_after"] == b["confirmations"] and b["db"]["tally_signed"] == b["db"]["counted"]
        )
        checks[f"count within {LAG_S:.0f} s, never lower"] = bool(
            b["count_reached_s"] is not None and b["count_reached_s"] <= LAG_S and b["monotone"]
        )
    print(json.dumps(report, indent=1, default=str))
    for name, ok in checks.items():
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    sys.exit(0 if all(checks.values()) else 1)


if __name__ == "__main__":
    main()
