r"""A Merkle tree over the eligible (stratum, enterprise id) pairs, and membership proofs.

The commitment (:mod:`planner.draw.commit`) publishes the root of this tree before the seed
exists; an enterprise's path to the root later proves its stratum without the list being
published. The rules, written so that any language can recompute them:

- a *leaf* is the text ``f"{stratum}:{enterprise_id}"`` (the neutral stratum label, e.g.
  ``S2``, and the canonical id: stripped, upper case), UTF-8 encoded;
- leaves are in *canonical order*: by stratum number (S1, S2, ... S10), then by enterprise id
  in code-point (for credit codes: ASCII) order;
- a leaf hashes to ``sha256(b"\x00" + leaf)``, two nodes to ``sha256(b"\x01" + left + right)``
  (raw 32-byte digests; the prefixes keep leaves and nodes apart);
- each level pairs its nodes left to right; an odd last node moves up unchanged;
- the root of no leaves is ``sha256(b"")``.

A proof is the list of sibling hashes from the leaf up, each with the side it stands on
(``"left"`` or ``"right"``); a promoted node contributes no step.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
RULES = {
    "leaf": 'sha256(0x00 || UTF-8 of f"{stratum}:{enterprise_id}")',
    "node": "sha256(0x01 || left || right), raw 32-byte digests",
    "order": "strata by number (S1, S2, ..., S10), then enterprise id in code-point order",
    "odd": "an odd last node moves up a level unchanged",
    "empty": 'sha256(b"")',
}


def leaf_text(stratum: str, enterprise_id: str) -> str:
    """Return the text of a leaf: ``f"{stratum}:{enterprise_id}"``."""
    return f"{stratum}:{enterprise_id}"


def leaf_hash(stratum: str, enterprise_id: str) -> bytes:
    """Return the hash of one leaf, ``sha256(0x00 || leaf)``."""
    return hashlib.sha256(LEAF_PREFIX + leaf_text(stratum, enterprise_id).encode("utf-8")).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the hash of two child nodes, ``sha256(0x01 || left || right)``."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def label_number(label: str) -> int:
    """Return the number of a neutral stratum label (``"S12"`` -> 12)."""
    match = re.fullmatch(r"S(\d+)", label)
    if not match:
        raise ValueError(f"not a neutral stratum label: {label!r}")
    return int(match.group(1))


def canonical_order(pairs: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """Return (stratum, enterprise id) pairs in the canonical leaf order.

    Parameters
    ----------
    pairs : sequence of (str, str)
        Neutral stratum label and canonical enterprise id.

    Returns
    -------
    list of (str, str)
        Sorted by stratum number, then id.
    """
    numbers = {label: label_number(label) for label in {p[0] for p in pairs}}
    return sorted(pairs, key=lambda p: (numbers[p[0]], p[1]))


def levels(leaves: Sequence[bytes]) -> list[list[bytes]]:
    """Return every level of the tree, leaves first, the root's level last.

    Parameters
    ----------
    leaves : sequence of bytes
        Leaf hashes in canonical order.

    Returns
    -------
    list of list of bytes
        ``levels[0]`` are the leaves; ``levels[-1]`` holds the root alone.
    """
    level = list(leaves)
    if not level:
        return [[hashlib.sha256(b"").digest()]]
    out = [level]
    while len(level) > 1:
        nxt = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        out.append(nxt)
        level = nxt
    return out


def root(pairs: Sequence[tuple[str, str]], *, ordered: bool = False) -> str:
    """Return the hex Merkle root of (stratum, enterprise id) pairs (sorted here first).

    Parameters
    ----------
    pairs : sequence of (str, str)
        Neutral stratum label and canonical enterprise id, in any order.
    ordered : bool
        The pairs are already in canonical order (:func:`canonical_order`); skips sorting.

    Returns
    -------
    str
        64 hex digits.
    """
    leaves = [leaf_hash(s, e) for s, e in (pairs if ordered else canonical_order(pairs))]
    return levels(leaves)[-1][0].hex()


def path(tree: list[list[bytes]], index: int) -> list[dict[str, str]]:
    """Return the proof of the leaf at ``index``: sibling hashes from the leaf up.

    Parameters
    ----------
    tree : list of list of bytes
        As returned by :func:`levels`.
    index : int
        The leaf's position in canonical order.

    Returns
    -------
    list of dict
        ``{"side": "left" | "right", "hash": hex}``: where the sibling stands.
    """
    steps = []
    for level in tree[:-1]:
        sibling = index ^ 1
        if sibling < len(level):
            steps.append({"side": "left" if sibling < index else "right",
                          "hash": level[sibling].hex()})
        index //= 2
    return steps


def root_from_path(stratum: str, enterprise_id: str, steps: Sequence[dict]) -> str:
    """Return the root a leaf and its path lead to (compare it with the committed root).

    Parameters
    ----------
    stratum : str
        Neutral stratum label.
    enterprise_id : str
        Canonical enterprise id.
    steps : sequence of dict
        The path, as :func:`path` gives it.

    Returns
    -------
    str
        Hex root.
    """
    node = leaf_hash(stratum, enterprise_id)
    for step in steps:
        sibling = bytes.fromhex(step["hash"])
        node = node_hash(sibling, node) if step["side"] == "left" else node_hash(node, sibling)
    return node.hex()
