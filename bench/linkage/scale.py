"""Cost curve of the linkage: wall time per stage, peak memory and comparisons at 10k-1M records.

For each size, the synthetic generator (``synth.py``) writes about that many records over 5
lists as CSV files (Windows-1256, UTF-16, UTF-8), in a child process; a fresh child process then
runs the pipeline on DuckDB and reports, as one JSON line:

- seconds per stage: read (``lists.read_records``), prepare (``prepare.prepare``), blocking
  keys, training, scoring and clustering (``model.link``'s own timings), and the total;
- the number of comparisons (pairs scored after blocking) and the blocking statistics;
- the peak resident memory of that process (``resource.getrusage``, which includes DuckDB's
  memory since it runs in-process), and the resident memory after each stage (``/proc``);
- the CPU time of that process (user + system, all threads): on a shared machine, wall time
  depends on the load, CPU time much less.

The machine is shared, so the load average is printed before and after each run.

    .venv/bin/python bench/linkage/scale.py --records 10000 100000 [--seed N] [--dir DIR]
    .venv/bin/python bench/linkage/scale.py --records 1000000      # only if 100k extrapolates
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

LISTS = 5


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def write(records: int, seed: int, directory: Path) -> dict[str, Any]:
    """Write about ``records`` rows over ``LISTS`` lists into ``directory``."""
    from synth import generate, people_for, write_csvs

    started = time.perf_counter()
    people = people_for(records, LISTS, seed)
    lists, truth = generate(people, LISTS, seed)
    paths = write_csvs(lists, directory)[:-1]
    return {
        "people": people,
        "records": len(truth),
        "files": [str(p) for p in paths],
        "seconds": time.perf_counter() - started,
    }


def run(paths: list[Path], seed: int) -> dict[str, Any]:
    """The pipeline on DuckDB, timed stage by stage (call in a fresh process)."""
    from dadkhah.linkage.lists import read_records
    from dadkhah.linkage.model import LinkConfig, link
    from dadkhah.linkage.prepare import prepare

    seconds: dict[str, float] = {}
    rss: dict[str, float] = {"start": _rss_mib()}
    cpu_start = _cpu_seconds()
    started = time.perf_counter()
    records = []
    problems = 0
    for path in paths:
        found, report = read_records(path, on_error="report")
        records.extend(found)
        problems += len(report)
    seconds["read"] = time.perf_counter() - started
    rss["read"] = _rss_mib()
    step = time.perf_counter()
    frame, report = prepare(records, on_error="report")
    problems += len(report)
    seconds["prepare"] = time.perf_counter() - step
    rss["prepare"] = _rss_mib()
    del records
    result = link(frame, LinkConfig(seed=seed))
    rss["link"] = _rss_mib()
    seconds.update({k: v for k, v in result.seconds.items() if k != "total"})
    seconds["total"] = time.perf_counter() - started
    cpu = _cpu_seconds() - cpu_start
    return {
        "records": len(frame),
        "problems": problems,
        "comparisons": result.comparisons,
        "pairs_kept": len(result.pairs),
        "clusters": int(result.clusters["cluster_id"].nunique()),
        "blocking": result.blocking,
        "notes": result.notes,
        "seconds": seconds,
        "rss_mib": rss,
        "peak_mib": _peak_mib(),
        "cpu_seconds": cpu,
    }


def _child(args: list[str]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), *args],
        check=False,
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:  # e.g. killed for want of memory (-9): say so, with its stderr
        tail = "\n".join(out.stderr.strip().splitlines()[-20:])
        raise SystemExit(f"child {args[-1]!r} failed with status {out.returncode}:\n{tail}")
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--dir", type=Path, default=None, help="keep the CSV files here")
    parser.add_argument("--child-write", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-run", type=Path, nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    if args.child_write is not None:
        print(json.dumps(write(args.records[0], seed, args.child_write)))
        return
    if args.child_run is not None:
        print(json.dumps(run(args.child_run, seed)))
        return

    print(f"seed {seed}; {LISTS} lists; {os.cpu_count()} cores; DuckDB")
    base = args.dir or Path(tempfile.mkdtemp(prefix="dadkhah-scale-"))
    for records in args.records:
        directory = base / f"{records}"
        made = _child(
            ["--records", str(records), "--seed", str(seed), "--child-write", str(directory)]
        )
        print(
            f"\n{made['records']} records from {made['people']} persons written in "
            f"{made['seconds']:.1f} s to {directory}"
        )
        print(f"  load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        started = time.perf_counter()
        found = _child(["--seed", str(seed), "--child-run", *made["files"]])
        wall = time.perf_counter() - started
        print(f"  load average after:  {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(
            f"  wall {wall:.1f} s (child process, imports included); CPU "
            f"{found['cpu_seconds']:.1f} s (user + system, from reading to clustering)"
        )
        print("  seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in found["seconds"].items()))
        print(
            f"  comparisons {found['comparisons']} "
            f"({found['comparisons'] / max(1, found['records']):.1f} per record), "
            f"pairs kept {found['pairs_kept']}, "
            f"clusters {found['clusters']}, problems {found['problems']}"
        )
        print(f"  blocking {found['blocking']}")
        print(
            f"  peak memory {found['peak_mib']:.0f} MiB; resident after "
            + ", ".join(f"{k} {v:.0f}" for k, v in found["rss_mib"].items())
            + " MiB"
        )
        for note in found["notes"]:
            print(f"  note: {note}")
        print("  json " + json.dumps({"records": made["records"], "wall": wall, **found}))


if __name__ == "__main__":
    main()
