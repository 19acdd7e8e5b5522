"""A batch's draw in terms the ordinary draw understands, and its projection.

The batch scenario draws from the batch's candidates (:attr:`Needs.frame` ``candidate``) with
the must-draws on its inclusion list and, per class, a ratio whose ``ceil(ratio * candidates)``
is exactly the batch's count (:func:`exact_ratio`). The draw itself is then the ordinary
ticket rule with the batch's seed, so ``planner verify`` checks it unchanged.

:func:`pick` makes the same choice in memory (the must-draws and the lowest tickets of the
rest, per class) to project the batches not yet planned.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pandas as pd

from planner.draw import allocate, tickets
from planner.draw.quotas import INCLUDED
from planner.programme.needs import Needs


def exact_ratio(count: int, eligible: int) -> float:
    """Return the shortest decimal ``r`` with ``ceil(r * eligible) == count``.

    Parameters
    ----------
    count : int
        Enterprises to draw, ``0 <= count <= eligible``.
    eligible : int
        Candidates in the class.

    Returns
    -------
    float
        A short decimal such as 0.4 (1.0 when the whole class is drawn, 0.0 for none); the
        allocation reads it back as the decimal it prints as.

    Raises
    ------
    ValueError
        When ``count`` is outside ``0..eligible``.
    """
    if not 0 <= count <= eligible:
        raise ValueError(f"count {count} outside 0..{eligible}")
    if count in (0, eligible):
        return float(count > 0)
    share = Fraction(count, eligible)
    for digits in range(1, 18):
        scale = 10 ** digits
        r = float(Fraction(math.floor(share * scale), scale))
        if math.ceil(Fraction(repr(r)) * eligible) == count:
            return r
    raise AssertionError("unreachable: count/eligible has a decimal within 1/eligible")


def class_counts(needs: Needs) -> dict[str, int]:
    """Return the batch's count per class (bounded by the candidates)."""
    return {c: v["count"] for c, v in needs.classes.items()}


def pick(needs: Needs, spread_over: str | None = None) -> pd.DataFrame:
    """Choose the batch's enterprises as the batch's draw does: must-draws, then lowest tickets.

    Strata follow :func:`planner.draw.quotas.stratum_labels`: the must-draws form
    ``{class}/included``; the rest of a class is one stratum, or one per district with
    ``spread_over = "district"`` (the count spread by largest remainder, as the draw does).

    Parameters
    ----------
    needs : Needs
        The needs before the batch.
    spread_over : str, optional
        ``[sampling] spread_over`` of the programme.

    Returns
    -------
    pandas.DataFrame
        enterprise_id, risk_class, stratum, must, not_before of the chosen enterprises.
    """
    columns = ["enterprise_id", "risk_class", "stratum", "must", "not_before"]
    frame = needs.frame[needs.frame["candidate"]].copy()
    frame["ticket"] = [tickets.ticket(needs.batch.seed, e) for e in frame["enterprise_id"]]
    frame["stratum"] = frame["risk_class"].astype(str)
    if spread_over == "district":
        frame["stratum"] = frame["stratum"] + "/" + frame["district"].astype(str)
    frame.loc[frame["must"], "stratum"] = frame["risk_class"].astype(str) + f"/{INCLUDED}"
    chosen = [frame.iloc[:0][columns]]
    for c, info in needs.classes.items():
        rows = frame[frame["risk_class"] == c]
        must = rows[rows["must"]]
        rest = rows[~rows["must"]].sort_values(["ticket", "enterprise_id"], kind="stable")
        sizes = rest.groupby("stratum", sort=True).size().to_dict()
        shares = allocate.spread(max(0, info["count"] - len(must)), sizes)
        chosen.append(must[columns])
        for stratum in sorted(shares):
            chosen.append(rest[rest["stratum"] == stratum].head(shares[stratum])[columns])
    return pd.concat(chosen, ignore_index=True)
