"""Seeded candidate thinning: the pair-probability bound, and a small working set.

**Pair probability by construction.** With ``max_pair_probability = q`` each enterprise
admits only a random part of its candidates before any optimisation; a pair that is not
admitted cannot be assigned, so ``P(pair assigned) <= P(pair admitted)`` whatever the
optimiser, the repair or the lead choice do afterwards. Admission is *systematic sampling*:
the enterprise's candidates are put in a random order, grouped by slot class (lead-capable
of the lead department first, ...), each is given the width ``Q = floor(q * 10**6)`` (``q`` as written, in
decimal) on an integer line, and those covering a point of ``u + k * 10**6`` (``u``
uniform in ``[0, 10**6)``, one per enterprise) are admitted. For every candidate exactly
``Q`` of the ``10**6`` values of ``u`` admit it, so ``P(admitted) = Q / 10**6 <= q``
exactly, in integer arithmetic. A run of ``a`` consecutive candidates (a class, or a department's classes)
always admits at least ``floor(Q * a / 10**6)`` of them, so every lower bound of the team
(a lead, one per department, ``team_size`` in all) that *can* be met with pair
probabilities ``<= q`` - that is, ``q * a >= need`` - is met by the admitted set of every
seed. When ``q * a < need`` no random assignment can respect ``q`` (the need's
probabilities would sum to less than one seat), and that is reported as the reason.

**Working set.** The optimiser first runs on at most :data:`WORKING_SET` admitted
candidates per enterprise (another systematic sample, plus the first ``team_size`` of every
class so no lower bound is lost). That keeps the flow small at megacity scale; when the
working set leaves a seat empty or loads less balanced than the unit's capacities allow,
the caller solves again on the whole admitted set, so the result is never worse for it.
Both sets only ever shrink the admitted set, so the bound above holds in every case.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from planner.slots import SlotTree

SCALE = 1_000_000
WORKING_SET = 48


def rng_for(seed: str, *labels: str) -> np.random.Generator:
    """Return a Generator for one purpose, derived from the plan seed and labels.

    Parameters
    ----------
    seed : str
        The plan's public seed.
    *labels : str
        What the stream is for (e.g. ``"assign"``, the unit name, ``"costs"``).

    Returns
    -------
    numpy.random.Generator
        A PCG64 generator; the same seed and labels give the same stream.
    """
    text = ":".join((seed, *labels))
    entropy = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest(), "big")
    return np.random.default_rng(np.random.SeedSequence(entropy))


def quantised(q: float | None) -> int:
    """Return ``q`` as an integer width on the line of :data:`SCALE` (``SCALE`` for None).

    The width is ``q`` as written (its shortest decimal form) times ``SCALE``, rounded
    down, so ``q = 0.1`` gives exactly 100,000 and ten candidates always admit one.
    """
    if q is None:
        return SCALE
    return int(Decimal(repr(float(q))) * SCALE)


@dataclass
class Thinned:
    """Candidate pairs in admission order, with the admitted and working subsets.

    Attributes
    ----------
    order : numpy.ndarray
        Permutation of the unit's pairs: enterprise, then slot class, then random.
    admitted : numpy.ndarray of bool
        Over the ordered pairs: admitted under ``max_pair_probability``.
    working : numpy.ndarray of bool
        Over the ordered pairs: the working set (a subset of ``admitted``).
    """

    order: np.ndarray
    admitted: np.ndarray
    working: np.ndarray


def _runs(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start offset of each element's run of equal (sorted) keys, and run lengths per element."""
    n = len(keys)
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    new = np.ones(n, dtype=bool)
    new[1:] = keys[1:] != keys[:-1]
    starts = np.flatnonzero(new)
    run_id = np.cumsum(new) - 1
    lengths = np.diff(np.append(starts, n))
    return starts[run_id], lengths[run_id]


def systematic(position: np.ndarray, width: np.ndarray, span: np.ndarray,
               offset: np.ndarray) -> np.ndarray:
    """Systematic sampling on an integer line.

    Item ``j`` covers ``[width*j, width*(j+1))``; it is chosen when that interval holds a
    point ``offset + k*span``. With ``offset`` uniform on ``[0, span)`` each item is chosen
    with probability ``width / span`` exactly (``width <= span``).

    Parameters
    ----------
    position, width, span, offset : numpy.ndarray
        Per item (int64): its position in its run, the width, the line's period, the offset.

    Returns
    -------
    numpy.ndarray of bool
        Chosen items.
    """
    hi = np.floor_divide(width * (position + 1) - offset, span)
    lo = np.floor_divide(width * position - offset, span)
    return hi > lo


def thin(pair_e: np.ndarray, pair_cls: np.ndarray, n_enterprises: int, tree: SlotTree,
         q: float | None, rng: np.random.Generator,
         working_set: int = WORKING_SET) -> Thinned:
    """Admit candidates under ``max_pair_probability`` and pick a working set.

    Parameters
    ----------
    pair_e : numpy.ndarray
        Local enterprise index of each pair.
    pair_cls : numpy.ndarray
        Slot class of each pair's inspector.
    n_enterprises : int
        Enterprises in the unit.
    tree : SlotTree
        The team's slot tree (for the per-class minimum of the working set).
    q : float or None
        ``max_pair_probability``; None admits every candidate.
    rng : numpy.random.Generator
        The unit's thinning stream.
    working_set : int
        Target candidates per enterprise for the first solve.

    Returns
    -------
    Thinned
        The admission order and the two subsets.
    """
    n = len(pair_e)
    n_cls = max(tree.n_classes, 1)
    key = rng.random(n)
    block = pair_e.astype(np.float64) * n_cls + pair_cls.astype(np.float64)
    order = np.argsort(block + key, kind="stable")
    e_sorted = pair_e[order].astype(np.int64)
    start, _ = _runs(e_sorted)
    position = np.arange(n, dtype=np.int64) - start
    width = quantised(q)
    u = rng.integers(0, SCALE, size=n_enterprises, dtype=np.int64)
    if width >= SCALE:
        admitted = np.ones(n, dtype=bool)
    else:
        admitted = systematic(position, np.int64(width), np.int64(SCALE), u[e_sorted])

    # The working set, drawn among the admitted pairs.
    idx = np.flatnonzero(admitted)
    ae = e_sorted[idx]
    a_start, a_len = _runs(ae)
    a_pos = np.arange(len(idx), dtype=np.int64) - a_start
    v = rng.integers(0, np.iinfo(np.int64).max, size=n_enterprises, dtype=np.int64)
    offset = v[ae] % np.maximum(a_len, 1)
    take = (a_len <= working_set) | systematic(a_pos, np.int64(working_set), a_len, offset)
    cls_sorted = pair_cls[order][idx].astype(np.int64)
    c_start, _ = _runs(ae * n_cls + cls_sorted)
    c_rank = np.arange(len(idx), dtype=np.int64) - c_start
    take |= c_rank < tree.team_size
    working = np.zeros(n, dtype=bool)
    working[idx[take]] = True
    return Thinned(order=order, admitted=admitted, working=working)
