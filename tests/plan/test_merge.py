"""planner merge: three departments' plans become one visit per enterprise."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from planner.cli import cli
from planner.common.errors import InputError
from planner.plan.merge import merge_plans

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
