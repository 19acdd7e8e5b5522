"""Features known before each inspection (检查前可知的特征), derived from the history.

Every feature of an inspection is computed from what was known *before* its date: the
enterprise's earlier inspections (strictly earlier days: two inspections on one day do not see
each other) and what describes the enterprise (its class at the time, category, district, and
directory columns named in ``[learn] features``). The inspection's own outcome, and anything
after it, never enters: :func:`history_features` takes the outcomes only to count them for
*later* inspections, through an as-of join on the day before.

The same function gives the features of every enterprise as of a reference date (the plan's
start), the inputs of ``risk-scores.csv``.

Derived columns (one row per query):

``inspections_so_far``, ``past_problems``, ``past_problem_share`` (past problems /
inspections so far, 0 at a first visit), ``past_<kind>`` (per kind of finding),
``days_since_last`` (0 at a first visit), ``first_visit`` (1/0), ``last_found_problem`` (1/0).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

COUNTS = ("inspections_so_far", "past_problems")
DERIVED = ("inspections_so_far", "past_problems", "past_problem_share", "days_since_last",
           "first_visit", "last_found_problem")


def kind_name(kind: str) -> str:
    """Return the feature name of a kind of finding: ``past_<kind>``."""
    return f"past_{kind}"


def history_features(
    events: pd.DataFrame,
    queries: pd.DataFrame,
    kinds: Sequence[str] = (),
) -> pd.DataFrame:
    """Count, for each query (enterprise, date), what its earlier inspections found.

    Parameters
    ----------
    events : pandas.DataFrame
        Past inspections: ``enterprise_id``, ``date`` (datetime64, no NaT), ``problem``
        (bool) and one bool column per name in ``kinds``.
    queries : pandas.DataFrame
        ``enterprise_id`` and ``date`` (datetime64): the moments features are wanted for.
    kinds : sequence of str
        Kinds of finding to count (columns of ``events``).

    Returns
    -------
    pandas.DataFrame
        Aligned with ``queries`` (same index): the :data:`DERIVED` columns and
        ``past_<kind>`` per kind, all from events dated strictly before the query's date.
    """
    kinds = list(kinds)
    flags = ["problem", *kinds]
    events = events.assign(date=events["date"].astype("datetime64[ns]"))
    day = (events[["enterprise_id", "date", *flags]]
           .astype({f: np.int64 for f in flags})
           .groupby(["enterprise_id", "date"], sort=True).agg(["sum", "size"]))
    table = pd.DataFrame({
        "enterprise_id": day.index.get_level_values(0),
        "last_date": day.index.get_level_values(1),
        "n": day[("problem", "size")].to_numpy(),
        **{f: day[(f, "sum")].to_numpy() for f in flags},
    })
    grouped = table.groupby("enterprise_id", sort=False)
    cumulative = grouped[["n", *flags]].cumsum()
    table["last_problem"] = (table["problem"] > 0).astype(np.int64)
    table[["n", *flags]] = cumulative
    table = table.sort_values(["last_date", "enterprise_id"], kind="stable")

    q = pd.DataFrame({"enterprise_id": queries["enterprise_id"].to_numpy(),
                      "date": queries["date"].astype("datetime64[ns]").to_numpy(),
                      "_order": np.arange(len(queries))})
    q = q.sort_values(["date", "enterprise_id"], kind="stable")
    joined = pd.merge_asof(q, table, left_on="date", right_on="last_date", by="enterprise_id",
                           allow_exact_matches=False, direction="backward")
    joined = joined.sort_values("_order", kind="stable")
    seen = joined["n"].notna().to_numpy()
    days = (joined["date"] - joined["last_date"]).dt.days.to_numpy(dtype=float)
    out = pd.DataFrame(index=queries.index)
    out["inspections_so_far"] = np.where(seen, joined["n"].to_numpy(dtype=float), 0.0)
    out["past_problems"] = np.where(seen, joined["problem"].to_numpy(dtype=float), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = out["past_problems"].to_numpy() / out["inspections_so_far"].to_numpy()
    out["past_problem_share"] = np.where(seen, share, 0.0)
    out["days_since_last"] = np.where(seen, days, 0.0)
    out["first_visit"] = (~seen).astype(float)
    out["last_found_problem"] = np.where(seen, joined["last_problem"].to_numpy(dtype=float), 0.0)
    for k in kinds:
        out[kind_name(k)] = np.where(seen, joined[k].to_numpy(dtype=float), 0.0)
    return out
