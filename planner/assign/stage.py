"""The second random of 双随机: a random team of inspectors for every drawn enterprise.

:func:`assign_stage` (stage 2 of ``planner run``, and ``planner assign``) reads
``OUT/sample.csv`` (drawing it first when absent), plans the teams with
:func:`plan_assignment` and writes ``OUT/assignments.csv`` (task_id, enterprise_id,
inspector_id, role) plus an ``"assignment"`` section in ``OUT/draw-record.json``. When no
plan exists it raises :class:`~planner.common.errors.InfeasiblePlanError` with the reasons in data
terms and leaves no assignments file behind.

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
   (see :func:`_repair`);
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

import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner.assign import candidates as cand
from planner.assign import experts, explain, groups, quals, sidecp, thinning
from planner.assign.check import check_seats
from planner.assign.flow import (
    RANDOM_COST_RANGE,
    Arcs,
    improving_pairs,
    potentials,
    solve_flow,
)
from planner.assign.keep import keep_teams
from planner.assign.pairs import read_separate_pairs
from planner.assign.slots import slot_tree
from planner.common import randomness
from planner.common.errors import InfeasiblePlanError, InputError, Problem, ScenarioError
from planner.common.io import sha256_file
from planner.common.parallel import fork_pool, worker_count
from planner.draw.record import relative
from planner.draw.stage import draw_stage, require_seed, seed_from_record
from planner.plan import folder
from planner.plan.inputs import Inputs, canonical_ids
from planner.plan.items import plan_items
from planner.plan.scenario import Scenario

SAMPLE_NAME = folder.SAMPLE
ASSIGNMENTS_NAME = folder.ASSIGNMENTS
RECORD_NAME = folder.RECORD
COLUMNS = ("task_id", "enterprise_id", "inspector_id", "role")
MAX_REASONS = 60
NEIGHBOURHOOD = 200
# Conflicting teams re-staffed in one CP-SAT sub-problem, at most.
CONFLICT_CHUNK = 40
# The pair repair searches a whole unit at once only up to this many candidate pairs.
WHOLE_UNIT_ARCS = 400_000
# A unit whose teams need qualified inspectors is re-staffed whole up to this many pairs.
WHOLE_UNIT_QUALIFIED = 20_000
# From this many drawn enterprises on, the planning units are solved in worker processes.
PARALLEL_ENTERPRISES = 2_000


@dataclass
class UnitReport:
    """What the solve of one planning unit did (for the summary and the record)."""

    unit: str
    enterprises: int
    inspectors: int
    candidates: int
    admitted: int
    working: int
    pricing_rounds: int = 0
    arcs_used: int = 0
    load_min: int = 0
    load_max: int = 0
    spread_bound: int = 0
    repaired: int = 0
    cp_rounds: list[dict] = field(default_factory=list)
    flow_seconds: float = 0.0
    cp_seconds: float = 0.0

    def record(self) -> dict[str, Any]:
        """Return the deterministic part, for ``draw-record.json`` (no timings)."""
        return {
            "unit": self.unit,
            "enterprises": self.enterprises,
            "inspectors": self.inspectors,
            "candidate_pairs": self.candidates,
            "admitted_pairs": self.admitted,
            "working_pairs": self.working,
            "pricing_rounds": self.pricing_rounds,
            "flow_pairs": self.arcs_used,
            "load_min": self.load_min,
            "load_max": self.load_max,
            "spread_lower_bound": self.spread_bound,
            "teams_repaired_by_cp_sat": self.repaired,
            "cp_sat_rounds": [{k: v for k, v in r.items() if k != "seconds"}
                              for r in self.cp_rounds],
        }


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


@dataclass
class AssignResult:
    """What :func:`assign_stage` did, for ``planner run`` / ``planner assign`` to print."""

    plan: AssignmentPlan
    out: Path
    notes: list[str] = field(default_factory=list)

    @property
    def assignments(self) -> pd.DataFrame:
        """The rows written to ``assignments.csv``."""
        return self.plan.assignments

    def summary_lines(self) -> list[str]:
        """Return the assignment's summary for a terminal."""
        plan = self.plan
        tasks = plan.assignments["task_id"].nunique()
        seats = len(plan.assignments)
        loads = plan.loads
        flow_s = sum(u.flow_seconds for u in plan.units)
        cp_s = sum(u.cp_seconds for u in plan.units)
        repaired = sum(u.repaired for u in plan.units)
        least = "" if repaired or len(plan.units) != 1 else ", the least these rules allow"
        lines = [f"Assigned {tasks:,} teams ({seats:,} seats) to {int((loads > 0).sum()):,} of "
                 f"{len(loads):,} eligible inspectors; loads {_range(loads)}"
                 f" (spread {_spread(loads)}{least})"]
        if len(plan.units) > 1:
            worst = max(plan.units, key=lambda u: u.load_max - u.load_min)
            even = "" if repaired else "each as even as its rules allow; "
            lines.append(f"  {len(plan.units)} units ({plan.rules.partition_by}), {even}widest "
                         f"spread {worst.load_max - worst.load_min} in {worst.unit}")
        lines.append(f"  solver: min-cost flow {flow_s:.2f} s"
                     + (f"; CP-SAT re-staffed {repaired} teams in {cp_s:.2f} s" if repaired
                        or cp_s else ""))
        lines += self.notes
        lines.append(f"Wrote {self.out / ASSIGNMENTS_NAME}")
        return lines


def _range(loads: pd.Series) -> str:
    return f"{int(loads.min())}-{int(loads.max())}" if len(loads) else "-"


def _spread(loads: pd.Series) -> int:
    return int(loads.max() - loads.min()) if len(loads) else 0


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
        rotation=a.rotation,
        partition_by=a.partition_by,
        max_pair_probability=a.max_pair_probability,
    )


# --- the stage -------------------------------------------------------------------------


def assign_stage(scenario: Scenario, inputs: Inputs, out: Path, *, progress=None
                 ) -> AssignResult:
    """Assign a team to every drawn enterprise and write ``assignments.csv``.

    Reads ``out/sample.csv``; when it is absent the draw runs first
    (:func:`planner.draw.stage.draw_stage`). Adds an ``"assignment"`` section (rules, solver
    settings, library versions, loads) to ``out/draw-record.json``.

    Parameters
    ----------
    scenario : Scenario
        The plan.
    inputs : Inputs
        Its validated inputs.
    out : pathlib.Path
        The output folder.
    progress : callable, optional
        Progress reporter.

    Returns
    -------
    AssignResult
        With ``summary_lines()``.

    Raises
    ------
    InfeasiblePlanError
        When no plan satisfies the rules (no assignments file is left in ``out``).
    InputError
        When ``sample.csv`` does not fit the inputs, or the separate-pairs file is bad.
    """
    out = Path(out)

    scenario = seed_from_record(scenario, out)
    if not (out / SAMPLE_NAME).is_file():
        draw_stage(scenario, inputs, out, progress=progress)
    record = folder.read_record_if_any(out)
    _check_record_matches(out, scenario, record)
    sample = read_sample(out, inputs)
    previous = _previous_teams(out, sample)
    notes: list[str] = []
    try:
        plan = None
        if previous is not None:
            plan, notes = _keep_or_replan(scenario, inputs, sample, previous, out, progress)
        if plan is None:
            plan = plan_assignment(scenario, inputs, sample, progress=progress)
            if previous is not None:
                notes.append(_changed_teams(previous, plan.assignments))
        drawn_experts = _draw_experts(scenario, plan)
    except InfeasiblePlanError:
        _remove_stale(out)
        raise
    if progress:
        progress(f"writing {ASSIGNMENTS_NAME}")
    folder.write_csv(out, ASSIGNMENTS_NAME, plan.assignments)
    if drawn_experts is not None:
        folder.write_csv(out, experts.EXPERTS_NAME, drawn_experts)
    section = record_section(scenario, inputs, plan, out)
    if previous is not None:
        section["kept_teams"] = notes
    folder.set_record_section(out, "assignment", section)
    return AssignResult(plan, out, notes)


def _previous_teams(out: Path, sample: pd.DataFrame) -> pd.DataFrame | None:
    """Return the teams in ``out`` when the sample changed since they were made, else None.

    Only then are teams kept: the same sample is planned afresh (which gives the same teams).
    """
    path = folder.path(out, ASSIGNMENTS_NAME)
    if not path.is_file():
        return None
    try:
        previous = folder.read_csv(out, ASSIGNMENTS_NAME)
    except InputError:
        return None
    if any(c not in previous.columns for c in COLUMNS):
        return None
    previous["enterprise_id"] = canonical_ids(previous["enterprise_id"])
    before, now = set(previous["enterprise_id"]), set(sample["enterprise_id"])
    if before == now or not before & now:
        return None
    return previous


def _changed_teams(previous: pd.DataFrame, now: pd.DataFrame) -> str:
    """Say which teams of enterprises drawn before and now differ (inspectors or roles)."""
    def teams(frame: pd.DataFrame) -> dict[str, tuple]:
        return {e: tuple(sorted(zip(g["inspector_id"].astype(str), g["role"], strict=True)))
                for e, g in frame.groupby("enterprise_id")}

    before, after = teams(previous), teams(now)
    changed = sorted(e for e in before.keys() & after.keys() if before[e] != after[e])
    shown = ", ".join(changed[:20]) + (" ..." if len(changed) > 20 else "")
    return (f"  {len(changed)} team(s) of enterprises drawn before changed"
            + (f": {shown}" if changed else ""))


def _keep_or_replan(scenario: Scenario, inputs: Inputs, sample: pd.DataFrame,
                    previous: pd.DataFrame, out: Path, progress
                    ) -> tuple[AssignmentPlan | None, list[str]]:
    """Keep the teams of enterprises still drawn and check the whole plan under every rule.

    Returns the kept plan and its summary, or ``None`` and the reasons when a rule forces
    every team to be planned again.
    """
    kept = keep_teams(scenario, inputs, sample, previous, plan_assignment, progress=progress)
    report = check_seats(scenario, inputs, kept.assignments, sample)
    if not report.ok:
        shown = "; ".join(report.violations[:5])
        return None, [f"  the rules forced a wider change, so every team was planned again: "
                      f"{shown}"]
    solved = kept.solved
    counts = kept.assignments["inspector_id"].value_counts()
    index = solved.loads.index.union(counts.index) if solved is not None else counts.index
    loads = counts.reindex(index, fill_value=0).astype(np.int64).sort_index()
    plan = AssignmentPlan(kept.assignments, loads, solved.units if solved else [],
                          rules_of(scenario))
    return plan, kept.lines()


def read_sample(out: Path, inputs: Inputs) -> pd.DataFrame:
    """Read ``out/sample.csv`` and check that every enterprise is in the directory.

    Parameters
    ----------
    out : pathlib.Path
        The output folder.
    inputs : Inputs
        The validated inputs.

    Returns
    -------
    pandas.DataFrame
        The sample rows (strings), in file order.

    Raises
    ------
    InputError
        Naming the row and column of each problem.
    """
    label = str(folder.path(out, SAMPLE_NAME))
    sample = folder.read_csv(out, SAMPLE_NAME)
    if "enterprise_id" not in sample.columns:
        raise InputError([Problem(label, "missing column; run planner draw again",
                                  row=1, column="enterprise_id")])
    sample = sample.copy()
    sample["enterprise_id"] = canonical_ids(sample["enterprise_id"])
    unknown = inputs.enterprise_rows(sample["enterprise_id"]) < 0
    problems = [Problem(label, "names an enterprise not in the enterprises file; draw again "
                        "with planner run", row=int(pos) + 2, column="enterprise_id",
                        value=sample["enterprise_id"].iloc[pos])
                for pos in np.flatnonzero(unknown)]
    for pos in np.flatnonzero(sample["enterprise_id"].duplicated().to_numpy()):
        problems.append(Problem(label, "enterprise drawn twice", row=int(pos) + 2,
                                column="enterprise_id", value=sample["enterprise_id"].iloc[pos]))
    if problems:
        raise InputError(problems)
    return sample


def _check_record_matches(out: Path, scenario: Scenario, record: dict[str, Any]) -> None:
    seed = record.get("seed")
    plan_id = record.get("plan", {}).get("id") if isinstance(record.get("plan"), dict) else None
    if (seed is not None and seed != scenario.plan.seed) or (
            plan_id is not None and plan_id != scenario.plan.id):
        raise InputError([Problem(
            str(out / SAMPLE_NAME),
            f"was drawn for plan {plan_id!r} with seed {seed!r}, not for this scenario "
            f"(plan {scenario.plan.id!r}, seed {scenario.plan.seed!r}); run planner run "
            "again or use another output folder")])


def _draw_experts(scenario: Scenario, plan: AssignmentPlan) -> pd.DataFrame | None:
    """Draw one expert per team when ``[assignment] experts`` names a list (else None)."""
    path = scenario.assignment.experts
    if path is None:
        return None
    listed = experts.read_experts(path, encoding=scenario.inputs.encoding,
                                  sheet=scenario.inputs.sheet)
    tasks = plan.assignments.drop_duplicates("task_id")[["task_id", "enterprise_id"]]
    rng = randomness.generator(scenario.plan.seed, "experts", "plan")
    return experts.draw_experts(listed, tasks, rng)


def _remove_stale(out: Path) -> None:
    for name in (ASSIGNMENTS_NAME, experts.EXPERTS_NAME):
        stale = folder.path(out, name)
        if stale.is_file():
            stale.unlink()
    folder.set_record_section(out, "assignment", None)


# --- the plan --------------------------------------------------------------------------


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
    forbidden = {"avoidance": inputs.avoidance[["enterprise_id", "inspector_id"]]}
    if rules.rotation:
        forbidden["rotation"] = cand.last_inspectors(inputs.history, ent["enterprise_id"])
    unit_col = rules.partition_by
    ent["unit"] = ent[unit_col].astype(str) if unit_col else "all"
    roster["unit"] = roster[unit_col].astype(str) if unit_col else "all"
    pools = dict(tuple(roster.groupby("unit", sort=False)))

    qual_names = _qualification_needs(scenario, inputs, ent)
    units = [(str(unit), unit_ent, pools.get(unit, roster.iloc[:0]))
             for unit, unit_ent in ent.groupby("unit", sort=True)]
    common = (rules, forbidden, len(roster), seed, separate, qual_names)
    reasons: list[str] = []
    teams: dict[int, list[int]] = {}
    leads: dict[int, int] = {}
    reports: list[UnitReport] = []
    unit_loads: list[pd.Series] = []
    if scenario.assignment.standing_groups:
        outcomes = _group_outcomes(scenario, roster, units, rules, forbidden, qual_names)
    else:
        outcomes = _unit_outcomes(units, common, rules, progress)
    for outcome in outcomes:
        if isinstance(outcome, list):
            reasons += outcome
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


def _group_outcomes(scenario: Scenario, roster: pd.DataFrame, units: list, rules: cand.Rules,
                    forbidden: dict[str, pd.DataFrame], qual_names: tuple[str, ...]):
    """Yield each unit's :class:`UnitOutcome` or reasons when teams are standing groups."""
    a = scenario.assignment
    for what, value in (("separate_pairs", a.separate_pairs),
                        ("joint_departments", a.joint_departments),
                        ("items that need a qualification (所需资质)", qual_names)):
        if value:
            raise ScenarioError(
                f"standing groups (检查小组) cannot be combined with {what}: a group is "
                "drawn whole", key="assignment.standing_groups", file=scenario.label)
    why = {name: set(zip(frame["enterprise_id"].astype(str),
                         frame["inspector_id"].astype(str), strict=True))
           for name, frame in forbidden.items()}
    listed = roster[roster["eligible"].astype(bool) & (roster["group"] != "")]
    eligible = pd.Series(listed["group"].to_numpy(dtype=object),
                         index=listed["inspector_id"].astype(str).to_numpy())
    for unit, unit_ent, pool in units:
        cands = cand.build_unit(unit, unit_ent, pool, rules, forbidden, len(roster))
        outcome = groups.solve_groups(cands, rules, scenario.plan.seed, eligible, why)
        if isinstance(outcome, list):
            yield outcome
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


@dataclass
class UnitOutcome:
    """One unit's plan, in the whole plan's numbering (sample and roster positions)."""

    teams: dict[int, list[int]]
    leads: dict[int, int]
    report: UnitReport
    loads: pd.Series


def _unit_outcomes(units: list, common: tuple, rules: cand.Rules, progress=None):
    """Yield each unit's :class:`UnitOutcome` or reasons, in the order of ``units``.

    A large plan solves its units in forked worker processes (:mod:`planner.common.parallel`);
    every unit is seeded by its own name, so the teams are the same either way.
    """
    sizes = [len(unit_ent) for _, unit_ent, _ in units]
    workers = worker_count(sum(sizes), PARALLEL_ENTERPRISES) if len(units) > 1 else 1
    if workers == 1:
        for unit, unit_ent, pool in units:
            if progress:
                progress(f"assigning {explain._unit_name(unit, rules)}: "
                         f"{len(unit_ent):,} enterprises, {len(pool):,} inspectors")
            yield _plan_unit(unit, unit_ent, pool, *common)
        return
    if progress:
        progress(f"assigning {len(units)} units ({sum(sizes):,} enterprises) in {workers} "
                 "processes")
    with fork_pool(workers) as executor:
        # Largest first, so that no worker is left with a big unit at the end.
        futures = {i: executor.submit(_plan_unit, *units[i], *common)
                   for i in sorted(range(len(units)), key=lambda i: -sizes[i])}
        for i in range(len(units)):
            yield futures[i].result()


def _plan_unit(unit: str, unit_ent: pd.DataFrame, pool: pd.DataFrame, rules: cand.Rules,
               forbidden: dict[str, pd.DataFrame], n_roster: int, seed: str,
               separate: set[tuple[str, str]], qual_names: tuple[str, ...] = ()
               ) -> UnitOutcome | list[str]:
    """Build one unit's candidates and solve it; return its outcome or the reasons it has none."""
    cands = cand.build_unit(unit, unit_ent, pool, rules, forbidden, n_roster)
    found = explain.unit_reasons(cands, rules) + explain.enterprise_reasons(cands, rules)
    needs = None
    if qual_names:
        needs = quals.unit_needs(qual_names, cands.enterprises["needs"],
                                 cands.inspectors["qualifications"])
        found += quals.shortfalls(needs, cands.mask, cands.enterprises, cands.inspectors,
                                  rules.cross_station, explain._unit_name(unit, rules))
    if found:
        return found
    outcome = _solve_unit(cands, rules, seed, separate, needs)
    if isinstance(outcome, list):
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


def _check_departments(scenario: Scenario, roster: pd.DataFrame, rules: cand.Rules) -> None:
    known = set(roster["department"])
    for i, dept in enumerate(rules.tree.departments):
        if dept not in known:
            raise ScenarioError(
                f"department {dept!r} has no inspector in the roster; its departments are "
                f"{', '.join(sorted(known))}",
                key=f"assignment.joint_departments[{i}]", file=scenario.label)


def _separate_pairs(scenario: Scenario, inputs: Inputs) -> set[tuple[str, str]]:
    path = scenario.assignment.separate_pairs
    if path is None:
        return set()

    frame = read_separate_pairs(path, inputs.inspectors, encoding=scenario.inputs.encoding,
                                sheet=scenario.inputs.sheet)
    return set(zip(frame["inspector_id_1"], frame["inspector_id_2"], strict=True))


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


def _solve_unit(cands: cand.UnitCandidates, rules: cand.Rules, seed: str,
                separate_ids: set[tuple[str, str]], needs: quals.Needs | None = None):
    """Solve one unit; return (teams, leads, report, loads) or a list of reasons."""
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
        return reasons

    teams: dict[int, list[int]] = {e: [] for e in range(n_e)}
    for e, i in zip(arcs.e[sol.chosen].tolist(), arcs.i[sol.chosen].tolist(), strict=True):
        teams[e].append(i)

    ids = cands.inspectors["inspector_id"].astype(str).to_numpy()
    local = {v: k for k, v in enumerate(ids)}
    separate = {(min(local[a], local[b]), max(local[a], local[b]))
                for a, b in separate_ids if a in local and b in local}
    if separate or needs:
        result = _repair(teams, separate, th.arcs(th.admitted, cls, working=True), capacity,
                         tree, seed, unit, report, needs)
        if isinstance(result, list):
            return [f"{explain._unit_name(unit, rules)}: {r}" for r in result]
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


def _repair(teams: dict[int, list[int]], separate: set[tuple[int, int]], arcs: Arcs, capacity,
            tree, seed: str, unit: str, report: UnitReport, needs: quals.Needs | None = None):
    """Re-staff the teams holding a separated pair or lacking a qualified member.

    Returns None or a list of reasons.

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


# --- the record ------------------------------------------------------------------------


def _versions() -> dict[str, str]:
    import ortools
    import scipy

    return {"python": platform.python_version(), "ortools": ortools.__version__,
            "numpy": np.__version__, "pandas": pd.__version__, "scipy": scipy.__version__}


def record_section(scenario: Scenario, inputs: Inputs, plan: AssignmentPlan, out: Path
                   ) -> dict[str, Any]:
    """Build the ``"assignment"`` section of ``draw-record.json``.

    Parameters
    ----------
    scenario : Scenario
        The plan.
    inputs : Inputs
        Its inputs.
    plan : AssignmentPlan
        The teams.
    out : pathlib.Path
        The output folder (paths are written relative to it).

    Returns
    -------
    dict
        Rules, randomness, solver settings and versions, loads and per-unit figures;
        nothing that depends on the clock, so the same plan gives the same bytes.
    """
    a = scenario.assignment
    rules = {
        "team_size": a.team_size,
        "require_lead": a.require_lead,
        "cross_station": a.cross_station,
        "rotation": a.rotation,
        "max_pair_probability": a.max_pair_probability,
        "capacity_default": a.capacity,
        "joint_departments": list(a.joint_departments),
        "lead_department": a.joint_departments[0] if a.joint_departments else None,
        "partition_by": a.partition_by,
        "separate_pairs": None,
    }
    if a.separate_pairs is not None:
        rules["separate_pairs"] = {"path": relative(a.separate_pairs, scenario.path.parent),
                                   "sha256": sha256_file(a.separate_pairs)}
    if a.experts is not None:  # written only when set, so older records keep their bytes
        rules["experts"] = {"path": relative(a.experts, scenario.path.parent),
                            "sha256": sha256_file(a.experts), "file": experts.EXPERTS_NAME}
    if a.standing_groups:  # written only when set, so older records keep their bytes
        rules["standing_groups"] = True
    loads = plan.loads
    return {
        "scenario": {"path": relative(scenario.path, out), "sha256": sha256_file(scenario.path)},
        "file": {"path": ASSIGNMENTS_NAME, "sha256": sha256_file(out / ASSIGNMENTS_NAME)},
        "rules": rules,
        "tasks": int(plan.assignments["task_id"].nunique()),
        "seats": int(len(plan.assignments)),
        "loads": {"inspectors": int(len(loads)), "min": int(loads.min()) if len(loads) else 0,
                  "max": int(loads.max()) if len(loads) else 0, "spread": _spread(loads)},
        "randomness": {
            "streams": randomness.assign_streams_description(),
            "thinning": f"systematic sampling, width floor(q * {thinning.SCALE}) of "
                        f"{thinning.SCALE}",
            "working_set": thinning.WORKING_SET,
            "random_cost_range": RANDOM_COST_RANGE,
            "load_cost": "M * L(L+1)/2 per inspector, M = seats * random_cost_range + 1",
        },
        "solver": {
            "flow": "ortools.graph SimpleMinCostFlow.solve_max_flow_with_min_cost",
            "cp_sat": {k: v for k, v in sidecp.SOLVER_SETTINGS.items()},
        },
        "versions": _versions(),
        "units": [u.record() for u in plan.units],
    }
