"""Working days for the publication deadline (公示期限): results within 20 working days.

SAMR order 49, art. 39 asks that spot-check results be published within 20 working days of
the check's completion. Working days are Monday to Friday, unless a holidays file says
otherwise. China's public holidays and the weekend days worked in exchange (调休补班) change
every year and are announced by the State Council each winter, so the planner ships no
calendar: give one with ``planner results --holidays FILE`` (or ``[export] holidays``).

The holidays file is CSV or XLSX with the columns ``date`` (日期) and, optionally, ``kind``
(类型): ``holiday`` / ``休`` / ``假`` for a day off (the default when the column is absent or
empty) and ``workday`` / ``班`` / ``补班`` for a weekend day that is worked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from planner.common import schema
from planner.common.errors import InputError, Problem
from planner.common.io import read_table

DEADLINE_WORKING_DAYS = 20
HOLIDAY_WORDS = {"holiday", "off", "rest", "休", "假", "休息", "节假日", "放假"}
WORKDAY_WORDS = {"workday", "work", "working", "班", "补班", "上班", "工作日", "调休上班"}
HOLIDAY_COLUMNS = (
    schema.Column("date", ("date", "日期")),
    schema.Column("kind", ("kind", "类型", "type"), required=False),
)


@dataclass(frozen=True)
class WorkCalendar:
    """Monday-Friday working days, less ``holidays``, plus ``workdays`` (make-up days)."""

    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    workdays: frozenset[dt.date] = field(default_factory=frozenset)

    def is_working(self, day: dt.date) -> bool:
        """Tell whether ``day`` is a working day."""
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add(self, day: dt.date, n: int) -> dt.date:
        """Return the ``n``-th working day after ``day`` (``day`` itself not counted).

        Parameters
        ----------
        day : datetime.date
            The start, e.g. the completion date.
        n : int
            Working days to add (>= 0).

        Returns
        -------
        datetime.date
            The date reached.
        """
        current = day
        left = n
        while left > 0:
            current += dt.timedelta(days=1)
            if self.is_working(current):
                left -= 1
        return current

    def between(self, start: dt.date, end: dt.date) -> int:
        """Count working days after ``start`` up to and including ``end`` (negative if before).

        Parameters
        ----------
        start, end : datetime.date
            The two days.

        Returns
        -------
        int
            The working days from ``start`` (exclusive) to ``end`` (inclusive); minus the
            count the other way when ``end`` is before ``start``.
        """
        if end < start:
            return -self.between(end, start)
        count = 0
        current = start
        while current < end:
            current += dt.timedelta(days=1)
            count += self.is_working(current)
        return count


def read_holidays(path: str | Path) -> WorkCalendar:
    """Read a holidays file into a :class:`WorkCalendar`.

    Parameters
    ----------
    path : str or pathlib.Path
        CSV or XLSX with ``date`` and optional ``kind`` columns.

    Returns
    -------
    WorkCalendar
        The calendar.

    Raises
    ------
    InputError
        With every bad row (unreadable date, unknown kind), each with row and column.
    """
    label = str(path)
    frame = read_table(path, label=label)
    frame, problems = schema.map_headers(frame, HOLIDAY_COLUMNS, label)
    if any(p.severity == "error" for p in problems):
        raise InputError(problems)
    dates, problems = schema.parse_dates(frame, "date", label)
    holidays, workdays = set(), set()
    for pos, (day, kind) in enumerate(zip(dates, frame["kind"].astype(str), strict=True)):
        word = kind.strip().lower()
        if word not in HOLIDAY_WORDS | WORKDAY_WORDS | {""}:
            problems.append(Problem(label, "kind must be holiday (休) or workday (班)",
                                    row=pos + 2, column="kind", value=kind))
            continue
        if pd.isna(day):  # reported by parse_dates
            continue
        (workdays if word in WORKDAY_WORDS else holidays).add(day.date())
    if problems:
        raise InputError(problems)
    return WorkCalendar(frozenset(holidays), frozenset(workdays))
