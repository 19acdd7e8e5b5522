"""The learning table: one row per inspection (and per enterprise to score), every column known before.

:func:`inspection_table` joins, for each inspection of the history, the features derived from
its enterprise's earlier inspections (:mod:`planner.learn.features`), its class at the time,
the history columns that describe the enterprise (``[learn] history_features``) and the
directory's category, district and ``[learn] features`` columns. :func:`enterprise_table` does
the same for every enterprise of the directory (or of the history, without one) as of the
plan's start: the rows ``risk-scores.csv`` is made from.

:func:`leaking_columns` refuses a column that gives the outcome away: one whose values
separate the inspections with a problem from those without on the training rows (every
value that occurs twice or more holds only one outcome, or a number that orders them
perfectly), as a copy of the result under another name would.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.common.categories import outcome, parse_categories
from planner.learn.evaluate import auc
from planner.learn.features import history_features, kind_name

# Directory columns every enterprise has that describe it (besides its class).
DIRECTORY_CATEGORIES = ("category", "district")


@dataclass(frozen=True)
class Columns:
    """Which columns of the learning table enter the model, and how.

    Attributes
    ----------
    kinds : list of str
        Kinds of finding counted (``past_<kind>`` columns).
    numeric : list of str
        Numeric columns (the kinds' counts and numeric directory features).
    categorical : list of str
        Category columns (class, history features, directory categories).
    """

    kinds: list[str]
    numeric: list[str]
    categorical: list[str]


def result_kinds(texts: pd.Series) -> pd.DataFrame:
    """Return one bool column per official problem category found in the result texts.

    Parameters
    ----------
    texts : pandas.Series
        The history's result cells.

    Returns
    -------
    pandas.DataFrame
        Columns ``result:<category>`` (Chinese, canonical) for each problem category that
        occurs; empty when the cells are counts or yes/no words.
    """
    distinct = pd.unique(texts.astype(str))
    found = {}
    for text in distinct:
        cats, unknown = parse_categories(text, "result")
        if unknown:
            cats = []
        found[text] = {c.zh for c in cats if c.outcome == "problem" and outcome([c]) == "problem"}
    names = sorted(set().union(*found.values())) if found else []
    mapped = texts.astype(str).map(found)
    return pd.DataFrame({f"result:{n}": mapped.map(lambda s, n=n: n in s).to_numpy(dtype=bool)
                         for n in names}, index=texts.index)


def directory_columns(directory: pd.DataFrame | None, features: Sequence[str]) -> pd.DataFrame:
    """Return the directory's describing columns by enterprise id (empty without a directory)."""
    if directory is None:
        return pd.DataFrame(index=pd.Index([], name="enterprise_id"))
    names = [c for c in DIRECTORY_CATEGORIES if c in directory.columns]
    frame = directory[["enterprise_id", *names, *[f for f in features if f not in names]]]
    return frame.drop_duplicates("enterprise_id").set_index("enterprise_id")


def split_numeric(frame: pd.DataFrame, columns: Sequence[str]) -> tuple[list[str], list[str]]:
    """Return ``columns`` split into numeric ones (every non-empty cell a number) and the rest."""
    numeric, categorical = [], []
    for c in columns:
        text = frame[c].astype(str).str.strip()
        filled = text[text != ""]
        numbers = pd.to_numeric(filled, errors="coerce")
        (numeric if len(filled) and numbers.notna().all() else categorical).append(c)
    return numeric, categorical


def inspection_table(
    records: pd.DataFrame,
    kinds: pd.DataFrame,
    described: pd.DataFrame,
    history_columns: Sequence[str],
) -> pd.DataFrame:
    """Return one row per inspection with everything known before it.

    Parameters
    ----------
    records : pandas.DataFrame
        The history: ``enterprise_id``, ``date``, ``problem``, ``risk_class`` and the
        ``history_columns``.
    kinds : pandas.DataFrame
        One bool column per kind of finding, aligned with ``records``.
    described : pandas.DataFrame
        Directory columns by enterprise id (:func:`directory_columns`).
    history_columns : sequence of str
        History columns describing the enterprise at the time.

    Returns
    -------
    pandas.DataFrame
        Aligned with ``records``: the derived features, ``past_<kind>``, ``risk_class``, the
        history columns and the directory columns.
    """
    events = pd.concat([records[["enterprise_id", "date", "problem"]], kinds], axis=1)
    table = history_features(events, records[["enterprise_id", "date"]], list(kinds.columns))
    table["risk_class"] = records["risk_class"].astype(str).to_numpy()
    for c in history_columns:
        table[c] = records[c].astype(str).to_numpy()
    return _with_directory(table, records["enterprise_id"], described)


def enterprise_table(
    records: pd.DataFrame,
    kinds: pd.DataFrame,
    described: pd.DataFrame,
    history_columns: Sequence[str],
    enterprises: pd.DataFrame,
    when: pd.Timestamp,
) -> pd.DataFrame:
    """Return one row per enterprise to score, as known on ``when``.

    Parameters
    ----------
    records, kinds, described, history_columns
        As :func:`inspection_table`.
    enterprises : pandas.DataFrame
        ``enterprise_id`` and ``risk_class`` of every enterprise to score.
    when : pandas.Timestamp
        The date the scores are for (the plan's start): only inspections before it count.

    Returns
    -------
    pandas.DataFrame
        Aligned with ``enterprises``; a history column takes the enterprise's latest value
        before ``when`` (empty when none).
    """
    events = pd.concat([records[["enterprise_id", "date", "problem"]], kinds], axis=1)
    events = events[events["date"] < when]
    queries = pd.DataFrame({"enterprise_id": enterprises["enterprise_id"].to_numpy(),
                            "date": when}, index=enterprises.index)
    table = history_features(events, queries, list(kinds.columns))
    table["risk_class"] = enterprises["risk_class"].astype(str).to_numpy()
    if history_columns:
        earlier = records[records["date"] < when].sort_values(["date", "row"], kind="stable")
        latest = earlier.drop_duplicates("enterprise_id", keep="last").set_index("enterprise_id")
        for c in history_columns:
            table[c] = (enterprises["enterprise_id"].map(latest[c]).fillna("")
                        .astype(str).to_numpy())
    return _with_directory(table, enterprises["enterprise_id"], described)


def _with_directory(table: pd.DataFrame, ids: pd.Series, described: pd.DataFrame) -> pd.DataFrame:
    for c in described.columns:
        table[c] = ids.map(described[c]).fillna("").astype(str).to_numpy()
    return table


def leaking_columns(
    table: pd.DataFrame, problems: np.ndarray, columns: Mapping[str, str]
) -> list[tuple[str, str]]:
    """Return the columns whose values give the outcome away on these rows.

    Parameters
    ----------
    table : pandas.DataFrame
        The training rows.
    problems : numpy.ndarray
        Whether each row found a problem.
    columns : mapping
        Column -> the scenario key that named it.

    Returns
    -------
    list of tuple
        ``(column, key)`` of each column that separates the outcomes perfectly: as a number
        (its AUC is 0 or 1), or as categories (every value seen twice or more holds one
        outcome only, and such values cover at least 99 % of the rows).
    """
    y = np.asarray(problems, dtype=bool)
    if y.all() or not y.any():
        return []
    found = []
    for column, key in columns.items():
        text = table[column].astype(str).str.strip()
        numbers = pd.to_numeric(text, errors="coerce")
        if numbers.notna().all() and auc(numbers.to_numpy(), y) in (0.0, 1.0):
            found.append((column, key))
            continue
        stats = pd.DataFrame({"v": text.to_numpy(), "y": y}).groupby("v")["y"].agg(["size", "mean"])
        repeated = stats[stats["size"] >= 2]
        pure = repeated[(repeated["mean"] == 0) | (repeated["mean"] == 1)]
        if len(repeated) >= 2 and pure["size"].sum() >= 0.99 * len(y) and \
                0 < pure["mean"].mean() < 1:
            found.append((column, key))
    return found


def kind_columns_of(kinds: pd.DataFrame) -> list[str]:
    """Return the feature names of the kinds: ``past_<kind>``."""
    return [kind_name(k) for k in kinds.columns]
