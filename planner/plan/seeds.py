"""The plan's seed: given on the command line, taken from the folder's draw, or required.

``planner draw --seed S`` leaves the scenario without a seed; every later stage takes it from
the draw record in the plan folder (:func:`seed_from_record`). The draw itself refuses to run
without one (:func:`require_seed`); only ``planner commit`` does.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from planner.common.errors import InputError, ScenarioError
from planner.plan import folder
from planner.plan.scenario import Scenario


def with_seed(scenario: Scenario, seed: str | None) -> Scenario:
    """Return the scenario with ``[plan] seed`` set to ``seed`` (``None``: unchanged).

    Parameters
    ----------
    scenario : Scenario
        The plan.
    seed : str or None
        The seed given on the command line (``--seed``).

    Returns
    -------
    Scenario
        The plan with that seed.

    Raises
    ------
    ScenarioError
        When the seed is blank, or the scenario already names a different seed.
    """
    if seed is None:
        return scenario
    if not seed.strip():
        raise ScenarioError("--seed must not be empty", key="plan.seed", file=scenario.label)
    if scenario.plan.seed is not None and scenario.plan.seed != seed:
        raise ScenarioError(
            f"the scenario says seed {scenario.plan.seed!r} but --seed gives {seed!r}; "
            "give the seed in one place", key="plan.seed", file=scenario.label)
    return replace(scenario, plan=replace(scenario.plan, seed=seed))


def seed_from_record(scenario: Scenario, out: Path) -> Scenario:
    """Return the scenario with the seed of the draw in ``out`` when it names none itself.

    ``planner draw --seed S`` leaves the scenario without a seed; the later stages take it
    from ``out/draw-record.json``.

    Parameters
    ----------
    scenario : Scenario
        The plan.
    out : pathlib.Path
        The output folder.

    Returns
    -------
    Scenario
        The plan with a seed where the record has one.
    """
    if scenario.plan.seed is not None:
        return scenario
    try:
        previous = folder.read_record(Path(out))
    except InputError:
        previous = None
    if previous and isinstance(previous.get("seed"), str):
        return with_seed(scenario, previous["seed"])
    return scenario


def require_seed(scenario: Scenario) -> None:
    """Raise when the scenario has no seed yet (``planner commit`` runs without one).

    Parameters
    ----------
    scenario : Scenario
        The plan.

    Raises
    ------
    ScenarioError
        When ``[plan] seed`` is not set.
    """
    if scenario.plan.seed is None:
        raise ScenarioError(
            "required key is missing: the draw needs the seed; set [plan] seed, or pass "
            "--seed to planner draw or planner run (planner commit is the only step that runs "
            "without it)",
            key="plan.seed", file=scenario.label)
