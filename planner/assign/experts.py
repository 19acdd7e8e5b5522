"""One expert per team from an experts list (专家库), drawn at random under avoidance.

``[assignment] experts = "experts.csv"`` adds to every team one expert, who is not an
inspector (not in ``assignments.csv``, not counted in the team size or the loads). The file
(CSV or XLSX) has the columns:

======================  ============================  ==========
column                  also accepted                 required
======================  ============================  ==========
``expert_id``           专家编号                       yes
``name``                姓名                           yes
``field``               专业领域                       no
``avoid``               回避企业                       no: credit codes (``;``-separated)
``available``           是否可用                       no (default yes)
======================  ============================  ==========

Each task, in a seeded random order, gets the available expert with the fewest tasks so
far among those who need not avoid (回避) its enterprise, ties broken by a seeded random
ranking, so loads differ by at most one where avoidance allows. The draw is written to
``experts.csv`` (task_id, enterprise_id, expert_id) and re-checked by ``planner check``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from planner.common import schema
from planner.common.errors import InfeasiblePlanError, InputError, Problem
from planner.common.io import read_table
from planner.plan import folder
from planner.plan.items import split_cell

# The file the expert draw writes into the plan folder.
EXPERTS_NAME = folder.EXPERTS
EXPERT_COLUMNS = (
    schema.Column("expert_id", ("expert_id", "专家编号")),
    schema.Column("name", ("name", "姓名")),
    schema.Column("field", ("field", "专业领域"), required=False),
    schema.Column("avoid", ("avoid", "回避企业"), required=False),
    schema.Column("available", ("available", "是否可用"), required=False),
)


def read_experts(path: Path, *, encoding: str | None = None, sheet: str | None = None
                 ) -> pd.DataFrame:
    """Read and check the experts list.

    Parameters
    ----------
    path : pathlib.Path
        The file.
    encoding : str, optional
        CSV encoding (detected when omitted).
    sheet : str, optional
        XLSX sheet (the first when omitted).

    Returns
    -------
    pandas.DataFrame
        ``expert_id``, ``name``, ``field``, ``avoid`` (set of credit codes), ``available``
        (bool), in file order.

    Raises
    ------
    InputError
        With every problem found (missing column, empty id or name, duplicate id, a bad
        yes/no cell).
    """
    label = str(path)
    raw = read_table(path, encoding=encoding, sheet=sheet, label=label)
    frame, problems = schema.map_headers(raw, EXPERT_COLUMNS, label)
    if any(p.severity == "error" for p in problems):
        raise InputError(problems)
    frame = frame.copy()
    for column in ("expert_id", "name"):
        frame[column] = frame[column].astype(str).str.strip()
    problems += schema.require_values(frame, ("expert_id", "name"), label)
    problems += schema.duplicates(frame, "expert_id", label, "expert")
    available = []
    for pos, value in enumerate(frame["available"].fillna("").astype(str)):
        text = value.strip().lower()
        if text in schema.TRUE_WORDS or text == "":
            available.append(True)
        elif text in schema.FALSE_WORDS:
            available.append(False)
        else:
            problems.append(Problem(label, "must be 是 or 否 (yes or no)", row=pos + 2,
                                    column="available", value=value))
            available.append(False)
    if problems:
        raise InputError(problems)
    frame["available"] = available
    frame["avoid"] = [{c.upper() for c in split_cell(v)} for v in frame["avoid"]]
    return frame[["expert_id", "name", "field", "avoid", "available"]].reset_index(drop=True)


def draw_experts(experts: pd.DataFrame, tasks: pd.DataFrame, rng: np.random.Generator
                 ) -> pd.DataFrame:
    """Give every task one expert, at random, with loads as even as avoidance allows.

    Parameters
    ----------
    experts : pandas.DataFrame
        From :func:`read_experts`.
    tasks : pandas.DataFrame
        ``task_id``, ``enterprise_id``: one row per task, in task order.
    rng : numpy.random.Generator
        The plan's expert stream.

    Returns
    -------
    pandas.DataFrame
        task_id, enterprise_id, expert_id, in task order.

    Raises
    ------
    InfeasiblePlanError
        Naming each enterprise every available expert must avoid.
    """
    pool = experts[experts["available"]].reset_index(drop=True)
    ids = pool["expert_id"].to_numpy(dtype=object)
    tie = rng.permutation(len(pool))
    load = np.zeros(len(pool), dtype=np.int64)
    chosen: dict[int, str] = {}
    short = []
    for k in rng.permutation(len(tasks)).tolist():
        eid = tasks["enterprise_id"].iat[k]
        free = [j for j in range(len(pool)) if eid not in pool["avoid"].iat[j]]
        if not free:
            short.append(f"{eid} (task {tasks['task_id'].iat[k]}): every one of the "
                         f"{len(pool)} available experts must avoid (回避) it")
            continue
        best = min(free, key=lambda j: (load[j], tie[j]))
        load[best] += 1
        chosen[k] = ids[best]
    if short:
        raise InfeasiblePlanError("no expert can join these teams ([assignment] experts); "
                                  "nothing was written. Reasons:", sorted(short))
    out = tasks[["task_id", "enterprise_id"]].reset_index(drop=True).copy()
    out["expert_id"] = [chosen[k] for k in range(len(out))]
    return out


def check_experts(drawn: pd.DataFrame, experts: pd.DataFrame, seats: pd.DataFrame) -> list[str]:
    """Re-check an expert draw: one available, non-avoiding expert per task of the plan.

    Parameters
    ----------
    drawn : pandas.DataFrame
        ``experts.csv`` (task_id, enterprise_id, expert_id).
    experts : pandas.DataFrame
        From :func:`read_experts`.
    seats : pandas.DataFrame
        ``assignments.csv``.

    Returns
    -------
    list of str
        One line per violation.
    """
    v = []
    by_id = experts.set_index("expert_id")
    tasks = seats.drop_duplicates("task_id").set_index("task_id")["enterprise_id"]
    counts = drawn.groupby("task_id").size()
    for task in tasks.index:
        n = int(counts.get(task, 0))
        if n != 1:
            v.append(f"task {task}: {n} experts; exactly one is required")
    for _, r in drawn.iterrows():
        where = f"task {r['task_id']} (enterprise {r['enterprise_id']})"
        if r["task_id"] not in tasks.index:
            v.append(f"{where}: is not a task of the plan")
            continue
        if r["expert_id"] not in by_id.index:
            v.append(f"{where}: expert {r['expert_id']} is not in the experts list")
            continue
        expert = by_id.loc[r["expert_id"]]
        if not expert["available"]:
            v.append(f"{where}: expert {r['expert_id']} is not available")
        if str(tasks[r["task_id"]]).upper() in expert["avoid"]:
            v.append(f"{where}: expert {r['expert_id']} must avoid (回避) the enterprise")
    return v
