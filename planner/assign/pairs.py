"""The separate-pairs file: inspectors who must not be in one team (``[assignment] separate_pairs``).

CSV (UTF-8, BOM or GBK) or XLSX with two required columns and an optional reason:

=====================  ===========================  ==========
column                 also accepted                required
=====================  ===========================  ==========
``inspector_id_1``     人员编号1, inspector_1        yes
``inspector_id_2``     人员编号2, inspector_2        yes
``reason``             原因, 回避原因                 no
=====================  ===========================  ==========

Each row names two different inspectors of the roster; the order inside a row does not
matter and a pair given twice is kept once. Every problem is reported at once with file,
row and column.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from planner.common import schema
from planner.common.errors import InputError, Problem
from planner.common.io import read_table

PAIR_COLUMNS = (
    schema.Column("inspector_id_1", ("inspector_id_1", "人员编号1", "inspector_1", "inspector1")),
    schema.Column("inspector_id_2", ("inspector_id_2", "人员编号2", "inspector_2", "inspector2")),
    schema.Column("reason", ("reason", "原因", "回避原因"), required=False),
)


def read_separate_pairs(path: Path, inspectors: pd.DataFrame, *, encoding: str | None = None,
                        sheet: str | None = None) -> pd.DataFrame:
    """Read and check the separate-pairs file.

    Parameters
    ----------
    path : pathlib.Path
        The file.
    inspectors : pandas.DataFrame
        The roster (``inspector_id``), to check the ids against.
    encoding : str, optional
        CSV encoding (detected when omitted).
    sheet : str, optional
        XLSX sheet (the first when omitted).

    Returns
    -------
    pandas.DataFrame
        ``inspector_id_1``, ``inspector_id_2`` (the smaller id first), ``reason``, ``row``;
        one row per distinct pair.

    Raises
    ------
    InputError
        With every problem found (missing column, empty cell, unknown inspector, an
        inspector paired with themself).
    """
    label = _label(path)
    raw = read_table(path, encoding=encoding, sheet=sheet, label=label)
    frame, problems = schema.map_headers(raw, PAIR_COLUMNS, label)
    if any(p.severity == "error" for p in problems):
        raise InputError(problems)
    frame = frame.copy()
    frame["row"] = range(2, len(frame) + 2)
    known = set(inspectors["inspector_id"].astype(str))
    for column in ("inspector_id_1", "inspector_id_2"):
        frame[column] = frame[column].astype(str).str.strip()
        for pos, value in enumerate(frame[column]):
            if value == "":
                problems.append(Problem(label, "empty cell; an inspector id is required",
                                        row=pos + 2, column=column))
            elif value not in known:
                problems.append(Problem(label, "names an inspector not in the inspectors file",
                                        row=pos + 2, column=column, value=value))
    same = (frame["inspector_id_1"] == frame["inspector_id_2"]) & (frame["inspector_id_1"] != "")
    for pos in same.to_numpy().nonzero()[0]:
        problems.append(Problem(label, "pairs an inspector with themself; name two inspectors",
                                row=int(pos) + 2, column="inspector_id_2",
                                value=frame["inspector_id_2"].iloc[pos]))
    if problems:
        raise InputError(problems)
    a = frame["inspector_id_1"]
    b = frame["inspector_id_2"]
    frame["inspector_id_1"], frame["inspector_id_2"] = a.where(a < b, b), b.where(a < b, a)
    frame = frame.drop_duplicates(["inspector_id_1", "inspector_id_2"], keep="first")
    return frame[["inspector_id_1", "inspector_id_2", "reason", "row"]].reset_index(drop=True)


def _label(path: Path) -> str:
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return str(path)
