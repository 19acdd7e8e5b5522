"""planner learn through the command line: files, bytes, the model applied by hand, clean refusals."""

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from planner.cli import cli
from tests.learn.world import write_world

REPO = Path(__file__).resolve().parents[2]


def learn(*args):
    return CliRunner().invoke(cli, ["learn", *map(str, args)], catch_exceptions=False)


def risky_world(folder: Path, *, learn_table: str = "", language: str = "en") -> Path:
    """A history where an enterprise's past problems predict its next ones, the class barely."""
    scenario = write_world(folder, complaints=0, learn=learn_table, language=language)
    rng = np.random.default_rng(7)
    n = 400
    hidden = rng.beta(1, 6, n)  # each enterprise's own risk, unknown to the class
    classes = np.where(rng.random(n) < 0.5, "high", "low")
    rows = []
    for i in range(n):
        for day in ["2024-02-10", "2024-06-10", "2024-10-10", "2025-02-10", "2025-06-10"]:
            if rng.random() < 0.8:
                rows.append((f"E{i:04d}", day, classes[i], int(rng.random() < hidden[i]),
                             "shop" if i % 2 else "restaurant"))
    pd.DataFrame(rows, columns=["enterprise_id", "date", "risk", "problems", "kind"]).to_csv(
        folder / "history.csv", index=False)
    return scenario


def test_learn_writes_every_file_and_the_same_bytes_twice(tmp_path):
    scenario = risky_world(tmp_path, learn_table='history_features = ["kind"]')
    first = learn(scenario, "-o", tmp_path / "a", "--holdout-from", "2025-01-01")
    assert first.exit_code == 0, first.output
    second = learn(scenario, "-o", tmp_path / "b", "--holdout-from", "2025-01-01")
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == ["risk-evaluation.json", "risk-evaluation.png", "risk-evaluation.xlsx",
                     "risk-model.json", "risk-rates.csv", "risk-scores.csv"]
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert first.output == second.output.replace("/b/", "/a/")
    evaluation = json.loads((tmp_path / "a" / "risk-evaluation.json").read_text("utf-8"))
    assert evaluation["holdout"]["from"] == "2025-01-01"
    assert set(evaluation["orderings"]) == {"class", "model", "random"}
    model, klass = evaluation["orderings"]["model"], evaluation["orderings"]["class"]
    assert model["auc"] > klass["auc"] + 0.05
    assert model["auc_interval"][0] < model["auc"] < model["auc_interval"][1]
    for figures in evaluation["orderings"].values():
        assert set(figures) == {"auc", "auc_interval", "first_half_share", "hit_rate_top_decile",
                                "found_at_budget", "share_found_at_budget"}
    assert "model" in first.output and "AUC" in first.output


def test_the_model_file_applied_by_hand_gives_the_scores(tmp_path):
    scenario = risky_world(tmp_path, learn_table='history_features = ["kind"]')
    assert learn(scenario, "-o", tmp_path / "out").exit_code == 0
    model = json.loads((tmp_path / "out" / "risk-model.json").read_text("utf-8"))
    scores = pd.read_csv(tmp_path / "out" / "risk-scores.csv", dtype={"enterprise_id": str})
    history = pd.read_csv(tmp_path / "history.csv", dtype=str)
    assert len(scores) == history["enterprise_id"].nunique()
    assert scores["rank"].tolist() == list(range(1, len(scores) + 1))
    assert scores["probability"].is_monotonic_decreasing
    # by hand, for one enterprise: its inspections before the plan's start (2026-01-01)
    eid = scores["enterprise_id"].iloc[len(scores) // 3]
    mine = history[history["enterprise_id"] == eid].sort_values("date")
    values = {
        "inspections_so_far": len(mine),
        "past_problems": int(mine["problems"].astype(int).sum()),
        "past_problem_share": mine["problems"].astype(int).sum() / len(mine),
        "days_since_last": (pd.Timestamp("2026-01-01") - pd.Timestamp(mine["date"].iloc[-1])).days,
        "first_visit": 0,
        "last_found_problem": int(mine["problems"].iloc[-1]),
        "risk_class": mine["risk"].iloc[-1],
        "kind": mine["kind"].iloc[-1],
    }
    log_odds = model["intercept"]
    for f in model["features"]:
        x = values[f["column"]]
        if f["transform"] == "log1p":
            x = math.log1p(x)
        elif f["transform"] == "indicator":
            x = float(x == f["level"])
        log_odds += f["coefficient"] * x
    expected = 1 / (1 + math.exp(-log_odds))
    assert scores.loc[scores["enterprise_id"] == eid, "probability"].item() == pytest.approx(
        expected, abs=1e-7)
    assert {"scikit-learn", "numpy", "planner"} <= set(model["versions"])
    assert model["training"]["to"] == "2025-06-10"


def test_a_column_that_copies_the_outcome_is_refused(tmp_path):
    scenario = risky_world(tmp_path, learn_table='history_features = ["verdict"]')
    history = pd.read_csv(tmp_path / "history.csv")
    history["verdict"] = np.where(history["problems"] > 0, "fail", "pass")  # the outcome, renamed
    history.to_csv(tmp_path / "history.csv", index=False)
    result = learn(scenario, "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert result.output.startswith(f"error: {scenario}: learn.history_features[0]: column "
                                    "'verdict' gives the outcome away")
    assert not (tmp_path / "out").exists()


def test_the_problem_column_itself_is_refused_as_a_feature(tmp_path):
    scenario = risky_world(tmp_path, learn_table='kind_columns = ["problems"]')
    result = learn(scenario, "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert "learn.kind_columns[0]: 'problems' is the outcome itself" in result.output


def test_a_holdout_with_nothing_before_it_is_refused(tmp_path):
    scenario = risky_world(tmp_path)
    result = learn(scenario, "-o", tmp_path / "out", "--holdout-from", "2020-01-01")
    assert result.exit_code == 2
    assert "learn.holdout_from: the history has no inspection before 2020-01-01" in result.output


def test_a_bad_learn_key_is_named(tmp_path):
    scenario = risky_world(tmp_path, learn_table="regularisation = 0")
    result = learn(scenario, "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert "learn.regularisation: must be > 0" in result.output
    (tmp_path / "x").mkdir()
    unknown = risky_world(tmp_path / "x", learn_table="penalty = 1")
    assert "learn.penalty: unknown key" in learn(unknown, "-o", tmp_path / "o2").output


def test_a_rerun_replaces_its_files_whole_and_keeps_others(tmp_path):
    scenario = risky_world(tmp_path)
    out = tmp_path / "out"
    assert learn(scenario, "-o", out, "--holdout-from", "2025-01-01").exit_code == 0
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    assert learn(scenario, "-o", out).exit_code == 0  # no holdout: no evaluation files
    names = sorted(p.name for p in out.iterdir())
    assert names == ["notes.txt", "risk-model.json", "risk-rates.csv", "risk-scores.csv"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


def test_a_failing_run_leaves_the_old_folder_as_it_was(tmp_path):
    scenario = risky_world(tmp_path)
    out = tmp_path / "out"
    assert learn(scenario, "-o", out, "--holdout-from", "2025-01-01").exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    bad = pd.read_csv(tmp_path / "history.csv")
    bad.loc[3, "date"] = "not a date"
    bad.to_csv(tmp_path / "history.csv", index=False)
    result = learn(scenario, "-o", out, "--holdout-from", "2025-01-01")
    assert result.exit_code == 2
    assert "row 5, column 'date': no readable inspection date" in result.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_plan_folder_is_not_a_learning_folder(tmp_path):
    scenario = risky_world(tmp_path)
    (tmp_path / "plan").mkdir()
    (tmp_path / "plan" / "draw-record.json").write_text("{}", encoding="utf-8")
    result = learn(scenario, "-o", tmp_path / "plan")
    assert result.exit_code != 0
    assert "is a plan folder: write the learning into a folder of its own" in result.output


def test_the_chart_and_workbook_speak_chinese_by_default(tmp_path):
    scenario = risky_world(tmp_path, language="zh")
    assert learn(scenario, "-o", tmp_path / "out", "--holdout-from", "2025-01-01").exit_code == 0
    import openpyxl

    wb = openpyxl.load_workbook(tmp_path / "out" / "risk-evaluation.xlsx")
    assert wb.sheetnames[0] == "排序比较"
    assert wb["排序比较"]["B1"].value == "AUC"
    assert wb["排序比较"]["A2"].value == "按风险分类"
