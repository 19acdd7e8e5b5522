"""Results per item (事项结果): what was checked and found for each item of each task.

When a plan's tasks list their own items (``tasks.csv`` has ``item_codes``, see
:mod:`planner.plan.items`), every field workbook gets a second sheet, 事项结果 / Item results,
with one row per (task, item): the task id, the enterprise, the item's code and name, and
three cells to fill - 是否检查 (checked: 是 / 否), 是否发现问题 (problem found: 是 / 否) and
后续处置 (the follow-up, from the same list as the plan sheet's).

``planner results`` reads these rows, checks them (every row names a task and one of its
items, yes/no cells, no problem on an item not checked) and derives the task's result
category by this rule:

1. when the items of a task say a problem was found (any 是 in 是否发现问题), the task's
   result must report a problem: an empty 检查结果 becomes 发现问题待后续处理, a result whose
   outcome is not "problem found" is an error;
2. when items were checked and none found a problem, the result must not report one: an
   empty 检查结果 becomes 未发现问题, a problem-found result is an error;
3. when no item was checked (or the sheet is not filled for the task), the 检查结果 entered on
   the plan sheet stands, and must be given.

It writes ``item-results.csv`` (one row per task and item) and ``item-discovery.csv`` (per
item: tasks, checked, problems, discovery rate).
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from planner.common import categories as cat
from planner.common import columns
from planner.common.errors import Problem
from planner.common.xlsx import clean_text, text_widths, write_table
from planner.plan import folder

# The files this module writes into the plan folder.
ITEM_RESULTS = folder.ITEM_RESULTS
ITEM_DISCOVERY = folder.ITEM_DISCOVERY
ITEM_SHEET = ("事项结果", "Item results")
ITEM_COLUMNS: dict[str, tuple[str, str]] = columns.headers(columns.ITEM_RESULT)
FILL_KEYS = ("checked", "problem", "follow_up")
YES = {"是", "yes", "y", "true", "1", "√"}
NO = {"否", "no", "n", "false", "0", "×"}
DERIVED = {"problem": "发现问题待后续处理", "clean": "未发现问题"}


def item_rows(tasks: pd.DataFrame) -> pd.DataFrame:
    """Return one row per (task, item) of a task table, or an empty frame.

    Parameters
    ----------
    tasks : pandas.DataFrame
        ``tasks.csv`` (with ``item_codes`` and ``items`` when tasks differ in their items).

    Returns
    -------
    pandas.DataFrame
        task_id, name, item_code, item_name, workbook; empty when the plan's tasks all
        have the plan's items.
    """
    fields = ["task_id", "name", "item_code", "item_name", "workbook"]
    if "item_codes" not in tasks.columns:
        return pd.DataFrame(columns=fields)
    rows = []
    for task, name_, item_codes, item_names, workbook in zip(
            *(tasks[c].tolist() for c in ("task_id", "name", "item_codes", "items", "workbook")),
            strict=True):
        codes = [c for c in str(item_codes).split(";") if c]
        names = cat.split_categories(str(item_names))
        for code, name in zip(codes, names, strict=False):
            rows.append((task, name_, code, name, workbook))
    return pd.DataFrame(rows, columns=fields)


def write_item_sheet(wb, rows: pd.DataFrame, language: str, styles) -> None:
    """Add the item-results sheet to a field workbook (plan cells locked, three to fill).

    Parameters
    ----------
    wb : xlsxwriter.Workbook
        The workbook being written (its lists sheet holds the follow-ups in column B).
    rows : pandas.DataFrame
        The workbook's (task, item) rows from :func:`item_rows`.
    language : str
        ``"zh"`` or ``"en"``.
    styles : planner.common.xlsx.Styles
        The workbook's formats.
    """
    zh = language == "zh"
    title = ITEM_SHEET[0 if zh else 1]
    ws = wb.add_worksheet(title)
    keys = list(ITEM_COLUMNS)
    empty = pd.Series([""] * len(rows), index=rows.index, dtype=object)
    values = [clean_text(rows[c.key].astype(str)) if c.key in rows else empty
              for c in columns.ITEM_RESULT]
    # Ids never wrap: measured 30 % wider than their characters (capitals and digits set in
    # a fallback font are wider than SimSun's half-width glyphs).
    ids = {"task_id", "item_code"}
    measured = [np.ceil(text_widths(v) * 1.3).astype(np.int64) if c.key in ids else None
                for c, v in zip(columns.ITEM_RESULT, values, strict=True)]
    write_table(ws, columns.ITEM_RESULT, values, language, styles, measured=measured,
                freeze_columns=3, autofilter=False, print_title=title)
    last = max(len(rows), 1)
    yes_no = ["是", "否"] if zh else ["yes", "no"]
    first_fill = keys.index("checked")
    ws.data_validation(1, first_fill, last, first_fill + 1,
                       {"validate": "list", "source": yes_no, "error_type": "stop"})
    lists = cat.label("sheet_lists", language)
    ws.data_validation(1, first_fill + 2, last, first_fill + 2, {
        "validate": "list", "source": f"='{lists}'!$B$1:$B${len(cat.FOLLOW_UPS)}",
        "error_type": "warning"})
    ws.protect("", {"autofilter": True, "format_columns": True, "format_rows": True})


@dataclass
class ItemRow:
    """One filled item row: where it is and its cells by key."""

    where: str
    row: int
    cells: dict[str, object]


def read_item_rows(paths: Sequence[Path]) -> list[ItemRow]:
    """Read the item-results sheet of every workbook that has one.

    Parameters
    ----------
    paths : sequence of pathlib.Path
        The filled workbooks (unreadable ones are reported by the plan-sheet reader).

    Returns
    -------
    list of ItemRow
        The rows with a task id.
    """
    import openpyxl

    keys = {h.lower(): k for k, pair in ITEM_COLUMNS.items() for h in pair}
    out: list[ItemRow] = []
    for path in paths:
        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError):
            continue
        try:
            for ws in wb.worksheets:
                it = ws.iter_rows(values_only=True)
                head = next(it, None) or ()
                columns = {keys[str(h).strip().lower()]: i for i, h in enumerate(head)
                           if h is not None and str(h).strip().lower() in keys}
                if not {"task_id", "item_code", "checked", "problem"} <= set(columns):
                    continue
                for offset, values in enumerate(it):
                    cells = {k: (values[i] if i < len(values) else None)
                             for k, i in columns.items()}
                    if cells.get("task_id") in (None, ""):
                        continue
                    out.append(ItemRow(f"{path}, sheet {ws.title!r}", offset + 2, cells))
        finally:
            wb.close()
    return out


BAD = "bad"


def _flag(value: object) -> bool | str | None:
    """Read a yes/no cell: True, False, None (empty) or :data:`BAD`."""
    text = "" if value is None else str(value).strip().lower()
    if text in YES:
        return True
    if text in NO:
        return False
    return None if text == "" else BAD


def check_item_rows(rows: list[ItemRow], tasks: pd.DataFrame, language: str
                    ) -> tuple[pd.DataFrame, list[Problem]]:
    """Check item rows against the plan's (task, item) pairs.

    Parameters
    ----------
    rows : list of ItemRow
        From :func:`read_item_rows`.
    tasks : pandas.DataFrame
        ``tasks.csv``.
    language : str
        The plan's language (for the column names in messages).

    Returns
    -------
    tuple
        ``item-results`` rows (task_id, item_code, item_name, checked, problem, follow_up)
        and the problems found.
    """
    expected = item_rows(tasks).set_index(["task_id", "item_code"])
    zh = 0 if language == "zh" else 1
    problems: list[Problem] = []
    records = {}
    for r in rows:
        def problem(message: str, key: str, value: object = None, r: ItemRow = r) -> None:
            problems.append(Problem(r.where, message, row=r.row,
                                    column=ITEM_COLUMNS[key][zh],
                                    value=None if value is None else str(value)))

        task = str(r.cells["task_id"]).strip()
        code = str(r.cells.get("item_code") or "").strip()
        if (task, code) not in expected.index:
            problem(f"task {task} has no item {code!r} in the plan", "item_code", code)
            continue
        if (task, code) in records:
            problem("item row given twice", "item_code", code)
            continue
        checked, found = _flag(r.cells["checked"]), _flag(r.cells["problem"])
        for key, value in (("checked", checked), ("problem", found)):
            if value == BAD:
                problem("must be 是 or 否 (yes or no)", key, r.cells[key])
        if BAD in (checked, found):
            continue
        if found and checked is not True:
            problem("a problem was found on an item marked not checked", "problem", "是")
            continue
        follow, unknown = cat.parse_categories(str(r.cells.get("follow_up") or ""), "follow_up")
        for part in unknown:
            problem("not a follow-up (后续处置) of the list", "follow_up", part)
        records[(task, code)] = {
            "task_id": task, "item_code": code,
            "item_name": expected.loc[(task, code), "item_name"],
            "checked": "" if checked is None else ("是" if checked else "否"),
            "problem": "" if found is None else ("是" if found else "否"),
            "follow_up": cat.canonical_text(follow),
        }
    frame = pd.DataFrame(list(records.values()),
                         columns=["task_id", "item_code", "item_name", "checked", "problem",
                                  "follow_up"])
    return frame, problems


def derived_outcomes(items: pd.DataFrame) -> dict[str, str]:
    """Return, per task whose items were checked, the outcome they imply.

    Parameters
    ----------
    items : pandas.DataFrame
        From :func:`check_item_rows`.

    Returns
    -------
    dict
        task_id -> ``"problem"`` (an item found one) or ``"clean"`` (items checked, none
        found one); tasks with no item checked are left out (their entered result stands).
    """
    out = {}
    for task, g in items.groupby("task_id", sort=True):
        if (g["problem"] == "是").any():
            out[task] = "problem"
        elif (g["checked"] == "是").any():
            out[task] = "clean"
    return out


def item_discovery(tasks: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """Per item: tasks that list it, checked, problems found and the discovery rate.

    Parameters
    ----------
    tasks : pandas.DataFrame
        ``tasks.csv``.
    items : pandas.DataFrame
        From :func:`check_item_rows`.

    Returns
    -------
    pandas.DataFrame
        item_code, item_name, tasks, checked, problems, discovery_rate (problems / checked).
    """
    planned = item_rows(tasks)
    rows = []
    for (code, name), g in planned.groupby(["item_code", "item_name"], sort=True):
        mine = items[items["item_code"] == code]
        checked = int((mine["checked"] == "是").sum())
        found = int((mine["problem"] == "是").sum())
        rows.append({"item_code": code, "item_name": name, "tasks": len(g), "checked": checked,
                     "problems": found,
                     "discovery_rate": round(found / checked, 6) if checked else 0.0})
    return pd.DataFrame(rows, columns=["item_code", "item_name", "tasks", "checked", "problems",
                                       "discovery_rate"])
