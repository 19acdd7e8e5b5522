"""``disclosure.xlsx``: what the bureau publishes (一公开) once the results are back.

Two sheets, headers in the export's language:

- 抽查结果公告 (result notice): 序号, 抽查计划编号, 抽查计划名称, 抽查任务编号, 抽查任务名称, 抽查类型,
  检查机关, 抽查市场主体名称, 统一社会信用代码, 检查完成日期, 检查结果, 备注 - one row per task;
- 抽查任务公告 (task notice): plan and task number and name, type, items, target scope, dates
  from/to, inspecting authority and number of enterprises, then the name list (序号, 市场主体名称,
  统一社会信用代码, 登记机关).

The workbook holds no risk class and no inspector data: both are internal and never
published, and only the columns above are ever written. Text is written as text (never a formula), the
file whole or not at all, byte-identical for the same results.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from planner.common import categories as cat
from planner.common import columns
from planner.common.xlsx import (
    clean_text,
    deterministic_workbook,
    make_styles,
    text_widths,
    write_pairs,
    write_table,
)
from planner.publish.tasks import PlanFacts


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
    n = len(results)
    index = results.index

    def const(value: str) -> pd.Series:
        return pd.Series([value] * n, index=index, dtype=object)

    cells = {
        "seq": pd.Series(range(1, n + 1), index=index, dtype=object),
        "plan_id": const(facts.plan_id),
        "plan_name": const(facts.plan_name),
        "task_id": const(facts.task_id),
        "task_name": const(facts.task_name),
        "check_type": (results["check_type"].map(lambda t: cat.check_type_text(t, language))
                       if "check_type" in results.columns
                       else const(cat.check_type_text(facts.check_type, language))),
        "authority": const(facts.authority),
        "name": results["name"],
        "enterprise_id": results["enterprise_id"],
        "completed": results["completed"],
        "result": results["result"].map(lambda r: result_label(r, language)),
        "remark": results["remark"],
    }
    values = [cells[c.key] if c.kind != "text" else clean_text(cells[c.key])
              for c in columns.NOTICE]
    measured = [text_widths(v.astype(str)) for v in values]
    write_table(ws, columns.NOTICE, values, language, styles, measured=measured,
                print_title=f"{facts.plan_name} {cat.label('sheet_notice', language)}")


def _types_text(results: pd.DataFrame, facts: PlanFacts, language: str) -> str:
    """Return the plan's check type, or each type its tasks have (targeted draws)."""
    if "check_type" not in results.columns:
        return cat.check_type_text(facts.check_type, language)
    types = sorted(set(results["check_type"].astype(str)), key=lambda t: t != "定向")
    return cat.SEPARATOR.join(cat.check_type_text(t, language) for t in types)


def _write_task_notice(wb, styles, results: pd.DataFrame, facts: PlanFacts, language: str):
    ws = wb.add_worksheet(cat.label("sheet_task", language))
    L = lambda key: cat.label(key, language)  # noqa: E731
    block = [
        ("plan_id", facts.plan_id), ("plan_name", facts.plan_name),
        ("task_id", facts.task_id), ("task_name", facts.task_name),
        ("check_type", _types_text(results, facts, language)),
        ("items", facts.items_text()), ("scope", facts.scope),
        ("start", facts.start.isoformat()), ("end", facts.end.isoformat()),
        ("authority", facts.authority),
    ]
    row = 0
    ws.write_string(row, 0, f"{facts.plan_name} {L('sheet_task')}", styles.title)
    row += 2
    name_width = columns.NAME_LIST[1].cap
    pairs = [(L(key), value) for key, value in block] + [(L("count"), len(results))]
    row = write_pairs(ws, row, pairs, styles, name_width)
    row += 1
    ws.write_string(row, 0, L("name_list"), styles.key)
    row += 1
    values = [pd.Series(range(1, len(results) + 1), index=results.index, dtype=object)]
    values += [clean_text(results[c.key]) for c in columns.NAME_LIST[1:]]
    # Columns A and B also hold the key-value block above the name list.
    label_width = max(len(L(k)) * 2 + 2 for k, _ in block)
    write_table(ws, columns.NAME_LIST, values, language, styles, first_row=row,
                min_widths=[label_width, name_width, 0.0, 0.0], header_height=None,
                freeze_columns=None, autofilter=False,
                print_title=f"{facts.plan_name} {L('sheet_task')}")


def write_task_notice(path: Path, tasks: pd.DataFrame, facts: PlanFacts, language: str, *,
                      created: dt.datetime) -> None:
    """Write the task notice (抽查任务公告) alone, e.g. for the public bundle before results.

    Parameters
    ----------
    path : pathlib.Path
        Where to write.
    tasks : pandas.DataFrame
        One row per task with ``name``, ``enterprise_id``, ``registration_authority``.
    facts : PlanFacts
        The plan's facts.
    language : str
        ``"zh"`` or ``"en"``.
    created : datetime.datetime
        The fixed document time.
    """
    with deterministic_workbook(path, created=created, title=cat.label("sheet_task", language),
                                subject=facts.plan_id, author=facts.authority,
                                large=len(tasks) > 5_000) as wb:
        _write_task_notice(wb, make_styles(wb), tasks, facts, language)


def write_result_notice(path: Path, results: pd.DataFrame, facts: PlanFacts, language: str, *,
                        created: dt.datetime) -> None:
    """Write the result notice (抽查结果公告) alone (see :func:`write_disclosure` for columns).

    Parameters
    ----------
    path : pathlib.Path
        Where to write.
    results : pandas.DataFrame
        As for :func:`write_disclosure`.
    facts : PlanFacts
        The plan's facts.
    language : str
        ``"zh"`` or ``"en"``.
    created : datetime.datetime
        The fixed document time.
    """
    with deterministic_workbook(path, created=created, title=cat.label("sheet_notice", language),
                                subject=facts.plan_id, author=facts.authority,
                                large=len(results) > 5_000) as wb:
        _write_result_notice(wb, make_styles(wb), results, facts, language)
