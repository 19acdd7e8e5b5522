"""``planner regrade`` through the command line: outputs, formats, idempotence, messages."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
from click.testing import CliRunner

from planner.cli import cli
from tests.support.data import enterprises_frame

REGRADE = """
[regrade]
max_step = 1

[regrade.levels]
"未发现问题" = -1
"发现问题待后续处理" = 1
"通过登记的住所（经营场所）无法联系" = 1
"发现案件线索" = 1

[regrade.events]
"行政处罚" = { levels = 1 }
"严重违法失信名单" = { to = "D", lock_months = 24 }
"""
RESULT_COLUMNS = ["task_id", "enterprise_id", "name", "district", "risk_class", "lead_id",
                  "member_ids", "result", "follow_up", "completed", "remark", "outcome",
                  "source_workbook", "source_sheet", "source_row"]


def regrade(*args):
    return CliRunner().invoke(cli, ["regrade", *map(str, args)])


def results_file(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    """A results.csv as planner results writes it: (enterprise, result, follow-up, date)."""
    frame = pd.DataFrame([{
        "task_id": f"T-2026-Q1-{i:05d}", "enterprise_id": e, "name": "", "district": "东区",
        "risk_class": "", "lead_id": "P000", "member_ids": "P001", "result": r,
        "follow_up": f, "completed": d, "remark": "", "outcome": "", "source_workbook": "x.xlsx",
        "source_sheet": "检查计划", "source_row": i + 2} for i, (e, r, f, d) in enumerate(rows)],
        columns=RESULT_COLUMNS)
    path.write_text(frame.to_csv(index=False), encoding="utf-8")
    return path


def setup(make_scenario, tmp_path, **kwargs):
    ent = enterprises_frame(8)  # grades A A B B C C D D
    scenario = make_scenario(enterprises=ent, extra=REGRADE, **kwargs)
    ids = ent["enterprise_id"].tolist()
    results = results_file(tmp_path / "results.csv", [
        (ids[0], "未发现问题", "无需后续处置", "2026-02-02"),
        (ids[2], "发现问题待后续处理", "发现案件线索", "2026-02-03"),
        (ids[4], "通过登记的住所（经营场所）无法联系", "", "2026-02-04"),
        ("91350100M000100Y43", "未发现问题", "", "2026-02-05"),
    ])
    events = tmp_path / "events.csv"
    events.write_text("统一社会信用代码,日期,事件,备注\n"
                      f"{ids[6]},2026-02-06,行政处罚,\n{ids[1]},2026-02-06,严重违法失信名单,\n",
                      encoding="utf-8")
    return scenario, ids, results, events


def test_regrades_and_writes_every_output(make_scenario, tmp_path):
    scenario, ids, results, events = setup(make_scenario, tmp_path)
    out = tmp_path / "out"
    r = regrade(scenario, "--results", results, "--events", events, "-o", out)
    assert r.exit_code == 0, r.output
    assert "5 record(s) applied, 0 already applied before, 1 unmatched" in r.stdout
    assert "results.csv, row 5, column 'enterprise_id': names no enterprise" in r.stderr

    new = pd.read_csv(out / "enterprises.csv", dtype=str, keep_default_na=False)
    assert new["risk_grade"].tolist() == ["A", "D", "C", "B", "D", "C", "D", "D"]
    changes = pd.read_csv(out / "changes.csv", dtype=str, keep_default_na=False)
    assert changes[["enterprise_id", "old_class", "new_class", "rule", "effect", "note"]
                   ].values.tolist() == [
        [ids[0], "A", "A", "未发现问题", "-1 class", "clamped at the lowest class"],
        [ids[1], "A", "D", "严重违法失信名单", "to D, locked until 2028-02-06", ""],
        [ids[2], "B", "C", "发现问题待后续处理", "+1 class", "limited to max_step 1 (rules sum to +2)"],
        [ids[2], "B", "C", "发现案件线索", "+1 class", "limited to max_step 1 (rules sum to +2)"],
        [ids[4], "C", "D", "通过登记的住所（经营场所）无法联系", "+1 class", ""],
        [ids[6], "D", "D", "行政处罚", "+1 class", "clamped at the highest class"],
    ]
    assert changes["source_row"].tolist() == ["2", "3", "3", "3", "4", "2"]
    assert set(changes["source_file"]) == {str(results), str(events)}

    abnormal = pd.read_csv(out / "abnormal-operations.csv", dtype=str, encoding="utf-8-sig")
    assert abnormal.columns.tolist()[:5] == ["统一社会信用代码", "企业名称", "检查结果",
                                             "检查完成日期", "列入经营异常名录决定期限"]
    # 2026-02-04 is a Wednesday: 10 working days (Monday-Friday) later is 2026-02-18.
    assert abnormal.iloc[0, [0, 3, 4]].tolist() == [ids[4], "2026-02-04", "2026-02-18"]
    unmatched = pd.read_csv(out / "unmatched.csv", dtype=str)
    assert unmatched[["enterprise_id", "source_row"]].values.tolist() == [
        ["91350100M000100Y43", "5"]]

    ws = openpyxl.load_workbook(out / "transitions.xlsx").worksheets[0]
    assert ws.title == "迁移矩阵"
    grid = [[c.value for c in row] for row in ws.iter_rows(min_row=3, max_row=8)]
    assert grid[0] == ["原分类 \\ 新分类", "A", "B", "C", "D", "合计"]
    assert grid[1] == ["A", 1, 0, 0, 1, 2]
    assert grid[3] == ["C", 0, 0, 1, 1, 2]
    assert grid[5] == ["合计", 1, 1, 2, 4, 8]
    assert (out / "transitions.png").read_bytes()[:4] == b"\x89PNG"


def test_same_inputs_same_bytes_and_a_second_run_changes_nothing(make_scenario, tmp_path):
    scenario, ids, results, events = setup(make_scenario, tmp_path)
    first, twin = tmp_path / "one", tmp_path / "two"
    for out in (first, twin):
        assert regrade(scenario, "--results", results, "--events", events, "-o", out
                       ).exit_code == 0
    for name in ("enterprises.csv", "enterprises.applied.csv", "changes.csv", "transitions.xlsx",
                 "transitions.png", "abnormal-operations.csv", "unmatched.csv"):
        assert (first / name).read_bytes() == (twin / name).read_bytes(), name

    # The next quarter's scenario uses the new directory unchanged; the same results again
    # are recognised from the ledger beside it and change nothing.
    text = scenario.read_text(encoding="utf-8").replace(
        'enterprises = "enterprises.csv"', f'enterprises = "{first / "enterprises.csv"}"')
    again = tmp_path / "again.toml"
    again.write_text(text, encoding="utf-8")
    out = tmp_path / "three"
    r = regrade(again, "--results", results, "--events", events, "-o", out)
    assert r.exit_code == 0, r.output
    assert "0 record(s) applied, 5 already applied before, 1 unmatched" in r.stdout
    assert (out / "enterprises.csv").read_bytes() == (first / "enterprises.csv").read_bytes()
    assert (out / "enterprises.applied.csv").read_bytes() == (
        first / "enterprises.applied.csv").read_bytes()
    assert pd.read_csv(out / "changes.csv").empty


def test_keeps_a_gbk_csv_gbk_and_an_xlsx_xlsx(make_scenario, tmp_path):
    scenario, ids, results, events = setup(make_scenario, tmp_path, encoding="gbk")
    original = (tmp_path / "enterprises.csv").read_bytes()
    assert regrade(scenario, "--results", results, "-o", tmp_path / "out").exit_code == 0
    written = (tmp_path / "out" / "enterprises.csv").read_bytes()
    old_lines, new_lines = original.decode("gbk").splitlines(), written.decode("gbk").splitlines()
    differ = [i for i, (a, b) in enumerate(zip(old_lines, new_lines, strict=True)) if a != b]
    assert differ == [3, 5]  # the rows of ids[2] (B -> C) and ids[4] (C -> D)
    assert new_lines[3] == old_lines[3].replace(",B,", ",C,")

    xlsx_dir = tmp_path / "x"
    xlsx_dir.mkdir()
    scenario, ids, results, _ = setup(make_scenario, xlsx_dir, fmt="xlsx")
    assert regrade(scenario, "--results", results, "-o", xlsx_dir / "out").exit_code == 0
    new = pd.read_excel(xlsx_dir / "out" / "enterprises.xlsx", dtype=str)
    assert new["risk_grade"].tolist() == ["A", "A", "C", "B", "D", "C", "D", "D"]
    assert new.columns.tolist() == enterprises_frame(8).columns.tolist()


def test_reads_a_history_csv_as_results(make_scenario, tmp_path):
    scenario, ids, _, _ = setup(make_scenario, tmp_path)
    history = tmp_path / "history.csv"
    history.write_text("enterprise_id,inspector_id,date,result\n"
                       f"{ids[2]},P000,2026-02-03,发现问题待后续处理\n"
                       f"{ids[2]},P001,2026-02-03,发现问题待后续处理\n", encoding="utf-8")
    r = regrade(scenario, "--results", history, "-o", tmp_path / "out")
    assert r.exit_code == 0, r.output
    assert "1 record(s) applied" in r.stdout  # two inspectors, one inspection
    new = pd.read_csv(tmp_path / "out" / "enterprises.csv", dtype=str)
    assert new["risk_grade"].tolist()[2] == "C"


def test_bad_inputs_name_file_row_and_column_and_write_nothing(make_scenario, tmp_path):
    scenario, ids, results, _ = setup(make_scenario, tmp_path)
    events = tmp_path / "bad-events.csv"
    events.write_text(f"enterprise_id,date,event\n{ids[0]},2026-13-01,行政处罚\n"
                      f"{ids[0]},2026-02-01,表扬信\n", encoding="utf-8")
    out = tmp_path / "out"
    r = regrade(scenario, "--results", results, "--events", events, "-o", out)
    assert r.exit_code == 2
    assert (f"error: {events}, row 2, column 'date': not a date (use YYYY-MM-DD) "
            "(value '2026-13-01')") in r.stderr
    assert (f"error: {events}, row 3, column 'event': event not listed in [regrade] events; "
            "add it there with what it does (value '表扬信')") in r.stderr
    assert not out.exists()

    discovery = tmp_path / "discovery.csv"
    discovery.write_text("risk_class,planned,inspected,problems\nA,1,1,0\n", encoding="utf-8")
    r = regrade(scenario, "--results", discovery, "-o", out)
    assert r.exit_code == 2
    assert f"error: {discovery}, row 1: is not a results file" in r.stderr


def test_without_rules_or_inputs_it_says_what_to_add(make_scenario, tmp_path):
    scenario = make_scenario()
    r = regrade(scenario, "--results", "x.csv", "-o", tmp_path / "out")
    assert r.exit_code == 2
    assert "scenario.toml: [regrade] no regrading rules: add [regrade] levels = { ... }" in r.stderr
    scenario, *_ = setup(make_scenario, tmp_path)
    r = regrade(scenario, "-o", tmp_path / "out")
    assert r.exit_code == 2
    assert "nothing to apply: pass --results RESULTS_CSV and/or --events FILE" in r.stderr


def test_english_headers_on_request(make_scenario, tmp_path):
    ent = enterprises_frame(8)
    scenario = make_scenario(enterprises=ent, extra=REGRADE + '\n[export]\nlanguage = "en"\n')
    results = results_file(tmp_path / "results.csv", [
        (ent["enterprise_id"][4], "公示信息隐瞒真实情况弄虚作假", "", "2026-02-04")])
    assert regrade(scenario, "--results", results, "-o", tmp_path / "out").exit_code == 0
    abnormal = pd.read_csv(tmp_path / "out" / "abnormal-operations.csv", encoding="utf-8-sig")
    assert abnormal.columns[4] == "Listing decision due"
    ws = openpyxl.load_workbook(tmp_path / "out" / "transitions.xlsx").worksheets[0]
    assert (ws.title, ws["A3"].value) == ("Transitions", "Old class \\ new class")


def test_a_wrong_rules_table_fails_before_any_work_naming_the_key(make_scenario, tmp_path):
    scenario = make_scenario(extra='[regrade]\nlevels = { "发现问题" = 1 }\n')
    r = regrade(scenario, "--results", tmp_path / "none.csv", "-o", tmp_path / "out")
    assert r.exit_code == 2
    assert ("scenario.toml: regrade.levels.发现问题: is neither an official result category "
            "(检查结果) nor a follow-up action (后续处置)") in r.stderr
    assert not (tmp_path / "out").exists()


def test_keeps_the_byte_order_mark_of_a_utf8_bom_csv(make_scenario, tmp_path):
    scenario, ids, results, _ = setup(make_scenario, tmp_path, encoding="utf-8-sig")
    assert (tmp_path / "enterprises.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert regrade(scenario, "--results", results, "-o", tmp_path / "out").exit_code == 0
    written = (tmp_path / "out" / "enterprises.csv").read_bytes()
    assert written.startswith(b"\xef\xbb\xbf") and written.count(b"\xef\xbb\xbf") == 1
