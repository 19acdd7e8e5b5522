"""planner check: an edited assignments.csv is caught, rule by rule, with exact messages."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from planner.assign.check import check_plan
from planner.cli import cli
from tests.support.assign import assign_and_check, setup
from tests.support.data import enterprises_frame, inspectors_frame


@pytest.fixture
def planned(make_scenario, tmp_path):
    """A valid plan with every switchable rule on, and a way to edit it."""
    ent = enterprises_frame(20)
    insp = inspectors_frame(12)
    insp.loc[11, "certificate_expiry"] = "2026-01-15"
    insp["available"] = "是"
    insp.loc[10, "available"] = "否"
    insp["capacity"] = "6"
    avoid = pd.DataFrame({"inspector_id": ["P001"], "enterprise_id": [ent["enterprise_id"][0]]})
    history = pd.DataFrame({"enterprise_id": [ent["enterprise_id"][0]],
                            "inspector_id": ["P003"], "date": ["2025-10-01"]})
    (tmp_path / "separate.csv").write_text("inspector_id_1,inspector_id_2\nP004,P005\n")
    extra = ('[assignment]\ncross_station = true\nrotation = true\n'
             'separate_pairs = "separate.csv"\n')
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=ent, inspectors=insp,
                                  avoidance=avoid, history=history, extra=extra)
    assign_and_check(scenario, inputs, out)
    frame = pd.read_csv(out / "assignments.csv", dtype=str)

    def edit(change) -> list[str]:
        edited = change(frame.copy())
        edited.to_csv(out / "assignments.csv", index=False)
        return check_plan(scenario, inputs, out).violations

    return scenario, inputs, out, frame, edit, ent


def first_task(frame):
    return frame["task_id"].iloc[0], frame["enterprise_id"].iloc[0]


def set_seat(frame, task, role, inspector):
    row = frame.index[(frame["task_id"] == task) & (frame["role"] == role)][0]
    frame.loc[row, "inspector_id"] = inspector
    return frame


def test_valid_plan_passes_with_every_rule_listed(planned):
    scenario, inputs, out, *_ = planned
    report = check_plan(scenario, inputs, out)
    assert report.ok
    assert report.rules == ["shape", "one task per drawn enterprise", "team of 2", "one lead",
                            "certificate", "available", "avoidance", "capacity",
                            "lead-capable", "cross-station", "rotation", "separate pairs"]


def test_avoidance_cross_station_and_rotation_are_caught(planned):
    *_, frame, edit, ent = planned
    task, eid = first_task(frame)
    where = f"task {task} (enterprise {eid})"
    assert edit(lambda f: set_seat(f, task, "member", "P001")) == [
        f"{where}: inspector P001 must avoid (回避) the enterprise"]
    # P000 is of the enterprise's own station 东区1所 and lead-capable.
    assert edit(lambda f: set_seat(f, task, "lead", "P000")) == [
        f"{where}: inspector P000 is of the enterprise's own station 东区1所"]
    assert edit(lambda f: set_seat(f, task, "member", "P003")) == [
        f"{where}: inspector P003 made the enterprise's last inspection (rotation)"]


def test_lead_team_size_and_duplicates_are_caught(planned):
    *_, frame, edit, ent = planned
    task, eid = first_task(frame)
    where = f"task {task} (enterprise {eid})"
    member = frame[(frame["task_id"] == task) & (frame["role"] == "member")]["inspector_id"].iloc[0]

    def lead_not_capable(f):
        lead = f.index[(f["task_id"] == task) & (f["role"] == "lead")][0]
        f.loc[lead, "role"] = "member"
        f.loc[f.index[(f["task_id"] == task) & (f["inspector_id"] == member)][0], "role"] = "lead"
        return f

    assert edit(lead_not_capable) == [
        f"{where}: lead {member} is not lead-capable (可任主检)"]
    assert edit(lambda f: f.drop(f.index[(f["task_id"] == task) & (f["role"] == "member")])) == [
        f"task {task}: 1 distinct inspectors; team_size is 2"]
    assert edit(lambda f: f.assign(role=f["role"].where(f["task_id"] != task, "member"))) == [
        f"task {task}: 0 leads; exactly one is required"]
    lead = frame[(frame["task_id"] == task) & (frame["role"] == "lead")]["inspector_id"].iloc[0]
    assert edit(lambda f: set_seat(f, task, "member", lead)) == [
        f"{where}: inspector {lead} sits twice in the team",
        f"task {task}: 1 distinct inspectors; team_size is 2"]
    assert edit(lambda f: f.assign(role=f["role"].replace({"member": "helper"}))
                .head(2))[:1] == [f"{where}: role 'helper' is neither lead nor member"]


def test_certificate_availability_capacity_and_unknown_ids_are_caught(planned):
    *_, frame, edit, ent = planned
    task, eid = first_task(frame)
    where = f"task {task} (enterprise {eid})"
    assert edit(lambda f: set_seat(f, task, "member", "P011")) == [
        f"{where}: inspector P011's certificate (执法证) is not valid through 2026-03-31"]
    assert edit(lambda f: set_seat(f, task, "member", "P010")) == [
        f"{where}: inspector P010 is not available"]
    assert edit(lambda f: set_seat(f, task, "member", "P999")) == [
        f"{where}: inspector P999 is not in the roster"]
    busy = frame["inspector_id"].value_counts().index[0]
    others = frame[(frame["role"] == "member") & (frame["inspector_id"] != busy)]
    tasks_without = [t for t in others["task_id"]
                     if busy not in set(frame[frame["task_id"] == t]["inspector_id"])]

    def overload(f):
        for t in tasks_without[:6]:
            f = set_seat(f, t, "member", busy)
        return f

    violations = edit(overload)
    assert any(v.startswith(f"inspector {busy}: ") and v.endswith(", capacity 6")
               for v in violations)


def test_separate_pairs_and_missing_tasks_are_caught(planned):
    *_, frame, edit, ent = planned
    task_rows = frame.groupby("task_id")["inspector_id"].apply(set)
    task = next(t for t, m in task_rows.items() if "P004" in m and "P005" not in m)
    violations = edit(lambda f: set_seat(f, task, "member", "P005")
                      if f[(f["task_id"] == task) & (f["role"] == "member")]["inspector_id"]
                      .iloc[0] != "P004" else set_seat(f, task, "lead", "P005"))
    assert f"task {task}: inspectors P004 and P005 must not team" in violations
    last = frame["task_id"].iloc[-1]
    eid = frame["enterprise_id"].iloc[-1]
    assert edit(lambda f: f[f["task_id"] != last]) == [f"enterprise {eid}: drawn but has no team"]


def test_cli_check_exits_4_and_lists_violations(planned):
    scenario, inputs, out, frame, edit, ent = planned
    task, eid = first_task(frame)
    edit(lambda f: set_seat(f, task, "member", "P001"))
    result = CliRunner().invoke(cli, ["check", str(out), "--scenario", str(scenario.path)])
    assert result.exit_code == 4
    assert result.output.startswith(f"error: 1 problem(s) in {out}\n")
    assert f"  - assignments: task {task} (enterprise {eid}): inspector P001 must avoid (回避) " \
        "the enterprise" in result.output


def test_cli_check_needs_a_scenario(tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    result = CliRunner().invoke(cli, ["check", str(out)])
    assert result.exit_code == 2
    assert "to find the scenario; pass --scenario PATH" in result.output


def test_partition_and_joint_departments_are_checked(make_scenario, tmp_path):
    ent = enterprises_frame(12)
    insp = inspectors_frame(12)
    insp["department"] = ["市场监管", "市场监管", "食品安全", "食品安全"] * 3
    insp["can_lead"] = "是"
    extra = ('[assignment]\npartition_by = "district"\n'
             'joint_departments = ["市场监管", "食品安全"]\n')
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=ent, inspectors=insp,
                                  extra=extra)
    assign_and_check(scenario, inputs, out)
    frame = pd.read_csv(out / "assignments.csv", dtype=str)
    task, eid = first_task(frame)  # a 东区 enterprise
    lead = frame.index[(frame["task_id"] == task) & (frame["role"] == "lead")][0]
    member = frame.index[(frame["task_id"] == task) & (frame["role"] == "member")][0]
    frame.loc[lead, "inspector_id"] = "P001"  # 西区, 市场监管
    frame.loc[member, "inspector_id"] = "P005"  # 西区, 市场监管
    frame.to_csv(out / "assignments.csv", index=False)
    violations = check_plan(scenario, inputs, out).violations
    where = f"task {task} (enterprise {eid})"
    assert violations == [
        f"task {task}: no inspector of department 食品安全",
        f"{where}: inspector P001 is of district 西区, the enterprise of 东区",
        f"{where}: inspector P005 is of district 西区, the enterprise of 东区"]


def test_checker_and_candidate_builder_name_the_same_rules():
    from planner.assign import candidates
    from planner.assign.check import CHECKS

    checked = {c.name for c in CHECKS}
    built = set(candidates.RULE_LABELS) | set(candidates.TEAM_RULES)
    assert checked - set(candidates.FILE_RULES) == built
    assert len(checked) == len(CHECKS)  # one function per rule
