"""Helpers shared by the assignment tests: a scenario, its inputs and a hand-written sample.

Every test that solves an instance checks it with the independent checker
(:func:`planner.assign.check.check_plan`) through :func:`assign_and_check`.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd

from planner.app.assign import assign_stage
from planner.assign.check import check_plan
from planner.assign.planning import plan_assignment
from planner.plan.inputs import Inputs, load_inputs
from planner.plan.scenario import Scenario, load_scenario


def write_sample(out: Path, enterprises: pd.DataFrame) -> pd.DataFrame:
    """Write ``out/sample.csv`` drawing exactly ``enterprises`` (in their order)."""
    out.mkdir(parents=True, exist_ok=True)
    sample = pd.DataFrame({
        "enterprise_id": enterprises["enterprise_id"].to_numpy(),
        "name": enterprises["name"].to_numpy(),
        "risk_class": enterprises["risk_grade"].to_numpy(),
        "stratum": enterprises["risk_grade"].to_numpy(),
        "ticket": [repr(0.001 * (i + 1)) for i in range(len(enterprises))],
        "rank": range(1, len(enterprises) + 1),
    })
    sample.to_csv(out / "sample.csv", index=False)
    return sample


def setup(make_scenario, tmp_path: Path, *, enterprises: pd.DataFrame, drawn=None,
          **kwargs) -> tuple[Scenario, Inputs, Path]:
    """Build a scenario from frames, load it, and write a sample of ``drawn`` (default all)."""
    path = make_scenario(enterprises=enterprises, **kwargs)
    scenario = load_scenario(path)
    inputs = load_inputs(scenario)
    out = tmp_path / "out"
    write_sample(out, enterprises if drawn is None else drawn)
    return scenario, inputs, out


def assign_and_check(scenario: Scenario, inputs: Inputs, out: Path):
    """Run the assignment stage and assert the independent checker finds nothing wrong."""
    result = assign_stage(scenario, inputs, out)
    report = check_plan(scenario, inputs, out)
    assert report.ok, report.violations
    return result


def with_seed(scenario: Scenario, seed: str) -> Scenario:
    """The same scenario under another plan seed."""
    return dataclasses.replace(scenario, plan=dataclasses.replace(scenario.plan, seed=seed))


def teams_of(frame: pd.DataFrame) -> dict[str, frozenset[str]]:
    """Enterprise -> its team, from an assignments table."""
    return {e: frozenset(g) for e, g in frame.groupby("enterprise_id")["inspector_id"]}


def plan_for_seeds(scenario: Scenario, inputs: Inputs, sample: pd.DataFrame, seeds):
    """Yield (seed, assignments) for each seed, without writing files."""
    for seed in seeds:
        yield seed, plan_assignment(with_seed(scenario, seed), inputs, sample).assignments
