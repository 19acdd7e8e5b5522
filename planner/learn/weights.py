"""Weights from the draw: each inspection counts by the inverse of its inclusion probability.

Where the history comes from planner's own plans, the draw records say how each inspected
enterprise came to be drawn: in its stratum, ``drawn`` of ``eligible`` enterprises were drawn
at random (by ticket), so its inclusion probability is ``drawn / eligible`` (a listed
enterprise's stratum has probability 1). An inspection in the plan's period of an enterprise
that record drew (or took as a replacement) gets the weight ``eligible / drawn``: the
enterprises it stands for. Weighted, the inspections speak for the whole directory rather than
for the classes drawn most (Horvitz-Thompson; the rates below are the ratio, or Hajek, form).

A weighted draw (``weight_by``) has no such probability per stratum: its record is refused.
An inspection that no record drew was not part of a random draw (a complaint, a referral, a
plan made elsewhere): with draw records it is left out of the learning, and counted.

:func:`class_rates` gives each class's problem rate, weighted, with a Jeffreys interval on
Kish's effective number of inspections (``(sum w)^2 / sum w^2``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import betaincinv

from planner.common.errors import InputError, Problem
from planner.plan import folder


@dataclass(frozen=True)
class DrawWeights:
    """Inclusion probabilities of the history's inspections.

    Attributes
    ----------
    probability : numpy.ndarray
        Per history row: its enterprise's inclusion probability in the draw that chose it
        (NaN when no record drew it).
    risk_class : numpy.ndarray
        Per history row: the class of the stratum it was drawn in (None when not drawn).
    plans : list of str
        The plan ids of the records read.
    """

    probability: np.ndarray
    risk_class: np.ndarray
    plans: list[str]

    @property
    def matched(self) -> np.ndarray:
        """Rows that a record drew."""
        return ~np.isnan(self.probability)


def read_draws(paths: Sequence[Path]) -> pd.DataFrame:
    """Read the drawn enterprises of draw records, with their inclusion probabilities.

    Parameters
    ----------
    paths : sequence of pathlib.Path
        ``draw-record.json`` files.

    Returns
    -------
    pandas.DataFrame
        One row per drawn (or replacing) enterprise and record: ``plan``, ``start``, ``end``
        (datetime64), ``enterprise_id``, ``stratum``, ``risk_class``, ``probability``.

    Raises
    ------
    InputError
        When a record is unreadable or a stratum states no eligible and drawn counts.
    """
    frames = []
    for path in paths:
        record = folder.read_record(Path(path).parent)
        label = str(path)
        if ((record.get("parameters") or {}).get("sampling") or {}).get("weight_by"):
            raise InputError([Problem(label, "the draw was weighted (weight_by): its inclusion "
                                      "probabilities are not drawn / eligible of a stratum, so "
                                      "its inspections cannot be weighted; learn from plans "
                                      "drawn by class or by score bands", column="parameters")])
        strata = record.get("strata") or {}
        rows = [(d["enterprise_id"], d["stratum"]) for d in record.get("drawn", [])]
        rows += [(r["replaced_by"], r["stratum"]) for r in record.get("replacements", [])
                 if r.get("replaced_by")]
        problems, probability, classes = [], [], []
        for _eid, stratum in rows:
            s = strata.get(stratum)
            if not s or not s.get("eligible") or s.get("drawn") is None:
                problems.append(Problem(label, "the record states no eligible and drawn count "
                                        "for this stratum", column="strata", value=stratum))
                probability.append(np.nan)
                classes.append(None)
                continue
            probability.append(min(1.0, s["drawn"] / s["eligible"]))
            classes.append(s.get("class"))
        if problems:
            raise InputError(problems[:20])
        plan = record["plan"]
        frames.append(pd.DataFrame({
            "plan": plan["id"],
            "start": pd.Timestamp(plan["start"]),
            "end": pd.Timestamp(plan["end"]),
            "enterprise_id": [str(e).strip().upper() for e, _ in rows],
            "stratum": [s for _, s in rows],
            "risk_class": classes,
            "probability": probability,
        }))
    if not frames:
        return pd.DataFrame(columns=["plan", "start", "end", "enterprise_id", "stratum",
                                     "risk_class", "probability"])
    return pd.concat(frames, ignore_index=True)


def draw_weights(records: pd.DataFrame, draws: pd.DataFrame) -> DrawWeights:
    """Match each inspection to the draw that chose it.

    Parameters
    ----------
    records : pandas.DataFrame
        The history: ``enterprise_id`` and ``date`` per inspection.
    draws : pandas.DataFrame
        As :func:`read_draws`.

    Returns
    -------
    DrawWeights
        An inspection is matched to a record that drew its enterprise and whose plan period
        holds its date (the first such record, in the order given); each drawn enterprise
        of a record is matched to one inspection, its first in the period.
    """
    n = len(records)
    probability = np.full(n, np.nan)
    risk_class = np.full(n, None, dtype=object)
    if len(draws):
        rows = pd.DataFrame({"enterprise_id": records["enterprise_id"].to_numpy(),
                             "date": records["date"].to_numpy(), "_row": np.arange(n)})
        joined = rows.merge(draws.reset_index(names="_draw"), on="enterprise_id")
        inside = joined[(joined["date"] >= joined["start"]) & (joined["date"] <= joined["end"])]
        # One draw, one inspection: the first of the enterprise's inspections in the period
        # (a later one, a complaint or a follow-up, was not drawn); one draw per inspection.
        first = (inside.sort_values(["_draw", "date", "_row"]).drop_duplicates("_draw")
                 .sort_values(["_row", "_draw"]).drop_duplicates("_row"))
        probability[first["_row"].to_numpy()] = first["probability"].to_numpy(dtype=float)
        risk_class[first["_row"].to_numpy()] = first["risk_class"].to_numpy(dtype=object)
    return DrawWeights(probability, risk_class, list(dict.fromkeys(draws["plan"])))


def class_rates(
    classes: Sequence[str],
    risk_class: np.ndarray,
    problems: np.ndarray,
    weights: np.ndarray,
    *,
    interval: float = 0.9,
) -> pd.DataFrame:
    """Return each class's problem rate, unweighted and weighted, with intervals.

    Parameters
    ----------
    classes : sequence of str
        The classes, lowest risk first; a last row ``all`` covers every inspection.
    risk_class : numpy.ndarray
        Each inspection's class.
    problems : numpy.ndarray
        Whether it found a problem.
    weights : numpy.ndarray
        Its weight (1 without draw records).
    interval : float
        Probability of the equal-tailed Jeffreys interval.

    Returns
    -------
    pandas.DataFrame
        ``risk_class``, ``inspections``, ``problems``, ``observed_rate`` (unweighted),
        ``weighted_rate``, ``effective_inspections`` (Kish), ``low``, ``high``.
    """
    y = np.asarray(problems, dtype=bool)
    w = np.asarray(weights, dtype=float)
    tail = (1 - interval) / 2
    rows = []
    for c in [*classes, "all"]:
        mask = np.ones(len(y), bool) if c == "all" else (np.asarray(risk_class) == c)
        n, k = int(mask.sum()), int(y[mask].sum())
        if n == 0:
            rows.append({"risk_class": c, "inspections": 0, "problems": 0,
                         "observed_rate": np.nan, "weighted_rate": np.nan,
                         "effective_inspections": 0.0, "low": np.nan, "high": np.nan})
            continue
        wm = w[mask]
        rate = float(np.sum(wm * y[mask]) / np.sum(wm))
        n_eff = float(np.sum(wm) ** 2 / np.sum(wm ** 2))
        a, b = 0.5 + rate * n_eff, 0.5 + (1 - rate) * n_eff
        rows.append({"risk_class": c, "inspections": n, "problems": k, "observed_rate": k / n,
                     "weighted_rate": rate, "effective_inspections": n_eff,
                     "low": float(betaincinv(a, b, tail)),
                     "high": float(betaincinv(a, b, 1 - tail))})
    return pd.DataFrame(rows)
