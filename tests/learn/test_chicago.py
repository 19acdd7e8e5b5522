"""The real check: Chicago's canvass records, trained before 2013 and tested on 2013."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.cli import cli

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.chicago


def test_the_model_beats_the_class_by_a_margin_the_interval_supports(chicago_dir, tmp_path,
                                                                     monkeypatch):
    monkeypatch.chdir(REPO)
    result = CliRunner().invoke(cli, ["learn", "scenarios/chicago-replay.toml", "-o",
                                      str(tmp_path / "out")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    evaluation = json.loads((tmp_path / "out" / "risk-evaluation.json").read_text("utf-8"))
    assert evaluation["holdout"] == {"from": "2013-01-01", "inspections": 5487, "problems": 763}
    o = evaluation["orderings"]
    # the model's whole interval lies above the class's whole interval
    assert o["model"]["auc_interval"][0] > o["class"]["auc_interval"][1]
    assert o["model"]["auc"] - o["class"]["auc"] > 0.05
    assert 0.45 < o["random"]["auc"] < 0.55
    assert o["class"]["auc"] < 0.55  # the city's classes barely predict a critical violation
    assert o["model"]["first_half_share"] > o["class"]["first_half_share"] + 0.08
    assert o["model"]["hit_rate_top_decile"] > o["class"]["hit_rate_top_decile"]
    assert o["model"]["found_at_budget"] > o["class"]["found_at_budget"]
    scores = (tmp_path / "out" / "risk-scores.csv").read_text("utf-8").splitlines()
    assert len(scores) == 1 + 8987


def test_the_guide_shows_the_figures_the_chicago_learning_prints(chicago_dir, tmp_path,
                                                              monkeypatch):
    import re

    monkeypatch.chdir(REPO)
    guide = (REPO / "docs" / "guides" / "learning.md").read_text(encoding="utf-8")
    section = guide[guide.index("**The real check: Chicago.**"):]
    block = re.search(r"```text\n(.*?)\n```", section, flags=re.S).group(1)
    shown = [line for line in block.splitlines()
             if line.split()[:1] in (["class"], ["model"], ["random"], ["low"], ["all"])]
    assert len(shown) == 5
    result = CliRunner().invoke(cli, ["learn", "scenarios/chicago-replay.toml", "-o",
                                      str(tmp_path / "out")], catch_exceptions=False)
    for line in shown:
        assert line in result.output.splitlines()
