"""When no plan exists: exit 3, no assignments file, and the reason in data terms."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from click.testing import CliRunner

from planner.app.assign import assign_stage
from planner.cli import cli
from planner.common.errors import InfeasiblePlanError
from tests.support.assign import assign_and_check, setup
from tests.support.data import enterprises_frame, inspectors_frame


def reasons_of(scenario, inputs, out) -> list[str]:
    with pytest.raises(InfeasiblePlanError) as info:
        assign_stage(scenario, inputs, out)
    assert not (out / "assignments.csv").exists()
    return info.value.reasons


def test_enterprise_without_enough_candidates_names_each_rule(make_scenario, tmp_path):
    ent = enterprises_frame(4)
    first = ent["enterprise_id"][0]  # station 东区1所
    insp = inspectors_frame(12)  # stations: P000 P002 东区1所, P004 P006 东区2所, ...
    insp.loc[1, "certificate_expiry"] = "2025-12-31"
    insp.loc[2, "can_lead"] = "否"  # P002 (东区2所) will be the only candidate left
    insp["available"] = "是"
    insp.loc[3, "available"] = "否"
    avoid = pd.DataFrame({"inspector_id": ["P005", "P006", "P007", "P009", "P000"],
                          "enterprise_id": [first] * 5})
    history = pd.DataFrame({"enterprise_id": [first, first], "inspector_id": ["P010", "P011"],
                            "date": ["2025-05-01", "2025-05-01"]})
    extra = "[assignment]\ncross_station = true\nrotation = true\n"
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=ent, inspectors=insp,
                                  avoidance=avoid, history=history, extra=extra)
    reasons = reasons_of(scenario, inputs, out)
    assert reasons == [
        f"{first} (测试企业000有限公司, station 东区1所): 1 candidate left of 12: certificate 1, "
        "unavailable 1, cross-station 3, avoidance 4, rotation 2 - needs 2 candidates, has 1; "
        "needs 1 lead-capable candidate, has 0"]


def test_district_short_of_capacity_and_of_leads(make_scenario, tmp_path):
    ent = enterprises_frame(40)
    insp = inspectors_frame(12)
    insp["capacity"] = "5"
    insp.loc[[0, 2], "can_lead"] = "否"  # 东区 keeps one lead-capable inspector, P004 ...
    insp.loc[[8, 10], "can_lead"] = "否"  # ... and P006
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=ent, inspectors=insp,
                                  extra='[assignment]\npartition_by = "district"\n')
    reasons = reasons_of(scenario, inputs, out)
    assert reasons[0] == ("district 东区: 40 seats needed, capacity 30 of 6 eligible inspectors "
                          "(short by 10); 2 lead-capable inspectors for 20 teams (capacity 10, "
                          "short by 10)")
    assert reasons[1].startswith("district 西区: 40 seats needed, capacity 30 of 6 eligible "
                                 "inspectors (short by 10); 0 lead-capable inspectors for 20 "
                                 "teams (capacity 0, short by 20)")


def test_worker_processes_report_the_same_reasons(make_scenario, tmp_path, monkeypatch):
    import planner.assign.planning as assign_module
    import planner.common.parallel as parallel_module

    ent = enterprises_frame(40)
    insp = inspectors_frame(12)
    insp["capacity"] = "5"
    insp.loc[[0, 2, 8, 10], "can_lead"] = "否"
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=ent, inspectors=insp,
                                  extra='[assignment]\npartition_by = "district"\n')
    alone = reasons_of(scenario, inputs, out)
    monkeypatch.setattr(assign_module, "PARALLEL_ENTERPRISES", 1)
    monkeypatch.setattr(parallel_module.sys, "platform", "linux")
    monkeypatch.setattr(parallel_module.os, "cpu_count", lambda: 2)
    assert reasons_of(scenario, inputs, out) == alone
    assert alone[0].startswith("district 东区: 40 seats needed")
    assert any(r.startswith("district 西区: 40 seats needed") for r in alone)


def test_station_short_under_cross_station(make_scenario, tmp_path):
    ent = enterprises_frame(40)
    ent["station"] = ["东区1所"] * 30 + ["东区2所"] * 10
    ent["district"] = "东区"
    insp = inspectors_frame(8)
    insp["district"] = "东区"
    insp["station"] = ["东区1所"] * 6 + ["东区2所"] * 2
    insp["can_lead"] = "是"
    insp["capacity"] = "20"
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=ent, inspectors=insp,
                                  extra="[assignment]\ncross_station = true\n")
    reasons = reasons_of(scenario, inputs, out)
    assert reasons == [
        "station 东区1所 (the plan): 60 seats needed from other stations' inspectors, who can "
        "give 40 (short by 20)"]


def test_hall_violation_found_by_the_minimum_cut(make_scenario, tmp_path):
    # Ten enterprises avoid everyone but P000 and P001 (capacity 5 each): 20 seats, room for
    # 10. No single enterprise and no aggregate is short, only that group.
    ent = enterprises_frame(20)
    insp = inspectors_frame(8)
    insp["can_lead"] = "是"
    insp["capacity"] = ["5", "5", "30", "30", "30", "30", "30", "30"]
    rows = [(i, e) for e in ent["enterprise_id"][:10] for i in insp["inspector_id"][2:]]
    avoid = pd.DataFrame(rows, columns=["inspector_id", "enterprise_id"])
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=ent, inspectors=insp,
                                  avoidance=avoid)
    reasons = reasons_of(scenario, inputs, out)
    assert len(reasons) == 1
    found = re.fullmatch(
        r"the plan: 10 seats stay empty in (\d+) enterprises \((.*)\); they(?: and (\d+) other "
        r"enterprises?)? compete for the same 2 inspectors \(P000, P001\), who are all at "
        r"capacity \(10 seats\)", reasons[0])
    assert found, reasons[0]
    # The ten enterprises that avoid the others are the whole competing group.
    assert int(found[1]) + int(found[3] or 0) == 10


def test_max_pair_probability_needs_enough_candidates(make_scenario, tmp_path):
    ent = enterprises_frame(2)
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=ent,
                                  extra="[assignment]\nmax_pair_probability = 0.1\n")
    reasons = reasons_of(scenario, inputs, out)
    assert len(reasons) == 2
    assert reasons[0].endswith(
        "12 candidates left of 12: certificate 0, unavailable 0, avoidance 0 - "
        "max_pair_probability 0.1 needs at least 20 candidates to fill 2 seats (each chosen "
        "with probability at most 0.1), has 12; max_pair_probability 0.1 needs at least 10 "
        "lead-capable candidates to fill 1 seat (each chosen with probability at most 0.1), "
        "has 6")


def test_tight_capacity_under_max_pair_probability_is_told_apart(make_scenario, tmp_path):
    # Capacity is exactly the seats: the rules alone have a plan, but with q = 0.5 each
    # enterprise admits two of its four candidates and the loads cannot all fit.
    ent = enterprises_frame(10)
    insp = inspectors_frame(4)
    insp["can_lead"] = "是"
    insp["capacity"] = "5"
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=ent, inspectors=insp,
                                  extra="[assignment]\nmax_pair_probability = 0.5\n")
    reasons = reasons_of(scenario, inputs, out)
    assert reasons[-1] == (
        "the plan: the rules alone leave room for a plan, but max_pair_probability 0.5 admits "
        "only 20 of 40 candidate pairs for this seed; raise max_pair_probability or inspector "
        "capacity")
    assert "seats stay empty" in reasons[0]


def test_cli_exits_3_and_leaves_the_folder_as_it_was(make_scenario, tmp_path):
    ent = enterprises_frame(20)
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=ent)
    assign_and_check(scenario, inputs, out)
    assert json.loads((out / "draw-record.json").read_text())["assignment"]
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    insp = inspectors_frame(12)
    insp["capacity"] = "3"
    path = scenario.path
    insp.to_csv(path.parent / "inspectors.csv", index=False)
    result = CliRunner().invoke(cli, ["assign", str(path), "-o", str(out)])
    assert result.exit_code == 3
    assert result.output.startswith(
        "error: no assignment satisfies the rules of [assignment] for 20 drawn enterprises; "
        "nothing was written. Reasons:\n  - the plan: 40 seats needed, capacity 36 of 12 "
        "eligible inspectors (short by 4)")
    # whole or not at all: the folder still holds the previous plan, byte for byte
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not list(tmp_path.glob(".out.planner-*"))
    assert "Traceback" not in result.output
