"""Standing inspection groups (检查小组): every team one whole group."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from planner.app.assign import assign_stage
from planner.assign.check import check_plan
from planner.assign.planning import plan_assignment
from planner.cli import cli
from planner.common.errors import InfeasiblePlanError, InputError, ScenarioError
from planner.plan.inputs import load_inputs
from planner.plan.scenario import load_scenario
from tests.support.assign import assign_and_check, plan_for_seeds, setup, teams_of
from tests.support.data import enterprises_frame, inspectors_frame

GROUPS = '[assignment]\nteam_size = 2\nstanding_groups = true\n'


def grouped(n: int = 12, size: int = 3) -> pd.DataFrame:
    """The small roster in groups G1, G2, ... of ``size`` consecutive inspectors."""
    frame = inspectors_frame(n)
    frame["group"] = [f"G{i // size + 1}" for i in range(n)]
    return frame


def group_of(roster: pd.DataFrame) -> dict[str, str]:
    return dict(zip(roster["inspector_id"], roster["group"], strict=True))


def test_every_team_is_one_whole_group_led_by_a_lead_capable_member(make_scenario, tmp_path):
    roster = grouped()
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=enterprises_frame(20),
                                  inspectors=roster, extra=GROUPS)
    assign_and_check(scenario, inputs, out)
    seats = pd.read_csv(out / "assignments.csv", dtype=str)
    groups = group_of(roster)
    members = roster.groupby("group")["inspector_id"].apply(frozenset).to_dict()
    for team in teams_of(seats).values():
        names = {groups[i] for i in team}
        assert len(names) == 1 and team == members[names.pop()]
    leads = seats[seats["role"] == "lead"]["inspector_id"]
    lead_capable = set(roster.loc[roster["can_lead"] == "是", "inspector_id"])
    assert len(leads) == 20 and set(leads) <= lead_capable
    rules = check_plan(scenario, inputs, out).rules
    assert "one standing group per team" in rules and "team of 2 or more" in rules


def test_one_members_avoidance_excludes_the_whole_group(make_scenario, tmp_path):
    ent = enterprises_frame(8)
    first = ent["enterprise_id"][0]
    avoid = pd.DataFrame({"inspector_id": ["P004"], "enterprise_id": [first]})
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=ent, inspectors=grouped(),
                                  avoidance=avoid, extra=GROUPS)
    for seed, frame in plan_for_seeds(scenario, inputs, load_sample(out), ["a", "b", "c", "d"]):
        team = teams_of(frame)[first]
        assert not team & {"P003", "P004", "P005"}, seed


def load_sample(out):
    return pd.read_csv(out / "sample.csv", dtype=str)


def test_an_unavailable_member_leaves_the_group_to_the_others(make_scenario, tmp_path):
    roster = grouped()
    roster["available"] = ["否" if i == 1 else "是" for i in range(12)]
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=enterprises_frame(12),
                                  inspectors=roster, extra=GROUPS)
    assign_and_check(scenario, inputs, out)
    seats = pd.read_csv(out / "assignments.csv", dtype=str)
    assert "P001" not in set(seats["inspector_id"])
    assert frozenset({"P000", "P002"}) in set(teams_of(seats).values())


def test_no_group_may_inspect_is_explained_member_by_member(make_scenario, tmp_path):
    ent = enterprises_frame(4)
    first = ent["enterprise_id"][0]
    avoid = pd.DataFrame({"inspector_id": ["P000", "P004"], "enterprise_id": [first, first]})
    roster = grouped(n=6)
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=ent, inspectors=roster,
                                  avoidance=avoid, extra=GROUPS)
    with pytest.raises(InfeasiblePlanError) as info:
        plan_assignment(scenario, inputs, load_sample(out))
    assert info.value.reasons == [
        f"no group may inspect enterprise {first}: group G1 has P000 (avoidance); "
        "group G2 has P004 (avoidance)"]
    result = CliRunner().invoke(cli, ["assign", str(scenario.path), "-o", str(out)])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert f"no group may inspect enterprise {first}: group G1 has P000" in result.output
    assert not (out / "assignments.csv").exists()


def test_the_pair_bound_holds_for_groups_over_seeds(make_scenario, tmp_path):
    q = 0.25
    roster = grouped(n=24, size=3)  # eight groups
    extra = GROUPS + f"max_pair_probability = {q}\ncapacity = 30\n"
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=enterprises_frame(6),
                                  inspectors=roster, extra=extra)
    sample = load_sample(out)
    seeds = [f"s{k}" for k in range(400)]
    counts: dict[tuple[str, str], int] = {}
    for _, frame in plan_for_seeds(scenario, inputs, sample, seeds):
        for e, i in zip(frame["enterprise_id"], frame["inspector_id"], strict=True):
            counts[(e, i)] = counts.get((e, i), 0) + 1
    n = len(seeds)
    worst = max(counts.values()) / n
    # binomial tolerance: four standard deviations above q
    assert worst <= q + 4 * np.sqrt(q * (1 - q) / n), worst
    assert len(counts) == 6 * 24  # every member pair happens


def test_the_same_seed_gives_the_same_bytes(make_scenario, tmp_path):
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=enterprises_frame(16),
                                  inspectors=grouped(), extra=GROUPS)
    assign_stage(scenario, inputs, out)
    first = (out / "assignments.csv").read_bytes()
    assign_stage(scenario, inputs, out)
    assert (out / "assignments.csv").read_bytes() == first


def test_the_checker_catches_a_split_group(make_scenario, tmp_path):
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=enterprises_frame(8),
                                  inspectors=grouped(), extra=GROUPS)
    assign_and_check(scenario, inputs, out)
    seats = pd.read_csv(out / "assignments.csv", dtype=str)
    task = seats["task_id"].iat[0]
    row = seats.index[(seats["task_id"] == task) & (seats["role"] == "member")][0]
    lent = next(i for i in ["P000", "P003", "P006"] if i not in set(
        seats.loc[seats["task_id"] == task, "inspector_id"]))
    gone = seats.at[row, "inspector_id"]
    seats.at[row, "inspector_id"] = lent
    seats.to_csv(out / "assignments.csv", index=False)
    violations = check_plan(scenario, inputs, out).violations
    assert any(v.startswith(f"task {task}: members of groups ") for v in violations), violations
    assert gone


def test_a_group_without_a_lead_or_too_small_is_an_input_error(make_scenario, tmp_path):
    roster = grouped()
    roster["can_lead"] = ["否" if i in (3, 4, 5) else "是" for i in range(12)]
    roster.loc[11, "group"] = "G9"
    path = make_scenario(inspectors=roster, extra=GROUPS)
    with pytest.raises(InputError) as info:
        load_inputs(load_scenario(path))
    text = str(info.value)
    assert "inspectors.csv, row 5, column 'group': group G2 has no lead-capable (可任主检) " \
        "member" in text
    assert "inspectors.csv, row 13, column 'group': group G9 has 1 member(s), fewer than " \
        "team_size 2" in text


def test_standing_groups_without_a_group_column_names_the_key(make_scenario, tmp_path):
    path = make_scenario(extra=GROUPS)
    with pytest.raises(ScenarioError) as info:
        load_inputs(load_scenario(path))
    assert "assignment.standing_groups" in str(info.value)
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "assignment.standing_groups" in result.output
    assert "group (检查小组) column" in result.output


def test_the_cli_runs_and_checks_a_plan_of_groups(make_scenario, tmp_path):
    roster = grouped()
    path = make_scenario(inspectors=roster, extra=GROUPS)
    out = tmp_path / "plan"
    result = CliRunner().invoke(cli, ["run", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    seats = pd.read_csv(out / "assignments.csv", dtype=str)
    groups = group_of(roster)
    assert all(len({groups[i] for i in team}) == 1 for team in teams_of(seats).values())
    checked = CliRunner().invoke(cli, ["check", str(out)])
    assert checked.exit_code == 0, checked.output
    assert "one standing group per team" in checked.output


def test_a_group_whose_only_lead_is_unavailable_is_not_drawn(make_scenario, tmp_path):
    roster = grouped()
    roster["can_lead"] = ["是" if i in (0, 3, 6, 9) else "否" for i in range(12)]
    roster["available"] = ["否" if i == 3 else "是" for i in range(12)]
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=enterprises_frame(12),
                                  inspectors=roster, extra=GROUPS)
    assign_and_check(scenario, inputs, out)
    seats = pd.read_csv(out / "assignments.csv", dtype=str)
    assert not set(seats["inspector_id"]) & {"P003", "P004", "P005"}
    assert set(seats.loc[seats["role"] == "lead", "inspector_id"]) == {"P000", "P006", "P009"}


def test_standing_groups_refuse_separate_pairs(make_scenario, tmp_path):
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("inspector_id_1,inspector_id_2\nP000,P003\n", encoding="utf-8")
    extra = GROUPS + 'separate_pairs = "pairs.csv"\n'
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=enterprises_frame(4),
                                  inspectors=grouped(), extra=extra)
    with pytest.raises(ScenarioError) as info:
        plan_assignment(scenario, inputs, load_sample(out))
    assert info.value.key == "assignment.standing_groups"
    assert "cannot be combined with separate_pairs" in str(info.value)


def test_the_demo_groups_scenario_plans_and_checks(tmp_path):
    from pathlib import Path

    scenario = Path(__file__).parents[2] / "scenarios" / "demo-groups.toml"
    out = tmp_path / "plan"
    result = CliRunner().invoke(cli, ["run", str(scenario), "-o", str(out)])
    assert result.exit_code == 0, result.output
    roster = pd.read_csv(Path(__file__).parents[2] / "data" / "demo" / "inspectors-groups.csv",
                         dtype=str)
    groups = dict(zip(roster["人员编号"], roster["检查小组"], strict=True))
    seats = pd.read_csv(out / "assignments.csv", dtype=str)
    assert all(len({groups[i] for i in team}) == 1 for team in teams_of(seats).values())
    checked = CliRunner().invoke(cli, ["check", str(out)])
    assert checked.exit_code == 0 and "one standing group per team" in checked.output


def test_a_pair_bound_no_group_can_meet_is_explained(make_scenario, tmp_path):
    ent = enterprises_frame(4)
    extra = GROUPS + "max_pair_probability = 0.1\n"
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=ent,
                                  inspectors=grouped(), extra=extra)  # four groups
    with pytest.raises(InfeasiblePlanError) as info:
        plan_assignment(scenario, inputs, load_sample(out))
    (reason,) = info.value.reasons
    assert reason.startswith("the plan: max_pair_probability 0.1 admits no group for ")
    assert "which only 4 group(s) may inspect; raise max_pair_probability" in reason
