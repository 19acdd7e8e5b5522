"""One expert per team from the experts list (专家库), under avoidance."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from planner.app.assign import assign_stage
from planner.assign.check import check_plan
from planner.cli import cli
from planner.common.errors import InfeasiblePlanError, InputError
from tests.support.assign import assign_and_check, setup
from tests.support.data import enterprises_frame
from tests.support.export import fill_workbooks


def write_experts(tmp_path, rows: list[tuple]) -> str:
    frame = pd.DataFrame(rows, columns=["专家编号", "姓名", "专业领域", "回避企业", "是否可用"])
    frame.to_csv(tmp_path / "experts.csv", index=False)
    return '[assignment]\nexperts = "experts.csv"\n'


def test_every_team_gets_one_expert_evenly_and_avoidance_holds(make_scenario, tmp_path):
    ent = enterprises_frame(12)
    first = ent["enterprise_id"][0]
    extra = write_experts(tmp_path, [("E1", "专家甲", "特种设备", first, "是"),
                                     ("E2", "专家乙", "食品", "", "是"),
                                     ("E3", "专家丙", "食品", "", "是"),
                                     ("E4", "专家丁", "食品", "", "否")])
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=ent, extra=extra)
    assign_and_check(scenario, inputs, out)
    drawn = pd.read_csv(out / "experts.csv", dtype=str)
    assert len(drawn) == 12 and drawn["task_id"].is_unique
    assert drawn.loc[drawn["enterprise_id"] == first, "expert_id"].iat[0] != "E1"
    assert "E4" not in set(drawn["expert_id"])
    assert drawn["expert_id"].value_counts().tolist() == [4, 4, 4]
    assert "one expert per team" in check_plan(scenario, inputs, out).rules
    # experts are not inspectors: the teams are as without them
    seats = pd.read_csv(out / "assignments.csv", dtype=str)
    assert not set(seats["inspector_id"]) & {"E1", "E2", "E3"}


def test_the_checker_catches_an_expert_who_must_avoid(make_scenario, tmp_path):
    ent = enterprises_frame(6)
    first = ent["enterprise_id"][0]
    extra = write_experts(tmp_path, [("E1", "专家甲", "", first, "是"),
                                     ("E2", "专家乙", "", "", "是")])
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=ent, extra=extra)
    assign_and_check(scenario, inputs, out)
    drawn = pd.read_csv(out / "experts.csv", dtype=str)
    task = drawn.loc[drawn["enterprise_id"] == first, "task_id"].iat[0]
    drawn.loc[drawn["enterprise_id"] == first, "expert_id"] = "E1"
    drawn.to_csv(out / "experts.csv", index=False)
    assert check_plan(scenario, inputs, out).violations == [
        f"task {task} (enterprise {first}): expert E1 must avoid (回避) the enterprise"]


def test_an_enterprise_every_expert_avoids_is_explained(make_scenario, tmp_path):
    ent = enterprises_frame(4)
    first = ent["enterprise_id"][0]
    extra = write_experts(tmp_path, [("E1", "专家甲", "", first, "是")])
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=ent, extra=extra)
    with pytest.raises(InfeasiblePlanError) as info:
        assign_stage(scenario, inputs, out)
    assert f"{first} (task T-2026-Q1-00001): every one of the 1 available experts must avoid" \
           in str(info.value)
    assert not (out / "assignments.csv").exists() and not (out / "experts.csv").exists()


def test_a_bad_experts_file_names_row_and_column(make_scenario, tmp_path):
    extra = write_experts(tmp_path, [("E1", "专家甲", "", "", "也许"), ("E1", "专家乙", "", "", "是")])
    path = make_scenario(extra=extra)
    result = CliRunner().invoke(cli, ["run", str(path), "-o", str(tmp_path / "o")])
    assert result.exit_code != 0
    assert "row 2, column 'available': must be 是 or 否 (yes or no)" in result.output
    assert "row 3" in result.output and "expert" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "o" / "assignments.csv").exists()


def test_read_experts_rejects_a_missing_column(tmp_path):
    from planner.assign.experts import read_experts

    (tmp_path / "x.csv").write_text("专家编号\nE1\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_experts(tmp_path / "x.csv")
    assert "name" in str(info.value)


def _sheet_rows(path):
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True)
    sheets = [[list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets]
    wb.close()
    return next(rows for rows in sheets if any(r and "检查结果" in r for r in rows))


def test_the_expert_drawn_shows_in_tasks_plan_and_field_workbooks(make_scenario, tmp_path):
    extra = write_experts(tmp_path, [("E1", "专家甲", "", "", "是"), ("E2", "专家乙", "", "", "是")])
    path = make_scenario(extra=extra)
    out = tmp_path / "o"
    result = CliRunner().invoke(cli, ["run", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    drawn = pd.read_csv(out / "experts.csv", dtype=str)
    tasks = pd.read_csv(out / "tasks.csv", dtype=str)
    assert dict(zip(tasks["task_id"], tasks["expert_id"], strict=True)) == \
        dict(zip(drawn["task_id"], drawn["expert_id"], strict=True))
    names = {"E1": "专家甲", "E2": "专家乙"}
    assert (tasks["expert_name"] == tasks["expert_id"].map(names)).all()
    want = {t: f"{names[e]}（{e}）" for t, e in zip(drawn["task_id"], drawn["expert_id"],
                                                   strict=True)}
    books = [out / "plan.xlsx", *sorted((out / "teams").glob("*.xlsx"))]
    seen = {}
    for book in books:
        rows = _sheet_rows(book)
        head = next(r for r in rows if r and "专家" in r)
        at, task_at = head.index("专家"), head.index("抽查任务编号")
        assert head[at - 1] == "检查人员"
        body = [r for r in rows[rows.index(head) + 1:] if r[task_at]]
        seen.update({r[task_at]: r[at] for r in body})
    assert seen == want
    # the filled workbooks read back as before: the column is not one to fill in
    filled = fill_workbooks(sorted((out / "teams").glob("*.xlsx")))
    again = CliRunner().invoke(cli, ["results", str(out), *map(str, filled)])
    assert again.exit_code == 0, again.output


def test_a_plan_without_experts_has_no_expert_column(make_scenario, tmp_path):
    out = tmp_path / "o"
    result = CliRunner().invoke(cli, ["run", str(make_scenario()), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "expert_id" not in pd.read_csv(out / "tasks.csv", dtype=str).columns
    assert not any("专家" in (r or []) for r in _sheet_rows(out / "plan.xlsx"))


def test_plan_table_puts_the_expert_after_the_inspectors():
    from planner.common import columns

    keys = [c.key for c in columns.plan_table(True)]
    assert keys[keys.index("members") + 1] == "expert"
    assert columns.plan_table(False) == columns.PLAN
