"""The transportation core: team seats filled by a min-cost flow (OR-Tools).

Network of one planning unit (``E`` enterprises, ``I`` inspectors)::

    source -> slot nodes of each enterprise (a copy of the slot tree, see planner.assign.slots)
           -> inspector            (one arc per candidate pair, capacity 1)
           -> sink                 (capacity[i] parallel unit arcs, convex cost)

Each slot-tree node receives from the source the seats its lower bound asks for (a lead,
one per department, the rest at the root), and passes flow down to its children; every
inspector sits under exactly one leaf of an enterprise's tree, so the capacity-1 arc keeps
a team's inspectors distinct. The ``k``-th unit arc of inspector ``i`` costs
``M * (base_i + k)``: the total is ``M * L(L+1)/2`` in the load ``L``, strictly convex, and
``M`` exceeds any possible sum of the random arc costs, so the optimum first minimises the
sum of these convex costs - which on a flow's load polytope (a base polyhedron) is the
*decreasingly minimal* load vector: it minimises the largest load and maximises the
smallest at the same time (Frank & Murota 2022) - and only then the random costs, which
break the remaining ties at random (from the seed). ``solve_max_flow_with_min_cost`` fills
as many seats as possible, so an infeasible unit still returns the best partial flow,
which :mod:`planner.assign.explain` reads to name the short enterprises.

Arrays are built with NumPy and added in one call
(``SimpleMinCostFlow.add_arcs_with_capacity_and_unit_cost``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from planner.assign.slots import SlotTree

RANDOM_COST_RANGE = 1000


@dataclass(frozen=True)
class Arcs:
    """Candidate arcs (enterprise, inspector pairs) handed to a solver, one entry per arc.

    Attributes
    ----------
    e : numpy.ndarray of int64
        The arc's enterprise (local index of the unit or sub-problem).
    i : numpy.ndarray of int64
        The arc's inspector (local index of the unit).
    cls : numpy.ndarray of int64
        The inspector's slot class (leaf of the slot tree).
    cost : numpy.ndarray of int64
        The arc's seeded random cost, in ``[0, RANDOM_COST_RANGE)``.
    working : numpy.ndarray of bool or None
        Whether the arc is in the working set (only the pair repair reads it).
    """

    e: np.ndarray
    i: np.ndarray
    cls: np.ndarray
    cost: np.ndarray
    working: np.ndarray | None = None

    def __len__(self) -> int:
        """Return the number of arcs."""
        return len(self.e)

    def select(self, mask: np.ndarray, renumber: np.ndarray | None = None) -> Arcs:
        """Return the arcs where ``mask`` holds, enterprises renumbered when asked.

        Parameters
        ----------
        mask : numpy.ndarray of bool
            One flag per arc.
        renumber : numpy.ndarray, optional
            New index of each enterprise (indexed by the current one).

        Returns
        -------
        Arcs
            The selected arcs, in the same order.
        """
        e = self.e[mask]
        return Arcs(renumber[e] if renumber is not None else e, self.i[mask], self.cls[mask],
                    self.cost[mask], None if self.working is None else self.working[mask])


@dataclass
class FlowSolution:
    """The result of one flow solve.

    Attributes
    ----------
    chosen : numpy.ndarray of bool
        Per candidate arc given to :func:`solve_flow`: used by a team.
    served : numpy.ndarray
        Seats filled per enterprise.
    short_by_node : numpy.ndarray
        Seats the source could not deliver, per (enterprise, slot-tree node).
    seconds : float
        Solve time.
    status : str
        OR-Tools status name.
    network : dict
        Arrays of the network (``tails``, ``heads``, ``caps``, ``costs``, ``flows``) and its
        layout (``first_tree``, ``n_nodes``, ``first_insp``, ``cand_start``), for pricing
        and for the explanation.
    """

    chosen: np.ndarray
    served: np.ndarray
    short_by_node: np.ndarray
    seconds: float
    status: str
    network: dict

    @property
    def complete(self) -> bool:
        """Whether every seat was filled."""
        return not self.short_by_node.any()


def compact_tree(tree: SlotTree) -> tuple[list[int], np.ndarray]:
    """Drop the slot-tree nodes without a lower bound; they only pass flow down.

    A node whose subtree needs no seat adds nothing to the network: its arcs can start
    at its parent. Removing such nodes (e.g. "not lead-capable" under the root) leaves
    fewer nodes and arcs and the same optimum.

    Parameters
    ----------
    tree : SlotTree
        The team's slot tree.

    Returns
    -------
    tuple
        The kept nodes (root first) and, per original node, the local index of the
        nearest kept node at or above it.
    """
    kept = [j for j in range(tree.n_nodes) if j == 0 or tree.need[j] > 0]
    index = {j: k for k, j in enumerate(kept)}
    local = np.zeros(tree.n_nodes, dtype=np.int64)
    for j in range(tree.n_nodes):
        n = j
        while n not in index:
            n = tree.parent[n]
        local[j] = index[n]
    return kept, local


def load_weight(seats: int) -> int:
    """Return the factor ``M`` that makes load balance dominate the random costs."""
    return int(seats) * RANDOM_COST_RANGE + 1


def solve_flow(
    tree: SlotTree,
    n_enterprises: int,
    arcs: Arcs,
    capacity: np.ndarray,
    base_load: np.ndarray | None = None,
) -> FlowSolution:
    """Fill every enterprise's team seats from its candidate arcs at minimum cost.

    Parameters
    ----------
    tree : SlotTree
        The team's slot tree.
    n_enterprises : int
        Enterprises (each needs ``tree.team_size`` seats).
    arcs : Arcs
        The candidate arcs: enterprise, inspector, slot class and random cost.
    capacity : numpy.ndarray
        Seats each inspector may still take.
    base_load : numpy.ndarray, optional
        Seats each inspector already has (the convex cost continues from it).

    Returns
    -------
    FlowSolution
        Chosen arcs and the seats left empty.
    """
    t0 = time.perf_counter()
    arc_e, arc_i, arc_cls, arc_cost = arcs.e, arcs.i, arcs.cls, arcs.cost
    n_i = len(capacity)
    base_load = np.zeros(n_i, dtype=np.int64) if base_load is None else base_load
    supply = tree.supply()
    kept, local = compact_tree(tree)
    n_nodes = len(kept)
    source, sink = 0, 1
    first_tree = 2
    first_insp = first_tree + n_enterprises * n_nodes
    seats = n_enterprises * tree.team_size
    e_all = np.arange(n_enterprises, dtype=np.int64)

    tails, heads, caps, costs = [], [], [], []
    src_nodes = [j for j in range(tree.n_nodes) if supply[j] > 0]
    for j in src_nodes:  # source -> slot nodes with a lower bound
        tails.append(np.full(n_enterprises, source, dtype=np.int64))
        heads.append(first_tree + e_all * n_nodes + local[j])
        caps.append(np.full(n_enterprises, supply[j], dtype=np.int64))
        costs.append(np.zeros(n_enterprises, dtype=np.int64))
    for j in kept[1:]:  # parent -> child inside each tree
        tails.append(first_tree + e_all * n_nodes + local[tree.parent[j]])
        heads.append(first_tree + e_all * n_nodes + local[j])
        caps.append(np.full(n_enterprises, tree.team_size, dtype=np.int64))
        costs.append(np.zeros(n_enterprises, dtype=np.int64))
    cand_start = sum(len(t) for t in tails)
    leaf_local = local[np.asarray(tree.leaf_node, dtype=np.int64)]
    tails.append(first_tree + arc_e.astype(np.int64) * n_nodes + leaf_local[arc_cls])
    heads.append(first_insp + arc_i.astype(np.int64))
    caps.append(np.ones(len(arc_e), dtype=np.int64))
    costs.append(arc_cost.astype(np.int64))
    degree = np.bincount(arc_i, minlength=n_i)
    units = np.minimum(np.maximum(capacity, 0), degree).astype(np.int64)
    unit_insp = np.repeat(np.arange(n_i, dtype=np.int64), units)
    unit_k = np.arange(len(unit_insp), dtype=np.int64) - np.repeat(np.cumsum(units) - units, units)
    weight = load_weight(seats)
    tails.append(first_insp + unit_insp)
    heads.append(np.full(len(unit_insp), sink, dtype=np.int64))
    caps.append(np.ones(len(unit_insp), dtype=np.int64))
    costs.append(weight * (base_load[unit_insp] + unit_k + 1))

    tails_a = np.concatenate(tails)
    heads_a = np.concatenate(heads)
    caps_a = np.concatenate(caps)
    costs_a = np.concatenate(costs)
    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(tails_a, heads_a, caps_a, costs_a)
    smcf.set_nodes_supplies(np.array([source, sink]), np.array([seats, -seats]))
    if seats:
        status = smcf.solve_max_flow_with_min_cost()
        if status != smcf.OPTIMAL:
            raise RuntimeError(f"min-cost flow failed: {status}")  # a bug, not user input
        flows = smcf.flows(np.arange(len(tails_a)))
    else:
        status = smcf.OPTIMAL
        flows = np.zeros(len(tails_a), dtype=np.int64)

    chosen = flows[cand_start:cand_start + len(arc_e)] > 0
    served = np.bincount(arc_e[chosen], minlength=n_enterprises)
    short = np.zeros((n_enterprises, tree.n_nodes), dtype=np.int64)
    offset = 0
    for j in src_nodes:
        short[:, j] = caps_a[offset:offset + n_enterprises] - flows[offset:offset + n_enterprises]
        offset += n_enterprises
    network = {"tails": tails_a, "heads": heads_a, "caps": caps_a, "costs": costs_a,
               "flows": flows, "first_insp": first_insp, "first_tree": first_tree,
               "n_nodes": n_nodes, "cand_start": cand_start, "leaf_local": leaf_local,
               "node_count": first_insp + n_i}
    name = getattr(status, "name", str(status))
    return FlowSolution(chosen, served, short, time.perf_counter() - t0, name, network)


def potentials(solution: FlowSolution, max_rounds: int = 100_000) -> np.ndarray:
    """Node potentials proving a complete flow optimal: shortest distances in its residual graph.

    Distances from a virtual root joined to every node at cost 0, by Bellman-Ford rounds
    (vectorised, until nothing changes). An optimal flow's residual graph has no negative
    cycle, so the rounds end; afterwards ``d[v] <= d[u] + cost`` for every residual arc.

    There is one distance for every node of the network, including nodes that no arc
    touches: an inspector left out of the working set (after a replacement, the one new
    enterprise offers only a few of a large roster) keeps distance 0, the virtual root's.
    That is a valid potential, and a safe one for pricing: with every distance ``<= 0``, a
    pair priced against 0 is called improving whenever an arc to that inspector (and its
    first seat to the sink) could close a negative cycle.

    Parameters
    ----------
    solution : FlowSolution
        A solved flow.
    max_rounds : int
        Safety bound on the rounds.

    Returns
    -------
    numpy.ndarray of int64
        One distance per node.
    """
    net = solution.network
    tails, heads, caps, costs, flows = (net[k] for k in ("tails", "heads", "caps", "costs",
                                                          "flows"))
    fwd = flows < caps
    back = flows > 0
    u = np.concatenate([tails[fwd], heads[back]])
    v = np.concatenate([heads[fwd], tails[back]])
    w = np.concatenate([costs[fwd], -costs[back]])
    order = np.argsort(v, kind="stable")
    u, v, w = u[order], v[order], w[order]
    targets, starts = np.unique(v, return_index=True)
    d = np.zeros(int(net["node_count"]), dtype=np.int64)
    for _ in range(max_rounds):
        best = np.minimum.reduceat(d[u] + w, starts) if len(u) else np.zeros(0, np.int64)
        better = best < d[targets]
        if not better.any():
            return d
        d[targets[better]] = best[better]
    raise RuntimeError("no fixed point: the flow is not optimal")  # a bug, not user input


def improving_pairs(solution: FlowSolution, distance: np.ndarray, outside: np.ndarray,
                   cost: np.ndarray, cls: np.ndarray, tree: SlotTree,
                   chunk: int = 2048) -> np.ndarray:
    """Pairs left out of the network whose arc would have a negative reduced cost.

    With ``d`` from :func:`potentials`, the arc from the enterprise's slot leaf to the
    inspector has reduced cost ``d[leaf] + cost - d[inspector]``; when no left-out pair
    has a negative one, the flow is optimal for the network with every pair added (LP
    optimality). Computed on row blocks of the enterprises x inspectors matrices.

    Parameters
    ----------
    solution : FlowSolution
        The solved flow (for the node layout).
    distance : numpy.ndarray
        From :func:`potentials`.
    outside : numpy.ndarray of bool
        Enterprises x inspectors: the pairs to price.
    cost : numpy.ndarray
        Enterprises x inspectors: random costs.
    cls : numpy.ndarray
        Slot class of each inspector.
    tree : SlotTree
        The team's slot tree.
    chunk : int
        Rows per block.

    Returns
    -------
    numpy.ndarray of bool
        Enterprises x inspectors: the improving pairs.
    """
    net = solution.network
    n_e, n_i = outside.shape
    leaf_node = net["leaf_local"][np.asarray(cls, dtype=np.int64)]
    d_insp = distance[net["first_insp"] + np.arange(n_i, dtype=np.int64)]
    out = np.zeros_like(outside)
    for lo in range(0, n_e, chunk):
        rows = np.arange(lo, min(lo + chunk, n_e), dtype=np.int64)
        tail = net["first_tree"] + rows[:, None] * net["n_nodes"] + leaf_node[None, :]
        reduced = distance[tail] + cost[rows].astype(np.int64) - d_insp[None, :]
        out[rows] = outside[rows] & (reduced < 0)
    return out
