"""``match_keys`` now against ``match_keys`` at an earlier commit, interleaved in one process.

On a shared machine the rate of the same code drifts by a fifth from one minute to the next, so
two runs of ``speed.py`` minutes apart cannot tell a change of 10 % from noise. This script
extracts ``dadkhah/names`` at ``--rev`` (``git archive``) into a temporary directory, imports
it under another name beside the working tree's, checks that both give the same keys for every
name, and then times the two in turns (ABBA order), on the same lists, from empty caches:

- *cold*: lists drawn from the lexicon (``evalset.lexicon_names``) with seeds ``--seed``,
  ``--seed`` + 1, …, each keyed from empty caches (every name and word new);
- *new names of known words*: the same lists again with only the caches of whole names emptied.

It prints the median CPU rates (names/s) and their ratio, now / then.

    .venv/bin/python bench/names/against_revision.py --rev 6f7efb9 [--lists 3] [--rounds 8]
        [--records 20000] [--seed 6]
"""

from __future__ import annotations

import argparse
import importlib
import io
import random
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from evalset import lexicon_names

import dadkhah.names
from dadkhah.names.lexicon import lexicon

ROOT = Path(__file__).resolve().parents[2]
_PACKAGE = "dadkhah_names_then"


def load_revision(rev: str, into: Path) -> ModuleType:
    """``dadkhah/names`` at ``rev``, importable as ``dadkhah_names_then``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", rev, "dadkhah/names"],
        check=True,
        capture_output=True,
    ).stdout
    target = into / _PACKAGE
    target.mkdir()
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar.getmembers():
            if not member.isfile():
                continue
            relative = Path(member.name).relative_to("dadkhah/names")
            extracted = tar.extractfile(member)
            assert extracted is not None
            data = extracted.read()
            if relative.suffix == ".py":
                data = data.replace(b"dadkhah.names", _PACKAGE.encode())
            path = target / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    sys.path.insert(0, str(into))
    return importlib.import_module(_PACKAGE)


def timing(keys: Callable[[str], object], names: list[str], forget: Callable[[], None]) -> float:
    """CPU rate of keying ``names`` after ``forget``."""
    forget()
    cpu = time.process_time()
    for name in names:
        keys(name)
    return len(names) / (time.process_time() - cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rev", required=True, help="the earlier commit")
    parser.add_argument("--lists", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args()
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    with tempfile.TemporaryDirectory() as tmp:
        then = load_revision(args.rev, Path(tmp))
        now = dadkhah.names
        then_compare = importlib.import_module(_PACKAGE + ".compare")
        then_keys = importlib.import_module(_PACKAGE + ".keys")
        now_compare = importlib.import_module("dadkhah.names.compare")
        now_keys = importlib.import_module("dadkhah.names.keys")
        then.lexicon.lexicon()
        lexicon()
        seeds = [args.seed + i for i in range(args.lists)]
        lists = [list(dict.fromkeys(lexicon_names(random.Random(s), args.records))) for s in seeds]
        differ = sum(
            now.match_keys(name) != then.match_keys(name) for names in lists for name in names
        )
        print(f"now: the working tree (HEAD {head}); then: dadkhah/names at {args.rev}")
        print(f"lists of seeds {', '.join(map(str, seeds))}: {sum(map(len, lists)):,} names")
        print(f"names whose keys differ between the two: {differ}")
        sides = {
            "now": (now.match_keys, now_compare.clear_caches, now_keys._KEYS.clear),
            "then": (then.match_keys, then_compare.clear_caches, then_keys._KEYS.clear),
        }
        for keys, clear, _forget in sides.values():  # warm-up: the heap's first growth
            for names in lists:
                timing(keys, names, clear)
        rates: dict[tuple[str, str], list[float]] = {}
        for round_ in range(args.rounds):
            order = ["now", "then"] if round_ % 2 == 0 else ["then", "now"]
            for side in order:
                keys, clear, forget = sides[side]
                for names in lists:
                    rates.setdefault((side, "cold"), []).append(timing(keys, names, clear))
                    rates.setdefault((side, "known words"), []).append(timing(keys, names, forget))
    print()
    print("| what | then (names/s, CPU, median) | now | now / then |")
    print("|---|---|---|---|")
    for what in ("cold", "known words"):
        a = statistics.median(rates["then", what])
        b = statistics.median(rates["now", what])
        print(f"| match_keys, {what} | {a:,.0f} | {b:,.0f} | {b / a:.3f} |")


if __name__ == "__main__":
    main()
