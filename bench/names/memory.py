"""Peak memory of ``match_keys`` in the worst case: every name new, made of words never seen.

The caches of ``dadkhah.names`` are bounded (2^20 names with their keys, 2^20 words as written,
2^19 tokens; past a bound a cache is emptied and refilled), so memory must level off however
many names are keyed. This script keys ``--names`` names of two made-up words each (random
letters; Latin, or Persian letters for one name in three; so every word is new and no cache ever
hits), in a new process, and prints the peak resident memory (``ru_maxrss``) of that process
every ``--every`` names, after importing ``dadkhah.names`` and loading its lexicon first.

    .venv/bin/python bench/names/memory.py [--names 2200000] [--every 200000] [--seed N]
"""

from __future__ import annotations

import argparse
import random
import resource

from dadkhah.names import match_keys
from dadkhah.names.lexicon import lexicon

_LATIN = "abcdefghijklmnopqrstuvwxyz"
_PERSIAN = "ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی"


def made_up(rng: random.Random) -> str:
    letters = _PERSIAN if rng.random() < 1 / 3 else _LATIN
    return " ".join(
        "".join(rng.choice(letters) for _ in range(rng.randint(4, 10))) for _ in range(2)
    )


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--names", type=int, default=2_200_000)
    parser.add_argument("--every", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    rng = random.Random(seed)
    lexicon()
    match_keys("Ali Rezaei")
    print(f"seed {seed}: {args.names:,} names of two made-up words")
    print(f"after loading: peak {peak_mib():,.0f} MiB")
    print()
    print("| names keyed | peak resident memory |")
    print("|---|---|")
    for done in range(1, args.names + 1):
        match_keys(made_up(rng))
        if done % args.every == 0 or done == args.names:
            print(f"| {done:,} | {peak_mib():,.0f} MiB |")


if __name__ == "__main__":
    main()
