"""Read what regrading applies: inspection results and events, one record per source row.

Results (RESULTS_CSV) are the ``results.csv`` that ``planner results`` writes (columns
``task_id``, ``enterprise_id``, ``result``, ``follow_up``, ``completed``; other columns are
ignored), or a ``history.csv`` (``enterprise_id``, ``date``, ``result``; one row per
inspector, so repeated rows of one inspection count once). A result cell may hold several
categories separated by ``；``, in Chinese or English.

Events are a CSV or XLSX with ``enterprise_id`` (统一社会信用代码), ``date`` (日期),
``event`` (事件, a name listed in ``[regrade] events``) and optionally ``note`` (备注).

Each record carries a key that identifies it across runs (task, enterprise and completion
date for a result; enterprise, date and event for an event), so a record already applied
to a directory is recognised and not counted again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from planner.common import categories as cat
from planner.common import schema
from planner.common.errors import Problem
from planner.common.io import read_table
from planner.publish.results import parse_date

EVENT_COLUMNS = (
    schema.Column("enterprise_id", ("enterprise_id", "统一社会信用代码", "credit_code"), True),
    schema.Column("date", ("date", "日期", "事件日期"), True),
    schema.Column("event", ("event", "事件", "事件类型"), True),
    schema.Column("note", ("note", "备注"), False),
)


@dataclass(frozen=True)
class Record:
    """One result or event to apply."""

    key: str
    kind: str  # "result" or "event"
    enterprise_id: str
    date: dt.date
    categories: tuple[str, ...]  # canonical result categories (results) or the event name
    follow_ups: tuple[str, ...]
    source_file: str
    source_row: int


def read_results(path: str | Path) -> tuple[list[Record], list[Problem]]:
    """Read a ``results.csv`` (or ``history.csv``) into records.

    Parameters
    ----------
    path : str or pathlib.Path
        The file, as the user named it (used in messages and in ``changes.csv``).

    Returns
    -------
    tuple
        The records and the problems found (unknown category, bad date, missing column).
    """
    label = str(path)
    frame = read_table(path, label=label)
    problems: list[Problem] = []
    if {"task_id", "enterprise_id", "result", "completed"} <= set(frame.columns):
        date_column = "completed"
    else:
        frame, found = schema.map_headers(frame, schema.HISTORY_COLUMNS, label)
        if any(p.severity == "error" for p in found) or "result" not in frame or (
                frame["result"] == "").all():
            return [], [Problem(
                label, "is not a results file: expected the results.csv of planner results "
                "(task_id, enterprise_id, result, follow_up, completed) or a history.csv "
                "with results (enterprise_id, date, result)", row=1)]
        date_column = "date"
    records: list[Record] = []
    seen: set[str] = set()
    for pos, row in enumerate(frame.to_dict("records")):
        line = pos + 2
        enterprise = str(row["enterprise_id"]).strip().upper()
        when = parse_date(row[date_column])
        if not enterprise:
            problems.append(Problem(label, "no enterprise id", row=line, column="enterprise_id"))
            continue
        if when is None:
            problems.append(Problem(label, "not a date (use YYYY-MM-DD)", row=line,
                                    column=date_column, value=row[date_column]))
            continue
        results, unknown = cat.parse_categories(row["result"], "result")
        follow, unknown_follow = cat.parse_categories(row.get("follow_up", ""), "follow_up")
        for part, column in [(u, "result") for u in unknown] + [
                (u, "follow_up") for u in unknown_follow]:
            problems.append(Problem(label, "not an official category", row=line,
                                    column=column, value=part))
        if not results:
            problems.append(Problem(label, "no result", row=line, column="result"))
            continue
        task = str(row.get("task_id", "")).strip()
        names = tuple(c.zh for c in results)
        key = (f"result:{task}:{enterprise}:{when.isoformat()}" if task
               else f"result:{enterprise}:{when.isoformat()}:{'；'.join(names)}")
        if key in seen:  # history.csv holds one row per inspector of the same inspection
            continue
        seen.add(key)
        records.append(Record(key, "result", enterprise, when, names,
                              tuple(c.zh for c in follow), label, line))
    return records, problems


def read_events(path: str | Path, known_event) -> tuple[list[Record], list[Problem]]:
    """Read an events file into records.

    Parameters
    ----------
    path : str or pathlib.Path
        The CSV or XLSX file.
    known_event : callable
        Returns the rule of an event name, or None when ``[regrade] events`` lacks it.

    Returns
    -------
    tuple
        The records and the problems found (missing column, bad date, unknown event).
    """
    label = str(path)
    frame = read_table(path, label=label)
    frame, problems = schema.map_headers(frame, EVENT_COLUMNS, label)
    if any(p.severity == "error" for p in problems):
        return [], problems
    records: list[Record] = []
    for pos, row in enumerate(frame.to_dict("records")):
        line = pos + 2
        enterprise = str(row["enterprise_id"]).strip().upper()
        when = parse_date(row["date"])
        rule = known_event(row["event"])
        if not enterprise:
            problems.append(Problem(label, "no enterprise id", row=line, column="enterprise_id"))
        if when is None:
            problems.append(Problem(label, "not a date (use YYYY-MM-DD)", row=line,
                                    column="date", value=row["date"]))
        if rule is None:
            problems.append(Problem(label, "event not listed in [regrade] events; add it "
                                    "there with what it does", row=line, column="event",
                                    value=row["event"]))
        if not enterprise or when is None or rule is None:
            continue
        key = f"event:{enterprise}:{when.isoformat()}:{rule.name}"
        records.append(Record(key, "event", enterprise, when, (rule.name,), (), label, line))
    return records, problems
