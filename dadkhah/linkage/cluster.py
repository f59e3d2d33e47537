"""Clusters of records from scored pairs, and the prior of a pair by whether it is in one list.

**Clusters** (:func:`clusters`). The pairs that score at least ``threshold`` are joined
strongest first (Kruskal's order, as for a maximum spanning forest), each join merging two
clusters, except where:

1. **A list would name one person twice without saying so.** A list rarely names one person
   twice. Two clusters whose join would put two records of one list together are joined only
   when every such two records are themselves linked directly (their own pair scores at least
   ``threshold``, or a reviewer accepted it): the model then says that the list does name the
   person twice. Otherwise the join is refused: the two records are most likely two people
   chained together by a third record that resembles both (two "Mohammed Khosravi" of one list
   joined through a typo'd record of another). Because the strongest pairs are joined first,
   a record goes with its best match, and the weaker chain is the one refused. The rule
   applies when the records come from two lists or more: records of one list alone are
   deduplicated, and finding the people that list names twice is the point.
2. **Reviewers' judgements bind.** Accepted pairs are joined first, whatever the lists; a pair a
   reviewer rejected is never an edge, and no join puts a rejected pair in one cluster (not
   even an accepted one: the rejection holds). A pair both accepted and rejected is an error.

Without judgements, and with every record from its own list or all from one, the clusters are
the connected components of the pairs at or above the threshold. Each record gets ``(cluster_id,
match_probability)``: the cluster id is the smallest record id in the cluster (stable from run
to run); the probability is the cluster's weakest link, the lowest probability among the joins
that made it (its maximum spanning tree: what the cluster as a whole depends on; 1.0 for a
record alone).

**The prior by kind of pair** (:func:`list_priors`). The model gives every pair one prior
probability of a match. Two records of one list are far less often one person than two
records of two lists, so the prior of each kind of pair is estimated from the scored pairs
themselves (expectation maximisation over the two priors, the Bayes factors held fixed) and the
pairs' probabilities are rescored with it.

Pure Python (and numpy), no Splink and no Django.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Judgement", "ListPriors", "clusters", "list_priors"]

ACCEPTED = 1.0


@dataclass(frozen=True)
class Judgement:
    """A reviewer's decision on a pair of records: the same person, or not."""

    unique_id_l: str
    unique_id_r: str
    same: bool


def _key(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def _list_of(uid: str) -> str | None:
    """The list part of a prepared ``unique_id`` (list, a separator, record id), if any."""
    for sep in ("\x1f", "\x00"):
        if sep in uid:
            return uid.split(sep, 1)[0]
    return None


class _Clusters:
    """Union-find over record ids, each cluster knowing its records by list."""

    def __init__(self, ids: Iterable[str], list_of: Mapping[str, str | None]) -> None:
        self.parent: dict[str, str] = {}
        self.members: dict[str, list[str]] = {}
        self.by_list: dict[str, dict[str | None, list[str]]] = {}
        self.weakest: dict[str, float] = {}
        for uid in ids:
            self.parent[uid] = uid
            self.members[uid] = [uid]
            self.by_list[uid] = {list_of.get(uid): [uid]}
            self.weakest[uid] = 1.0

    def root(self, uid: str) -> str:
        while self.parent[uid] != uid:
            self.parent[uid] = self.parent[self.parent[uid]]
            uid = self.parent[uid]
        return uid

    def join(self, a: str, b: str, p: float) -> None:
        if len(self.members[a]) < len(self.members[b]):
            a, b = b, a
        self.parent[b] = a
        self.members[a].extend(self.members.pop(b))
        for name, uids in self.by_list.pop(b).items():
            self.by_list[a].setdefault(name, []).extend(uids)
        self.weakest[a] = min(self.weakest[a], self.weakest.pop(b), p)


def clusters(
    ids: Sequence[str],
    pairs: Iterable[tuple[str, str, float]],
    threshold: float,
    judgements: Sequence[Judgement] = (),
    *,
    lists: Mapping[str, str | None] | None = None,
) -> dict[str, tuple[str, float]]:
    """Cluster ``ids`` from scored ``pairs`` (id, id, match probability); see the module rule.

    ``lists`` gives each id's source list (None: a list of its own); without it the list is
    read from the id itself when it is a prepared ``unique_id`` (list, ``\\x1f``, record id).
    Returns id -> (cluster id, weakest link). Every id in ``ids`` is in the result; a pair or
    judgement naming an id not in ``ids`` is an error.
    """
    known = set(ids)
    if len(known) != len(ids):
        raise ValueError("ids repeat")
    list_of: Mapping[str, str | None] = (
        lists if lists is not None else {uid: _list_of(uid) for uid in known}
    )
    accepted: set[tuple[str, str]] = set()
    rejected: dict[str, set[str]] = defaultdict(set)
    for j in judgements:
        for uid in (j.unique_id_l, j.unique_id_r):
            if uid not in known:
                raise ValueError(f"judgement names an unknown record: {uid!r}")
        if j.unique_id_l == j.unique_id_r:
            continue
        if j.same:
            accepted.add(_key(j.unique_id_l, j.unique_id_r))
        else:
            rejected[j.unique_id_l].add(j.unique_id_r)
            rejected[j.unique_id_r].add(j.unique_id_l)
    for a, b in sorted(accepted):
        if b in rejected.get(a, ()):
            raise ValueError(f"the pair {a!r}, {b!r} is both accepted and rejected")

    edges: dict[tuple[str, str], float] = {}
    for a, b, p in pairs:
        if a not in known or b not in known:
            raise ValueError(f"pair names an unknown record: {a!r}, {b!r}")
        key = _key(a, b)
        if a != b and p >= threshold and b not in rejected.get(a, ()) and key not in accepted:
            edges[key] = max(float(p), edges.get(key, 0.0))
    linked = set(edges) | accepted  # pairs linked directly
    # the list rule needs two lists or more: records of one list alone are deduplicated
    several = len({list_of.get(uid) for uid in known} - {None}) > 1

    found = _Clusters(sorted(known), list_of)

    def allowed(ra: str, rb: str, forced: bool) -> bool:
        small, large = (ra, rb) if len(found.members[ra]) <= len(found.members[rb]) else (rb, ra)
        for uid in found.members[small]:
            if any(found.root(other) == large for other in rejected.get(uid, ())):
                return False  # a rejected pair would share a cluster
        if forced or not several:
            return True
        other = found.by_list[large]
        for name, uids in found.by_list[small].items():
            if name is None or name not in other:
                continue
            for u in uids:
                for v in other[name]:
                    if _key(u, v) not in linked:
                        return False  # two records of one list, not linked directly
        return True

    order = [(ACCEPTED, a, b, True) for a, b in sorted(accepted)]
    order += sorted(
        ((p, a, b, False) for (a, b), p in edges.items()), key=lambda e: (-e[0], e[1], e[2])
    )
    for p, a, b, forced in order:
        ra, rb = found.root(a), found.root(b)
        if ra != rb and allowed(ra, rb, forced):
            found.join(ra, rb, p)

    result: dict[str, tuple[str, float]] = {}
    for root, members in found.members.items():
        cid = min(members)
        for uid in members:
            result[uid] = (cid, found.weakest[root])
    return result


@dataclass(frozen=True)
class ListPriors:
    """The prior (two random records match) of pairs within one list and across lists."""

    model: float  # the model's prior, for every pair
    within: float | None  # None when no two records share a list
    across: float | None  # None when every record is in one list
    iterations: int


def list_priors(
    ids_l: Sequence[str],
    ids_r: Sequence[str],
    match_weights: Sequence[float],
    lists: Mapping[str, str | None],
    prior: float,
    *,
    tolerance: float = 1e-6,
    max_iterations: int = 1000,
) -> tuple[np.ndarray, np.ndarray, ListPriors]:
    """The pairs rescored with one prior within a list and another across lists.

    The model scored every pair with one ``prior``: a pair's match weight is log2 of its odds,
    the prior's odds times its Bayes factor. Expectation maximisation over the two priors, the
    Bayes factors held fixed: each prior is the expected number of matches among the pairs of
    its kind over the number of such pairs among *all* pairs of records (a pair not scored
    counts as no match), with one match and one non-match added to each kind (Laplace's rule
    of succession), so that neither prior reaches 0 and a list that names one person twice,
    every field alike, still links. ``lists`` maps each record id to its list (None: a list of
    its own). Returns the new match weights, the new probabilities, and the priors.
    """
    if not 0.0 < prior < 1.0:
        raise ValueError(f"the prior must lie in (0, 1): {prior!r}")
    sizes: dict[str | None, int] = defaultdict(int)
    for name in lists.values():
        sizes[name] += 1
    records = sum(sizes.values())
    pairs_within = float(sum(n * (n - 1) / 2 for name, n in sizes.items() if name is not None))
    pairs_across = records * (records - 1) / 2 - pairs_within
    weights = np.asarray(match_weights, dtype=float)
    log_bf = weights - _log2_odds(prior)  # log2 Bayes factor of each pair
    if pairs_within == 0 or pairs_across == 0 or len(weights) == 0:
        kept = ListPriors(
            prior, prior if pairs_within else None, prior if pairs_across else None, 0
        )
        return weights, _probability(weights), kept
    same = np.array(
        [
            lists.get(a) is not None and lists.get(a) == lists.get(b)
            for a, b in zip(ids_l, ids_r, strict=True)
        ],
        dtype=bool,
    )
    within, across = prior, prior
    iterations = 0
    while iterations < max_iterations:
        iterations += 1
        found = _probability(log_bf + np.where(same, _log2_odds(within), _log2_odds(across)))
        w = (float(found[same].sum()) + 1.0) / (pairs_within + 2.0)
        x = (float(found[~same].sum()) + 1.0) / (pairs_across + 2.0)
        done = abs(w - within) <= tolerance * w and abs(x - across) <= tolerance * x
        within, across = w, x
        if done:
            break
    weights = log_bf + np.where(same, _log2_odds(within), _log2_odds(across))
    return weights, _probability(weights), ListPriors(prior, within, across, iterations)


def _log2_odds(p: float) -> float:
    return math.log2(p / (1.0 - p))


def _probability(weights: np.ndarray) -> np.ndarray:
    """Probability of log2 odds (2^w / (1 + 2^w)), without overflow."""
    found: np.ndarray = 1.0 / (1.0 + np.exp2(-np.clip(weights, -1000.0, 1000.0)))
    return found
