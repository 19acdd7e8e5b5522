"""Working days for the 20-working-day publication deadline."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.common.errors import InputError
from planner.common.workdays import WorkCalendar, read_holidays
from planner.publish.results import deadline_warnings

D = dt.date


def test_add_skips_weekends():
    cal = WorkCalendar()
    assert cal.add(D(2026, 2, 6), 1) == D(2026, 2, 9)     # Friday -> Monday
    assert cal.add(D(2026, 2, 2), 20) == D(2026, 3, 2)    # four whole weeks
    assert cal.add(D(2026, 2, 7), 1) == D(2026, 2, 9)     # Saturday -> Monday
    assert cal.add(D(2026, 2, 2), 0) == D(2026, 2, 2)


def test_holidays_and_make_up_days():
    cal = WorkCalendar(holidays=frozenset({D(2026, 2, 16), D(2026, 2, 17)}),
                       workdays=frozenset({D(2026, 2, 14)}))
    assert not cal.is_working(D(2026, 2, 16))
    assert cal.is_working(D(2026, 2, 14))  # a Saturday worked in exchange (调休补班)
    assert cal.add(D(2026, 2, 13), 1) == D(2026, 2, 14)
    assert cal.add(D(2026, 2, 14), 1) == D(2026, 2, 18)


@given(st.dates(min_value=D(2020, 1, 1), max_value=D(2030, 12, 31)), st.integers(0, 60))
def test_between_counts_what_add_adds(start, n):
    cal = WorkCalendar(holidays=frozenset({D(2026, 10, 1), D(2026, 10, 2)}))
    end = cal.add(start, n)
    assert cal.between(start, end) == n
    assert cal.between(end, start) == -n


def test_read_holidays_file(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("日期,类型\n2026-10-01,休\n2026/10/2,\n2026-10-10,补班\n", encoding="utf-8")
    cal = read_holidays(path)
    assert cal.holidays == {D(2026, 10, 1), D(2026, 10, 2)}
    assert cal.workdays == {D(2026, 10, 10)}


def test_read_holidays_reports_every_bad_row(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("date,kind\nsoon,休\n2026-10-02,maybe\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_holidays(path)
    assert [str(p) for p in info.value.problems] == [
        f"{path}, row 2, column 'date': not a date; write it as YYYY-MM-DD (value 'soon')",
        f"{path}, row 3, column 'kind': kind must be holiday (休) or workday (班) (value 'maybe')",
    ]


def test_no_warning_when_the_deadline_is_far():
    completed = pd.Series([D(2026, 2, 2)] * 3)
    assert deadline_warnings(completed, D(2026, 2, 3), WorkCalendar(), 5) == []


def test_both_warnings_at_once():
    completed = pd.Series([D(2026, 1, 5), D(2026, 2, 2), D(2026, 2, 2)])
    warnings = deadline_warnings(completed, D(2026, 2, 27), WorkCalendar(), 5)
    assert warnings == [
        "publication deadline passed for 1 result(s): the earliest was due 2026-02-02 (20 "
        "working days after completion, SAMR order 49 art. 39); publish disclosure.xlsx now",
        "publication deadline near: 2 result(s) due 2026-03-02, 1 working day(s) from "
        "2026-02-27; publish disclosure.xlsx by then",
    ]
