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

from planner.plan.inputs import load_plan
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
    scenario, inputs = load_plan(scenario_path)
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


def _assert_prints_on_a4_at_9_points_or_more_on_one_page_width(ws) -> None:
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


def _rows_checked_for_wrapped_text(ws) -> int:
    """Assert that every row is tall enough for its wrapped text; return the rows that wrap."""
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
    return checked


@pytest.mark.parametrize(("book", "sheet"), SHEETS)
def test_prints_on_a4_at_9_points_or_more_on_one_page_width(workbooks, book, sheet):
    _assert_prints_on_a4_at_9_points_or_more_on_one_page_width(
        openpyxl.load_workbook(workbooks[book])[sheet])


@pytest.mark.parametrize(("book", "sheet"), SHEETS)
def test_rows_are_tall_enough_for_their_wrapped_text(workbooks, book, sheet):
    checked = _rows_checked_for_wrapped_text(openpyxl.load_workbook(workbooks[book])[sheet])
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
    from planner.common.xlsx import print_layout
    from planner.publish.export import PRINT_IN_HEADER

    field = [c.cap for c in (*columns.PLAN, *columns.RESULT) if c.key not in PRINT_IN_HEADER]
    plan = [c.cap for c in columns.PLAN if c.key != "period"]
    notice = [c.cap for c in columns.NOTICE]
    for caps in (field, plan, notice):
        layout = print_layout(caps)
        assert layout.fits and layout.text_points >= 9, (caps, layout)


# The programme's notice and status, the regrade's transition matrix, the loop and the
# item-results sheet, each as its command writes it from the repository's examples. The
# last field says whether the sheet has text that wraps (so that the row check checks rows).
MORE_SHEETS = [("notice", "抽查计划公告", True), ("status", "分类进度", False),
               ("status", "未达标风险企业", False), ("status", "尚欠检查企业", False),
               ("transitions", "迁移矩阵", False), ("loop", "循环模拟", False),
               ("loop", "设置", False), ("items", "事项结果", True),
               ("notice_en", "Plan notice", True), ("loop_en", "Loop", True)]


@pytest.fixture(scope="module")
def more_workbooks(tmp_path_factory):
    from pathlib import Path

    from click.testing import CliRunner

    from planner.cli import cli

    repo = Path(__file__).resolve().parents[2]
    examples = repo / "scenarios"
    tmp = tmp_path_factory.mktemp("print-more")

    def in_english(scenario: Path, name: str) -> Path:
        """Copy an example scenario with [export] language = "en" and absolute input paths."""
        text = scenario.read_text(encoding="utf-8")
        text = text.replace('"../../data/', f'"{repo}/data/').replace('"../data/', f'"{repo}/data/')
        text = text.replace('language = "zh"', 'language = "en"')
        if 'language = "en"' not in text:
            text = text.replace("[plan]", '[export]\nlanguage = "en"\n\n[plan]', 1)
        (tmp / name).write_text(text, encoding="utf-8")
        return tmp / name

    english_programme = in_english(examples / "programme" / "food-2016.toml", "food-en.toml")
    english_demo = in_english(examples / "demo.toml", "demo-en.toml")
    runs = [
        ["programme", str(examples / "programme" / "food-2016.toml"), "-o", str(tmp / "food")],
        ["programme", "--status", str(tmp / "food")],
        ["regrade", str(examples / "shaanxi-100.toml"), "--results",
         str(examples / "regrade-demo" / "shaanxi-results.csv"), "--events",
         str(examples / "regrade-demo" / "events.csv"), "-o", str(tmp / "regraded")],
        ["simulate", str(examples / "demo.toml"), "-o", str(tmp / "loop"), "--quarters", "2",
         "--reps", "50"],
        ["simulate", str(english_demo), "-o", str(tmp / "loop-en"), "--quarters", "2",
         "--reps", "50"],
        ["programme", str(english_programme), "-o", str(tmp / "food-en")],
        ["run", str(examples / "demo-special-equipment.toml"), "-o", str(tmp / "items")],
    ]
    for args in runs:
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, (args, result.output)
    field = next(p for p in sorted((tmp / "items" / "teams").glob("*.xlsx"))
                 if "事项结果" in openpyxl.load_workbook(p, read_only=True).sheetnames)
    return {"notice": tmp / "food" / "plan-notice.xlsx", "status": tmp / "food" / "status.xlsx",
            "transitions": tmp / "regraded" / "transitions.xlsx",
            "loop": tmp / "loop" / "loop.xlsx", "items": field,
            "notice_en": tmp / "food-en" / "plan-notice.xlsx",
            "loop_en": tmp / "loop-en" / "loop.xlsx"}


@pytest.mark.parametrize(("book", "sheet", "wraps"), MORE_SHEETS)
def test_programme_regrade_loop_and_item_sheets_print_legibly(more_workbooks, book, sheet,
                                                              wraps):
    ws = openpyxl.load_workbook(more_workbooks[book])[sheet]
    _assert_prints_on_a4_at_9_points_or_more_on_one_page_width(ws)
    checked = _rows_checked_for_wrapped_text(ws)
    if wraps:
        assert checked, "no wrapped text to check"


@pytest.mark.parametrize(("book", "sheet", "header"), [
    ("notice", "抽查计划公告", "批次随机种子"), ("status", "分类进度", "年末预计尚欠"),
    ("transitions", "迁移矩阵", "原分类 \\ 新分类"), ("loop", "循环模拟", "区间下限"),
    ("items", "事项结果", "是否发现问题"), ("notice_en", "Plan notice", "Batch seed"),
    ("loop_en", "Loop", "Interval low")])
def test_tables_take_their_headers_from_the_column_spec(more_workbooks, book, sheet, header):
    from planner.common import columns

    declared = {h for table in (columns.BATCHES, columns.STATUS_CLASSES, columns.LOOP,
                                columns.ITEM_RESULT, (columns.TRANSITION_ROW,))
                for c in table for h in (c.zh, c.en)}
    assert header in declared
    ws = openpyxl.load_workbook(more_workbooks[book])[sheet]
    cells = [c for row in ws.iter_rows() for c in row if c.value == header]
    assert cells, header
    assert cells[0].font.b and ws.print_title_rows  # the header row repeats on every page
