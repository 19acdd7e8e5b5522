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
    """
    from planner.draw.stage import seed_from_record

    scenario, inputs = load(scenario_path, encoding=encoding, progress=progress)
    scenario = seed_from_record(scenario, Path(out))  # after planner draw --seed
    if warn is not None:
        warn(inputs.warnings)
    echo(format_summary(summarise(inputs)))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for module_name, function_name in STAGES:
        stage = getattr(importlib.import_module(module_name), function_name)
        result = stage(scenario, inputs, out, progress=progress)
        for line in result.summary_lines():
            echo(line)
