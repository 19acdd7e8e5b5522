"""Who may be drawn: status, exclusion window, annual cap and mandatory inclusions.

Rules, in the order a reason is given (each excluded enterprise is counted once, under the
first rule that excludes it):

1. ``inactive``: the status says 注销, 吊销, 停业, ... (see :data:`planner.common.schema.INACTIVE_STATUS`).
   Nothing overrides this: a closed enterprise cannot be inspected.
2. ``no item applies``: the plan's items name the enterprise categories they apply to
   (``items.csv`` column ``categories``) and none names the enterprise's category
   (:mod:`planner.plan.items`). Nothing overrides this either: there is nothing to check.
3. ``inspected within N days``: ``[sampling] exclusion_days = N`` and the history holds an
   inspection dated on or after ``plan.start - N days``.
4. ``annual cap reached``: ``[sampling] annual_cap = { A = 1, ... }`` and the history holds at
   least that many inspections of the enterprise in the calendar year of ``plan.start``.

Mandatory inclusions are always eligible (unless inactive) and override rules 3 and 4:
the enterprises of ``[sampling] inclusions`` (a CSV/XLSX list with an ``enterprise_id``
column), and every enterprise of a class whose ratio is 1.0 in ``ratios`` mode.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from planner.common import schema
from planner.common.errors import InputError, Problem
from planner.common.io import read_table
from planner.plan.inputs import canonical_ids
from planner.plan.items import NO_ITEM
from planner.plan.scenario import Scenario, class_table

INACTIVE = "inactive"
INCLUSION_COLUMNS = (
    schema.Column("enterprise_id", ("enterprise_id", "统一社会信用代码", "credit_code", "uscc")),
    schema.Column("reason", ("reason", "列入原因", "原因"), required=False),
)


def window_reason(days: int) -> str:
    """Return the reason text of the exclusion window."""
    return f"inspected within {days} days"


def cap_reason() -> str:
    """Return the reason text of the per-class annual cap."""
    return "annual cap reached"


@dataclass
class Eligibility:
    """Eligibility of every directory row.

    Attributes
    ----------
    reason : numpy.ndarray
        Per enterprise row: ``""`` when eligible, else the first reason it is excluded.
    listed : numpy.ndarray
        Per row: named in the inclusion list (and active).
    mandatory_classes : list of str
        Classes drawn whole (ratio 1.0), whose members the window and cap do not exclude.
    excluded : dict
        Reason -> number of enterprises, in rule order (reasons with none are left out).
    listed_inactive : list of str
        Ids on the inclusion list that are inactive and so cannot be drawn.
    """

    reason: np.ndarray
    listed: np.ndarray
    mandatory_classes: list[str] = field(default_factory=list)
    excluded: dict[str, int] = field(default_factory=dict)
    listed_inactive: list[str] = field(default_factory=list)

    @property
    def eligible(self) -> np.ndarray:
        """Mask of the eligible rows."""
        return self.reason == ""

    def totals(self) -> tuple[int, int, int]:
        """Return the directory size, the eligible and the listed counts (for the record)."""
        return len(self.reason), int(self.eligible.sum()), int(self.listed.sum())


def read_inclusions(path: Path, enterprises: pd.DataFrame, label: str | None = None) -> list[str]:
    """Read the mandatory-inclusion list and check every id against the directory.

    Parameters
    ----------
    path : pathlib.Path
        CSV or XLSX file with an ``enterprise_id`` (统一社会信用代码) column.
    enterprises : pandas.DataFrame
        The validated directory.
    label : str, optional
        How to name the file in messages.

    Returns
    -------
    list of str
        Canonical ids, in file order, without repeats.

    Raises
    ------
    InputError
        When the file cannot be read, lacks the column, or names an enterprise that is not
        in the directory (each such row is reported).
    """
    label = label or str(path)
    raw = read_table(path, label=label)
    frame, problems = schema.map_headers(raw, INCLUSION_COLUMNS, label)
    if any(p.severity == "error" for p in problems):
        raise InputError(problems)
    ids = canonical_ids(frame["enterprise_id"])
    known = set(enterprises["enterprise_id"])
    for pos, value in enumerate(ids):
        if value == "":
            problems.append(Problem(label, "empty cell; a value is required", row=pos + 2,
                                    column="enterprise_id"))
        elif value not in known:
            problems.append(Problem(
                label, "names an enterprise not in the enterprises file; fix the id or remove "
                "the row", row=pos + 2, column="enterprise_id", value=value))
    if any(p.severity == "error" for p in problems):
        raise InputError(problems)
    return list(dict.fromkeys(ids))


def assess(
    enterprises: pd.DataFrame,
    history: pd.DataFrame,
    scenario: Scenario,
    inclusions: list[str] | None = None,
    applies: np.ndarray | None = None,
) -> Eligibility:
    """Decide which enterprises may be drawn, and why the others may not.

    Parameters
    ----------
    enterprises : pandas.DataFrame
        The validated directory (``enterprise_id``, ``risk_class``, ``active``).
    history : pandas.DataFrame
        Past inspections (``enterprise_id``, ``date`` as datetime64).
    scenario : Scenario
        Supplies ``plan.start`` and the ``[sampling]`` rules.
    inclusions : list of str, optional
        Canonical ids that must be drawn.
    applies : numpy.ndarray of bool, optional
        Per row: at least one item of the plan applies (None: every item applies to all).

    Returns
    -------
    Eligibility
        Per-row reasons and the counts by reason.
    """
    sampling = scenario.sampling
    scheme = scenario.scheme()
    n = len(enterprises)
    ids = enterprises["enterprise_id"]
    classes = enterprises["risk_class"].to_numpy(dtype=object)
    active = enterprises["active"].to_numpy(dtype=bool)
    listed = ids.isin(set(inclusions or ())).to_numpy()

    mandatory_classes = []
    if sampling.mode == "ratios":
        ratios = class_table(sampling.ratios, scheme)
        mandatory_classes = [c for c, r in ratios.items() if r >= 1.0]
    exempt = listed | np.isin(classes, mandatory_classes)

    reason = np.full(n, "", dtype=object)
    reason[~active] = INACTIVE
    if applies is not None:
        reason[(reason == "") & ~np.asarray(applies, dtype=bool)] = NO_ITEM
    start = pd.Timestamp(scenario.plan.start)
    dated = history[history["date"].notna()] if len(history) else history
    if sampling.exclusion_days is not None and len(dated):
        since = start - pd.Timedelta(days=sampling.exclusion_days)
        recent = set(dated.loc[dated["date"] >= since, "enterprise_id"])
        hit = (reason == "") & ~exempt & ids.isin(recent).to_numpy()
        reason[hit] = window_reason(sampling.exclusion_days)
    caps = class_table(sampling.annual_cap, scheme)
    if caps and len(dated):
        year = dated[dated["date"].dt.year == start.year]
        done = year.groupby("enterprise_id").size()
        count = ids.map(done).fillna(0).to_numpy(dtype=np.int64)
        cap = pd.Series(classes).map(caps).to_numpy(dtype=float)  # NaN where no cap
        hit = (reason == "") & ~exempt & (count >= cap)
        reason[hit] = cap_reason()

    order = [INACTIVE, NO_ITEM]
    if sampling.exclusion_days is not None:
        order.append(window_reason(sampling.exclusion_days))
    order.append(cap_reason())
    values, counts = np.unique(reason[reason != ""].astype(str), return_counts=True)
    found = dict(zip(values.tolist(), counts.tolist(), strict=True))
    excluded = {r: int(found[r]) for r in order if r in found}
    return Eligibility(
        reason=reason,
        listed=listed & active,
        mandatory_classes=mandatory_classes,
        excluded=excluded,
        listed_inactive=ids[listed & ~active].tolist(),
    )


def plan_days(start: dt.date, end: dt.date) -> int:
    """Length of the plan period in days, start and end inclusive."""
    return (end - start).days + 1
