"""Per-class problem rates (违法发现率) estimated from a history of inspections with results.

A history file has one row per past inspection. Three things are read from each row:

- its **risk class**: from ``[simulation] class_column`` (values mapped through
  ``class_map`` and then the grading scheme's labels and aliases), or, without that key, by
  looking the enterprise up in the directory (``[inputs] enterprises``);
- whether a **problem** was found: ``[simulation] problem_column`` (default: the history's
  ``result`` / 检查结果 column). A numeric column means a problem when the value is above 0
  (e.g. Chicago's ``criticalCount``); yes/no words (是/否, true/false) are read as such;
  official result categories (检查结果, either language, several per cell allowed; see
  :mod:`planner.common.categories`) count as a problem, no problem, or not inspected (closed,
  deregistered...: left out, like an empty cell);
- the **enterprise** (``id_column``, default ``enterprise_id`` / 统一社会信用代码) and the
  **date**, used to count the distinct enterprises per class when no directory is given.

Each class's rate gets a Beta posterior, ``Beta(a0 + problems, b0 + inspections - problems)``,
from the Jeffreys prior ``Beta(1/2, 1/2)`` (default) or the uniform prior ``Beta(1, 1)``
(``[simulation] prior``); the equal-tailed interval of the posterior is reported. Inspections
are counted, not enterprises: an enterprise inspected twice counts twice.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from planner.common.categories import outcome, parse_categories
from planner.common.errors import InputError, Problem, ScenarioError
from planner.common.grading import GradingScheme
from planner.common.io import read_table, sha256_file
from planner.common.schema import FALSE_WORDS, TRUE_WORDS

PRIORS: dict[str, tuple[float, float]] = {"jeffreys": (0.5, 0.5), "uniform": (1.0, 1.0)}

ID_SPELLINGS = ("enterprise_id", "统一社会信用代码", "credit_code", "uscc")
DATE_SPELLINGS = ("date", "检查日期", "检查完成日期", "inspection_date")
RESULT_SPELLINGS = ("result", "检查结果", "results")

@dataclass(frozen=True)
class History:
    """Past inspections with results, as the simulation uses them.

    Attributes
    ----------
    records : pandas.DataFrame
        One row per usable inspection: ``enterprise_id`` (``""`` when the file has none),
        ``risk_class``, ``problem`` (bool), ``date`` (datetime64, NaT when absent) and ``row``
        (the spreadsheet row, header = 1).
    label : str
        The file, for messages.
    path : pathlib.Path
        The file read.
    sha256 : str
        SHA-256 of the file's bytes.
    skipped : int
        Rows left out: no result recorded, or the enterprise was not inspected (closed...).
    warnings : list of Problem
        Problems that did not stop the run.
    """

    records: pd.DataFrame
    label: str
    path: Path
    sha256: str
    skipped: int = 0
    warnings: list[Problem] = field(default_factory=list)


def _key(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", str(text).strip().lstrip("\ufeff").lower())


def _find_column(
    frame: pd.DataFrame, given: str | None, spellings: Sequence[str], label: str, key: str,
    *, required: bool,
) -> str | None:
    """Return the column a scenario key names, or the first accepted spelling present."""
    by_key = {_key(c): c for c in frame.columns}
    if given is not None:
        if _key(given) in by_key:
            return by_key[_key(given)]
        table, name = key.split(".", 1) if "." in key else ("simulation", key)
        raise InputError([Problem(
            label,
            f"has no column {given!r} (named by [{table}] {name}); its columns are "
            f"{', '.join(map(str, frame.columns))}",
            row=1,
        )])
    for spelling in spellings:
        if _key(spelling) in by_key:
            return by_key[_key(spelling)]
    if required:
        raise InputError([Problem(
            label,
            f"no {key.removesuffix('_column')} column: name it with [simulation] {key} "
            f"(accepted headers: {' / '.join(spellings)})",
            row=1,
        )])
    return None


def parse_problems(
    values: pd.Series, label: str, column: str
) -> tuple[pd.Series, pd.Series, list[Problem]]:
    """Read a result column as "problem found" flags.

    Parameters
    ----------
    values : pandas.Series
        The column's cells as text.
    label : str
        The file, for messages.
    column : str
        The column's header, for messages.

    Returns
    -------
    tuple
        ``problem`` (bool Series), ``usable`` (bool Series: False where the cell is empty or
        says the enterprise was not inspected) and the problems found (one per unreadable
        cell).
    """
    text = values.astype(str).str.strip()
    empty = text == ""
    numbers = pd.to_numeric(text.where(~empty), errors="coerce")
    if (numbers.notna() | empty).all():
        negative = numbers < 0
        problems = [
            Problem(label, "a count of problems cannot be negative", row=int(i) + 2,
                    column=column, value=text.iloc[i])
            for i in np.flatnonzero(negative.to_numpy())
        ]
        return (numbers > 0).fillna(False).astype(bool), ~empty & ~negative, problems

    outcome = text.map({cell: _outcome(cell) for cell in pd.unique(text)})  # few distinct
    bad = outcome.isna() & ~empty
    problems = [
        Problem(
            label,
            "cannot tell whether a problem was found: write a count (0, 1, ...), yes/no "
            "(是/否) or an official result category such as 未发现问题 / 发现问题待后续处理",
            row=int(i) + 2, column=column, value=text.iloc[i],
        )
        for i in np.flatnonzero(bad.to_numpy())
    ]
    problem = (outcome == "problem").astype(bool)
    usable = outcome.isin(["problem", "clean"]).astype(bool)
    return problem, usable, problems


_WORDS = {**{w: "problem" for w in TRUE_WORDS if w}, **{w: "clean" for w in FALSE_WORDS if w}}


def _outcome(cell: str) -> str | None:
    """Return ``problem``, ``clean``, ``not_inspected`` or None (unreadable) for one cell."""
    word = _WORDS.get(cell.strip().lower())
    if word is not None:
        return word
    found, unknown = parse_categories(cell, "result")
    if unknown or not found:
        return None
    return outcome(found)


def read_history(
    path: str | Path,
    scheme: GradingScheme,
    *,
    class_column: str | None = None,
    class_map: Mapping[str, str] | None = None,
    problem_column: str | None = None,
    id_column: str | None = None,
    directory: pd.DataFrame | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    scenario: str | None = None,
    extra_columns: Mapping[str, str] | None = None,
) -> History:
    """Read a history of inspections with results.

    Parameters
    ----------
    path : str or pathlib.Path
        CSV (UTF-8 or GBK) or XLSX file.
    scheme : GradingScheme
        The classes the rates are for.
    class_column : str, optional
        Column holding each inspection's risk class; without it the class is looked up in
        ``directory`` by enterprise id.
    class_map : mapping, optional
        Value in ``class_column`` -> class label (or alias), e.g. ``"Risk 1 (High)" -> "high"``.
    problem_column : str, optional
        Column saying whether a problem was found (default: ``result`` / 检查结果).
    id_column : str, optional
        Column holding the enterprise id (default: ``enterprise_id`` / 统一社会信用代码).
    directory : pandas.DataFrame, optional
        The validated enterprises (``enterprise_id``, ``risk_class``), to look classes up.
    encoding : str, optional
        CSV encoding; detected when omitted.
    sheet : str, optional
        XLSX sheet; the first when omitted.
    scenario : str, optional
        The scenario file, for messages.
    extra_columns : mapping, optional
        Further columns to keep in the records as text, each with the scenario key that names
        it (for the message when it is missing), e.g. ``{"seriousCount": "learn.kind_columns"}``;
        the key ``"result"`` keeps the result column's text under the name ``result_text``.

    Returns
    -------
    History
        The usable records and what was left out.

    Raises
    ------
    InputError
        With every unreadable row (unknown class, unreadable result, missing column).
    ScenarioError
        When the class can be found neither in a column nor through the directory.
    """
    path = Path(path)
    label = _relative_label(path)
    raw = read_table(path, encoding=encoding, sheet=sheet, label=label)
    id_col = _find_column(raw, id_column, ID_SPELLINGS, label, "id_column", required=False)
    date_col = _find_column(raw, None, DATE_SPELLINGS, label, "date_column", required=False)
    result_col = _find_column(raw, problem_column, RESULT_SPELLINGS, label, "problem_column",
                              required=True)
    kept = {"result_text" if column == "result" else column:
            raw[result_col if column == "result" else
                _find_column(raw, column, (), label, key, required=True)]
            for column, key in (extra_columns or {}).items()}
    ids = (raw[id_col].astype(str).str.strip().str.upper() if id_col
           else pd.Series("", index=raw.index, dtype=object))

    problems: list[Problem] = []
    warnings: list[Problem] = []
    if class_column is not None:
        class_col = _find_column(raw, class_column, (), label, "class_column", required=True)
        classes, found = _classes_from_column(raw[class_col], scheme, class_map or {}, label,
                                              class_col)
        problems += found
        known = classes.notna()
    elif directory is not None and id_col is not None:
        lookup = dict(zip(directory["enterprise_id"], directory["risk_class"], strict=True))
        classes = ids.map(lookup)
        known = classes.notna()
        for i in np.flatnonzero(~known.to_numpy()):
            warnings.append(Problem(label, "enterprise not in the directory: row left out",
                                    row=int(i) + 2, column=id_col, value=ids.iloc[i],
                                    severity="warning"))
    else:
        raise ScenarioError(
            "the history has no risk class: set class_column (and class_map), or give "
            "[inputs] enterprises and an enterprise id column to look each class up",
            key="simulation.class_column", file=scenario,
        )

    problem, usable, found = parse_problems(raw[result_col], label, result_col)
    problems += found
    if problems:
        raise InputError(problems + warnings)
    dates = (pd.to_datetime(raw[date_col], errors="coerce") if date_col
             else pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]"))
    keep = (usable & known).to_numpy()
    records = pd.DataFrame({
        "enterprise_id": ids.to_numpy(dtype=object)[keep],
        "risk_class": classes.to_numpy(dtype=object)[keep],
        "problem": problem.to_numpy(dtype=bool)[keep],
        "date": dates.to_numpy()[keep],
        "row": np.arange(2, len(raw) + 2)[keep],
        **{name: values.astype(str).to_numpy(dtype=object)[keep] for name, values in kept.items()},
    })
    if records.empty:
        raise InputError([Problem(label, f"no inspection with a result in column {result_col!r}; "
                                         "the rates cannot be estimated")])
    return History(records, label, path, sha256_file(path),
                   skipped=int((~usable & known).sum()), warnings=warnings)


def _classes_from_column(
    values: pd.Series, scheme: GradingScheme, class_map: Mapping[str, str], label: str,
    column: str,
) -> tuple[pd.Series, list[Problem]]:
    text = values.astype(str).str.strip()
    mapped = text.map(lambda v: class_map.get(v, v))
    classes = mapped.map({v: scheme.normalise(v) for v in pd.unique(mapped)})  # few values
    problems = []
    bad = classes.isna().to_numpy()
    for value, rows in _group_rows(text[bad], np.flatnonzero(bad) + 2):
        shown = ", ".join(map(str, rows[:10])) + (" ..." if len(rows) > 10 else "")
        problems.append(Problem(
            label,
            f"class unknown to scheme {scheme.name!r} ({', '.join(scheme.classes)}) in "
            f"{len(rows)} row(s): {shown}; map it with [simulation] class_map",
            row=int(rows[0]), column=column, value=value,
        ))
    return classes.astype(object), problems


def _group_rows(values: pd.Series, rows: np.ndarray) -> list[tuple[str, list[int]]]:
    groups: dict[str, list[int]] = {}
    for value, row in zip(values.to_numpy(), rows, strict=True):
        groups.setdefault(str(value), []).append(int(row))
    return list(groups.items())


def _relative_label(path: Path) -> str:
    """Return the path relative to the working folder (``../shared/...``), else absolute."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def estimate_rates(
    records: pd.DataFrame,
    classes: Sequence[str],
    *,
    prior: str = "jeffreys",
    interval: float = 0.9,
) -> pd.DataFrame:
    """Estimate each class's problem rate with a Beta posterior.

    Parameters
    ----------
    records : pandas.DataFrame
        ``risk_class`` and ``problem`` (bool) per inspection (see :class:`History`).
    classes : sequence of str
        The classes to report, lowest risk first.
    prior : str
        ``"jeffreys"`` (Beta(1/2, 1/2)) or ``"uniform"`` (Beta(1, 1)).
    interval : float
        Probability of the equal-tailed posterior interval, e.g. 0.9.

    Returns
    -------
    pandas.DataFrame
        Indexed by class: ``inspections``, ``problems``, ``observed_rate`` (problems /
        inspections, NaN without inspections), ``alpha``, ``beta`` (posterior parameters),
        ``mean`` (posterior mean), ``low`` and ``high`` (interval bounds).
    """
    from scipy.special import betaincinv  # the Beta quantile function

    a0, b0 = PRIORS[prior]
    grouped = records.groupby("risk_class")["problem"]
    inspections = grouped.size().reindex(classes, fill_value=0).astype(int)
    found = grouped.sum().reindex(classes, fill_value=0).astype(int)
    alpha = a0 + found.to_numpy(dtype=float)
    beta = b0 + (inspections - found).to_numpy(dtype=float)
    tail = (1 - interval) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        observed = found.to_numpy(dtype=float) / inspections.to_numpy(dtype=float)
    return pd.DataFrame(
        {
            "inspections": inspections.to_numpy(),
            "problems": found.to_numpy(),
            "observed_rate": observed,
            "alpha": alpha,
            "beta": beta,
            "mean": alpha / (alpha + beta),
            "low": betaincinv(alpha, beta, tail),
            "high": betaincinv(alpha, beta, 1 - tail),
        },
        index=pd.Index(list(classes), name="risk_class"),
    )


def population_from_history(
    records: pd.DataFrame, classes: Sequence[str], *, scenario: str | None = None
) -> dict[str, int]:
    """Count distinct enterprises per class, each in the class of its latest inspection.

    Parameters
    ----------
    records : pandas.DataFrame
        ``enterprise_id``, ``risk_class``, ``date`` (NaT allowed) and ``row`` per inspection.
    classes : sequence of str
        The classes, lowest risk first.
    scenario : str, optional
        The scenario file, for messages.

    Returns
    -------
    dict
        Class -> number of distinct enterprises.

    Raises
    ------
    ScenarioError
        When the history has no enterprise ids to count.
    """
    ids = records["enterprise_id"]
    if (ids == "").all():
        raise ScenarioError(
            "the history has no enterprise id column to count enterprises per class: set "
            "id_column, or give [simulation] population or [inputs] enterprises",
            key="simulation.id_column", file=scenario,
        )
    named = records[ids != ""].sort_values(["date", "row"], kind="stable", na_position="first")
    latest = named.groupby("enterprise_id", sort=False)["risk_class"].last()
    counts = latest.value_counts()
    return {c: int(counts.get(c, 0)) for c in classes}
