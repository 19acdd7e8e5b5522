"""The second random of 双随机: a random team of inspectors for every drawn enterprise.

:func:`plan_assignment` plans a team for every drawn enterprise in memory; the folder shell
:mod:`planner.app.assign` (``planner assign``, stage 2 of ``planner run``) reads the sample
and writes the teams. When no plan exists it raises
:class:`~planner.common.errors.InfeasiblePlanError` with the reasons in data terms.

How a plan is made, per planning unit (``partition_by``: each district or station with its
own inspectors, or the whole plan as one unit):

1. candidates by omission (:mod:`planner.assign.candidates`), counting what each rule removed;
   an enterprise or unit that cannot be staffed is reported before any solving
   (:mod:`planner.assign.explain`);
2. seeded thinning (:mod:`planner.assign.thinning`): the admitted set that bounds every pair's
   probability by ``max_pair_probability`` by construction, and a small working set;
3. a min-cost flow (:mod:`planner.assign.flow`) fills every seat, balancing loads (the convex
   cost dominates) and choosing at random among balanced plans (seeded arc costs). When the
   working set leaves a seat empty or its load spread is above the unit's lower bound
   (capacity water-filling), the flow runs again on the whole admitted set, so the spread
   is the least the rules allow;
4. CP-SAT (:mod:`planner.assign.sidecp`) re-staffs only the teams that hold a pair of inspectors
   who must not team, on sub-problems: those teams, a chunk at a time; the teams a chunk
   could not re-staff alone, plus 200, then 2,000 teams sharing their candidates, then the
   whole unit when it is small enough to search, until it is solved or proven impossible
   (see :func:`planner.assign.repair.repair_teams`);
5. the lead of each team (主检) is the lead-capable member with the fewest leads so far,
   teams taken in a seeded random order.

Units are independent problems, each seeded by its own name; from
:data:`PARALLEL_ENTERPRISES` drawn enterprises on they are solved in forked worker
processes (:mod:`planner.common.parallel`) and put together in unit order, so the plan is the same
byte for byte.

Why not one CP-SAT model: the assignment is a transportation problem, which a flow solves
exactly in well under a second where a dense CP-SAT model takes minutes (see
``tests/benchmarks/test_bench_assign.py``). Why thinning rather than capped fractional
assignment plus dependent rounding: thinning gives the same guarantee (``P(pair) <= q``
for every pair, whatever happens after admission, including the CP-SAT repair), admits a
team whenever ``q`` allows one for that enterprise alone, and keeps the integral flow,
its balance optimum and the pair rule's repair unchanged; its cost is that a plan whose
capacity is very tight can need more slack under ``q`` than without it, which the error
message then says.
"""


from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.assign import candidates as cand
from planner.assign import explain, groups
from planner.assign.pair_rules import PAIR_RULES
from planner.assign.pairs import read_separate_pairs
from planner.assign.slots import slot_tree
from planner.assign.solve import plan_unit
from planner.assign.unit import Infeasible, UnitOutcome, UnitProblem, UnitReport
from planner.common.errors import InfeasiblePlanError, ScenarioError
from planner.common.parallel import fork_pool, worker_count
from planner.plan.inputs import Inputs
from planner.plan.items import plan_items
from planner.plan.scenario import Scenario
from planner.plan.seeds import require_seed

COLUMNS = ("task_id", "enterprise_id", "inspector_id", "role")
MAX_REASONS = 60
# From this many drawn enterprises on, the planning units are solved in worker processes.
PARALLEL_ENTERPRISES = 2_000


@dataclass
class AssignmentPlan:
    """Teams for every drawn enterprise.

    Attributes
    ----------
    assignments : pandas.DataFrame
        task_id, enterprise_id, inspector_id, role - one row per seat, in task order.
    loads : pandas.Series
        Seats per eligible inspector of the units that had enterprises (zeros included),
        indexed by inspector_id.
    units : list of UnitReport
        Per-unit figures.
    rules : cand.Rules
        The rules applied.
    """

    assignments: pd.DataFrame
    loads: pd.Series
    units: list[UnitReport]
    rules: cand.Rules


def rules_of(scenario: Scenario) -> cand.Rules:
    """Return the assignment rules a scenario switches on.

    Parameters
    ----------
    scenario : Scenario
        The plan.

    Returns
    -------
    planner.assign.candidates.Rules
        Team tree, cross-station, rotation, partition and pair-probability settings.
    """
    a = scenario.assignment
    return cand.Rules(
        tree=slot_tree(a.team_size, a.require_lead, a.joint_departments),
        cross_station=a.cross_station,
        pair_rules=tuple(rule.name for rule in PAIR_RULES if rule.active(a)),
        partition_by=a.partition_by,
        max_pair_probability=a.max_pair_probability,
    )


def plan_assignment(scenario: Scenario, inputs: Inputs, sample: pd.DataFrame, *,
                    progress=None) -> AssignmentPlan:
    """Plan a team for every enterprise of ``sample`` (no files written).

    Parameters
    ----------
    scenario : Scenario
        The plan (``[plan] seed``, ``[assignment]`` rules).
    inputs : Inputs
        The validated inputs.
    sample : pandas.DataFrame
        The drawn enterprises (``enterprise_id``), in task order.
    progress : callable, optional
        Progress reporter.

    Returns
    -------
    AssignmentPlan
        The teams, loads and per-unit figures.

    Raises
    ------
    InfeasiblePlanError
        With every reason found, in data terms.
    """
    require_seed(scenario)
    rules = rules_of(scenario)
    seed = scenario.plan.seed
    directory = inputs.enterprises[["enterprise_id", "name", "district", "station"]]
    ent = directory.iloc[inputs.enterprise_rows(sample["enterprise_id"])]
    ent = ent.reset_index(drop=True)
    ent["position"] = np.arange(len(ent))
    roster = inputs.inspectors.copy()
    roster["roster_pos"] = np.arange(len(roster))
    _check_departments(scenario, roster, rules)
    separate = _separate_pairs(scenario, inputs)
    forbidden = {rule.name: rule.omit(inputs, ent["enterprise_id"])
                 for rule in PAIR_RULES if rule.name in rules.pair_rules}
    unit_col = rules.partition_by
    ent["unit"] = ent[unit_col].astype(str) if unit_col else "all"
    roster["unit"] = roster[unit_col].astype(str) if unit_col else "all"
    pools = dict(tuple(roster.groupby("unit", sort=False)))

    qual_names = _qualification_needs(scenario, inputs, ent)
    problems = [UnitProblem(str(unit), unit_ent, pools.get(unit, roster.iloc[:0]), rules,
                            forbidden, len(roster), seed, separate, qual_names)
                for unit, unit_ent in ent.groupby("unit", sort=True)]
    reasons: list[str] = []
    teams: dict[int, list[int]] = {}
    leads: dict[int, int] = {}
    reports: list[UnitReport] = []
    unit_loads: list[pd.Series] = []
    if scenario.assignment.standing_groups:
        outcomes = _group_outcomes(scenario, roster, problems)
    else:
        outcomes = _unit_outcomes(problems, progress)
    for outcome in outcomes:
        if isinstance(outcome, Infeasible):
            reasons += outcome.reasons
            continue
        teams.update(outcome.teams)
        leads.update(outcome.leads)
        reports.append(outcome.report)
        unit_loads.append(outcome.loads)
    loads = pd.concat(unit_loads) if unit_loads else pd.Series(dtype=np.int64)
    if reasons:
        shown = reasons[:MAX_REASONS]
        if len(reasons) > MAX_REASONS:
            shown.append(f"... and {len(reasons) - MAX_REASONS} more")
        raise InfeasiblePlanError(
            f"no assignment satisfies the rules of [assignment] for {len(ent):,} drawn "
            "enterprises; nothing was written. Reasons:", shown)
    frame = _assignment_rows(scenario.plan.id, ent, roster, teams, leads)
    loads = loads.astype(np.int64).sort_index()
    return AssignmentPlan(frame, loads, reports, rules)


def _group_outcomes(scenario: Scenario, roster: pd.DataFrame, problems: list[UnitProblem]):
    """Yield each unit's :class:`UnitOutcome` or :class:`Infeasible` when teams are standing groups."""
    a = scenario.assignment
    qual_names = problems[0].qual_names if problems else ()
    for what, value in (("separate_pairs", a.separate_pairs),
                        ("joint_departments", a.joint_departments),
                        ("items that need a qualification (所需资质)", qual_names)):
        if value:
            raise ScenarioError(
                f"standing groups (检查小组) cannot be combined with {what}: a group is "
                "drawn whole", key="assignment.standing_groups", file=scenario.label)
    why = {name: set(zip(frame["enterprise_id"].astype(str),
                         frame["inspector_id"].astype(str), strict=True))
           for name, frame in (problems[0].forbidden.items() if problems else ())}
    listed = roster[roster["eligible"].astype(bool) & (roster["group"] != "")]
    eligible = pd.Series(listed["group"].to_numpy(dtype=object),
                         index=listed["inspector_id"].astype(str).to_numpy())
    for p in problems:
        unit, rules = p.unit, p.rules
        cands = cand.build_unit(unit, p.enterprises, p.pool, rules, p.forbidden, p.n_roster)
        outcome = groups.solve_groups(cands, rules, p.seed, eligible, why)
        if isinstance(outcome, list):
            yield Infeasible(outcome)
            continue
        unit_teams, unit_leads, _, unit_loads = outcome
        report = UnitReport(unit, len(cands.enterprises), len(cands.inspectors),
                            int(cands.mask.sum()), int(cands.mask.sum()), 0)
        positions = cands.enterprises["position"].to_numpy()
        roster_pos = cands.inspectors["roster_pos"].to_numpy()
        yield UnitOutcome(
            teams={int(positions[e]): [int(roster_pos[i]) for i in members]
                   for e, members in unit_teams.items()},
            leads={int(positions[e]): int(roster_pos[unit_leads[e]]) for e in unit_teams},
            report=report,
            loads=unit_loads,
        )


def _unit_outcomes(problems: list[UnitProblem], progress=None):
    """Yield each unit's :class:`UnitOutcome` or :class:`Infeasible`, in the order given.

    A large plan solves its units in forked worker processes (:mod:`planner.common.parallel`);
    every unit is seeded by its own name, so the teams are the same either way.
    """
    sizes = [len(p.enterprises) for p in problems]
    workers = worker_count(sum(sizes), PARALLEL_ENTERPRISES) if len(problems) > 1 else 1
    if workers == 1:
        for p in problems:
            if progress:
                progress(f"assigning {explain._unit_name(p.unit, p.rules)}: "
                         f"{len(p.enterprises):,} enterprises, {len(p.pool):,} inspectors")
            yield plan_unit(p)
        return
    if progress:
        progress(f"assigning {len(problems)} units ({sum(sizes):,} enterprises) in {workers} "
                 "processes")
    with fork_pool(workers) as executor:
        # Largest first, so that no worker is left with a big unit at the end.
        futures = {i: executor.submit(plan_unit, problems[i])
                   for i in sorted(range(len(problems)), key=lambda i: -sizes[i])}
        for i in range(len(problems)):
            yield futures[i].result()


def _check_departments(scenario: Scenario, roster: pd.DataFrame, rules: cand.Rules) -> None:
    known = set(roster["department"])
    for i, dept in enumerate(rules.tree.departments):
        if dept not in known:
            raise ScenarioError(
                f"department {dept!r} has no inspector in the roster; its departments are "
                f"{', '.join(sorted(known))}",
                key=f"assignment.joint_departments[{i}]", file=scenario.label)


def _separate_pairs(scenario: Scenario, inputs: Inputs) -> frozenset[tuple[str, str]]:
    path = scenario.assignment.separate_pairs
    if path is None:
        return frozenset()
    frame = read_separate_pairs(path, inputs.inspectors, encoding=scenario.inputs.encoding,
                                sheet=scenario.inputs.sheet)
    return frozenset(zip(frame["inspector_id_1"], frame["inspector_id_2"], strict=True))


def _qualification_needs(scenario: Scenario, inputs: Inputs, ent: pd.DataFrame
                         ) -> tuple[str, ...]:
    """Add each enterprise's needed qualifications (``needs``) to ``ent``; return their names.

    Returns an empty tuple (and leaves ``ent`` alone) when no item of the plan needs one.
    """
    items = plan_items(scenario, inputs.items)
    if not items.qualified:
        return ()
    category = inputs.enterprises["category"].iloc[inputs.enterprise_rows(ent["enterprise_id"])]
    ent["needs"] = [items.needs(ks) for ks in items.per_enterprise(category)]
    return tuple(dict.fromkeys(q for q in items.qualifications if q))


def _assignment_rows(plan_id: str, ent: pd.DataFrame, roster: pd.DataFrame,
                     teams: dict[int, list[int]], leads: dict[int, int]) -> pd.DataFrame:
    ids = roster["inspector_id"].astype(str).to_numpy().tolist()
    width = max(5, len(str(len(ent))))
    rows = []
    for pos, eid in enumerate(ent["enterprise_id"]):
        task = f"{plan_id}-{pos + 1:0{width}d}"
        lead = leads[pos]
        rows.append((task, eid, ids[lead], "lead"))
        for i in sorted((m for m in teams[pos] if m != lead), key=lambda m: ids[m]):
            rows.append((task, eid, ids[i], "member"))
    return pd.DataFrame(rows, columns=list(COLUMNS))
