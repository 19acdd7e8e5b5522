"""``planner run``: validate, then each stage of the plan in order.

Each stage is a plain function ``stage(scenario, inputs, out, *, progress=None)`` that writes
its files into ``out`` and returns an object with ``summary_lines() -> list[str]``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from planner.plan.inputs import Inputs, load_inputs
from planner.plan.scenario import Scenario, load_scenario
from planner.plan.summary import format_summary, summarise

# (module, function), in the order `planner run` performs them.
STAGES: tuple[tuple[str, str], ...] = (
    ("planner.draw.stage", "draw_stage"),
    ("planner.assign.stage", "assign_stage"),
    ("planner.publish.export", "export_stage"),
)


def load(
    scenario_path: str | Path, *, encoding: str | None = None, progress=None
) -> tuple[Scenario, Inputs]:
    """Load a scenario and validate its inputs.

    Parameters
    ----------
    scenario_path : str or pathlib.Path
        The scenario TOML file.
    encoding : str, optional
        CSV encoding for every input (detected when omitted).
    progress : callable, optional
        Progress reporter (see :mod:`planner.common.progress`).

    Returns
    -------
    tuple
        The scenario and its validated inputs.
    """
    scenario = load_scenario(scenario_path)
    return scenario, load_inputs(scenario, encoding=encoding, progress=progress)


def run_plan(
    scenario_path: str | Path,
    out: str | Path,
    *,
    encoding: str | None = None,
    progress=None,
    echo: Callable[[str], None] = print,
    warn: Callable[[list], None] | None = None,
    engine: str = "single",
    scheduler: str | None = None,
) -> None:
    """Validate the inputs and run every stage of the plan into ``out``.

    Parameters
    ----------
    scenario_path : str or pathlib.Path
        The scenario TOML file.
    out : str or pathlib.Path
        Output folder (created if needed).
    encoding : str, optional
        CSV encoding for every input.
    progress : callable, optional
        Progress reporter.
    echo : callable
        Where summary lines go.
    warn : callable, optional
        Called with the list of input warnings (problems that do not stop the run).
    engine : str
        ``"single"`` (this process, with forked workers for large stages) or ``"dask"``:
        the draw on Dask when the directory is Parquet (:mod:`planner.draw.distributed`),
        and the assignment's planning units and the export's workbooks as Dask tasks. The
        files are the same either way.
    scheduler : str, optional
        With ``engine="dask"``: the scheduler's address; a local cluster when omitted.
    """
    if engine == "dask":
        from planner.common.parallel import running_on
        from planner.draw.distributed import dask_client

        with dask_client(scheduler) as client:
            client.wait_for_workers(1, timeout=60)
            workers = sum(client.nthreads().values())
            with running_on(client.get_executor(), workers):
                _run(scenario_path, out, encoding, progress, echo, warn, client)
        return
    _run(scenario_path, out, encoding, progress, echo, warn, None)


def _run(scenario_path, out, encoding, progress, echo, warn, client) -> None:
    scenario, inputs = load(scenario_path, encoding=encoding, progress=progress)
    if warn is not None:
        warn(inputs.warnings)
    echo(format_summary(summarise(inputs)))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for module_name, function_name in STAGES:
        stage = getattr(importlib.import_module(module_name), function_name)
        if client is not None and function_name == "draw_stage":
            stage = _dask_draw(client, encoding)
        result = stage(scenario, inputs, out, progress=progress)
        for line in result.summary_lines():
            echo(line)


def _dask_draw(client, encoding: str | None):
    """Return a draw stage running on ``client`` when the directory is Parquet."""
    from planner.common.parquet import is_parquet
    from planner.draw.distributed import dask_draw_stage
    from planner.draw.stage import draw_stage

    def stage(scenario: Scenario, inputs: Inputs, out: Path, *, progress=None):
        if scenario.inputs.enterprises is None or not is_parquet(scenario.inputs.enterprises):
            return draw_stage(scenario, inputs, out, progress=progress)
        return dask_draw_stage(scenario, out, encoding=encoding, progress=progress,
                               client=client)

    return stage
