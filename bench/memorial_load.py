"""Load test of the public memorial: 30,000 published victims, 50 clients, gunicorn, SQLite.

Seeds a throwaway ``DADKHAH_HOME`` with N SYNTHETIC victims (invented names, every record
and source flagged synthetic) through the app's own code paths: the case file goes through
``records.io.import_file`` (the checks, projections and history of the staff UI), each
victim is published by ``memorial.publication.publish`` (which builds its index row with
``memorial.browse.refresh``). Then gunicorn serves it on loopback (2 workers, 4 threads,
as ``dadkhah serve``) and locust, headless, runs 50 clients for ``--duration`` seconds
against victim pages and searches (by name in both scripts, by city, by facet filters),
in English and Persian. Server time is read from gunicorn's access log (``%(D)s``, the
time the worker spent on the request), so the client's own overhead is not counted.

    .venv/bin/python bench/memorial_load.py [--victims 30000] [--seed N] [--duration 60]
        [--users 50] [--home DIR]

``--home DIR`` keeps the seeded home in DIR and reuses it when run again with the same
victims and seed (seeding 30,000 victims takes a while). locust is a benchmark tool, not a
dependency of the project: ``uv pip install locust`` into the venv first. This file is
also the locustfile: locust imports it and finds ``MemorialVisitor``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CHUNK = 2_000  # victims per bulk write
IMPORTED = 300  # victims that go through the import itself
TARGET_P95_MS = 100.0

GIVEN = [
    ("Bahram", "بهرام"), ("Parvin", "پروین"), ("Kamran", "کامران"), ("Nasrin", "نسرین"),
    ("Davood", "داوود"), ("Maryam", "مریم"), ("Reza", "رضا"), ("Zahra", "زهرا"),
    ("Ali", "علی"), ("Fatemeh", "فاطمه"), ("Hossein", "حسین"), ("Shirin", "شیرین"),
    ("Mehdi", "مهدی"), ("Mahmoud", "محمود"), ("Ashraf", "اشرف"), ("Farhad", "فرهاد"),
    ("Soheila", "سهیلا"), ("Jamshid", "جمشید"), ("Manijeh", "منیژه"), ("Hamid", "حمید"),
    ("Akbar", "اکبر"), ("Roya", "رویا"), ("Siamak", "سیامک"), ("Mojgan", "مژگان"),
    ("Nader", "نادر"), ("Fereshteh", "فرشته"), ("Saeed", "سعید"), ("Mahin", "مهین"),
]  # fmt: skip
FAMILY = [
    ("Sadeghpour", "صادق‌پور"), ("Alizadeh", "علیزاده"), ("Rostami", "رستمی"),
    ("Jafari", "جعفری"), ("Moradi", "مرادی"), ("Ahmadi", "احمدی"), ("Karimi", "کریمی"),
    ("Rahimi", "رحیمی"), ("Sadeghi", "صادقی"), ("Hosseini", "حسینی"), ("Tehrani", "تهرانی"),
    ("Mohammadi", "محمدی"), ("Rezaei", "رضایی"), ("Kazemi", "کاظمی"), ("Ghorbani", "قربانی"),
    ("Najafi", "نجفی"), ("Soltani", "سلطانی"), ("Bagheri", "باقری"), ("Heydari", "حیدری"),
    ("Ebrahimi", "ابراهیمی"), ("Yazdani", "یزدانی"), ("Shirazi", "شیرازی"), ("Amini", "امینی"),
    ("Farahani", "فراهانی"), ("Zamani", "زمانی"), ("Nouri", "نوری"), ("Asadi", "اسدی"),
    ("Khosravi", "خسروی"), ("Mousavi", "موسوی"), ("Taheri", "طاهری"), ("Golzar", "گلزار"),
    ("Eskandari", "اسکندری"), ("Mirzaei", "میرزایی"), ("Abbasi", "عباسی"), ("Safavi", "صفوی"),
    ("Vaziri", "وزیری"), ("Shafiei", "شفیعی"), ("Daneshvar", "دانشور"), ("Parsa", "پارسا"),
    ("Hashemi", "هاشمی"),
]  # fmt: skip
CITIES = [
    ("Tehran", "تهران"), ("Tabriz", "تبریز"), ("Mashhad", "مشهد"), ("Isfahan", "اصفهان"),
    ("Shiraz", "شیراز"), ("Rasht", "رشت"), ("Karaj", "کرج"), ("Ahvaz", "اهواز"),
    ("Kermanshah", "کرمانشاه"), ("Hamadan", "همدان"), ("Qazvin", "قزوین"), ("Babol", "بابل"),
    ("Sari", "ساری"), ("Lahijan", "لاهیجان"), ("Urmia", "ارومیه"), ("Zanjan", "زنجان"),
    ("Arak", "اراک"), ("Kerman", "کرمان"), ("Yazd", "یزد"), ("Sanandaj", "سنندج"),
]  # fmt: skip
PRISONS = [
    ("Evin Prison", "زندان اوین"), ("Gohardasht Prison", "زندان گوهردشت"),
    ("Vakilabad Prison", "زندان وکیل‌آباد"), ("Adelabad Prison", "زندان عادل‌آباد"),
    ("Tabriz Prison", "زندان تبریز"), ("Lakan Prison", "زندان لاکان"),
    ("Dizelabad Prison", "زندان دیزل‌آباد"), ("Karun Prison", "زندان کارون"),
]  # fmt: skip
AFFILIATIONS = ["pmoi"] * 6 + ["tudeh", "fadaiyan_majority", "fadaiyan_minority", "peykar"]
AFFILIATIONS += ["rah_e_kargar", "komala", "kdpi", "other_left"]
OCCUPATIONS = ["student", "teacher", "worker", "nurse", "engineer", "clerk", "mechanic"]
MORDAD_SHAHRIVAR = [(5, d) for d in range(1, 32)] + [(6, d) for d in range(1, 32)]


# --------------------------------------------------------------------------- seeding


def _claim(record: str, prop: str, value: Any, page: int) -> dict[str, Any]:
    return {
        "kind": "claim",
        "record": record,
        "prop": prop,
        "value": value,
        "source": "src-bench-memorial",
        "page": str(page),
    }


def _header_rows() -> list[dict[str, Any]]:
    """The synthetic source and the places (cities and prisons) every victim refers to."""
    rows: list[dict[str, Any]] = [
        {
            "kind": "source",
            "id": "src-bench-memorial",
            "source_kind": "list",
            "title": "Synthetic benchmark list of victims",
            "citation": "Synthetic list written by bench/memorial_load.py; no real person.",
            "reliability": "C",
            "confidentiality": "public",
            "synthetic": True,
        }
    ]
    for kind, places in (("city", CITIES), ("prison", PRISONS)):
        for i, (en, fa) in enumerate(places):
            uid = f"place-bench-{kind}-{i:02d}"
            rows.append(
                {"kind": "place", "id": uid, "confidentiality": "public", "synthetic": True}
            )
            record = f"place:{uid}"
            rows += [_claim(record, "name", en, 1), _claim(record, "name", fa, 1)]
            rows.append(_claim(record, "place_type", kind, 1))
    return rows


def victim_rows(i: int, rng: random.Random) -> list[dict[str, Any]]:
    """One synthetic victim: person, execution event, participation and their claims."""
    person, event, link = f"person-bench-{i:06d}", f"event-bench-{i:06d}", f"part-bench-{i:06d}"
    given, family = rng.choice(GIVEN), rng.choice(FAMILY)
    page = 1 + i // 40
    rows: list[dict[str, Any]] = [
        {"kind": kind, "id": uid, "confidentiality": "public", "synthetic": True}
        for kind, uid in (("person", person), ("event", event))
    ]
    rows.append(
        {
            "kind": "participation",
            "id": link,
            "event": event,
            "person": person,
            "confidentiality": "public",
            "synthetic": True,
        }
    )
    record = f"person:{person}"
    female = given[0] in {"Parvin", "Nasrin", "Maryam", "Zahra", "Fatemeh", "Shirin", "Ashraf"}
    female = female or given[0] in {"Soheila", "Manijeh", "Roya", "Mojgan", "Fereshteh", "Mahin"}
    birth_year = rng.randint(1320, 1350)
    rows += [
        _claim(record, "name", f"{given[0]} {family[0]}", page),
        _claim(record, "name", f"{given[1]} {family[1]}", page),
        _claim(record, "gender", "female" if female else "male", page),
        _claim(record, "birth_date", str(birth_year), page),
        _claim(record, "hometown", f"place-bench-city-{rng.randrange(len(CITIES)):02d}", page),
        _claim(record, "affiliation", rng.choice(AFFILIATIONS), page),
        _claim(record, "occupation", rng.choice(OCCUPATIONS), page),
    ]
    month, day = rng.choice(MORDAD_SHAHRIVAR)
    date = f"1367/{month:02d}/{day:02d}" if rng.random() < 0.8 else "1367/05"
    prison = f"place-bench-prison-{rng.randrange(len(PRISONS)):02d}"
    rows += [
        _claim(f"event:{event}", "event_type", "execution", page),
        _claim(f"event:{event}", "date", date, page),
        _claim(f"event:{event}", "place", prison, page),
        _claim(f"participation:{link}", "role", "victim", page),
    ]
    return rows


def _import(home: Path, rows: list[dict[str, Any]]) -> None:
    from dadkhah.records import io

    path = home / "bench-case.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    report = io.import_file("case", path)
    if not report.ok:
        for line in list(report.lines())[:10]:
            print(io.format_report_line(line), file=sys.stderr)
        raise SystemExit(f"{path}: the synthetic case file was rejected")


def _bulk_insert(rows: list[dict[str, Any]]) -> None:
    """Write victims' rows straight to the tables, as the import would have written them.

    Values are cleaned by ``records.values.clean`` (the import's own parser); the projected
    columns are set as ``records.claims.project`` sets them, which ``check_projections``
    then confirms on a sample. History and full-text indexing are skipped (the memorial
    reads neither).
    """
    from dadkhah.records import values
    from dadkhah.records.models import Citation, Claim, Event, Participation, Person, Place, Source

    source = Source.objects.get(uid="src-bench-memorial")
    places = {p.uid: p for p in Place.objects.filter(uid__startswith="place-bench-")}
    execution = values.vocabularies()["event_type"].terms["execution"].label("en")
    records = {r["id"]: r for r in rows if r["kind"] in ("person", "event", "participation")}
    claims: dict[str, list[tuple[str, Any]]] = {}
    for row in rows:
        if row["kind"] == "claim":
            kind, uid = row["record"].split(":", 1)
            spec = values.prop_spec(kind, row["prop"])
            claims.setdefault(uid, []).append((row["prop"], values.clean(spec, row["value"])))
    people, events = [], []
    for uid, row in records.items():
        got = dict(claims[uid])
        common = {"uid": uid, "confidentiality": 0, "is_synthetic": True}
        if row["kind"] == "person":
            names = [v for p, v in claims[uid] if p == "name"]
            latin = next(n["text"] for n in names if n["script"] == "latn")
            persian = next(n["text"] for n in names if n["script"] == "fa")
            people.append(Person(**common, label=latin, label_fa=persian))
        elif row["kind"] == "event":
            place = places[got["place"]]
            when = got["date"]
            events.append(
                Event(
                    **common,
                    label=f"{execution}, {place}, {when['text']}",
                    event_type=got["event_type"],
                    date_start=datetime.date.fromisoformat(when["start"]),
                    date_end=datetime.date.fromisoformat(when["end"]),
                    place=place,
                )
            )
    Person.objects.bulk_create(people)
    Event.objects.bulk_create(events)
    by_uid: dict[str, Any] = {r.uid: r for r in people + events}
    links = []
    for uid, row in records.items():
        if row["kind"] == "participation":
            person, event = by_uid[row["person"]], by_uid[row["event"]]
            role = dict(claims[uid])["role"]
            links.append(
                Participation(
                    uid=uid,
                    confidentiality=0,
                    is_synthetic=True,
                    event=event,
                    person=person,
                    role=role,
                    label=f"{person} — {role} — {event}",
                )
            )
    Participation.objects.bulk_create(links)
    by_uid.update({r.uid: r for r in links})
    claim_rows: list[Claim] = []
    pages: list[str] = []
    for n, row in enumerate(r for r in rows if r["kind"] == "claim"):
        kind, uid = row["record"].split(":", 1)
        spec = values.prop_spec(kind, row["prop"])
        claim_rows.append(
            Claim(
                uid=f"claim-{uid}-{n % 100:02d}",
                subject_kind=kind,
                subject_id=by_uid[uid].pk,
                prop=row["prop"],
                value=values.clean(spec, row["value"]),
                confidentiality=0,
            )
        )
        pages.append(row["page"])
    Claim.objects.bulk_create(claim_rows, batch_size=2_000)
    Citation.objects.bulk_create(
        [Citation(claim=c, source=source, page=p) for c, p in zip(claim_rows, pages, strict=True)],
        batch_size=2_000,
    )


def check_projections(rng: random.Random, sample: int = 40) -> None:
    """Re-project a sample of bulk-written records with ``records.claims.project``; any
    column that changes means the bulk path wrote something the app would not have."""
    from dadkhah.records.claims import project
    from dadkhah.records.models import Event, Participation, Person

    fields = {
        Person: ["label", "label_fa"],
        Event: ["label", "label_fa", "event_type", "date_start", "date_end", "place_id"],
        Participation: ["label", "label_fa", "role", "mode"],
    }
    for model, names in fields.items():
        uids = list(
            model.objects.filter(uid__contains="-bench-")
            .order_by("uid")
            .values_list("uid", flat=True)
        )
        for uid in rng.sample(uids, min(sample, len(uids))):
            before = model.objects.filter(uid=uid).values(*names).get()
            project(model.objects.get(uid=uid))
            after = model.objects.filter(uid=uid).values(*names).get()
            if before != after:
                raise SystemExit(
                    f"bulk-written {uid} differs from its projection: {before} != {after}"
                )


def seed_home(home: Path, victims: int, seed: int, imported: int) -> None:
    """Write and publish ``victims`` synthetic victims into the (configured) database.

    The places and the first ``imported`` victims go through ``records.io.import_file``;
    the rest are bulk-written (``_bulk_insert``), then checked against the projections.
    Every victim is published with ``memorial.publication.publish``, which builds its
    index row (``memorial.browse.refresh``).
    """
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from dadkhah.memorial.publication import PublicationInput, publish
    from dadkhah.records.models import Person

    rng = random.Random(seed)
    started = time.perf_counter()
    first_rows = _header_rows()
    for i in range(min(imported, victims)):
        first_rows += victim_rows(i, rng)
    _import(home, first_rows)
    print(f"  imported {min(imported, victims)} victims ({time.perf_counter() - started:.0f} s)")
    for first in range(imported, victims, CHUNK):
        rows = []
        for i in range(first, min(first + CHUNK, victims)):
            rows += victim_rows(i, rng)
        with transaction.atomic():
            _bulk_insert(rows)
        done = min(first + CHUNK, victims)
        print(f"  bulk-wrote {done} victims ({time.perf_counter() - started:.0f} s)", flush=True)
    if victims > imported:
        check_projections(random.Random(seed + 2))
    reviewer, _ = get_user_model().objects.get_or_create(username="bench-reviewer")
    data = PublicationInput(
        narrative_en="Synthetic example: an invented victim of the load benchmark.",
        narrative_fa="نمونهٔ ساختگی: قربانی‌ای ساختگی برای آزمون بار.",
    )
    people = Person.objects.filter(uid__startswith="person-bench-").order_by("uid")
    for n, person in enumerate(people.iterator(chunk_size=500), 1):
        publish(person, data, reviewer, reason="benchmark: synthetic victim published")
        if n % 2_000 == 0:
            print(f"  published {n} victims ({time.perf_counter() - started:.0f} s)", flush=True)


# --------------------------------------------------------------------------- the load


def request_mix(victims: int, seed: int, count: int = 4_000) -> list[tuple[str, str]]:
    """``count`` (category, path) pairs: victim pages, name / city / facet searches."""
    from urllib.parse import urlencode

    rng = random.Random(seed + 1)
    mix: list[tuple[str, str]] = []
    for _ in range(count):
        lang = rng.choice(("en", "fa"))
        roll = rng.random()
        if roll < 0.4:
            mix.append(
                ("victim page", f"/{lang}/victims/person-bench-{rng.randrange(victims):06d}/")
            )
            continue
        if roll < 0.6:
            given, family = rng.choice(GIVEN), rng.choice(FAMILY)
            q = rng.choice(
                [family[0], family[1], f"{given[0]} {family[0]}", f"{given[1]} {family[1]}"]
            )
            category, params = "search: name", {"q": q}
        elif roll < 0.8:
            city = f"place-bench-city-{rng.randrange(len(CITIES)):02d}"
            category, params = "search: city", {"city": city}
        else:
            options = {
                "prison": f"place-bench-prison-{rng.randrange(len(PRISONS)):02d}",
                "gender": rng.choice(["male", "female"]),
                "affiliation": rng.choice(AFFILIATIONS),
                "age": rng.choice(["0-19", "20-29", "30-39", "40-49"]),
                "year": rng.choice(["1988", "1367", "1987-1990"]),
            }
            chosen = rng.sample(sorted(options), rng.randint(1, 3))
            category, params = "search: facets", {k: options[k] for k in chosen}
        if rng.random() < 0.2:
            params["page"] = str(rng.randint(2, 4))
        mix.append((category, f"/{lang}/victims/?{urlencode(params)}"))
    return mix


LOG_FORMAT = "%(s)s %(D)s %(U)s?%(q)s"
LOG_LINE = re.compile(r"^(\d{3}) (\d+) (\S+)$")


def categorize(path: str) -> str:
    route, _, query = path.partition("?")
    if re.fullmatch(r"/(en|fa)/victims/[\w-]+/", route):
        return "victim page"
    if re.search(r"(^|&)q=", query):
        return "search: name"
    keys = {part.split("=", 1)[0] for part in query.split("&") if part} - {"page"}
    return "search: city" if keys == {"city"} else "search: facets"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]  # nearest-rank


def read_log(path: Path, offset: int) -> tuple[dict[str, list[float]], dict[str, int]]:
    """Server times (ms) by category, and status counts, from the access log after offset."""
    times: dict[str, list[float]] = {}
    statuses: dict[str, int] = {}
    with path.open("rb") as handle:
        handle.seek(offset)
        for n, raw in enumerate(handle, 1):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            m = LOG_LINE.match(line)
            if m is None:
                raise SystemExit(
                    f"{path}: line {n} after the warm-up is not '{LOG_FORMAT}': {line!r}"
                )
            status, micros, path_q = m.group(1), int(m.group(2)), m.group(3)
            statuses[status] = statuses.get(status, 0) + 1
            times.setdefault(categorize(path_q.rstrip("?")), []).append(micros / 1000)
    return times, statuses


def print_client_side(prefix: Path) -> None:
    """Latency as the clients saw it (locust's CSV): server time plus waiting in the queue."""
    import csv

    path = prefix.with_name(prefix.name + "_stats.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    print(f"{'client-side (ms)':<18}{'n':>7}{'p50':>9}{'p95':>9}{'p99':>9}{'req/s':>9}")
    for row in rows:
        name = row["Name"] if row["Type"] else "all"
        print(
            f"{name:<18}{row['Request Count']:>7}{row['50%']:>9}{row['95%']:>9}"
            f"{row['99%']:>9}{float(row['Requests/s']):>9.1f}"
        )


def wait_until_up(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.3)


def run_load(home: Path, args: argparse.Namespace, mix: list[tuple[str, str]]) -> int:
    env = dict(os.environ, DADKHAH_HOME=str(home), DADKHAH_DEBUG="0")
    env.pop("DATABASE_URL", None)
    log = home / "access.log"
    log.unlink(missing_ok=True)
    base = f"http://127.0.0.1:{args.port}"
    gunicorn = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "dadkhah.wsgi", "--bind", f"127.0.0.1:{args.port}"]
        + ["--workers", "2", "--threads", str(args.threads), "--access-logfile", str(log)]
        + ["--access-logformat", LOG_FORMAT, "--log-level", "warning"],
        env=env,
        cwd=ROOT,
    )
    try:
        wait_until_up(f"{base}/en/")
        for _, path in mix[:100]:  # warm-up: imports, template compilation, SQLite cache
            with urllib.request.urlopen(base + path, timeout=30) as response:
                response.read()
        time.sleep(1)
        offset = log.stat().st_size
        urls = home / "bench-urls.json"
        urls.write_text(json.dumps([p for _, p in mix]), encoding="utf-8")
        load_before = os.getloadavg()
        prefix = home / "locust"
        started = time.monotonic()
        subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(Path(__file__).resolve()), "--headless"]
            + ["-u", str(args.users), "-r", str(args.users), "-t", f"{args.duration}s"]
            + ["--host", base, "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING"]
            + ["--stop-timeout", "10"],
            env=dict(env, BENCH_URLS=str(urls)),
            check=False,
        )
        elapsed = time.monotonic() - started
        load_after = os.getloadavg()
        time.sleep(1)
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=30)
    times, statuses = read_log(log, offset)
    total = sum(len(v) for v in times.values())
    print(
        f"\n{total} requests in {elapsed:.0f} s: {total / elapsed:.0f} requests/s; statuses {statuses}"
    )
    print(
        f"load average (1 min) before {load_before[0]:.2f}, after {load_after[0]:.2f}; cores {os.cpu_count()}"
    )
    print(f"{'server time (ms)':<18}{'n':>7}{'p50':>9}{'p95':>9}{'p99':>9}{'mean':>9}")
    everything: list[float] = []
    for category in sorted(times):
        values = times[category]
        everything += values
        print(
            f"{category:<18}{len(values):>7}{percentile(values, 50):>9.1f}"
            f"{percentile(values, 95):>9.1f}{percentile(values, 99):>9.1f}"
            f"{statistics.fmean(values):>9.1f}"
        )
    p95 = percentile(everything, 95)
    print(
        f"{'all':<18}{len(everything):>7}{percentile(everything, 50):>9.1f}{p95:>9.1f}"
        f"{percentile(everything, 99):>9.1f}{statistics.fmean(everything):>9.1f}"
    )
    worst = max(percentile(v, 95) for v in times.values())
    verdict = "meets" if worst <= TARGET_P95_MS else "misses"
    print(
        f"target p95 <= {TARGET_P95_MS:.0f} ms per category: {verdict} (worst p95 {worst:.1f} ms)"
    )
    print_client_side(prefix)
    bad = sum(n for status, n in statuses.items() if status != "200")
    return 1 if bad else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--victims", type=int, default=30_000)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--duration", type=int, default=60, help="seconds of load")
    parser.add_argument("--users", type=int, default=50, help="concurrent clients")
    parser.add_argument("--port", type=int, default=8931)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads per worker: 1 (sync workers, the server time is the request's own) or 4 "
        "(as dadkhah serve: the time then includes waiting for the worker's other threads)",
    )
    parser.add_argument("--home", type=Path, default=None, help="keep (and reuse) the home here")
    parser.add_argument(
        "--imported", type=int, default=IMPORTED, help="victims imported, not bulk-written"
    )
    parser.add_argument("--seed-only", action="store_true", help="seed the home, no load")
    args = parser.parse_args()
    if shutil.which("locust", path=str(Path(sys.executable).parent)) is None:
        parser.error(
            "locust is not installed: .venv/bin/uv pip install --python .venv/bin/python locust"
        )
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    print(
        f"seed {seed}; {args.victims} SYNTHETIC victims; {args.users} clients, "
        f"{args.duration} s; gunicorn 2 workers x {args.threads} thread(s)"
    )
    home = args.home or Path(tempfile.mkdtemp(prefix="dadkhah-memorial-bench-"))
    home.mkdir(parents=True, exist_ok=True)
    marker = home / "bench-seeded.json"
    wanted = {"victims": args.victims, "seed": seed, "imported": args.imported}
    os.environ["DADKHAH_HOME"] = str(home)
    os.environ.pop("DATABASE_URL", None)
    try:
        fresh = not (marker.exists() and json.loads(marker.read_text()) == wanted)
        if fresh and (home / "dadkhah.sqlite3").exists():
            raise SystemExit(f"{home} holds another database; give an empty --home")
        from dadkhah.cli import setup

        setup()  # creates the database, or brings a kept one up to date
        if fresh:
            started = time.perf_counter()
            seed_home(home, args.victims, seed, args.imported)
            print(f"seeded in {time.perf_counter() - started:.0f} s")
            marker.write_text(json.dumps(wanted))
        if args.seed_only:
            return 0
        return run_load(home, args, request_mix(args.victims, seed))
    finally:
        if args.home is None:
            shutil.rmtree(home, ignore_errors=True)


if "locust" in sys.modules and os.environ.get("BENCH_URLS"):
    # Imported by locust as its locustfile: each client picks paths from the mix at random.
    from locust import FastHttpUser, task

    _PATHS: list[str] = json.loads(Path(os.environ["BENCH_URLS"]).read_text(encoding="utf-8"))

    class MemorialVisitor(FastHttpUser):
        def on_start(self) -> None:
            self.rng = random.Random(id(self))

        @task
        def visit(self) -> None:
            path = self.rng.choice(_PATHS)
            self.client.get(path, name=categorize(path))


if __name__ == "__main__":
    sys.exit(main())
