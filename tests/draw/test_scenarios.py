"""Every scenario under scenarios/ validates and draws on the committed demo data."""

import csv
import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.cli import cli
from planner.plan.scenario import load_scenario

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((REPO / "scenarios").glob("*.toml"))
CHICAGO = REPO.parent / "shared" / "data" / "chicago" / "canvass_history_2011_2013.csv"


def test_there_is_one_scenario_per_grading_scheme():
    schemes = {load_scenario(p).grading.scheme for p in SCENARIOS
               if p.name != "chicago-replay.toml" or CHICAGO.is_file()}
    assert {"abcd", "shenzhen", "three-color", "food-score", "points-12"} <= schemes


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.name for p in SCENARIOS])
def test_scenario_validates_draws_and_verifies(path, tmp_path):
    if path.name == "chicago-replay.toml" and not CHICAGO.is_file():
        pytest.skip(f"real data not found at {CHICAGO}")
    scenario = load_scenario(path)
    if scenario.inputs.enterprises is None:  # a simulation-only scenario: nothing to draw
        assert scenario.simulation.history is not None
        return
    runner = CliRunner()
    result = runner.invoke(cli, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    seed = []
    if scenario.plan.seed is None:  # a committed plan: commit first, then draw with a seed
        result = runner.invoke(cli, ["commit", str(path), "-o", str(out)])
        assert result.exit_code == 0, result.output
        seed = ["--seed", "3-8-1"]
    result = runner.invoke(cli, ["draw", str(path), "-o", str(out), *seed])
    assert result.exit_code == 0, result.output
    with open(out / "sample.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows
    record = json.loads((out / "draw-record.json").read_text(encoding="utf-8"))
    assert sum(c["drawn"] for c in record["allocation"]["classes"].values()) == len(rows)
    result = runner.invoke(cli, ["verify", str(out)])
    assert result.exit_code == 0, result.output


def draw(name, tmp_path):
    out = tmp_path / name
    result = CliRunner().invoke(cli, ["draw", str(REPO / "scenarios" / name), "-o", str(out)])
    assert result.exit_code == 0, result.output
    with open(out / "sample.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return rows, json.loads((out / "draw-record.json").read_text(encoding="utf-8"))


def test_yancheng_ratios_window_and_inclusion_list(tmp_path):
    rows, record = draw("yancheng-abcd.toml", tmp_path)
    with open(REPO / "scenarios" / "yancheng-inclusions.csv", encoding="utf-8") as fh:
        listed = [r["统一社会信用代码"] for r in csv.DictReader(fh)]
    drawn = {r["enterprise_id"]: r for r in rows}
    assert all(i in drawn and drawn[i]["stratum"].endswith("/included") for i in listed)
    classes = record["allocation"]["classes"]
    ratios = {"A": 0.03, "B": 0.20, "C": 0.50, "D": 0.80}
    for c, ratio in ratios.items():
        want = min(classes[c]["eligible"], math.ceil(round(ratio * classes[c]["eligible"], 9)))
        assert classes[c]["drawn"] == max(want, classes[c]["listed"])
    assert "inspected within 90 days" in record["eligibility"]["excluded"]


def test_bayannur_draws_every_active_c_and_d(tmp_path):
    rows, record = draw("bayannur-abcd.toml", tmp_path)
    classes = record["allocation"]["classes"]
    assert record["eligibility"]["mandatory_classes"] == ["C", "D"]
    for c in "CD":
        assert classes[c]["drawn"] == classes[c]["eligible"] > 0
    with open(REPO / "data" / "demo" / "enterprises.csv", encoding="utf-8") as fh:
        directory = list(csv.DictReader(fh))
    active_cd = {r["统一社会信用代码"] for r in directory
                 if r["风险等级"] in "CD" and r["经营状态"] not in ("注销", "吊销", "停业")}
    assert active_cd <= {r["enterprise_id"] for r in rows}
    assert record["eligibility"]["excluded"]["annual cap reached"] > 0


def test_food_frequency_counts(tmp_path):
    _, record = draw("food-frequency.toml", tmp_path)
    days = 92  # 2026-10-01 to 2026-12-31
    for c, f in {"A": 0.5, "B": 1, "C": 2, "D": 3}.items():
        n = record["allocation"]["classes"][c]["eligible"]
        assert record["allocation"]["classes"][c]["drawn"] == min(n, math.ceil(f * n * days / 365))


def test_minhang_budget_is_spent_within_floors_and_caps(tmp_path):
    _, record = draw("minhang-three-color.toml", tmp_path)
    classes = record["allocation"]["classes"]
    assert sum(c["drawn"] for c in classes.values()) == 60
    assert math.ceil(0.02 * classes["green"]["eligible"]) <= classes["green"]["drawn"] \
        <= math.floor(0.03 * classes["green"]["eligible"])
    assert classes["red"]["drawn"] >= math.ceil(0.30 * classes["red"]["eligible"])


def test_shenzhen_spreads_over_districts_and_yuhang_has_twelve_classes(tmp_path):
    rows, record = draw("shenzhen.toml", tmp_path)
    assert all("/" in s for s in record["strata"])
    assert set(record["allocation"]["classes"]) == {"A+", "A", "B", "C", "D", "E"}
    _, record = draw("yuhang-points-12.toml", tmp_path)
    assert len(record["allocation"]["classes"]) == 12
