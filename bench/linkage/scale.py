"""Cost curve of the linkage: wall time per stage, peak memory and comparisons at 10k-1M records.

For each size, the synthetic generator (``synth.py``) writes about that many records over 5
lists as CSV files (Windows-1256, UTF-16, UTF-8), in a child process; a fresh child process then
runs the pipeline on DuckDB and reports, as one JSON line:

- seconds per stage: read (``lists.read_records``), prepare (``prepare.prepare``), blocking
  keys, training, scoring and clustering (``model.link``'s own timings), and the total;
- the number of comparisons (pairs scored after blocking) and the blocking statistics;
- the peak resident memory of that process (``resource.getrusage``, which includes DuckDB's
  memory since it runs in-process), and the resident memory after each stage (``/proc``);
- the CPU time of that process (user + system, all threads) and of its children (the
  processes that score names, ``LinkConfig.workers``), also apart: on a shared machine, wall
  time depends on the load, CPU time much less.

While it runs, the child prints on stderr (flushed) the resident memory at the end of every
stage, the stages of ``model.link`` included (it logs them), and every 15 seconds. A watcher
thread polls the child's own resident memory (``VmRSS`` in ``/proc/self/status``, DuckDB
included) and ends the child, saying in which stage, when it exceeds ``--max-rss`` (GiB): the
machine is shared, and the kernel's OOM killer would pick a victim on its own. DuckDB spills to
a temporary directory the parent removes however the child ends.

The machine is shared, so the load average is printed before and after each run.

    .venv/bin/python bench/linkage/scale.py --records 10000 100000 [--seed N] [--dir DIR]
    .venv/bin/python bench/linkage/scale.py --records 1000000 [--max-rss 16] [--workers N]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

LISTS = 5
ABORTED = 3  # the child's exit status when the watcher ends it


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _children_cpu_seconds() -> float:
    """CPU seconds (user + system) of this process's children: those ended and waited for
    (``RUSAGE_CHILDREN``) and those alive (``/proc``), such as the processes scoring names."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = usage.ru_utime + usage.ru_stime
    tick = os.sysconf("SC_CLK_TCK")
    alive: set[str] = set()
    for task in Path("/proc/self/task").glob("*/children"):
        try:
            alive.update(task.read_text().split())
        except OSError:  # a thread that ended meanwhile
            continue
    for pid in alive:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended (and counted above once waited for)
            continue
        total += sum(int(v) for v in fields[11:15]) / tick  # utime stime cutime cstime
    return total


def _cpu_seconds() -> float:
    """CPU seconds of this process (all threads) and of its children."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime + _children_cpu_seconds()


class Watch(threading.Thread):
    """Polls this process's resident memory; reports each stage and ends the process above
    ``limit_mib`` (``os._exit``: DuckDB's threads cannot be interrupted from Python)."""

    def __init__(self, limit_mib: float, interval: float = 0.2, heartbeat: float = 15.0) -> None:
        super().__init__(name="rss-watch", daemon=True)
        self.limit_mib = limit_mib
        self.interval = interval
        self.heartbeat = heartbeat
        self.stage = "start"
        self.stage_peak = 0.0
        self.started = time.perf_counter()
        self.rss: dict[str, float] = {}  # resident memory at the end of each stage
        self.peaks: dict[str, float] = {}  # highest resident memory seen during each stage
        self.cpu: dict[str, float] = {}  # CPU seconds (user + system) of each stage
        self.stage_cpu = _cpu_seconds()

    def say(self, text: str) -> None:
        print(
            f"  [{time.perf_counter() - self.started:7.1f} s] {text}", file=sys.stderr, flush=True
        )

    def enter(self, stage: str) -> None:
        """The stage before ends (its resident memory is noted) and ``stage`` begins."""
        now = _rss_mib()
        cpu = _cpu_seconds()
        self.stage_peak = max(self.stage_peak, now)
        self.rss[self.stage] = now
        self.peaks[self.stage] = self.stage_peak
        self.cpu[self.stage] = cpu - self.stage_cpu
        self.say(
            f"{self.stage} done: resident {now:.0f} MiB (stage peak {self.stage_peak:.0f}), "
            f"CPU {cpu - self.stage_cpu:.1f} s; next: {stage}"
        )
        self.stage, self.stage_peak, self.stage_cpu = stage, now, cpu

    def run(self) -> None:
        last = time.perf_counter()
        while True:
            now = _rss_mib()
            self.stage_peak = max(self.stage_peak, now)
            if now > self.limit_mib:
                self.say(
                    f"ABORTED: resident {now:.0f} MiB above --max-rss {self.limit_mib:.0f} MiB "
                    f"during stage {self.stage!r}"
                )
                os._exit(ABORTED)
            if time.perf_counter() - last >= self.heartbeat:
                last = time.perf_counter()
                self.say(f"{self.stage}: resident {now:.0f} MiB")
            time.sleep(self.interval)


class _StageLog(logging.Handler):
    """Passes the stages ``model.link`` logs ("linkage stage: NAME") to the watcher."""

    def __init__(self, watch: Watch) -> None:
        super().__init__(logging.INFO)
        self.watch = watch

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg == "linkage stage: %s" and record.args:
            self.watch.enter(str(record.args[0]))  # type: ignore[index]


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


def run(
    paths: list[Path], seed: int, max_rss_gib: float, workers: int | None = None
) -> dict[str, Any]:
    """The pipeline on DuckDB, timed stage by stage (call in a fresh process)."""
    import gc

    from dadkhah.linkage.lists import read_records
    from dadkhah.linkage.model import LinkConfig, link
    from dadkhah.linkage.prepare import prepare

    watch = Watch(max_rss_gib * 1024)
    watch.start()
    log = logging.getLogger("dadkhah.linkage")
    log.setLevel(logging.INFO)
    log.addHandler(_StageLog(watch))
    seconds: dict[str, float] = {}
    cpu_start = _cpu_seconds()
    children_start = _children_cpu_seconds()
    started = time.perf_counter()
    watch.enter("read")
    records = []
    problems = 0
    for path in paths:
        found, report = read_records(path, on_error="report")
        records.extend(found)
        problems += len(report)
    del found
    seconds["read"] = time.perf_counter() - started
    watch.enter("prepare")
    step = time.perf_counter()
    frame, report = prepare(records, on_error="report")
    problems += len(report)
    seconds["prepare"] = time.perf_counter() - step
    del records, report
    gc.collect()
    watch.enter("link")
    config = LinkConfig(seed=seed) if workers is None else LinkConfig(seed=seed, workers=workers)
    result = link(frame, config)
    watch.enter("end")
    rss = watch.rss
    seconds.update({k: v for k, v in result.seconds.items() if k != "total"})
    seconds["total"] = time.perf_counter() - started
    cpu = _cpu_seconds() - cpu_start
    children = _children_cpu_seconds() - children_start
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
        "stage_peak_mib": watch.peaks,
        "stage_cpu_seconds": watch.cpu,
        "peak_mib": _peak_mib(),
        "cpu_seconds": cpu,
        "children_cpu_seconds": children,
        # the largest child's peak (the workers are waited for when link() ends)
        "children_peak_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


def _child(args: list[str]) -> dict[str, Any] | None:
    """Run this script as a child process (its stderr passes through, live); its JSON line,
    or None when it failed (the reason is printed). Its temporary files (DuckDB's spill
    directory) go to a directory removed afterwards, however it ended."""
    scratch = tempfile.mkdtemp(prefix="dadkhah-scale-tmp-")
    try:
        out = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), *args],
            check=False,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "TMPDIR": scratch},
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if out.returncode != 0:
        why = {
            ABORTED: "ended by its memory watcher (--max-rss)",
            -9: "killed (SIGKILL: the OOM killer?)",
        }.get(out.returncode, "failed")
        print(f"  child {why}, exit status {out.returncode}", flush=True)
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--dir", type=Path, default=None, help="keep the CSV files here")
    parser.add_argument(
        "--max-rss",
        type=float,
        default=16.0,
        help="end a run whose resident memory exceeds this many GiB (default 16)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="processes scoring names (LinkConfig.workers; default: its default)",
    )
    parser.add_argument("--child-write", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-run", type=Path, nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # a TextIOWrapper
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    if args.child_write is not None:
        print(json.dumps(write(args.records[0], seed, args.child_write)))
        return
    if args.child_run is not None:
        print(json.dumps(run(args.child_run, seed, args.max_rss, args.workers)))
        return

    print(
        f"seed {seed}; {LISTS} lists; {os.cpu_count()} cores; DuckDB; "
        f"max resident {args.max_rss:g} GiB",
        flush=True,
    )
    base = args.dir or Path(tempfile.mkdtemp(prefix="dadkhah-scale-"))
    for records in args.records:
        directory = base / f"{records}"
        manifest = directory / f"written-{seed}.json"  # lists of this size and seed, kept
        if manifest.exists():
            made = json.loads(manifest.read_text(encoding="utf-8"))
            made["seconds"] = 0.0  # reused: see the manifest
        else:
            made = _child(
                ["--records", str(records), "--seed", str(seed), "--child-write", str(directory)]
            )
            if made is None:
                continue
            if args.dir is not None:
                manifest.write_text(json.dumps(made), encoding="utf-8")
        print(
            f"\n{made['records']} records from {made['people']} persons "
            + (
                f"written in {made['seconds']:.1f} s to {directory}"
                if made["seconds"]
                else f"reused from {manifest}"
            )
        )
        print(f"  load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        started = time.perf_counter()
        found = _child(
            [
                "--seed",
                str(seed),
                "--max-rss",
                str(args.max_rss),
                *(["--workers", str(args.workers)] if args.workers is not None else []),
                "--child-run",
                *made["files"],
            ]
        )
        wall = time.perf_counter() - started
        if found is None:
            print(f"  after {wall:.1f} s", flush=True)
            continue
        print(f"  load average after:  {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(
            f"  wall {wall:.1f} s (child process, imports included); CPU "
            f"{found['cpu_seconds']:.1f} s (user + system, from reading to clustering; "
            f"{found.get('children_cpu_seconds', 0.0):.1f} s of it in child processes)"
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
            f"  peak memory {found['peak_mib']:.0f} MiB (a child process at most "
            f"{found.get('children_peak_mib', 0.0):.0f} MiB); resident after "
            + ", ".join(f"{k} {v:.0f}" for k, v in found["rss_mib"].items())
            + " MiB"
        )
        print(
            "  CPU per stage "
            + ", ".join(f"{k} {v:.1f}" for k, v in found["stage_cpu_seconds"].items())
            + " s"
        )
        print(
            "  peak per stage "
            + ", ".join(f"{k} {v:.0f}" for k, v in found["stage_peak_mib"].items())
            + " MiB"
        )
        for note in found["notes"]:
            print(f"  note: {note}")
        print(
            "  json " + json.dumps({"records": made["records"], "wall": wall, **found}), flush=True
        )


if __name__ == "__main__":
    main()
