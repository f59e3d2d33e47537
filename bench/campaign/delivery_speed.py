"""Delivery package benchmark: N synthetic signatures → the whole package, timed.

    .venv/bin/python bench/campaign/delivery_speed.py [--sizes 5000,20000,100000] [--seed N]
        [--chunk 2000] [--workers 2] [--keep DIR]

For each size, in a throwaway DADKHAH_HOME: one process seeds a published synthetic petition
with N validated signatures through ``bulk_create`` (a third of the names Persian, a fifth
private, a tenth anonymous, spread over 60 days; not timed), then a fresh process makes the
package with ``make_package`` (CSV, totals, PDF, manifest, ledger entry) and is timed. Peak
memory is the largest sum of resident memory over that process and its children (the PDF
workers), sampled every 50 ms from /proc (Linux). Target (issue 10): 100,000 signatures in
2 minutes or less, within 2 GiB. Everything is invented; the home is removed at the end.
Timings on a shared machine are noisy: say so with the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
SLUG = "bench-delivery"
TARGET_SECONDS = 120.0
TARGET_BYTES = 2 * 1024**3
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)

GIVEN_FA = ["مریم", "رضا", "علی", "زهرا", "حسین", "فاطمه", "پروانه", "بهروز", "نسرین", "کاوه"]
FAMILY_FA = ["رضایی", "محمدی", "احمدی", "کریمی", "حسینی", "تهرانی", "شیرازی", "نوری"]
GIVEN_EN = ["Maryam", "Reza", "Ali", "Sara", "Anna", "John", "Leila", "Jonas", "Amir", "Eva"]
FAMILY_EN = ["Karimi", "Smith", "Ahmadi", "Müller", "Rossi", "Tehrani", "Jansen", "Novak"]
PLACES = [
    ("IR", "تهران"),
    ("IR", "مشهد"),
    ("DE", "Berlin"),
    ("GB", "London"),
    ("SE", "Stockholm"),
    ("CA", "Toronto"),
    ("FR", "Paris"),
    ("US", ""),
]


def seed(n: int, rng_seed: int) -> None:
    from dadkhah.cli import setup

    setup()
    from dadkhah.campaign.models import Campaign, CampaignText, Signature

    rng = random.Random(rng_seed)
    campaign = Campaign.objects.create(
        slug=SLUG,
        kind=Campaign.Kind.PETITION,
        state=Campaign.State.PUBLISHED,
        target_label="UN High Commissioner for Human Rights",
        target_label_fa="کمیسر عالی حقوق بشر سازمان ملل",
        opens_at=T0,
        closes_at=T0 + timedelta(days=90),
        goal=n,
        milestones=[1000, 10000],
        retention_until=date(2030, 1, 1),
        is_synthetic=True,
    )
    CampaignText.objects.create(
        campaign=campaign, language="en", title="Benchmark petition (synthetic)", body="Synthetic."
    )
    CampaignText.objects.create(
        campaign=campaign, language="fa", title="دادخواست آزمایشی (ساختگی)", body="ساختگی."
    )
    batch: list[Signature] = []
    for i in range(n):
        if i % 3 == 0:
            name = f"{rng.choice(GIVEN_FA)} {rng.choice(FAMILY_FA)}"
        else:
            name = f"{rng.choice(GIVEN_EN)} {rng.choice(FAMILY_EN)}"
        country, city = rng.choice(PLACES)
        confirmed = T0 + timedelta(seconds=rng.randrange(60 * 86400))
        visibility = rng.choices(["public", "private", "anonymous"], [7, 2, 1])[0]
        batch.append(
            Signature(
                campaign=campaign,
                state=Signature.State.VALIDATED,
                name=name,
                email=None,
                email_normalized=f"synthetic-{i}@example.org",
                email_domain="example.org",
                country=country,
                city=city,
                visibility=visibility,
                consent=True,
                created_at=confirmed - timedelta(minutes=5),
                confirmed_at=confirmed,
            )
        )
        if len(batch) == 5000:
            Signature.objects.bulk_create(batch)
            batch = []
    Signature.objects.bulk_create(batch)


def package(out: Path, chunk: int | None, workers: int | None) -> None:
    from dadkhah.cli import setup

    setup()
    from dadkhah.campaign.delivery import make_package
    from dadkhah.campaign.models import Campaign

    campaign = Campaign.objects.get(slug=SLUG)
    started = time.perf_counter()
    made = make_package(
        campaign, out, "bench", "benchmark (synthetic)", chunk=chunk, workers=workers
    )
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": round(seconds, 2), "signatures": made.signatures}))


def tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants (0 once gone)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as children:
                    todo.extend(int(c) for c in children.read().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


def run_size(n: int, args: argparse.Namespace) -> dict[str, object]:
    home = Path(tempfile.mkdtemp(prefix="dadkhah-bench-delivery-"))
    env = {**os.environ, "DADKHAH_HOME": str(home)}
    me = [sys.executable, __file__]
    try:
        started = time.perf_counter()
        subprocess.run([*me, "_seed", str(n), str(args.seed)], env=env, check=True)
        seeded = time.perf_counter() - started
        cmd = [*me, "_package", str(home / "package")]
        cmd += [str(args.chunk or 0), str(args.workers or 0)]
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)
        peak = [0]

        def sample() -> None:
            while proc.poll() is None:
                peak[0] = max(peak[0], tree_rss(proc.pid))
                time.sleep(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        stdout, _ = proc.communicate()
        wall = time.perf_counter() - started
        sampler.join()
        if proc.returncode != 0:
            raise SystemExit(f"package failed for {n} signatures (exit {proc.returncode})")
        inner = json.loads(stdout.strip().splitlines()[-1])
        pdf = home / "package" / "package.pdf"
        from pypdf import PdfReader

        result = {
            "signatures": n,
            "seed_seconds": round(seeded, 1),
            "process_seconds": round(wall, 1),
            "make_package_seconds": inner["seconds"],
            "peak_rss_mib": round(peak[0] / 1024**2),
            "pdf_pages": len(PdfReader(pdf).pages),
            "pdf_mib": round(pdf.stat().st_size / 1024**2, 1),
            "load_average": [round(x, 1) for x in os.getloadavg()],
        }
        if args.keep:
            target = Path(args.keep) / f"package-{n}"
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(home / "package", target)
        return result
    finally:
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_seed":
        seed(int(sys.argv[2]), int(sys.argv[3]))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "_package":
        chunk, workers = int(sys.argv[3]) or None, int(sys.argv[4]) or None
        package(Path(sys.argv[2]), chunk, workers)
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="5000,20000,100000")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--chunk", type=int, default=None, help="names per PDF part")
    parser.add_argument("--workers", type=int, default=None, help="PDF processes")
    parser.add_argument("--keep", default=None, help="copy each package into this directory")
    args = parser.parse_args()
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(2**31)
    print(f"seed {args.seed}", flush=True)
    for n in (int(s) for s in args.sizes.split(",")):
        result = run_size(n, args)
        ok = (
            result["make_package_seconds"] <= TARGET_SECONDS  # type: ignore[operator]
            and result["peak_rss_mib"] * 1024**2 <= TARGET_BYTES  # type: ignore[operator]
        )
        print(json.dumps({**result, "within_target": ok}), flush=True)


if __name__ == "__main__":
    main()
