"""Credit-risk grading schemes (信用风险分类): each maps grades or scores to ordered risk classes.

Classes are always ordered from lowest risk to highest; ``rank`` 0 is the lowest risk.

============= ================================ ================================================
scheme        classes (lowest risk first)      derived from
============= ================================ ================================================
abcd          A B C D                          grade (national: A low ... D high)
shenzhen      A+ A B C D E                     grade, or score: A+ >750, A 671-750, B 601-670,
                                               C 555-600, D <555; E is only ever assigned
three-color   green yellow red                 grade: green/yellow/red, 绿/黄/红, A/B/C (Minhang)
food-score    A B C D                          grade, or 100-point risk score (2016 food rules):
                                               A 0-30, B 30-45, C 45-60, D >60 (a boundary
                                               score belongs to the lower-risk class)
points-12     A1 A2 A3 B1 ... D3               grade (4 tiers x 3 levels, Yuhang)
shaanxi-100   A B C D                          grade, or points (Shaanxi food producers start
                                               at 100 points): A >= 100, B 80-99.x,
                                               C 60-79.x, D < 60 (more points, lower risk)
custom        as the scenario lists            grade, or score bands given in the scenario
============= ================================ ================================================

Grades are matched case-insensitively after removing spaces and the suffixes 类/级/码.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planner.common.schema import as_text


@dataclass(frozen=True)
class Band:
    """A score band ``low < score <= high`` (``low`` inclusive when ``closed_low``) -> class."""

    risk_class: str
    low: float = -math.inf
    high: float = math.inf
    closed_low: bool = False

    def contains(self, score: np.ndarray) -> np.ndarray:
        """Return a mask of the scores inside the band."""
        lower = score >= self.low if self.closed_low else score > self.low
        return lower & (score <= self.high)


@dataclass(frozen=True)
class GradingScheme:
    """Ordered risk classes and the ways a directory row is mapped onto them.

    Parameters
    ----------
    name : str
        Scheme name as written in the scenario.
    classes : tuple of str
        Class labels, lowest risk first.
    aliases : Mapping[str, str]
        Normalised grade text -> class label (the labels themselves are added).
    bands : tuple of Band
        Score bands, used when a row has no grade but a score.
    score_column : str or None
        The numeric column the bands read (``score`` or ``points``).
    """

    name: str
    classes: tuple[str, ...]
    aliases: Mapping[str, str] = field(default_factory=dict)
    bands: tuple[Band, ...] = ()
    score_column: str | None = None

    def rank(self, risk_class: str) -> int:
        """Return the 0-based risk rank of a class (0 = lowest risk)."""
        return self.classes.index(risk_class)

    def normalise(self, grade: str) -> str | None:
        """Map a grade as written in a file (or scenario key) to a class label, or None."""
        return self._lookup().get(_norm(grade))

    def _lookup(self) -> dict[str, str]:
        table = {_norm(c): c for c in self.classes}
        table.update({_norm(k): v for k, v in self.aliases.items()})
        return table

    def classify(self, grades: pd.Series, scores: pd.Series | None = None) -> pd.Series:
        """Return the class of each row (``None`` where neither grade nor score gives one).

        Parameters
        ----------
        grades : pandas.Series
            Grade text per row (may be empty strings).
        scores : pandas.Series, optional
            Numeric scores per row (NaN where absent), used where the grade is empty.

        Returns
        -------
        pandas.Series
            Class label per row, or None.
        """
        lookup = self._lookup()
        grades = as_text(grades)
        # Directories repeat a handful of grade spellings: normalise and look up each distinct
        # one once, then take the answers by the rows' codes.
        codes, distinct = pd.factorize(grades, use_na_sentinel=False)
        normal = [_norm(g) for g in distinct]
        of_distinct = np.array([lookup.get(n) for n in normal], dtype=object)
        out = pd.Series(of_distinct[codes] if len(codes) else np.array([], dtype=object),
                        index=grades.index, name=grades.name, dtype=object)
        if scores is not None and self.bands:
            values = pd.to_numeric(scores, errors="coerce").to_numpy(dtype=float)
            from_score = np.full(len(values), None, dtype=object)
            unset = np.ones(len(values), dtype=bool)
            for band in self.bands:  # the first band that holds a score wins
                hit = band.contains(values) & unset
                from_score[hit] = band.risk_class
                unset &= ~hit
            blank = np.array([n == "" for n in normal], dtype=bool)
            use = (blank[codes] if len(codes) else np.zeros(0, dtype=bool)) & ~np.isnan(values)
            out = out.copy()
            out[use] = from_score[use]
        return out


def _norm(text: str) -> str:
    text = re.sub(r"\s+", "", str(text)).upper()
    return re.sub(r"(类|级|码|CLASS|GRADE|LEVEL)$", "", text)


def _abcd() -> GradingScheme:
    return GradingScheme(
        "abcd",
        ("A", "B", "C", "D"),
        aliases={"低": "A", "一般": "B", "较高": "C", "高": "D",
                 "LOW": "A", "GENERAL": "B", "HIGHER": "C", "HIGH": "D"},
    )


def _shenzhen() -> GradingScheme:
    return GradingScheme(
        "shenzhen",
        ("A+", "A", "B", "C", "D", "E"),
        aliases={"A＋": "A+", "APLUS": "A+"},
        bands=(
            Band("A+", low=750),
            Band("A", low=671, high=750, closed_low=True),
            Band("B", low=601, high=671 - 1e-9, closed_low=True),
            Band("C", low=555, high=601 - 1e-9, closed_low=True),
            Band("D", high=555 - 1e-9),
        ),
        score_column="score",
    )


def _three_color() -> GradingScheme:
    return GradingScheme(
        "three-color",
        ("green", "yellow", "red"),
        aliases={"绿": "green", "黄": "yellow", "红": "red",
                 "绿色": "green", "黄色": "yellow", "红色": "red",
                 "A": "green", "B": "yellow", "C": "red"},
    )


def _food_score() -> GradingScheme:
    return GradingScheme(
        "food-score",
        ("A", "B", "C", "D"),
        bands=(
            Band("A", low=0, high=30, closed_low=True),
            Band("B", low=30, high=45),
            Band("C", low=45, high=60),
            Band("D", low=60, high=100),
        ),
        score_column="score",
    )


def _points_12() -> GradingScheme:
    classes = tuple(f"{tier}{level}" for tier in "ABCD" for level in (1, 2, 3))
    aliases = {}
    for tier in "ABCD":
        for level in (1, 2, 3):
            for sep in ("-", "_", "类", "级", "类-", "."):
                aliases[f"{tier}{sep}{level}"] = f"{tier}{level}"
    return GradingScheme("points-12", classes, aliases=aliases)


def _shaanxi_100() -> GradingScheme:
    return GradingScheme(
        "shaanxi-100",
        ("A", "B", "C", "D"),
        bands=(
            Band("A", low=100, closed_low=True),
            Band("B", low=80, high=100 - 1e-9, closed_low=True),
            Band("C", low=60, high=80 - 1e-9, closed_low=True),
            Band("D", high=60 - 1e-9),
        ),
        score_column="points",
    )


BUILTIN = {
    "abcd": _abcd,
    "shenzhen": _shenzhen,
    "three-color": _three_color,
    "food-score": _food_score,
    "points-12": _points_12,
    "shaanxi-100": _shaanxi_100,
}


def get_scheme(
    name: str,
    *,
    classes: Sequence[str] | None = None,
    aliases: Mapping[str, str] | None = None,
    bands: Sequence[Mapping] | None = None,
    score_column: str | None = None,
) -> GradingScheme:
    """Return a built-in scheme, or build the ``custom`` one from a scenario's table.

    Parameters
    ----------
    name : str
        One of ``abcd``, ``shenzhen``, ``three-color``, ``food-score``, ``points-12``,
        ``shaanxi-100``, ``custom``.
    classes : sequence of str, optional
        Custom only: class labels, lowest risk first.
    aliases : mapping, optional
        Custom only: grade text -> class label.
    bands : sequence of mapping, optional
        Custom only: ``{class, min, max}`` score bands (min exclusive, max inclusive; the
        lowest band's min is inclusive).
    score_column : str, optional
        Custom only: the numeric column the bands read (default ``score``).

    Returns
    -------
    GradingScheme
        The scheme.

    Raises
    ------
    ValueError
        For an unknown scheme or an inconsistent custom table.
    """
    if name in BUILTIN:
        return BUILTIN[name]()
    if name != "custom":
        raise ValueError(
            f"unknown grading scheme {name!r}; use one of {', '.join([*BUILTIN, 'custom'])}"
        )
    if not classes:
        raise ValueError("a custom scheme needs classes = [...] (lowest risk first)")
    if len(set(classes)) != len(classes):
        raise ValueError("custom classes must be distinct")
    aliases = dict(aliases or {})
    for grade, target in aliases.items():
        if target not in classes:
            raise ValueError(f"alias {grade!r} points to {target!r}, which is not in classes")
    built = []
    for i, band in enumerate(bands or ()):
        if band.get("class") not in classes:
            raise ValueError(f"band {i + 1} names class {band.get('class')!r}, not in classes")
        built.append(
            Band(
                band["class"],
                low=float(band.get("min", -math.inf)),
                high=float(band.get("max", math.inf)),
                closed_low=i == 0,
            )
        )
    return GradingScheme(
        "custom",
        tuple(classes),
        aliases=aliases,
        bands=tuple(built),
        score_column=(score_column or "score") if built else None,
    )
