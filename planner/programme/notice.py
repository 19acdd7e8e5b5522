"""The annual plan notice (抽查计划公告): what the public sees of the year's programme.

One sheet: the plan's facts (name, number, authority, period, items, the public seed and the
seed rule) and one row per batch (dates, seed, planned number of inspections). No risk class
and no inspector appears. Chinese by default, English with ``[export] language = "en"``;
10-point text on A4 landscape, byte-identical for the same plan.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from planner.plan.inputs import Inputs
from planner.plan.scenario import Scenario
from planner.publish.workbook import deterministic_workbook, make_styles, setup_print

LABELS = {
    "zh": {
        "title": "抽查计划公告", "name": "计划名称", "id": "计划编号", "authority": "检查机关",
        "period": "计划期间", "items": "抽查事项", "scope": "检查对象", "seed": "随机种子",
        "rule": "抽取规则", "batch": "批次", "start": "开始日期", "end": "结束日期",
        "batch_seed": "批次随机种子", "count": "计划抽查户数", "total": "合计",
        "scope_text": "检查对象名录库内 {n} 户市场主体", "sheet": "抽查计划公告",
        "rule_text": ("第K批的随机种子为“{seed}/batch-K”；每户的随机数为 sha256(“批次随机种子:统一社会"
                      "信用代码”) / 2^256，各层按随机数从小到大抽取。"),
    },
    "en": {
        "title": "Spot-check plan notice", "name": "Plan name", "id": "Plan number",
        "authority": "Inspecting authority", "period": "Plan period", "items": "Items",
        "scope": "Targets", "seed": "Public seed", "rule": "Selection rule", "batch": "Batch",
        "start": "From", "end": "To", "batch_seed": "Batch seed", "count": "Inspections planned",
        "total": "Total", "scope_text": "{n} market entities in the inspection directory",
        "sheet": "Plan notice",
        "rule_text": ('batch K uses the seed "{seed}/batch-K"; each entity\'s ticket is '
                      'sha256("batch seed:credit code") / 2^256 and the lowest tickets of each '
                      "stratum are drawn."),
    },
}


def _items(scenario: Scenario, inputs: Inputs) -> str:
    items = inputs.items
    if items is None or not len(items) or "item_code" not in items:
        return "；".join(scenario.plan.items)
    names = dict(zip(items["item_code"], items["item_name"], strict=True))
    return "；".join(names.get(code, code) for code in scenario.plan.items)


def write_notice(target: Path, scenario: Scenario, inputs: Inputs, projection) -> None:
    """Write the plan notice workbook.

    Parameters
    ----------
    target : pathlib.Path
        Where the ``.xlsx`` goes (written whole or not at all).
    scenario : Scenario
        The programme's scenario.
    inputs : Inputs
        Its inputs (the item list names the items).
    projection : planner.programme.annual.Projection
        The batches with their planned counts.
    """
    t = LABELS[scenario.export.language]
    plan = scenario.plan
    seeds_listed = bool(scenario.programme.batch_seeds)
    created = dt.datetime.combine(plan.start, dt.time())
    with deterministic_workbook(target, created=created, title=f"{plan.name} {t['title']}",
                                author=plan.authority) as wb:
        st = make_styles(wb)
        ws = wb.add_worksheet(t["sheet"])
        ws.write_string(0, 0, f"{plan.name} {t['title']}", st.title)
        facts = [
            ("name", plan.name), ("id", plan.id), ("authority", plan.authority),
            ("period", f"{plan.start.isoformat()} — {plan.end.isoformat()}"),
            ("items", _items(scenario, inputs)),
            ("scope", t["scope_text"].format(n=int(inputs.enterprises["active"].sum()))),
            ("seed", plan.seed),
        ]
        if not seeds_listed:
            facts.append(("rule", t["rule_text"].format(seed=plan.seed)))
        row = 2
        for key, value in facts:
            ws.write_string(row, 0, t[key], st.key)
            ws.merge_range(row, 1, row, 4, value, st.text)
            ws.set_row(row, 13.5 * max(1, len(value) // 50 + 1))
            row += 1
        row += 1
        for col, key in enumerate(("batch", "start", "end", "batch_seed", "count")):
            ws.write_string(row, col, t[key], st.header)
        for b in projection.batches:
            row += 1
            ws.write_number(row, 0, b["batch"], st.number)
            ws.write_string(row, 1, b["start"], st.text)
            ws.write_string(row, 2, b["end"], st.text)
            ws.write_string(row, 3, b["seed"], st.text)
            ws.write_number(row, 4, b["total"], st.number)
        row += 1
        ws.write_string(row, 0, t["total"], st.key)
        ws.write_number(row, 4, sum(b["total"] for b in projection.batches), st.number)
        widths = (16, 14, 14, 36, 16)
        for col, width in enumerate(widths):
            ws.set_column(col, col, width)
        setup_print(ws, widths, header_rows=0, header_text=t["title"])
        ws.print_area(0, 0, row, 4)
