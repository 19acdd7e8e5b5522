"""CP-SAT re-staffs the teams a flow cannot keep right: separated pairs, qualified members.

The flow (:mod:`planner.assign.flow`) fills every seat; the teams that then hold a pair of
inspectors who must not team (``separate_pairs``), or lack a member qualified for their
items, are re-staffed on CP-SAT sub-problems (:mod:`planner.assign.sidecp`) that grow until
one is solved or the whole unit is proven impossible (:func:`repair_teams`).
"""


from __future__ import annotations

import numpy as np

from planner.assign import quals, sidecp
from planner.assign.flow import (
    Arcs,
)
from planner.assign.unit import UnitReport
from planner.common import randomness

NEIGHBOURHOOD = 200
# Conflicting teams re-staffed in one CP-SAT sub-problem, at most.
CONFLICT_CHUNK = 40
# The pair repair searches a whole unit at once only up to this many candidate pairs.
WHOLE_UNIT_ARCS = 400_000
# A unit whose teams need qualified inspectors is re-staffed whole up to this many pairs.
WHOLE_UNIT_QUALIFIED = 20_000
class _Repair:
    """The state one unit's repair shares between its CP-SAT attempts."""

    def __init__(self, teams, separate, arcs: Arcs, capacity, tree, report: UnitReport,
                 needs: quals.Needs | None):
        self.teams, self.arcs, self.capacity, self.tree = teams, arcs, capacity, tree
        self.report, self.needs = report, needs
        self.n_e = len(teams)
        self.pairs = sorted(separate)
        self.width = max(len(capacity), 1)
        self.is_conflict = np.zeros(self.n_e, dtype=bool)
        # With qualifications, a short team takes from its working set, its members and the
        # inspectors qualified for what it needs (a far smaller model than every candidate).
        self.qualified_arc = quals.arc_qualifies(needs, arcs.e, arcs.i) if needs else None

    def members(self) -> tuple[np.ndarray, np.ndarray]:
        """Return the (team, inspector) index arrays of the current teams."""
        teams = self.teams
        return (np.array([e for e, m in teams.items() for _ in m], dtype=np.int64),
                np.array([i for m in teams.values() for i in m], dtype=np.int64))

    def mark(self, conflicting) -> None:
        """Mark the teams being re-staffed for their own sake."""
        self.is_conflict[:] = False
        self.is_conflict[conflicting] = True

    def attempt(self, label: str, sub: np.ndarray, whole: bool) -> bool:
        """Re-staff the teams ``sub`` with CP-SAT; True (teams updated) when it found a plan."""
        arcs, needs, capacity = self.arcs, self.needs, self.capacity
        arc_e, arc_i = arcs.e, arcs.i
        team_e, team_i = self.members()
        renumber = np.full(self.n_e, -1, dtype=np.int64)
        renumber[sub] = np.arange(len(sub))
        mask = renumber[arc_e] >= 0
        if not whole:  # neighbours keep their working set and current members
            in_team = np.isin(arc_e * self.width + arc_i, team_e * self.width + team_i)
            mine = self.is_conflict[arc_e] if self.qualified_arc is None else (
                self.is_conflict[arc_e] & self.qualified_arc)
            mask &= mine | arcs.working | in_team
        inside = renumber[team_e] >= 0
        base = np.bincount(team_i[~inside], minlength=len(capacity)).astype(np.int64)
        sub_needs = [needs.masks(e) for e in sub.tolist()] if needs else None
        result = sidecp.solve_subproblem(self.tree, len(sub), arcs.select(mask, renumber),
                                         capacity - base, base, self.pairs, sub_needs)
        self.report.cp_seconds += result.seconds
        self.report.cp_rounds.append({"scope": label, "teams": int(len(sub)),
                                      "variables": result.variables, "status": result.status,
                                      "seconds": result.seconds})
        if result.chosen is None:
            return False
        picked = np.flatnonzero(mask)[result.chosen]
        for e in sub.tolist():
            self.teams[e] = []
        for e, i in zip(arc_e[picked], arc_i[picked], strict=True):
            self.teams[int(e)].append(int(i))
        return True


def repair_teams(teams: dict[int, list[int]], separate: set[tuple[int, int]], arcs: Arcs, capacity,
            tree, seed: str, unit: str, report: UnitReport, needs: quals.Needs | None = None):
    """Re-staff the teams holding a separated pair or lacking a qualified member.

    Returns None when every team holds, else the list of reasons.

    First the conflicting teams alone (all their admitted candidates), :data:`CONFLICT_CHUNK`
    at a time in team order, each chunk with the loads the rest of the plan gives (CP-SAT's
    effort grows much faster than the teams it re-staffs). The teams of any chunk that cannot
    be re-staffed alone go on together to sub-problems that grow until CP-SAT solves one:
    with up to :data:`NEIGHBOURHOOD` and then ten times as many teams that use the inspectors
    they could take (those teams keep their working set and current members); the whole
    unit (every admitted pair), when it has at most :data:`WHOLE_UNIT_ARCS` of them, which
    proves there is no plan when it fails.
    """
    conflicts = sidecp.find_conflicts(teams, separate)
    if needs:
        conflicts = sorted(set(conflicts) | set(quals.unqualified_teams(teams, needs)))
    if not conflicts:
        return None
    repair = _Repair(teams, separate, arcs, capacity, tree, report, needs)
    if needs and len(arcs.e) <= WHOLE_UNIT_QUALIFIED:
        # Qualified seats change who carries the load; re-staffing the short teams alone
        # would pile it on the few qualified inspectors, so a small unit is solved whole.
        if repair.attempt("whole unit", np.arange(repair.n_e, dtype=np.int64), True):
            report.repaired += len(conflicts)
            return None
        others = np.zeros(0, dtype=np.int64)
        return _repair_failure(list(conflicts), separate, needs, len(arcs.e), others)
    left = _repair_in_chunks(repair, conflicts)
    if not left:
        return None
    return _repair_with_neighbours(repair, left, separate, seed, unit)


def _repair_in_chunks(repair: _Repair, conflicts: list[int]) -> list[int]:
    """Re-staff the conflicting teams alone, a chunk at a time; return the teams still left."""
    chunks = [np.array(conflicts[k:k + CONFLICT_CHUNK], dtype=np.int64)
              for k in range(0, len(conflicts), CONFLICT_CHUNK)]
    left: list[int] = []
    for k, chunk in enumerate(chunks):
        repair.mark(chunk)
        label = "conflicting teams" + (f" {k + 1}/{len(chunks)}" if len(chunks) > 1 else "")
        if repair.attempt(label, chunk, False):
            repair.report.repaired += len(chunk)
        else:
            left += chunk.tolist()
    return left


def _repair_with_neighbours(repair: _Repair, left: list[int], separate, seed: str, unit: str):
    """Re-staff the teams left with growing sets of neighbouring teams, then the whole unit.

    Returns None when a round found a plan, else the reasons (:func:`_repair_failure`).
    """
    arc_e, arc_i, n_e = repair.arcs.e, repair.arcs.i, repair.n_e
    repair.mark(left)
    team_e, team_i = repair.members()
    near = np.unique(arc_i[repair.is_conflict[arc_e]])
    uses_near = np.zeros(n_e, dtype=bool)
    uses_near[team_e[np.isin(team_i, near)]] = True
    order = randomness.generator(seed, "repair", unit).permutation(n_e)
    others = order[uses_near[order] & ~repair.is_conflict[order]]
    rounds = [("with neighbouring teams", others[:NEIGHBOURHOOD], False),
              ("with more neighbouring teams", others[:10 * NEIGHBOURHOOD], False)]
    if len(arc_e) <= WHOLE_UNIT_ARCS:
        rounds.append(("whole unit", np.arange(n_e, dtype=np.int64), True))
    tried = set()
    for label, extra, whole in rounds:
        sub = np.union1d(left, extra).astype(np.int64)
        if (len(sub), whole) in tried:
            continue
        tried.add((len(sub), whole))
        if repair.attempt(label, sub, whole):
            repair.report.repaired += len(left)
            return None
    return _repair_failure(left, separate, repair.needs, len(arc_e), others)


def _repair_failure(left: list[int], separate, needs, n_arcs: int, others) -> list[str]:
    """Say why the repair found no plan (proven when the unit was searched whole)."""
    whole = n_arcs <= WHOLE_UNIT_ARCS or (needs and n_arcs <= WHOLE_UNIT_QUALIFIED)
    if not separate:
        what = (f"{len(left)} teams lack an inspector qualified for their items "
                f"({', '.join(needs.names)})")
        if whole:
            return [f"{what}, and no plan of the unit gives every team its qualified "
                    "inspectors within the capacities: add qualified inspectors or raise "
                    "their capacity"]
        return [f"{what}; no re-staffing of them and "
                f"{min(len(others), 10 * NEIGHBOURHOOD)} neighbouring teams qualifies them, "
                f"and the unit's {n_arcs:,} candidate pairs are too many to search whole: "
                "add qualified inspectors or partition the plan"]
    also = " or lack a qualified inspector" if needs else ""
    if whole:
        return [f"{len(left)} teams hold a pair of inspectors who must not team "
                f"(separate_pairs){also}, and no plan of the unit keeps all {len(separate)} "
                "pairs apart within the capacities: add inspectors or drop pairs"]
    return [f"{len(left)} teams hold a pair of inspectors who must not team "
            f"(separate_pairs){also}; no re-staffing of them and "
            f"{min(len(others), 10 * NEIGHBOURHOOD)} "
            f"neighbouring teams keeps all {len(separate)} pairs apart, and the unit's "
            f"{n_arcs:,} candidate pairs are too many to search whole: add inspectors, "
            "drop pairs or partition the plan"]
