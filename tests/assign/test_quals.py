"""Qualified teams: each team holds an inspector qualified for each item of its task."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from planner.app.assign import assign_stage
from planner.assign.check import check_plan
from planner.cli import cli
from planner.common.errors import InfeasiblePlanError
from tests.support.assign import assign_and_check, setup
from tests.support.data import enterprises_frame, inspectors_frame

ITEMS = pd.DataFrame({
    "item_code": ["SP001", "TS001"],
    "item_name": ["食品销售检查", "特种设备检查"],
    "department": ["食品安全", "特种设备"],
    "categories": ["食品销售;特种设备使用", "特种设备使用"],
    "qualification": ["", "特种设备"],
})


def directory(n: int = 20) -> pd.DataFrame:
    ent = enterprises_frame(n)
    ent["category"] = ["特种设备使用" if i % 2 == 0 else "食品销售" for i in range(n)]
    return ent


def roster(qualified: dict[int, str], n: int = 12) -> pd.DataFrame:
    insp = inspectors_frame(n)
    insp["qualifications"] = [qualified.get(i, "综合执法") for i in range(n)]
    return insp


def qualified_ids(insp: pd.DataFrame) -> set[str]:
    return set(insp.loc[insp["qualifications"].str.contains("特种设备"), "inspector_id"])


def test_every_special_equipment_team_holds_a_qualified_inspector(make_scenario, tmp_path):
    ent = directory()
    insp = roster({1: "特种设备", 6: "综合执法;特种设备", 11: "食品安全；特种设备"})
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=ent, inspectors=insp,
                                  items=ITEMS)
    assign_and_check(scenario, inputs, out)
    seats = pd.read_csv(out / "assignments.csv", dtype=str)
    qualified = qualified_ids(insp)
    needing = set(ent.loc[ent["category"] == "特种设备使用", "enterprise_id"])
    for eid, team in seats.groupby("enterprise_id")["inspector_id"]:
        if eid in needing:
            assert set(team) & qualified, eid
    report = check_plan(scenario, inputs, out)
    assert "qualified for every item" in report.rules


def test_the_checker_catches_a_team_without_its_qualified_inspector(make_scenario, tmp_path):
    ent = directory()
    insp = roster({1: "特种设备", 6: "特种设备"})
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=ent, inspectors=insp,
                                  items=ITEMS)
    assign_and_check(scenario, inputs, out)
    seats = pd.read_csv(out / "assignments.csv", dtype=str)
    first = ent["enterprise_id"][0]  # a special-equipment user
    row = seats.index[(seats["enterprise_id"] == first)
                      & seats["inspector_id"].isin(["P001", "P006"])][0]
    task = seats.loc[row, "task_id"]
    others = set(seats.loc[seats["task_id"] == task, "inspector_id"])
    spare = sorted(set(insp["inspector_id"]) - others - {"P001", "P006"}
                   - {"P010", "P011"})[0]
    seats.loc[row, "inspector_id"] = spare
    seats.to_csv(out / "assignments.csv", index=False)
    violations = check_plan(scenario, inputs, out).violations
    assert (f"task {task} (enterprise {first}): no inspector qualified for 特种设备 "
            "(item TS001 特种设备检查)") in violations


def test_no_qualified_inspector_is_explained(make_scenario, tmp_path):
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=directory(),
                                  inspectors=roster({}), items=ITEMS)
    with pytest.raises(InfeasiblePlanError) as info:
        assign_stage(scenario, inputs, out)
    assert "the plan: no eligible inspector is qualified for 特种设备: 10 tasks short" in str(
        info.value)
    assert not (out / "assignments.csv").exists()


def test_qualified_inspectors_only_in_the_own_station_are_explained(make_scenario, tmp_path):
    # P000 and P004 are of 东区1所; 5 special-equipment users are of that station too.
    ent = directory()
    insp = roster({0: "特种设备", 4: "特种设备"})
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=ent, inspectors=insp,
                                  items=ITEMS, extra="[assignment]\ncross_station = true\n")
    own = ((ent["station"] == "东区1所") & (ent["category"] == "特种设备使用")).sum()
    with pytest.raises(InfeasiblePlanError) as info:
        assign_stage(scenario, inputs, out)
    assert (f"the plan: no inspector qualified for 特种设备 outside station 东区1所: "
            f"{own} tasks short") in str(info.value)


def test_qualified_capacity_short_is_explained(make_scenario, tmp_path):
    insp = roster({1: "特种设备", 6: "特种设备"})
    insp.loc[[1, 6], "capacity"] = 3
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=directory(),
                                  inspectors=insp, items=ITEMS)
    with pytest.raises(InfeasiblePlanError) as info:
        assign_stage(scenario, inputs, out)
    assert ("the plan: 10 tasks need an inspector qualified for 特种设备; the 2 qualified can "
            "take 6 (short by 4)") in str(info.value)


def test_a_qualified_inspector_who_must_avoid_is_explained(make_scenario, tmp_path):
    ent = directory(8)
    insp = roster({1: "特种设备"}, n=6)
    users = ent.loc[ent["category"] == "特种设备使用", "enterprise_id"].tolist()
    avoid = pd.DataFrame({"inspector_id": ["P001"], "enterprise_id": [users[0]]})
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=ent, inspectors=insp,
                                  items=ITEMS, avoidance=avoid)
    with pytest.raises(InfeasiblePlanError) as info:
        assign_stage(scenario, inputs, out)
    assert "every inspector qualified for 特种设备 (P001) is excluded from the enterprises of " \
           "station 东区1所 (avoidance, rotation or cross-station): 1 task short" in str(info.value)


def test_cli_reports_the_shortfall(make_scenario, tmp_path):
    path = make_scenario(enterprises=directory(), inspectors=roster({}), items=ITEMS)
    result = CliRunner().invoke(cli, ["run", str(path), "-o", str(tmp_path / "o")])
    assert result.exit_code != 0
    assert "no eligible inspector is qualified for 特种设备: " in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "o" / "assignments.csv").exists()


def test_no_staffing_with_the_pair_rule_is_proven_by_cp_sat(make_scenario, tmp_path):
    # P000 is the only lead-capable inspector, P001 the only qualified one, and they must
    # not team: the counts allow a plan, the whole-unit CP-SAT search proves there is none.
    ent = directory(4)
    insp = roster({1: "特种设备"}, n=4)
    insp.loc[2, "can_lead"] = "否"
    (tmp_path / "separate.csv").write_text("inspector_id_1,inspector_id_2\nP000,P001\n")
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=ent, inspectors=insp,
                                  items=ITEMS,
                                  extra='[assignment]\nseparate_pairs = "separate.csv"\n')
    with pytest.raises(InfeasiblePlanError) as info:
        assign_stage(scenario, inputs, out)
    assert ("2 teams hold a pair of inspectors who must not team (separate_pairs) or lack a "
            "qualified inspector, and no plan of the unit keeps all 1 pairs apart") in str(
        info.value)


def test_qualified_needs_alone_repaired_by_cp_sat_stay_balanced(make_scenario, tmp_path):
    ent = directory(40)
    insp = roster({1: "特种设备", 6: "特种设备", 9: "特种设备"})
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=ent, inspectors=insp,
                                  items=ITEMS)
    result = assign_and_check(scenario, inputs, out)
    loads = result.plan.loads
    assert int(loads.max()) - int(loads.min()) <= 2
