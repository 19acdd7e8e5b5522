"""The annual plan notice (抽查计划公告): what the public sees of the year's programme.

One sheet: the plan's facts (name, number, authority, period, items, the public seed and the
seed rule) as a key-value block, and one row per batch (seed, dates, planned number of
inspections) as a table (:data:`planner.common.columns.BATCHES`, written by
:func:`planner.common.xlsx.write_table`, as the disclosure's task notice is). No risk
class and no inspector appears. Chinese by default, English with ``[export] language =
"en"``; 10-point text on A4 at >= 9 pt printed, byte-identical for the same plan.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from planner.common import columns
from planner.common.xlsx import (
    deterministic_workbook,
    figure_styles,
    make_styles,
    write_pairs,
    write_table,
)
from planner.plan.inputs import Inputs
from planner.plan.scenario import Scenario

LABELS = {
    "zh": {
        "title": "抽查计划公告", "name": "计划名称", "id": "计划编号", "authority": "检查机关",
        "period": "计划期间", "items": "抽查事项", "scope": "检查对象", "seed": "随机种子",
        "rule": "抽取规则", "total": "合计",
        "scope_text": "检查对象名录库内 {n} 户市场主体", "sheet": "抽查计划公告",
        "rule_text": ("第K批的随机种子为“{seed}/batch-K”；每户的随机数为 sha256(“批次随机种子:统一社会"
                      "信用代码”) / 2^256，各层按随机数从小到大抽取。"),
    },
    "en": {
        "title": "Spot-check plan notice", "name": "Plan name", "id": "Plan number",
        "authority": "Inspecting authority", "period": "Plan period", "items": "Items",
        "scope": "Targets", "seed": "Public seed", "rule": "Selection rule", "total": "Total",
        "scope_text": "{n} market entities in the inspection directory",
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
    language = scenario.export.language
    t = LABELS[language]
    plan = scenario.plan
    seeds_listed = bool(scenario.programme.batch_seeds)
    created = dt.datetime.combine(plan.start, dt.time())
    with deterministic_workbook(target, created=created, title=f"{plan.name} {t['title']}",
                                author=plan.authority) as wb:
        st = figure_styles(wb, make_styles(wb))
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
        # The facts in columns A and B, above the batches (the task notice's layout).
        value_width = columns.BATCHES[1].cap
        row = write_pairs(ws, 2, [(t[key], value) for key, value in facts], st, value_width)
        batches = projection.batches
        values = [pd.Series([b[c.key] for b in batches], dtype=object) for c in columns.BATCHES]
        label_width = max(len(t[key]) * 2 + 2 for key, _ in facts)
        first = row + 1
        write_table(ws, columns.BATCHES, values, language, st, first_row=first,
                    min_widths=[label_width, value_width, 0.0, 0.0, 0.0], header_height=None,
                    freeze_columns=None, autofilter=False, print_title=t["title"])
        last = first + len(batches) + 1
        ws.write_string(last, 0, t["total"], st.key)
        ws.write_number(last, len(columns.BATCHES) - 1, sum(b["total"] for b in batches),
                        st.count)
        ws.print_area(0, 0, last, len(columns.BATCHES) - 1)
