"""Each hard rule of [assignment], switched on, changes the plan as it should."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from planner.assign.planning import plan_assignment
from planner.cli import cli
from planner.common.errors import InputError, ScenarioError
from planner.plan.inputs import load_inputs
from planner.plan.scenario import load_scenario
from tests.support.assign import assign_and_check, setup, with_seed
from tests.support.data import enterprises_frame, inspectors_frame


def seats(out) -> pd.DataFrame:
    return pd.read_csv(out / "assignments.csv", dtype=str)


def test_expired_certificate_and_unavailable_inspectors_are_never_assigned(make_scenario,
                                                                         tmp_path):
    insp = inspectors_frame(12)
    insp.loc[2, "certificate_expiry"] = "2026-02-01"  # before the plan ends 2026-03-31
    insp["available"] = "是"
    insp.loc[5, "available"] = "否"
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=enterprises_frame(40),
                                  inspectors=insp)
    assign_and_check(scenario, inputs, out)
    used = set(seats(out)["inspector_id"])
    assert "P002" not in used and "P005" not in used
    assert len(used) == 10


def test_avoidance_pairs_never_meet(make_scenario, tmp_path):
    ent = enterprises_frame(20)
    insp = inspectors_frame(6)
    # Every enterprise avoids P000 and P001 except the first one.
    avoid = pd.DataFrame([(i, e) for e in ent["enterprise_id"][1:] for i in ("P000", "P001")],
                         columns=["inspector_id", "enterprise_id"])
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=ent, inspectors=insp,
                                  avoidance=avoid)
    assign_and_check(scenario, inputs, out)
    frame = seats(out)
    assert set(frame[frame["inspector_id"].isin(["P000", "P001"])]["enterprise_id"]) <= {
        ent["enterprise_id"][0]}


def test_capacity_is_respected_roster_column_and_scenario_default(make_scenario, tmp_path):
    ent = enterprises_frame(20)
    insp = inspectors_frame(6)
    insp["capacity"] = ["2", "", "", "", "", ""]  # others take [assignment] capacity = 8
    insp["can_lead"] = "是"
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=ent, inspectors=insp,
                                  extra="[assignment]\ncapacity = 8\n")
    result = assign_and_check(scenario, inputs, out)
    loads = result.plan.loads
    assert loads["P000"] <= 2 and (loads <= 8).all() and loads.sum() == 40


def test_cross_station_keeps_inspectors_away_from_their_own_station(make_scenario, tmp_path):
    ent = enterprises_frame(40)
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=ent,
                                  extra="[assignment]\ncross_station = true\n")
    assign_and_check(scenario, inputs, out)
    frame = seats(out).merge(ent[["enterprise_id", "station"]], on="enterprise_id")
    frame = frame.merge(inputs.inspectors[["inspector_id", "station"]], on="inspector_id",
                        suffixes=("", "_inspector"))
    assert (frame["station"] != frame["station_inspector"]).all()


def test_cross_station_off_allows_own_station(make_scenario, tmp_path):
    ent = enterprises_frame(40)
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=ent)
    assign_and_check(scenario, inputs, out)
    frame = seats(out).merge(ent[["enterprise_id", "station"]], on="enterprise_id")
    frame = frame.merge(inputs.inspectors[["inspector_id", "station"]], on="inspector_id",
                        suffixes=("", "_inspector"))
    assert (frame["station"] == frame["station_inspector"]).any()


def test_rotation_excludes_the_last_inspection_team_only(make_scenario, tmp_path):
    ent = enterprises_frame(6)
    insp = inspectors_frame(4)
    insp["can_lead"] = "是"
    rows = []
    for e in ent["enterprise_id"]:
        rows += [(e, "P000", "2025-06-01"), (e, "P001", "2025-06-01"),  # last inspection
                 (e, "P002", "2024-06-01")]  # an earlier one: not excluded
    history = pd.DataFrame(rows, columns=["enterprise_id", "inspector_id", "date"])
    extra = "[assignment]\nrotation = true\n"
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=ent, inspectors=insp,
                                  history=history, extra=extra)
    assign_and_check(scenario, inputs, out)
    frame = seats(out)
    assert set(frame["inspector_id"]) == {"P002", "P003"}
    assert (frame.groupby("task_id")["inspector_id"].apply(frozenset)
            == frozenset({"P002", "P003"})).all()


def test_team_size_three_and_no_lead_rule(make_scenario, tmp_path):
    ent = enterprises_frame(20)
    insp = inspectors_frame(9)
    insp["can_lead"] = "否"
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=ent, inspectors=insp,
                                  extra="[assignment]\nteam_size = 3\nrequire_lead = false\n")
    result = assign_and_check(scenario, inputs, out)
    frame = seats(out)
    assert (frame.groupby("task_id")["inspector_id"].nunique() == 3).all()
    assert (frame["role"] == "lead").sum() == 20
    assert sorted(result.plan.loads) == [6, 6, 6, 7, 7, 7, 7, 7, 7]  # 60 seats over 9


def test_joint_check_takes_one_of_each_department_and_the_lead_from_the_first(make_scenario,
                                                                          tmp_path):
    ent = enterprises_frame(24)
    insp = inspectors_frame(12)
    insp["department"] = ["市场监管", "食品安全", "药品监管"] * 4
    insp.loc[9:, "department"] = "消防"  # not in the joint check
    insp["can_lead"] = "否"
    insp.loc[[0, 1, 4], "can_lead"] = "是"  # 食品安全 (P001, P004, P007) has two who may lead
    extra = ('[assignment]\nteam_size = 3\njoint_departments = ["食品安全", "市场监管", '
             '"药品监管"]\n')
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=ent, inspectors=insp,
                                  extra=extra)
    assign_and_check(scenario, inputs, out)
    frame = seats(out).merge(insp[["inspector_id", "department", "can_lead"]], on="inspector_id")
    per_task = frame.groupby("task_id")["department"].apply(sorted)
    assert (per_task.apply(tuple) == ("市场监管", "药品监管", "食品安全")).all()
    leads = frame[frame["role"] == "lead"]
    assert (leads["department"] == "食品安全").all() and (leads["can_lead"] == "是").all()


def test_joint_check_with_a_free_seat(make_scenario, tmp_path):
    ent = enterprises_frame(10)
    insp = inspectors_frame(12)
    insp["department"] = ["市场监管", "食品安全"] * 6
    extra = '[assignment]\nteam_size = 3\njoint_departments = ["市场监管", "食品安全"]\n'
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=ent, inspectors=insp,
                                  extra=extra)
    result = assign_and_check(scenario, inputs, out)
    assert sorted(result.plan.loads) == [2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3]


def test_unknown_joint_department_names_the_key(make_scenario, tmp_path):
    extra = '[assignment]\njoint_departments = ["市场监管", "卫生健康"]\n'
    scenario, inputs, _ = setup(make_scenario, tmp_path, enterprises=enterprises_frame(6),
                                extra=extra)
    with pytest.raises(ScenarioError) as info:
        plan_assignment(scenario, inputs, pd.read_csv(tmp_path / "out" / "sample.csv",
                                                      dtype=str))
    assert str(info.value).endswith(
        "assignment.joint_departments[1]: department '卫生健康' has no inspector in the roster; "
        "its departments are 市场监管, 食品安全")


def test_partition_by_district_keeps_teams_in_their_district(make_scenario, tmp_path):
    ent = enterprises_frame(40)
    insp = inspectors_frame(12)
    insp["can_lead"] = ["是", "是", "否", "否"] * 3  # three lead-capable in each district
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=ent, inspectors=insp,
                                  extra='[assignment]\npartition_by = "district"\n')
    result = assign_and_check(scenario, inputs, out)
    frame = seats(out).merge(ent[["enterprise_id", "district"]], on="enterprise_id")
    frame = frame.merge(inputs.inspectors[["inspector_id", "district"]], on="inspector_id",
                        suffixes=("", "_inspector"))
    assert (frame["district"] == frame["district_inspector"]).all()
    assert [u.unit for u in result.plan.units] == ["东区", "西区"]


def test_units_solved_in_worker_processes_give_the_same_plan(make_scenario, tmp_path,
                                                            monkeypatch):
    import planner.assign.planning as assign_module
    import planner.common.parallel as parallel_module

    ent = enterprises_frame(40)
    insp = inspectors_frame(12)
    insp["can_lead"] = ["是", "是", "否", "否"] * 3
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=ent, inspectors=insp,
                                  extra='[assignment]\npartition_by = "district"\n')
    one = assign_and_check(scenario, inputs, out)
    alone = (out / "assignments.csv").read_bytes()
    monkeypatch.setattr(assign_module, "PARALLEL_ENTERPRISES", 1)
    monkeypatch.setattr(parallel_module.sys, "platform", "linux")
    monkeypatch.setattr(parallel_module.os, "cpu_count", lambda: 2)
    started = []
    real_pool = assign_module.fork_pool
    monkeypatch.setattr(assign_module, "fork_pool", lambda n: started.append(n) or real_pool(n))
    many = assign_and_check(scenario, inputs, out)
    assert started == [2]
    assert (out / "assignments.csv").read_bytes() == alone
    assert [(u.unit, u.load_min, u.load_max) for u in many.plan.units] == [
        (u.unit, u.load_min, u.load_max) for u in one.plan.units]


def test_partition_by_station_with_cross_station_is_refused(make_scenario):
    path = make_scenario(extra='[assignment]\npartition_by = "station"\ncross_station = true\n')
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(info.value).endswith(
        'assignment.partition_by: partition_by = "station" keeps every team inside its station, '
        'which cross_station = true forbids; use partition_by = "district"')


def pairs_file(tmp_path, rows, header=("inspector_id_1", "inspector_id_2", "reason")):
    path = tmp_path / "separate.csv"
    pd.DataFrame(rows, columns=list(header)).to_csv(path, index=False)
    return path


def test_separate_pairs_are_kept_apart_by_the_cp_sat_repair(make_scenario, tmp_path):
    # Three inspectors, all lead-capable, team of two: every pair of them would team up
    # somewhere, but P000 and P001 must not. So every team must hold P002.
    ent = enterprises_frame(8)
    insp = inspectors_frame(3)
    insp["can_lead"] = "是"
    pairs_file(tmp_path, [("P001", "P000", "spouses")])
    extra = '[assignment]\nseparate_pairs = "separate.csv"\n'
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=ent, inspectors=insp,
                                  extra=extra)
    result = assign_and_check(scenario, inputs, out)
    frame = seats(out)
    teams = frame.groupby("task_id")["inspector_id"].apply(frozenset)
    assert all("P002" in t for t in teams)
    assert result.plan.units[0].repaired > 0
    assert result.plan.units[0].cp_rounds[0]["status"] == "OPTIMAL"
    assert "CP-SAT re-staffed" in result.summary_lines()[1]


def test_separate_pairs_that_leave_no_plan_are_explained(make_scenario, tmp_path):
    ent = enterprises_frame(4)
    insp = inspectors_frame(2)
    insp["can_lead"] = "是"
    pairs_file(tmp_path, [("P000", "P001", "")])
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=ent, inspectors=insp,
                                  extra='[assignment]\nseparate_pairs = "separate.csv"\n')
    result = CliRunner().invoke(cli, ["assign", str(scenario.path), "-o", str(out)])
    assert result.exit_code == 3
    assert ("the plan: 4 teams hold a pair of inspectors who must not team (separate_pairs), and "
            "no plan of the unit keeps all 1 pairs apart within the capacities") in result.output
    assert not (out / "assignments.csv").exists()


def test_many_conflicting_teams_are_re_staffed_a_chunk_at_a_time(make_scenario, tmp_path,
                                                                 monkeypatch):
    import planner.assign.repair as assign_module

    monkeypatch.setattr(assign_module, "CONFLICT_CHUNK", 1)
    insp = inspectors_frame(3)
    insp["can_lead"] = "是"
    pairs_file(tmp_path, [("P001", "P000", "spouses")])
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=enterprises_frame(8),
                                  inspectors=insp,
                                  extra='[assignment]\nseparate_pairs = "separate.csv"\n')
    result = assign_and_check(scenario, inputs, out)
    rounds = result.plan.units[0].cp_rounds
    n = len(rounds)
    assert n >= 2 and result.plan.units[0].repaired == n
    assert [r["scope"] for r in rounds] == [f"conflicting teams {k}/{n}" for k in range(1, n + 1)]
    assert all(r["status"] == "OPTIMAL" and r["teams"] == 1 for r in rounds)
    assert all("P002" in t for t in seats(out).groupby("task_id")["inspector_id"].apply(set))


def test_a_repair_the_conflicting_teams_cannot_make_alone_takes_neighbouring_teams(
        make_scenario, tmp_path):
    # Four inspectors with three seats each fill all twelve seats of six teams. A team of the
    # separated pair P000 and P001 frees only their own seats, so it can be re-staffed only
    # together with teams that hand over P002 or P003.
    insp = inspectors_frame(4)
    insp["can_lead"] = "是"
    insp["capacity"] = "3"
    pairs_file(tmp_path, [("P000", "P001", "")])
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=enterprises_frame(6),
                                  inspectors=insp,
                                  extra='[assignment]\nseparate_pairs = "separate.csv"\n')
    result = assign_and_check(with_seed(scenario, "seed-1"), inputs, out)
    rounds = [(r["scope"], r["status"]) for r in result.plan.units[0].cp_rounds]
    assert rounds == [("conflicting teams", "INFEASIBLE"), ("with neighbouring teams", "OPTIMAL")]
    teams = seats(out).groupby("task_id")["inspector_id"].apply(frozenset)
    assert frozenset({"P000", "P001"}) not in set(teams)


def test_a_unit_too_large_to_search_whole_is_not_called_impossible(make_scenario, tmp_path,
                                                                  monkeypatch):
    import planner.assign.repair as assign_module

    monkeypatch.setattr(assign_module, "WHOLE_UNIT_ARCS", 0)
    insp = inspectors_frame(2)
    insp["can_lead"] = "是"
    pairs_file(tmp_path, [("P000", "P001", "")])
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=enterprises_frame(4),
                                  inspectors=insp,
                                  extra='[assignment]\nseparate_pairs = "separate.csv"\n')
    result = CliRunner().invoke(cli, ["assign", str(scenario.path), "-o", str(out)])
    assert result.exit_code == 3
    assert ("the plan: 4 teams hold a pair of inspectors who must not team (separate_pairs); no "
            "re-staffing of them and 0 neighbouring teams keeps all 1 pairs apart, and the "
            "unit's 8 candidate pairs are too many to search whole: add inspectors, drop pairs "
            "or partition the plan") in " ".join(result.output.split())
    assert not (out / "assignments.csv").exists()


def test_separate_pairs_file_problems_name_file_row_and_column(make_scenario, tmp_path):
    pairs_file(tmp_path, [("P000", "P999", ""), ("P003", "P003", ""), ("", "P001", "")])
    path = make_scenario(extra='[assignment]\nseparate_pairs = "separate.csv"\n')
    scenario = load_scenario(path)
    inputs = load_inputs(scenario)
    from tests.support.assign import write_sample

    write_sample(tmp_path / "out", enterprises_frame().iloc[:4])
    result = CliRunner().invoke(cli, ["assign", str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    label = str(tmp_path / "separate.csv")
    assert (f"{label}, row 2, column 'inspector_id_2': names an inspector not in the "
            "inspectors file (value 'P999')") in result.output
    assert (f"{label}, row 3, column 'inspector_id_2': pairs an inspector with themself; name "
            "two inspectors (value 'P003')") in result.output
    assert (f"{label}, row 4, column 'inspector_id_1': empty cell; an inspector id is "
            "required") in result.output
    del inputs


def test_separate_pairs_file_missing_column(make_scenario, tmp_path):
    from planner.assign.pairs import read_separate_pairs

    path = pairs_file(tmp_path, [("P000", "P001")], header=("inspector_id_1", "other"))
    with pytest.raises(InputError) as info:
        read_separate_pairs(path, inspectors_frame(3))
    assert "row 1, column 'inspector_id_2': missing required column; accepted headers: " \
           "inspector_id_2 / 人员编号2 / inspector_2 / inspector2" in str(info.value)


def test_separate_pairs_file_accepts_chinese_headers_and_dedupes(tmp_path):
    from planner.assign.pairs import read_separate_pairs

    path = pairs_file(tmp_path, [("P001", "P000", "亲属"), ("P000", "P001", "")],
                      header=("人员编号1", "人员编号2", "原因"))
    frame = read_separate_pairs(path, inspectors_frame(3))
    assert frame[["inspector_id_1", "inspector_id_2"]].values.tolist() == [["P000", "P001"]]
