"""Each regrading rule on a tiny directory, with the exact class and points expected."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from planner.common.errors import ScenarioError
from planner.common.grading import get_scheme
from planner.plan.regrade_rules import check_regrade_section
from planner.plan.scenario import RegradeSection
from planner.regrade.apply import Ledger, add_months, apply_records
from planner.regrade.sources import Record

DAY = dt.date(2026, 11, 2)


def book(scheme: str, **table):
    return check_regrade_section(RegradeSection(**table), get_scheme(scheme), "s.toml")


def directory(classes, points=None):
    frame = pd.DataFrame({"enterprise_id": [f"E{i}" for i in range(len(classes))],
                          "name": [f"企业{i}" for i in range(len(classes))],
                          "risk_class": list(classes)})
    if points is not None:
        frame["points"] = [str(p) for p in points]
    return frame


def result(enterprise, *categories, follow=(), row=2, task=None, day=DAY):
    task = task or f"T-{enterprise}-{row}"
    return Record(f"result:{task}:{enterprise}:{day}", "result", enterprise, day,
                  tuple(categories), tuple(follow), "results.csv", row)


def event(enterprise, name, row=2, day=DAY):
    return Record(f"event:{enterprise}:{day}:{name}", "event", enterprise, day, (name,), (),
                  "events.csv", row)


def run(rules, frame, records, ledger=None, as_of=DAY):
    return apply_records(frame, rules, records, ledger or Ledger(), as_of=as_of)


LEVELS = {"levels": {"未发现问题": -1, "发现问题待后续处理": 2, "违反食品药品管理相关规定": 1,
                     "发现案件线索": 1}}


def test_levels_move_each_enterprise_by_the_sum_of_its_rules():
    out = run(book("abcd", **LEVELS), directory("BBC"), [
        result("E0", "未发现问题"),
        result("E1", "发现问题待后续处理", follow=("发现案件线索",)),
    ])
    assert out.new_class.tolist() == ["A", "D", "C"]
    e1 = out.changes[out.changes["enterprise_id"] == "E1"]
    assert e1[["rule", "effect", "source_file", "source_row"]].values.tolist() == [
        ["发现问题待后续处理", "+2 classes", "results.csv", 2],
        ["发现案件线索", "+1 class", "results.csv", 2]]
    assert set(e1["new_class"]) == {"D"} and set(e1["old_class"]) == {"B"}


def test_max_step_limits_the_move_and_the_ends_clamp():
    rules = book("points-12", max_step=2, **LEVELS)
    out = run(rules, directory(["B1", "A1", "D2"]), [
        result("E0", "发现问题待后续处理", "违反食品药品管理相关规定", follow=("发现案件线索",)),
        result("E1", "未发现问题"),
        result("E2", "发现问题待后续处理"),
    ])
    assert out.new_class.tolist() == ["B3", "A1", "D3"]
    notes = out.changes.groupby("enterprise_id")["note"].first()
    assert notes["E0"] == "limited to max_step 2 (rules sum to +4)"
    assert notes["E1"] == "clamped at the lowest class"
    assert notes["E2"] == "clamped at the highest class"


def test_points_are_added_and_the_bands_give_the_class():
    rules = book("shaanxi-100", points={"未发现问题": 2, "发现问题待后续处理": -10,
                                        "违反食品药品管理相关规定": -15, "责令改正": -5},
                 points_min=0, points_max=110)
    out = run(rules, directory("ABCA", points=[100, 85, 61, 109]), [
        result("E0", "发现问题待后续处理", follow=("责令改正",)),   # 100 - 15 = 85 -> B
        result("E1", "违反食品药品管理相关规定", follow=("责令改正",)),  # 85 - 20 = 65 -> C
        result("E2", "发现问题待后续处理", "违反食品药品管理相关规定"),  # 61 - 25 = 36 -> D
        result("E3", "未发现问题"),                                # 109 + 2 = 111 -> 110
    ])
    assert out.new_class.tolist() == ["B", "C", "D", "A"]
    assert out.new_points.tolist() == [85, 65, 36, 110]
    e3 = out.changes[out.changes["enterprise_id"] == "E3"].iloc[0]
    assert (e3["effect"], e3["note"], e3["new_points"]) == ("+2 points", "kept at points_max 110",
                                                            "110")


def test_events_add_levels_or_points():
    levels = book("abcd", events={"行政处罚": {"levels": 1}, "HACCP认证": {"levels": -1}})
    out = run(levels, directory("BB"), [event("E0", "行政处罚"), event("E1", "haccp认证")])
    assert out.new_class.tolist() == ["C", "A"]
    points = book("shaanxi-100", events={"ISO 22000认证": {"points": 5},
                                         "投诉举报属实": {"points": -5}})
    out = run(points, directory("BB", points=[97, 80]),
              [event("E0", "ISO22000认证"), event("E1", "投诉举报属实")])
    assert out.new_class.tolist() == ["A", "C"]
    assert out.new_points.tolist() == [102, 75]


def test_direct_action_sends_straight_to_a_class_and_locks_it():
    rules = book("abcd", events={"严重违法失信名单": {"to": "D", "lock_months": 24}}, **LEVELS)
    out = run(rules, directory("AB"), [result("E0", "未发现问题"),
                                      event("E0", "严重违法失信名单", row=3)])
    assert out.new_class.tolist() == ["D", "B"]
    lock = out.ledger_rows[out.ledger_rows["kind"] == "lock"].iloc[0]
    assert (lock["locked_class"], lock["locked_until"]) == ("D", "2028-11-02")
    assert out.changes["effect"].tolist() == ["-1 class", "to D, locked until 2028-11-02"]

    # Next cycle: clean inspections cannot take it below D while the lock holds ...
    ledger = Ledger(pd.concat([out.ledger_rows], ignore_index=True))
    later = run(rules, directory("DB"), [result("E0", "未发现问题", row=9, day=dt.date(2027, 3, 1))],
                ledger, as_of=dt.date(2027, 3, 1))
    assert later.new_class.tolist() == ["D", "B"]
    # ... and after it ends they can.
    after = run(rules, directory("DB"), [result("E0", "未发现问题", row=9, day=dt.date(2028, 11, 3))],
                ledger, as_of=dt.date(2028, 11, 3))
    assert after.new_class.tolist() == ["C", "B"]


def test_a_points_lock_holds_the_class_while_the_points_recover():
    rules = book("shaanxi-100", points={"未发现问题": 5},
                 events={"严重违法失信名单": {"to": "D", "lock_months": 24}})
    first = run(rules, directory("B", points=[90]), [event("E0", "严重违法失信名单")])
    assert (first.new_class.tolist(), first.new_points.tolist()) == (["D"], [90])
    later = run(rules, directory("D", points=[90]), [result("E0", "未发现问题", row=5)],
                Ledger(first.ledger_rows), as_of=dt.date(2027, 1, 1))
    assert (later.new_class.tolist(), later.new_points.tolist()) == (["D"], [95])
    ended = run(rules, directory("D", points=[95]), [], Ledger(first.ledger_rows),
                as_of=dt.date(2028, 11, 2))
    assert ended.new_class.tolist() == ["B"]
    assert ended.changes[["rule", "effect", "note"]].values.tolist() == [
        ["lock", "to B", "lock at D ended 2028-11-02"]]


def test_applied_records_are_skipped_and_unmatched_ones_reported():
    rules = book("abcd", **LEVELS)
    records = [result("E0", "发现问题待后续处理"), result("NOPE", "未发现问题", row=7)]
    first = run(rules, directory("AB"), records)
    assert first.new_class.tolist() == ["C", "B"]
    assert [(r.enterprise_id, r.source_row) for r in first.unmatched] == [("NOPE", 7)]
    again = run(rules, directory("CB"), records, Ledger(first.ledger_rows))
    assert again.new_class.tolist() == ["C", "B"]
    assert again.skipped == 1 and again.changes.empty


def test_scenario_checks_name_the_key():
    with pytest.raises(ScenarioError, match=r"regrade.levels.没有这个结果.*neither an official"):
        book("abcd", levels={"没有这个结果": 1})
    with pytest.raises(ScenarioError, match=r"regrade.points.*has no points bands"):
        book("abcd", points={"未发现问题": 1})
    with pytest.raises(ScenarioError, match=r"regrade.levels.*regrade it with points"):
        book("shaanxi-100", levels={"未发现问题": 1})
    with pytest.raises(ScenarioError, match=r"regrade.events.X.*'E' is not a class"):
        book("abcd", events={"X": {"to": "E"}})
    with pytest.raises(ScenarioError, match=r"regrade.events.X.*lock_months needs to"):
        book("abcd", events={"X": {"lock_months": 3, "levels": 1}})
    with pytest.raises(ScenarioError, match=r"regrade.max_step.*at least 1"):
        book("abcd", max_step=0, **LEVELS)


def test_add_months_keeps_the_day_or_takes_the_months_last():
    assert add_months(dt.date(2026, 11, 2), 24) == dt.date(2028, 11, 2)
    assert add_months(dt.date(2026, 8, 31), 6) == dt.date(2027, 2, 28)
