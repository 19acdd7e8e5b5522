"""What each enterprise and each class still needs this year, before a given batch.

Per class, the scenario's ``[sampling]`` gives the rule:

- ``mode = "frequency"``, ``f >= 1``: a **minimum** per enterprise. Each active enterprise of
  the class is owed ``floor(f)`` inspections this year, plus one more when its ticket under the
  extra seed (:func:`planner.programme.periods.extra_seed`) is below the fractional part of
  ``f``. Inspections are spaced at least ``min_gap_days`` apart: an enterprise is a candidate
  only in a batch that ends that long after its last inspection (whatever the task), from
  ``not_before`` on.
- ``mode = "frequency"``, ``0 < f < 1``: a **coverage cycle** of ``ceil(1/f)`` years from
  ``[programme] cycle_start``: every enterprise once in the cycle, no repeats. This year's
  share is ``ceil(not covered at the year's start / years left in the cycle)``; new
  registrations join the uncovered pool, deregistered ones drop out.
- ``mode = "ratios"``: a **ratio** of the class this year, ``ceil(ratio * active)``, spread
  over the batches without drawing any enterprise twice.

A batch's count per class is what the year still needs divided by the batches left
(rounded up); for minimums it is at least the enterprises that must be inspected now (those
that owe as many inspections as batches remain). Caps (``[programme] cap_per_enterprise``
and ``[sampling] annual_cap``) count every inspection of the year, whatever its task or
department; an enterprise at its cap is not drawn, and where a minimum exceeds the room a
cap leaves, the conflict is reported with the enterprise and the amount.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import pandas as pd

from planner.draw import tickets
from planner.plan.scenario import Scenario, class_table
from planner.programme.ledger import Ledger
from planner.programme.periods import Batch, extra_seed

MINIMUM, CYCLE, RATIO = "minimum", "cycle", "ratio"
NO_CAP = 1_000_000


@dataclass(frozen=True)
class Rule:
    """A class's rule: its kind and value (frequency or ratio, as the decimal written)."""

    kind: str
    value: Fraction

    @property
    def cycle_years(self) -> int:
        """Length of a coverage cycle in years, ``ceil(1/f)``."""
        return math.ceil(1 / self.value)


@dataclass
class Needs:
    """Needs before one batch.

    Attributes
    ----------
    batch : Batch
        The batch about to be planned.
    frame : pandas.DataFrame
        One row per active enterprise of a class with a rule: enterprise_id, risk_class,
        district, kind, target, done, done_all, room, owed, last, not_before, left, candidate, must.
    classes : dict
        Class -> kind, enterprises, year_target, done, still_needed, quota (this batch's count,
        before the candidates bound it), candidates, must, count (this batch's count).
    conflicts : list of dict
        enterprise_id, risk_class, rule ("cap" or "time"), owed, possible, short.
    """

    batch: Batch
    frame: pd.DataFrame
    classes: dict[str, dict] = field(default_factory=dict)
    conflicts: list[dict] = field(default_factory=list)


def class_rules(scenario: Scenario) -> dict[str, Rule]:
    """Return each class's rule, in the scheme's order (classes without one are left out).

    Parameters
    ----------
    scenario : Scenario
        The programme's scenario.

    Returns
    -------
    dict
        Class -> :class:`Rule`.
    """
    scheme = scenario.scheme()
    s = scenario.sampling
    rules = {}
    if s.mode == "frequency":
        for c, f in class_table(s.frequency, scheme).items():
            value = Fraction(str(f))
            if value > 0:
                rules[c] = Rule(MINIMUM if value >= 1 else CYCLE, value)
    else:
        for c, r in class_table(s.ratios, scheme).items():
            if r > 0:
                rules[c] = Rule(RATIO, Fraction(str(r)))
    return rules


def own_tasks(scenario: Scenario, batches: list[Batch]) -> set[str]:
    """Task values that count as this programme's inspections (the empty task included)."""
    names = {"", scenario.plan.id, *(b.plan_id for b in batches)}
    if scenario.plan.task_id:
        names.add(scenario.plan.task_id)
    return names


def caps_of(scenario: Scenario, classes: pd.Series) -> np.ndarray:
    """Per enterprise: its annual cap (the lower of the per-enterprise and per-class caps)."""
    cap = scenario.programme.cap_per_enterprise or NO_CAP
    per_class = class_table(scenario.sampling.annual_cap, scenario.scheme())
    return np.minimum(cap, classes.map(per_class).fillna(NO_CAP).to_numpy(dtype=np.int64))


def assess(scenario: Scenario, enterprises: pd.DataFrame, ledger: Ledger,
           batches: list[Batch], number: int) -> Needs:
    """Work out the needs before batch ``number`` (1-based).

    Parameters
    ----------
    scenario : Scenario
        The programme's scenario.
    enterprises : pandas.DataFrame
        The validated directory (enterprise_id, risk_class, active).
    ledger : Ledger
        The inspections before the batch.
    batches : list of Batch
        Every batch of the programme.
    number : int
        The batch about to be planned.

    Returns
    -------
    Needs
        Per enterprise and per class, with the conflicts.
    """
    batch = batches[number - 1]
    rules = class_rules(scenario)
    year = scenario.plan.start.year
    gap = pd.Timedelta(days=scenario.programme.min_gap_days)
    active = enterprises["active"].to_numpy(dtype=bool)
    ent = enterprises.loc[active & enterprises["risk_class"].isin(list(rules)).to_numpy(),
                          ["enterprise_id", "risk_class", "district"]].reset_index(drop=True)
    ent["kind"] = ent["risk_class"].map({c: r.kind for c, r in rules.items()})

    ev = ledger.events
    own = ev[ev["task"].isin(own_tasks(scenario, batches))]
    in_year = ev["date"].dt.year == year
    done_all = ev[in_year].groupby("enterprise_id").size()
    done = own[own["date"].dt.year == year].groupby("enterprise_id").size()
    last = ev.groupby("enterprise_id")["date"].max()
    ids = ent["enterprise_id"]
    ent["done"] = ids.map(done).fillna(0).astype(np.int64)
    ent["done_all"] = ids.map(done_all).fillna(0).astype(np.int64)
    ent["room"] = np.maximum(caps_of(scenario, ent["risk_class"]) - ent["done_all"], 0)
    ent["target"] = _targets(scenario, ent, rules)
    ent["owed"] = _owed(scenario, ent, own, rules, year)
    ent["last"] = pd.to_datetime(last.reindex(ids.to_numpy()).to_numpy())
    earliest = (ent["last"] + gap).fillna(pd.Timestamp(batch.start))
    ent["not_before"] = earliest.clip(lower=pd.Timestamp(batch.start))
    ends = np.array([pd.Timestamp(b.end) for b in batches[number - 1:]], dtype="datetime64[ns]")
    ent["left"] = (ends[None, :] >= earliest.to_numpy()[:, None]).sum(axis=1)
    wanted = np.minimum(ent["owed"], ent["room"])
    ent["candidate"] = (wanted >= 1) & (ent["not_before"] <= pd.Timestamp(batch.end))
    ent["must"] = ent["candidate"] & (ent["kind"] == MINIMUM) & (wanted >= ent["left"])
    needs = Needs(batch, ent)
    needs.conflicts = _conflicts(ent, wanted)
    remaining = len(batches) - number + 1
    for c, rule in rules.items():
        needs.classes[c] = _class_need(scenario, ent, own, c, rule, remaining, year)
    return needs


def _targets(scenario: Scenario, ent: pd.DataFrame, rules: dict[str, Rule]) -> np.ndarray:
    target = np.zeros(len(ent), dtype=np.int64)
    seed = extra_seed(scenario)
    for c, rule in rules.items():
        rows = np.flatnonzero((ent["risk_class"] == c).to_numpy())
        if rule.kind != MINIMUM:
            target[rows] = 1 if rule.kind == RATIO else 0
            continue
        whole = math.floor(rule.value)
        frac = float(rule.value - whole)
        extra = np.array([tickets.ticket(seed, e) < frac
                          for e in ent["enterprise_id"].to_numpy()[rows]], dtype=bool)
        target[rows] = whole + extra
    return target


def cycle_start_year(scenario: Scenario, rule: Rule, year: int) -> int:
    """Return the first year of the coverage cycle that ``year`` belongs to."""
    first = scenario.programme.cycle_start or scenario.plan.start.year
    return first + ((year - first) // rule.cycle_years) * rule.cycle_years


def _covered(own: pd.DataFrame, since: int, until: int | None = None) -> set[str]:
    dates = own["date"]
    hit = dates >= pd.Timestamp(since, 1, 1)
    if until is not None:
        hit &= dates < pd.Timestamp(until, 1, 1)
    return set(own.loc[hit, "enterprise_id"])


def _owed(scenario: Scenario, ent: pd.DataFrame, own: pd.DataFrame,
          rules: dict[str, Rule], year: int) -> np.ndarray:
    owed = np.maximum(ent["target"] - ent["done"], 0).to_numpy(dtype=np.int64, copy=True)
    for c, rule in rules.items():
        rows = (ent["risk_class"] == c).to_numpy()
        if rule.kind == CYCLE:
            covered = _covered(own, cycle_start_year(scenario, rule, year))
            owed[rows] = (~ent.loc[rows, "enterprise_id"].isin(covered)).to_numpy()
    return owed


def _conflicts(ent: pd.DataFrame, wanted: pd.Series) -> list[dict]:
    out = []
    minimum = (ent["kind"] == MINIMUM).to_numpy()
    for i in np.flatnonzero(minimum & (ent["owed"] > ent["room"]).to_numpy()):
        row = ent.iloc[i]
        out.append({"enterprise_id": row["enterprise_id"], "risk_class": row["risk_class"],
                    "rule": "cap", "owed": int(row["owed"]), "possible": int(row["room"]),
                    "short": int(row["owed"] - row["room"])})
    for i in np.flatnonzero(minimum & (wanted > ent["left"]).to_numpy()):
        row = ent.iloc[i]
        out.append({"enterprise_id": row["enterprise_id"], "risk_class": row["risk_class"],
                    "rule": "time", "owed": int(wanted.iloc[i]), "possible": int(row["left"]),
                    "short": int(wanted.iloc[i] - row["left"])})
    return sorted(out, key=lambda d: (d["enterprise_id"], d["rule"]))


def _class_need(scenario: Scenario, ent: pd.DataFrame, own: pd.DataFrame, c: str,
                rule: Rule, remaining: int, year: int) -> dict:
    rows = ent[ent["risk_class"] == c]
    members = len(rows)
    candidates = int(rows["candidate"].sum())
    must = int(rows["must"].sum())
    if rule.kind == MINIMUM:
        target = int(rows["target"].sum())
        done = int(np.minimum(rows["done"], rows["target"]).sum())
        still = int(np.minimum(rows["owed"], rows["room"]).sum())
    elif rule.kind == RATIO:
        target = math.ceil(rule.value * members)
        done = int((rows["done"] > 0).sum())
        still = max(0, target - done)
    else:
        first = cycle_start_year(scenario, rule, year)
        years_left = rule.cycle_years - (year - first)
        before = _covered(own, first, year)
        at_start = int((~rows["enterprise_id"].isin(before)).sum())
        target = math.ceil(Fraction(at_start, years_left))
        done = at_start - int(rows["owed"].sum())
        still = max(0, target - done)
    quota = max(must, math.ceil(Fraction(still, remaining)))
    return {"kind": rule.kind, "value": str(rule.value), "enterprises": members,
            "year_target": target, "done": done, "still_needed": still, "quota": quota,
            "candidates": candidates, "must": must, "count": min(quota, candidates)}

