"""The columns of every table sheet people read, each declared once.

A :class:`Column` holds everything a sheet needs to know about one column: the key code uses,
the Chinese (default) and English headers, the kind of cell, and the widest the column may
be in Excel character units (longer text wraps, and rows grow to show it). One function,
:func:`planner.common.xlsx.write_table`, writes any of these tables: widths, header,
cells, frozen panes, filter and print set-up.

====================  ==================================================  ============================
table                 sheet                                               written by
====================  ==================================================  ============================
:data:`PLAN`          检查计划 / Plan (plan.xlsx and field workbooks)     planner.publish.export
:data:`EXPERT`        专家 / Expert, in PLAN when experts are drawn       planner.publish.export
:data:`RESULT`        the columns field teams fill in (same sheet)        planner.publish.export
:data:`BUREAU`        internal columns of plan.xlsx's plan sheet only     planner.publish.export
:data:`NOTICE`        抽查结果公告 / Result notice (disclosure.xlsx)      planner.publish.disclosure
:data:`NAME_LIST`     抽查任务公告's name list (disclosure.xlsx)          planner.publish.disclosure
:data:`ITEM_RESULT`   事项结果 / Item results (field workbooks)           planner.publish.item_results
:data:`BATCHES`       抽查计划公告's batches (plan-notice.xlsx)           planner.programme.notice
``STATUS_*``          分类进度, 未达标风险企业, 尚欠检查企业 (status.xlsx)  planner.programme.status
``TRANSITION_*``      迁移矩阵 / Transitions (transitions.xlsx)           planner.regrade.report
:data:`LOOP`          循环模拟 / Loop (loop.xlsx)                         planner.simulate.loopstage
:data:`AMENDMENT`     变更清单 / Amendments (amendments.xlsx)             planner.publish.amendments
====================  ==================================================  ============================

The simulation's tables (``SIM_*``, simulation.xlsx) are declared here too.

Kinds: ``text`` (a string, never a formula), ``number``, ``date``, ``fill`` and
``fill_date`` (empty, shaded, unlocked cells for field teams to fill in), and the figures
``int`` (``#,##0``), ``dec`` (``#,##0.0``) and ``pct`` (``0.0%``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """One column of a table sheet.

    Attributes
    ----------
    key : str
        The name code uses (and ``tasks.csv`` / ``results.csv`` columns).
    zh, en : str
        The header in Chinese and in English.
    kind : str
        ``text``, ``number``, ``date``, ``fill``, ``fill_date``, ``int``, ``dec`` or ``pct``
        (see the module).
    cap : float
        The widest the column may be (Excel character units); the column fits its header and
        widest value up to this.
    fixed : bool
        The width is ``cap`` whatever the content (the columns to fill in).
    """

    key: str
    zh: str
    en: str
    kind: str = "text"
    cap: float = 60.0
    fixed: bool = False

    def header(self, language: str) -> str:
        """Return the header in ``language`` (``"zh"`` or ``"en"``)."""
        return self.zh if language == "zh" else self.en


# The plan columns, as the bureau's plan sheet and every field workbook show them. Caps are
# chosen so that the printed columns fit one A4 landscape width at >= 90 % (text >= 9 pt):
# longer text wraps, and rows grow to show it.
PLAN: tuple[Column, ...] = (
    Column("seq", "序号", "No.", "number", 6),
    Column("task_id", "抽查任务编号", "Task ID", "text", 13),
    Column("name", "企业名称", "Enterprise name", "text", 16),
    Column("enterprise_id", "统一社会信用代码", "Unified social credit code", "text", 22),
    Column("address", "地址", "Address", "text", 14),
    Column("district", "所属区域", "District", "text", 10),
    Column("items", "抽查事项", "Inspection items", "text", 18),
    Column("team", "检查组", "Team", "text", 8),
    Column("lead", "主检人员", "Lead inspector", "text", 14),
    Column("members", "检查人员", "Inspectors", "text", 12),
    Column("period", "计划检查期间", "Planned period", "text", 13),
)
# The earliest date a task may be inspected (最早检查日期), after the plan columns, only in a
# plan with a schedule (a programme batch: the gap since the enterprise's last inspection).
NOT_BEFORE = Column("not_before", "最早检查日期", "Earliest date", "text", 11)


# The expert drawn for the team (专家, ``[assignment] experts``): after 检查人员, only in the
# plans that drew experts (the plan sheet of the others is unchanged).
EXPERT = Column("expert", "专家", "Expert", "text", 12)


def plan_table(expert: bool, not_before: bool = False) -> tuple[Column, ...]:
    """Return the plan columns a sheet shows.

    Parameters
    ----------
    expert : bool
        Whether the plan drew one expert per team: :data:`EXPERT` after the inspectors.
    not_before : bool
        Whether the plan has a schedule (a programme batch): :data:`NOT_BEFORE` at the end
        of the plan columns.

    Returns
    -------
    tuple of Column
        :data:`PLAN`, with the optional columns where the plan has them.
    """
    table = PLAN
    if expert:
        at = [c.key for c in PLAN].index("members") + 1
        table = (*PLAN[:at], EXPERT, *PLAN[at:])
    return (*table, NOT_BEFORE) if not_before else table


# The columns field teams fill in, after the plan columns.
RESULT: tuple[Column, ...] = (
    Column("result", "检查结果", "Result", "fill", 14, fixed=True),
    Column("follow_up", "后续处置", "Follow-up", "fill", 12, fixed=True),
    Column("completed", "检查完成日期", "Completion date", "fill_date", 12, fixed=True),
    Column("remark", "备注", "Remarks", "fill", 12, fixed=True),
)
# Internal columns of the bureau's plan sheet only (never in field or public workbooks).
BUREAU: tuple[Column, ...] = (
    Column("risk_class", "风险分类", "Risk class", "text", 10),
    Column("stratum", "抽样分层", "Stratum", "text", 12),
    Column("ticket", "抽签随机数", "Ticket", "text", 24),
    Column("workbook", "现场工作簿", "Field workbook", "text", 30),
)
# The public result notice (抽查结果公告): public fields only, never the risk class. The caps
# add up to one A4 landscape width at >= 90 %.
NOTICE: tuple[Column, ...] = (
    Column("seq", "序号", "No.", "number", 6),
    Column("plan_id", "抽查计划编号", "Plan ID", "text", 10),
    Column("plan_name", "抽查计划名称", "Plan name", "text", 12),
    Column("task_id", "抽查任务编号", "Task ID", "text", 10),
    Column("task_name", "抽查任务名称", "Task name", "text", 12),
    Column("check_type", "抽查类型", "Check type", "text", 8),
    Column("authority", "检查机关", "Inspecting authority", "text", 11),
    Column("name", "抽查市场主体名称", "Market entity name", "text", 16),
    Column("enterprise_id", "统一社会信用代码", "Unified social credit code", "text", 22),
    Column("completed", "检查完成日期", "Completion date", "date", 12),
    Column("result", "检查结果", "Result", "text", 14),
    Column("remark", "备注", "Remarks", "text", 11),
)
# The task notice's name list (抽查任务公告 名单).
NAME_LIST: tuple[Column, ...] = (
    Column("seq", "序号", "No.", "number", 8),
    Column("name", "市场主体名称", "Market entity name", "text", 40),
    Column("enterprise_id", "统一社会信用代码", "Unified social credit code", "text", 20),
    Column("registration_authority", "登记机关", "Registration authority", "text", 32),
)

# simulation.xlsx: one row per ratio set and strategy (比较汇总 / Summary).
SIM_SUMMARY: tuple[Column, ...] = (
    Column("ratio_set", "比例方案", "Ratio set", "text"),
    Column("strategy", "抽取方式", "Strategy", "text"),
    Column("ratios", "各类抽查比例", "Ratios applied", "text"),
    Column("inspections", "检查户数", "Inspections", "int"),
    Column("expected_found", "预期发现问题户数", "Expected problems found", "dec"),
    Column("found_mean", "模拟平均发现户数", "Simulated mean found", "dec"),
    Column("found_low", "发现户数区间下限", "Found, interval low", "int"),
    Column("found_high", "发现户数区间上限", "Found, interval high", "int"),
    Column("discovery_rate", "问题发现率", "Discovery rate", "pct"),
    Column("discovery_rate_low", "发现率区间下限", "Discovery rate, low", "pct"),
    Column("discovery_rate_high", "发现率区间上限", "Discovery rate, high", "pct"),
    Column("share_of_violators_found", "违法主体查出比例", "Share of violators found", "pct"),
    Column("compliant_inspected", "无问题主体受检户数", "Compliant enterprises inspected", "dec"),
    Column("expected_violators", "预期违法主体总数", "Expected violators in all", "dec"),
    Column("gain_over_uniform", "较不分类随机增减", "Gain over uniform", "pct"),
)
# simulation.xlsx: per ratio set, strategy and class (分类明细 / By class).
SIM_BY_CLASS: tuple[Column, ...] = (
    Column("ratio_set", "比例方案", "Ratio set", "text"),
    Column("strategy", "抽取方式", "Strategy", "text"),
    Column("risk_class", "风险分类", "Risk class", "text"),
    Column("population", "主体户数", "Enterprises", "int"),
    Column("inspections", "检查户数(期望)", "Inspections (expected)", "dec"),
    Column("ratio", "抽查比例", "Ratio", "pct"),
    Column("prevalence", "问题发生率", "Problem rate", "pct"),
    Column("expected_violators", "预期违法主体数", "Expected violators", "dec"),
    Column("expected_found", "预期发现问题户数", "Expected problems found", "dec"),
    Column("compliant_inspected", "无问题主体受检户数", "Compliant enterprises inspected", "dec"),
)
# simulation.xlsx: the problem rate of each class (问题发生率 / Problem rates).
SIM_RATES: tuple[Column, ...] = (
    Column("risk_class", "风险分类", "Risk class", "text"),
    Column("population", "主体户数", "Enterprises", "int"),
    Column("population_source", "户数来源", "Enterprises from", "text"),
    Column("inspections", "历史检查次数", "Past inspections", "int"),
    Column("problems", "发现问题次数", "Problems found", "int"),
    Column("observed_rate", "历史发现率", "Observed rate", "pct"),
    Column("mean", "采用发生率", "Rate used", "pct"),
    Column("low", "区间下限", "Interval low", "pct"),
    Column("high", "区间上限", "Interval high", "pct"),
    Column("alpha", "Beta后验α", "Beta posterior alpha", "dec"),
    Column("beta", "Beta后验β", "Beta posterior beta", "dec"),
    Column("rate_source", "发生率来源", "Rate from", "text"),
)
# simulation.xlsx: the optimised allocation (优化建议 / Recommendation, --optimise).
SIM_RECOMMENDATION: tuple[Column, ...] = (
    Column("risk_class", "风险分类", "Risk class", "text"),
    Column("population", "主体户数", "Enterprises", "int"),
    Column("floor", "最低比例", "Floor", "pct"),
    Column("cap", "最高比例", "Cap", "pct"),
    Column("inspections", "检查户数", "Inspections", "int"),
    Column("ratio", "建议抽查比例", "Recommended ratio", "text"),
    Column("prevalence", "问题发生率", "Problem rate", "pct"),
    Column("expected_found", "预期发现问题户数", "Expected problems found", "dec"),
)

# The item-results sheet of a field workbook (事项结果): plan cells, then three to fill. The
# caps fit one A4 landscape width at 100 %; a task id of the usual length does not wrap.
ITEM_RESULT: tuple[Column, ...] = (
    Column("task_id", "抽查任务编号", "Task ID", "text", 32),
    Column("name", "企业名称", "Enterprise name", "text", 22),
    Column("item_code", "事项编码", "Item code", "text", 14),
    Column("item_name", "抽查事项", "Inspection item", "text", 26),
    Column("checked", "是否检查", "Checked", "fill", 10, fixed=True),
    Column("problem", "是否发现问题", "Problem found", "fill", 12, fixed=True),
    Column("follow_up", "后续处置", "Follow-up", "fill", 20, fixed=True),
)

# The batches of the annual plan notice (抽查计划公告), below its key-value block.
BATCHES: tuple[Column, ...] = (
    Column("batch", "批次", "Batch", "number", 16),
    Column("seed", "批次随机种子", "Batch seed", "text", 40),
    Column("start", "开始日期", "From", "text", 12),
    Column("end", "结束日期", "To", "text", 12),
    Column("total", "计划抽查户数", "Inspections planned", "int", 14),
)

# status.xlsx (planner programme --status): per class (分类进度 / By class).
STATUS_CLASSES: tuple[Column, ...] = (
    Column("class", "风险类别", "Class", "text", 10),
    Column("kind", "规则", "Rule", "text", 12),
    Column("value", "频次/比例", "Frequency/ratio", "text", 10),
    Column("enterprises", "企业数", "Enterprises", "int", 10),
    Column("covered", "已检查企业数", "Inspected so far", "int", 10),
    Column("share", "覆盖率", "Share", "pct", 9),
    Column("done", "已完成检查", "Inspections done", "int", 11),
    Column("planned", "已计划未反馈", "Planned, not returned", "int", 12),
    Column("owed", "尚欠检查", "Still owed", "int", 10),
    Column("projected_owed", "年末预计尚欠", "Owed at year end (projected)", "int", 14),
)
# status.xlsx: enterprises at risk of missing their minimum (未达标风险企业 / At risk).
STATUS_AT_RISK: tuple[Column, ...] = (
    Column("enterprise_id", "统一社会信用代码", "Credit code", "text", 22),
    Column("risk_class", "风险类别", "Class", "text", 10),
    Column("reason", "原因", "Reason", "text", 50),
    Column("short", "缺口", "Short", "int", 8),
)
# status.xlsx: what each enterprise still owes (尚欠检查企业 / Owed).
STATUS_OWED: tuple[Column, ...] = (
    Column("enterprise_id", "统一社会信用代码", "Credit code", "text", 22),
    Column("risk_class", "风险类别", "Class", "text", 10),
    Column("owed", "尚欠检查", "Still owed", "int", 10),
)

# transitions.xlsx (planner regrade): old class by row, one count column per new class
# (:data:`TRANSITION_COUNT` with the class as header), then the row total.
TRANSITION_ROW = Column("old_class", "原分类 \\ 新分类", "Old class \\ new class", "text", 18)
TRANSITION_COUNT = Column("count", "", "", "int", 8)
TRANSITION_TOTAL = Column("total", "合计", "Total", "int", 8)

# loop.xlsx (planner simulate --quarters): one row per quarter, strategy and figure. The
# figures are ``dec``; the rates among them are written as ``pct``.
LOOP: tuple[Column, ...] = (
    Column("quarter", "季度", "Quarter", "number", 8),
    Column("strategy", "抽取方式", "Strategy", "text", 16),
    Column("metric", "指标", "Figure", "text", 34),
    Column("mean", "均值", "Mean", "dec", 12),
    Column("low", "区间下限", "Interval low", "dec", 12),
    Column("high", "区间上限", "Interval high", "dec", 12),
)

# amendments.xlsx (planner export after a replacement): one row per task added, removed,
# given another enterprise or re-staffed (变更清单). The caps fit one A4 landscape width.
AMENDMENT: tuple[Column, ...] = (
    Column("task_id", "抽查任务编号", "Task ID", "text", 24, fixed=True),
    Column("change", "变更类型", "Change", "text", 18),
    Column("old", "原内容", "Old", "text", 40),
    Column("new", "新内容", "New", "text", 40),
    Column("reason", "变更原因", "Reason", "text", 30),
)


def headers(columns: tuple[Column, ...]) -> dict[str, tuple[str, str]]:
    """Return key -> (Chinese header, English header) of a table, in order.

    Parameters
    ----------
    columns : tuple of Column
        A table of this module.

    Returns
    -------
    dict
        The headers by key.
    """
    return {c.key: (c.zh, c.en) for c in columns}


def by_key(columns: tuple[Column, ...]) -> dict[str, Column]:
    """Return key -> column of a table.

    Parameters
    ----------
    columns : tuple of Column
        A table of this module.

    Returns
    -------
    dict
        The columns by key.
    """
    return {c.key: c for c in columns}
