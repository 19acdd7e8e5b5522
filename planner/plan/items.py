"""The plan's inspection items (抽查事项) and which of them apply to each enterprise.

An item of ``items.csv`` may name the enterprise categories it applies to (``categories``,
适用行业类别, ``;``-separated, matched against the directory's ``category``, 行业类别; empty
means every enterprise) and the qualification (``qualification``, 所需资质) its inspector
must hold, matched against the roster's ``qualifications`` (检查资质, ``;``-separated).

The plan's items are the codes of ``[plan] items`` (all items when it is empty). Each
task lists only the items that apply to its enterprise; an enterprise to which no item
of the plan applies cannot be inspected under the plan and is not eligible
(:mod:`planner.draw.eligibility`, reason :data:`NO_ITEM`). A team holds, for each item of
its task, at least one inspector with the item's qualification
(:mod:`planner.assign.quals`). A plan whose items name no categories and no qualification
works exactly as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.common.errors import ScenarioError

NO_ITEM = "no item applies"
# Separators accepted inside one cell of categories or qualifications.
_SPLIT = re.compile(r"[;；,，、]")


def split_cell(text: object) -> tuple[str, ...]:
    """Split a ``;``-separated cell into its stripped, non-empty parts (order kept).

    Parameters
    ----------
    text : object
        The cell (NaN and None give no parts).

    Returns
    -------
    tuple of str
        The parts, without repeats.
    """
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ()
    return tuple(dict.fromkeys(p.strip() for p in _SPLIT.split(str(text)) if p.strip()))


@dataclass(frozen=True)
class PlanItems:
    """The items of one plan, in the order the plan lists them.

    Attributes
    ----------
    codes, names, departments : tuple of str
        Per item.
    categories : tuple of tuple of str
        Per item, the enterprise categories it applies to (empty: all).
    qualifications : tuple of str
        Per item, the qualification its inspector must hold (``""``: none).
    """

    codes: tuple[str, ...]
    names: tuple[str, ...]
    departments: tuple[str, ...]
    categories: tuple[tuple[str, ...], ...]
    qualifications: tuple[str, ...]

    @property
    def by_category(self) -> bool:
        """Whether any item applies to some categories only."""
        return any(self.categories)

    @property
    def qualified(self) -> bool:
        """Whether any item needs a qualification."""
        return any(self.qualifications)

    @property
    def per_task(self) -> bool:
        """Whether tasks may differ in their items or needs (else the plan works as before)."""
        return self.by_category or self.qualified

    def applying(self, category: str) -> tuple[int, ...]:
        """Return the positions of the items that apply to an enterprise of ``category``."""
        category = str(category).strip()
        return tuple(k for k, cats in enumerate(self.categories) if not cats or category in cats)

    def per_enterprise(self, category: pd.Series) -> list[tuple[int, ...]]:
        """Return, per enterprise, the positions of the items that apply to it.

        Parameters
        ----------
        category : pandas.Series
            Each enterprise's category (行业类别).

        Returns
        -------
        list of tuple of int
            One tuple per enterprise (empty when no item applies).
        """
        values = category.fillna("").astype(str).to_numpy(dtype=object)
        codes, uniques = pd.factorize(values)
        found = [self.applying(u) for u in uniques]
        return [found[c] for c in codes]

    def applies(self, category: pd.Series) -> np.ndarray:
        """Return a mask of the enterprises to which at least one item applies."""
        return np.array([bool(k) for k in self.per_enterprise(category)], dtype=bool)

    def needs(self, positions: tuple[int, ...]) -> tuple[str, ...]:
        """Return the distinct qualifications the items at ``positions`` need, in order."""
        return tuple(dict.fromkeys(self.qualifications[k] for k in positions
                                   if self.qualifications[k]))


def plan_items(scenario, items: pd.DataFrame) -> PlanItems:
    """Return the plan's items: ``[plan] items`` codes, or every item of the file.

    Parameters
    ----------
    scenario : planner.plan.scenario.Scenario
        The plan.
    items : pandas.DataFrame
        The validated items file (``item_code``, ``item_name``, ``department`` and the
        optional ``categories`` and ``qualification``); empty when none was given.

    Returns
    -------
    PlanItems
        The items in the plan's order.

    Raises
    ------
    ScenarioError
        When ``[plan] items`` names a code the items file does not list.
    """
    frame = items
    if len(frame) and list(scenario.plan.items):
        by_code = {str(c): k for k, c in enumerate(frame["item_code"].astype(str))}
        unknown = [c for c in scenario.plan.items if c not in by_code]
        if unknown:
            raise ScenarioError(
                f"item code {unknown[0]!r} is not in the items file; list codes from the items file",
                key="plan.items", file=scenario.label)
        frame = frame.iloc[[by_code[c] for c in scenario.plan.items]]

    def column(name: str) -> list:
        return frame[name].tolist() if name in frame.columns else [""] * len(frame)

    return PlanItems(
        codes=tuple(str(c) for c in column("item_code")),
        names=tuple(str(c) for c in column("item_name")),
        departments=tuple(str(c) for c in column("department")),
        categories=tuple(split_cell(c) for c in column("categories")),
        qualifications=tuple(split_cell(c)[0] if split_cell(c) else ""
                             for c in column("qualification")),
    )


def holds(qualifications: pd.Series, needed: str) -> np.ndarray:
    """Return a mask of the inspectors whose ``qualifications`` include ``needed``.

    Parameters
    ----------
    qualifications : pandas.Series
        The roster's ``qualifications`` (检查资质) cells.
    needed : str
        One qualification.

    Returns
    -------
    numpy.ndarray of bool
        One flag per inspector.
    """
    return np.array([needed in split_cell(q) for q in qualifications], dtype=bool)
