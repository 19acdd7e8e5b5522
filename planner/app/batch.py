"""``planner run --batch K``: plan batch K of a programme (the year's plan) as a plan folder.

What the batch needs (:func:`planner.programme.batch.batch_needs`) and the batch's own
inputs and scenario come from :mod:`planner.programme.batch`; the stages are those of
``planner run`` (:func:`planner.app.pipeline.run_stages`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from planner.app.pipeline import run_stages
from planner.common.errors import InputError
from planner.plan.inputs import load_plan
from planner.plan.transaction import writing
from planner.programme import batch, files


def run_batch(
    scenario_path: str | Path,
    out: str | Path,
    number: int,
    *,
    encoding: str | None = None,
    progress=None,
    echo: Callable[[str], None] = print,
    warn: Callable[[list], None] | None = None,
) -> Path:
    """Plan batch ``number`` of the programme into ``out/batch-{number}``.

    Parameters
    ----------
    scenario_path : str or pathlib.Path
        The programme's scenario (with ``[programme]``).
    out : str or pathlib.Path
        The programme folder.
    number : int
        The batch, 1-based.
    encoding : str, optional
        CSV encoding of the programme's inputs.
    progress : callable, optional
        Progress reporter.
    echo : callable
        Where summary lines go.
    warn : callable, optional
        Called with the input warnings.

    Returns
    -------
    pathlib.Path
        The batch folder.

    Raises
    ------
    ScenarioError
        When the scenario has no ``[programme]``.
    InputError
        See :func:`planner.programme.batch.batch_needs`, or when no enterprise is left to plan.
    InfeasiblePlanError
        When the roster cannot staff the batch.
    """
    out = Path(out)
    scenario, inputs = load_plan(scenario_path, encoding=encoding, progress=progress)
    needs, ledger = batch.batch_needs(scenario, inputs, out, number)
    if not needs.frame["candidate"].any():
        raise InputError(f"batch {number}: no enterprise needs or may have an inspection now",
                         file=str(scenario.path))
    folder = files.batch_dir(out, number)
    with writing(folder, f"planner run --batch {number}", starts_plan=True,
                 plan=(needs.batch.plan_id, needs.batch.seed)) as job:
        batch.write_inputs(scenario, inputs, needs, ledger, job.path)
        echo(f"Batch {number} of {scenario.plan.id}: {needs.batch.start} to "
             f"{needs.batch.end}, seed {needs.batch.seed!r}")
        for c, info in needs.classes.items():
            echo(f"  class {c}: {info['kind']} {info['value']}; year needs "
                 f"{info['still_needed']} more, this batch {info['count']} "
                 f"({info['must']} due, {info['candidates']} candidates)")
        batch_scenario, batch_inputs = load_plan(job.path / files.BATCH_SCENARIO, progress=progress)
        if warn is not None:
            warn(batch_inputs.warnings)
        batch.write_schedule(needs, job.path, drawn=False)
        lines = run_stages(batch_scenario, batch_inputs, job.path, progress=progress)
        batch.write_schedule(needs, job.path)
    for line in job.lines(job.notes + lines):
        echo(line)
    for row in needs.conflicts:
        echo(f"warning: {row['enterprise_id']} (class {row['risk_class']}) owes "
             f"{row['owed']} inspection(s) but the {row['rule']} allows {row['possible']}: "
             f"{row['short']} short")
    return folder
