"""The export stage: plan.xlsx and the field workbooks, read back with openpyxl."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from planner.cli import cli
from planner.common import categories as cat
from planner.common.errors import InputError, ScenarioError, VerificationError
from planner.common.xlsx import safe_filename, unique_filenames
from planner.plan.inputs import load_plan
from planner.publish.export import export_stage
from tests.support.data import inspectors_frame
from tests.support.export import HOSTILE, ITEMS, hostile_enterprises, write_stage_files

ZH_HEADERS = ["序号", "抽查任务编号", "企业名称", "统一社会信用代码", "地址", "所属区域", "抽查事项",
              "检查组", "主检人员", "检查人员", "计划检查期间", "检查结果", "后续处置", "检查完成日期",
              "备注"]
EN_HEADERS = ["No.", "Task ID", "Enterprise name", "Unified social credit code", "Address",
              "District", "Inspection items", "Team", "Lead inspector", "Inspectors",
              "Planned period", "Result", "Follow-up", "Completion date", "Remarks"]
def export_plan(make_scenario, tmp_path: Path, *, extra: str = "", n: int = 40,
                out_name: str = "out", items: bool = True):
    scenario_path = make_scenario(enterprises=hostile_enterprises(),
                                  items=ITEMS if items else None, extra=extra)
    out = tmp_path / out_name
    write_stage_files(scenario_path, out, n=n)
    scenario, inputs = load_plan(scenario_path)
    return scenario_path, out, export_stage(scenario, inputs, out)


@pytest.fixture
def exported(make_scenario, tmp_path):
    return export_plan(make_scenario, tmp_path)


def rows_of(path: Path, sheet: int = 0) -> list[tuple]:
    wb = openpyxl.load_workbook(path)
    try:
        return list(wb.worksheets[sheet].iter_rows(values_only=True))
    finally:
        wb.close()


def test_export_writes_plan_field_workbooks_tasks_and_record(exported):
    _, out, result = exported
    tasks = pd.read_csv(out / "tasks.csv", dtype=str)
    leads = sorted(tasks["lead_id"].unique())
    assert result.tasks == 40 == len(tasks)
    assert (out / "plan.xlsx").is_file()
    assert sorted(p.name for p in (out / "teams").glob("*.xlsx")) == sorted(
        p.name for p in result.workbooks)
    # split by team: one workbook per lead inspector (主检)
    assert len(result.workbooks) == len(leads) == 3
    record = json.loads((out / "export.json").read_text(encoding="utf-8"))
    assert record["split_by"] == "team" and record["language"] == "zh"
    assert sum(w["rows"] for w in record["workbooks"]) == 40
    assert result.summary_lines()[0] == f"Export: 40 tasks -> {out / 'plan.xlsx'}"


def test_each_team_workbook_holds_exactly_one_leads_tasks(exported):
    _, out, result = exported
    tasks = pd.read_csv(out / "tasks.csv", dtype=str)
    for path in result.workbooks:
        rows = rows_of(path)
        assert list(rows[0]) == ZH_HEADERS
        task_ids = [r[1] for r in rows[1:]]
        mine = tasks[tasks["workbook"] == f"teams/{path.name}"]
        assert task_ids == list(mine["task_id"])
        assert mine["lead_id"].nunique() == 1
        lead = mine.iloc[0]
        assert path.name == f"team-{lead['lead_id']}-{lead['lead_name']}.xlsx"
        assert {r[8] for r in rows[1:]} == {f"{lead['lead_name']}（{lead['lead_id']}）"}
        assert [r[0] for r in rows[1:]] == list(range(1, len(mine) + 1))


def test_plan_cells_hold_the_plan(exported):
    scenario_path, out, result = exported
    scenario, inputs = load_plan(scenario_path)
    tasks = pd.read_csv(out / "tasks.csv", dtype=str, keep_default_na=False)
    by_task = tasks.set_index("task_id")
    ent = inputs.enterprises.set_index("enterprise_id")
    for path in result.workbooks:
        for row in rows_of(path)[1:]:
            t = by_task.loc[row[1]]
            e = ent.loc[row[3]]
            assert row[2] == e["name"]
            assert (row[4] or "") == e["address"]
            assert row[5] == e["district"]
            assert row[6] == "食品生产者落实主体责任情况检查；食品标签检查；企业公示信息检查"
            assert row[7] == f"第{t['team_no']}组"
            assert row[9] == f"{t['member_names']}（{t['member_ids']}）"
            assert row[10] == "2026-01-01至2026-03-31"
            assert row[11:] == (None, None, None, None)


def test_field_workbook_is_ready_for_the_field(exported):
    _, _, result = exported
    wb = openpyxl.load_workbook(result.workbooks[0])
    ws, lists = wb.worksheets
    n = ws.max_row
    # plan columns locked by sheet protection, result columns editable
    assert ws.protection.sheet is True
    assert all(ws.cell(r, c).protection.locked for r in range(1, n + 1) for c in range(1, 12))
    assert not any(ws.cell(r, c).protection.locked for r in range(2, n + 1)
                   for c in range(12, 16))
    assert all(ws.cell(1, c).protection.locked for c in range(12, 16))
    # drop-down lists from the hidden, protected lists sheet; a date check on the date
    assert lists.title == "选项" and lists.sheet_state == "hidden" and lists.protection.sheet
    assert [lists.cell(i + 1, 1).value for i in range(15)] == [c.zh for c in cat.RESULTS]
    assert [lists.cell(i + 1, 2).value for i in range(6)] == [c.zh for c in cat.FOLLOW_UPS]
    validations = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    assert validations[f"L2:L{n}"].type == "list"
    assert validations[f"L2:L{n}"].formula1 == "'选项'!$A$1:$A$15"
    assert validations[f"M2:M{n}"].formula1 == "'选项'!$B$1:$B$6"
    date_check = validations[f"N2:N{n}"]
    assert date_check.type == "date" and date_check.operator in (None, "between")  # default
    assert date_check.errorStyle in (None, "stop")
    assert date_check.formula1 == "46023" and date_check.formula2 == "46112"  # 2026-01-01..03-31
    # header frozen, filters on, widths fitted, print-ready
    assert ws.freeze_panes == "D2"
    assert ws.auto_filter.ref == f"A1:O{n}"
    assert ws.print_title_rows == "$1:$1"
    assert ws.page_setup.orientation == "landscape"
    assert not ws.sheet_properties.pageSetUpPr.fitToPage  # a fixed scale, >= 90 %
    assert 90 <= int(ws.page_setup.scale) <= 100
    assert ws.page_setup.paperSize == 9
    for col, head in zip("ABCDEFGHIJKLMNO", ZH_HEADERS, strict=True):
        width = ws.column_dimensions[col].width
        assert width >= len(head) * 2, (col, head, width)
    name_width = max(len(str(ws.cell(r, 3).value)) for r in range(2, n + 1))
    # As wide as the longest name, up to the cap; longer names wrap.
    assert ws.column_dimensions["C"].width >= min(name_width, 16)
    assert ws.column_dimensions["C"].width <= 16 + 1


def test_names_and_addresses_that_look_like_formulas_stay_text(exported):
    _, out, result = exported
    seen = {}
    for path in [*result.workbooks, out / "plan.xlsx"]:
        wb = openpyxl.load_workbook(path)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for c in row:
                    assert c.data_type != "f", (path.name, c.coordinate, c.value)
                    if isinstance(c.value, str) and c.value[:1] in "=+-@":
                        seen[c.value] = c.data_type
    assert {v for _, v in HOSTILE.values()} <= set(seen)
    assert set(seen.values()) == {"s"}


def test_bureau_plan_has_summary_and_whole_plan(exported):
    scenario_path, out, _ = exported
    scenario, inputs = load_plan(scenario_path)
    tasks = pd.read_csv(out / "tasks.csv", dtype=str)
    wb = openpyxl.load_workbook(out / "plan.xlsx")
    assert wb.sheetnames == ["汇总", "检查计划", "选项"]
    summary = {r[0]: r[1:] for r in wb["汇总"].iter_rows(values_only=True) if r[0]}
    assert summary["抽查计划编号"][0] == "T-2026-Q1"
    assert summary["随机种子"][0] == "test-seed"
    assert summary["检查机关"][0] == "测试市场监督管理局"
    assert summary["计划检查期间"][0] == "2026-01-01至2026-03-31"
    assert summary["enterprises"][0] == inputs.hashes["enterprises"]
    assert summary["inspectors"][0] == inputs.hashes["inspectors"]
    assert summary["抽查户数"][0] == 40
    counts = tasks["risk_class"].value_counts()
    for c in "ABCD":
        assert summary[c][0] == counts.get(c, 0)
    for district in ("东区", "西区"):
        mine = tasks[tasks["district"] == district]["risk_class"].value_counts()
        assert list(summary[district][:5]) == [mine.get(c, 0) for c in "ABCD"] + [len(
            tasks[tasks["district"] == district])]
    lead_counts = tasks["lead_id"].value_counts()
    for lead, n in lead_counts.items():
        assert summary[lead][3] == n  # as lead
    plan_rows = list(wb["检查计划"].iter_rows(values_only=True))
    assert list(plan_rows[0]) == ZH_HEADERS + ["风险分类", "抽样分层", "抽签随机数", "现场工作簿"]
    assert [r[1] for r in plan_rows[1:]] == list(tasks["task_id"])
    assert [r[15] for r in plan_rows[1:]] == list(tasks["risk_class"])
    assert [r[18] for r in plan_rows[1:]] == list(tasks["workbook"])


def test_same_inputs_and_seed_give_byte_identical_files(make_scenario, tmp_path):
    scenario_path = make_scenario(enterprises=hostile_enterprises(), items=ITEMS)
    scenario, inputs = load_plan(scenario_path)
    outs = [tmp_path / "a", tmp_path / "b"]
    write_stage_files(scenario_path, outs[0], n=30)
    shutil.copytree(outs[0], outs[1])
    for out in outs:
        export_stage(scenario, inputs, out)
    files = sorted(p.relative_to(outs[0]) for p in outs[0].rglob("*") if p.is_file())
    assert Path("plan.xlsx") in files and len(files) >= 8
    for rel in files:
        assert (outs[0] / rel).read_bytes() == (outs[1] / rel).read_bytes(), rel
    wb = openpyxl.load_workbook(outs[0] / "plan.xlsx")
    assert wb.properties.created.isoformat() == "2026-01-01T00:00:00"


def test_a_crash_while_writing_leaves_no_half_file(make_scenario, tmp_path, monkeypatch):
    scenario_path, out, _ = export_plan(make_scenario, tmp_path)
    before = {p: p.read_bytes() for p in out.rglob("*.xlsx")}
    import planner.publish.export as export_module

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(export_module, "write_cells", boom)
    scenario, inputs = load_plan(scenario_path)
    with pytest.raises(RuntimeError, match="disk full"):
        export_stage(scenario, inputs, out)
    after = {p: p.read_bytes() for p in out.rglob("*.xlsx")}
    assert after == before
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]


@pytest.mark.parametrize(
    ("split", "names"),
    [("district", ["district-东区.xlsx", "district-西区.xlsx"]), ("none", ["all.xlsx"])],
)
def test_split_by_district_or_none(make_scenario, tmp_path, split, names):
    _, out, result = export_plan(make_scenario, tmp_path, extra=f'[export]\nsplit_by = "{split}"')
    assert [p.name for p in result.workbooks] == names
    tasks = pd.read_csv(out / "tasks.csv", dtype=str)
    for path in result.workbooks:
        rows = rows_of(path)[1:]
        assert [r[1] for r in rows] == list(tasks[tasks["workbook"] == f"teams/{path.name}"]
                                            ["task_id"])
        if split == "district":
            assert {r[5] for r in rows} == {path.stem.removeprefix("district-")}


def test_a_new_split_removes_the_old_field_workbooks(make_scenario, tmp_path):
    scenario_path, out, first = export_plan(make_scenario, tmp_path)
    assert len(first.workbooks) == 3
    text = scenario_path.read_text(encoding="utf-8") + '\n[export]\nsplit_by = "none"\n'
    scenario_path.write_text(text, encoding="utf-8")
    scenario, inputs = load_plan(scenario_path)
    keep = out / "teams" / "notes.xlsx"
    keep.write_bytes(b"not ours")
    export_stage(scenario, inputs, out)
    assert sorted(p.name for p in (out / "teams").iterdir()) == ["all.xlsx", "notes.xlsx"]


def test_english_headers(make_scenario, tmp_path):
    _, out, result = export_plan(make_scenario, tmp_path, extra='[export]\nlanguage = "en"')
    wb = openpyxl.load_workbook(result.workbooks[0])
    ws = wb.worksheets[0]
    assert [c.value for c in ws[1]] == EN_HEADERS
    assert wb.sheetnames == ["Plan", "Lists"]
    assert wb["Lists"]["A1"].value == "No problem found"
    assert ws["K2"].value == "2026-01-01 to 2026-03-31"
    assert ws["H2"].value == "Team 1"
    plan = openpyxl.load_workbook(out / "plan.xlsx")
    assert plan.sheetnames == ["Summary", "Plan", "Lists"]


def test_without_items_file_the_items_cell_is_empty_and_a_warning_says_so(make_scenario,
                                                                        tmp_path):
    _, _, result = export_plan(make_scenario, tmp_path, items=False)
    assert all(r[6] is None for r in rows_of(result.workbooks[0])[1:])
    assert result.summary_lines()[-1] == (
        "  warning: no inspection items: the 抽查事项 column is empty; give [inputs] items and "
        "list the plan's item codes in [plan] items")


def test_plan_items_select_and_order_item_names(make_scenario, tmp_path):
    scenario_path = make_scenario(items=ITEMS)
    text = scenario_path.read_text(encoding="utf-8").replace(
        'seed = "test-seed"', 'seed = "test-seed"\nitems = ["GS-01", "SP-01"]')
    scenario_path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    write_stage_files(scenario_path, out, n=5)
    scenario, inputs = load_plan(scenario_path)
    result = export_stage(scenario, inputs, out)
    assert rows_of(result.workbooks[0])[1][6] == "企业公示信息检查；食品生产者落实主体责任情况检查"


def test_unknown_item_code_names_the_key(make_scenario, tmp_path):
    scenario_path = make_scenario(items=ITEMS)
    text = scenario_path.read_text(encoding="utf-8").replace(
        'seed = "test-seed"', 'seed = "test-seed"\nitems = ["XX-99"]')
    scenario_path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    write_stage_files(scenario_path, out, n=5)
    scenario, inputs = load_plan(scenario_path)
    with pytest.raises(ScenarioError, match=r"plan.items: item code 'XX-99' is not in the items"):
        export_stage(scenario, inputs, out)


def test_inputs_changed_since_the_draw_are_refused(make_scenario, tmp_path):
    scenario_path, out, _ = export_plan(make_scenario, tmp_path)
    inspectors = tmp_path / "inspectors.csv"
    inspectors.write_bytes(inspectors.read_bytes() + b"\n")
    scenario, inputs = load_plan(scenario_path)
    with pytest.raises(VerificationError) as info:
        export_stage(scenario, inputs, out)
    assert "the inputs differ from those" in str(info.value)
    assert info.value.differences[0].startswith("inspectors: the draw used ")


def test_missing_stage_files_say_what_to_run(make_scenario, tmp_path):
    scenario_path = make_scenario()
    scenario, inputs = load_plan(scenario_path)
    with pytest.raises(InputError) as info:
        export_stage(scenario, inputs, tmp_path / "empty")
    assert str(info.value) == (f"{tmp_path / 'empty' / 'sample.csv'}: not found; run the draw "
                               "and assignment first: planner run SCENARIO -o OUT")


def test_assignments_that_do_not_fit_are_reported_with_rows(make_scenario, tmp_path):
    scenario_path = make_scenario()
    out = tmp_path / "out"
    _, seats = write_stage_files(scenario_path, out, n=4)
    seats.loc[1, "role"] = "lead"         # task 1 now has two leads
    seats.loc[3, "inspector_id"] = "P999"  # unknown inspector
    seats.loc[4, "role"] = "boss"
    seats.to_csv(out / "assignments.csv", index=False)
    scenario, inputs = load_plan(scenario_path)
    with pytest.raises(InputError) as info:
        export_stage(scenario, inputs, out)
    text = str(info.value)
    label = out / "assignments.csv"
    assert f"{label}, row 6, column 'role': role must be lead or member (value 'boss')" in text
    assert (f"{label}, column 'task_id': task has 2 leads (主检); it needs exactly one "
            "(value 'T-2026-Q1-0001')") in text
    assert (f"{label}, row 5, column 'inspector_id': inspector is not in the inspectors file "
            "(value 'P999')") in text


def test_a_task_naming_two_enterprises_is_reported(make_scenario, tmp_path):
    scenario_path = make_scenario()
    out = tmp_path / "out"
    _, seats = write_stage_files(scenario_path, out, n=4)
    other = seats.loc[2, "enterprise_id"]
    seats.loc[1, "enterprise_id"] = other  # task 1's member seat names task 2's enterprise
    seats.to_csv(out / "assignments.csv", index=False)
    scenario, inputs = load_plan(scenario_path)
    with pytest.raises(InputError) as info:
        export_stage(scenario, inputs, out)
    text = str(info.value)
    label = out / "assignments.csv"
    assert (f"{label}, column 'task_id': task names more than one enterprise; one task inspects "
            "one enterprise (value 'T-2026-Q1-0001')") in text
    assert (f"{label}, column 'enterprise_id': enterprise has more than one task "
            f"(value '{other}')") in text
    assert not (out / "tasks.csv").exists()


def test_cli_export(make_scenario, tmp_path):
    scenario_path = make_scenario(items=ITEMS)
    out = tmp_path / "out"
    write_stage_files(scenario_path, out, n=10)
    result = CliRunner().invoke(cli, ["export", str(scenario_path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-2:] == [
        f"Export: 10 tasks -> {out / 'plan.xlsx'}",
        f"  field workbooks: 3 in {out / 'teams'} (split by team, headers zh)",
    ]
    missing = CliRunner().invoke(cli, ["export", str(scenario_path), "-o", str(tmp_path / "x")])
    assert missing.exit_code == 2
    assert "sample.csv: not found; run the draw and assignment first" in missing.output
    assert "Traceback" not in missing.output


def test_safe_file_names():
    assert safe_filename('a<b>c:d"e/f\\g|h?i*j') == "a_b_c_d_e_f_g_h_i_j"
    assert safe_filename("CON") == "_CON"
    assert safe_filename("com1.team") == "_com1.team"
    assert safe_filename("name. ") == "name"
    assert safe_filename("...") == "_"
    assert safe_filename("检查员\t张三") == "检查员_张三"
    assert len(safe_filename("x" * 300)) == 80
    assert unique_filenames(["team-A", "team-a", "team-A"]) == [
        "team-A.xlsx", "team-a-2.xlsx", "team-A-3.xlsx"]


def test_inspector_names_used_in_file_names_are_made_safe(make_scenario, tmp_path):
    insp = inspectors_frame()
    insp.loc[0, "name"] = "王/五:?"
    scenario_path = make_scenario(inspectors=insp)
    out = tmp_path / "out"
    write_stage_files(scenario_path, out, n=6)
    scenario, inputs = load_plan(scenario_path)
    result = export_stage(scenario, inputs, out)
    assert result.workbooks[0].name == "team-P000-王_五__.xlsx"


def test_worker_processes_write_the_same_files(make_scenario, tmp_path, monkeypatch):
    import planner.publish.export as export_module

    scenario_path = make_scenario(enterprises=hostile_enterprises(), items=ITEMS)
    scenario, inputs = load_plan(scenario_path)
    outs = [tmp_path / "one", tmp_path / "many"]
    write_stage_files(scenario_path, outs[0], n=30)
    shutil.copytree(outs[0], outs[1])
    export_stage(scenario, inputs, outs[0])
    monkeypatch.setattr(export_module, "PARALLEL_ROWS", 1)
    cores = min(2, os.cpu_count() or 1)
    assert export_module._worker_count(30) == (cores if sys.platform.startswith("linux") else 1)
    export_stage(scenario, inputs, outs[1])
    files = sorted(p.relative_to(outs[0]) for p in outs[0].rglob("*") if p.is_file())
    assert sum(rel.suffix == ".xlsx" for rel in files) == 4
    assert Path("tasks.csv") in files  # written by a worker here
    assert files == sorted(p.relative_to(outs[1]) for p in outs[1].rglob("*") if p.is_file())
    for rel in files:
        assert (outs[0] / rel).read_bytes() == (outs[1] / rel).read_bytes(), rel


def test_a_sample_that_does_not_fit_the_directory_is_reported(make_scenario, tmp_path):
    scenario_path = make_scenario()
    out = tmp_path / "out"
    sample, _ = write_stage_files(scenario_path, out, n=4)
    sample.loc[1, "enterprise_id"] = sample.loc[0, "enterprise_id"]
    sample.to_csv(out / "sample.csv", index=False)
    scenario, inputs = load_plan(scenario_path)
    with pytest.raises(InputError) as info:
        export_stage(scenario, inputs, out)
    assert (f"{out / 'sample.csv'}, column 'enterprise_id': enterprise drawn twice; re-run the "
            f"draw (value '{sample.loc[0, 'enterprise_id']}')") in str(info.value)
