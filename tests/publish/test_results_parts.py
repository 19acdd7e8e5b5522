"""planner results through the quarter: results in parts, corrections, damaged workbooks."""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from planner.cli import cli
from planner.common.errors import InputError
from planner.plan.inputs import load_plan
from planner.publish.export import export_stage
from planner.publish.results import import_results
from tests.support.export import fill_workbooks, write_stage_files

TODAY = dt.date(2026, 3, 2)


@pytest.fixture
def planned(make_scenario, tmp_path):
    """A plan of 20 tasks exported to tmp_path/out, with copies of the field workbooks."""
    scenario_path = make_scenario()
    out = tmp_path / "out"
    write_stage_files(scenario_path, out, n=20)
    scenario, inputs = load_plan(scenario_path)
    export_stage(scenario, inputs, out)
    filled = tmp_path / "filled"
    shutil.copytree(out / "teams", filled)
    return scenario_path, out, sorted(filled.glob("*.xlsx"))


def fill_some(paths, done) -> None:
    """Fill the rows of the tasks ``done`` says are done; leave the others blank."""
    fill_workbooks(paths, result=lambda t: "未发现问题" if done(t) else "",
                   follow_up=lambda t: "无需后续处置" if done(t) else "",
                   date=lambda t: dt.date(2026, 2, 10) if done(t) else "")


def corrupt_sheet(source: Path, target: Path, after_row: int = 3) -> None:
    """Copy a workbook, keeping the zip intact but breaking the first sheet's XML mid-way."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                cut = data.find(f'<row r="{after_row + 1}"'.encode())
                data = data[:cut] + b'<row r="9"><c r="A9" <<< not xml'
            zout.writestr(item, data)


def test_blank_rows_are_pending_and_completed_rows_are_published(planned):
    _, out, paths = planned
    fill_some(paths, lambda t: int(t[-4:]) % 2 == 0)
    result = import_results(out, paths, today=TODAY)
    published = pd.read_csv(out / "results.csv", dtype=str)
    assert published["task_id"].str[-4:].astype(int).mod(2).eq(0).all()
    assert len(published) == 10
    assert sorted(result.pending["task_id"].str[-4:].astype(int)) == list(range(1, 21, 2))
    lines = result.summary_lines()
    assert "  pending: 10 task(s) not completed yet, due by the plan's end 2026-03-31; run " \
           "planner results again as workbooks return:" in lines
    notice = openpyxl.load_workbook(out / "disclosure.xlsx").worksheets[0]
    assert notice.max_row == 1 + 10
    task_sheet = openpyxl.load_workbook(out / "disclosure.xlsx").worksheets[1]
    assert 20 in [c.value for row in task_sheet.iter_rows() for c in row]  # every task announced


def test_a_workbook_not_returned_yet_is_pending_and_a_rerun_adds_to_what_was_published(planned):
    _, out, paths = planned
    fill_workbooks(paths)
    first = import_results(out, paths[:1], today=TODAY)
    n_first = len(pd.read_csv(out / "results.csv", dtype=str))
    assert n_first == 20 - len(first.pending) and len(first.pending) > 0
    second = import_results(out, paths[1:], today=TODAY)  # the first workbook is not passed
    published = pd.read_csv(out / "results.csv", dtype=str)
    assert len(published) == 20 and len(second.pending) == 0
    assert published["task_id"].is_unique


def test_a_published_row_changes_only_with_amend_and_shows_correction(planned):
    _, out, paths = planned
    fill_workbooks(paths)
    import_results(out, paths, today=TODAY)
    before = (out / "results.csv").read_bytes()
    fill_workbooks(paths[:1], date=dt.date(2026, 2, 12))
    with pytest.raises(InputError) as info:
        import_results(out, paths, today=TODAY)
    problem = info.value.problems[0]
    assert problem.column == "completed" and problem.value == "2026-02-12"
    assert "was published with completed '2026-02-10'; a published result changes only " \
           "with --amend --reason TEXT (shown as 更正 in the notice)" in problem.message
    assert (out / "results.csv").read_bytes() == before
    import_results(out, paths, today=TODAY, amend="检查日期录入错误")
    published = pd.read_csv(out / "results.csv", dtype=str, keep_default_na=False)
    amended = published[published["amended"] != ""]
    assert len(amended) > 0 and set(amended["amended"]) == {"检查日期录入错误"}
    assert set(amended["completed"]) == {"2026-02-12"}
    notice = openpyxl.load_workbook(out / "disclosure.xlsx").worksheets[0]
    remarks = [c.value for c in next(notice.iter_cols(min_col=notice.max_column))]
    assert remarks.count("更正（检查日期录入错误）") == len(amended)


def test_lock_files_are_skipped_and_a_missing_file_is_one_error(planned, tmp_path):
    _, out, paths = planned
    fill_workbooks(paths)
    lock = tmp_path / "filled" / f"~${paths[0].name}"
    lock.write_bytes(b"\x00owner")
    result = import_results(out, [lock, *paths], today=TODAY)
    assert f"{lock}: skipped: an Excel lock file (the workbook is open in Excel), not a " \
           "workbook" in result.warnings
    gone = tmp_path / "filled" / "team-nobody.xlsx"
    with pytest.raises(InputError) as info:
        import_results(out, [gone, *paths[1:]], today=TODAY)
    assert [str(p) for p in info.value.problems] == [f"{gone}: file not found"]


def test_a_damaged_workbook_is_named_by_workbook_sheet_and_row_without_a_traceback(planned,
                                                                                  tmp_path):
    _, out, paths = planned
    fill_workbooks(paths)
    broken = tmp_path / "broken.xlsx"
    corrupt_sheet(paths[0], broken)
    result = CliRunner().invoke(cli, ["results", str(out), str(broken), *map(str, paths[1:]),
                                      "--today", "2026-03-02", "--scenario",
                                      str(planned[0])])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert f"error: {broken}, sheet '检查计划', row 4: the sheet is damaged and cannot be read " \
           "from here on (" in result.output
    assert isinstance(result.exception, SystemExit)


def test_validate_names_a_damaged_sheet_without_a_traceback(make_scenario, tmp_path):
    from tests.support.data import enterprises_frame

    path = make_scenario(enterprises=enterprises_frame(12), fmt="xlsx")
    good = tmp_path / "enterprises.xlsx"
    saved = tmp_path / "saved.xlsx"
    shutil.copy(good, saved)
    corrupt_sheet(saved, good, after_row=5)
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert f"error: {good}, sheet 'Sheet1', row 6: the sheet is damaged and cannot be read " \
           "from here on (" in result.output or \
        "error: enterprises.xlsx, sheet 'Sheet1', row 6: the sheet is damaged" in result.output
