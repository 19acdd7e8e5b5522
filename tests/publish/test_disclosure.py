"""disclosure.xlsx: the public notices hold what the rules say and nothing internal."""

from __future__ import annotations

import datetime as dt
import shutil

import openpyxl
import pandas as pd
import pytest

from planner.plan.inputs import load_plan
from planner.publish.export import export_stage
from planner.publish.results import import_results
from tests.support.export import HOSTILE, ITEMS, fill_workbooks, hostile_enterprises, write_stage_files

NOTICE_ZH = ["序号", "抽查计划编号", "抽查计划名称", "抽查任务编号", "抽查任务名称", "抽查类型", "检查机关",
             "抽查市场主体名称", "统一社会信用代码", "检查完成日期", "检查结果", "备注"]
NOTICE_EN = ["No.", "Plan ID", "Plan name", "Task ID", "Task name", "Check type",
             "Inspecting authority", "Market entity name", "Unified social credit code",
             "Completion date", "Result", "Remarks"]


def published(make_scenario, tmp_path, *, extra="", plan_lines="", remark="复查通过"):
    ent = hostile_enterprises()
    ent["registration_authority"] = [f"测试市{d}市场监督管理局" for d in ent["district"]]
    scenario_path = make_scenario(enterprises=ent, items=ITEMS, extra=extra)
    if plan_lines:
        text = scenario_path.read_text(encoding="utf-8").replace(
            'seed = "test-seed"', 'seed = "test-seed"\n' + plan_lines)
        scenario_path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    write_stage_files(scenario_path, out, n=40)
    scenario, inputs = load_plan(scenario_path)
    export_stage(scenario, inputs, out)
    filled = tmp_path / "filled"
    shutil.copytree(out / "teams", filled)
    paths = sorted(filled.glob("*.xlsx"))
    fill_workbooks(paths, result=lambda t: "发现问题经责令已改正" if t.endswith("7") else "未发现问题",
                   remark=remark)
    import_results(out, paths, today=dt.date(2026, 2, 20))
    return scenario_path, out, inputs


@pytest.fixture
def disclosed(make_scenario, tmp_path):
    return published(make_scenario, tmp_path,
                     plan_lines='task_id = "RW-2026-07"\ntask_name = "食品生产企业专项抽查"\n'
                                'check_type = "定向"')


def all_cells(path):
    wb = openpyxl.load_workbook(path)
    return [(ws.title, c.coordinate, c.value, c.data_type)
            for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]


def test_result_notice_columns_and_rows(disclosed):
    _, out, _ = disclosed
    tasks = pd.read_csv(out / "tasks.csv", dtype=str, keep_default_na=False)
    wb = openpyxl.load_workbook(out / "disclosure.xlsx")
    assert wb.sheetnames == ["抽查结果公告", "抽查任务公告"]
    rows = list(wb["抽查结果公告"].iter_rows(values_only=True))
    assert list(rows[0]) == NOTICE_ZH
    assert len(rows) == 41
    first = rows[1]
    assert first[:7] == (1, "T-2026-Q1", "测试抽查计划", "RW-2026-07", "食品生产企业专项抽查", "定向",
                         "测试市场监督管理局")
    assert [r[7] for r in rows[1:]] == list(tasks["name"])
    assert [r[8] for r in rows[1:]] == list(tasks["enterprise_id"])
    assert all(r[9] == dt.datetime(2026, 2, 10) for r in rows[1:])
    assert [r[10] for r in rows[1:]] == [
        "发现问题经责令已改正" if t.endswith("7") else "未发现问题" for t in tasks["task_id"]]
    assert {r[11] for r in rows[1:]} == {"复查通过"}


def test_task_notice_with_name_list(disclosed):
    _, out, _ = disclosed
    tasks = pd.read_csv(out / "tasks.csv", dtype=str, keep_default_na=False)
    ws = openpyxl.load_workbook(out / "disclosure.xlsx")["抽查任务公告"]
    rows = list(ws.iter_rows(values_only=True))
    block = {r[0]: r[1] for r in rows if r[0] and r[1] is not None}
    assert block["抽查计划编号"] == "T-2026-Q1"
    assert block["抽查任务编号"] == "RW-2026-07"
    assert block["抽查任务名称"] == "食品生产企业专项抽查"
    assert block["抽查类型"] == "定向"
    assert block["抽查事项"] == "食品生产者落实主体责任情况检查；食品标签检查；企业公示信息检查"
    assert block["抽查对象范围"] == "东区、西区"
    assert block["抽查开始日期"] == "2026-01-01" and block["抽查结束日期"] == "2026-03-31"
    assert block["检查机关"] == "测试市场监督管理局"
    assert block["抽查市场主体数量"] == 40
    start = next(i for i, r in enumerate(rows) if r[0] == "序号")
    assert list(rows[start][:4]) == ["序号", "市场主体名称", "统一社会信用代码", "登记机关"]
    names = rows[start + 1:]
    assert [r[0] for r in names] == list(range(1, 41))
    assert [r[2] for r in names] == list(tasks["enterprise_id"])
    assert [r[3] for r in names] == [f"测试市{d}市场监督管理局" for d in tasks["district"]]
    assert ws.print_title_rows == f"${start + 1}:${start + 1}"


def test_no_risk_class_and_no_inspector_data_anywhere(disclosed):
    _, out, inputs = disclosed
    tasks = pd.read_csv(out / "tasks.csv", dtype=str, keep_default_na=False)
    insp = inputs.inspectors
    forbidden = set(insp["inspector_id"]) | set(insp["name"]) | set(insp["certificate_no"])
    forbidden |= set(tasks["ticket"])
    labels = set(inputs.scheme.classes) | set(tasks["stratum"])  # short: compared whole
    cells = all_cells(out / "disclosure.xlsx")
    assert len(cells) > 40 * 12
    for sheet, coord, value, _ in cells:
        text = str(value)
        assert text not in labels, (sheet, coord, text)
        assert "风险" not in text and "risk" not in text.lower(), (sheet, coord, text)
        assert not any(word in text for word in forbidden if word), (sheet, coord, text)
    wb = openpyxl.load_workbook(out / "disclosure.xlsx")
    assert {"检查组", "主检人员", "检查人员"}.isdisjoint(
        {c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row})


def test_public_text_that_looks_like_a_formula_stays_text(disclosed):
    _, out, _ = disclosed
    cells = all_cells(out / "disclosure.xlsx")
    assert all(kind != "f" for *_, kind in cells)
    hostile_names = {v for c, v in HOSTILE.values() if c == "name"}
    found = {value: kind for _, _, value, kind in cells if value in hostile_names}
    assert found == dict.fromkeys(hostile_names, "s")


def test_disclosure_is_byte_identical_for_the_same_results(make_scenario, tmp_path):
    _, out_a, _ = published(make_scenario, tmp_path / "a")
    _, out_b, _ = published(make_scenario, tmp_path / "b")
    for name in ("disclosure.xlsx", "results.csv", "discovery.csv", "history.csv"):
        assert (out_a / name).read_bytes() == (out_b / name).read_bytes(), name


def test_english_disclosure(make_scenario, tmp_path):
    _, out, _ = published(make_scenario, tmp_path, extra='[export]\nlanguage = "en"')
    wb = openpyxl.load_workbook(out / "disclosure.xlsx")
    assert wb.sheetnames == ["Result notice", "Task notice"]
    rows = list(wb["Result notice"].iter_rows(values_only=True))
    assert list(rows[0]) == NOTICE_EN
    assert rows[1][5] == "Non-targeted"
    assert {r[10] for r in rows[1:]} == {"No problem found", "Problem found, corrected on order"}
    # the internal files keep the canonical Chinese categories
    results = pd.read_csv(out / "results.csv", dtype=str)
    assert set(results["result"]) == {"未发现问题", "发现问题经责令已改正"}
