"""End to end: planner run, field teams fill the workbooks, planner results publishes."""

from __future__ import annotations

import datetime as dt
import shutil

import openpyxl
import pandas as pd
from click.testing import CliRunner

from planner.cli import cli
from planner.demo.generate import write_demo
from tests.support.export import fill_workbooks


def test_run_fill_import_and_publish(tmp_path):
    paths = write_demo(preset="district", seed="roundtrip", out=tmp_path / "data")
    scenario = paths["scenario"]
    out = tmp_path / "out"
    runner = CliRunner()
    run = runner.invoke(cli, ["run", str(scenario), "-o", str(out)])
    assert run.exit_code == 0, run.output
    assert "Export:" in run.output

    sample = pd.read_csv(out / "sample.csv", dtype=str)
    seats = pd.read_csv(out / "assignments.csv", dtype=str)
    workbooks = sorted((out / "teams").glob("*.xlsx"))
    leads = seats[seats["role"] == "lead"]
    assert len(workbooks) == leads["inspector_id"].nunique()

    # Field workbooks: every drawn enterprise once, locked plan columns, drop-down results.
    seen = []
    for path in workbooks:
        wb = openpyxl.load_workbook(path)
        ws = wb.worksheets[0]
        assert ws.protection.sheet and wb.worksheets[1].sheet_state == "hidden"
        assert {dv.type for dv in ws.data_validations.dataValidation} == {"list", "date"}
        seen += [ws.cell(r, 4).value for r in range(2, ws.max_row + 1)]
    assert sorted(seen) == sorted(sample["enterprise_id"])

    filled = tmp_path / "filled"
    shutil.copytree(out / "teams", filled)
    filled_paths = sorted(filled.glob("*.xlsx"))
    fill_workbooks(filled_paths,
                   result=lambda t: "发现问题待后续处理" if t.endswith("3") else "未发现问题",
                   follow_up=lambda t: "责令改正" if t.endswith("3") else "无需后续处置",
                   date=dt.date(2026, 11, 20))
    done = runner.invoke(cli, ["results", str(out), *map(str, filled_paths),
                               "--today", "2026-12-01"])
    assert done.exit_code == 0, done.output
    assert "warning:" not in done.output  # 2026-11-20 + 20 working days = 2026-12-18

    notice = list(openpyxl.load_workbook(out / "disclosure.xlsx").worksheets[0]
                  .iter_rows(values_only=True))
    assert len(notice) == len(sample) + 1
    assert sorted(r[8] for r in notice[1:]) == sorted(sample["enterprise_id"])
    discovery = pd.read_csv(out / "discovery.csv", dtype={"risk_class": str})
    total = discovery.set_index("risk_class").loc["total"]
    problems = sum(t.endswith("3") for t in leads["task_id"])
    assert (total["inspected"], total["problems"]) == (len(sample), problems)
    history = pd.read_csv(out / "history.csv", dtype=str)
    previous = pd.read_csv(paths["history"], dtype=str)
    assert len(history) == len(previous.drop_duplicates()) + len(seats)
