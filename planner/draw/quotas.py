"""Per-stratum quotas: the allocation mode, the roster's capacity, and spreading over districts.

The eligible pool is cut into strata:

- ``A`` - the ticket stratum of class A (or ``A/东区``, ``A/西区`` ... with
  ``[sampling] spread_over = "district"``);
- ``A/included`` - class A's enterprises on the inclusion list, all drawn.

A class's allocation ``n_c`` (:mod:`planner.draw.allocate`, from the whole eligible class) counts
its listed enterprises first; the ticket strata share the rest, ``max(0, n_c - listed_c)``, by
largest remainder over districts. When the roster cannot staff the total, the draw stops
(``on_short_capacity = "error"``) or takes the excess from the lowest-risk classes first
(``"scale-down"``); listed enterprises and classes drawn whole (ratio 1.0) are never scaled.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planner.common.errors import InfeasiblePlanError, ScenarioError
from planner.common.schema import as_text
from planner.draw import allocate
from planner.draw.eligibility import plan_days
from planner.plan.scenario import Scenario, class_table

INCLUDED = "included"


@dataclass
class Capacity:
    """What the roster can staff: ``floor(sum of eligible inspectors' capacity / team size)``."""

    inspectors: int
    seats: int
    team_size: int
    needed: int
    scaled_down: dict[str, int] = field(default_factory=dict)

    @property
    def inspections(self) -> int:
        """Inspections the roster can staff."""
        return self.seats // self.team_size

    @property
    def short(self) -> int:
        """By how many inspections the allocation exceeds the capacity (0 when it fits)."""
        return max(0, self.needed - self.inspections)

    def to_dict(self) -> dict:
        """Return the figures as a JSON-ready dict."""
        return {
            "eligible_inspectors": self.inspectors,
            "seats": self.seats,
            "team_size": self.team_size,
            "inspections": self.inspections,
            "needed": self.needed,
            "scaled_down": dict(self.scaled_down),
        }


@dataclass
class Quotas:
    """Allocation per class and quota per stratum.

    Attributes
    ----------
    classes : list of str
        The scheme's classes, lowest risk first.
    eligible : dict
        Class -> eligible enterprises (listed ones included).
    listed : dict
        Class -> enterprises on the inclusion list.
    allocated : dict
        Class -> count the allocation mode gives (before capacity).
    drawn : dict
        Class -> count to draw, after capacity (at least the listed count).
    strata : dict
        Stratum -> ``{"class", "district", "eligible", "drawn"}``, in class order.
    capacity : Capacity
        The roster's capacity and any scaling.
    """

    classes: list[str]
    eligible: dict[str, int]
    listed: dict[str, int]
    allocated: dict[str, int]
    drawn: dict[str, int]
    strata: dict[str, dict]
    capacity: Capacity

    def quota(self) -> dict[str, int]:
        """Stratum -> how many to draw."""
        return {s: v["drawn"] for s, v in self.strata.items()}


def stratum_labels(
    risk_class: pd.Series, district: pd.Series, listed: np.ndarray, spread_over: str | None
) -> pd.Series:
    """Label each eligible enterprise with its stratum.

    Parameters
    ----------
    risk_class : pandas.Series
        Class per enterprise.
    district : pandas.Series
        District per enterprise.
    listed : numpy.ndarray
        Mask of the enterprises on the inclusion list.
    spread_over : str or None
        ``"district"`` to split each class's ticket stratum by district.

    Returns
    -------
    pandas.Series
        Categorical ``A``, ``A/<district>`` or ``A/included``, categories in sorted order.
    """
    class_code, classes = pd.factorize(risk_class)
    if spread_over == "district":
        district_code, districts = pd.factorize(district)
    else:
        district_code, districts = np.zeros(len(risk_class), dtype=np.int64), [""]
    listed = np.asarray(listed, dtype=bool)
    combined = (class_code.astype(np.int64) * len(districts) + district_code) * 2 + listed
    inverse, combos = pd.factorize(combined)
    labels = []
    for combo in np.asarray(combos).tolist():
        c, rest = divmod(combo, 2 * len(districts))
        d, is_listed = divmod(rest, 2)
        if is_listed:
            labels.append(f"{classes[c]}/{INCLUDED}")
        elif spread_over == "district":
            labels.append(f"{classes[c]}/{districts[d]}")
        else:
            labels.append(str(classes[c]))
    categories = sorted(set(labels))
    position = {label: i for i, label in enumerate(categories)}
    codes = np.array([position[label] for label in labels], dtype=np.int64)[inverse]
    return pd.Series(pd.Categorical.from_codes(codes, categories=categories),
                     index=risk_class.index)


def class_counts(scenario: Scenario, eligible: dict[str, int]) -> dict[str, int]:
    """Per-class counts from the scenario's allocation mode.

    Parameters
    ----------
    scenario : Scenario
        Supplies ``[sampling]`` (and ``[simulation] prevalence`` for ``budget``).
    eligible : dict
        Class -> eligible count, in the scheme's order.

    Returns
    -------
    dict
        Class -> count, at most the eligible count.

    Raises
    ------
    ScenarioError
        When ``budget`` mode has no prevalence.
    InfeasiblePlanError
        When budget floors and caps contradict each other or exceed the budget.
    """
    s = scenario.sampling
    scheme = scenario.scheme()
    if s.mode == "ratios":
        return allocate.by_ratios(eligible, class_table(s.ratios, scheme))
    if s.mode == "frequency":
        days = plan_days(scenario.plan.start, scenario.plan.end)
        return allocate.by_frequency(eligible, class_table(s.frequency, scheme), days)
    prevalence = class_table(scenario.simulation.prevalence, scheme)
    if not prevalence:
        raise ScenarioError(
            "mode 'budget' needs the per-class prevalence: add [simulation] prevalence = "
            "{ A = 0.02, B = 0.05, ... }", key="simulation.prevalence", file=scenario.label)
    return allocate.by_budget(
        eligible,
        int(s.budget or 0),
        prevalence,
        floors=class_table(s.floors, scheme),
        caps=class_table(s.caps, scheme),
        order=list(scheme.classes),
    )


def roster_capacity(inspectors: pd.DataFrame, team_size: int) -> Capacity:
    """Seats the eligible inspectors offer (certified, available), and the team size.

    Parameters
    ----------
    inspectors : pandas.DataFrame
        The validated roster (``eligible``, ``capacity``).
    team_size : int
        Inspectors per inspection.

    Returns
    -------
    Capacity
        With ``needed`` still 0.
    """
    ok = inspectors["eligible"].to_numpy(dtype=bool) if len(inspectors) else np.array([], bool)
    seats = int(inspectors["capacity"].to_numpy()[ok].sum()) if ok.any() else 0
    return Capacity(inspectors=int(ok.sum()), seats=seats, team_size=team_size, needed=0)


def plan_quotas(
    pool: pd.DataFrame, scenario: Scenario, capacity: Capacity, mandatory_classes: list[str],
    targeted: dict[str, dict] | None = None,
) -> Quotas:
    """Allocate per class, fit the roster's capacity, and split into per-stratum quotas.

    Parameters
    ----------
    pool : pandas.DataFrame
        The eligible enterprises with ``risk_class``, ``district``, ``stratum`` and
        ``listed`` (bool).
    scenario : Scenario
        The plan.
    capacity : Capacity
        From :func:`roster_capacity`; ``needed`` and ``scaled_down`` are filled in.
    mandatory_classes : list of str
        Classes drawn whole, never scaled down.
    targeted : dict, optional
        The strata of targeted draws (:func:`planner.plan.targets.target_strata`), whose
        enterprises are not in ``pool``; they count towards the capacity, are never scaled
        down, and are added to the per-class figures.

    Returns
    -------
    Quotas
        Per-class and per-stratum counts.

    Raises
    ------
    InfeasiblePlanError
        When the roster cannot staff the allocation and scaling down is off, or cannot
        staff even the mandatory inspections.
    """
    return quotas_from_counts(stratum_counts(pool), scenario, capacity, mandatory_classes,
                              targeted)


def stratum_counts(pool: pd.DataFrame) -> pd.DataFrame:
    """Count eligible enterprises by class, stratum, district and listing (a per-partition map).

    The counts of disjoint partitions add up (:func:`add_counts`) to the counts of the whole,
    which is all :func:`quotas_from_counts` needs: a distributed engine counts each
    partition and plans the quotas once.

    Parameters
    ----------
    pool : pandas.DataFrame
        Eligible enterprises with ``risk_class``, ``stratum``, ``district`` and ``listed``.

    Returns
    -------
    pandas.DataFrame
        Columns ``risk_class``, ``stratum`` (str), ``district``, ``listed``, ``n``; one row
        per combination present.
    """
    keys = ["risk_class", "stratum", "district", "listed"]
    # Each key becomes sorted integer codes; the combinations are counted on one int64 key,
    # whose order is that of the keys' text (a groupby over millions of strings is slower).
    coded = [_sorted_codes(pool["risk_class"], str), _sorted_codes(pool["stratum"], str),
             _sorted_codes(pool["district"], str), _sorted_codes(pool["listed"], bool)]
    combined = np.zeros(len(pool), dtype=np.int64)
    for codes, uniques in coded:
        combined = combined * len(uniques) + codes
    present, n = np.unique(combined, return_counts=True)
    columns = {}
    for name, (_, uniques) in zip(reversed(keys), reversed(coded), strict=True):
        present, at = np.divmod(present, len(uniques)) if len(uniques) else (present, present)
        columns[name] = uniques[at]
    out = pd.DataFrame({name: columns[name] for name in keys})
    out["n"] = n
    return out


def _sorted_codes(values: pd.Series, kind: type) -> tuple[np.ndarray, np.ndarray]:
    """Return ``values`` as ``kind`` (str or bool) in codes of its distinct values, sorted."""
    if isinstance(values.dtype, pd.CategoricalDtype) and kind is str:
        labels = np.array([str(c) for c in values.cat.categories], dtype=object)
        order = np.argsort(labels, kind="stable")
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        return rank[values.cat.codes.to_numpy()], labels[order]
    typed = as_text(values) if kind is str else values.astype(bool)
    codes, uniques = pd.factorize(typed, sort=True)
    return codes.astype(np.int64), np.asarray(uniques, dtype=object if kind is str else bool)


def add_counts(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Add up the :func:`stratum_counts` of disjoint partitions."""
    keys = ["risk_class", "stratum", "district", "listed"]
    whole = pd.concat(parts, ignore_index=True)
    return whole.groupby(keys, sort=True, observed=True)["n"].sum().reset_index()


def quotas_from_counts(
    counts: pd.DataFrame, scenario: Scenario, capacity: Capacity, mandatory_classes: list[str],
    targeted: dict[str, dict] | None = None,
) -> Quotas:
    """Plan the quotas from :func:`stratum_counts` (see :func:`plan_quotas`).

    Parameters
    ----------
    counts : pandas.DataFrame
        Eligible enterprises counted by class, stratum, district and listing.
    scenario : Scenario
        The plan.
    capacity : Capacity
        From :func:`roster_capacity`; ``needed`` and ``scaled_down`` are filled in.
    mandatory_classes : list of str
        Classes drawn whole, never scaled down.
    targeted : dict, optional
        The strata of targeted draws (see :func:`plan_quotas`).

    Returns
    -------
    Quotas
        Per-class and per-stratum counts.

    Raises
    ------
    InfeasiblePlanError
        As :func:`plan_quotas`.
    """
    classes = list(scenario.scheme().classes)
    by_class = counts.groupby("risk_class")["n"].sum()
    eligible = {c: int(by_class.get(c, 0)) for c in classes}
    listed_counts = counts[counts["listed"]].groupby("risk_class")["n"].sum()
    listed = {c: int(listed_counts.get(c, 0)) for c in classes}
    allocated = class_counts(scenario, eligible)
    drawn = {c: max(allocated[c], listed[c]) for c in classes}

    targeted = targeted or {}
    reserved = sum(v["drawn"] for v in targeted.values())
    capacity.needed = sum(drawn.values()) + reserved
    if capacity.short:
        drawn = _fit(drawn, listed, capacity, mandatory_classes, scenario, reserved)

    tickets = counts[~counts["listed"]]
    sizes = tickets.groupby(["risk_class", "stratum"], sort=False)["n"].sum()
    districts = tickets.groupby("stratum", sort=False)["district"].first()
    strata: dict[str, dict] = {}
    for c in classes:
        own = {s: int(n) for (k, s), n in sizes.items() if k == c}
        share = allocate.spread(drawn[c] - listed[c], own) if own else {}
        spread = scenario.sampling.spread_over == "district"
        for s in sorted(own):
            strata[s] = {"class": c, "district": districts[s] if spread else None,
                         "eligible": own[s], "drawn": int(share[s])}
        if listed[c]:
            strata[f"{c}/{INCLUDED}"] = {"class": c, "district": None,
                                         "eligible": listed[c], "drawn": listed[c]}
    for label, v in targeted.items():
        strata[label] = dict(v)
        for table, key in ((eligible, "eligible"), (allocated, "drawn"), (drawn, "drawn")):
            table[v["class"]] += v[key]
    return Quotas(classes, eligible, listed, allocated, drawn, strata, capacity)


def _fit(
    drawn: dict[str, int],
    listed: dict[str, int],
    capacity: Capacity,
    mandatory_classes: list[str],
    scenario: Scenario,
    reserved: int = 0,
) -> dict[str, int]:
    fixed = {c: (drawn[c] if c in mandatory_classes else listed[c]) for c in drawn}
    room = capacity.inspections - sum(fixed.values()) - reserved
    how = (f"the roster can staff {capacity.inspections} inspections ({capacity.inspectors} "
           f"eligible inspectors, {capacity.seats} inspection seats / team size "
           f"{capacity.team_size}) but the allocation needs {capacity.needed}: "
           f"{capacity.short} short")
    if scenario.sampling.on_short_capacity != "scale-down":
        raise InfeasiblePlanError(
            how,
            ["add inspectors or raise their capacity (最大检查户数), or lower the ratios",
             'or set [sampling] on_short_capacity = "scale-down" (planner draw --scale-down) '
             "to draw fewer from the lowest-risk classes first"],
        )
    if room < 0:
        raise InfeasiblePlanError(
            how,
            [f"even the mandatory inspections (inclusion list, classes drawn whole and "
             f"targeted draws) need {sum(fixed.values()) + reserved}: add inspectors or "
             "raise their capacity"],
        )
    free = {c: drawn[c] - fixed[c] for c in drawn}
    order = list(drawn)  # the scheme's order: lowest risk first
    fitted, _ = allocate.fit_capacity(free, room, order)
    capacity.scaled_down = {c: free[c] - fitted[c] for c in order if free[c] != fitted[c]}
    return {c: fixed[c] + fitted[c] for c in drawn}
