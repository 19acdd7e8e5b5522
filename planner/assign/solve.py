"""The solve of one planning unit: candidates, thinning, the flow, the repair, the leads.

:func:`plan_unit` builds the unit's candidate pairs by omission
(:mod:`planner.assign.candidates`), reports a unit or enterprise that cannot be staffed
before solving (:mod:`planner.assign.explain`), thins the candidates for the pair-probability
bound (:mod:`planner.assign.thinning`), fills every seat with a min-cost flow
(:mod:`planner.assign.flow`), re-staffs the teams the flow cannot keep right
(:mod:`planner.assign.repair`) and picks each team's lead (:func:`choose_leads`).
"""


from __future__ import annotations

import numpy as np
import pandas as pd

from planner.assign import candidates as cand
from planner.assign import explain, quals, thinning
from planner.assign.flow import (
    RANDOM_COST_RANGE,
    Arcs,
    improving_pairs,
    potentials,
    solve_flow,
)
from planner.assign.repair import repair_teams
from planner.assign.unit import Infeasible, UnitOutcome, UnitProblem, UnitReport
from planner.common import randomness


def plan_unit(problem: UnitProblem) -> UnitOutcome | Infeasible:
    """Build one unit's candidates and solve it.

    Parameters
    ----------
    problem : UnitProblem
        The unit, its inspectors and the rules.

    Returns
    -------
    UnitOutcome or Infeasible
        The unit's teams in the whole plan's numbering, or every reason it has none.
    """
    unit, rules, qual_names = problem.unit, problem.rules, problem.qual_names
    cands = cand.build_unit(unit, problem.enterprises, problem.pool, rules, problem.forbidden,
                            problem.n_roster)
    found = explain.unit_reasons(cands, rules) + explain.enterprise_reasons(cands, rules)
    needs = None
    if qual_names:
        needs = quals.unit_needs(qual_names, cands.enterprises["needs"],
                                 cands.inspectors["qualifications"])
        found += quals.shortfalls(needs, cands.mask, cands.enterprises, cands.inspectors,
                                  rules.cross_station, explain._unit_name(unit, rules))
    if found:
        return Infeasible(found)
    outcome = _solve_unit(cands, rules, problem.seed, problem.separate, needs)
    if isinstance(outcome, Infeasible):
        return outcome
    unit_teams, unit_leads, report, unit_loads = outcome
    positions = cands.enterprises["position"].to_numpy().tolist()
    roster_pos = cands.inspectors["roster_pos"].to_numpy().tolist()
    return UnitOutcome(
        teams={positions[e]: [roster_pos[i] for i in members]
               for e, members in unit_teams.items()},
        leads={positions[e]: roster_pos[unit_leads[e]] for e in unit_teams},
        report=report,
        loads=pd.Series(unit_loads, index=cands.inspectors["inspector_id"]),
    )


def _solve_unit(cands: cand.UnitCandidates, rules: cand.Rules, seed: str,
                separate_ids: frozenset[tuple[str, str]], needs: quals.Needs | None = None):
    """Solve one unit; return (teams, leads, report, loads) in its own numbering, or Infeasible."""
    tree = rules.tree
    unit = cands.unit
    n_e = len(cands.enterprises)
    n_i = len(cands.inspectors)
    th = thinning.thin(cands.mask, cands.cls, tree, rules.max_pair_probability,
                       randomness.generator(seed, "thin", unit),
                       randomness.generator(seed, "costs", unit), RANDOM_COST_RANGE)
    cls = cands.cls.astype(np.int64)
    capacity = cands.inspectors["capacity"].to_numpy(dtype=np.int64)
    n_admitted = int(th.admitted.sum())
    report = UnitReport(unit, n_e, n_i, int(cands.mask.sum()), n_admitted,
                        int(th.working.sum()))
    active = th.admitted.any(axis=0)
    report.spread_bound = spread_lower_bound(capacity[active], n_e * tree.team_size)

    reserve = quals.reserve(needs, capacity) if needs else None

    def run(selected: np.ndarray):
        arcs = th.arcs(selected, cls)
        if reserve is None:
            sol = solve_flow(tree, n_e, arcs, capacity)
        else:  # qualified inspectors start with the seats their qualification will need
            sol = solve_flow(tree, n_e, arcs, capacity - reserve, reserve)
        report.flow_seconds += sol.seconds
        return sol, arcs

    used = th.working
    sol, arcs = run(used)
    while sol.complete and int(used.sum()) < n_admitted:
        # Pricing: an admitted pair left out of the network whose arc has a negative
        # reduced cost would improve balance or cost; add every such pair and solve again.
        # When none is left, the plan is optimal over the whole admitted set.
        better = improving_pairs(sol, potentials(sol), th.admitted & ~used, th.cost, cls, tree)
        if not better.any():
            break
        report.pricing_rounds += 1
        used = used | better
        sol, arcs = run(used)
    if not sol.complete and int(used.sum()) < n_admitted:
        used = th.admitted
        sol, arcs = run(used)
    if not sol.complete and reserve is not None:
        reserve = None
        used = th.admitted
        sol, arcs = run(used)
    report.arcs_used = int(used.sum())
    if not sol.complete:
        reasons = [explain.cut_reason(cands, rules, sol)]
        if rules.max_pair_probability is not None:
            all_e, all_i = np.nonzero(cands.mask)
            every = Arcs(all_e, all_i, cands.cls[all_i], np.zeros(len(all_e), dtype=np.int64))
            loose = solve_flow(tree, n_e, every, capacity)
            if loose.complete:
                reasons.append(
                    f"{explain._unit_name(unit, rules)}: the rules alone leave room for a plan, "
                    f"but max_pair_probability {rules.max_pair_probability:g} admits only "
                    f"{n_admitted:,} of {report.candidates:,} candidate pairs for this seed; "
                    "raise max_pair_probability or inspector capacity")
        return Infeasible(reasons)

    teams: dict[int, list[int]] = {e: [] for e in range(n_e)}
    for e, i in zip(arcs.e[sol.chosen].tolist(), arcs.i[sol.chosen].tolist(), strict=True):
        teams[e].append(i)

    ids = cands.inspectors["inspector_id"].astype(str).to_numpy()
    local = {v: k for k, v in enumerate(ids)}
    separate = {(min(local[a], local[b]), max(local[a], local[b]))
                for a, b in separate_ids if a in local and b in local}
    if separate or needs:
        left = repair_teams(teams, separate, th.arcs(th.admitted, cls, working=True), capacity,
                            tree, seed, unit, report, needs)
        if left is not None:
            return Infeasible([f"{explain._unit_name(unit, rules)}: {r}" for r in left])
    loads = np.zeros(n_i, dtype=np.int64)
    for members in teams.values():
        loads[members] += 1
    if n_i:
        report.load_min = int(loads[active].min()) if active.any() else 0
        report.load_max = int(loads.max())
    leads = choose_leads(teams, cands.inspectors["cls"].to_numpy(), tree.lead_classes,
                         randomness.generator(seed, "leads", unit), n_i)
    return teams, leads, report, loads


def spread_lower_bound(capacity: np.ndarray, seats: int) -> int:
    """Return the least load spread any plan can reach, ignoring who may inspect whom.

    Water-filling: the loads ``min(capacity_i, t)`` at the highest level ``t`` that fits,
    the remaining seats one each to inspectors with room; the spread of that vector is a
    lower bound for every plan (and is reached when candidates do not bind).

    Parameters
    ----------
    capacity : numpy.ndarray
        Capacity of each inspector who has at least one candidate pair.
    seats : int
        Seats to fill.

    Returns
    -------
    int
        ``max - min`` of the water-filled loads (0 for no inspector).
    """
    cap = np.sort(np.asarray(capacity, dtype=np.int64))
    if len(cap) == 0:
        return 0
    lo, hi = 0, int(cap.max())
    while lo < hi:  # the highest level t with sum(min(cap, t)) <= seats
        mid = (lo + hi + 1) // 2
        if np.minimum(cap, mid).sum() <= seats:
            lo = mid
        else:
            hi = mid - 1
    loads = np.minimum(cap, lo)
    rest = seats - int(loads.sum())
    if rest > 0:
        loads[np.flatnonzero(cap > lo)[:rest]] += 1
    return int(loads.max() - loads.min())


def choose_leads(teams: dict[int, list[int]], inspector_cls: np.ndarray, lead_classes,
                 rng: np.random.Generator, n_inspectors: int) -> dict[int, int]:
    """Pick each team's lead: the lead-capable member with the fewest leads so far.

    Teams are taken in a random order (from ``rng``); ties go to a random ranking of the
    inspectors, also from ``rng``.

    Parameters
    ----------
    teams : dict
        Enterprise -> its inspectors (local indices).
    inspector_cls : numpy.ndarray
        Slot class of each inspector.
    lead_classes : sequence of int
        Classes whose members may lead.
    rng : numpy.random.Generator
        The unit's lead stream.
    n_inspectors : int
        Inspectors in the unit.

    Returns
    -------
    dict
        Enterprise -> the lead's local index.
    """
    may_lead = np.isin(inspector_cls, list(lead_classes)).tolist()
    tie = rng.permutation(n_inspectors).tolist()
    led = [0] * n_inspectors
    leads = {}
    for e in rng.permutation(sorted(teams)).tolist():
        members = [i for i in teams[e] if may_lead[i]] or teams[e]
        best = min(members, key=lambda i: (led[i], tie[i]))
        led[best] += 1
        leads[e] = best
    return leads
