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

from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from planner.assign.flow import Arcs
from planner.assign.slots import SlotTree

SCALE = 1_000_000
WORKING_SET = 24


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
    """The admitted pairs, their random costs and the working subset, as matrices.

    Attributes
    ----------
    admitted : numpy.ndarray of bool
        Enterprises x inspectors: admitted under ``max_pair_probability``.
    cost : numpy.ndarray of int32
        Enterprises x inspectors: the pair's random cost, in ``[0, cost_range)``.
    working : numpy.ndarray of bool
        Enterprises x inspectors: the working set (a subset of ``admitted``).
    """

    admitted: np.ndarray
    cost: np.ndarray
    working: np.ndarray

    def arcs(self, which: np.ndarray, cls: np.ndarray, *, working: bool = False) -> Arcs:
        """Return the pairs where ``which`` holds as solver arcs.

        Parameters
        ----------
        which : numpy.ndarray of bool
            Enterprises x inspectors: the pairs to take.
        cls : numpy.ndarray
            Slot class of each inspector.
        working : bool
            Also say which arcs are in the working set.

        Returns
        -------
        planner.assign.flow.Arcs
            Enterprise, inspector, class and cost per pair, in row-major order.
        """
        e, i = np.nonzero(which)
        e, i = e.astype(np.int64), i.astype(np.int64)
        return Arcs(e, i, np.asarray(cls, dtype=np.int64)[i], self.cost[e, i].astype(np.int64),
                    self.working[e, i] if working else None)


def systematic(position: np.ndarray, width, span, offset) -> np.ndarray:
    """Systematic sampling on an integer line.

    Item ``j`` covers ``[width*j, width*(j+1))``; it is chosen when that interval holds a
    point ``offset + k*span``. With ``offset`` uniform on ``[0, span)`` each item is chosen
    with probability ``width / span`` exactly (``width <= span``).

    Parameters
    ----------
    position : numpy.ndarray
        Each item's position in its run (int64).
    width, span, offset : int or numpy.ndarray
        The width, the line's period and the offset (broadcast against ``position``).

    Returns
    -------
    numpy.ndarray of bool
        Chosen items.
    """
    hi = np.floor_divide(width * (position + 1) - offset, span)
    lo = np.floor_divide(width * position - offset, span)
    return hi > lo


def thin(mask: np.ndarray, cls: np.ndarray, tree: SlotTree, q: float | None,
         rng: np.random.Generator, cost_rng: np.random.Generator, cost_range: int,
         working_set: int = WORKING_SET) -> Thinned:
    """Admit candidates under ``max_pair_probability``, cost them, and pick a working set.

    The working set of an enterprise is, in each slot class, its admitted pairs whose cost
    falls under a threshold set for the class's share of ``working_set`` - topped up to
    the ``team_size`` cheapest when chance leaves fewer. The costs are independent uniform
    draws, so that is a random subset, and every pair left out costs more than every pair
    kept in its class: the arcs least likely to be wanted by the optimiser's tie-breaks.

    Parameters
    ----------
    mask : numpy.ndarray of bool
        Enterprises x inspectors: the candidate pairs.
    cls : numpy.ndarray
        Slot class of each inspector.
    tree : SlotTree
        The team's slot tree.
    q : float or None
        ``max_pair_probability``; None admits every candidate.
    rng : numpy.random.Generator
        The unit's thinning stream.
    cost_rng : numpy.random.Generator
        The unit's cost stream.
    cost_range : int
        Costs are drawn from ``[0, cost_range)``.
    working_set : int
        Target candidates per enterprise for the first solve.

    Returns
    -------
    Thinned
        The admitted pairs, their costs and the working subset.
    """
    n_e, n_i = mask.shape
    cls = np.asarray(cls, dtype=np.int64)
    n_cls = max(tree.n_classes, 1)
    width = quantised(q)
    if width >= SCALE:
        admitted = mask
    else:
        # Each row's candidates grouped by class, in random order within a class,
        # non-candidates last; systematic sampling along the row.
        key = rng.random((n_e, n_i))
        key += cls[None, :]
        key[~mask] = np.inf
        order = np.argsort(key, axis=1, kind="stable")
        del key
        position = np.arange(n_i, dtype=np.int64)[None, :]
        u = rng.integers(0, SCALE, size=(n_e, 1), dtype=np.int64)
        chosen = (position < mask.sum(axis=1)[:, None]) & systematic(position, width, SCALE, u)
        admitted = np.zeros_like(mask)
        np.put_along_axis(admitted, order, chosen, axis=1)
        del order, chosen

    cost = cost_rng.integers(0, cost_range, size=(n_e, n_i), dtype=np.int32)
    columns = [np.flatnonzero(cls == c) for c in range(n_cls)]
    per_cls = np.stack([admitted[:, col].sum(axis=1) for col in columns], axis=1)
    total = np.maximum(per_cls.sum(axis=1, keepdims=True), 1)
    quota = np.maximum(tree.team_size, -(-working_set * per_cls // total))
    threshold = np.where(per_cls > 0, -(-cost_range * quota // np.maximum(per_cls, 1)), 0)
    working = np.zeros_like(admitted)
    for c, col in enumerate(columns):
        if not len(col):
            continue
        block = admitted[:, col] & (cost[:, col] < threshold[:, c:c + 1])
        short = np.flatnonzero(block.sum(axis=1) < np.minimum(tree.team_size, per_cls[:, c]))
        for e in short:  # rare: top up to the team_size cheapest of the class
            row = np.where(admitted[e, col], cost[e, col], np.iinfo(np.int32).max)
            block[e, np.argsort(row, kind="stable")[:min(tree.team_size, per_cls[e, c])]] = True
        working[:, col] = block
    return Thinned(admitted=admitted, cost=cost, working=working)
