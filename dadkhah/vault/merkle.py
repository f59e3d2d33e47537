"""The RFC 6962 Merkle tree over the custody ledger (algorithms as in RFC 9162 §2.1).

Leaves are ``SHA-256(0x00 || data)`` and interior nodes ``SHA-256(0x01 || left || right)``,
so a leaf can never pass for a node. The tree of ``n`` leaves splits at the largest power
of two smaller than ``n``; it is never padded. ``Tree`` keeps every complete, aligned
subtree hash, so the root at any size and any proof cost O(log n) hashes each, and proofs
for every entry of a large ledger cost O(n log n) in all.

Pure Python, no Django: the same rules are restated in ``bundle_verifier`` for readers who
have only the standard library.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

__all__ = [
    "EMPTY_ROOT",
    "Tree",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


class Tree:
    """Leaf hashes plus every complete subtree hash, appended to but never changed.

    ``levels[k][i]`` is the hash of the 2**k leaves starting at ``i * 2**k``.
    """

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self.levels: list[list[bytes]] = [[]]
        self.extend(leaf_hashes)

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def append(self, leaf: bytes) -> None:
        if len(leaf) != HASH_SIZE:
            raise ValueError("a leaf hash is 32 bytes")
        levels = self.levels
        levels[0].append(leaf)
        level, index = 0, len(levels[0]) - 1
        while index & 1:
            parent = node_hash(levels[level][index - 1], levels[level][index])
            level += 1
            if len(levels) == level:
                levels.append([])
            levels[level].append(parent)
            index = len(levels[level]) - 1

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        for leaf in leaf_hashes:
            self.append(leaf)

    def leaf(self, index: int) -> bytes:
        return self.levels[0][index]

    def _check_size(self, size: int | None) -> int:
        n = self.size if size is None else size
        if not 0 <= n <= self.size:
            raise ValueError(f"size {n} is outside the tree of {self.size} leaves")
        return n

    def subtree(self, lo: int, hi: int) -> bytes:
        """MTH(D[lo:hi]) for a range that the RFC's recursion produces (lo aligned)."""
        n = hi - lo
        if n == 0:
            return EMPTY_ROOT
        if n & (n - 1) == 0 and lo % n == 0:
            level = n.bit_length() - 1
            return self.levels[level][lo >> level]
        k = _split(n)
        return node_hash(self.subtree(lo, lo + k), self.subtree(lo + k, hi))

    def root(self, size: int | None = None) -> bytes:
        """The root of the first ``size`` leaves (default: all of them)."""
        return self.subtree(0, self._check_size(size))

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """PATH(index, D[0:size]) of RFC 6962 §2.1.1, leaf side first."""
        n = self._check_size(size)
        if not 0 <= index < n:
            raise ValueError(f"leaf {index} is not in a tree of {n} leaves")
        path: list[bytes] = []
        lo, hi = 0, n
        while hi - lo > 1:
            k = _split(hi - lo)
            if index < lo + k:
                path.append(self.subtree(lo + k, hi))
                hi = lo + k
            else:
                path.append(self.subtree(lo, lo + k))
                lo += k
        path.reverse()
        return path

    def consistency_proof(self, m: int, size: int | None = None) -> list[bytes]:
        """PROOF(m, D[0:size]) of RFC 6962 §2.1.2: the first m leaves are a prefix."""
        n = self._check_size(size)
        if not 0 <= m <= n:
            raise ValueError(f"size {m} is not within 0..{n}")
        if m == 0 or m == n:
            return []
        path: list[bytes] = []
        lo, hi, start_is_whole = 0, n, True
        while True:
            if m == hi - lo:
                if not start_is_whole:
                    path.append(self.subtree(lo, hi))
                break
            k = _split(hi - lo)
            if m <= k:
                path.append(self.subtree(lo + k, hi))
                hi = lo + k
            else:
                path.append(self.subtree(lo, lo + k))
                lo += k
                m -= k
                start_is_whole = False
        path.reverse()
        return path


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH of the leaves (the SHA-256 of nothing for no leaves)."""
    return Tree(leaf_hashes).root()


def inclusion_proof(index: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    return Tree(leaf_hashes).inclusion_proof(index)


def consistency_proof(m: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    return Tree(leaf_hashes).consistency_proof(m)


def _well_formed(*hashes: bytes) -> bool:
    return all(isinstance(h, bytes) and len(h) == HASH_SIZE for h in hashes)


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root_hash: bytes
) -> bool:
    """RFC 9162 §2.1.3.2: does ``proof`` place ``leaf`` at ``index`` under ``root_hash``?"""
    if not 0 <= index < size or not _well_formed(leaf, root_hash, *proof):
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root_hash


def verify_consistency(
    m: int, n: int, root_m: bytes, root_n: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2: is the tree of size ``m`` (``root_m``) a prefix of size ``n``?"""
    if not 0 <= m <= n or not _well_formed(*proof):
        return False
    if m == 0:
        return len(proof) == 0
    if m == n:
        return len(proof) == 0 and root_m == root_n
    if not proof or not _well_formed(root_m, root_n):
        return False
    path = list(proof)
    if m & (m - 1) == 0:
        path.insert(0, root_m)
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == root_m and sr == root_n and sn == 0
