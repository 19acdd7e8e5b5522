"""Learned risk scores in a plan: ``[inputs] scores = "risk-scores.csv"`` (``planner learn``).

The scores file (``enterprise_id``, ``score``, ...) is joined onto the directory by enterprise
id as the column ``score`` before the directory is graded, so a scenario can use it

- as the weight of a weighted draw: ``[sampling] weight_by = "score"``;
- as the grade of score bands: ``[grading] scheme = "custom"``, ``score_column = "score"``,
  ``bands = [{ class = "high", min = 90, max = 101 }, ...]``: the bands' classes replace the
  directory's grades and take their own ratios and floors, and each enterprise's inclusion
  probability stays drawn / eligible of its band.

The file is an input like the others: its SHA-256 is in the draw record. A directory that has
a ``score`` column of its own (信用得分, filled) cannot take a scores file (the two would be confused); an
enterprise the file does not score gets an empty score, which the grading or the weights
report with its row. The score is internal, like the class: nothing public shows it.
"""

from __future__ import annotations

import pandas as pd

from planner.common import schema
from planner.common.errors import Problem

SCORE_COLUMN = "score"


def join_scores(directory: pd.DataFrame, scores: pd.DataFrame, label: str,
                directory_label: str, *, grade_by_score: bool = False
                ) -> tuple[pd.DataFrame, list[Problem]]:
    """Return the directory with the scores file's ``score`` column joined by enterprise id.

    Parameters
    ----------
    directory : pandas.DataFrame
        The directory's rows with their mapped headers (``enterprise_id`` ...).
    scores : pandas.DataFrame
        The scores file as read (text cells).
    label : str
        The scores file, for messages.
    directory_label : str
        The directory file, for messages.
    grade_by_score : bool
        The scheme grades by the score's bands: the directory's own grade is set aside (kept
        as ``official_grade``) so that every class comes from the score.

    Returns
    -------
    tuple
        The directory (a new frame) and the problems found: a missing column, an id twice,
        a score that is not a number, a directory with a score column of its own.
    """
    problems: list[Problem] = []
    keys = {schema.header_key(c): c for c in scores.columns}
    missing = [c for c in ("enterprise_id", SCORE_COLUMN) if c not in keys]
    if missing:
        return directory, [Problem(label, f"no column {missing[0]!r}: a scores file as "
                                   "planner learn writes it has enterprise_id and score", row=1)]
    own = [c for c in directory.columns if schema.header_key(c) == SCORE_COLUMN]
    if own and (directory[own[0]].astype(str).str.strip() != "").any():
        return directory, [Problem(directory_label, "has a column 'score' of its own: remove "
                                   "[inputs] scores, or rename the column", row=1,
                                   column=SCORE_COLUMN)]
    ids = scores[keys["enterprise_id"]].astype(str).str.strip().str.upper()
    values = scores[keys[SCORE_COLUMN]].astype(str).str.strip()
    numbers = pd.to_numeric(values, errors="coerce")
    for i in (numbers.isna() | (numbers < 0)).to_numpy().nonzero()[0][:20]:
        problems.append(Problem(label, "score must be a number >= 0", row=int(i) + 2,
                                column=keys[SCORE_COLUMN], value=values.iloc[i]))
    for i in ids.duplicated().to_numpy().nonzero()[0][:20]:
        problems.append(Problem(label, "enterprise scored twice", row=int(i) + 2,
                                column=keys["enterprise_id"], value=ids.iloc[i]))
    if problems:
        return directory, problems
    lookup = dict(zip(ids, values, strict=True))
    canonical = directory["enterprise_id"].astype(str).str.strip().str.upper()
    joined = directory.copy(deep=False)
    joined[SCORE_COLUMN] = canonical.map(lookup).fillna("").to_numpy(dtype=object)
    if grade_by_score and "risk_grade" in joined:
        joined["official_grade"] = joined["risk_grade"]
        joined["risk_grade"] = ""
    return joined, problems
