"""``planner assign``: the assignment's folder shell (stage 2 of ``planner run``).

:func:`assign_stage` reads ``OUT/sample.csv`` (drawing it first when absent), keeps the
teams of enterprises still drawn after a replacement (:mod:`planner.assign.keep`) or plans
them all (:func:`planner.assign.planning.plan_assignment`), and writes
``OUT/assignments.csv`` (task_id, enterprise_id, inspector_id, role) plus an
``"assignment"`` section in ``OUT/draw-record.json`` (:func:`record_section`). When no plan
exists it raises :class:`~planner.common.errors.InfeasiblePlanError` with the reasons in
data terms and leaves no assignments file behind.
"""


from __future__ import annotations

import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner.app.draw import draw_stage
from planner.assign import experts, sidecp, thinning
from planner.assign.check import check_seats
from planner.assign.flow import (
    RANDOM_COST_RANGE,
)
from planner.assign.keep import keep_teams
from planner.assign.pair_rules import PAIR_RULES
from planner.assign.planning import COLUMNS, AssignmentPlan, plan_assignment, rules_of
from planner.common import randomness
from planner.common.errors import InfeasiblePlanError, InputError, Problem
from planner.common.io import sha256_file
from planner.draw.record import relative
from planner.plan import folder
from planner.plan.inputs import Inputs, canonical_ids
from planner.plan.scenario import Scenario
from planner.plan.seeds import seed_from_record

SAMPLE_NAME = folder.SAMPLE
ASSIGNMENTS_NAME = folder.ASSIGNMENTS
RECORD_NAME = folder.RECORD
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


def assign_stage(scenario: Scenario, inputs: Inputs, out: Path, *, progress=None
                 ) -> AssignResult:
    """Assign a team to every drawn enterprise and write ``assignments.csv``.

    Reads ``out/sample.csv``; when it is absent the draw runs first
    (:func:`planner.app.draw.draw_stage`). Adds an ``"assignment"`` section (rules, solver
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
        # Each switched pair rule's switch, where "rotation" always stood.
        **{rule.switch: getattr(a, rule.switch) for rule in PAIR_RULES if rule.switch},
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
