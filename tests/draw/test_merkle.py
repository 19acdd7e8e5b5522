"""The Merkle tree over the eligible pairs: its rules written out by hand, and every path."""

import hashlib

import pytest

from planner.draw import merkle


def h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def leaf(text: str) -> bytes:
    return h(b"\x00" + text.encode("utf-8"))


def node(a: bytes, b: bytes) -> bytes:
    return h(b"\x01" + a + b)


def test_the_root_follows_the_documented_rules():
    pairs = [("S2", "B1"), ("S10", "A1"), ("S1", "Z9"), ("S1", "A0"), ("S2", "A7")]
    # canonical order: S1 before S2 before S10, ids in code-point order within a stratum
    a, b, c, d, e = (leaf(t) for t in ("S1:A0", "S1:Z9", "S2:A7", "S2:B1", "S10:A1"))
    expected = node(node(node(a, b), node(c, d)), e)  # the odd last node moves up unchanged
    assert merkle.root(pairs) == expected.hex()
    assert merkle.root([("S1", "X")]) == leaf("S1:X").hex()
    assert merkle.root([]) == hashlib.sha256(b"").hexdigest()


@pytest.mark.parametrize("n", range(1, 12))
def test_every_leaf_path_leads_to_the_root(n):
    pairs = merkle.canonical_order([(f"S{1 + i % 3}", f"ID{i:03d}") for i in range(n)])
    tree = merkle.levels([merkle.leaf_hash(s, e) for s, e in pairs])
    root = tree[-1][0].hex()
    for i, (s, e) in enumerate(pairs):
        steps = merkle.path(tree, i)
        assert merkle.root_from_path(s, e, steps) == root
        # the same path does not prove another stratum or another id
        assert merkle.root_from_path("S9", e, steps) != root
        assert merkle.root_from_path(s, e + "X", steps) != root


def test_labels_must_be_neutral():
    with pytest.raises(ValueError, match="not a neutral stratum label"):
        merkle.canonical_order([("A", "X")])
