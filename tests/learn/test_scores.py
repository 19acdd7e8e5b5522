"""A scenario uses the learned scores: score bands as classes, or the score as a draw weight."""

import json
import math
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from planner.cli import cli

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "data" / "demo"

SCENARIO = """\
[plan]
id = "SCORED-1"
name = "scored"
authority = "test"
seed = "scored-seed"
start = 2026-10-01
end = 2026-12-31

[inputs]
enterprises = "{demo}/enterprises.csv"
inspectors = "{demo}/inspectors.csv"
history = "{demo}/history.csv"
scores = "{scores}"

{grading}

[sampling]
{sampling}
"""
BANDS = """[grading]
scheme = "custom"
classes = ["low", "middle", "top"]
score_column = "score"
bands = [{ class = "low", min = 0, max = 60 }, { class = "middle", min = 60, max = 90 },
         { class = "top", min = 90, max = 101 }]"""


def run(*args):
    return CliRunner().invoke(cli, [*map(str, args)], catch_exceptions=False)


@pytest.fixture(scope="module")
def scores(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("learn") / "out"
    assert run("learn", REPO / "scenarios" / "demo.toml", "-o", out).exit_code == 0
    return out / "risk-scores.csv"


def scenario(folder: Path, scores: Path, grading: str, sampling: str) -> Path:
    path = folder / "scored.toml"
    path.write_text(SCENARIO.format(demo=DEMO.as_posix(), scores=scores.as_posix(),
                                    grading=grading, sampling=sampling), encoding="utf-8")
    return path


def test_score_bands_are_the_strata_and_the_draw_verifies(tmp_path, scores):
    path = scenario(tmp_path, scores, BANDS, "ratios = { low = 0.05, middle = 0.2, top = 0.6 }")
    assert run("draw", path, "-o", tmp_path / "plan").exit_code == 0
    record = json.loads((tmp_path / "plan" / "draw-record.json").read_text("utf-8"))
    assert "scores" in record["inputs"]
    table = pd.read_csv(scores)
    top = record["strata"]["top"]
    assert 0 < top["eligible"] <= int((table["score"] >= 90).sum())  # active ones only
    assert top["drawn"] == math.ceil(0.6 * top["eligible"])
    sample = pd.read_csv(tmp_path / "plan" / "sample.csv", dtype=str)
    assert set(sample["risk_class"]) == {"low", "middle", "top"}
    assert "score" not in sample.columns  # internal: not in the plan's tables
    drawn_scores = table.set_index("enterprise_id")["score"].reindex(
        sample["enterprise_id"]).to_numpy()
    assert (drawn_scores[sample["risk_class"].to_numpy() == "top"] >= 90).all()
    verified = run("verify", tmp_path / "plan")
    assert verified.exit_code == 0, verified.output


def test_a_changed_scores_file_fails_verification(tmp_path, scores):
    mine = tmp_path / "scores.csv"
    mine.write_bytes(scores.read_bytes())
    path = scenario(tmp_path, mine, BANDS, "ratios = { low = 0.05, middle = 0.2, top = 0.6 }")
    assert run("draw", path, "-o", tmp_path / "plan").exit_code == 0
    frame = pd.read_csv(mine, dtype=str)
    frame.loc[0, "score"] = "0"
    frame.to_csv(mine, index=False)
    result = run("verify", tmp_path / "plan")
    assert result.exit_code == 4
    assert "input scores changed" in result.output


def test_the_score_as_a_draw_weight(tmp_path, scores):
    path = scenario(tmp_path, scores, '[grading]\nscheme = "abcd"',
                    'ratios = { A = 0.1, B = 0.2, C = 0.5, D = 1.0 }\nweight_by = "score"')
    result = run("draw", path, "-o", tmp_path / "plan")
    assert result.exit_code == 0, result.output
    record = json.loads((tmp_path / "plan" / "draw-record.json").read_text("utf-8"))
    assert "/ score (weighted" in record["ticket"]


def test_an_unscored_enterprise_is_named(tmp_path, scores):
    mine = tmp_path / "scores.csv"
    pd.read_csv(scores, dtype=str).iloc[1:].to_csv(mine, index=False)
    path = scenario(tmp_path, mine, '[grading]\nscheme = "abcd"',
                    'ratios = { A = 0.1, B = 0.2, C = 0.5, D = 1.0 }\nweight_by = "score"')
    result = run("draw", path, "-o", tmp_path / "plan")
    assert result.exit_code == 2
    assert "column 'score': weight must be a number >= 0 ([sampling] weight_by)" in result.output


def test_a_bad_scores_file_is_named_with_its_row(tmp_path, scores):
    mine = tmp_path / "scores.csv"
    frame = pd.read_csv(scores, dtype=str)
    frame.loc[4, "score"] = "high"
    frame.to_csv(mine, index=False)
    path = scenario(tmp_path, mine, BANDS, "ratios = { low = 0.05, middle = 0.2, top = 0.6 }")
    result = run("draw", path, "-o", tmp_path / "plan")
    assert result.exit_code == 2
    assert "scores.csv, row 6, column 'score': score must be a number >= 0 (value 'high')" \
        in result.output
    assert not (tmp_path / "plan").exists()


def ticket(seed: str, eid: str) -> float:
    import hashlib

    return int(hashlib.sha256(f"{seed}:{eid.strip().upper()}".encode()).hexdigest(), 16) / 2**256


def test_a_weighted_draw_keeps_an_exploration_share_by_ticket_alone(tmp_path, scores):
    path = scenario(tmp_path, scores, '[grading]\nscheme = "abcd"',
                    'ratios = { A = 0.1, B = 0.2, C = 0.5, D = 1.0 }\nweight_by = "score"\n'
                    "exploration = 0.3\nfloors = { A = 0.03 }")
    result = run("draw", path, "-o", tmp_path / "plan")
    assert result.exit_code == 0, result.output
    record = json.loads((tmp_path / "plan" / "draw-record.json").read_text("utf-8"))
    assert "the first ceil(0.3 x n) of each stratum by the ticket alone" in record["ticket"]
    eligible = pd.read_csv(tmp_path / "plan" / "eligible.csv", dtype=str)
    drawn = set(pd.read_csv(tmp_path / "plan" / "sample.csv", dtype=str)["enterprise_id"])
    for stratum, rows in eligible.groupby("stratum"):
        n = record["strata"][stratum]["drawn"]
        lowest = sorted(rows["enterprise_id"], key=lambda e: ticket("scored-seed", e))
        assert set(lowest[:math.ceil(0.3 * n)]) <= drawn, stratum
    assert run("verify", tmp_path / "plan").exit_code == 0


def test_an_exploration_share_below_the_floor_is_refused(tmp_path, scores):
    path = scenario(tmp_path, scores, '[grading]\nscheme = "abcd"',
                    'ratios = { A = 0.1, B = 0.2, C = 0.5, D = 1.0 }\nweight_by = "score"\n'
                    "exploration = 0.1\nfloors = { A = 0.05 }")
    result = run("draw", path, "-o", tmp_path / "plan")
    assert result.exit_code == 2
    assert "sampling.exploration: stratum A: the exploration share draws" in result.output
    assert "below the floor 0.05 of its class" in result.output


@pytest.mark.parametrize(("sampling", "message"), [
    ('ratios = { A = 0.01, B = 0.2, C = 0.5, D = 1.0 }\nfloors = { A = 0.02 }',
     "sampling.ratios.A: ratio 0.01 is below the class's floor 0.02"),
    ('ratios = { A = 0.1, B = 0.2, C = 0.5, D = 1.0 }\nexploration = 0.1',
     "sampling.exploration: the exploration share is the part of a weighted draw"),
    ('ratios = { A = 0.1, B = 0.2, C = 0.5, D = 1.0 }\nweight_by = "score"\n'
     'floors = { A = 0.02 }', "sampling.exploration: a weighted draw keeps every enterprise"),
])
def test_floors_the_scenario_cannot_keep_are_refused(tmp_path, scores, sampling, message):
    path = scenario(tmp_path, scores, '[grading]\nscheme = "abcd"', sampling)
    result = run("draw", path, "-o", tmp_path / "plan")
    assert result.exit_code == 2
    assert message in result.output
