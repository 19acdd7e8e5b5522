"""The data of one planning unit: what to solve, what its solve did, and its outcome.

A unit's solve (:func:`planner.assign.solve.plan_unit`) takes a :class:`UnitProblem` and
returns a :class:`UnitOutcome` (teams in the whole plan's numbering) or an
:class:`Infeasible` with the reasons.
"""


from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from planner.assign import candidates as cand


@dataclass
class UnitReport:
    """What the solve of one planning unit did (for the summary and the record)."""

    unit: str
    enterprises: int
    inspectors: int
    candidates: int
    admitted: int
    working: int
    pricing_rounds: int = 0
    arcs_used: int = 0
    load_min: int = 0
    load_max: int = 0
    spread_bound: int = 0
    repaired: int = 0
    cp_rounds: list[dict] = field(default_factory=list)
    flow_seconds: float = 0.0
    cp_seconds: float = 0.0

    def record(self) -> dict[str, Any]:
        """Return the deterministic part, for ``draw-record.json`` (no timings)."""
        return {
            "unit": self.unit,
            "enterprises": self.enterprises,
            "inspectors": self.inspectors,
            "candidate_pairs": self.candidates,
            "admitted_pairs": self.admitted,
            "working_pairs": self.working,
            "pricing_rounds": self.pricing_rounds,
            "flow_pairs": self.arcs_used,
            "load_min": self.load_min,
            "load_max": self.load_max,
            "spread_lower_bound": self.spread_bound,
            "teams_repaired_by_cp_sat": self.repaired,
            "cp_sat_rounds": [{k: v for k, v in r.items() if k != "seconds"}
                              for r in self.cp_rounds],
        }


@dataclass(frozen=True)
class UnitProblem:
    """One planning unit to solve: its enterprises, its inspectors and the plan's rules.

    Attributes
    ----------
    unit : str
        The unit's name (a district, a station, or ``"all"``).
    enterprises : pandas.DataFrame
        The unit's drawn enterprises (with ``position``, their row in the sample).
    pool : pandas.DataFrame
        The unit's inspectors (with ``roster_pos``, their row in the roster).
    rules : planner.assign.candidates.Rules
        The rules applied.
    forbidden : dict
        Rule name -> the (enterprise_id, inspector_id) pairs it forbids.
    n_roster : int
        Inspectors in the whole roster.
    seed : str
        The plan's seed (each unit's streams are named by the unit).
    separate : frozenset
        Pairs of inspector ids who must not team.
    qual_names : tuple of str
        The qualifications the plan's items need (empty: none).
    """

    unit: str
    enterprises: pd.DataFrame
    pool: pd.DataFrame
    rules: cand.Rules
    forbidden: dict[str, pd.DataFrame]
    n_roster: int
    seed: str
    separate: frozenset[tuple[str, str]] = frozenset()
    qual_names: tuple[str, ...] = ()


@dataclass
class UnitOutcome:
    """One unit's plan, in the whole plan's numbering (sample and roster positions)."""

    teams: dict[int, list[int]]
    leads: dict[int, int]
    report: UnitReport
    loads: pd.Series


@dataclass(frozen=True)
class Infeasible:
    """A unit without a plan: every reason found, in data terms."""

    reasons: list[str]
