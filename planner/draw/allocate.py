"""Allocation: how many enterprises to draw from each risk class (抽查比例, 检查频次).

Every mode returns per-class counts capped at the class's eligible count:

- ``ratios``: ``n_c = ceil(ratio_c * eligible_c)``, at most ``eligible_c``. Ratios are taken as the
  decimals written in the scenario, so ``0.03 * 100`` is exactly 3, not 4.
- ``frequency``: annual inspections per enterprise (e.g. food 2022: A 0.5, B 1, C 2, D 3)
  turned into this period's count: ``n_c = ceil(freq_c * eligible_c * days / 365)``, where
  ``days`` is the plan period (start to end inclusive). One plan visits an enterprise at most
  once, so a class whose frequency exceeds one visit per period is drawn whole.
- ``budget``: a total number of inspections split to maximise the expected problems found,
  ``sum(n_c * p_c)`` with per-class prevalence ``p_c``, subject to per-class floors and caps
  (as ratios of the eligible count). The objective is linear, so filling the floors and then
  the classes in decreasing prevalence (ties: higher risk first) is optimal.

:func:`spread` divides a class's count over districts by largest remainder, and
:func:`fit_capacity` scales counts down to what the roster can staff, lowest risk first.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction

from planner.common.errors import InfeasiblePlanError


def _exact(value: float) -> Fraction:
    """Return the decimal a user wrote (0.03), not its binary approximation."""
    return Fraction(str(value))


def by_ratios(eligible: Mapping[str, int], ratios: Mapping[str, float]) -> dict[str, int]:
    """Per-class counts ``ceil(ratio * eligible)``, capped at ``eligible``.

    Parameters
    ----------
    eligible : mapping
        Class -> number of eligible enterprises.
    ratios : mapping
        Class -> sampling ratio in 0..1 (classes without a ratio get 0).

    Returns
    -------
    dict
        Class -> count.
    """
    return {
        c: min(n, math.ceil(_exact(ratios.get(c, 0.0)) * n)) for c, n in eligible.items()
    }


def by_frequency(
    eligible: Mapping[str, int], frequency: Mapping[str, float], days: int
) -> dict[str, int]:
    """Per-class counts from annual inspection frequencies over a plan of ``days`` days.

    Parameters
    ----------
    eligible : mapping
        Class -> number of eligible enterprises.
    frequency : mapping
        Class -> inspections per enterprise per year.
    days : int
        Length of the plan period in days (start and end inclusive).

    Returns
    -------
    dict
        Class -> count, at most the eligible count.
    """
    share = Fraction(days, 365)
    return {
        c: min(n, math.ceil(_exact(frequency.get(c, 0.0)) * share * n))
        for c, n in eligible.items()
    }


def by_budget(
    eligible: Mapping[str, int],
    budget: int,
    prevalence: Mapping[str, float],
    *,
    floors: Mapping[str, float] | None = None,
    caps: Mapping[str, float] | None = None,
    order: list[str] | None = None,
) -> dict[str, int]:
    """Split ``budget`` inspections to maximise expected problems found.

    Parameters
    ----------
    eligible : mapping
        Class -> number of eligible enterprises.
    budget : int
        Total inspections available.
    prevalence : mapping
        Class -> share of enterprises with a problem.
    floors : mapping, optional
        Class -> minimum ratio of the eligible count (rounded up).
    caps : mapping, optional
        Class -> maximum ratio of the eligible count (rounded down); default 1.
    order : list of str, optional
        Classes lowest risk first, to break prevalence ties towards higher risk.

    Returns
    -------
    dict
        Class -> count; sums to ``min(budget, sum of caps)``.

    Raises
    ------
    InfeasiblePlanError
        When the floors alone need more than the budget, or a floor exceeds its cap.
    """
    floors = floors or {}
    caps = caps or {}
    order = order or list(eligible)
    low = {c: min(n, math.ceil(_exact(floors.get(c, 0.0)) * n)) for c, n in eligible.items()}
    high = {c: math.floor(_exact(caps.get(c, 1.0)) * n) for c, n in eligible.items()}
    reasons = [
        f"class {c}: floor needs {low[c]} but cap allows {high[c]}"
        for c in eligible if low[c] > high[c]
    ]
    if reasons:
        raise InfeasiblePlanError("per-class floors and caps contradict each other", reasons)
    need = sum(low.values())
    if need > budget:
        raise InfeasiblePlanError(
            f"the floors need {need} inspections but the budget is {budget}",
            [f"class {c}: floor {low[c]}" for c in eligible if low[c]],
        )
    counts = dict(low)
    left = budget - need
    rank = {c: i for i, c in enumerate(order)}
    for c in sorted(eligible, key=lambda c: (-prevalence.get(c, 0.0), -rank.get(c, 0))):
        take = min(left, high[c] - counts[c])
        counts[c] += take
        left -= take
    return counts


def spread(count: int, sizes: Mapping[str, int]) -> dict[str, int]:
    """Divide ``count`` over groups in proportion to their sizes (largest remainder).

    Ties in the remainder go to the larger group, then to the group name in sort order,
    so the split is deterministic. No group gets more than its size.

    Parameters
    ----------
    count : int
        What to divide (at most the sum of sizes).
    sizes : mapping
        Group -> number of eligible enterprises.

    Returns
    -------
    dict
        Group -> share, summing to ``count``.
    """
    total = sum(sizes.values())
    if total == 0 or count == 0:
        return {g: 0 for g in sizes}
    quotas = {g: Fraction(count * n, total) for g, n in sizes.items()}
    shares = {g: math.floor(q) for g, q in quotas.items()}
    left = count - sum(shares.values())
    by_remainder = sorted(sizes, key=lambda g: (-(quotas[g] - shares[g]), -sizes[g], str(g)))
    for g in by_remainder[:left]:
        shares[g] += 1
    return shares


def fit_capacity(
    counts: Mapping[str, int], capacity: int, order: list[str]
) -> tuple[dict[str, int], int]:
    """Scale counts down to ``capacity`` inspections, taking from the lowest-risk class first.

    Parameters
    ----------
    counts : mapping
        Class -> allocated count.
    capacity : int
        Inspections the roster can staff.
    order : list of str
        Classes lowest risk first.

    Returns
    -------
    tuple
        The reduced counts and how many inspections were removed.
    """
    out = dict(counts)
    excess = sum(out.values()) - capacity
    removed = 0
    for c in order:
        if excess <= 0:
            break
        take = min(out.get(c, 0), excess)
        out[c] = out.get(c, 0) - take
        excess -= take
        removed += take
    return out, removed
