"""What people read prints legibly: A4, text >= 9 pt, columns on one page width, no overlapping rows.

Each check reads the written file back with openpyxl and recomputes from what the file says
(column widths in character units, the print scale, the fonts, the row heights), so it holds
for the file as Excel or LibreOffice opens it.
"""

from __future__ import annotations

import math
import shutil
import unicodedata

import openpyxl
import pytest
from openpyxl.utils import column_index_from_string, get_column_letter

from planner.plan.pipeline import load
from planner.publish.export import export_stage
from planner.publish.results import import_results
from tests.support.export import ITEMS, fill_workbooks, hostile_enterprises, write_stage_files

A4_LANDSCAPE_INCHES = 11.69
A4_PORTRAIT_INCHES = 8.27
LINE_POINTS = 13.5  # a line of 10-point text
LONG_REMARK = "现场检查发现标签标识不规范，已当场责令改正，并于三个工作日内复查确认整改到位。"


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory):
    from tests.conftest import SCENARIO_TEMPLATE
    from tests.support.data import inspectors_frame

    tmp = tmp_path_factory.mktemp("print")
    ent = hostile_enterprises()
    ent["registration_authority"] = [f"测试市{d}市场监督管理局" for d in ent["district"]]
    lines = []
    for key, frame in (("enterprises", ent), ("inspectors", inspectors_frame()), ("items", ITEMS)):
        frame.to_csv(tmp / f"{key}.csv", index=False)
        lines.append(f'{key} = "{key}.csv"')
    scenario_path = tmp / "scenario.toml"
    scenario_path.write_text(SCENARIO_TEMPLATE.format(
        inputs="\n".join(lines), scheme="abcd", extra=""), encoding="utf-8")
    out = tmp / "out"
    write_stage_files(scenario_path, out, n=40)
    scenario, inputs = load(scenario_path)
    export_stage(scenario, inputs, out)
    filled = tmp / "filled"
    shutil.copytree(out / "teams", filled)
    paths = sorted(filled.glob("*.xlsx"))
    fill_workbooks(paths, remark=lambda t: LONG_REMARK if t.endswith("3") else "")
    import_results(out, paths, today=None)
    field = sorted((out / "teams").glob("*.xlsx"))[0]
    return {"plan": out / "plan.xlsx", "field": field, "disclosure": out / "disclosure.xlsx"}


SHEETS = [("plan", "汇总"), ("plan", "检查计划"), ("field", "检查计划"),
          ("disclosure", "抽查结果公告"), ("disclosure", "抽查任务公告")]


def _printed_columns(ws) -> list[str]:
    """The columns that print: inside the print area (or the used range), not hidden."""
    if ws.print_area:
        area = ws.print_area.split("!")[-1].replace("$", "")
        first, last = (part.rstrip("0123456789") for part in area.split(":"))
    else:
        first, last = "A", get_column_letter(ws.max_column)
    letters = [get_column_letter(i) for i in range(column_index_from_string(first),
                                                   column_index_from_string(last) + 1)]
    return [c for c in letters if not _hidden(ws, c)]


def _hidden(ws, letter: str) -> bool:
    index = column_index_from_string(letter)
    return any(dim.hidden for dim in ws.column_dimensions.values()
               if dim.min is not None and dim.min <= index <= dim.max)


def _width(ws, letter: str) -> float:
    """The stored width of a column (openpyxl keeps a run of equal columns under its first)."""
    index = column_index_from_string(letter)
    for dim in ws.column_dimensions.values():
        if dim.min is not None and dim.min <= index <= dim.max:
            return dim.width
    return 8.43  # Excel's default


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


@pytest.mark.parametrize(("book", "sheet"), SHEETS)
def test_prints_on_a4_at_9_points_or_more_on_one_page_width(workbooks, book, sheet):
    ws = openpyxl.load_workbook(workbooks[book])[sheet]
    setup = ws.page_setup
    assert setup.paperSize == 9  # A4
    assert not ws.sheet_properties.pageSetUpPr or not ws.sheet_properties.pageSetUpPr.fitToPage
    scale = int(setup.scale or 100)
    sizes = {cell.font.sz for row in ws.iter_rows() for cell in row
             if cell.value is not None and cell.column_letter in _printed_columns(ws)}
    assert min(sizes) * scale / 100 >= 9, (sizes, scale)
    # Excel's rule: a column of width w (as stored) is about 7 w pixels at 96 dpi.
    points = sum(_width(ws, c) * 7 * 72 / 96 for c in _printed_columns(ws))
    page = A4_LANDSCAPE_INCHES if setup.orientation == "landscape" else A4_PORTRAIT_INCHES
    printable = (page - ws.page_margins.left - ws.page_margins.right) * 72
    assert points * scale / 100 <= printable, (points, scale, printable)


@pytest.mark.parametrize(("book", "sheet"), SHEETS)
def test_rows_are_tall_enough_for_their_wrapped_text(workbooks, book, sheet):
    ws = openpyxl.load_workbook(workbooks[book])[sheet]
    checked = 0
    for row in ws.iter_rows():
        needed = 1
        for cell in row:
            if not isinstance(cell.value, str) or not cell.alignment.wrap_text:
                continue
            per_line = max(_width(ws, cell.column_letter) - 1.7, 1)
            needed = max(needed, math.ceil(_display_width(cell.value) / per_line))
        if needed > 1:
            height = ws.row_dimensions[row[0].row].height
            assert height is not None and height >= needed * LINE_POINTS, (
                row[0].row, needed, height)
            checked += 1
    if sheet != "汇总":  # the summary's values fit their column here
        assert checked, "no wrapped text to check"


def test_task_notice_items_row_grows_instead_of_overlapping(workbooks):
    ws = openpyxl.load_workbook(workbooks["disclosure"])["抽查任务公告"]
    row = next(r for r in range(1, 20) if ws.cell(r, 1).value == "抽查事项")
    items = ws.cell(row, 2).value
    assert _display_width(items) > ws.column_dimensions["B"].width  # it wraps ...
    assert ws.row_dimensions[row].height >= 2 * LINE_POINTS  # ... into a taller row


def test_field_workbook_prints_its_constant_columns_in_the_page_header(workbooks):
    ws = openpyxl.load_workbook(workbooks["field"])["检查计划"]
    headers = {ws.cell(1, c).value: get_column_letter(c) for c in range(1, ws.max_column + 1)}
    period = ws.cell(2, column_index_from_string(headers["计划检查期间"])).value
    assert _hidden(ws, headers["计划检查期间"])
    assert period in ws.oddHeader.center.text
    for name in ("检查结果", "后续处置", "检查完成日期", "备注", "企业名称", "统一社会信用代码"):
        assert headers[name] in _printed_columns(ws)


def test_column_caps_keep_every_printed_table_on_one_page_width():
    # Widths never exceed their caps, so caps that fit guarantee every plan fits.
    from planner.common import columns
    from planner.publish.export import PRINT_IN_HEADER
    from planner.publish.workbook import print_layout

    field = [c.cap for c in (*columns.PLAN, *columns.RESULT) if c.key not in PRINT_IN_HEADER]
    plan = [c.cap for c in columns.PLAN if c.key != "period"]
    notice = [c.cap for c in columns.NOTICE]
    for caps in (field, plan, notice):
        layout = print_layout(caps)
        assert layout.fits and layout.text_points >= 9, (caps, layout)
