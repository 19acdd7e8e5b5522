"""What regrading writes for people: the transition matrix and the abnormal-operations list.

The transition matrix is written as XLSX and PNG, the abnormal-operations candidates
(经营异常名录) as CSV; Chinese by default, English with ``[export] language = "en"``.

Both results 通过登记的住所（经营场所）无法联系 and 公示信息隐瞒真实情况弄虚作假 list the
enterprise as a candidate for the abnormal-operations list; the listing decision is due
10 working days after the inspection found it (企业经营异常名录管理暂行办法).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pandas as pd

from planner.common import charts, columns
from planner.common.io import write_text_atomic
from planner.common.workdays import WorkCalendar
from planner.common.xlsx import (
    BODY_POINTS,
    deterministic_workbook,
    figure_styles,
    make_styles,
    write_table,
)
from planner.regrade.sources import Record

ABNORMAL_RESULTS = ("通过登记的住所（经营场所）无法联系", "公示信息隐瞒真实情况弄虚作假")
ABNORMAL_WORKING_DAYS = 10
ABNORMAL_HEADERS = {
    "enterprise_id": ("统一社会信用代码", "Credit code"),
    "name": ("企业名称", "Enterprise name"),
    "result": ("检查结果", "Result"),
    "completed": ("检查完成日期", "Inspection completed"),
    "due": ("列入经营异常名录决定期限", "Listing decision due"),
    "source_file": ("来源文件", "Source file"),
    "source_row": ("来源行", "Source row"),
}
TEXT = {
    "title": ("风险分类迁移矩阵", "Risk-class transition matrix"),
    "sheet": ("迁移矩阵", "Transitions"),
    "corner": ("原分类 \\ 新分类", "Old class \\ new class"),
    "total": ("合计", "Total"),
    "old": ("原分类", "Old class"),
    "new": ("新分类", "New class"),
    "moved": ("调整户数", "Enterprises moved"),
}


def abnormal_candidates(records: list[Record], names: dict[str, str], calendar: WorkCalendar
                        ) -> pd.DataFrame:
    """List the results that make an enterprise an abnormal-operations candidate.

    Parameters
    ----------
    records : list of Record
        Results applied in this cycle.
    names : dict
        Enterprise id -> name.
    calendar : WorkCalendar
        Working days, for the 10-working-day deadline.

    Returns
    -------
    pandas.DataFrame
        enterprise_id, name, result, completed, due, source_file, source_row.
    """
    rows = []
    for record in records:
        for result in record.categories:
            if record.kind == "result" and result in ABNORMAL_RESULTS:
                rows.append({
                    "enterprise_id": record.enterprise_id,
                    "name": names.get(record.enterprise_id, ""),
                    "result": result,
                    "completed": record.date.isoformat(),
                    "due": calendar.add(record.date, ABNORMAL_WORKING_DAYS).isoformat(),
                    "source_file": record.source_file,
                    "source_row": record.source_row,
                })
    return pd.DataFrame(rows, columns=list(ABNORMAL_HEADERS))


def write_abnormal(frame: pd.DataFrame, target: Path, language: str) -> None:
    """Write the candidates as CSV with headers in ``language`` (UTF-8 with BOM, for Excel)."""
    col = 0 if language == "zh" else 1
    table = frame.rename(columns={k: v[col] for k, v in ABNORMAL_HEADERS.items()})
    write_text_atomic(target, table.to_csv(index=False, lineterminator="\n"),
                      encoding="utf-8-sig")


def transition_matrix(old: pd.Series, new: pd.Series, classes: list[str]) -> pd.DataFrame:
    """Count enterprises by old class (rows) and new class (columns), in the scheme's order.

    Parameters
    ----------
    old, new : pandas.Series
        Class per enterprise before and after.
    classes : list of str
        The scheme's classes, lowest risk first.

    Returns
    -------
    pandas.DataFrame
        Integer counts, index and columns ``classes``.
    """
    table = pd.crosstab(pd.Categorical(old, classes), pd.Categorical(new, classes),
                        dropna=False)
    table.index, table.columns = list(classes), list(classes)
    return table.astype(int)


def write_matrix_workbook(matrix: pd.DataFrame, target: Path, language: str,
                          *, created: dt.datetime) -> None:
    """Write the transition matrix as a printable one-sheet workbook.

    Parameters
    ----------
    matrix : pandas.DataFrame
        From :func:`transition_matrix`.
    target : pathlib.Path
        The ``.xlsx`` file.
    language : str
        ``"zh"`` or ``"en"``.
    created : datetime.datetime
        The workbook's created time (fixed, for reproducible bytes).
    """
    col = 0 if language == "zh" else 1
    title = TEXT["title"][col]
    classes = [str(c) for c in matrix.columns]
    table = (columns.TRANSITION_ROW,
             *(dataclasses.replace(columns.TRANSITION_COUNT, key=f"to:{c}", zh=c, en=c)
               for c in classes),
             columns.TRANSITION_TOTAL)
    counts = matrix.to_numpy().astype(int)
    total = TEXT["total"][col]
    # One row per old class, then the column totals.
    values = [pd.Series([*map(str, matrix.index), total], dtype=object)]
    values += [pd.Series([*counts[:, j].tolist(), int(counts[:, j].sum())], dtype=object)
               for j in range(len(classes))]
    values.append(pd.Series([*counts.sum(axis=1).tolist(), int(counts.sum())], dtype=object))
    with deterministic_workbook(target, created=created, title=title) as wb:
        st = figure_styles(wb, make_styles(wb))
        moved = wb.add_format({"font_name": "SimSun", "font_size": BODY_POINTS, "border": 1,
                               "valign": "vcenter", "num_format": "#,##0",
                               "bg_color": "#FCE4D6"})
        ws = wb.add_worksheet(TEXT["sheet"][col])
        ws.write_string(0, 0, title, st.title)
        write_table(ws, table, values, language, st, first_row=2, freeze_columns=1,
                    autofilter=False, print_title=title)
        for i, name in enumerate(matrix.index):  # enterprises that changed class, shaded
            for j, other in enumerate(classes):
                if str(name) != other and counts[i, j]:
                    ws.write_number(3 + i, 1 + j, int(counts[i, j]), moved)
        last = 3 + len(matrix.index)
        ws.write_string(last, 0, total, st.key)


def write_matrix_chart(matrix: pd.DataFrame, target: Path, language: str) -> None:
    """Draw the transition matrix as a heat map PNG (fixed size, no software stamp).

    Chinese labels are set in the CJK font bundled with planner
    (:func:`planner.common.charts.font_context`), English ones in DejaVu Sans.

    Parameters
    ----------
    matrix : pandas.DataFrame
        From :func:`transition_matrix`.
    target : pathlib.Path
        The ``.png`` file.
    language : str
        ``"zh"`` or ``"en"``.
    """
    col = 0 if language == "zh" else 1
    n = len(matrix)
    size = max(4.5, 1.2 + 0.55 * n)
    values = matrix.to_numpy()
    with charts.figure(language, (size + 1.2, size)) as fig:
        ax = fig.add_subplot(1, 1, 1)
        image = ax.imshow(values, cmap="Blues", vmin=0, vmax=max(1, values.max()))
        for i in range(n):
            for j in range(n):
                if values[i, j]:
                    dark = values[i, j] > 0.6 * values.max()
                    # Digits in DejaVu Sans, which has a bold face (the CJK font has not).
                    ax.text(j, i, str(values[i, j]), ha="center", va="center", fontsize=9,
                            fontfamily="DejaVu Sans",
                            color="white" if dark else "black",
                            fontweight="bold" if i != j else "normal")
        ax.set_xticks(range(n), list(matrix.columns))
        ax.set_yticks(range(n), list(matrix.index))
        ax.set_xlabel(TEXT["new"][col])
        ax.set_ylabel(TEXT["old"][col])
        ax.set_title(TEXT["title"][col], fontsize=11)
        fig.colorbar(image, ax=ax, shrink=0.8)
        fig.tight_layout()
        charts.write_png(fig, target)
