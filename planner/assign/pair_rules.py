"""Rules that forbid given (enterprise, inspector) pairs, each declared once.

A pair rule names pairs of an enterprise and an inspector that must never meet: avoidance
(回避: the avoidance file), rotation (not the inspectors of the enterprise's last
inspection). Each entry of :data:`PAIR_RULES` says everything the planner does with it:

- ``name``: its key in the candidates' removal counts and in the checker's table;
- ``label``: how messages name it;
- ``scenario_key``: the ``[assignment]`` switch that turns it on (None: always on; a
  switched rule's value is written under the record's ``assignment.rules``);
- ``omit``: how candidates omit pairs - the (enterprise_id, inspector_id) pairs to drop for
  the drawn enterprises (:func:`planner.assign.candidates.build_unit`);
- ``violations`` and ``message``: how ``planner check`` finds a violation, computed
  independently of ``omit`` from the inputs (:data:`planner.assign.check.CHECKS`).

Every consumer reads this table: the rules of a plan (``Rules.pair_rules``), the candidates,
the pairs the planner hands them, the checker and the record. Adding a pair rule is one entry
here (and its scenario switch, when it has one) and a test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from planner.plan.inputs import Inputs


@dataclass(frozen=True)
class PairRule:
    """One rule that forbids pairs of an enterprise and an inspector (see the module)."""

    name: str
    label: str
    scenario_key: str | None
    omit: Callable[[Inputs, pd.Series], pd.DataFrame]
    violations: Callable[[Inputs, pd.Series], set[str]]
    message: str

    @property
    def switch(self) -> str | None:
        """The ``[assignment]`` key that turns the rule on (None: always on)."""
        return None if self.scenario_key is None else self.scenario_key.split(".", 1)[1]

    def active(self, assignment) -> bool:
        """Tell whether the rule applies under an ``[assignment]`` section."""
        return self.switch is None or bool(getattr(assignment, self.switch))


def _avoided(inputs: Inputs, enterprise_ids: pd.Series) -> pd.DataFrame:
    return inputs.avoidance[["enterprise_id", "inspector_id"]]


def _avoidance_keys(inputs: Inputs, enterprise_ids: pd.Series) -> set[str]:
    avoidance = inputs.avoidance
    return set(avoidance["enterprise_id"] + "\x1f" + avoidance["inspector_id"])


def last_inspectors(history: pd.DataFrame, enterprise_ids: pd.Series) -> pd.DataFrame:
    """Return the inspectors of each enterprise's last inspection (for the rotation rule).

    The last inspection is the latest date in the history for the enterprise; every
    inspector recorded on that date is excluded. Rows without an inspector id are ignored
    for the exclusion but still count as the last inspection.

    Parameters
    ----------
    history : pandas.DataFrame
        ``enterprise_id``, ``inspector_id``, ``date``.
    enterprise_ids : pandas.Series
        The drawn enterprises.

    Returns
    -------
    pandas.DataFrame
        ``enterprise_id``, ``inspector_id`` pairs (unique).
    """
    h = history[history["enterprise_id"].isin(set(enterprise_ids)) & history["date"].notna()]
    if h.empty:
        return pd.DataFrame({"enterprise_id": [], "inspector_id": []}, dtype=object)
    last = h.groupby("enterprise_id")["date"].transform("max")
    h = h[(h["date"] == last) & (h["inspector_id"].astype(str) != "")]
    return h[["enterprise_id", "inspector_id"]].drop_duplicates().reset_index(drop=True)


def _last_of_drawn(inputs: Inputs, enterprise_ids: pd.Series) -> pd.DataFrame:
    return last_inspectors(inputs.history, enterprise_ids)


def _rotation_keys(inputs: Inputs, enterprise_ids: pd.Series) -> set[str]:
    """Return the last inspections read by the checker itself (not by :func:`last_inspectors`)."""
    history = inputs.history
    h = history[history["enterprise_id"].isin(set(enterprise_ids))].dropna(subset=["date"])
    if h.empty:
        return set()
    latest = h.groupby("enterprise_id")["date"].max().rename("latest")
    h = h.join(latest, on="enterprise_id")
    h = h[(h["date"] == h["latest"]) & (h["inspector_id"].astype(str) != "")]
    return set(h["enterprise_id"] + "\x1f" + h["inspector_id"].astype(str))


# In attribution order: a pair two rules forbid is counted under the first.
PAIR_RULES: tuple[PairRule, ...] = (
    PairRule("avoidance", "avoidance", None, _avoided, _avoidance_keys,
             "inspector {inspector_id} must avoid (回避) the enterprise"),
    PairRule("rotation", "rotation", "assignment.rotation", _last_of_drawn, _rotation_keys,
             "inspector {inspector_id} made the enterprise's last inspection (rotation)"),
)
