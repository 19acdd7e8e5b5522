"""planner results: round trip through filled field workbooks, and every check on import."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from planner.cli import cli
from planner.common.errors import InputError, ScenarioError
from planner.plan.inputs import load_inputs, load_plan
from planner.plan.scenario import load_scenario
from planner.publish.export import export_stage
from planner.publish.results import import_results, parse_date
from tests.support.export import fill_workbooks, header_map, write_stage_files

TODAY = dt.date(2026, 3, 2)
PROBLEM = "发现问题待后续处理；违反其他部门相关规定"


@pytest.fixture
def planned(make_scenario, tmp_path):
    """A plan of 20 tasks exported to tmp_path/out, with copies of the field workbooks."""
    history = pd.DataFrame({"enterprise_id": ["91440300048546475W"], "inspector_id": ["P001"],
                            "date": ["2025-06-30"], "result": ["未发现问题"]})
    scenario_path = make_scenario(history=history)
    out = tmp_path / "out"
    write_stage_files(scenario_path, out, n=20)
    scenario, inputs = load_plan(scenario_path)
    export_stage(scenario, inputs, out)
    filled = tmp_path / "filled"
    shutil.copytree(out / "teams", filled)
    return scenario_path, out, sorted(filled.glob("*.xlsx"))


def tasks_of(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "tasks.csv", dtype=str, keep_default_na=False)


def problem_every_third(task: str) -> str:
    return PROBLEM if int(task[-4:]) % 3 == 0 else "未发现问题"


def test_round_trip_writes_disclosure_results_discovery_and_history(planned):
    scenario_path, out, paths = planned
    fill_workbooks(paths, result=problem_every_third,
                   follow_up=lambda t: "责令改正" if int(t[-4:]) % 3 == 0 else "无需后续处置",
                   date=lambda t: dt.date(2026, 2, 1) + dt.timedelta(days=int(t[-4:])))
    result = import_results(out, paths, today=TODAY)
    tasks = tasks_of(out)

    results = pd.read_csv(out / "results.csv", dtype=str, keep_default_na=False)
    assert list(results["task_id"]) == list(tasks["task_id"])
    expected = [problem_every_third(t) for t in tasks["task_id"]]
    assert list(results["result"]) == expected
    assert list(results["completed"]) == [
        (dt.date(2026, 2, 1) + dt.timedelta(days=int(t[-4:]))).isoformat()
        for t in tasks["task_id"]]

    discovery = pd.read_csv(out / "discovery.csv", dtype={"risk_class": str})
    tasks["problem"] = [e == PROBLEM for e in expected]
    for _, row in discovery.iterrows():
        mine = tasks if row["risk_class"] == "total" else tasks[tasks["risk_class"] ==
                                                                row["risk_class"]]
        assert row["inspected"] == len(mine)
        assert row["problems"] == mine["problem"].sum()
        assert row["discovery_rate"] == pytest.approx(mine["problem"].mean(), abs=1e-6)
    assert list(discovery["risk_class"]) == ["A", "B", "C", "D", "total"]

    wb = openpyxl.load_workbook(out / "disclosure.xlsx")
    notice = list(wb.worksheets[0].iter_rows(values_only=True))
    assert [r[8] for r in notice[1:]] == list(tasks["enterprise_id"])
    assert [r[10] for r in notice[1:]] == expected
    assert result.summary_lines()[0] == (
        f"Results: 20 tasks from {len(paths)} workbook(s) -> {out / 'disclosure.xlsx'}")


def test_history_is_previous_plus_one_row_per_enterprise_and_inspector(planned, tmp_path):
    scenario_path, out, paths = planned
    fill_workbooks(paths, result=problem_every_third)
    result = import_results(out, paths, today=TODAY)
    history = pd.read_csv(out / "history.csv", dtype=str, keep_default_na=False)
    assert list(history.columns) == ["enterprise_id", "inspector_id", "date", "result"]
    assert history.iloc[0].tolist() == ["91440300048546475W", "P001", "2025-06-30", "未发现问题"]
    seats = pd.read_csv(out / "assignments.csv", dtype=str)
    assert len(history) == 1 + len(seats) == result.history_rows
    assert result.new_history_rows == len(seats)
    new = history.iloc[1:]
    assert set(zip(new["enterprise_id"], new["inspector_id"], strict=True)) == set(
        zip(seats["enterprise_id"], seats["inspector_id"], strict=True))
    assert set(new["date"]) == {"2026-02-10"}
    # next quarter's scenario reads it as its history input
    text = scenario_path.read_text(encoding="utf-8")
    next_scenario = scenario_path.with_name("next.toml")
    next_scenario.write_text(text.replace('history = "history.csv"',
                                          f'history = "{(out / "history.csv").as_posix()}"'),
                             encoding="utf-8")
    inputs = load_inputs(load_scenario(next_scenario))
    assert len(inputs.history) == len(history)
    assert inputs.history["date"].max() == pd.Timestamp("2026-02-10")
    assert not [w for w in inputs.warnings if "history" in w.file]


def test_importing_twice_does_not_duplicate_history(planned):
    _, out, paths = planned
    fill_workbooks(paths)
    first = import_results(out, paths, today=TODAY)
    first_bytes = {n: (out / n).read_bytes() for n in ("disclosure.xlsx", "history.csv",
                                                       "results.csv", "discovery.csv")}
    second = import_results(out, paths, today=TODAY)
    assert second.history_rows == first.history_rows
    assert {n: (out / n).read_bytes() for n in first_bytes} == first_bytes


def test_problems_are_all_listed_with_workbook_sheet_row_and_nothing_is_written(planned):
    _, out, paths = planned
    fill_workbooks(paths)
    tasks = tasks_of(out)
    first, second = paths[0], paths[1]
    wb = openpyxl.load_workbook(first)
    ws = wb.worksheets[0]
    cols = header_map(ws)
    renamed_task = ws.cell(4, cols["抽查任务编号"]).value
    ws.cell(2, cols["检查结果"]).value = "基本合格"
    ws.cell(3, cols["检查完成日期"]).value = dt.date(2026, 4, 2)
    ws.cell(4, cols["企业名称"]).value = "另一家公司"
    ws.cell(5, cols["后续处置"]).value = "罚款"
    ws.cell(5, cols["检查结果"]).value = None
    moved_task = ws.cell(6, cols["抽查任务编号"]).value
    duplicate = [c.value for c in ws[7]]
    ws.delete_rows(6)
    wb.save(first)
    wb = openpyxl.load_workbook(second)
    ws = wb.worksheets[0]
    ws.append(duplicate)
    extra_row = ws.max_row
    ws.append([99, "T-2026-Q1-9999", "新增企业"])
    wb.save(second)

    with pytest.raises(InputError) as info:
        import_results(out, paths, today=TODAY)
    where1 = f"{first}, sheet '检查计划'"
    where2 = f"{second}, sheet '检查计划'"
    missing_row = tasks.set_index("task_id").loc[moved_task]
    assert [str(p) for p in info.value.problems] == [
        f"{where1}, row 2, column '检查结果': unknown result category (检查结果) '基本合格'; "
        "choose from the drop-down list, several separated by ； (value '基本合格')",
        f"{where1}, row 3, column '检查完成日期': completion date outside the plan period "
        "2026-01-01 to 2026-03-31 (value '2026-04-02')",
        f"{where1}, row 4, column '企业名称': plan column changed; the plan says "
        f"'{tasks.set_index('task_id').loc[renamed_task, 'name']}' (value '另一家公司')",
        f"{where1}, row 5, column '检查结果': no result: choose 检查结果 from the drop-down list",
        f"{where1}, row 5, column '后续处置': unknown follow-up (后续处置) '罚款'; choose from "
        "the drop-down list, several separated by ； (value '罚款')",
        f"{where2}, row {extra_row}, column '抽查任务编号': duplicate row: task {duplicate[1]} is "
        f"already in {where1}, row 6 (value '{duplicate[1]}')",
        f"{where2}, row {extra_row + 1}, column '抽查任务编号': task id is not in the plan "
        "(added row, or the id was changed) (value 'T-2026-Q1-9999')",
        f"{out / missing_row['workbook']}, column '抽查任务编号': row missing: task {moved_task} "
        f"({missing_row['name']}) is in the plan but in none of the filled workbooks; pass "
        f"every team's workbook (value '{moved_task}')",
    ]
    for name in ("disclosure.xlsx", "history.csv", "results.csv", "discovery.csv"):
        assert not (out / name).exists()


def test_completion_date_after_today_and_unreadable_dates(planned):
    _, out, paths = planned
    fill_workbooks(paths, date=lambda t: {"0001": dt.date(2026, 3, 20), "0002": "下周"}.get(
        t[-4:], "2026/2/3"))
    with pytest.raises(InputError) as info:
        import_results(out, paths, today=TODAY)
    messages = [(p.message, p.value) for p in info.value.problems]
    assert messages == [
        ("completion date is after today (2026-03-02)", "2026-03-20"),
        ("not a date; write it as YYYY-MM-DD", "下周"),
    ]


def test_remark_naming_an_inspector_is_refused_because_it_is_published(planned):
    _, out, paths = planned
    tasks = tasks_of(out).set_index("task_id")
    fill_workbooks(paths, remark=lambda t: f"{tasks.loc[t, 'member_names']}现场发现" if
                   t.endswith("0004") else "复查通过")
    with pytest.raises(InputError) as info:
        import_results(out, paths, today=TODAY)
    (problem,) = info.value.problems
    assert problem.column == "备注"
    assert problem.message.startswith(
        f"remark names inspector {tasks.loc['T-2026-Q1-0004', 'member_names']!r}")


def test_contradictory_categories_in_one_cell_are_refused(planned):
    _, out, paths = planned
    cells = {"0001": "未发现问题；发现问题待后续处理", "0002": "未发现开展本次抽查涉及的经营活动；注销",
             "0003": "发现问题待后续处理；违反食品药品管理相关规定"}
    fill_workbooks(paths, result=lambda t: cells.get(t[-4:], "未发现问题"))
    with pytest.raises(InputError) as info:
        import_results(out, paths, today=TODAY)
    messages = [(p.column, p.message, p.value) for p in info.value.problems]
    assert messages == [
        ("检查结果", "contradictory result: 未发现问题 (no problem found) contradicts "
         "发现问题待后续处理: keep one", cells["0001"]),
        ("检查结果", "contradictory result: 未发现开展本次抽查涉及的经营活动 contradicts 注销 (not "
         "inspectable): keep one", cells["0002"]),
    ]
    assert not (out / "results.csv").exists()


def test_several_categories_and_english_spellings_are_accepted(planned):
    _, out, paths = planned
    fill_workbooks(paths, result="Problem found, pending follow-up; 违反食品药品管理相关规定",
                   follow_up="责令改正、抄告相关部门")
    import_results(out, paths, today=TODAY)
    results = pd.read_csv(out / "results.csv", dtype=str)
    assert set(results["result"]) == {"发现问题待后续处理；违反食品药品管理相关规定"}
    assert set(results["follow_up"]) == {"责令改正；抄告相关部门"}


def test_not_inspectable_results_are_counted_apart(planned):
    _, out, paths = planned
    fill_workbooks(paths, result=lambda t: "注销" if t.endswith(("1", "2")) else "未发现问题")
    result = import_results(out, paths, today=TODAY)
    total = result.discovery.set_index("risk_class").loc["total"]
    gone = sum(t.endswith(("1", "2")) for t in tasks_of(out)["task_id"])
    assert total["not_inspected"] == gone
    assert total["inspected"] == 20 - gone
    assert total["problems"] == 0


def test_bureau_plan_filled_centrally_is_accepted(planned, tmp_path):
    _, out, _ = planned
    central = tmp_path / "central.xlsx"
    shutil.copy(out / "plan.xlsx", central)
    wb = openpyxl.load_workbook(central)
    ws = wb["检查计划"]
    cols = header_map(ws)
    for row in range(2, ws.max_row + 1):
        ws.cell(row, cols["检查结果"]).value = "未发现问题"
        ws.cell(row, cols["检查完成日期"]).value = dt.datetime(2026, 2, 27)
    wb.save(central)
    result = import_results(out, [central], today=TODAY)
    assert len(result.results) == 20


def test_scenario_is_found_from_the_export_or_given(planned, tmp_path, make_scenario):
    scenario_path, out, paths = planned
    fill_workbooks(paths)
    moved = tmp_path / "moved"
    shutil.copytree(out, moved)
    (moved / "draw-record.json").write_text("{}", encoding="utf-8")
    (moved / "export.json").write_text(
        (moved / "export.json").read_text(encoding="utf-8").replace('"../scenario.toml"',
                                                                    '"gone.toml"'),
        encoding="utf-8")
    with pytest.raises(ScenarioError, match="pass --scenario SCENARIO"):
        import_results(moved, paths, today=TODAY)
    assert import_results(moved, paths, scenario=scenario_path, today=TODAY).results.shape[0] == 20
    other = scenario_path.with_name("other.toml")
    other.write_text(scenario_path.read_text(encoding="utf-8").replace("T-2026-Q1", "X-1"),
                     encoding="utf-8")
    with pytest.raises(ScenarioError, match="is for plan 'X-1', but .* holds plan 'T-2026-Q1'"):
        import_results(moved, paths, scenario=other, today=TODAY)


def test_deadline_warnings_near_and_past(planned):
    _, out, paths = planned
    fill_workbooks(paths, date=lambda t: dt.date(2026, 2, 2) if t.endswith("1")
                   else dt.date(2026, 2, 27))
    # 2026-02-02 (Mon) + 20 working days = 2026-03-02; 2026-02-27 (Fri) -> 2026-03-27
    on_time = import_results(out, paths, today=dt.date(2026, 2, 27))
    assert on_time.warnings == [
        "publication deadline near: 2 result(s) due 2026-03-02, 1 working day(s) from "
        "2026-02-27; publish disclosure.xlsx by then"]
    late = import_results(out, paths, today=dt.date(2026, 3, 3))
    assert late.warnings == [
        "publication deadline passed for 2 result(s): the earliest was due 2026-03-02 (20 "
        "working days after completion, SAMR order 49 art. 39); publish disclosure.xlsx now"]
    due_today = import_results(out, paths, today=dt.date(2026, 3, 2), warn_days=0)
    assert due_today.warnings == [
        "publication deadline near: 2 result(s) due 2026-03-02, 0 working day(s) from "
        "2026-03-02; publish disclosure.xlsx by then"]


def test_holidays_file_moves_the_deadline(planned, tmp_path):
    _, out, paths = planned
    fill_workbooks(paths, date=dt.date(2026, 2, 2))
    holidays = tmp_path / "holidays.csv"
    holidays.write_text("date,kind\n2026-02-16,休\n2026-02-17,休\n2026-02-14,班\n",
                        encoding="utf-8")
    plain = import_results(out, paths, today=dt.date(2026, 3, 3))
    assert "passed" in plain.warnings[0]
    shifted = import_results(out, paths, today=dt.date(2026, 3, 3), holidays=holidays)
    # two days off, one Saturday worked: the deadline moves one working day, to 2026-03-03
    assert shifted.warnings == [
        "publication deadline near: 20 result(s) due 2026-03-03, 0 working day(s) from "
        "2026-03-03; publish disclosure.xlsx by then"]


def test_cli_results_success_and_failure(planned):
    _, out, paths = planned
    runner = CliRunner()
    fill_workbooks(paths[:1], result="合格")
    fill_workbooks(paths[1:])
    bad = runner.invoke(cli, ["results", str(out), *map(str, paths), "--today", "2026-03-02"])
    assert bad.exit_code == 2
    lines = bad.output.splitlines()
    assert lines[0].startswith(f"error: {paths[0]}, sheet '检查计划', row 2, column '检查结果': "
                               "unknown result category (检查结果) '合格'")
    assert lines[-1].endswith("error(s) in the inputs; nothing was written.")
    assert "Traceback" not in bad.output
    fill_workbooks(paths[:1])
    good = runner.invoke(cli, ["results", str(out), *map(str, paths), "--today", "2026-03-27"])
    assert good.exit_code == 0, good.output
    assert good.output.splitlines()[0] == (
        f"Results: 20 tasks from {len(paths)} workbook(s) -> {out / 'disclosure.xlsx'}")
    assert "warning: publication deadline passed for 20 result(s)" in good.output


def test_cli_results_needs_an_export(tmp_path):
    result = CliRunner().invoke(cli, ["results", str(tmp_path), str(tmp_path / "x.xlsx")])
    assert result.exit_code == 2
    assert result.output == (f"error: {tmp_path / 'export.json'}: not found; run planner run "
                             "(or planner export) into this folder first\n"
                             "1 error(s) in the inputs; nothing was written.\n")


def test_not_a_workbook_and_missing_columns(planned, tmp_path):
    _, out, paths = planned
    fill_workbooks(paths)
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"not a zip")
    wb = openpyxl.load_workbook(paths[0])
    ws = wb.worksheets[0]
    ws.delete_cols(header_map(ws)["地址"])
    wb.save(paths[0])
    with pytest.raises(InputError) as info:
        import_results(out, [*paths, junk], today=TODAY)
    text = [str(p) for p in info.value.problems]
    assert (f"{paths[0]}, sheet '检查计划', row 1, column '地址': column missing (deleted or "
            "renamed?); use the workbook as exported") in text
    assert any(t.startswith(f"{junk}: is not a readable XLSX workbook") for t in text)


@pytest.mark.parametrize(("value", "expected"), [
    (dt.datetime(2026, 2, 3, 0, 0), dt.date(2026, 2, 3)),
    (dt.date(2026, 2, 3), dt.date(2026, 2, 3)),
    ("2026-02-03", dt.date(2026, 2, 3)),
    ("2026/2/3", dt.date(2026, 2, 3)),
    ("2026年2月3日", dt.date(2026, 2, 3)),
    ("20260203", dt.date(2026, 2, 3)),
    ("2026-02-03 14:30", dt.date(2026, 2, 3)),
    (46056, dt.date(2026, 2, 3)),
    ("3 Feb", None),
    (True, None),
])
def test_parse_date(value, expected):
    assert parse_date(value) == expected


def test_a_damaged_task_table_is_reported(planned):
    _, out, paths = planned
    tasks = tasks_of(out).drop(columns=["lead_id"])
    tasks.to_csv(out / "tasks.csv", index=False)
    with pytest.raises(InputError) as info:
        import_results(out, paths, today=TODAY)
    assert str(info.value) == (
        f"{out / 'tasks.csv'}: is not the task table planner export writes (columns lead_id); "
        "run planner run (or planner export) into this folder first")


def test_scenario_gives_the_holidays_and_the_warning_window(planned, tmp_path):
    scenario_path, out, paths = planned
    fill_workbooks(paths, date=dt.date(2026, 2, 2))
    (scenario_path.parent / "holidays.csv").write_text(
        "日期,类型\n2026-02-16,休\n2026-02-17,休\n2026-02-14,班\n", encoding="utf-8")
    text = scenario_path.read_text(encoding="utf-8")
    scenario_path.write_text(
        text + '\n[export]\nholidays = "holidays.csv"\ndeadline_warning_days = 0\n',
        encoding="utf-8")
    due_today = import_results(out, paths, today=dt.date(2026, 3, 3))
    assert due_today.warnings == [
        "publication deadline near: 20 result(s) due 2026-03-03, 0 working day(s) from "
        "2026-03-03; publish disclosure.xlsx by then"]
    assert import_results(out, paths, today=dt.date(2026, 3, 2)).warnings == []
    assert len(import_results(out, paths, today=dt.date(2026, 3, 2), warn_days=1).warnings) == 1


def test_negative_warning_window_is_a_scenario_error(planned):
    scenario_path, _, _ = planned
    scenario_path.write_text(scenario_path.read_text(encoding="utf-8")
                             + "\n[export]\ndeadline_warning_days = -1\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"export.deadline_warning_days: must be >= 0"):
        load_scenario(scenario_path)
