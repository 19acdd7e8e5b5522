"""How well an ordering finds problems on the holdout (检验集).

An *ordering* gives each holdout inspection a score: the official class (its rank in the
scheme, higher = riskier), the learned model's probability, or a random number from the seed.
For each ordering:

- ``auc``: the probability that a random inspection with a problem scores above a random one
  without, ties counting half (Mann-Whitney). It uses the scores alone, so the class
  ordering's AUC is exact despite its many ties. With weights (inverse inclusion
  probabilities), each pair counts by the product of its two weights.
- ``auc_interval``: the equal-tailed bootstrap interval: the holdout's inspections resampled
  with replacement (counts from the seed), the AUC recomputed each time; the orderings are
  evaluated on the same resamples.
- a *schedule*: the inspections in decreasing score, ties broken by a random key from the
  seed (the class ordering's ties are broken at random, not by the data's order). On it:
  ``first_half_share`` (the share of the problems found in the first half of the schedule,
  the City of Chicago's measure), ``hit_rate_top_decile`` (problems / inspections in the
  first tenth) and ``found_at_budget`` (problems found in the first ``budget`` inspections,
  the plan's own number). With weights, "the first half" is the first half of the total
  weight, and problems are counted by weight.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _groups(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the ascending order of ``scores`` and the start of each run of equal scores."""
    order = np.argsort(scores, kind="stable")
    s = scores[order]
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    return order, starts


def auc(scores: np.ndarray, problems: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Return the (weighted) Mann-Whitney AUC, ties counting half.

    Parameters
    ----------
    scores : numpy.ndarray
        Higher = riskier.
    problems : numpy.ndarray
        Whether each inspection found a problem (bool).
    weights : numpy.ndarray, optional
        Each inspection's weight (default 1).

    Returns
    -------
    float
        In 0..1; NaN when there are no problems or no clean inspections.
    """
    scores = np.asarray(scores, dtype=float)
    y = np.asarray(problems, dtype=bool)
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    order, starts = _groups(scores)
    return float(_auc_many(order, starts, y, w[None, :])[0])


def _auc_many(order: np.ndarray, starts: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """AUC for each row of weights ``w`` (reps x n) over one fixed ordering."""
    yo = y[order]
    wo = w[:, order]
    pos = np.add.reduceat(np.where(yo, wo, 0.0), starts, axis=1)
    neg = np.add.reduceat(np.where(yo, 0.0, wo), starts, axis=1)
    below = np.cumsum(neg, axis=1) - neg
    total_pos, total_neg = pos.sum(axis=1), neg.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (pos * (below + 0.5 * neg)).sum(axis=1) / (total_pos * total_neg)


def bootstrap_counts(n: int, reps: int, rng: np.random.Generator) -> np.ndarray:
    """Return ``reps`` bootstrap resamples of ``n`` items as counts (reps x n)."""
    picks = rng.integers(0, n, size=(reps, n)) + (np.arange(reps) * n)[:, None]
    return np.bincount(picks.ravel(), minlength=reps * n).reshape(reps, n).astype(float)


def auc_intervals(
    scores: dict[str, np.ndarray],
    problems: np.ndarray,
    weights: np.ndarray | None,
    rng: np.random.Generator,
    *,
    reps: int = 1000,
    interval: float = 0.9,
) -> dict[str, tuple[float, float]]:
    """Return the bootstrap interval of each ordering's AUC, on the same resamples.

    Parameters
    ----------
    scores : dict
        Ordering -> its scores (higher = riskier).
    problems, weights : numpy.ndarray
        As :func:`auc`.
    rng : numpy.random.Generator
        The resampling stream (from the plan's seed).
    reps : int
        Bootstrap replications: each resamples the inspections with replacement, and every
        ordering is evaluated on the same resample.
    interval : float
        Probability of the equal-tailed interval.

    Returns
    -------
    dict
        Ordering -> ``(low, high)``.
    """
    y = np.asarray(problems, dtype=bool)
    n = len(y)
    base = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    groups = {name: _groups(np.asarray(s, dtype=float)) for name, s in scores.items()}
    found: dict[str, list[np.ndarray]] = {name: [] for name in scores}
    chunk = max(1, 2_000_000 // max(n, 1))
    for done in range(0, reps, chunk):
        counts = bootstrap_counts(n, min(chunk, reps - done), rng) * base
        for name, (order, starts) in groups.items():
            found[name].append(_auc_many(order, starts, y, counts))
    tail = (1 - interval) / 2
    out = {}
    for name, values in found.items():
        low, high = np.nanquantile(np.concatenate(values), [tail, 1 - tail])
        out[name] = (float(low), float(high))
    return out


def schedule(scores: np.ndarray, tiebreak: np.ndarray) -> np.ndarray:
    """Return the inspections in schedule order: decreasing score, ties by ``tiebreak``."""
    return np.lexsort((tiebreak, -np.asarray(scores, dtype=float)))


@dataclass(frozen=True)
class ScheduleFigures:
    """What a schedule in one ordering finds.

    Attributes
    ----------
    first_half_share : float
        Share of the problems found in the first half.
    hit_rate_top_decile : float
        Problems / inspections in the first tenth.
    found_at_budget : float
        Problems found in the first ``budget`` inspections (by weight, with weights).
    share_at_budget : float
        That, as a share of all the holdout's problems.
    curve : numpy.ndarray
        (share inspected, share of problems found) after each inspection, from (0, 0).
    """

    first_half_share: float
    hit_rate_top_decile: float
    found_at_budget: float
    share_at_budget: float
    curve: np.ndarray


def schedule_figures(
    order: np.ndarray, problems: np.ndarray, weights: np.ndarray | None, budget: int
) -> ScheduleFigures:
    """Return the schedule metrics of one ordering.

    Parameters
    ----------
    order : numpy.ndarray
        The inspections in schedule order (:func:`schedule`).
    problems : numpy.ndarray
        Whether each inspection found a problem (bool).
    weights : numpy.ndarray, optional
        Each inspection's weight (default 1).
    budget : int
        Inspections the plan makes: the first ``budget`` of the schedule (of the
        inspections in order, whatever their weight).

    Returns
    -------
    ScheduleFigures
        The figures and the curve.
    """
    y = np.asarray(problems, dtype=bool)[order]
    w = (np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float))[order]
    found = np.cumsum(np.where(y, w, 0.0))
    spent = np.cumsum(w)
    total_found, total = (found[-1], spent[-1]) if len(y) else (0.0, 0.0)
    half = int(np.searchsorted(spent, total / 2, side="right"))
    tenth = max(1, int(np.searchsorted(spent, total / 10, side="right")))
    first_half = found[half - 1] if half else 0.0
    top = found[tenth - 1] / spent[tenth - 1] if len(y) else np.nan
    b = min(max(int(budget), 0), len(y))
    at_budget = found[b - 1] if b else 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        curve = np.column_stack([np.r_[0.0, spent / total], np.r_[0.0, found / total_found]])
        return ScheduleFigures(
            first_half_share=float(first_half / total_found) if total_found else np.nan,
            hit_rate_top_decile=float(top),
            found_at_budget=float(at_budget),
            share_at_budget=float(at_budget / total_found) if total_found else np.nan,
            curve=curve,
        )
