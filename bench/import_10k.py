"""Time a bulk import of synthetic persons through ``records.io``.

Writes a case file (JSON Lines) of one source, N persons and, for each person, a name
claim and a birth-date claim (Solar Hijri), then imports it into a fresh throwaway
``DADKHAH_HOME`` and prints rows per second. Every row is invented. With ``--bad`` one
claim in the middle has an impossible date, and the run times the rejection instead.

    .venv/bin/python bench/import_10k.py [--persons 10000] [--seed N] [--bad]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

GIVEN = ["Maryam", "Reza", "Zahra", "Ali", "Fatemeh", "Hossein", "Shirin", "Mehdi", "Parvin"]
GIVEN_FA = ["مریم", "رضا", "زهرا", "علی", "فاطمه", "حسین", "شیرین", "مهدی", "پروین"]
FAMILY = ["Ahmadi", "Karimi", "Rahimi", "Moradi", "Jafari", "Sadeghi", "Hosseini", "Tehrani"]
FAMILY_FA = ["احمدی", "کریمی", "رحیمی", "مرادی", "جعفری", "صادقی", "حسینی", "تهرانی"]


def generate(path: Path, persons: int, seed: int, bad: bool) -> int:
    """Write the case file; return the number of rows."""
    rng = random.Random(seed)
    lines: list[dict[str, object]] = [
        {
            "kind": "source",
            "id": "src-bench",
            "source_kind": "list",
            "title": "Synthetic benchmark list",
            "citation": "Synthetic list written by bench/import_10k.py; no real person.",
            "reliability": "C",
            "confidentiality": "public",
            "synthetic": True,
        }
    ]
    claims: list[dict[str, object]] = []
    for i in range(persons):
        uid = f"person-bench-{i:06d}"
        lines.append({"kind": "person", "id": uid, "confidentiality": "public", "synthetic": True})
        if rng.random() < 0.5:
            name = f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}"
        else:
            name = f"{rng.choice(GIVEN_FA)} {rng.choice(FAMILY_FA)}"
        year, month = rng.randint(1320, 1350), rng.randint(1, 12)
        day = rng.randint(1, 31 if month <= 6 else 30 if month <= 11 else 29)
        for prop, value in (("name", name), ("birth_date", f"{year}/{month:02d}/{day:02d}")):
            claims.append(
                {
                    "kind": "claim",
                    "record": f"person:{uid}",
                    "prop": prop,
                    "value": value,
                    "source": "src-bench",
                    "page": str(1 + i // 40),
                }
            )
    if bad:
        claims[len(claims) // 2 + 1]["value"] = "1340/07/31"  # day 31 of Mehr
    lines += claims
    with path.open("w", encoding="utf-8") as handle:
        for line in lines:
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
    return len(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--bad", action="store_true", help="put one bad row in the middle")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    with tempfile.TemporaryDirectory(prefix="dadkhah-bench-") as home:
        os.environ["DADKHAH_HOME"] = home
        os.environ.pop("DATABASE_URL", None)
        from dadkhah.cli import setup

        setup()
        from dadkhah.records import io
        from dadkhah.records.models import Claim

        path = Path(home) / "bench-case.jsonl"
        rows = generate(path, args.persons, seed, args.bad)
        started = time.perf_counter()
        report = io.import_file("case", path)
        elapsed = time.perf_counter() - started
        summary = list(report.lines())[-1]
        print(f"seed {seed}; {rows} rows ({args.persons} persons, {2 * args.persons} claims)")
        print(f"ok={report.ok} created={summary['created']} rejected={summary['rejected']}")
        print(
            f"{elapsed:.1f} s, {rows / elapsed:.0f} rows/s; claims in database: {Claim.objects.count()}"
        )
    return 0 if report.ok != args.bad else 1


if __name__ == "__main__":
    sys.exit(main())
