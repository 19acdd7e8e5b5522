"""Problem rates per class from a history with results (Beta posterior), and populations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planner.common.errors import InputError, ScenarioError
from planner.common.grading import get_scheme
from planner.simulate.prevalence import (
    estimate_rates,
    parse_problems,
    population_from_history,
    read_history,
)

ABCD = get_scheme("abcd")


def _write(tmp_path: Path, frame: pd.DataFrame, name: str = "history.csv") -> Path:
    path = tmp_path / name
    if name.endswith(".xlsx"):
        frame.to_excel(path, index=False)
    else:
        path.write_text(frame.to_csv(index=False), encoding="utf-8")
    return path


def test_counts_greater_than_zero_are_problems_and_empty_cells_are_left_out():
    problem, usable, found = parse_problems(pd.Series(["0", "2", "", "1"]), "h.csv", "n")
    assert problem.tolist() == [False, True, False, True]
    assert usable.tolist() == [True, True, False, True]
    assert found == []


def test_official_categories_and_yes_no_words():
    cells = ["未发现问题", "发现问题待后续处理；违反其他部门相关规定", "注销", "是", "否",
             "No problem found", "Problem found, pending follow-up"]
    problem, usable, found = parse_problems(pd.Series(cells), "h.csv", "result")
    assert problem.tolist() == [False, True, False, True, False, False, True]
    assert usable.tolist() == [True, True, False, True, True, True, True]
    assert found == []


def test_unreadable_results_are_reported_with_row_and_value():
    _, _, found = parse_problems(pd.Series(["未发现问题", "maybe", "-1x"]), "h.csv", "result")
    assert [str(p) for p in found] == [
        f"h.csv, row {row}, column 'result': cannot tell whether a problem was found: write a "
        "count (0, 1, ...), yes/no (是/否) or an official result category such as 未发现问题 / "
        f"发现问题待后续处理 (value {value!r})"
        for row, value in ((3, "maybe"), (4, "-1x"))
    ]
    _, _, found = parse_problems(pd.Series(["0", "-2"]), "h.csv", "n")
    assert [str(p) for p in found] == [
        "h.csv, row 3, column 'n': a count of problems cannot be negative (value '-2')"]


def test_class_column_with_a_class_map(tmp_path):
    frame = pd.DataFrame({
        "licence": ["1", "1", "2", "3", "4"],
        "risk": ["Risk 1 (High)", "Risk 1 (High)", "Risk 3 (Low)", "low", "Risk 1 (High)"],
        "criticalCount": [0, 3, 1, 0, 0],
        "inspection_date": ["2012-01-01", "2013-01-01", "2012-05-01", "2012-06-01",
                            "2012-07-01"],
    })
    history = read_history(_write(tmp_path, frame), ABCD, class_column="risk",
                           class_map={"Risk 1 (High)": "D", "Risk 3 (Low)": "A"},
                           problem_column="criticalCount", id_column="licence")
    records = history.records
    assert records["risk_class"].tolist() == ["D", "D", "A", "A", "D"]
    assert records["problem"].tolist() == [False, True, True, False, False]
    assert records["enterprise_id"].tolist() == ["1", "1", "2", "3", "4"]
    assert records["date"].iloc[1] == pd.Timestamp("2013-01-01")
    assert history.skipped == 0 and len(history.sha256) == 64


def test_unknown_classes_are_grouped_by_value_with_their_rows(tmp_path):
    frame = pd.DataFrame({"risk": ["A", "X", "B", "X", "Y"], "result": ["否"] * 5})
    with pytest.raises(InputError) as err:
        read_history(_write(tmp_path, frame), ABCD, class_column="risk")
    messages = [p.message for p in err.value.problems]
    assert messages == [
        "class unknown to scheme 'abcd' (A, B, C, D) in 2 row(s): 3, 5; map it with "
        "[simulation] class_map",
        "class unknown to scheme 'abcd' (A, B, C, D) in 1 row(s): 6; map it with "
        "[simulation] class_map",
    ]
    assert [p.value for p in err.value.problems] == ["X", "Y"]


def test_a_column_named_in_the_scenario_must_exist(tmp_path):
    frame = pd.DataFrame({"risk": ["A"], "result": ["否"]})
    with pytest.raises(InputError) as err:
        read_history(_write(tmp_path, frame), ABCD, class_column="grade")
    assert err.value.problems[0].message == (
        "has no column 'grade' (named by [simulation] class_column); its columns are risk, "
        "result")
    with pytest.raises(InputError) as err:
        read_history(_write(tmp_path, pd.DataFrame({"risk": ["A"]})), ABCD, class_column="risk")
    assert err.value.problems[0].message == (
        "no problem column: name it with [simulation] problem_column (accepted headers: "
        "result / 检查结果 / results)")


def test_classes_looked_up_in_the_directory_by_enterprise_id(tmp_path):
    directory = pd.DataFrame({"enterprise_id": ["E1", "E2"], "risk_class": ["A", "C"]})
    frame = pd.DataFrame({"统一社会信用代码": ["e1", "E2", "E9", "E2"],
                          "检查结果": ["未发现问题", "发现问题经责令已改正", "未发现问题",
                                   "已关闭停业或正在组织清算"]})
    history = read_history(_write(tmp_path, frame, "h.xlsx"), ABCD, directory=directory)
    assert history.records["risk_class"].tolist() == ["A", "C"]
    assert history.records["problem"].tolist() == [False, True]
    assert history.skipped == 1  # closed: not inspected
    assert [(w.row, w.column, w.value, w.message, w.severity) for w in history.warnings] == [
        (4, "统一社会信用代码", "E9", "enterprise not in the directory: row left out", "warning")
    ]


def test_without_class_column_or_directory_the_scenario_key_is_named(tmp_path):
    frame = pd.DataFrame({"enterprise_id": ["E1"], "result": ["否"]})
    with pytest.raises(ScenarioError) as err:
        read_history(_write(tmp_path, frame), ABCD, scenario="s.toml")
    assert str(err.value).startswith("s.toml: simulation.class_column: the history has no risk "
                                     "class: set class_column")


def test_jeffreys_posterior_counts_inspections_per_class():
    records = pd.DataFrame({"risk_class": ["A"] * 10 + ["D"] * 4,
                            "problem": [True] + [False] * 9 + [True, True, False, False]})
    rates = estimate_rates(records, ABCD.classes, interval=0.9)
    assert rates.loc["A", ["inspections", "problems"]].tolist() == [10, 1]
    assert rates.loc["A", "observed_rate"] == pytest.approx(0.1)
    assert (rates.loc["A", "alpha"], rates.loc["A", "beta"]) == (1.5, 9.5)
    assert rates.loc["A", "mean"] == pytest.approx(1.5 / 11)
    assert rates.loc["B", "inspections"] == 0 and np.isnan(rates.loc["B", "observed_rate"])
    # Beta(2.5, 2.5) is symmetric: its interval is centred on 1/2
    assert rates.loc["D", "low"] + rates.loc["D", "high"] == pytest.approx(1.0)


def test_uniform_prior_interval_matches_the_closed_form():
    """With no problem in n inspections the posterior is Beta(1, n + 1): F(x) = 1 - (1-x)^(n+1)."""
    n = 40
    records = pd.DataFrame({"risk_class": ["B"] * n, "problem": [False] * n})
    rates = estimate_rates(records, ABCD.classes, prior="uniform", interval=0.9)
    for q, column in ((0.05, "low"), (0.95, "high")):
        assert rates.loc["B", column] == pytest.approx(1 - (1 - q) ** (1 / (n + 1)), rel=1e-9)


def test_population_counts_each_enterprise_once_in_its_latest_class():
    records = pd.DataFrame({
        "enterprise_id": ["1", "1", "2", "3", "3"],
        "risk_class": ["D", "A", "B", "C", "D"],
        "date": pd.to_datetime(["2013-01-01", "2012-01-01", "2012-01-01", pd.NaT,
                                "2012-01-01"]),
        "row": [2, 3, 4, 5, 6],
    })
    assert population_from_history(records, ABCD.classes) == {"A": 0, "B": 1, "C": 0, "D": 2}


def test_population_needs_enterprise_ids():
    records = pd.DataFrame({"enterprise_id": [""], "risk_class": ["A"], "date": [pd.NaT],
                            "row": [2]})
    with pytest.raises(ScenarioError, match="simulation.id_column: the history has no "
                                            "enterprise id column"):
        population_from_history(records, ABCD.classes)
