"""The strata of targeted draws (定向抽查): which target each enterprise falls under, and its quotas.

The targets themselves are read from the scenario by :mod:`planner.plan.targets`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from planner.common.errors import ScenarioError
from planner.draw import allocate
from planner.plan.filters import evaluate
from planner.plan.targets import Target, stratum_label


def target_quotas(target: Target, eligible: Mapping[str, int]) -> dict[str, int]:
    """Return how many to draw per class of the target's eligible enterprises.

    Parameters
    ----------
    target : Target
        One of the plan's targets.
    eligible : mapping
        Class -> the target's eligible enterprises of that class.

    Returns
    -------
    dict
        Class -> count, at most the eligible count.
    """
    if target.count is not None:
        return allocate.spread(min(target.count, sum(eligible.values())), dict(eligible))
    ratios = dict(target.ratios) if target.ratios is not None else {
        c: float(target.ratio) for c in eligible}
    return allocate.by_ratios(eligible, ratios)


def check_columns(scenario, columns) -> None:
    """Check that the directory has every column ``[sampling] filter_columns`` declares.

    Raises
    ------
    ScenarioError
        Naming the first declared column the enterprises file lacks.
    """
    for k, name in enumerate(scenario.sampling.filter_columns):
        if name not in columns:
            raise ScenarioError(f"the enterprises file has no column {name!r}",
                                key=f"sampling.filter_columns[{k}]", file=scenario.label)


def match(targets: Sequence[Target], frame: pd.DataFrame) -> np.ndarray:
    """Return, per row of ``frame``, the index of the first target it matches (-1: none).

    Parameters
    ----------
    targets : sequence of Target
        The plan's targets.
    frame : pandas.DataFrame
        Directory rows with the filter columns (``risk_class`` included).

    Returns
    -------
    numpy.ndarray of int64
        One target index per row.
    """
    which = np.full(len(frame), -1, dtype=np.int64)
    for k, target in enumerate(targets):
        hit = evaluate(target.tree, frame) & (which < 0)
        which[hit] = k
    return which


def target_strata(targets: Sequence[Target], risk_class: pd.Series, which: np.ndarray,
                  classes: Sequence[str]) -> dict[str, dict]:
    """Return the targets' strata: ``NAME/CLASS`` -> class, eligible, drawn, target.

    Parameters
    ----------
    targets : sequence of Target
        The plan's targets.
    risk_class : pandas.Series
        The class of each eligible, unlisted enterprise.
    which : numpy.ndarray
        Its target (from :func:`match`).
    classes : sequence of str
        The scheme's classes, lowest risk first (the strata's order within a target).

    Returns
    -------
    dict
        One entry per (target, class) with eligible enterprises, in target order.
    """
    strata: dict[str, dict] = {}
    values = risk_class.to_numpy(dtype=object)
    for k, target in enumerate(targets):
        own = pd.Series(values[which == k]).value_counts()
        eligible = {c: int(own.get(c, 0)) for c in classes if own.get(c, 0)}
        drawn = target_quotas(target, eligible)
        for c in eligible:
            strata[stratum_label(target.name, c)] = {
                "class": c, "district": None, "eligible": eligible[c], "drawn": int(drawn[c]),
                "target": target.name}
    return strata
