"""The example scenarios of items by category, qualified teams and targeted tasks, end to end."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from planner.cli import cli
from planner.plan.items import split_cell

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "data" / "demo"


def run(name: str, out: Path) -> pd.DataFrame:
    result = CliRunner().invoke(cli, ["run", str(REPO / "scenarios" / name), "-o", str(out)])
    assert result.exit_code == 0, result.output
    check = CliRunner().invoke(cli, ["check", str(out)])
    assert check.exit_code == 0, check.output
    return pd.read_csv(out / "tasks.csv", dtype=str, keep_default_na=False)


def test_special_equipment_plan_lists_each_tasks_items_and_qualifies_its_team(tmp_path):
    tasks = run("demo-special-equipment.toml", tmp_path / "o")
    ent = pd.read_csv(DEMO / "enterprises.csv", dtype=str).set_index("统一社会信用代码")
    roster = pd.read_csv(DEMO / "inspectors.csv", dtype=str).set_index("人员编号")
    expected = {"食品销售": "SP001", "餐饮服务": "SP002", "特种设备使用": "TS001",
                "住宿服务": "TS001"}
    special = 0
    for _, t in tasks.iterrows():
        category = ent.loc[t["enterprise_id"], "行业类别"]
        assert t["item_codes"] == expected[category]
        if t["item_codes"] == "TS001":
            special += 1
            team = [t["lead_id"], *filter(None, t["member_ids"].split(";"))]
            assert any("特种设备" in split_cell(roster.loc[i, "检查资质"]) for i in team)
    assert special > 0
    check = CliRunner().invoke(cli, ["check", str(tmp_path / "o")])
    assert "qualified for every item" in check.output


def test_targeted_plan_marks_its_targeted_tasks(tmp_path):
    tasks = run("demo-targeted.toml", tmp_path / "o")
    targeted = tasks["stratum"].str.startswith(("特种设备使用单位/", "较高风险餐饮/"))
    assert targeted.any() and (~targeted).any()
    assert (tasks.loc[targeted, "check_type"] == "定向").all()
    assert (tasks.loc[~targeted, "check_type"] == "不定向").all()
    verify = CliRunner().invoke(cli, ["verify", str(tmp_path / "o")])
    assert verify.exit_code == 0, verify.output


def test_joint_team_plan_has_every_department_in_every_team(tmp_path):
    run("demo-joint-team.toml", tmp_path / "o")
    seats = pd.read_csv(tmp_path / "o" / "assignments.csv", dtype=str)
    roster = pd.read_csv(DEMO / "inspectors.csv", dtype=str).set_index("人员编号")
    seats["department"] = roster.loc[seats["inspector_id"], "所属部门"].to_numpy()
    per_task = seats.groupby("task_id")["department"].agg(set)
    assert (per_task == {"市场监管", "食品安全", "质量监督"}).all()
    leads = seats[seats["role"] == "lead"]
    assert (leads["department"] == "市场监管").all()
