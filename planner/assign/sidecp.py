"""CP-SAT for what a flow cannot carry: pairs of inspectors who must not team.

"These two must not be in one team" couples two arcs of the same enterprise, which no
network flow can express. The flow is solved without it; the few teams that break it are
then re-staffed here, on a small sub-problem: those enterprises (and, if that is not
enough, more of their unit), every admitted candidate of theirs, and the inspectors'
remaining capacity. The model has the flow's rules (seats, the slot tree's lower bounds,
capacity), the pair rule, and the flow's objective (convex load cost continuing from the
loads the rest of the plan already gives, then the same seeded random arc costs), so a
repaired plan is as balanced as the sub-problem allows.

Determinism: CP-SAT runs with one worker, a fixed random seed and no time limit (or-tools
issues #2159, #4195), so the same sub-problem always gives the same answer; all randomness
comes from the plan seed through the arc costs.

Speed: the model is an assignment problem with a few extra rows, so its LP relaxation is
strong; ``linearization_level = 2`` uses it throughout the search. With the default level
one worker could not prove optimal in 60 s a repair of 35 teams (3,265 candidate pairs) that
it now proves in 0.7 s; a city repair of 171 teams with 2,531 separated pairs went from over
nine minutes to 37 s (21 s in the chunks of :func:`planner.assign.repair.repair_teams`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from planner.assign.flow import Arcs, load_weight
from planner.assign.slots import SlotTree

if TYPE_CHECKING:
    from ortools.sat.python import cp_model

SOLVER_SETTINGS = {"num_workers": 1, "random_seed": 20, "linearization_level": 2,
                   "max_time_in_seconds": None}


@dataclass
class RepairResult:
    """Outcome of one CP-SAT sub-problem.

    Attributes
    ----------
    chosen : numpy.ndarray of bool or None
        Per arc given: used by a team; None when the sub-problem has no solution.
    status : str
        CP-SAT status name.
    seconds : float
        Wall time.
    variables : int
        Assignment variables in the model.
    """

    chosen: np.ndarray | None
    status: str
    seconds: float
    variables: int


def solve_subproblem(
    tree: SlotTree,
    n_enterprises: int,
    arcs: Arcs,
    capacity: np.ndarray,
    base_load: np.ndarray,
    separate: list[tuple[int, int]],
    needs: list[list[np.ndarray]] | None = None,
) -> RepairResult:
    """Staff ``n_enterprises`` teams exactly, keeping apart every pair in ``separate``.

    Parameters
    ----------
    tree : SlotTree
        The team's slot tree.
    n_enterprises : int
        Enterprises of the sub-problem (indices ``0..n-1`` in ``arc_e``).
    arcs : planner.assign.flow.Arcs
        Candidate arcs: enterprise (``0..n-1``), inspector, slot class and random cost.
    capacity : numpy.ndarray
        Seats each inspector may still take in this sub-problem.
    base_load : numpy.ndarray
        Seats each inspector has outside it.
    separate : list of (int, int)
        Inspector pairs who must not be in one team.
    needs : list, optional
        Per enterprise, one mask over the inspectors per qualification it needs: the team
        holds at least one inspector of each mask (:mod:`planner.assign.quals`).

    Returns
    -------
    RepairResult
        The chosen arcs, or ``chosen=None`` when no staffing exists.
    """
    # Imported here: most plans need no repair, and loading CP-SAT costs about 0.02 s.
    from ortools.sat.python import cp_model

    t0 = time.perf_counter()
    arc_e, arc_i, arc_cls, arc_cost = arcs.e, arcs.i, arcs.cls, arcs.cost
    model = cp_model.CpModel()
    n_arcs = len(arc_e)
    x = [model.new_bool_var(f"assign[{int(e)},{int(i)}]") for e, i in zip(arc_e, arc_i,
                                                                            strict=True)]
    by_e: list[list[int]] = [[] for _ in range(n_enterprises)]
    for a, e in enumerate(arc_e):
        by_e[int(e)].append(a)
    subtree = tree.subtree_classes()
    for arcs in by_e:
        model.add(sum(x[a] for a in arcs) == tree.team_size)
        for node in range(1, tree.n_nodes):
            if tree.need[node] <= 0:
                continue
            group = [a for a in arcs if arc_cls[a] in subtree[node]]
            model.add(sum(x[a] for a in group) >= tree.need[node])
    add_separation(model, x, by_e, arc_i, separate)
    for e, masks in enumerate(needs or ()):
        for holder in masks:
            model.add(sum(x[a] for a in by_e[e] if holder[arc_i[a]]) >= 1)
    weight = load_weight(n_enterprises * tree.team_size)
    objective = [int(c) * x[a] for a, c in enumerate(arc_cost) if c]
    by_i: dict[int, list[int]] = {}
    for a, i in enumerate(arc_i):
        by_i.setdefault(int(i), []).append(a)
    for i, arcs in sorted(by_i.items()):
        units = min(int(capacity[i]), len(arcs))
        if units <= 0:
            for a in arcs:
                model.add(x[a] == 0)
            continue
        y = [model.new_bool_var(f"load[{i},{k}]") for k in range(units)]
        model.add(sum(x[a] for a in arcs) == sum(y))
        for k in range(units - 1):
            model.add_implication(y[k + 1], y[k])
        objective += [weight * (int(base_load[i]) + k + 1) * y[k] for k in range(units)]
    model.minimize(sum(objective))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = SOLVER_SETTINGS["num_workers"]
    solver.parameters.random_seed = SOLVER_SETTINGS["random_seed"]
    solver.parameters.linearization_level = SOLVER_SETTINGS["linearization_level"]
    status = solver.solve(model)
    name = solver.status_name(status)
    chosen = None
    if status == cp_model.OPTIMAL:
        chosen = np.array([solver.boolean_value(v) for v in x], dtype=bool)
    return RepairResult(chosen, name, time.perf_counter() - t0, n_arcs)


def add_separation(model: cp_model.CpModel, x: list, by_e: list[list[int]],
                   arc_i: np.ndarray, separate: list[tuple[int, int]]) -> None:
    """Add ``x[e,a] + x[e,b] <= 1`` for every separated pair (a, b) both candidates of e."""
    if not separate:
        return
    for arcs in by_e:
        where = {int(arc_i[a]): a for a in arcs}
        for a, b in separate:
            if a in where and b in where:
                model.add(x[where[a]] + x[where[b]] <= 1)


def find_conflicts(teams: dict[int, list[int]], separate: set[tuple[int, int]]) -> list[int]:
    """Return the enterprises whose team holds a separated pair.

    Parameters
    ----------
    teams : dict
        Enterprise -> its inspectors.
    separate : set of (int, int)
        Separated pairs, each stored with the smaller index first.

    Returns
    -------
    list of int
        Enterprises in ascending order.
    """
    if not separate:
        return []
    bad = []
    for e, members in teams.items():
        m = sorted(members)
        if any((m[j], m[k]) in separate for j in range(len(m)) for k in range(j + 1, len(m))):
            bad.append(e)
    return sorted(bad)
