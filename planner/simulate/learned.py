"""The strategy "learned score with floor" (学习评分加保底): what a learned targeting would find.

For a total of ``n`` inspections (the same as each ratio set's) the design keeps every
enterprise's chance of inspection, so the next results stay unbiased:

1. **floors**: in each class ``c``, ``m_c = ceil(floor_c * N_c)`` enterprises are drawn at
   random (``--floor`` / ``[sampling] floors``);
2. **exploration**: ``x = ceil(exploration * n)`` more are drawn at random from the whole
   population (``[simulation] exploration``, default 0.1);
3. **targeting**: the remaining ``r = n - sum(m_c) - x`` go to the highest predicted
   probabilities of ``risk-scores.csv`` (``planner learn``).

The targeted set ``T`` is taken first; the floors and the exploration draw from the rest, so an
enterprise ``i`` of class ``c`` outside ``T`` is inspected with probability
``pi_i = m_c / R_c + (1 - m_c / R_c) * x / (R - sum(m_c))`` (``R_c``, ``R``: the enterprises of
``c``, and of all classes, outside ``T``), never below ``floor_c``; inside ``T``, ``pi_i = 1``.

The world is the simulation's: each class's predicted probabilities are scaled so that their
mean is the class's problem rate used for the other strategies, so a random draw within a
class finds what the class-based strategies find, and only the ordering within classes differs.
Expected problems found: ``sum(pi_i * p_i)``; its interval is the normal approximation of
independent outcomes, ``sum(pi_i p_i (1 - pi_i p_i))`` as variance (the class rates' own
uncertainty, which the other strategies' intervals carry, is left out).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import ndtri

from planner.common.errors import InputError, Problem
from planner.common.io import read_table

STRATEGY = "learned-floor"


@dataclass(frozen=True)
class Scored:
    """The scored population: one row per enterprise, its class and calibrated probability."""

    risk_class: np.ndarray
    probability: np.ndarray
    label: str


def read_scores(path: str | Path, classes: Sequence[str], directory: pd.DataFrame | None
                ) -> Scored:
    """Read ``risk-scores.csv`` for the strategy.

    Parameters
    ----------
    path : str or pathlib.Path
        The scores file (``enterprise_id``, ``probability``, ``risk_class``).
    classes : sequence of str
        The scheme's classes.
    directory : pandas.DataFrame, optional
        The validated directory: only its active enterprises are kept, in its classes.

    Returns
    -------
    Scored
        The scored enterprises.

    Raises
    ------
    InputError
        For a missing column, a probability outside 0..1 or a class unknown to the scheme.
    """
    label = str(path)
    frame = read_table(Path(path), label=label)
    need = ["enterprise_id", "probability"] + ([] if directory is not None else ["risk_class"])
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise InputError([Problem(label, f"no column {missing[0]!r}: give the risk-scores.csv "
                                  "that planner learn writes", row=1)])
    ids = frame["enterprise_id"].astype(str).str.strip().str.upper()
    p = pd.to_numeric(frame["probability"], errors="coerce")
    bad = (p.isna() | (p < 0) | (p > 1)).to_numpy()
    problems = [Problem(label, "probability must be a number in 0..1", row=int(i) + 2,
                        column="probability", value=str(frame["probability"].iloc[i]))
                for i in np.flatnonzero(bad)[:20]]
    if problems:
        raise InputError(problems)
    if directory is not None:
        active = directory[directory["active"]]
        lookup = dict(zip(ids, p.to_numpy(dtype=float), strict=True))
        probability = active["enterprise_id"].map(lookup).to_numpy(dtype=float)
        unscored = np.isnan(probability)
        if unscored.any():
            raise InputError([Problem(label, f"{int(unscored.sum()):,} active enterprises of the "
                                      "directory have no score: learn again on this directory",
                                      value=str(active["enterprise_id"].iloc[
                                          int(np.flatnonzero(unscored)[0])]))])
        return Scored(active["risk_class"].to_numpy(dtype=object), probability, label)
    risk_class = frame["risk_class"].astype(str).to_numpy(dtype=object)
    unknown = sorted(set(risk_class) - set(classes))
    if unknown:
        raise InputError([Problem(label, f"class {unknown[0]!r} is not a class of the scheme "
                                  f"({', '.join(classes)})", column="risk_class")])
    return Scored(risk_class, p.to_numpy(dtype=float), label)


def calibrated(scored: Scored, rates: Mapping[str, float]) -> np.ndarray:
    """Return each enterprise's probability scaled so that its class's mean is the class rate."""
    p = scored.probability.copy()
    for c, rate in rates.items():
        mask = scored.risk_class == c
        if mask.any() and p[mask].mean() > 0:
            p[mask] = np.clip(p[mask] * rate / p[mask].mean(), 0, 1)
        elif mask.any():
            p[mask] = rate
    return p


@dataclass(frozen=True)
class Learned:
    """The strategy's figures for one total."""

    inspections: int
    expected_found: float
    found_low: int
    found_high: int
    per_class_inspections: dict[str, float]
    per_class_found: dict[str, float]
    targeted: int
    floors: int
    explored: int
    inclusion: np.ndarray


def learned_with_floor(
    scored: Scored,
    rates: Mapping[str, float],
    total: int,
    *,
    floors: Mapping[str, float] | None = None,
    exploration: float = 0.1,
    interval: float = 0.9,
) -> Learned | str:
    """Evaluate the learned targeting with floors and exploration for ``total`` inspections.

    Parameters
    ----------
    scored : Scored
        The scored population.
    rates : mapping
        Class -> the problem rate used by the simulation.
    total : int
        Inspections.
    floors : mapping, optional
        Class -> minimum inclusion probability.
    exploration : float
        Share of ``total`` drawn at random from the whole population.
    interval : float
        Probability of the interval.

    Returns
    -------
    Learned or str
        The figures, or why the design does not fit (the floors need more than ``total``).
    """
    p = calibrated(scored, rates)
    classes = list(rates)
    n_all = len(p)
    total = min(int(total), n_all)
    floor_n = {c: math.ceil((floors or {}).get(c, 0.0) * int((scored.risk_class == c).sum())
                            - 1e-9) for c in classes}
    explored = math.ceil(exploration * total - 1e-9)
    if sum(floor_n.values()) + explored > total:
        return (f"the floors ({sum(floor_n.values()):,}) and the exploration ({explored:,}) "
                f"need more than the {total:,} inspections")
    targeted = total - sum(floor_n.values()) - explored
    order = np.lexsort((np.arange(n_all), -p))
    pi = np.zeros(n_all)
    pi[order[:targeted]] = 1.0
    rest = pi == 0
    left = int(rest.sum()) - sum(floor_n.values())
    for c in classes:
        mask = rest & (scored.risk_class == c)
        r_c = int(mask.sum())
        first = floor_n[c] / r_c if r_c else 0.0
        pi[mask] = first + (1 - first) * (explored / left if left > 0 else 0.0)
    expected = float(np.sum(pi * p))
    q = pi * p
    sd = math.sqrt(float(np.sum(q * (1 - q))))
    z = float(ndtri(0.5 + interval / 2))
    return Learned(
        inspections=total, expected_found=expected,
        found_low=max(0, int(math.floor(expected - z * sd))),
        found_high=int(math.ceil(expected + z * sd)),
        per_class_inspections={c: float(pi[scored.risk_class == c].sum()) for c in classes},
        per_class_found={c: float(q[scored.risk_class == c].sum()) for c in classes},
        targeted=targeted, floors=sum(floor_n.values()), explored=explored, inclusion=pi,
    )


def add_learned(comparison, scored: Scored, rates: Mapping[str, float], *,
                floors: Mapping[str, float] | None, exploration: float, interval: float):
    """Return ``comparison`` with a ``learned-floor`` row per ratio set, at its total.

    Parameters
    ----------
    comparison : planner.simulate.stage.Comparison
        The ratio sets compared.
    scored : Scored
        The scored population.
    rates : mapping
        Class -> the problem rate used.
    floors : mapping, optional
        Class -> minimum inclusion probability.
    exploration : float
        Share drawn at random from the whole population.
    interval : float
        Probability of the interval.

    Returns
    -------
    Comparison
        With the new rows after each set's own, and a note where the design does not fit.
    """
    summary, by_class = comparison.summary, comparison.by_class
    rows, class_rows, notes = [], [], list(comparison.notes)
    for name, group in summary.groupby("ratio_set", sort=False):
        own = group[group["strategy"] == "risk-weighted"].iloc[0]
        uniform = group[group["strategy"] == "uniform"]
        found = learned_with_floor(scored, rates, int(own["inspections"]), floors=floors,
                                   exploration=exploration, interval=interval)
        if isinstance(found, str):
            notes.append(f"{name}: no learned targeting: {found}")
            continue
        n, ef = found.inspections, found.expected_found
        base = float(uniform["expected_found"].iloc[0]) if len(uniform) else np.nan
        floor_text = ",".join(f"{c}={v:g}" for c, v in (floors or {}).items())
        rows.append({
            "ratio_set": name, "strategy": STRATEGY,
            "ratios": f"floors {floor_text or 'none'}; exploration {exploration:g}",
            "inspections": n, "expected_found": ef, "found_mean": ef,
            "found_low": found.found_low, "found_high": found.found_high,
            "discovery_rate": ef / n if n else np.nan,
            "discovery_rate_low": found.found_low / n if n else np.nan,
            "discovery_rate_high": found.found_high / n if n else np.nan,
            "share_of_violators_found": ef / float(own["expected_violators"]),
            "compliant_inspected": n - ef, "expected_violators": own["expected_violators"],
            "gain_over_uniform": ef / base - 1 if base else np.nan,
        })
        for c in rates:
            pop = int((scored.risk_class == c).sum())
            k = found.per_class_inspections[c]
            class_rows.append({
                "ratio_set": name, "strategy": STRATEGY, "risk_class": c, "population": pop,
                "inspections": k, "ratio": k / pop if pop else 0.0, "prevalence": rates[c],
                "expected_violators": pop * rates[c],
                "expected_found": found.per_class_found[c],
                "compliant_inspected": k - found.per_class_found[c],
            })
    order = {n: i for i, n in enumerate(dict.fromkeys(summary["ratio_set"]))}
    summary = pd.concat([summary, pd.DataFrame(rows)], ignore_index=True)
    summary = summary.iloc[np.lexsort((np.arange(len(summary)),
                                       summary["ratio_set"].map(order).to_numpy()))]
    by_class = pd.concat([by_class, pd.DataFrame(class_rows)], ignore_index=True)
    by_class = by_class.iloc[np.lexsort((np.arange(len(by_class)),
                                         by_class["ratio_set"].map(order).to_numpy()))]
    return replace(comparison, summary=summary.reset_index(drop=True),
                   by_class=by_class.reset_index(drop=True), notes=notes)
