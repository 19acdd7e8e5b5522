"""planner merge: three departments' plans become one visit per enterprise."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from planner.app.merge import merge_plans
from planner.cli import cli
from planner.common.errors import InputError

REPO = Path(__file__).resolve().parents[2]
DEPARTMENTS = ("market", "food", "quality")


@pytest.fixture(scope="module")
def plans(tmp_path_factory) -> dict[str, Path]:
    """The three demo department plans, run once for the module."""
    base = tmp_path_factory.mktemp("plans")
    runner = CliRunner()
    out = {}
    for name in DEPARTMENTS:
        out[name] = base / name
        result = runner.invoke(cli, ["run", str(REPO / "scenarios" / f"demo-joint-{name}.toml"),
                                     "-o", str(out[name])])
        assert result.exit_code == 0, result.output
    return out


def seats_of(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / "assignments.csv", dtype=str)


def test_a_merge_of_three_plans_gives_one_visit_per_enterprise(plans, tmp_path):
    result = merge_plans([plans[n] for n in DEPARTMENTS], tmp_path / "joint")
    visits = pd.read_csv(tmp_path / "joint" / "visits.csv", dtype=str, keep_default_na=False)
    seats = pd.read_csv(tmp_path / "joint" / "joint-assignments.csv", dtype=str)
    every = pd.concat([seats_of(plans[n]).assign(plan=n) for n in DEPARTMENTS])
    assert visits["enterprise_id"].is_unique
    assert set(visits["enterprise_id"]) == set(every["enterprise_id"])
    tasks = every["task_id"].nunique()
    assert result.saved == tasks - len(visits) > 0
    # every plan's seat is in the joint team of its enterprise, each inspector once a visit
    assert not seats.duplicated(["visit_id", "inspector_id"]).any()
    joined = set(zip(seats["enterprise_id"], seats["inspector_id"], strict=True))
    assert set(zip(every["enterprise_id"], every["inspector_id"], strict=True)) == joined
    # one lead per visit: the lead of the first plan (market supervision) when it drew it
    assert (seats[seats["role"] == "lead"].groupby("visit_id").size() == 1).all()
    market = seats_of(plans["market"])
    market_leads = dict(zip(market.loc[market["role"] == "lead", "enterprise_id"],
                            market.loc[market["role"] == "lead", "inspector_id"], strict=True))
    for _, v in visits.iterrows():
        if v["enterprise_id"] in market_leads:
            assert v["lead_id"] == market_leads[v["enterprise_id"]]
    joint = visits[visits["plans"].str.contains(";")]
    assert len(joint) == result.saved  # here no enterprise is in all three plans
    record = json.loads((tmp_path / "joint" / "merge.json").read_text(encoding="utf-8"))
    assert record["visits_saved"] == result.saved
    assert [p["plan_id"] for p in record["plans"]] == [
        "DEMO-LH-2026Q4-SC", "DEMO-LH-2026Q4-SP", "DEMO-LH-2026Q4-ZL"]
    assert all(len(p["sha256"]) == 3 for p in record["plans"])


def test_the_merge_is_deterministic_and_leaves_the_plans_verifiable(plans, tmp_path):
    folders = [plans[n] for n in DEPARTMENTS]
    before = {n: (plans[n] / "sample.csv").read_bytes() for n in DEPARTMENTS}
    merge_plans(folders, tmp_path / "a")
    merge_plans(folders, tmp_path / "b")
    for name in ("visits.csv", "joint-assignments.csv", "merge.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert before == {n: (plans[n] / "sample.csv").read_bytes() for n in DEPARTMENTS}
    for folder in folders:
        result = CliRunner().invoke(cli, ["verify", str(folder)])
        assert result.exit_code == 0, result.output


def test_cli_merge_reports_visits_saved(plans, tmp_path):
    args = ["merge", *(str(plans[n]) for n in DEPARTMENTS), "-o", str(tmp_path / "j")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "Merged 3 plans (DEMO-LH-2026Q4-SC, DEMO-LH-2026Q4-SP, DEMO-LH-2026Q4-ZL): " in (
        result.output)
    assert "visits saved" in result.output


def test_plans_of_different_periods_are_refused(plans, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(plans["food"], other)
    record = json.loads((other / "draw-record.json").read_text(encoding="utf-8"))
    record["parameters"]["plan"]["end"] = "2026-11-30"
    record["parameters"]["plan"]["id"] = "OTHER"
    (other / "draw-record.json").write_text(json.dumps(record), encoding="utf-8")
    with pytest.raises(InputError) as info:
        merge_plans([plans["market"], other], tmp_path / "j")
    assert ("plan OTHER runs 2026-10-01 to 2026-11-30, but DEMO-LH-2026Q4-SC runs 2026-10-01 "
            "to 2026-12-31; merge plans of the same period") in str(info.value)
    assert not (tmp_path / "j").exists()


@pytest.mark.parametrize("case, message", [
    ("one", "give at least two plan folders to merge"),
    ("twice", "give each plan folder once"),
    ("missing", "draw-record.json: not found; run planner run into"),
])
def test_bad_merges_fail_with_a_message(plans, tmp_path, case, message):
    folders = {"one": [plans["market"]], "twice": [plans["market"], plans["market"]],
               "missing": [plans["market"], tmp_path]}[case]
    args = ["merge", *(str(f) for f in folders), "-o", str(tmp_path / "j")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "j").exists()


def _plan_rows(path: Path) -> list[list]:
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True)
    sheets = [[list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets]
    wb.close()
    return next(rows for rows in sheets if any(r and "检查结果" in r for r in rows))


def test_the_merged_folder_is_a_plan_folder_with_workbooks_per_visit_team(plans, tmp_path):
    out = tmp_path / "joint"
    merge_plans([plans[n] for n in DEPARTMENTS], out)
    visits = pd.read_csv(out / "visits.csv", dtype=str, keep_default_na=False)
    tasks = pd.read_csv(out / "tasks.csv", dtype=str, keep_default_na=False)
    assert list(tasks["task_id"]) == list(visits["visit_id"])
    assert list(tasks["lead_id"]) == list(visits["lead_id"])
    assert list(tasks["member_ids"]) == list(visits["member_ids"])
    # every inspector is named with their own department; every plan's items are listed
    seats = pd.read_csv(out / "joint-assignments.csv", dtype=str)
    department = {"DEMO-LH-2026Q4-SC": "市场监管", "DEMO-LH-2026Q4-SP": "食品安全",
                  "DEMO-LH-2026Q4-ZL": "质量监督/市场监管"}
    joint = tasks[tasks["plans"].str.contains(";")]
    assert len(joint) > 0
    for _, t in joint.iterrows():
        for plan_id in t["plans"].split(";"):
            assert f"{department[plan_id]}：" in t["items"]
        team = seats[seats["visit_id"] == t["task_id"]]
        assert t["member_names"].count("·") == len(team) - 1
        food = team[team["plan_id"] == "DEMO-LH-2026Q4-SP"]
        assert len(food) == 0 or "·食品安全" in t["member_names"] + t["lead_name"]
    # one field workbook per visit team (joint lead), each visit in exactly one
    books = sorted((out / "teams").glob("*.xlsx"))
    assert len(books) == tasks["lead_id"].nunique()
    seen = []
    for book in books:
        rows = _plan_rows(book)
        head = rows[0]
        at = head.index("抽查任务编号")
        seen += [r[at] for r in rows[1:] if r[at]]
        members = head.index("检查人员")
        for r in rows[1:]:
            if r[at] in set(joint["task_id"]):
                assert "·" in r[members]
    assert sorted(seen) == sorted(tasks["task_id"])
    bureau = _plan_rows(out / "plan.xlsx")
    assert len([r for r in bureau[1:] if r[1]]) == len(tasks)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for name in ("tasks.csv", "plan.xlsx", "visits.csv", "merge.json", *(
            f"teams/{b.name}" for b in books)):
        assert name in manifest["files"]


def test_the_merged_workbooks_are_deterministic(plans, tmp_path):
    folders = [plans[n] for n in DEPARTMENTS]
    merge_plans(folders, tmp_path / "a")
    merge_plans(folders, tmp_path / "b")
    names = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*")
                   if p.is_file() and p.name != "manifest.json")
    assert "plan.xlsx" in {str(n) for n in names}
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_a_plan_folder_without_its_task_table_is_refused(plans, tmp_path):
    other = tmp_path / "food"
    shutil.copytree(plans["food"], other)
    (other / "tasks.csv").unlink()
    args = ["merge", str(plans["market"]), str(other), "-o", str(tmp_path / "j")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code != 0
    assert f"{other / 'tasks.csv'}: not found; run planner run into {other} first" in (
        result.output)
    assert "Traceback" not in result.output
    assert not (tmp_path / "j").exists()


def test_cli_merge_names_the_workbooks(plans, tmp_path):
    args = ["merge", *(str(plans[n]) for n in DEPARTMENTS), "-o", str(tmp_path / "j")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    books = len(list((tmp_path / "j" / "teams").glob("*.xlsx")))
    assert f"plan.xlsx and {books} field workbook(s) in {tmp_path / 'j' / 'teams'}, one per " \
           "visit team" in result.output


def test_an_english_lead_plan_gives_english_separators(plans, tmp_path):
    lead = tmp_path / "market"
    shutil.copytree(plans["market"], lead)
    record = json.loads((lead / "export.json").read_text(encoding="utf-8"))
    record["language"] = "en"
    (lead / "export.json").write_text(json.dumps(record), encoding="utf-8")
    merge_plans([lead, plans["food"]], tmp_path / "j")
    tasks = pd.read_csv(tmp_path / "j" / "tasks.csv", dtype=str, keep_default_na=False)
    joint = tasks[tasks["plans"].str.contains(";")]
    assert len(joint) and joint["items"].str.contains("市场监管: .*; 食品安全: ").all()
    assert not tasks["items"].str.contains("：").any()
    assert tasks["lead_id"].nunique() == len(list((tmp_path / "j" / "teams").glob("*.xlsx")))


def test_results_are_not_read_from_the_merged_folder(plans, tmp_path):
    out = tmp_path / "j"
    merge_plans([plans[n] for n in DEPARTMENTS], out)
    books = sorted((out / "teams").glob("*.xlsx"))
    result = CliRunner().invoke(cli, ["results", str(out), *map(str, books)])
    assert result.exit_code != 0
    assert (f"{out / 'export.json'}: is a merged joint plan (planner merge): each department "
            "enters the results of its own items into its own plan's field workbooks") in (
        " ".join(result.output.split()))
    assert "Traceback" not in result.output
    assert not (out / "results.csv").exists()
