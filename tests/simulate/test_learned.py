"""The strategy "learned score with floor": inclusion probabilities by hand, floors kept."""

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from planner.cli import cli
from planner.simulate.learned import Scored, calibrated, learned_with_floor


def scored():
    # class a: 6 enterprises, class b: 4; probabilities already at the class rates' means
    return Scored(np.array(["a"] * 6 + ["b"] * 4, dtype=object),
                  np.array([0.05, 0.05, 0.1, 0.1, 0.2, 0.1, 0.5, 0.3, 0.1, 0.1]), "test")


RATES = {"a": 0.1, "b": 0.25}


def test_calibration_keeps_each_class_mean_at_its_rate():
    p = calibrated(scored(), {"a": 0.2, "b": 0.25})
    assert p[:6].mean() == pytest.approx(0.2)
    assert p[6:].mean() == pytest.approx(0.25)
    assert np.argmax(p[6:]) == 0  # the order within a class is the model's


def test_inclusion_probabilities_by_hand():
    # total 5: floors a 1/6 -> 1, b 1/4 -> 1; exploration 0.2 * 5 -> 1; targeted 2: the two
    # highest (b's 0.5 and b's 0.3). Outside T: a has 6 (R_a), b has 2 (R_b), R = 8;
    # pi_a = 1/6 + 5/6 * 1/6, pi_b = 1/2 + 1/2 * 1/6
    found = learned_with_floor(scored(), RATES, 5, floors={"a": 1 / 6, "b": 0.25},
                               exploration=0.2)
    assert (found.targeted, found.floors, found.explored) == (2, 2, 1)
    pi_a, pi_b = 1 / 6 + 5 / 6 / 6, 1 / 2 + 1 / 2 / 6
    assert found.per_class_inspections["a"] == pytest.approx(6 * pi_a)
    assert found.per_class_inspections["b"] == pytest.approx(2 + 2 * pi_b)
    assert sum(found.per_class_inspections.values()) == pytest.approx(5)
    expected = 0.5 + 0.3 + pi_b * 0.2 + pi_a * 0.6
    assert found.expected_found == pytest.approx(expected)
    assert found.found_low <= expected <= found.found_high


@pytest.mark.parametrize("total", [4, 6, 9, 10, 12])
def test_no_enterprise_falls_below_its_floor(total):
    s = scored()
    floors = {"a": 0.2, "b": 0.25}
    found = learned_with_floor(s, RATES, total, floors=floors, exploration=0.1)
    assert found.inclusion.sum() == pytest.approx(min(total, 10))
    assert (found.inclusion <= 1 + 1e-12).all()
    for c, floor in floors.items():
        assert (found.inclusion[s.risk_class == c] >= floor - 1e-12).all()


def test_floors_beyond_the_total_are_said():
    assert learned_with_floor(scored(), RATES, 2, floors={"a": 0.5}, exploration=0.1) == (
        "the floors (3) and the exploration (1) need more than the 2 inspections")


def test_simulate_adds_the_strategy_from_a_scores_file(tmp_path):
    from tests.learn.test_cli import risky_world

    scenario = risky_world(tmp_path)
    runner = CliRunner()
    assert runner.invoke(cli, ["learn", str(scenario), "-o", str(tmp_path / "l")]).exit_code == 0
    result = runner.invoke(cli, ["simulate", str(scenario), "-o", str(tmp_path / "s"), "--reps",
                                 "200", "--scores", str(tmp_path / "l" / "risk-scores.csv"),
                                 "--floor", "low=0.05,medium=0.05,high=0.05"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "s" / "simulation.csv")
    learned = table[table["strategy"] == "learned-floor"].set_index("ratio_set")
    own = table[table["strategy"] == "risk-weighted"].set_index("ratio_set")
    assert list(learned.index) == list(own.index)
    assert (learned["inspections"] == own["inspections"]).all()  # on the same budget
    assert (learned["expected_found"] > own["expected_found"]).all()
    assert "learned-floor" in result.output
