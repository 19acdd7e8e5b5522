"""``disclosure.xlsx``: what the bureau publishes (一公开) once the results are back.

Two sheets, headers in the export's language:

- 抽查结果公告 (result notice): 序号, 抽查计划编号, 抽查计划名称, 抽查任务编号, 抽查任务名称, 抽查类型,
  检查机关, 抽查市场主体名称, 统一社会信用代码, 检查完成日期, 检查结果, 备注 - one row per task;
- 抽查任务公告 (task notice): plan and task number and name, type, items, target scope, dates
  from/to, inspecting authority and number of enterprises, then the name list (序号, 市场主体名称,
  统一社会信用代码, 登记机关).

The workbook holds no risk class and no inspector data: those are internal (DESIGN section 1),
and only the columns above are ever written. Text is written as text (never a formula), the
file whole or not at all, byte-identical for the same results.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from planner.common import categories as cat
from planner.publish.tasks import PlanFacts
from planner.publish.workbook import (
    clean_text,
    column_widths,
    deterministic_workbook,
    fit_widths,
    make_styles,
    row_heights,
    setup_print,
    text_widths,
    write_cells,
    write_header,
)

# The widest each notice column may be; longer text wraps (rows are sized to fit).
NOTICE_WIDTH_CAPS = {
    "seq": 6, "plan_id": 16, "plan_name": 24, "task_id": 16, "task_name": 24, "check_type": 10,
    "authority": 20, "name": 26, "enterprise_id": 20, "completed": 12, "result": 26,
    "remark": 24,
}


def result_label(canonical: str, language: str) -> str:
    """Render a canonical (Chinese) result cell in ``language``."""
    if language == "zh" or not canonical:
        return canonical
    found, _ = cat.parse_categories(canonical, "result")
    return "; ".join(c.en for c in found)


def write_disclosure(
    path: Path, results: pd.DataFrame, facts: PlanFacts, language: str, *,
    created: dt.datetime, tasks: pd.DataFrame | None = None,
) -> None:
    """Write the public result notice and task notice.

    Parameters
    ----------
    path : pathlib.Path
        Where to write (``disclosure.xlsx``).
    results : pandas.DataFrame
        One row per task in plan order, with ``name``, ``enterprise_id``,
        ``registration_authority``, ``completed`` (date), ``result`` (canonical), ``remark``.
    facts : PlanFacts
        The plan's facts.
    language : str
        ``"zh"`` or ``"en"``.
    created : datetime.datetime
        The fixed document time.
    tasks : pandas.DataFrame, optional
        Every task of the plan, for the task notice, when ``results`` holds only the
        completed ones (default: ``results``).
    """
    with deterministic_workbook(path, created=created, title=cat.label("sheet_notice", language),
                                subject=facts.plan_id, author=facts.authority,
                                large=len(results) > 5_000) as wb:
        styles = make_styles(wb)
        _write_result_notice(wb, styles, results, facts, language)
        _write_task_notice(wb, styles, results if tasks is None else tasks, facts, language)


def _write_result_notice(wb, styles, results: pd.DataFrame, facts: PlanFacts, language: str):
    ws = wb.add_worksheet(cat.label("sheet_notice", language))
    keys = list(cat.NOTICE_COLUMNS)
    headers = [cat.header(cat.NOTICE_COLUMNS, k, language) for k in keys]
    n = len(results)
    index = results.index

    def const(value: str) -> pd.Series:
        return pd.Series([value] * n, index=index, dtype=object)

    columns = {
        "seq": pd.Series(range(1, n + 1), index=index, dtype=object),
        "plan_id": const(facts.plan_id),
        "plan_name": const(facts.plan_name),
        "task_id": const(facts.task_id),
        "task_name": const(facts.task_name),
        "check_type": const(cat.check_type_text(facts.check_type, language)),
        "authority": const(facts.authority),
        "name": results["name"],
        "enterprise_id": results["enterprise_id"],
        "completed": results["completed"],
        "result": results["result"].map(lambda r: result_label(r, language)),
        "remark": results["remark"],
    }
    kinds = {"seq": "number", "completed": "date"}
    values = [columns[k] if k in ("seq", "completed") else clean_text(columns[k]) for k in keys]
    col_kinds = [kinds.get(k, "text") for k in keys]
    col_styles = [styles.number if k == "seq" else styles.date if k == "completed"
                  else styles.text for k in keys]
    measured = [text_widths(v.astype(str)) for v in values]
    widths = column_widths(headers, measured, [NOTICE_WIDTH_CAPS[k] for k in keys])
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    text = [i for i, kind in enumerate(col_kinds) if kind == "text"]
    heights = row_heights([measured[i] for i in text], [widths[i] for i in text])
    ws.set_row(0, 30)
    write_header(ws, 0, headers, styles.header)
    write_cells(ws, 1, values, col_styles, col_kinds, heights)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(n, 1), len(headers) - 1)
    setup_print(ws, header_rows=1, header_text=f"{facts.plan_name} "
                f"{cat.label('sheet_notice', language)}")


def _write_task_notice(wb, styles, results: pd.DataFrame, facts: PlanFacts, language: str):
    ws = wb.add_worksheet(cat.label("sheet_task", language))
    L = lambda key: cat.label(key, language)  # noqa: E731
    block = [
        ("plan_id", facts.plan_id), ("plan_name", facts.plan_name),
        ("task_id", facts.task_id), ("task_name", facts.task_name),
        ("check_type", cat.check_type_text(facts.check_type, language)),
        ("items", facts.items_text()), ("scope", facts.scope),
        ("start", facts.start.isoformat()), ("end", facts.end.isoformat()),
        ("authority", facts.authority),
    ]
    row = 0
    ws.write_string(row, 0, f"{facts.plan_name} {L('sheet_task')}", styles.title)
    row += 2
    for key, value in block:
        ws.write_string(row, 0, L(key), styles.key)
        ws.write_string(row, 1, clean_text(pd.Series([value])).iloc[0], styles.text)
        row += 1
    ws.write_string(row, 0, L("count"), styles.key)
    ws.write_number(row, 1, len(results), styles.number)
    row += 2
    ws.write_string(row, 0, L("name_list"), styles.key)
    row += 1
    keys = list(cat.NAME_LIST_COLUMNS)
    headers = [cat.header(cat.NAME_LIST_COLUMNS, k, language) for k in keys]
    header_row = row
    write_header(ws, row, headers, styles.header)
    row += 1
    values = [pd.Series(range(1, len(results) + 1), index=results.index, dtype=object)]
    values += [clean_text(results[k]) for k in keys[1:]]
    write_cells(ws, row, values, [styles.number] + [styles.text] * 3,
                ["number"] + ["text"] * 3)
    widths = fit_widths(headers, [v.astype(str) for v in values], [8, 40, 20, 30])
    widths[0] = max(widths[0], max(len(L(k)) * 2 + 2 for k, _ in block))
    widths[1] = max(widths[1], 40.0)
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    setup_print(ws, header_rows=0, header_text=f"{facts.plan_name} {L('sheet_task')}")
    ws.repeat_rows(header_row)
