"""RFC 6962 Merkle tree: published test vectors, an oracle, and properties for every size.

The known answers are the classic certificate-transparency test data: the eight leaves
below, the roots of the trees of 1..8 of them, and the inclusion and consistency paths, as
published in transparency-dev/merkle, ``proof/verify_test.go`` (``leaves``, ``roots``,
``inclusionProofs``, ``consistencyProofs``; the same data as google/certificate-transparency's
``merkle_tree_test.cc``). Their table numbers leaves from 1; here indexes start at 0.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dadkhah.vault import merkle

LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
]
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# (index, size, path)
INCLUSION = [
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (0, 1, []),
]
# (m, n, path)
CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]
HASHES = [merkle.leaf_hash(leaf) for leaf in LEAVES]
TREE = merkle.Tree(HASHES)
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def h(hex_: str) -> bytes:
    return bytes.fromhex(hex_)


# -- known answers ------------------------------------------------------------------------


def test_empty_tree_and_hash_prefixes():
    assert merkle.root([]) == hashlib.sha256(b"").digest() == merkle.EMPTY_ROOT
    assert merkle.leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    assert merkle.node_hash(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()


@pytest.mark.parametrize("size", range(1, 9))
def test_published_roots(size):
    assert merkle.root(HASHES[:size]).hex() == ROOTS[size - 1]
    assert TREE.root(size).hex() == ROOTS[size - 1]


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_published_inclusion_paths(index, size, path):
    proof = TREE.inclusion_proof(index, size)
    assert [p.hex() for p in proof] == path
    assert merkle.inclusion_proof(index, HASHES[:size]) == proof
    assert merkle.verify_inclusion(HASHES[index], index, size, proof, h(ROOTS[size - 1]))


@pytest.mark.parametrize(("m", "n", "path"), CONSISTENCY)
def test_published_consistency_paths(m, n, path):
    proof = TREE.consistency_proof(m, n)
    assert [p.hex() for p in proof] == path
    assert merkle.consistency_proof(m, HASHES[:n]) == proof
    assert merkle.verify_consistency(m, n, h(ROOTS[m - 1]), h(ROOTS[n - 1]), proof)


@pytest.mark.parametrize(("index", "size", "path"), [p for p in INCLUSION if p[2]])
def test_corrupted_inclusion_proofs_fail(index, size, path):
    """The probes of transparency-dev/merkle's corruptInclusionProof."""
    proof, root, leaf = [h(p) for p in path], h(ROOTS[size - 1]), HASHES[index]
    probes = [
        (index - 1, size, root, leaf, proof),
        (index + 1, size, root, leaf, proof),
        (index ^ 2, size, root, leaf, proof),
        (index, size * 2, root, leaf, proof),
        (index, size // 2, root, leaf, proof),
        (index, size, root, b"WrongLeaf", proof),
        (index, size, merkle.EMPTY_ROOT, leaf, proof),
        (index, size, SOME_HASH, leaf, proof),
        (index, size, root, leaf, [*proof, b""]),
        (index, size, root, leaf, [*proof, root]),
        (index, size, root, leaf, [b"", *proof]),
        (index, size, root, leaf, [root, *proof]),
        (index, size, root, leaf, proof[:-1]),
    ]
    if len(proof) > 1:
        probes.append((index, size, root, leaf, [proof[0], SOME_HASH, *proof[1:]]))
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([flipped[i][0] ^ 8]) + flipped[i][1:]
        probes.append((index, size, root, leaf, flipped))
    for probe_index, probe_size, probe_root, probe_leaf, probe_proof in probes:
        assert not merkle.verify_inclusion(
            probe_leaf, probe_index, probe_size, probe_proof, probe_root
        ), (probe_index, probe_size)


@pytest.mark.parametrize(("m", "n", "path"), [p for p in CONSISTENCY if p[2]])
def test_corrupted_consistency_proofs_fail(m, n, path):
    """The probes of transparency-dev/merkle's corruptConsistencyProof."""
    proof, r1, r2 = [h(p) for p in path], h(ROOTS[m - 1]), h(ROOTS[n - 1])
    probes = [
        (m - 1, n, r1, r2, proof),
        (m + 1, n, r1, r2, proof),
        (m ^ 2, n, r1, r2, proof),
        (m, n * 2, r1, r2, proof),
        (m, n // 2, r1, r2, proof),
        (m, n, b"WrongRoot", r2, proof),
        (m, n, r1, b"WrongRoot", proof),
        (m, n, r2, r1, proof),
        (m, n, r1, r2, []),
        (m, n, r1, r2, [*proof, b""]),
        (m, n, r1, r2, [*proof, r1]),
        (m, n, r1, r2, [*proof, r2]),
        (m, n, r1, r2, [b"", *proof]),
        (m, n, r1, r2, [r1, *proof]),
        (m, n, r1, r2, [r2, *proof]),
        (m, n, r1, r2, [proof[0], *proof]),
        (m, n, r1, r2, proof[:-1]),
    ]
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([flipped[i][0] ^ 16]) + flipped[i][1:]
        probes.append((m, n, r1, r2, flipped))
    for pm, pn, p1, p2, pp in probes:
        assert not merkle.verify_consistency(pm, pn, p1, p2, pp), (pm, pn)


def test_trivial_consistency():
    r1, r2 = SOME_HASH, merkle.EMPTY_ROOT
    assert merkle.verify_consistency(0, 0, r1, r1, [])
    assert merkle.verify_consistency(0, 5, r1, r2, [])
    assert merkle.verify_consistency(3, 3, r2, r2, [])
    assert not merkle.verify_consistency(3, 3, r1, r2, [])
    assert not merkle.verify_consistency(1, 0, r1, r2, [])
    assert not merkle.verify_consistency(0, 1, r1, r2, [r1])
    assert not merkle.verify_consistency(1, 2, r1, r2, [])


def test_bad_arguments():
    with pytest.raises(ValueError):
        TREE.inclusion_proof(8, 8)
    with pytest.raises(ValueError):
        TREE.root(9)
    with pytest.raises(ValueError):
        TREE.consistency_proof(5, 4)
    with pytest.raises(ValueError):
        merkle.Tree([b"short"])
    assert not merkle.verify_inclusion(HASHES[0], 0, 0, [], merkle.EMPTY_ROOT)
    assert not merkle.verify_inclusion(HASHES[0], -1, 1, [], HASHES[0])


# -- an oracle: RFC 6962 §2.1 transcribed literally ---------------------------------------


def mth(d: list[bytes]) -> bytes:
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return merkle.leaf_hash(d[0])
    k = 1 << ((len(d) - 1).bit_length() - 1)
    return merkle.node_hash(mth(d[:k]), mth(d[k:]))


def path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = 1 << ((len(d) - 1).bit_length() - 1)
    if m < k:
        return [*path(m, d[:k]), mth(d[k:])]
    return [*path(m - k, d[k:]), mth(d[:k])]


def subproof(m: int, d: list[bytes], whole: bool) -> list[bytes]:
    if m == len(d):
        return [] if whole else [mth(d)]
    k = 1 << ((len(d) - 1).bit_length() - 1)
    if m <= k:
        return [*subproof(m, d[:k], whole), mth(d[k:])]
    return [*subproof(m - k, d[k:], False), mth(d[:k])]


def data(n: int) -> list[bytes]:
    return [i.to_bytes(4, "big") for i in range(n)]


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 13, 31, 32, 33, 64, 100])
def test_tree_agrees_with_the_rfc_text(n):
    d = data(n)
    tree = merkle.Tree(merkle.leaf_hash(x) for x in d)
    assert tree.root() == mth(d)
    for i in range(n):
        assert tree.inclusion_proof(i) == path(i, d)
    for m in range(1, n + 1):
        assert tree.consistency_proof(m) == subproof(m, d, True)
        assert tree.root(m) == mth(d[:m])


# -- every size up to a few hundred -------------------------------------------------------

BIG = merkle.Tree(merkle.leaf_hash(x) for x in data(300))


def test_every_proof_verifies_for_every_size_up_to_300():
    for n in range(1, 301):
        root = BIG.root(n)
        for i in range(n):
            assert merkle.verify_inclusion(BIG.leaf(i), i, n, BIG.inclusion_proof(i, n), root)
        for m in range(n + 1):
            proof = BIG.consistency_proof(m, n)
            assert merkle.verify_consistency(m, n, BIG.root(m), root, proof), (m, n)


def test_appending_matches_building_at_once():
    grown = merkle.Tree()
    for n in range(1, 301):
        grown.append(BIG.leaf(n - 1))
        assert grown.root() == BIG.root(n)


sizes = st.integers(min_value=1, max_value=300)


@settings(max_examples=300, deadline=None)
@given(sizes, st.data())
def test_wrong_leaf_index_or_root_fails(n, draw):
    i = draw.draw(st.integers(0, n - 1))
    proof = BIG.inclusion_proof(i, n)
    root = BIG.root(n)
    other = draw.draw(st.integers(0, 299).filter(lambda j: j != i))
    assert not merkle.verify_inclusion(BIG.leaf(other), i, n, proof, root)
    wrong_index = draw.draw(st.integers(0, n - 1).filter(lambda j: j != i)) if n > 1 else i + 1
    assert not merkle.verify_inclusion(BIG.leaf(i), wrong_index, n, proof, root)
    assert not merkle.verify_inclusion(
        BIG.leaf(i), i, n, proof, BIG.root(n - 1) if n > 1 else SOME_HASH
    )
    if proof:
        k = draw.draw(st.integers(0, len(proof) - 1))
        bit = draw.draw(st.integers(0, 255))
        flipped = list(proof)
        flipped[k] = (
            flipped[k][: bit // 8]
            + bytes([flipped[k][bit // 8] ^ (1 << (bit % 8))])
            + flipped[k][bit // 8 + 1 :]
        )
        assert not merkle.verify_inclusion(BIG.leaf(i), i, n, flipped, root)


@settings(max_examples=300, deadline=None)
@given(sizes, st.data())
def test_wrong_consistency_fails(n, draw):
    m = draw.draw(st.integers(1, n))
    proof = BIG.consistency_proof(m, n)
    assert merkle.verify_consistency(m, n, BIG.root(m), BIG.root(n), proof)
    if m < n:
        # another first tree, or a second tree that forked from it, does not verify
        other_m = draw.draw(st.integers(1, 300).filter(lambda j: j != m))
        assert not merkle.verify_consistency(m, n, BIG.root(other_m), BIG.root(n), proof)
        forked = merkle.Tree([*(BIG.leaf(j) for j in range(n - 1)), merkle.leaf_hash(b"forged")])
        if n - 1 >= m:
            assert not merkle.verify_consistency(m, n, BIG.root(m), forked.root(), proof)
        k = draw.draw(st.integers(0, len(proof) - 1))
        flipped = list(proof)
        flipped[k] = bytes([flipped[k][0] ^ 1]) + flipped[k][1:]
        assert not merkle.verify_consistency(m, n, BIG.root(m), BIG.root(n), flipped)
