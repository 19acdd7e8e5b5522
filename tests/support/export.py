"""Helpers shared by the export, results and disclosure tests (no tests of their own).

``write_stage_files`` stands in for the draw and the assignment: it writes ``sample.csv``,
``assignments.csv`` and a minimal ``draw-record.json`` the way those stages do, so the export
can be tested on its own. ``fill_workbooks`` fills field workbooks as a field team would.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pandas as pd

from planner.plan.inputs import load_plan
from tests.support.data import enterprises_frame

RESULT_HEADERS = {"检查结果", "Result"}
FOLLOW_HEADERS = {"后续处置", "Follow-up"}
DATE_HEADERS = {"检查完成日期", "Completion date"}
REMARK_HEADERS = {"备注", "Remarks"}
TASK_HEADERS = {"抽查任务编号", "Task ID"}


def write_stage_files(scenario_path: Path, out: Path, n: int = 12) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Write a draw of ``n`` enterprises and teams of two (lead + member) into ``out``."""
    scenario, inputs = load_plan(scenario_path)
    ent = inputs.enterprises.sort_values("enterprise_id").head(n).reset_index(drop=True)
    sample = pd.DataFrame({
        "enterprise_id": ent["enterprise_id"],
        "name": ent["name"],
        "risk_class": ent["risk_class"],
        "stratum": ent["risk_class"],
        "ticket": [f"{0.001 * (i + 1):.6f}" for i in range(len(ent))],
        "rank": [str(i + 1) for i in range(len(ent))],
    })
    insp = inputs.inspectors
    leads = list(insp.loc[insp["can_lead"], "inspector_id"])
    others = list(insp.loc[~insp["can_lead"], "inspector_id"])
    rows = []
    for i, eid in enumerate(sample["enterprise_id"]):
        task = f"{scenario.plan.id}-{i + 1:04d}"
        rows.append((task, eid, leads[i % 3], "lead"))
        rows.append((task, eid, others[i % len(others)], "member"))
    assignments = pd.DataFrame(rows, columns=["task_id", "enterprise_id", "inspector_id", "role"])
    out.mkdir(parents=True, exist_ok=True)
    sample.to_csv(out / "sample.csv", index=False)
    assignments.to_csv(out / "assignments.csv", index=False)
    record = {
        "seed": scenario.plan.seed,
        "scenario": {"path": str(scenario_path.resolve())},
        "inputs": {k: {"path": str(p), "sha256": inputs.hashes[k]} for k, p in inputs.files.items()},
    }
    (out / "draw-record.json").write_text(json.dumps(record), encoding="utf-8")
    return sample, assignments


def header_map(ws) -> dict[str, int]:
    """Header text -> 1-based column of a sheet's first row."""
    return {str(c.value): c.column for c in ws[1] if c.value is not None}


def fill_workbooks(
    paths: list[Path],
    result="未发现问题",
    follow_up="无需后续处置",
    date=dt.date(2026, 2, 10),
    remark="",
) -> list[Path]:
    """Fill every row's result columns (a value, or a callable of the task id) and save."""
    for path in paths:
        wb = openpyxl.load_workbook(path)
        ws = wb.worksheets[0]
        cols = header_map(ws)
        col = {
            "task": _col(cols, TASK_HEADERS), "result": _col(cols, RESULT_HEADERS),
            "follow": _col(cols, FOLLOW_HEADERS), "date": _col(cols, DATE_HEADERS),
            "remark": _col(cols, REMARK_HEADERS),
        }
        for row in range(2, ws.max_row + 1):
            task = ws.cell(row, col["task"]).value
            if not task:
                continue
            for key, value in (("result", result), ("follow", follow_up), ("date", date),
                               ("remark", remark)):
                v = value(task) if callable(value) else value
                if v not in (None, ""):
                    ws.cell(row, col[key]).value = v
        wb.save(path)
    return paths


def _col(cols: dict[str, int], names: set[str]) -> int:
    return next(cols[n] for n in names if n in cols)


HOSTILE = {
    0: ("name", '=HYPERLINK("http://example.com/x","click")'),
    1: ("address", "+86 市府路1号"),
    2: ("name", "-1+2"),
    3: ("address", "@SUM(A1:A2)"),
}
ITEMS = pd.DataFrame({
    "item_code": ["SP-01", "SP-02", "GS-01"],
    "item_name": ["食品生产者落实主体责任情况检查", "食品标签检查", "企业公示信息检查"],
    "department": ["食品生产科", "食品生产科", "信用监管科"],
    "legal_basis": ["《食品安全法》", "《食品安全法》", "《企业信息公示暂行条例》"],
})


def hostile_enterprises() -> pd.DataFrame:
    ent = enterprises_frame()
    for row, (column, value) in HOSTILE.items():
        ent.loc[row, column] = value
    return ent
