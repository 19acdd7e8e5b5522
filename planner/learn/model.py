"""The learned model: a regularised logistic regression a reader can apply by hand.

:func:`build_features` decides, from the training rows alone, which columns become which model
inputs (a count through ``log1p``, a share or flag as is, a category level as a 0/1 indicator,
a directory number with its missing values filled by the training median); :func:`fit` fits
scikit-learn's L2-regularised ``LogisticRegression`` (lbfgs, deterministic) on standardised
inputs with the inspections' weights, and folds the standardisation back into the
coefficients, so that

    log-odds = intercept + sum(coefficient_j * input_j),   probability = 1 / (1 + exp(-log-odds))

with ``input_j`` the feature as :attr:`Feature.name` states it (``log1p(inspections_so_far)``,
``category = Restaurant``, ...). ``risk-model.json`` holds exactly these numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

# Derived history columns and how each enters the model.
TRANSFORMS = {
    "inspections_so_far": "log1p",
    "past_problems": "log1p",
    "past_problem_share": "identity",
    "days_since_last": "log1p",
    "first_visit": "identity",
    "last_found_problem": "identity",
}


@dataclass(frozen=True)
class Feature:
    """One input of the model.

    Attributes
    ----------
    name : str
        How a reader computes it, e.g. ``log1p(days_since_last)`` or ``risk_class = high``.
    column : str
        The column it is computed from.
    transform : str
        ``"log1p"``, ``"identity"``, ``"indicator"`` (1 when the column equals ``level``) or
        ``"missing"`` (1 when the column is empty).
    level : str or None
        The category level, for ``"indicator"``.
    fill : float or None
        The value used where a number is missing (the training median).
    """

    name: str
    column: str
    transform: str
    level: str | None = None
    fill: float | None = None

    def values(self, table: pd.DataFrame) -> np.ndarray:
        """Return this input for every row of ``table``."""
        return self.values_of(table[self.column])

    def values_of(self, raw: pd.Series | np.ndarray) -> np.ndarray:
        """Return this input from its column's cells (text for an indicator, else numbers)."""
        if self.transform == "indicator":
            return (np.asarray(raw, dtype=object) == self.level).astype(float)
        numbers = pd.to_numeric(pd.Series(raw), errors="coerce").to_numpy(dtype=float)
        if self.transform == "missing":
            return np.isnan(numbers).astype(float)
        if self.fill is not None:
            numbers = np.where(np.isnan(numbers), self.fill, numbers)
        if self.transform == "log1p":
            return np.log1p(np.clip(numbers, 0, None))
        return numbers

    def to_dict(self) -> dict:
        """Return the feature as ``risk-model.json`` states it."""
        out = {"name": self.name, "column": self.column, "transform": self.transform}
        if self.level is not None:
            out["level"] = self.level
        if self.fill is not None:
            out["fill"] = self.fill
        return out


@dataclass(frozen=True)
class Model:
    """A fitted model, on the inputs' own scale.

    Attributes
    ----------
    features : list of Feature
        The inputs, in order.
    coefficients : numpy.ndarray
        One per feature.
    intercept : float
        The log-odds when every input is 0.
    """

    features: list[Feature]
    coefficients: np.ndarray
    intercept: float

    def design(self, table: pd.DataFrame) -> np.ndarray:
        """Return the input matrix of ``table`` (rows x features)."""
        return design_matrix(self.features, table)

    def log_odds(self, table: pd.DataFrame) -> np.ndarray:
        """Return each row's predicted log-odds of a problem."""
        return self.design(table) @ self.coefficients + self.intercept

    def probability(self, table: pd.DataFrame) -> np.ndarray:
        """Return each row's predicted probability of a problem."""
        return 1.0 / (1.0 + np.exp(-self.log_odds(table)))


def design_matrix(features: Sequence[Feature], table: pd.DataFrame) -> np.ndarray:
    """Return the inputs of ``table`` as a float matrix, one column per feature."""
    if not features:
        return np.zeros((len(table), 0))
    cells: dict[tuple[str, bool], np.ndarray] = {}  # each column converted once
    out = np.empty((len(table), len(features)))
    for j, f in enumerate(features):
        text = f.transform == "indicator"
        if (f.column, text) not in cells:
            column = table[f.column]
            cells[f.column, text] = (column.astype(str).to_numpy(dtype=object) if text
                                     else pd.to_numeric(column, errors="coerce")
                                     .to_numpy(dtype=float))
        out[:, j] = f.values_of(cells[f.column, text])
    return out


def build_features(
    train: pd.DataFrame,
    *,
    numeric: Sequence[str],
    categorical: Sequence[str],
    min_level_count: int = 20,
) -> list[Feature]:
    """Decide the model's inputs from the training rows.

    Parameters
    ----------
    train : pandas.DataFrame
        The training rows with the derived history columns (:data:`TRANSFORMS`, kinds as
        ``past_<kind>``), and the columns named below.
    numeric : sequence of str
        Numeric columns besides the derived ones (kinds ``past_<kind>`` enter through
        ``log1p``, other numbers as they are, their gaps filled with the training median).
    categorical : sequence of str
        Category columns: each level seen in at least ``min_level_count`` training rows
        becomes an indicator; rarer levels, and levels first seen later, share the baseline.
    min_level_count : int
        See ``categorical``.

    Returns
    -------
    list of Feature
        In a fixed order: derived, numeric, then each category's levels sorted.
    """
    features = [Feature(f"{t}({c})" if t != "identity" else c, c, t)
                for c, t in TRANSFORMS.items()]
    for column in numeric:
        if column.startswith("past_"):
            features.append(Feature(f"log1p({column})", column, "log1p"))
            continue
        numbers = pd.to_numeric(train[column], errors="coerce")
        median = float(numbers.median()) if numbers.notna().any() else 0.0
        features.append(Feature(column, column, "identity", fill=median))
        if numbers.isna().any():
            features.append(Feature(f"{column} missing", column, "missing"))
    for column in categorical:
        counts = train[column].astype(str).value_counts()
        for level in sorted(counts.index[counts >= min_level_count]):
            if level == "":
                continue
            features.append(Feature(f"{column} = {level}", column, "indicator", level=level))
    return features


def fit(
    train: pd.DataFrame,
    problems: np.ndarray,
    weights: np.ndarray,
    features: list[Feature],
    *,
    regularisation: float = 1.0,
) -> Model:
    """Fit the L2-regularised logistic regression with the inspections' weights.

    Parameters
    ----------
    train : pandas.DataFrame
        The training rows.
    problems : numpy.ndarray
        Whether each row found a problem (bool).
    weights : numpy.ndarray
        Each row's weight (inverse inclusion probability; 1 without draw records), rescaled
        here to mean 1 so that ``regularisation`` means the same at any size.
    features : list of Feature
        The inputs (:func:`build_features`).
    regularisation : float
        scikit-learn's ``C``: the inverse strength of the L2 penalty on the standardised
        coefficients.

    Returns
    -------
    Model
        With the coefficients on the inputs' own scale.
    """
    x = design_matrix(features, train)
    w = np.asarray(weights, dtype=float)
    w = w / w.mean()
    mean = np.average(x, axis=0, weights=w) if x.shape[1] else np.zeros(0)
    sd = np.sqrt(np.average((x - mean) ** 2, axis=0, weights=w)) if x.shape[1] else np.zeros(0)
    varying = sd > 1e-12
    z = np.zeros_like(x)
    z[:, varying] = (x[:, varying] - mean[varying]) / sd[varying]
    y = np.asarray(problems, dtype=bool)
    if y.all() or not y.any():
        rate = float(np.average(y, weights=w))
        rate = min(max(rate, 1e-6), 1 - 1e-6)
        return Model(list(features), np.zeros(len(features)), float(np.log(rate / (1 - rate))))
    model = LogisticRegression(C=regularisation, max_iter=1000, tol=1e-6)
    model.fit(z, y, sample_weight=w)
    beta = np.zeros(len(features))
    beta[varying] = model.coef_[0][varying] / sd[varying]
    intercept = float(model.intercept_[0] - np.sum(beta[varying] * mean[varying]))
    return Model(list(features), beta, intercept)
