"""Eligibility: inactive status, exclusion window, annual cap, mandatory inclusions."""

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from planner.cli import cli
from planner.common.errors import InputError
from planner.draw.compute import compute_draw
from planner.draw.eligibility import assess
from planner.plan.inputs import load_inputs
from planner.plan.scenario import load_scenario
from tests.support.data import enterprises_frame


def loaded(path):
    scenario = load_scenario(path)
    return scenario, load_inputs(scenario)


def history_of(ids, dates):
    return pd.DataFrame({"enterprise_id": ids, "inspector_id": [""] * len(ids), "date": dates,
                         "result": ["未发现问题"] * len(ids)})


def test_inactive_enterprises_are_never_eligible(make_scenario):
    ent = enterprises_frame(40)
    ent.loc[[0, 1, 2, 3], "status"] = ["注销", "吊销", "停业", "存续（在营、开业、在册）"]
    scenario, inputs = loaded(make_scenario(enterprises=ent))
    elig = assess(inputs.enterprises, inputs.history, scenario)
    assert elig.reason[:4].tolist() == ["inactive", "inactive", "inactive", ""]
    assert elig.excluded == {"inactive": 3}
    draw = compute_draw(scenario, inputs)
    assert not set(ent["enterprise_id"][:3]) & set(draw.pool["enterprise_id"])


def test_exclusion_window_counts_from_the_plan_start(make_scenario):
    ent = enterprises_frame(40)  # grades cycle A A B B C C D D ...; D is drawn whole
    ids = ent["enterprise_id"]
    hist = history_of([ids[0], ids[1], ids[2], ids[6]],
                      ["2025-10-03", "2025-10-02", "2025-12-31", "2025-12-31"])
    path = make_scenario(enterprises=ent, history=hist, extra="exclusion_days = 90")
    scenario, inputs = loaded(path)
    elig = assess(inputs.enterprises, inputs.history, scenario)
    # 2026-01-01 minus 90 days is 2025-10-03: that day is inside the window, the day before not.
    assert elig.reason[0] == "inspected within 90 days"
    assert elig.reason[1] == ""
    assert elig.reason[2] == "inspected within 90 days"
    assert elig.reason[6] == ""  # class D has ratio 1.0: mandatory, the window does not apply
    assert elig.mandatory_classes == ["D"]
    assert elig.excluded == {"inspected within 90 days": 2}


def test_annual_cap_counts_inspections_in_the_plan_year(make_scenario):
    ent = enterprises_frame(40)
    ids = ent["enterprise_id"]
    hist = history_of([ids[0], ids[0], ids[1], ids[1], ids[2], ids[2], ids[3], ids[4]],
                      ["2026-01-05", "2025-12-01", "2025-06-01", "2025-07-01", "2026-02-01",
                       "2026-01-01", "2026-02-01", "2026-02-01"])
    path = make_scenario(enterprises=ent, history=hist,
                         extra="annual_cap = { A = 1, B = 2 }")
    scenario, inputs = loaded(path)
    elig = assess(inputs.enterprises, inputs.history, scenario)
    assert elig.reason[0] == "annual cap reached"  # class A: one inspection in 2026, cap 1
    assert elig.reason[1] == ""  # class A: two inspections, but in 2025
    assert elig.reason[2] == "annual cap reached"  # class B: two in 2026, cap 2
    assert elig.reason[3] == ""  # class B: one in 2026
    assert elig.reason[4] == ""  # class C has no cap
    assert elig.excluded == {"annual cap reached": 2}


def test_reasons_are_counted_once_in_rule_order(make_scenario):
    ent = enterprises_frame(40)
    ent.loc[0, "status"] = "注销"
    ids = ent["enterprise_id"]
    hist = history_of([ids[0], ids[1]], ["2025-12-20", "2025-12-20"])
    path = make_scenario(enterprises=ent, history=hist,
                         extra="exclusion_days = 30\nannual_cap = { A = 1 }")
    scenario, inputs = loaded(path)
    elig = assess(inputs.enterprises, inputs.history, scenario)
    assert elig.excluded == {"inactive": 1, "inspected within 30 days": 1}


def test_inclusion_list_overrides_the_window_but_not_inactivity(make_scenario, tmp_path):
    ent = enterprises_frame(40)
    ent.loc[3, "status"] = "吊销"
    ids = ent["enterprise_id"]
    hist = history_of([ids[0]], ["2025-12-20"])
    listed = tmp_path / "inclusions.csv"
    pd.DataFrame({"统一社会信用代码": [ids[0].lower(), ids[2], ids[3]],
                  "列入原因": ["投诉举报", "投诉举报", "投诉举报"]}).to_csv(listed, index=False)
    path = make_scenario(enterprises=ent, history=hist,
                         extra='exclusion_days = 30\ninclusions = "inclusions.csv"')
    scenario, inputs = loaded(path)
    draw = compute_draw(scenario, inputs)
    drawn = set(draw.original["enterprise_id"])
    assert {ids[0], ids[2]} <= drawn
    assert ids[3] not in drawn
    assert draw.eligibility.listed_inactive == [ids[3]]
    strata = draw.quotas.strata
    assert strata["A/included"] == {"class": "A", "district": None, "eligible": 1, "drawn": 1}
    assert strata["B/included"]["drawn"] == 1
    # class A: 10 eligible incl. 1 listed, ratio 0.1 -> 1 drawn in all, the listed one
    assert draw.quotas.drawn["A"] == 1 and strata["A"]["drawn"] == 0


def test_inclusion_list_naming_an_unknown_enterprise_is_an_input_error(make_scenario, tmp_path):
    listed = tmp_path / "inclusions.csv"
    listed.write_text("enterprise_id\n91350100M000100Y43\n", encoding="utf-8")
    path = make_scenario(extra='inclusions = "inclusions.csv"')
    scenario, inputs = loaded(path)
    with pytest.raises(InputError) as info:
        compute_draw(scenario, inputs)
    (problem,) = info.value.problems
    assert problem.row == 2 and problem.column == "enterprise_id"
    assert "not in the enterprises file" in problem.message
    result = CliRunner().invoke(cli, ["draw", str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "inclusions.csv, row 2, column 'enterprise_id': names an enterprise not in the " \
        "enterprises file" in result.output


def test_excluded_counts_are_in_the_record_and_the_summary(make_scenario, tmp_path):
    ent = enterprises_frame(40)
    ent.loc[[0, 1], "status"] = "注销"
    ids = ent["enterprise_id"]
    hist = history_of([ids[4], ids[5], ids[8]], ["2025-12-20"] * 3)
    path = make_scenario(enterprises=ent, history=hist, extra="exclusion_days = 60")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["draw", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "35 of 40 enterprises eligible; excluded: inactive 2, inspected within 60 days 3" \
        in result.output
    record = json.loads((out / "draw-record.json").read_text(encoding="utf-8"))
    assert record["eligibility"]["excluded"] == {"inactive": 2, "inspected within 60 days": 3}
    assert record["eligibility"]["eligible"] == 35
