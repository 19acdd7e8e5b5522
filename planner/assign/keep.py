"""Replacements keep the teams people already hold.

After ``planner draw --replace``, the sample differs from the one the teams in
``assignments.csv`` were made for. :func:`keep_teams` keeps every team whose enterprise is
still drawn - same task id, inspectors and roles - drops the tasks of enterprises no longer
drawn, and staffs only the new enterprises, by the same solver under every rule, with each
inspector's capacity reduced by the seats they keep. New tasks are numbered after the last
task id. The caller checks the whole plan again (:func:`planner.assign.check.check_plan`);
when a rule fails it re-plans everything and says which teams changed and why.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

import pandas as pd

from planner.plan.inputs import Inputs
from planner.plan.scenario import Scenario

COLUMNS = ("task_id", "enterprise_id", "inspector_id", "role")


@dataclass
class Kept:
    """The outcome of :func:`keep_teams`."""

    assignments: pd.DataFrame
    kept: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    staffed: list[str] = field(default_factory=list)
    solved: object | None = None

    def lines(self) -> list[str]:
        """Lines for the terminal."""
        return [f"  kept {len(self.kept)} team(s) as they were (same task ids, inspectors and "
                f"roles); staffed {len(self.staffed)} replacement(s)"
                + (f": {', '.join(self.staffed)}" if self.staffed else "")
                + (f"; dropped {len(self.dropped)} task(s) of enterprises no longer drawn: "
                   f"{', '.join(self.dropped)}" if self.dropped else "")]


def keep_teams(scenario: Scenario, inputs: Inputs, sample: pd.DataFrame,
               previous: pd.DataFrame, plan_teams, *, progress=None) -> Kept:
    """Keep the previous teams of enterprises still drawn; staff only the new enterprises.

    Parameters
    ----------
    scenario : Scenario
        The plan.
    inputs : Inputs
        Its validated inputs.
    sample : pandas.DataFrame
        The drawn enterprises now (``enterprise_id``), in task order.
    previous : pandas.DataFrame
        ``assignments.csv`` as it was (task_id, enterprise_id, inspector_id, role).
    plan_teams : callable
        ``plan_teams(scenario, inputs, sample, progress=...)`` returning an object with
        ``assignments`` (the solver, :func:`planner.assign.planning.plan_assignment`).
    progress : callable, optional
        Progress reporter.

    Returns
    -------
    Kept
        The combined assignments and what was kept, dropped and staffed.

    Raises
    ------
    InfeasiblePlanError
        When the new enterprises cannot be staffed with the capacity left.
    """
    previous = previous[list(COLUMNS)].astype(str)
    drawn = list(sample["enterprise_id"])
    still = previous[previous["enterprise_id"].isin(set(drawn))]
    dropped = sorted(set(previous["task_id"]) - set(still["task_id"]))
    held = set(previous["enterprise_id"])
    new = sample[~sample["enterprise_id"].isin(held)]
    result = Kept(still.reset_index(drop=True), kept=list(dict.fromkeys(still["task_id"])),
                  dropped=dropped)
    if new.empty:
        return result
    loads = still["inspector_id"].value_counts()
    roster = inputs.inspectors.copy()
    roster["capacity"] = (roster["capacity"] - roster["inspector_id"].astype(str)
                          .map(loads).fillna(0).astype(int)).clip(lower=0)
    fewer = dataclasses.replace(inputs, inspectors=roster)
    staffed = plan_teams(scenario, fewer, new.reset_index(drop=True), progress=progress)
    numbered = _renumber(staffed.assignments.astype(str), previous["task_id"], scenario.plan.id)
    result.assignments = pd.concat([result.assignments, numbered], ignore_index=True)
    result.staffed = list(dict.fromkeys(numbered["task_id"]))
    result.solved = staffed
    return result


def _renumber(frame: pd.DataFrame, existing: pd.Series, plan_id: str) -> pd.DataFrame:
    """Give new tasks the ids after the last existing one (``<plan id>-<n>``, same width)."""
    pattern = re.compile(re.escape(plan_id) + r"-(\d+)$")
    numbers = [int(m.group(1)) for t in existing if (m := pattern.match(t))]
    width = max([len(m.group(1)) for t in existing if (m := pattern.match(t))] or [5])
    start = max(numbers, default=0) + 1
    order = list(dict.fromkeys(frame["task_id"]))
    mapping = {old: f"{plan_id}-{start + i:0{width}d}" for i, old in enumerate(order)}
    frame = frame.copy()
    frame["task_id"] = frame["task_id"].map(mapping)
    return frame
