"""[assignment] department_rosters: each department's inspectors from its own roster."""

from __future__ import annotations

import pandas as pd
from click.testing import CliRunner

from planner.cli import cli
from planner.plan.inputs import load_inputs
from planner.plan.scenario import load_scenario
from tests.support.data import inspectors_frame

JOINT = ('[assignment]\njoint_departments = ["市场监管", "食品安全"]\n'
         'department_rosters = {{ "食品安全" = "{name}" }}\n')


def food_roster(n: int = 4) -> pd.DataFrame:
    frame = inspectors_frame(n).copy()
    frame["inspector_id"] = [f"F{i:03d}" for i in range(n)]
    frame["department"] = "食品安全"
    frame["certificate_no"] = [f"SP{i:06d}" for i in range(n)]
    return frame


def write_roster(tmp_path, frame: pd.DataFrame, name: str = "food.csv") -> str:
    frame.to_csv(tmp_path / name, index=False)
    return JOINT.format(name=name)


def test_a_department_roster_replaces_that_departments_rows(make_scenario, tmp_path):
    extra = write_roster(tmp_path, food_roster())
    inputs = load_inputs(load_scenario(make_scenario(extra=extra)))
    roster = inputs.inspectors
    food = roster[roster["department"] == "食品安全"]
    assert sorted(food["inspector_id"]) == ["F000", "F001", "F002", "F003"]
    main = inspectors_frame()
    assert sorted(roster.loc[roster["department"] == "市场监管", "inspector_id"]) == sorted(
        main.loc[main["department"] == "市场监管", "inspector_id"])
    assert "inspectors:食品安全" in inputs.hashes


def test_a_joint_plan_staffs_food_seats_from_the_food_roster(make_scenario, tmp_path):
    extra = write_roster(tmp_path, food_roster())
    out = tmp_path / "o"
    result = CliRunner().invoke(cli, ["run", str(make_scenario(extra=extra)), "-o", str(out)])
    assert result.exit_code == 0, result.output
    seats = pd.read_csv(out / "assignments.csv", dtype=str)
    teams = seats.groupby("task_id")["inspector_id"].apply(list)
    assert all(sum(i.startswith("F") for i in team) == 1 for team in teams)
    verified = CliRunner().invoke(cli, ["verify", str(out)])
    assert verified.exit_code == 0, verified.output
    checked = CliRunner().invoke(cli, ["check", str(out)])
    assert checked.exit_code == 0, checked.output
    # a changed department roster is a changed input of the draw
    food_roster().assign(name="改名").to_csv(tmp_path / "food.csv", index=False)
    changed = CliRunner().invoke(cli, ["verify", str(out)])
    assert changed.exit_code != 0
    assert "input inspectors:食品安全 changed" in changed.output


def test_a_bad_department_roster_names_file_row_and_column(make_scenario, tmp_path):
    bad = food_roster()
    bad.loc[1, "department"] = "市场监管"
    bad.loc[2, "inspector_id"] = "P001"  # also in the main roster
    bad.loc[3, "certificate_expiry"] = "not a date"
    extra = write_roster(tmp_path, bad)
    out = tmp_path / "o"
    result = CliRunner().invoke(cli, ["run", str(make_scenario(extra=extra)), "-o", str(out)])
    assert result.exit_code != 0
    assert "food.csv, row 3, column 'department': must be 食品安全: this is its roster" in (
        result.output)
    assert "food.csv, row 4, column 'inspector_id': inspector id is also in" in result.output
    assert "food.csv, row 5, column 'certificate_expiry'" in result.output
    assert "Traceback" not in result.output
    assert not (out / "sample.csv").exists()


def test_a_missing_column_in_a_department_roster(make_scenario, tmp_path):
    extra = write_roster(tmp_path, food_roster().drop(columns=["certificate_no"]))
    result = CliRunner().invoke(cli, ["run", str(make_scenario(extra=extra)), "-o",
                                      str(tmp_path / "o")])
    assert result.exit_code != 0
    assert "food.csv" in result.output and "certificate_no" in result.output


def test_a_roster_for_a_department_outside_the_plan_is_refused(make_scenario, tmp_path):
    food_roster().to_csv(tmp_path / "food.csv", index=False)
    extra = '[assignment]\ndepartment_rosters = { "药品" = "food.csv" }\n'
    result = CliRunner().invoke(cli, ["run", str(make_scenario(extra=extra)), "-o",
                                      str(tmp_path / "o")])
    assert result.exit_code != 0
    assert "assignment.department_rosters.药品: 药品 is not one of joint_departments" in (
        result.output)
