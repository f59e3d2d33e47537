"""Scores of a linkage against the known truth: pairwise and B-cubed precision, recall and F1.

- ``pairwise(clusters, truth)``: the pairs of records put in one cluster against the pairs of
  records of one person (counted from the contingency table, never listing the pairs);
- ``pair_links(pairs, truth)``: the same for a set of linked pairs (before clustering);
- ``bcubed(clusters, truth)``: per record, the share of its cluster that is the same person
  (precision) and the share of its person's records in its cluster (recall), averaged over
  records (Bagga & Baldwin 1998; Amigó et al. 2009).

``clusters`` and ``truth`` map the same record keys to a cluster id and a person id; a key in
one but not the other is an error, so that no record is silently left out of the scores.

    .venv/bin/python bench/linkage/metrics.py     # scores a toy example
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

__all__ = ["Scores", "pairwise", "pair_links", "bcubed", "true_pairs"]

K = TypeVar("K", bound=Hashable)  # a record
C = TypeVar("C", bound=Hashable)  # a cluster
P = TypeVar("P", bound=Hashable)  # a person


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    true_positives: int = 0  # pairs (pairwise) or records (B-cubed: the number scored)
    predicted: int = 0
    actual: int = 0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r > 0 else 0.0

    def line(self) -> str:
        return f"P {self.precision:.4f}  R {self.recall:.4f}  F1 {self.f1:.4f}"


def _check(clusters: Mapping[K, C], truth: Mapping[K, P]) -> None:
    if clusters.keys() != truth.keys():
        extra = [k for k in clusters if k not in truth][:3]
        missing = [k for k in truth if k not in clusters][:3]
        raise ValueError(
            f"clusters and truth cover different records: {len(clusters)} vs {len(truth)}; "
            f"not in truth: {extra}, not in clusters: {missing}"
        )


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def pairwise(clusters: Mapping[K, C], truth: Mapping[K, P]) -> Scores:
    _check(clusters, truth)
    both = Counter((clusters[k], truth[k]) for k in truth)
    tp = sum(_pairs(n) for n in both.values())
    predicted = sum(_pairs(n) for n in Counter(clusters.values()).values())
    actual = sum(_pairs(n) for n in Counter(truth.values()).values())
    return Scores(
        tp / predicted if predicted else 1.0, tp / actual if actual else 1.0, tp, predicted, actual
    )


def pair_links(links: Iterable[tuple[K, K]], truth: Mapping[K, P]) -> Scores:
    """Scores of linked pairs (each unordered pair counted once; unknown keys are an error)."""
    seen: set[frozenset[K]] = set()
    for a, b in links:
        if a not in truth or b not in truth:
            raise ValueError(f"pair ({a!r}, {b!r}) names a record that is not in the truth")
        if a != b:
            seen.add(frozenset((a, b)))
    tp = 0
    for pair in seen:
        a, b = tuple(pair)
        tp += truth[a] == truth[b]
    actual = sum(_pairs(n) for n in Counter(truth.values()).values())
    predicted = len(seen)
    return Scores(
        tp / predicted if predicted else 1.0, tp / actual if actual else 1.0, tp, predicted, actual
    )


def bcubed(clusters: Mapping[K, C], truth: Mapping[K, P]) -> Scores:
    _check(clusters, truth)
    if not truth:
        return Scores(1.0, 1.0)
    both = Counter((clusters[k], truth[k]) for k in truth)
    size_c = Counter(clusters.values())
    size_t = Counter(truth.values())
    precision = sum(n * n / size_c[c] for (c, _t), n in both.items()) / len(truth)
    recall = sum(n * n / size_t[t] for (_c, t), n in both.items()) / len(truth)
    return Scores(precision, recall, len(truth), len(truth), len(truth))


def true_pairs(truth: Mapping[K, P]) -> set[frozenset[K]]:
    """Every pair of records of one person (for error analysis; quadratic in a person's records)."""
    by_person: dict[P, list[K]] = {}
    for key, person in truth.items():
        by_person.setdefault(person, []).append(key)
    out: set[frozenset[K]] = set()
    for keys in by_person.values():
        for i, a in enumerate(keys):
            for b in keys[i + 1 :]:
                out.add(frozenset((a, b)))
    return out


def main() -> None:
    truth = {"a1": "p1", "a2": "p1", "a3": "p1", "b1": "p2", "b2": "p2", "c1": "p3"}
    found = {"a1": "x", "a2": "x", "a3": "y", "b1": "z", "b2": "z", "c1": "z"}
    print("truth   ", truth)
    print("clusters", found)
    print("pairwise", pairwise(found, truth).line())
    print("B-cubed ", bcubed(found, truth).line())


if __name__ == "__main__":
    main()
