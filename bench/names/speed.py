"""Speed of ``dadkhah.names`` on one core: similarity pairs/s and match_keys names/s.

Inputs are invented and varied: victim lists of ``--records`` rows, where each row is a name
drawn from the lexicon (given name and surname, the common ones more often: Zipf weights in
the order of the data files, which list common names first) and written the way lists write
names: in Persian (Arabic letter forms, a dropped non-joiner, family name first) or in Latin
(any of the lexicon's spellings, "Family, Given", upper case), with titles and typos
(``evalset.py`` writes them). Every run prints its seed.

Before the timings, a list of yet another seed (printed) is keyed and forgotten, so that no
timing pays the process's first growth of its heap; the fresh-process rows include it.

What is timed, in one process and one thread: CPU time (``time.process_time``, which a busy
machine distorts least) and wall-clock time. Each timing is repeated ``--repeat`` times from the
same cache state; the table gives the median and the best.

- ``match_keys``
  - *cold, fresh names*: every cache empty, and each repetition keys another list (drawn with
    another seed, printed), so that no string has been hashed or seen before;
  - *cold*: every cache empty; each distinct name is new, and so are its words;
  - *new names of known words*: the caches of whole names emptied, those of words kept, as
    when a new list arrives made of words seen before;
  - *a list from empty caches*: every row of the list, in order, from empty caches;
  - *cached*: the same rows again;
  - *a new list in a fresh process*: every row, in a new Python process, timed from before
    ``import dadkhah.names``: loading the library and the compiled lexicon (``compiled.py``)
    included; and the same when no compiled file may be used, so that the lexicon is built
    from its data files in the process.
- ``similarity``
  - *cold*: every cache empty; pairs of names never seen;
  - *blocked pairs*: the pairs linkage compares (rows that share a ``match_keys`` key), once
    each and block after block, after blocking has parsed the names; scores of pairs of words
    are cached as the run goes, as they would be in linkage;
  - *the same pairs shuffled*: memory is then touched at random, the worst case;
  - *random pairs of rows*: the same, for random pairs;
  - *blocked pairs again*: with every cache warm.

    .venv/bin/python bench/names/speed.py [--records 20000] [--pairs 1000000] [--repeat 5] [--seed N]
        [--keys-only]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable

from evalset import lexicon_names

from dadkhah.names import compare, keys, match_keys, similarity
from dadkhah.names.compare import clear_caches
from dadkhah.names.lexicon import lexicon


def timed(
    label: str,
    count: int,
    unit: str,
    prepare: Callable[[], None],
    run: Callable[[], None],
    repeat: int,
) -> None:
    """Time ``run`` ``repeat`` times, each after ``prepare``; print the median and best rates."""
    cpu_rates: list[float] = []
    wall_rates: list[float] = []
    for _ in range(repeat):
        prepare()
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        cpu_rates.append(count / cpu)
        wall_rates.append(count / wall)
    print(
        f"| {label} | {count:,} | {statistics.median(cpu_rates):,.0f} {unit}/s "
        f"| {max(cpu_rates):,.0f} | {statistics.median(wall_rates):,.0f} |"
    )


def timed_lists(label: str, lists: list[list[str]], unit: str) -> None:
    """Time ``match_keys`` over each of ``lists`` (one repetition each), every cache emptied
    before; print the median and best rates, as ``timed`` does."""
    cpu_rates: list[float] = []
    wall_rates: list[float] = []
    for names in lists:
        clear_caches()
        wall, cpu = time.perf_counter(), time.process_time()
        for name in names:
            match_keys(name)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        cpu_rates.append(len(names) / cpu)
        wall_rates.append(len(names) / wall)
    count = round(statistics.mean(len(names) for names in lists))
    print(
        f"| {label} | {count:,} | {statistics.median(cpu_rates):,.0f} {unit}/s "
        f"| {max(cpu_rates):,.0f} | {statistics.median(wall_rates):,.0f} |"
    )


_FRESH = """
import sys, time
names = sys.stdin.read().split("\\n")
cpu, wall = time.process_time(), time.perf_counter()
from dadkhah.names import match_keys
for name in names:
    match_keys(name)
print(time.process_time() - cpu, time.perf_counter() - wall)
"""


def fresh(label: str, rows: list[str], repeat: int, environ: dict[str, str]) -> None:
    """Time ``match_keys`` over ``rows`` in a new process, from before ``import dadkhah.names``
    (loading the library and its lexicon included) to the last row."""
    cpu_rates: list[float] = []
    wall_rates: list[float] = []
    text = "\n".join(rows)
    for _ in range(repeat):
        done = subprocess.run(
            [sys.executable, "-c", _FRESH],
            input=text,
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, **environ},
        )
        cpu, wall = (float(x) for x in done.stdout.split())
        cpu_rates.append(len(rows) / cpu)
        wall_rates.append(len(rows) / wall)
    print(
        f"| {label} | {len(rows):,} | {statistics.median(cpu_rates):,.0f} names/s "
        f"| {max(cpu_rates):,.0f} | {statistics.median(wall_rates):,.0f} |"
    )


def each(function: Callable[[str], object], names: Iterable[str]) -> Callable[[], None]:
    def run() -> None:
        for name in names:
            function(name)

    return run


def each_pair(pairs: list[tuple[str, str]]) -> Callable[[], None]:
    def run() -> None:
        for a, b in pairs:
            similarity(a, b)

    return run


def forget_names() -> None:
    """Empty the caches of whole names, keep those of words (and of pairs of words)."""
    keys._KEYS.clear()
    compare._NAMES.clear()


def blocked_pairs(rows: list[str], limit: int, rng: random.Random) -> list[tuple[str, str]]:
    """The pairs of rows that share a match_keys key (at most ``limit``), block after block
    (the order in which linkage compares them)."""
    blocks: dict[str, list[int]] = defaultdict(list)
    for i, name in enumerate(rows):
        for key in match_keys(name):
            blocks[key].append(i)
    candidates: dict[tuple[int, int], None] = {}  # insertion-ordered: block after block
    for members in blocks.values():
        if len(members) > 200:  # a very common key: linkage would block on a second field too
            members = rng.sample(members, 200)
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                candidates[members[x], members[y]] = None
        if len(candidates) >= limit:
            break
    return [(rows[i], rows[j]) for i, j in candidates][:limit]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--pairs", type=int, default=1000000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--keys-only", action="store_true", help="time match_keys only")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    rng = random.Random(seed)
    lexicon()  # loading the data files is not part of any timing
    rows = lexicon_names(rng, args.records)
    distinct = list(dict.fromkeys(rows))
    blocked = [] if args.keys_only else blocked_pairs(rows, args.pairs, rng)
    shuffled = blocked[:]
    rng.shuffle(shuffled)
    randoms = (
        [] if args.keys_only else [(rng.choice(rows), rng.choice(rows)) for _ in range(args.pairs)]
    )
    cold_pairs = list(zip(distinct[0::2], distinct[1::2], strict=False))[:5000]
    # the fresh lists of the first timing: other seeds, drawn now, so that drawing is not timed
    fresh_seeds = [seed + 1 + i for i in range(args.repeat)]
    fresh_lists = [
        list(dict.fromkeys(lexicon_names(random.Random(s), args.records))) for s in fresh_seeds
    ]
    # Warm-up: a list of yet another seed, keyed once and forgotten, so that no timing pays the
    # process's first growth of its heap (page faults, arenas) or the lexicon's tables being
    # filled on the first word; the fresh-process rows below measure those.
    warm_seed = seed + 1 + args.repeat
    for name in lexicon_names(random.Random(warm_seed), args.records):
        match_keys(name)
    clear_caches()
    print(f"seed {seed}: a list of {len(rows):,} rows, {len(distinct):,} distinct names")
    print(f"fresh lists (cold, fresh names): seeds {', '.join(map(str, fresh_seeds))}")
    print(f"warm-up before the timings: a list of seed {warm_seed}, keyed then forgotten")
    print(f"each timing repeated {args.repeat} times from the same cache state")
    print()
    print("| what | count | CPU rate, median | CPU rate, best | wall-clock rate, median |")
    print("|---|---|---|---|---|")

    def nothing() -> None:
        pass

    def parse_all() -> None:
        clear_caches()
        for name in rows:
            match_keys(name)  # what blocking does before linkage compares pairs

    def rows_keyed() -> None:
        clear_caches()
        each(match_keys, rows)()

    r = args.repeat
    timed_lists(
        "match_keys, cold, fresh names each repetition (empty caches)", fresh_lists, "names"
    )
    timed(
        "match_keys, cold (distinct names, empty caches)",
        len(distinct),
        "names",
        clear_caches,
        each(match_keys, distinct),
        r,
    )
    timed(
        "match_keys, new names of known words",
        len(distinct),
        "names",
        forget_names,
        each(match_keys, distinct),
        r,
    )
    timed(
        "match_keys, a list from empty caches (every row)",
        len(rows),
        "names",
        clear_caches,
        each(match_keys, rows),
        r,
    )
    timed(
        "match_keys, cached (the same rows again)",
        len(rows),
        "names",
        rows_keyed,
        each(match_keys, rows),
        r,
    )
    fresh("match_keys, a new list in a fresh process (load included)", rows, r, {})
    fresh(
        "match_keys, a new list in a fresh process, no compiled lexicon file (built)",
        rows,
        r,
        {"DADKHAH_NAMES_CACHE": ""},
    )
    if args.keys_only:
        return
    timed(
        "similarity, cold (new names, empty caches)",
        len(cold_pairs),
        "pairs",
        clear_caches,
        each_pair(cold_pairs),
        r,
    )
    timed(
        "similarity, blocked pairs, block after block (pair scores cached as the run goes)",
        len(blocked),
        "pairs",
        parse_all,
        each_pair(blocked),
        r,
    )
    timed(
        "similarity, the same pairs shuffled (after blocking)",
        len(shuffled),
        "pairs",
        parse_all,
        each_pair(shuffled),
        r,
    )
    timed(
        "similarity, random pairs of rows (after blocking)",
        len(randoms),
        "pairs",
        parse_all,
        each_pair(randoms),
        r,
    )
    timed(
        "similarity, blocked pairs again (every cache warm)",
        len(blocked),
        "pairs",
        nothing,
        each_pair(blocked),
        r,
    )


if __name__ == "__main__":
    main()
