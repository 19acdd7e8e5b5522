"""What regrading writes for people: the transition matrix and the abnormal-operations list.

The transition matrix is written as XLSX and PNG, the abnormal-operations candidates
(经营异常名录) as CSV; Chinese by default, English with ``[export] language = "en"``.

Both results 通过登记的住所（经营场所）无法联系 and 公示信息隐瞒真实情况弄虚作假 list the
enterprise as a candidate for the abnormal-operations list; the listing decision is due
10 working days after the inspection found it (企业经营异常名录管理暂行办法).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from planner.common.io import atomic_path, write_text_atomic
from planner.common.workdays import WorkCalendar
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
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
             "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei", "PingFang SC",
             "Noto Serif CJK SC", "Source Han Serif SC")


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
    import xlsxwriter

    col = 0 if language == "zh" else 1
    with atomic_path(target) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "in_memory": True})
        wb.set_properties({"title": TEXT["title"][col], "created": created})
        head = wb.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1,
                              "font_size": 10})
        cell = wb.add_format({"border": 1, "font_size": 10})
        moved = wb.add_format({"border": 1, "font_size": 10, "bg_color": "#FCE4D6"})
        ws = wb.add_worksheet(TEXT["sheet"][col])
        ws.set_paper(9)  # A4
        ws.set_landscape()
        ws.fit_to_pages(1, 0)
        ws.write_string(0, 0, TEXT["title"][col], wb.add_format({"bold": True,
                                                                  "font_size": 12}))
        ws.write_string(2, 0, TEXT["corner"][col], head)
        ws.set_column(0, 0, 18)
        ws.set_column(1, len(matrix.columns) + 1, 8)
        for j, name in enumerate(matrix.columns):
            ws.write_string(2, 1 + j, name, head)
        ws.write_string(2, 1 + len(matrix.columns), TEXT["total"][col], head)
        for i, name in enumerate(matrix.index):
            ws.write_string(3 + i, 0, name, head)
            for j, other in enumerate(matrix.columns):
                ws.write_number(3 + i, 1 + j, int(matrix.iloc[i, j]),
                                moved if name != other and matrix.iloc[i, j] else cell)
            ws.write_number(3 + i, 1 + len(matrix.columns), int(matrix.iloc[i].sum()), head)
        last = 3 + len(matrix.index)
        ws.write_string(last, 0, TEXT["total"][col], head)
        for j in range(len(matrix.columns)):
            ws.write_number(last, 1 + j, int(matrix.iloc[:, j].sum()), head)
        ws.write_number(last, 1 + len(matrix.columns), int(matrix.to_numpy().sum()), head)
        wb.close()


def cjk_font() -> str | None:
    """Return the name of an installed font with Chinese glyphs, or None."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def write_matrix_chart(matrix: pd.DataFrame, target: Path, language: str) -> str:
    """Draw the transition matrix as a heat map PNG (fixed size, no software stamp).

    Chinese labels need a font with Chinese glyphs; when none is installed the chart is
    drawn in English and the returned language says so.

    Parameters
    ----------
    matrix : pandas.DataFrame
        From :func:`transition_matrix`.
    target : pathlib.Path
        The ``.png`` file.
    language : str
        ``"zh"`` or ``"en"``.

    Returns
    -------
    str
        The language the chart was drawn in.
    """
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    font = cjk_font() if language == "zh" else None
    drawn = "zh" if font else "en"
    col = 0 if drawn == "zh" else 1
    n = len(matrix)
    size = max(4.5, 1.2 + 0.55 * n)
    values = matrix.to_numpy()
    with matplotlib.rc_context({"font.family": font or "DejaVu Sans", "font.size": 9}):
        fig = Figure(figsize=(size + 1.2, size), dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot(1, 1, 1)
        image = ax.imshow(values, cmap="Blues", vmin=0, vmax=max(1, values.max()))
        for i in range(n):
            for j in range(n):
                if values[i, j]:
                    dark = values[i, j] > 0.6 * values.max()
                    ax.text(j, i, str(values[i, j]), ha="center", va="center", fontsize=9,
                            color="white" if dark else "black",
                            fontweight="bold" if i != j else "normal")
        ax.set_xticks(range(n), list(matrix.columns))
        ax.set_yticks(range(n), list(matrix.index))
        ax.set_xlabel(TEXT["new"][col])
        ax.set_ylabel(TEXT["old"][col])
        ax.set_title(TEXT["title"][col], fontsize=11)
        fig.colorbar(image, ax=ax, shrink=0.8)
        fig.tight_layout()
        with atomic_path(target) as tmp:
            fig.savefig(tmp, format="png", dpi=100, metadata={"Software": None})
    return drawn
