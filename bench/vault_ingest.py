"""Time evidence ingest against the issue's three targets, on synthetic files it writes.

1. ``large``: 1 GiB of large files. Ingest (copy, SHA-256, fsync, link, database record,
   ledger entry) against ``openssl dgst -sha256`` over the same files, side by side in one
   run, the page cache warm for both; the target is a ratio of at least 70 %.
2. ``small``: 10,000 files of at most 64 KiB (random bytes, text in Persian and English,
   small PNG-like and PDF-like files), ingested by the real command ``dadkhah ingest DIR``
   in a fresh DADKHAH_HOME, start-up included; the target is 60 s or less.
3. ``memory``: the peak resident memory (``getrusage``) of a process that ingests one 16 MiB
   file and of one that ingests one 512 MiB file; the target is the same peak for both.

    .venv/bin/python bench/vault_ingest.py [--seed N] [--only large|small|memory]
        [--large-files 4] [--small 10000] [--repeat 3] [--no-extract]

Every file is invented. Work files go to a temporary directory that is removed at the end.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIB = 1 << 20
WORDS_FA = ["زندان", "اوین", "گوهردشت", "اعدام", "خانواده", "نامه", "شهادت", "کمیسیون", "مرداد"]
WORDS_EN = ["prison", "letter", "family", "witness", "commission", "summer", "grave", "names"]


def env_for(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["DADKHAH_HOME"] = str(home)
    return env


def write_random(path: Path, size: int, rng: random.Random) -> None:
    with path.open("wb") as out:
        left = size
        while left:
            n = min(left, 16 * MIB)
            out.write(rng.randbytes(n))
            left -= n


# ---------------------------------------------------------------- 1. large files


INGEST_LARGE = r"""
import sys, time
from pathlib import Path
from dadkhah.cli import setup
setup()
from dadkhah.vault.ingest import Ingest
folder, extract = Path(sys.argv[1]), sys.argv[2] == "1"
started = time.perf_counter()
with Ingest("bench", extract=extract) as run:
    run.add(str(folder))
elapsed = time.perf_counter() - started
print(elapsed, sum(item.size for item, _ in run.items))
"""


STAGE_ONLY = r"""
import sys, time
from pathlib import Path
from dadkhah.vault.store import stage_file
folder, work = Path(sys.argv[1]), Path(sys.argv[2])
started = time.perf_counter()
for path in sorted(folder.iterdir()):
    staged = stage_file(path, work)  # copy + SHA-256 + fsync, nothing else
    staged.temp.unlink()
print(time.perf_counter() - started)
"""


def bench_large(work: Path, rng: random.Random, files: int, repeat: int, extract: bool) -> dict:
    folder = work / "large"
    folder.mkdir()
    for i in range(files):
        write_random(folder / f"scan-{i}.bin", (1 << 30) // files, rng)
    paths = sorted(str(p) for p in folder.iterdir())
    total = sum(os.path.getsize(p) for p in paths)
    subprocess.run(["cat", *paths], stdout=subprocess.DEVNULL, check=True)  # warm the cache
    openssl, ingest, stage = [], [], []
    (work / "stage").mkdir()
    for rep in range(repeat):
        started = time.perf_counter()
        subprocess.run(["openssl", "dgst", "-sha256", *paths], capture_output=True, check=True)
        openssl.append(total / (time.perf_counter() - started))
        home = work / f"home-large-{rep}"
        subprocess.run(  # create and migrate the home first: not part of the timing
            [sys.executable, "-c", "from dadkhah.cli import setup; setup()"],
            env=env_for(home),
            check=True,
        )
        done = subprocess.run(
            [sys.executable, "-c", INGEST_LARGE, str(folder), "1" if extract else "0"],
            env=env_for(home),
            capture_output=True,
            text=True,
            check=True,
        )
        seconds, size = done.stdout.split()
        assert int(size) == total, (size, total)
        ingest.append(total / float(seconds))
        shutil.rmtree(home)
        done = subprocess.run(
            [sys.executable, "-c", STAGE_ONLY, str(folder), str(work / "stage")],
            capture_output=True,
            text=True,
            check=True,
        )
        stage.append(total / float(done.stdout))
    shutil.rmtree(folder)
    o, i = statistics.median(openssl), statistics.median(ingest)
    best_o, best_i = max(openssl), max(ingest)
    return {
        "bytes": total,
        "files": files,
        "openssl": o,
        "ingest": i,
        "ratio": i / o,
        "best_openssl": best_o,
        "best_ingest": best_i,
        "best_ratio": best_i / best_o,
        "stage": statistics.median(stage),
    }


# ---------------------------------------------------------------- 2. small files


def small_file(rng: random.Random, index: int) -> tuple[str, bytes]:
    size = rng.randint(1, 64 * 1024)
    kind = index % 4
    if kind == 0:
        return "bin", rng.randbytes(size)
    if kind == 1:
        words = WORDS_FA if index % 8 == 1 else WORDS_EN
        text = " ".join(rng.choice(words) for _ in range(size // 6 + 1)).encode()
        return "txt", text[:size]
    if kind == 2:
        body = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\x00\x00\x01\x00\x08\x02"
        return "png", (body + rng.randbytes(size))[:size]
    return "pdf", (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + rng.randbytes(size))[:size]


def bench_small(work: Path, rng: random.Random, count: int, extract: bool) -> dict:
    folder = work / "small"
    for i in range(count):
        ext, data = small_file(rng, i)
        sub = folder / f"box-{i // 1000:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"doc-{i:05d}.{ext}").write_bytes(data)
    total = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    home = work / "home-small"
    env = env_for(home)
    subprocess.run(
        [sys.executable, "-c", "from dadkhah.cli import setup; setup()"], env=env, check=True
    )
    command = [str(ROOT / ".venv" / "bin" / "dadkhah"), "ingest", str(folder)]
    if not extract:
        command = [
            sys.executable,
            "-c",
            INGEST_LARGE.replace("print(elapsed", "print(len(run.items), elapsed"),
            str(folder),
            "0",
        ]
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - started
    lines = done.stdout.count("\n") if extract else int(done.stdout.split()[0])
    assert lines == count, (lines, count, done.stderr[-2000:])
    shutil.rmtree(home)
    shutil.rmtree(folder)
    return {"files": count, "bytes": total, "seconds": seconds}


# ---------------------------------------------------------------- 3. memory


MEASURE = r"""
import resource, sys
from pathlib import Path
from dadkhah.cli import setup
setup()
from dadkhah.vault.ingest import Ingest
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
with Ingest("bench", extract=False) as run:
    run.add(sys.argv[1])
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(before, after)
"""


def bench_memory(work: Path, rng: random.Random) -> list[dict]:
    out = []
    for size_mib in (16, 512):
        path = work / f"one-{size_mib}.bin"
        write_random(path, size_mib * MIB, rng)
        for restricted in (False, True):
            home = work / f"home-mem-{size_mib}-{restricted}"
            code = MEASURE.replace(
                '"bench", extract=False', f'"bench", extract=False, restricted={restricted}'
            )
            done = subprocess.run(
                [sys.executable, "-c", code, str(path)],
                env=env_for(home),
                capture_output=True,
                text=True,
                check=True,
            )
            before, after = (int(x) for x in done.stdout.split())
            out.append(
                {"mib": size_mib, "restricted": restricted, "before": before, "after": after}
            )
            shutil.rmtree(home)
        path.unlink()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--only", choices=["large", "small", "memory"], default=None)
    parser.add_argument("--large-files", type=int, default=4)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--no-extract", action="store_true", help="Do not queue text extraction for new items."
    )
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(2**31)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"seed {seed}; load average before: {load} (other work on the machine skews the numbers)")
    rng = random.Random(seed)
    extract = not args.no_extract
    work = Path(tempfile.mkdtemp(prefix="dadkhah-bench-ingest-"))
    try:
        if args.only in (None, "large"):
            r = bench_large(work, rng, args.large_files, args.repeat, extract)
            print(
                f"large: {r['files']} files, {r['bytes'] / 2**30:.2f} GiB; "
                f"openssl dgst -sha256 {r['openssl'] / 1e6:,.0f} MB/s, "
                f"ingest {r['ingest'] / 1e6:,.0f} MB/s: ratio {r['ratio']:.0%} "
                f"(medians of {args.repeat}); best runs {r['best_openssl'] / 1e6:,.0f} and "
                f"{r['best_ingest'] / 1e6:,.0f} MB/s: ratio {r['best_ratio']:.0%} (target >= 70%); "
                f"copy-and-hash alone (store.stage_file) {r['stage'] / 1e6:,.0f} MB/s"
            )
        if args.only in (None, "small"):
            r = bench_small(work, rng, args.small, extract)
            print(
                f"small: {r['files']:,} files, {r['bytes'] / MIB:.0f} MiB, "
                f"{r['seconds']:.1f} s ({r['files'] / r['seconds']:,.0f} files/s; target <= 60 s)"
            )
        if args.only in (None, "memory"):
            for r in bench_memory(work, rng):
                kind = "restricted" if r["restricted"] else "plain"
                print(
                    f"memory: one {r['mib']} MiB file ({kind}): peak RSS "
                    f"{r['after'] / 1024:.1f} MiB (after start-up {r['before'] / 1024:.1f} MiB)"
                )
    finally:
        shutil.rmtree(work, ignore_errors=True)
        print(f"load average after: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
