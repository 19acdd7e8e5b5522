"""Per-item problem rates (事项发现率) from past results, and the problems a plan may find per item.

``planner results`` writes ``item-discovery.csv`` into a plan folder: per inspection item
(抽查事项) the tasks that listed it, the checks made (``checked``) and the problems found
(``problems``). ``planner simulate --item-discovery FILE...`` pools those files by item code
(checks and problems added up) into a problem rate per check, ``problems / checked``, and
reports for each ratio set and strategy the expected problems per item::

    expected problems = inspections x problems / checked

that is, if every inspection of the ratio set checks the item as the past checks did (for an
item that applies to a part of the enterprises only, read the figure as an upper bound, or
scale it by that part). An item never checked has no rate and is left out, with a warning.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from planner.common.errors import InputError, Problem
from planner.common.io import read_table

ITEM_DISCOVERY_COLUMNS = ("item_code", "item_name", "checked", "problems")
# The table ``planner simulate --item-discovery`` writes (item-simulation.csv).
ITEM_SIMULATION_COLUMNS = ("ratio_set", "strategy", "inspections", "item_code", "item_name",
                           "checked", "problems", "rate", "expected_problems")


def read_item_discovery(paths: Sequence[str | Path]) -> tuple[pd.DataFrame, list[str]]:
    """Read ``item-discovery.csv`` files and pool them into a problem rate per item.

    Parameters
    ----------
    paths : sequence of str or pathlib.Path
        The files (each written by ``planner results``).

    Returns
    -------
    tuple
        A frame (item_code, item_name, files, checked, problems, rate) in item-code order,
        items never checked left out; and warnings naming the items left out.

    Raises
    ------
    InputError
        Naming the file, row and column of a missing column, an empty item code, a count
        that is not a whole number >= 0, or more problems than checks.
    """
    problems: list[Problem] = []
    parts = []
    for path in paths:
        label = str(path)
        frame = read_table(Path(path), label=label)
        missing = [c for c in ITEM_DISCOVERY_COLUMNS if c not in frame.columns]
        if missing:
            problems += [Problem(label, "missing column (an item-discovery.csv written by "
                                 "planner results has it)", row=1, column=c) for c in missing]
            continue
        rows = []
        for k, r in enumerate(frame.itertuples(index=False), start=2):
            code = str(r.item_code if r.item_code is not None else "").strip()
            if not code or code.lower() == "nan":
                problems.append(Problem(label, "item code is empty", row=k, column="item_code"))
                continue
            counts = {}
            for column in ("checked", "problems"):
                value = str(getattr(r, column)).strip()
                if not value.isdigit():
                    problems.append(Problem(label, "must be a whole number >= 0", row=k,
                                            column=column, value=value))
                else:
                    counts[column] = int(value)
            if len(counts) < 2:
                continue
            if counts["problems"] > counts["checked"]:
                problems.append(Problem(label, f"more problems than checks ({counts['checked']})",
                                        row=k, column="problems", value=str(counts["problems"])))
                continue
            rows.append((code, str(r.item_name or "").strip(), label, counts["checked"],
                         counts["problems"]))
        parts.append(pd.DataFrame(rows, columns=["item_code", "item_name", "file", "checked",
                                                 "problems"]))
    if problems:
        raise InputError(problems)
    every = pd.concat(parts, ignore_index=True)
    pooled = every.groupby("item_code", sort=True).agg(
        item_name=("item_name", "first"), files=("file", "nunique"),
        checked=("checked", "sum"), problems=("problems", "sum")).reset_index()
    unchecked = pooled[pooled["checked"] == 0]
    warnings = [f"item {c} ({n}) was never checked in the item-discovery files: no problem "
                "rate, left out" for c, n in zip(unchecked["item_code"], unchecked["item_name"],
                                                  strict=True)]
    pooled = pooled[pooled["checked"] > 0].reset_index(drop=True)
    pooled["rate"] = pooled["problems"] / pooled["checked"]
    return pooled, warnings


def expected_item_problems(rates: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
    """Return the expected problems per item for each ratio set and strategy compared.

    Parameters
    ----------
    rates : pandas.DataFrame
        From :func:`read_item_discovery`.
    summary : pandas.DataFrame
        The comparison's summary (ratio_set, strategy, inspections).

    Returns
    -------
    pandas.DataFrame
        :data:`ITEM_SIMULATION_COLUMNS`: one row per ratio set, strategy and item, with
        ``expected_problems = inspections * rate``.
    """
    rows = []
    for s in summary.itertuples(index=False):
        for r in rates.itertuples(index=False):
            rows.append((s.ratio_set, s.strategy, int(s.inspections), r.item_code, r.item_name,
                         int(r.checked), int(r.problems), round(float(r.rate), 6),
                         round(int(s.inspections) * float(r.rate), 3)))
    return pd.DataFrame(rows, columns=list(ITEM_SIMULATION_COLUMNS))


def item_lines(table: pd.DataFrame) -> list[str]:
    """Return the terminal lines of the expected problems per item.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`expected_item_problems`.

    Returns
    -------
    list of str
        A heading and one line per ratio set, strategy and item.
    """
    lines = ["Expected problems per item (inspections x problems / checked, from "
             "item-discovery):"]
    for r in table.itertuples(index=False):
        lines.append(f"  {r.ratio_set} / {r.strategy}: {r.item_code} {r.item_name}: "
                     f"{r.expected_problems:,.1f} of {r.inspections:,} inspections "
                     f"(rate {r.problems}/{r.checked} = {r.rate * 100:.1f} %)")
    return lines
