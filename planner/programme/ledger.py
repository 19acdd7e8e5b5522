"""Every inspection so far: the bureau's history, earlier batches' results, planned batches.

An inspection is one visit: history rows (one per inspector) of the same enterprise on the
same day count once, whichever departments took part (联合抽查 is one visit). Each inspection
carries its ``task`` and ``department`` when the history says (optional columns 抽查任务 and
检查部门). An inspection counts towards this programme's frequencies when its task is empty or
is the programme's (``plan.id``, ``plan.task_id`` or a batch's plan id); every inspection
counts towards the caps.

Earlier batches enter as follows: a batch folder with ``results.csv`` (written by
``planner results``) adds its returned inspections, on their completion dates; a batch planned
but not yet returned adds its ``sample.csv`` as planned inspections dated on the batch's last
day (the latest the gap rule must allow for).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from planner.common.errors import InputError
from planner.common.io import read_table
from planner.programme import files
from planner.programme.periods import Batch
from planner.publish.results import ID_SEPARATOR

EVENT_COLUMNS = ("enterprise_id", "date", "task", "department", "planned")
HISTORY_OUT = ("enterprise_id", "inspector_id", "date", "result", "department", "task")


@dataclass
class Ledger:
    """Inspections so far.

    Attributes
    ----------
    events : pandas.DataFrame
        One row per inspection: enterprise_id, date (datetime64), task, department,
        planned (bool: planned in a batch whose results are not back).
    history : pandas.DataFrame
        The history rows (one per inspector) of the bureau and of returned batches, with
        :data:`HISTORY_OUT` columns as text: the next batch's ``prior-history.csv``.
    returned : list of int
        Batches whose results are back.
    planned : list of int
        Batches planned and not yet returned.
    """

    events: pd.DataFrame
    history: pd.DataFrame
    returned: list[int]
    planned: list[int]


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series([""] * len(frame), index=frame.index, dtype=object)
    return frame[column].fillna("").astype(str).str.strip()


def bureau_history(history: pd.DataFrame) -> pd.DataFrame:
    """Return the validated ``[inputs] history`` as :data:`HISTORY_OUT` text columns.

    Parameters
    ----------
    history : pandas.DataFrame
        ``Inputs.history`` (``date`` as datetime64).

    Returns
    -------
    pandas.DataFrame
        Rows with a date, dates in ISO form.
    """
    dated = history[history["date"].notna()] if len(history) else history
    out = pd.DataFrame({c: _text(dated, c) for c in HISTORY_OUT if c != "date"})
    out["date"] = dated["date"].dt.strftime("%Y-%m-%d") if len(dated) else ""
    return out[list(HISTORY_OUT)].reset_index(drop=True)


def returned_history(folder: Path, batch: Batch) -> pd.DataFrame:
    """Return one history row per inspector of a returned batch's ``results.csv``.

    Parameters
    ----------
    folder : pathlib.Path
        The batch folder.
    batch : Batch
        The batch (its plan id becomes the rows' task).

    Returns
    -------
    pandas.DataFrame
        :data:`HISTORY_OUT` columns as text.

    Raises
    ------
    InputError
        When ``results.csv`` lacks a column it needs.
    """
    path = folder / files.RESULTS_CSV
    frame = read_table(path, label=str(path))
    needed = ("enterprise_id", "lead_id", "member_ids", "completed", "result")
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise InputError(f"is not a results file of planner results (missing "
                         f"{', '.join(missing)})", file=str(path))
    team = (_text(frame, "lead_id") + ID_SEPARATOR + _text(frame, "member_ids")).str.split(
        ID_SEPARATOR)
    out = pd.DataFrame({
        "enterprise_id": _text(frame, "enterprise_id").str.upper(),
        "inspector_id": team,
        "date": _text(frame, "completed"),
        "result": _text(frame, "result"),
        "department": "",
        "task": batch.plan_id,
    }).explode("inspector_id")
    out["inspector_id"] = out["inspector_id"].fillna("").astype(str)
    keep = (out["inspector_id"] != "") | ~out.duplicated(["enterprise_id", "date"])
    return out.loc[keep, list(HISTORY_OUT)].reset_index(drop=True)


def planned_events(folder: Path, batch: Batch) -> pd.DataFrame:
    """Return the planned inspections of a batch without results: its sample, on its last day."""
    path = folder / files.SAMPLE_CSV
    frame = read_table(path, label=str(path))
    ids = _text(frame, "enterprise_id").str.upper()
    return pd.DataFrame({"enterprise_id": ids, "date": pd.Timestamp(batch.end),
                         "task": batch.plan_id, "department": "", "planned": True})


def build_ledger(history: pd.DataFrame, out: Path | None, batches: list[Batch],
                 before: int) -> Ledger:
    """Gather every inspection known before batch ``before``.

    Parameters
    ----------
    history : pandas.DataFrame
        ``Inputs.history`` of the programme's scenario.
    out : pathlib.Path or None
        The programme folder (None: no batch has been planned).
    batches : list of Batch
        The programme's batches.
    before : int
        Only batches numbered below this are read (``len(batches) + 1`` for all).

    Returns
    -------
    Ledger
        The inspections and the history rows.
    """
    bureau = bureau_history(history)
    returned_parts, planned_parts, returned, planned = [], [], [], []
    for batch in batches:
        if batch.number >= before or out is None:
            break
        folder = files.batch_dir(out, batch.number)
        if (folder / files.RESULTS_CSV).is_file():
            returned_parts.append(returned_history(folder, batch))
            returned.append(batch.number)
        elif (folder / files.SAMPLE_CSV).is_file():
            planned_parts.append(planned_events(folder, batch))
            planned.append(batch.number)
    # Returned results first, so that a visit also copied into the bureau's history keeps
    # its batch as its task.
    rows = pd.concat([*returned_parts, bureau], ignore_index=True)
    done = rows[["enterprise_id", "date", "task", "department"]].copy()
    done["date"] = pd.to_datetime(done["date"], format="%Y-%m-%d", errors="coerce")
    done = done[done["date"].notna()]
    done["planned"] = False
    events = pd.concat([done, *planned_parts], ignore_index=True)
    events["date"] = pd.to_datetime(events["date"]).astype("datetime64[ns]")
    events = events.drop_duplicates(["enterprise_id", "date"], keep="first")
    events = events.sort_values(["enterprise_id", "date"], kind="stable", ignore_index=True)
    history_rows = pd.concat([bureau, *returned_parts], ignore_index=True)
    return Ledger(events[list(EVENT_COLUMNS)], history_rows, returned, planned)


def missing_batches(out: Path, batches: list[Batch], before: int) -> list[int]:
    """Return the batches below ``before`` that have no plan folder with a sample yet."""
    return [b.number for b in batches if b.number < before
            and not (files.batch_dir(out, b.number) / files.SAMPLE_CSV).is_file()]


def day(value: dt.date) -> pd.Timestamp:
    """Return a date as a pandas Timestamp."""
    return pd.Timestamp(value)
