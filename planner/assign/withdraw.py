"""An inspector who falls ill or must withdraw loses only their own seats.

``planner assign --replace-inspector ID --reason TEXT``: every seat of the inspector in
``assignments.csv`` is refilled at random under every rule, the rest of each team kept.
For each seat the other inspectors are tried in an order drawn from the plan seed
(the ``replace-inspector`` stream of :mod:`planner.common.randomness`, unit
``{inspector}:{task}``), and the first whose
seat passes the independent checker (:func:`planner.assign.check.check_seats`, on the task
and every task the candidate already holds) takes it. The replacement is recorded in the
draw record's ``"assignment"`` section with its reason; ``planner check`` re-checks the plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from planner.assign.check import check_seats
from planner.common import randomness
from planner.common.errors import InfeasiblePlanError, InputError
from planner.common.io import sha256_file
from planner.plan import folder
from planner.plan.inputs import Inputs
from planner.plan.scenario import Scenario

COLUMNS = ("task_id", "enterprise_id", "inspector_id", "role")


@dataclass
class Withdrawal:
    """What :func:`replace_inspector` did."""

    out: Path
    inspector_id: str
    reason: str
    seats: list[dict] = field(default_factory=list)

    def summary_lines(self) -> list[str]:
        """Lines for the terminal."""
        lines = [f"Replaced inspector {self.inspector_id} ({self.reason}) in "
                 f"{len(self.seats)} seat(s); every other seat kept:"]
        lines += [f"  {s['task_id']} ({s['role']}): {s['replaced_by']}" for s in self.seats]
        lines.append(f"Wrote {self.out / folder.ASSIGNMENTS}")
        return lines


def replace_inspector(scenario: Scenario, inputs: Inputs, out: Path, inspector_id: str,
                      reason: str, *, progress=None) -> Withdrawal:
    """Refill every seat of one inspector at random under every rule; keep all other seats.

    Parameters
    ----------
    scenario : Scenario
        The plan.
    inputs : Inputs
        Its validated inputs.
    out : pathlib.Path
        The plan folder holding ``assignments.csv``.
    inspector_id : str
        The inspector who withdraws.
    reason : str
        Why (recorded).
    progress : callable, optional
        Progress reporter.

    Returns
    -------
    Withdrawal
        The seats refilled.

    Raises
    ------
    InputError
        When the inspector holds no seat or no reason is given.
    InfeasiblePlanError
        When no other inspector can take a seat under the rules (nothing is written).
    """
    out = Path(out)
    hint = "run planner assign SCENARIO -o OUT first"
    seats = folder.read_stage_table(out, folder.ASSIGNMENTS, COLUMNS, hint)[list(COLUMNS)]
    withdrawn = inspector_id.strip()
    if not reason.strip():
        raise InputError("say why, e.g. --reason '病假 (sick leave)'", file="--reason")
    mine = seats.index[seats["inspector_id"] == withdrawn].tolist()
    if not mine:
        raise InputError(f"inspector {withdrawn} holds no seat in {folder.ASSIGNMENTS}",
                         file="--replace-inspector")
    pool = [i for i in inputs.inspectors["inspector_id"].astype(str) if i != withdrawn]
    done = Withdrawal(out, withdrawn, reason.strip())
    for pos in mine:
        task, role = seats.at[pos, "task_id"], seats.at[pos, "role"]
        if progress:
            progress(f"refilling {withdrawn}'s seat in {task}")
        taken = _first_fit(scenario, inputs, seats, pos, pool, withdrawn)
        if taken is None:
            raise InfeasiblePlanError(
                f"no inspector can take {withdrawn}'s seat ({role}) in task {task} under the "
                "rules of [assignment]; nothing was written",
                [f"task {task}: every other inspector breaks a rule there (avoidance, "
                 "capacity, certificate, availability, lead, station or pairs)"])
        seats.at[pos, "inspector_id"] = taken
        done.seats.append({"task_id": task, "role": role, "replaced_by": taken})
    folder.write_csv(out, folder.ASSIGNMENTS, seats)
    record = folder.read_record_if_any(out).get("assignment") or {}
    history = list(record.get("inspector_replacements", []))
    history.append({"inspector_id": withdrawn, "reason": done.reason, "seats": done.seats})
    section = {**record, "inspector_replacements": history}
    if isinstance(section.get("file"), dict):
        section["file"] = {**section["file"],
                           "sha256": sha256_file(folder.path(out, folder.ASSIGNMENTS))}
    folder.set_record_section(out, "assignment", section)
    return done


def _first_fit(scenario: Scenario, inputs: Inputs, seats: pd.DataFrame, pos: int,
               pool: list[str], withdrawn: str) -> str | None:
    """Return the first inspector, in seeded random order, whose taking the seat breaks no rule."""
    task = seats.at[pos, "task_id"]
    team = set(seats.loc[seats["task_id"] == task, "inspector_id"])
    rng = randomness.generator(scenario.plan.seed, "replace-inspector", f"{withdrawn}:{task}")
    for i in rng.permutation(len(pool)):
        candidate = pool[int(i)]
        if candidate in team:
            continue
        trial = seats.copy()
        trial.at[pos, "inspector_id"] = candidate
        tasks = set(trial.loc[trial["inspector_id"] == candidate, "task_id"]) | {task}
        part = trial[trial["task_id"].isin(tasks)]
        report = check_seats(scenario, inputs, part, part[["enterprise_id"]].drop_duplicates())
        if report.ok:
            return candidate
    return None
