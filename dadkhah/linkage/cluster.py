"""Clusters of records from scored pairs: connected components, then weak chains split.

The rule, in order:

1. **Components.** Two records are joined when their pair scores at least ``threshold``, or
   when a reviewer accepted the pair (an accepted pair counts as probability 1.0). A pair a
   reviewer rejected is never an edge.
2. **Weak chains split.** Inside a component, a *bridge* (an edge whose removal disconnects
   the component) that scores below ``strong`` is cut when the two sides it separates both
   hold a record of the same list. A list rarely names one person twice, so two records of
   one list joined only through a weak bridge are most likely two people chained together
   by a third record that resembles both. Cutting repeats until no such bridge is left;
   edges scoring ``strong`` or more, and accepted pairs, are never cut by this rule.
3. **Rejections hold.** While a rejected pair still shares a cluster, the weakest edge on
   the strongest path between the two records is cut (the bottleneck of the maximin path, an
   accepted pair last of all). A pair both accepted and rejected is an error.

Each record gets ``(cluster_id, match_probability)``: the cluster id is the smallest record id
in the cluster (stable from run to run); the probability is the cluster's weakest link, the
lowest probability in its maximum spanning tree, which is what the cluster as a whole depends
on (1.0 for a record alone).

Pure Python, no Splink and no Django.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

__all__ = ["Judgement", "clusters"]

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


class _Graph:
    """Undirected weighted graph over record ids; edges keyed by the ordered pair."""

    def __init__(self) -> None:
        self.adj: dict[str, dict[str, float]] = defaultdict(dict)

    def add(self, a: str, b: str, p: float) -> None:
        if a == b:
            return
        old = self.adj[a].get(b)
        if old is None or p > old:
            self.adj[a][b] = p
            self.adj[b][a] = p

    def remove(self, a: str, b: str) -> None:
        self.adj[a].pop(b, None)
        self.adj[b].pop(a, None)

    def component(self, start: str) -> list[str]:
        seen = {start}
        stack = [start]
        while stack:
            node = stack.pop()
            for other in self.adj[node]:
                if other not in seen:
                    seen.add(other)
                    stack.append(other)
        return sorted(seen)

    def bridges(self, nodes: Sequence[str]) -> list[tuple[str, str]]:
        """Bridges of the component holding ``nodes`` (iterative Tarjan)."""
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        found: list[tuple[str, str]] = []
        counter = 0
        root = nodes[0]
        index[root] = low[root] = counter
        stack: list[tuple[str, str | None, list[str]]] = [(root, None, sorted(self.adj[root]))]
        while stack:
            node, parent, todo = stack[-1]
            if todo:
                other = todo.pop()
                if other == parent:
                    continue
                if other in index:
                    low[node] = min(low[node], index[other])
                else:
                    counter += 1
                    index[other] = low[other] = counter
                    stack.append((other, node, sorted(self.adj[other])))
            else:
                stack.pop()
                if parent is not None:
                    low[parent] = min(low[parent], low[node])
                    if low[node] > index[parent]:
                        found.append(_key(parent, node))
        return found

    def side(self, start: str, without: tuple[str, str]) -> set[str]:
        """Nodes reachable from ``start`` once the edge ``without`` is gone."""
        a, b = without
        seen = {start}
        stack = [start]
        while stack:
            node = stack.pop()
            for other in self.adj[node]:
                if (node, other) in ((a, b), (b, a)) or other in seen:
                    continue
                seen.add(other)
                stack.append(other)
        return seen

    def maximin_path(self, a: str, b: str) -> list[tuple[str, str]] | None:
        """Edges of the path from a to b whose weakest edge is strongest (widest path)."""
        best: dict[str, float] = {a: 2.0}
        prev: dict[str, str] = {}
        done: set[str] = set()
        while True:
            open_nodes = [(w, n) for n, w in best.items() if n not in done]
            if not open_nodes:
                return None
            w, node = max(open_nodes, key=lambda t: (t[0], t[1]))
            if node == b:
                break
            done.add(node)
            for other, p in self.adj[node].items():
                width = min(w, p)
                if other not in done and width > best.get(other, -1.0):
                    best[other] = width
                    prev[other] = node
        path: list[tuple[str, str]] = []
        node = b
        while node != a:
            path.append((prev[node], node))
            node = prev[node]
        return path


def _weakest_link(graph: _Graph, nodes: Sequence[str]) -> float:
    """Lowest probability in the maximum spanning tree of a component (Prim)."""
    if len(nodes) == 1:
        return 1.0
    inside = {nodes[0]}
    frontier: dict[str, float] = dict(graph.adj[nodes[0]])
    weakest = 1.0
    while len(inside) < len(nodes):
        node = max(frontier, key=lambda n: (frontier[n], n))
        weakest = min(weakest, frontier.pop(node))
        inside.add(node)
        for other, p in graph.adj[node].items():
            if other not in inside and p > frontier.get(other, -1.0):
                frontier[other] = p
    return weakest


def clusters(
    ids: Sequence[str],
    pairs: Iterable[tuple[str, str, float]],
    threshold: float,
    judgements: Sequence[Judgement] = (),
    strong: float = 0.99,
    *,
    lists: Mapping[str, str | None] | None = None,
) -> dict[str, tuple[str, float]]:
    """Cluster ``ids`` from scored ``pairs`` (id, id, match probability); see the module rule.

    ``lists`` gives each id's source list (for the weak-chain rule); without it the list is
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
    rejected: set[tuple[str, str]] = set()
    for j in judgements:
        for uid in (j.unique_id_l, j.unique_id_r):
            if uid not in known:
                raise ValueError(f"judgement names an unknown record: {uid!r}")
        (accepted if j.same else rejected).add(_key(j.unique_id_l, j.unique_id_r))
    both = accepted & rejected
    if both:
        a, b = sorted(both)[0]
        raise ValueError(f"the pair {a!r}, {b!r} is both accepted and rejected")

    graph = _Graph()
    for a, b, p in pairs:
        if a not in known or b not in known:
            raise ValueError(f"pair names an unknown record: {a!r}, {b!r}")
        if p >= threshold and _key(a, b) not in rejected:
            graph.add(a, b, float(p))
    for a, b in accepted:
        graph.add(a, b, ACCEPTED)

    # 2. weak chains: cut weak bridges that separate two records of one list
    todo = [n for n in sorted(known) if graph.adj.get(n)]
    seen: set[str] = set()
    for start in todo:
        if start in seen:
            continue
        work = [graph.component(start)]
        while work:
            nodes = work.pop()
            seen.update(nodes)
            if len(nodes) < 3:
                continue
            names = [list_of.get(n) for n in nodes]
            present = [name for name in names if name is not None]
            if len(set(present)) == len(present):
                continue  # every record from a different list: nothing to split
            cut: tuple[float, str, str] | None = None
            for a, b in graph.bridges(nodes):
                p = graph.adj[a][b]
                if p >= strong or _key(a, b) in accepted:
                    continue
                left = graph.side(a, (a, b))
                on_left = {list_of.get(n) for n in left} - {None}
                on_right = {list_of.get(n) for n in nodes if n not in left} - {None}
                if on_left & on_right and (cut is None or (p, a, b) < cut):
                    cut = (p, a, b)
            if cut is not None:
                _, a, b = cut
                graph.remove(a, b)
                work.append(graph.component(a))
                work.append(graph.component(b))

    # 3. rejections hold
    for a, b in sorted(rejected):
        while True:
            path = graph.maximin_path(a, b)
            if path is None:
                break
            drop = min(path, key=lambda e: (_key(*e) in accepted, graph.adj[e[0]][e[1]], _key(*e)))
            graph.remove(*drop)

    result: dict[str, tuple[str, float]] = {}
    for uid in sorted(known):
        if uid in result:
            continue
        nodes = graph.component(uid) if graph.adj.get(uid) else [uid]
        link = _weakest_link(graph, nodes)
        for node in nodes:
            result[node] = (nodes[0], link)
    return result
