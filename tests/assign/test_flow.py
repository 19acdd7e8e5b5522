"""The flow core's pricing on networks where some inspectors have no arc at all.

After a replacement the one new enterprise is staffed from a working set of a large roster,
so most inspectors' nodes carry no arc; pricing the left-out pairs must still cover them.
"""

from __future__ import annotations

import numpy as np
import pytest

from planner.assign.flow import Arcs, improving_pairs, potentials, solve_flow
from planner.assign.slots import slot_tree


def total_cost(sol) -> int:
    net = sol.network
    return int((net["costs"] * net["flows"]).sum())


def optimum(tree, n_e, pairs, cost, capacity) -> int:
    e, i = np.nonzero(pairs)
    arcs = Arcs(e, i, np.zeros(len(e), dtype=np.int64), cost[e, i].astype(np.int64))
    sol = solve_flow(tree, n_e, arcs, capacity)
    assert sol.complete
    return total_cost(sol)


@pytest.mark.parametrize("seed", range(40))
def test_pricing_flags_every_pair_that_would_improve_the_flow(seed):
    rng = np.random.default_rng(seed)
    tree = slot_tree(2, require_lead=False, departments=())
    n_e, n_i = int(rng.integers(1, 4)), int(rng.integers(4, 9))
    cost = rng.integers(0, 1000, size=(n_e, n_i)).astype(np.int32)
    capacity = rng.integers(0, 4, size=n_i)
    capacity[:2] = n_e  # the working set below can always staff every team
    working = np.zeros((n_e, n_i), dtype=bool)
    working[:, :2] = True  # the last inspectors have no arc in the working network
    e, i = np.nonzero(working)
    sol = solve_flow(tree, n_e, Arcs(e, i, np.zeros(len(e), dtype=np.int64),
                                     cost[e, i].astype(np.int64)), capacity)
    assert sol.complete
    d = potentials(sol)
    assert len(d) == sol.network["first_insp"] + n_i  # one distance per node
    outside = ~working
    better = improving_pairs(sol, d, outside, cost, np.zeros(n_i, dtype=np.int64), tree)
    assert not (better & ~outside).any()
    base = total_cost(sol)
    for pe, pi in zip(*np.nonzero(outside), strict=True):
        with_pair = working.copy()
        with_pair[pe, pi] = True
        if optimum(tree, n_e, with_pair, cost, capacity) < base:
            assert better[pe, pi], (pe, pi)
    if not better.any():  # no pair priced as improving: the flow is optimal over all of them
        assert optimum(tree, n_e, working | outside, cost, capacity) == base
