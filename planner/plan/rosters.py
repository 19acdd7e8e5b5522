"""Per-department inspector rosters for joint plans (联合抽查: 各部门执法人员名录).

In a joint plan each department's inspectors come from its own roster::

    [assignment]
    joint_departments = ["市场监管", "药品"]
    department_rosters = { 药品 = "drug-inspectors.csv" }

A department roster has the columns of the main roster (``[inputs] inspectors``) and is
validated like it, with messages naming its file, row and column; every row's 所属部门 must
be the department it is the roster of. Its rows replace the main roster's rows of that
department (the main roster keeps the others), and an inspector id may appear in one roster
only. Each roster is hashed into the draw record as ``inspectors:<department>``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from planner.common import schema
from planner.common.errors import InputError, Problem
from planner.common.io import read_table, sha256_file


def add_department_rosters(
    main: pd.DataFrame, main_label: str, rosters: dict[str, Path], *, encoding: str | None,
    sheet: str | None, check: Callable[[pd.DataFrame, str], tuple[pd.DataFrame, list[Problem]]],
    label_of: Callable[[Path], str], files: dict[str, Path], hashes: dict[str, str],
) -> tuple[pd.DataFrame, list[Problem]]:
    """Read each department's roster and put its rows in place of that department's.

    Parameters
    ----------
    main : pandas.DataFrame
        The main roster, checked.
    main_label : str
        Its file name, for messages.
    rosters : dict
        Department -> roster file (``[assignment] department_rosters``).
    encoding, sheet : str or None
        How to read the files.
    check : callable
        Checks one roster frame (headers mapped) with its label, as for the main roster.
    label_of : callable
        A file's name for messages.
    files, hashes : dict
        The inputs' files and SHA-256 digests; each roster is added as
        ``inspectors:<department>``.

    Returns
    -------
    tuple
        The whole roster (the main one's other departments, then each department's rows in
        the order given) and the problems found.
    """
    problems: list[Problem] = []
    parts = [main[~main["department"].isin(list(rosters))]] if len(main) else [main]
    where: dict[str, str] = {i: main_label for i in parts[0]["inspector_id"]}
    for department, path in rosters.items():
        label = label_of(path)
        files[f"inspectors:{department}"] = path
        hashes[f"inspectors:{department}"] = sha256_file(path)
        try:
            raw = read_table(path, encoding=encoding, sheet=sheet, label=label)
        except InputError as exc:
            problems += exc.problems
            continue
        mapped, found = schema.map_headers(raw, schema.INSPECTOR_COLUMNS, label)
        problems += found
        if any(p.severity == "error" for p in found):
            continue
        mapped["row"] = np.arange(2, len(mapped) + 2)
        frame, found = check(mapped, label)
        problems += found
        other = frame["department"].astype(str).str.strip() != department
        for row in schema.rows_of(frame, other):
            problems.append(Problem(label, f"must be {department}: this is its roster "
                                    f"([assignment] department_rosters.{department})",
                                    row=int(row), column="department",
                                    value=str(frame["department"].iloc[row - 2])))
        for row, inspector in zip(frame["row"], frame["inspector_id"], strict=True):
            if inspector in where:
                problems.append(Problem(label, f"inspector id is also in {where[inspector]}; "
                                        "give each inspector in one roster", row=int(row),
                                        column="inspector_id", value=inspector))
            where.setdefault(inspector, label)
        parts.append(frame)
    whole = pd.concat(parts, ignore_index=True)
    return whole, problems
