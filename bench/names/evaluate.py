"""Precision and recall of ``dadkhah.names`` on the evaluation set, next to a baseline.

On the test half of the evaluation set (``evalset.py``): precision and recall of
``similarity >= THRESHOLD`` on cross-script pairs (the targets: both at least 0.95) and on all
pairs, by kind of pair; the recall of ``match_keys`` (two writings of one name share a key;
target at least 0.99) and how often different names share a key. The baseline is plain
Jaro-Winkler on unidecode's romanization, at the threshold that maximizes its F1 on the
calibration half (its best case).

    .venv/bin/python bench/names/evaluate.py [--groups 1200] [--seed N] [--show 10]
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Callable, Iterable

from evalset import Pair, generate, lexicon_names
from rapidfuzz.distance import JaroWinkler
from unidecode import unidecode

from dadkhah.names import THRESHOLD, VERSION, match_keys, similarity


def baseline(a: str, b: str) -> float:
    """Plain Jaro-Winkler on unidecode output, lower-cased, spaces collapsed."""

    def flat(text: str) -> str:
        return " ".join(unidecode(text).lower().split())

    return JaroWinkler.normalized_similarity(flat(a), flat(b))


def rates(scored: Iterable[tuple[Pair, float]], threshold: float) -> tuple[float, float, int, int]:
    """(precision, recall, positives, negatives)."""
    tp = fp = fn = pos = neg = 0
    for pair, score in scored:
        hit = score >= threshold
        pos += pair.same
        neg += not pair.same
        tp += hit and pair.same
        fp += hit and not pair.same
        fn += (not hit) and pair.same
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, pos, neg


def best_threshold(scored: list[tuple[Pair, float]]) -> float:
    best, best_f1 = 0.5, -1.0
    for step in range(50, 100):
        t = step / 100
        p, r, _, _ = rates(scored, t)
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        if f1 > best_f1:
            best, best_f1 = t, f1
    return best


def share_key(pair: Pair) -> bool:
    return bool(match_keys(pair.a) & match_keys(pair.b))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--groups", type=int, default=1200)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--show", type=int, default=0, help="print this many errors of each kind")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    pairs = generate(args.groups, seed)
    test = [p for p in pairs if p.split == "test"]
    calibration_half = [p for p in pairs if p.split == "calibration"]
    ours = [(p, similarity(p.a, p.b)) for p in test]
    base_cal = [(p, baseline(p.a, p.b)) for p in calibration_half if p.cross]
    base_threshold = best_threshold(base_cal)
    base = [(p, baseline(p.a, p.b)) for p in test]

    print(f"dadkhah.names {VERSION}; evaluation set: seed {seed}, {args.groups} name groups")
    print(f"test half: {len(test)} pairs; threshold {THRESHOLD} (baseline: {base_threshold})")
    print()
    print(
        "| pairs | positives | negatives | precision | recall | baseline precision | baseline recall |"
    )
    print("|---|---|---|---|---|---|---|")
    subsets: list[tuple[str, Callable[[Pair], bool]]] = [
        ("cross-script (target)", lambda p: p.cross),
        ("cross-script, no typo", lambda p: p.cross and not p.typo),
        ("cross-script, with a typo", lambda p: p.cross and p.typo),
        ("cross-script, a word unknown to the lexicon", lambda p: p.cross and not p.known),
        ("same script", lambda p: not p.cross),
        ("all", lambda p: True),
    ]
    for label, keep in subsets:
        p1, r1, pos, neg = rates([(p, s) for p, s in ours if keep(p)], THRESHOLD)
        p2, r2, _, _ = rates([(p, s) for p, s in base if keep(p)], base_threshold)
        print(f"| {label} | {pos} | {neg} | {p1:.3f} | {r1:.3f} | {p2:.3f} | {r2:.3f} |")
    print()
    print("| negatives | pairs | scored as the same name | baseline |")
    print("|---|---|---|---|")
    for kind in ("hard", "shared"):
        sub = [(p, s) for p, s in ours if not p.same and p.kind == kind and p.cross]
        sub_b = [(p, s) for p, s in base if not p.same and p.kind == kind and p.cross]
        fp = sum(s >= THRESHOLD for _, s in sub)
        fp_b = sum(s >= base_threshold for _, s in sub_b)
        print(
            f"| {kind}, cross-script | {len(sub)} | {fp / len(sub):.3f} | {fp_b / len(sub_b):.3f} |"
        )
    print()
    positives = [p for p in test if p.same]
    cross_pos = [p for p in positives if p.cross]
    print("| match_keys | pairs | share a key |")
    print("|---|---|---|")
    print(
        f"| positives, cross-script (target) | {len(cross_pos)} | {sum(map(share_key, cross_pos)) / len(cross_pos):.4f} |"
    )
    print(
        f"| positives, all | {len(positives)} | {sum(map(share_key, positives)) / len(positives):.4f} |"
    )
    for kind in ("hard", "shared"):
        neg = [p for p in test if not p.same and p.kind == kind]
        print(f"| negatives, {kind} | {len(neg)} | {sum(map(share_key, neg)) / len(neg):.4f} |")
    rng = random.Random(seed)
    names = [p.a for p in test] + [p.b for p in test]
    randoms = [(rng.choice(names), rng.choice(names)) for _ in range(20000)]
    shared = sum(bool(match_keys(a) & match_keys(b)) for a, b in randoms)
    print(f"| random pairs of names from the set | {len(randoms)} | {shared / len(randoms):.4f} |")
    invented = lexicon_names(random.Random(seed), 5000)
    pairs_of = [(rng.choice(invented), rng.choice(invented)) for _ in range(100000)]
    shared = sum(bool(match_keys(a) & match_keys(b)) for a, b in pairs_of)
    print(
        f"| random pairs of names invented from the lexicon | {len(pairs_of)} | {shared / len(pairs_of):.4f} |"
    )
    keys = [len(match_keys(n)) for n in names]
    print(f"\nkeys per name: mean {sum(keys) / len(keys):.2f}, max {max(keys)}")

    if args.show:
        misses = [(p, s) for p, s in ours if p.same and p.cross and s < THRESHOLD]
        false = [(p, s) for p, s in ours if not p.same and p.cross and s >= THRESHOLD]
        nokey = [p for p in cross_pos if not share_key(p)]
        print("\nmissed (cross-script):")
        for p, s in misses[: args.show]:
            print(f"  {s:.3f} {p.a!r} {p.b!r}")
        print("false matches (cross-script):")
        for p, s in false[: args.show]:
            print(f"  {s:.3f} {p.kind} {p.a!r} {p.b!r}")
        print("no shared key (cross-script):")
        for p in nokey[: args.show]:
            print(f"  {p.a!r} {sorted(match_keys(p.a))} {p.b!r} {sorted(match_keys(p.b))}")


if __name__ == "__main__":
    main()
