"""Results per item: the item sheet of the field workbooks, the derived result, per-item figures."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from planner.cli import cli
from planner.common.errors import InputError
from planner.publish.item_results import ITEM_COLUMNS
from planner.publish.results import import_results
from tests.support.export import fill_workbooks, header_map

REPO = Path(__file__).resolve().parents[2]
TODAY = dt.date(2027, 1, 5)
DONE = dt.date(2026, 11, 10)


@pytest.fixture(scope="module")
def planned(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("plan") / "o"
    result = CliRunner().invoke(cli, ["run", str(REPO / "scenarios" / "demo-special-equipment.toml"),
                                      "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def fill_items(paths: list[Path], rule) -> None:
    """Fill each item row with rule(task_id, item_code) -> (checked, problem, follow_up)."""
    for path in paths:
        wb = openpyxl.load_workbook(path)
        ws = wb["事项结果"]
        cols = header_map(ws)
        c = {k: cols[v[0]] for k, v in ITEM_COLUMNS.items()}
        for row in range(2, ws.max_row + 1):
            task, code = ws.cell(row, c["task_id"]).value, ws.cell(row, c["item_code"]).value
            for key, value in zip(("checked", "problem", "follow_up"), rule(task, code),
                                  strict=True):
                if value:
                    ws.cell(row, c[key]).value = value
        wb.save(path)


def copies(planned: Path, tmp_path: Path) -> tuple[Path, list[Path]]:
    import shutil

    out = tmp_path / "o"
    shutil.copytree(planned, out)
    return out, sorted((out / "teams").glob("*.xlsx"))


def test_field_workbooks_carry_one_item_row_per_task_item(planned):
    tasks = pd.read_csv(planned / "tasks.csv", dtype=str)
    rows = 0
    for path in sorted((planned / "teams").glob("*.xlsx")):
        wb = openpyxl.load_workbook(path)
        ws = wb["事项结果"]
        assert [c.value for c in ws[1]] == [v[0] for v in ITEM_COLUMNS.values()]
        rows += ws.max_row - 1
    assert rows == len(tasks)  # each task of this plan has exactly one item


def test_item_results_derive_the_result_and_give_per_item_figures(planned, tmp_path):
    out, books = copies(planned, tmp_path)
    tasks = pd.read_csv(out / "tasks.csv", dtype=str)
    special = set(tasks.loc[tasks["item_codes"] == "TS001", "task_id"])
    # The plan sheet's result is left empty: the items decide it.
    fill_workbooks(books, result="", date=DONE)
    fill_items(books, lambda task, code: ("是", "是" if task in special else "否", "责令改正"
                                          if task in special else ""))
    result = import_results(out, books, today=TODAY)
    by_task = result.results.set_index("task_id")["result"]
    assert (by_task[list(special)] == "发现问题待后续处理").all()
    assert (by_task.drop(list(special)) == "未发现问题").all()
    discovery = pd.read_csv(out / "item-discovery.csv", dtype={"item_code": str})
    ts = discovery.set_index("item_code").loc["TS001"]
    assert ts["checked"] == ts["problems"] == len(special)
    assert ts["discovery_rate"] == 1.0
    assert set(discovery["item_code"]) == set(tasks["item_codes"])
    items = pd.read_csv(out / "item-results.csv", dtype=str)
    assert len(items) == len(tasks)


def test_a_result_contradicting_its_items_is_refused(planned, tmp_path):
    out, books = copies(planned, tmp_path)
    fill_workbooks(books, result="未发现问题", date=DONE)
    fill_items(books, lambda task, code: ("是", "是", "责令改正"))
    with pytest.raises(InputError) as info:
        import_results(out, books, today=TODAY)
    assert ("the item results (事项结果) say the inspection found a problem, but 检查结果 says "
            "未发现问题") in str(info.value)
    assert not (out / "disclosure.xlsx").exists()


@pytest.mark.parametrize("rule, message", [
    (lambda t, c: ("也许", "", ""), "must be 是 or 否 (yes or no)"),
    (lambda t, c: ("否", "是", ""), "a problem was found on an item marked not checked"),
    (lambda t, c: ("是", "否", "罚款"), "not a follow-up (后续处置) of the list"),
])
def test_bad_item_rows_name_the_cell(planned, tmp_path, rule, message):
    out, books = copies(planned, tmp_path)
    fill_workbooks(books, date=DONE)
    fill_items(books, rule)
    result = CliRunner().invoke(cli, ["results", str(out), *map(str, books),
                                      "--today", TODAY.isoformat()])
    assert result.exit_code != 0
    assert message in result.output and "sheet '事项结果'" in result.output
    assert "Traceback" not in result.output


def test_without_item_rows_the_entered_result_stands(planned, tmp_path):
    out, books = copies(planned, tmp_path)
    fill_workbooks(books, result="未发现问题", date=DONE)
    result = import_results(out, books, today=TODAY)
    assert (result.results["result"] == "未发现问题").all()
    items = pd.read_csv(out / "item-discovery.csv")
    assert (items["checked"] == 0).all()
