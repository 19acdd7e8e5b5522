"""Items by category (eligibility) and targeted draws (定向抽查): strata, counts, verification."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from planner.app.draw import draw_stage
from planner.cli import cli
from planner.common.errors import ScenarioError
from planner.draw.compute import compute_draw
from planner.draw.verify import verify_draw
from planner.plan.inputs import load_inputs
from planner.plan.scenario import load_scenario
from tests.support.data import enterprises_frame

ITEMS = pd.DataFrame({
    "item_code": ["SP001", "TS001", "GS001"],
    "item_name": ["食品销售检查", "特种设备检查", "公示信息检查"],
    "department": ["食品安全", "特种设备", "市场监管"],
    "categories": ["食品销售", "特种设备使用;住宿服务", "批发零售"],
    "qualification": ["食品安全", "特种设备", ""],
})


def directory(n: int = 40) -> pd.DataFrame:
    ent = enterprises_frame(n)
    ent["category"] = [("食品销售", "特种设备使用", "住宿服务", "建筑装饰")[i % 4]
                       for i in range(n)]
    return ent


def load(path):
    scenario = load_scenario(path)
    return scenario, load_inputs(scenario)


def test_an_enterprise_no_item_applies_to_is_not_eligible(make_scenario):
    scenario, inputs = load(make_scenario(enterprises=directory(), items=ITEMS))
    draw = compute_draw(scenario, inputs)
    assert draw.eligibility.excluded == {"no item applies": 10}
    reasons = pd.Series(draw.eligibility.reason, index=inputs.enterprises["category"])
    assert set(reasons[reasons != ""].index) == {"建筑装饰"}
    assert "建筑装饰" not in set(inputs.enterprises["category"].iloc[draw.pool["src"]])


def test_plan_items_narrow_what_applies(make_scenario):
    extra_plan = 'items = ["TS001"]\n'
    path = make_scenario(enterprises=directory(), items=ITEMS)
    text = path.read_text(encoding="utf-8").replace("[inputs]", extra_plan + "\n[inputs]")
    path.write_text(text, encoding="utf-8")
    scenario, inputs = load(path)
    draw = compute_draw(scenario, inputs)
    assert draw.eligibility.excluded == {"no item applies": 20}


def test_items_without_categories_leave_the_draw_unchanged(make_scenario, tmp_path):
    plain = ITEMS.drop(columns=["categories", "qualification"])
    a = compute_draw(*load(make_scenario(enterprises=directory(), items=plain)))
    assert a.eligibility.excluded == {}
    assert len(a.pool) == 40


TARGET = """
[[sampling.targets]]
name = "特种设备"
filter = 'category in ["特种设备使用", "住宿服务"] and risk_class != "D"'
{quota}
"""


@pytest.mark.parametrize("quota, drawn", [
    ("ratio = 0.5", {"特种设备/A": 3, "特种设备/B": 3, "特种设备/C": 3}),
    ("ratios = { A = 1.0, C = 0.2 }", {"特种设备/A": 5, "特种设备/B": 0, "特种设备/C": 1}),
    ("count = 4", {"特种设备/A": 2, "特种设备/B": 1, "特种设备/C": 1}),  # tie: class order
])
def test_targets_draw_their_own_strata(make_scenario, tmp_path, quota, drawn):
    path = make_scenario(enterprises=directory(), extra=TARGET.format(quota=quota))
    scenario, inputs = load(path)
    draw = compute_draw(scenario, inputs)
    strata = draw.quotas.strata
    targeted = {s: v["drawn"] for s, v in strata.items() if v.get("target")}
    assert targeted == drawn
    assert all(strata[s]["eligible"] == 5 for s in targeted)
    # The other enterprises keep the class ratios: 40 - 15 targeted, by class.
    assert {s: v["eligible"] for s, v in strata.items() if not v.get("target")} == {
        "A": 5, "B": 5, "C": 5, "D": 10}
    sample = draw.sample()
    for label, n in drawn.items():
        rows = sample[sample["stratum"] == label]
        assert len(rows) == n
        # the n lowest tickets of the stratum (the published rule)
        pool = draw.pool[draw.pool["stratum"].astype(str) == label]
        assert set(rows["enterprise_id"]) == set(pool.nsmallest(n, "rank")["enterprise_id"])
    out = tmp_path / "out"
    draw_stage(scenario, inputs, out)
    verify_draw(out)  # raises VerificationError when the draw does not follow
    record = json.loads((out / "draw-record.json").read_text(encoding="utf-8"))
    assert record["parameters"]["sampling"]["targets"][0]["name"] == "特种设备"


def test_a_targeted_draw_verifies_and_a_changed_filter_does_not(make_scenario, tmp_path):
    path = make_scenario(enterprises=directory(), extra=TARGET.format(quota="ratio = 0.5"))
    out = tmp_path / "out"
    runner = CliRunner()
    result = runner.invoke(cli, ["draw", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "  targeted (定向) 特种设备: 9 of 15 drawn (included in the classes above)" in (
        result.output)
    result = runner.invoke(cli, ["verify", str(out)])
    assert result.exit_code == 0, result.output
    path.write_text(path.read_text(encoding="utf-8").replace("ratio = 0.5", "ratio = 0.9"),
                    encoding="utf-8")
    assert runner.invoke(cli, ["verify", str(out)]).exit_code == 0  # the record's parameters
    record = json.loads((out / "draw-record.json").read_text(encoding="utf-8"))
    record["parameters"]["sampling"]["targets"][0]["ratio"] = 0.9
    (out / "draw-record.json").write_text(json.dumps(record, ensure_ascii=False),
                                          encoding="utf-8")
    assert runner.invoke(cli, ["verify", str(out)]).exit_code != 0


@pytest.mark.parametrize("block, key, message", [
    ('name = "t"\nfilter = \'category = "x"\'\nratio = 0.1', "sampling.targets[0].filter",
     "unexpected '=' (use == to compare) at position 10 of 'category = \"x\"'"),
    ('name = "t"\nfilter = \'capital >= 1\'\nratio = 0.1', "sampling.targets[0].filter",
     "unknown column 'capital'"),
    ('name = "t"\nfilter = \'risk_class == "A"\'', "sampling.targets[0]",
     "give exactly one of ratio, ratios or count"),
    ('name = "t"\nfilter = \'risk_class == "A"\'\nratio = 1.5', "sampling.targets[0].ratio",
     "must be a ratio between 0 and 1"),
    ('name = "A"\nfilter = \'risk_class == "A"\'\ncount = 1', "sampling.targets[0].name",
     "already a target's or a class's name"),
    ('name = "t"\nfilter = \'risk_class == "A"\'\nratios = { Z = 0.1 }',
     "sampling.targets[0].ratios.Z", "unknown class 'Z'"),
    ('name = "t"\nfilter = \'risk_class == "A"\'\ncount = 1\nweight = 2',
     "sampling.targets[0].weight", "unknown key"),
])
def test_bad_targets_name_the_key(make_scenario, block, key, message):
    path = make_scenario(extra=f"[[sampling.targets]]\n{block}\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.key == key
    assert message in str(info.value)
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code != 0
    assert key in result.output and "Traceback" not in result.output


def test_declared_extra_columns_carry_a_shandong_style_target(make_scenario):
    ent = directory()
    ent["registered_capital"] = [200_000_000 if i % 5 == 0 else 1_000_000 for i in range(40)]
    ent["tax_paid"] = [0 if i % 10 == 0 else 5_000 for i in range(40)]
    extra = ('filter_columns = ["registered_capital", "tax_paid"]\n'
             "[[sampling.targets]]\nname = \"大额零税\"\n"
             "filter = 'registered_capital >= 100000000 and tax_paid == 0'\nratio = 1.0\n")
    scenario, inputs = load(make_scenario(enterprises=ent, extra=extra))
    draw = compute_draw(scenario, inputs)
    hit = draw.sample()[draw.sample()["stratum"].str.startswith("大额零税/")]
    expected = ent.loc[(ent.index % 10 == 0), "enterprise_id"]
    assert set(hit["enterprise_id"]) == set(expected) and len(hit) == 4


def test_a_declared_column_the_directory_lacks_is_named(make_scenario):
    extra = ('filter_columns = ["registered_capital"]\n'
             "[[sampling.targets]]\nname = \"大额\"\n"
             "filter = 'registered_capital >= 1'\ncount = 1\n")
    scenario, inputs = load(make_scenario(enterprises=directory(), extra=extra))
    with pytest.raises(ScenarioError) as info:
        compute_draw(scenario, inputs)
    assert info.value.key == "sampling.filter_columns[0]"
    assert "the enterprises file has no column 'registered_capital'" in str(info.value)
