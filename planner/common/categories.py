"""Official result and follow-up categories, and the headers of every workbook, in two languages.

The result categories (检查结果) and follow-up actions (后续处置) are those of the Zhejiang
spot-check platform. The canonical form of a category is its Chinese text: that is what
``results.csv`` and the history file hold, whatever the workbooks' language. A cell may hold
several categories separated by ``；`` (or ``;``, ``、`` or a line break); either language's
spelling is accepted when reading.

Each result category belongs to one outcome, used for the discovery figures:

- ``problem``: a violation or irregularity was found (counted as inspected, and as found);
- ``clean``: inspected, nothing found;
- ``not_inspected``: the enterprise could not be inspected because it is closed, deregistered,
  revoked, cancelled or has moved away (counted apart, not in the discovery rate).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from planner.common import columns


@dataclass(frozen=True)
class Category:
    """One official category: Chinese text (canonical), English text, and outcome."""

    zh: str
    en: str
    outcome: str = ""

    def label(self, language: str) -> str:
        """Return the category's text in ``language`` (``"zh"`` or ``"en"``)."""
        return self.zh if language == "zh" else self.en


RESULTS: tuple[Category, ...] = (
    Category("未发现问题", "No problem found", "clean"),
    Category("发现问题待后续处理", "Problem found, pending follow-up", "problem"),
    Category("发现问题经责令已改正", "Problem found, corrected on order", "problem"),
    Category("未发现开展本次抽查涉及的经营活动", "No business activity covered by this check", "clean"),
    Category("通过登记的住所（经营场所）无法联系", "Cannot be reached at the registered address", "problem"),
    Category("已关闭停业或正在组织清算", "Closed, suspended or in liquidation", "not_inspected"),
    Category("不配合检查情节严重", "Seriously uncooperative with the inspection", "problem"),
    Category("未按规定公示应当公示的信息", "Did not publish information it must publish", "problem"),
    Category("公示信息隐瞒真实情况弄虚作假", "Published information false or concealing facts", "problem"),
    Category("违反食品药品管理相关规定", "Violates food and drug rules", "problem"),
    Category("违反其他部门相关规定", "Violates other departments' rules", "problem"),
    Category("注销", "Deregistered", "not_inspected"),
    Category("被吊销", "Licence revoked", "not_inspected"),
    Category("被撤销", "Registration cancelled", "not_inspected"),
    Category("迁出", "Moved out", "not_inspected"),
)

FOLLOW_UPS: tuple[Category, ...] = (
    Category("无需后续处置", "No follow-up needed"),
    Category("责令改正", "Ordered to correct"),
    Category("发现案件线索", "Case lead found"),
    Category("抄告相关部门", "Referred to other departments"),
    Category("停止检查", "Inspection stopped"),
    Category("其他", "Other"),
)

SEPARATOR = "；"
_SPLIT = re.compile(r"[；;、\n\r]+")

CHECK_TYPES = {"不定向": "Non-targeted", "定向": "Targeted"}


def _lookup(categories: tuple[Category, ...]) -> dict[str, Category]:
    table: dict[str, Category] = {}
    for cat in categories:
        for text in (cat.zh, cat.en):
            table[_key(text)] = cat
    return table


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip()).replace("(", "（").replace(")", "）").lower()


_RESULT_BY_TEXT = _lookup(RESULTS)
_FOLLOW_UP_BY_TEXT = _lookup(FOLLOW_UPS)


def split_categories(text: str) -> list[str]:
    """Split a cell holding several categories into their stripped texts.

    Parameters
    ----------
    text : str
        The cell, e.g. ``"发现问题待后续处理；违反其他部门相关规定"``.

    Returns
    -------
    list of str
        The non-empty parts, in order.
    """
    return [part.strip() for part in _SPLIT.split(text or "") if part.strip()]


def parse_categories(text: str, kind: str) -> tuple[list[Category], list[str]]:
    """Read a result or follow-up cell.

    Parameters
    ----------
    text : str
        The cell's text (either language; several categories separated by ``；``).
    kind : str
        ``"result"`` or ``"follow_up"``.

    Returns
    -------
    tuple
        The categories recognised (duplicates dropped, order kept) and the parts that are
        not official categories.
    """
    table = _RESULT_BY_TEXT if kind == "result" else _FOLLOW_UP_BY_TEXT
    found: list[Category] = []
    unknown: list[str] = []
    for part in split_categories(text):
        cat = table.get(_key(part))
        if cat is None:
            unknown.append(part)
        elif cat not in found:
            found.append(cat)
    return found, unknown


def canonical_text(categories: list[Category]) -> str:
    """Join categories in their canonical (Chinese) form, e.g. for the history file."""
    return SEPARATOR.join(c.zh for c in categories)


def contradiction(categories: list[Category]) -> str | None:
    """Say why the result categories of one cell cannot all hold, or return None.

    未发现问题 (no problem found) stands alone: beside any other category the cell says two
    things. A category that found the enterprise not inspectable (closed, deregistered,
    moved out ...) cannot stand beside one that says it was inspected without a finding.
    """
    if len(categories) < 2:
        return None
    clean = [c for c in categories if c.outcome == "clean"]
    if any(c.zh == "未发现问题" for c in categories):
        others = "；".join(c.zh for c in categories if c.zh != "未发现问题")
        return f"未发现问题 (no problem found) contradicts {others}: keep one"
    gone = [c for c in categories if c.outcome == "not_inspected"]
    if clean and gone:
        return f"{clean[0].zh} contradicts {gone[0].zh} (not inspectable): keep one"
    return None


def outcome(categories: list[Category]) -> str:
    """Return the outcome of one inspection: problem beats clean beats not_inspected."""
    outcomes = {c.outcome for c in categories}
    for name in ("problem", "clean", "not_inspected"):
        if name in outcomes:
            return name
    return ""


# Column key -> (Chinese header, English header) of each table sheet, from the one declaration
# of its columns in planner.common.columns (kinds and widths are there too).
PLAN_COLUMNS: dict[str, tuple[str, str]] = columns.headers(columns.PLAN)
RESULT_COLUMNS: dict[str, tuple[str, str]] = columns.headers(columns.RESULT)
# Internal columns of the bureau's plan sheet only (never in field or public workbooks).
BUREAU_COLUMNS: dict[str, tuple[str, str]] = columns.headers(columns.BUREAU)
# The public result notice (抽查结果公告): public fields only, never the risk class.
NOTICE_COLUMNS: dict[str, tuple[str, str]] = columns.headers(columns.NOTICE)
# The task notice's name list (抽查任务公告 名单).
NAME_LIST_COLUMNS: dict[str, tuple[str, str]] = columns.headers(columns.NAME_LIST)
# Labels of the key-value blocks (summary sheet, task notice) and of sheet names.
LABELS: dict[str, tuple[str, str]] = {
    "plan_id": ("抽查计划编号", "Plan ID"),
    "plan_name": ("抽查计划名称", "Plan name"),
    "authority": ("检查机关", "Inspecting authority"),
    "period": ("计划检查期间", "Planned period"),
    "seed": ("随机种子", "Seed"),
    "task_id": ("抽查任务编号", "Task ID"),
    "task_name": ("抽查任务名称", "Task name"),
    "check_type": ("抽查类型", "Check type"),
    "items": ("抽查事项", "Inspection items"),
    "scope": ("抽查对象范围", "Target scope"),
    "start": ("抽查开始日期", "Start date"),
    "end": ("抽查结束日期", "End date"),
    "count": ("抽查市场主体数量", "Number of market entities"),
    "version": ("程序版本", "Program version"),
    "input_hashes": ("输入文件 SHA-256", "Input files SHA-256"),
    "tasks": ("抽查户数", "Inspections"),
    "by_class": ("按风险分类", "By risk class"),
    "by_district": ("按区域", "By district"),
    "loads": ("检查人员工作量", "Inspector loads"),
    "total": ("合计", "Total"),
    "inspector_id": ("人员编号", "Inspector ID"),
    "inspector_name": ("姓名", "Name"),
    "department": ("所属部门", "Department"),
    "station": ("管辖单位", "Station"),
    "as_lead": ("主检", "As lead"),
    "as_member": ("协检", "As member"),
    "name_list": ("抽查市场主体名单", "List of market entities"),
    "sheet_summary": ("汇总", "Summary"),
    "sheet_plan": ("检查计划", "Plan"),
    "sheet_lists": ("选项", "Lists"),
    "sheet_notice": ("抽查结果公告", "Result notice"),
    "sheet_task": ("抽查任务公告", "Task notice"),
    "period_join": ("至", " to "),
    "team": ("第{n}组", "Team {n}"),
    "fill_result": ("从列表中选择；多项以“；”分隔", "Choose from the list; separate several with ;"),
    "fill_date": ("计划检查期间内的日期", "A date within the planned period"),
}


def header(columns: dict[str, tuple[str, str]], key: str, language: str) -> str:
    """Return the header of column ``key`` in ``language``."""
    zh, en = columns[key]
    return zh if language == "zh" else en


def label(key: str, language: str) -> str:
    """Return the label ``key`` of :data:`LABELS` in ``language``."""
    return header(LABELS, key, language)


def check_type_text(check_type: str, language: str) -> str:
    """Return the check type (不定向 / 定向) in ``language``."""
    return check_type if language == "zh" else CHECK_TYPES.get(check_type, check_type)


def header_keys(columns: dict[str, tuple[str, str]]) -> dict[str, str]:
    """Map every header spelling (both languages, case-insensitive) to its column key."""
    table: dict[str, str] = {}
    for key, (zh, en) in columns.items():
        table[zh.strip().lower()] = key
        table[en.strip().lower()] = key
    return table
