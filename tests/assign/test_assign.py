"""The assignment stage end to end: file shape, determinism, balance, record, CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from planner.app.assign import assign_stage
from planner.assign.check import check_plan
from planner.assign.solve import spread_lower_bound
from planner.cli import cli
from planner.common.errors import InputError
from tests.support.assign import assign_and_check, setup, teams_of, with_seed
from tests.support.data import enterprises_frame, inspectors_frame


def test_one_row_per_seat_one_lead_and_readable_task_ids(make_scenario, tmp_path):
    ent = enterprises_frame(30)
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=ent)
    result = assign_and_check(scenario, inputs, out)
    frame = pd.read_csv(out / "assignments.csv", dtype=str)
    assert list(frame.columns) == ["task_id", "enterprise_id", "inspector_id", "role"]
    assert len(frame) == 30 * 2
    tasks = frame.drop_duplicates("task_id")
    assert list(tasks["task_id"]) == [f"T-2026-Q1-{n:05d}" for n in range(1, 31)]
    assert list(tasks["enterprise_id"]) == list(ent["enterprise_id"])  # sample order
    assert (frame.groupby("task_id")["role"].apply(lambda r: (r == "lead").sum()) == 1).all()
    assert list(frame.groupby("task_id")["role"].first()) == ["lead"] * 30
    leads = frame[frame["role"] == "lead"]["inspector_id"]
    can_lead = inputs.inspectors.set_index("inspector_id")["can_lead"]
    assert can_lead[leads].all()
    assert result.summary_lines()[0].startswith("Assigned 30 teams (60 seats) to 12 of 12")


def test_same_seed_gives_identical_bytes_and_another_seed_other_teams(make_scenario, tmp_path):
    ent = enterprises_frame(40)
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=ent)
    assign_and_check(scenario, inputs, out)
    first = (out / "assignments.csv").read_bytes()
    record_first = (out / "draw-record.json").read_bytes()
    again = tmp_path / "again"
    again.mkdir()
    (again / "sample.csv").write_bytes((out / "sample.csv").read_bytes())
    assign_and_check(scenario, inputs, again)
    assert (again / "assignments.csv").read_bytes() == first
    assign_stage(scenario, inputs, out)
    assert (out / "draw-record.json").read_bytes() == record_first

    other = tmp_path / "other"
    other.mkdir()
    (other / "sample.csv").write_bytes((out / "sample.csv").read_bytes())
    assign_and_check(with_seed(scenario, "another public seed"), inputs, other)
    a = teams_of(pd.read_csv(out / "assignments.csv", dtype=str))
    b = teams_of(pd.read_csv(other / "assignments.csv", dtype=str))
    assert a.keys() == b.keys()
    assert sum(a[e] != b[e] for e in a) >= 10


def test_loads_reach_the_water_filling_bound(make_scenario, tmp_path):
    ent = enterprises_frame(37)
    insp = inspectors_frame(10)
    insp["capacity"] = [3, 20, 20, 20, 20, 20, 20, 20, 20, 20]
    insp["can_lead"] = "是"
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=ent, inspectors=insp)
    result = assign_and_check(scenario, inputs, out)
    loads = result.plan.loads
    # 74 seats; P000 is capped at 3, the other nine share 71: 7 or 8 each.
    assert loads["P000"] == 3
    assert sorted(loads.drop("P000")) == [7] * 1 + [8] * 8
    assert spread_lower_bound(np.array(insp["capacity"]), 74) == 5
    assert result.plan.units[0].load_max - result.plan.units[0].load_min == 5


def test_loads_are_decreasingly_minimal_when_the_lead_rule_binds(make_scenario, tmp_path):
    # Five lead-capable inspectors (one capped at 3) and five who may not lead: every team
    # has at least one lead-capable member, so the five others hold at most 37 of the 74
    # seats. The least possible largest load is then 9 (3 + 34 over four).
    ent = enterprises_frame(37)
    insp = inspectors_frame(10)
    insp["capacity"] = [3, 20, 20, 20, 20, 20, 20, 20, 20, 20]
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=ent, inspectors=insp)
    loads = assign_and_check(scenario, inputs, out).plan.loads
    lead_capable = loads[["P000", "P002", "P004", "P006", "P008"]]
    others = loads[["P001", "P003", "P005", "P007", "P009"]]
    assert others.sum() == 37 and sorted(others) == [7, 7, 7, 8, 8]
    assert lead_capable["P000"] == 3 and sorted(lead_capable.drop("P000")) == [8, 8, 9, 9]


@pytest.mark.parametrize("capacity,seats,bound", [
    ([5, 5, 5], 15, 0), ([5, 5, 5], 14, 1), ([2, 9, 9], 14, 4), ([30] * 4, 9, 1), ([], 0, 0),
])
def test_spread_lower_bound(capacity, seats, bound):
    assert spread_lower_bound(np.array(capacity, dtype=np.int64), seats) == bound


def test_record_gets_an_assignment_section_and_the_draw_still_verifies(make_scenario,
                                                                     tmp_path):
    path = make_scenario(extra="[assignment]\ncross_station = true\nrotation = true\n")
    out = tmp_path / "out"
    runner = CliRunner()
    result = runner.invoke(cli, ["run", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "Assigned" in result.output
    record = json.loads((out / "draw-record.json").read_text(encoding="utf-8"))
    section = record["assignment"]
    assert section["rules"]["cross_station"] is True and section["rules"]["rotation"] is True
    assert set(section["versions"]) == {"python", "ortools", "numpy", "pandas", "scipy"}
    assert section["solver"]["cp_sat"] == {"num_workers": 1, "random_seed": 20,
                                           "linearization_level": 2, "max_time_in_seconds": None}
    assert section["seats"] == 2 * section["tasks"]
    assert section["loads"]["max"] - section["loads"]["min"] == section["loads"]["spread"]
    verify = runner.invoke(cli, ["verify", str(out)])
    assert verify.exit_code == 0, verify.output
    check = runner.invoke(cli, ["check", str(out)])
    assert check.exit_code == 0, check.output
    assert check.output.startswith("OK: ")


def test_assign_draws_first_when_the_sample_is_absent(make_scenario, tmp_path):
    path = make_scenario()
    out = tmp_path / "fresh"
    result = CliRunner().invoke(cli, ["assign", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "sample.csv").is_file() and (out / "assignments.csv").is_file()
    sample = pd.read_csv(out / "sample.csv", dtype=str)
    frame = pd.read_csv(out / "assignments.csv", dtype=str)
    assert set(frame["enterprise_id"]) == set(sample["enterprise_id"])
    assert CliRunner().invoke(cli, ["check", str(out)]).exit_code == 0


def test_sample_of_another_seed_is_refused(make_scenario, tmp_path):
    path = make_scenario()
    out = tmp_path / "out"
    assert CliRunner().invoke(cli, ["run", str(path), "-o", str(out)]).exit_code == 0
    text = path.read_text(encoding="utf-8").replace('seed = "test-seed"', 'seed = "other"')
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["assign", str(path), "-o", str(out)])
    assert result.exit_code == 2
    assert ("sample.csv: was drawn for plan 'T-2026-Q1' with seed 'test-seed', not for this "
            "scenario (plan 'T-2026-Q1', seed 'other'); run planner run again or use another "
            "output folder") in result.output


def test_sample_naming_an_unknown_enterprise_is_an_input_error(make_scenario, tmp_path):
    ent = enterprises_frame(10)
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=ent)
    sample = pd.read_csv(out / "sample.csv", dtype=str)
    sample.loc[3, "enterprise_id"] = "91440300MA5XXXXXXX"
    sample.to_csv(out / "sample.csv", index=False)
    with pytest.raises(InputError) as info:
        assign_stage(scenario, inputs, out)
    assert "row 5, column 'enterprise_id': names an enterprise not in the enterprises file" \
        in str(info.value)


def test_empty_sample_writes_a_header_only(make_scenario, tmp_path):
    ent = enterprises_frame(10)
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=ent, drawn=ent.iloc[:0])
    result = assign_stage(scenario, inputs, out)
    assert (out / "assignments.csv").read_text() == "task_id,enterprise_id,inspector_id,role\n"
    assert result.plan.loads.sum() == 0
    assert check_plan(scenario, inputs, out).ok


def test_spread_is_the_least_the_rules_allow_as_proven_by_cp_sat(make_scenario, tmp_path):
    # Cross-station, few leads, mixed capacities and avoidance: the rules bind. The flow's
    # loads are decreasingly minimal, so its largest load is the least any plan can have
    # and its smallest the most; CP-SAT, optimising each directly, must agree.
    from ortools.sat.python import cp_model

    ent = enterprises_frame(14)
    insp = inspectors_frame(7)
    insp["can_lead"] = ["是", "否", "否", "否", "是", "否", "是"]
    insp["capacity"] = ["2", "9", "9", "6", "9", "9", "5"]
    avoid = pd.DataFrame({"inspector_id": ["P003"] * 4,
                          "enterprise_id": ent["enterprise_id"][1:9:2]})
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=ent, inspectors=insp,
                                  avoidance=avoid, extra="[assignment]\ncross_station = true\n")
    loads = assign_and_check(scenario, inputs, out).plan.loads

    roster = inputs.inspectors.set_index("inspector_id")
    stations = ent.set_index("enterprise_id")["station"]
    avoided = set(zip(avoid["enterprise_id"], avoid["inspector_id"], strict=True))

    def extreme(sense: str) -> int:
        model = cp_model.CpModel()
        x = {(e, i): model.new_bool_var(f"{e},{i}") for e in ent["enterprise_id"]
             for i in roster.index
             if roster.at[i, "station"] != stations[e] and (e, i) not in avoided}
        for e in ent["enterprise_id"]:
            model.add(sum(v for (f, _), v in x.items() if f == e) == 2)
            model.add(sum(v for (f, i), v in x.items() if f == e and roster.at[i, "can_lead"])
                      >= 1)
        bound = model.new_int_var(0, 28, "bound")
        for i in roster.index:
            load = sum(v for (_, j), v in x.items() if j == i)
            model.add(load <= int(roster.at[i, "capacity"]))
            model.add(load <= bound) if sense == "max" else model.add(load >= bound)
        model.minimize(bound) if sense == "max" else model.maximize(bound)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.max_time_in_seconds = 120.0  # fail, never hang, on a loaded machine
        assert solver.solve(model) == cp_model.OPTIMAL
        return round(solver.objective_value)

    assert int(loads.max()) == extreme("max")
    assert int(loads.min()) == extreme("min")
    assert loads.max() - loads.min() > spread_lower_bound(
        roster["capacity"].to_numpy(), 28)  # the rules, not the capacities, set the spread


def test_record_section_is_written_as_a_full_rewrite_would(make_scenario, tmp_path):
    from planner.draw.record import dumps

    path = make_scenario()
    out = tmp_path / "out"
    assert CliRunner().invoke(cli, ["run", str(path), "-o", str(out)]).exit_code == 0
    text = (out / "draw-record.json").read_text(encoding="utf-8")
    assert text == dumps(json.loads(text))  # the appended section has the draw's format
    assert CliRunner().invoke(cli, ["assign", str(path), "-o", str(out)]).exit_code == 0
    assert (out / "draw-record.json").read_text(encoding="utf-8") == text
    assert list(json.loads(text))[-1] == "assignment"


def test_readme_assignment_example_runs(tmp_path, monkeypatch):
    import re
    import shlex
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    from tests.support.docs import section

    block = re.search(r"```bash\n(.*?)\n```", section("The assignment"), flags=re.S).group(1)
    commands = [shlex.split(line.split("#")[0]) for line in block.splitlines() if line.strip()]
    assert [c[:2] for c in commands] == [["planner", "assign"], ["planner", "check"]]
    monkeypatch.chdir(repo)
    out = str(tmp_path / "demo")
    for command in commands:
        args = [out if a == "out/demo" else a for a in command[1:]]
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, result.output
    assert result.output.startswith("OK: ")
