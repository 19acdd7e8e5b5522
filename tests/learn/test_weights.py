"""Weights from the draw: the weighted rate speaks for the directory, the unweighted one does not."""

import pandas as pd
import pytest

from planner.learn.stage import learn_scenario
from planner.learn.weights import draw_weights, read_draws
from tests.learn.world import QUARTERS, RATES, RATIOS, true_rate, write_world


def test_the_weighted_rate_recovers_the_directorys_true_rate(tmp_path):
    scenario = write_world(tmp_path, learn="draw_records = RECORDS")
    result = learn_scenario(scenario, tmp_path / "out")
    rates = result.rates.set_index("risk_class")
    everyone = rates.loc["all"]
    assert everyone["low"] <= true_rate() <= everyone["high"]
    assert everyone["observed_rate"] > 2 * true_rate()  # the high class is drawn most
    assert not everyone["low"] <= everyone["observed_rate"] <= everyone["high"]
    for c, rate in RATES.items():  # within a class the draw is uniform: both agree
        assert rates.loc[c, "weighted_rate"] == pytest.approx(rate, abs=0.04)
        assert rates.loc[c, "weighted_rate"] == pytest.approx(rates.loc[c, "observed_rate"])
    assert result.weighted and result.left_out == 200  # the complaints were not drawn


def test_each_inspection_gets_its_strata_probability(tmp_path):
    write_world(tmp_path, complaints=3)
    draws = read_draws([tmp_path / f"q{q}" / "draw-record.json" for q in range(1, 5)])
    history = pd.read_csv(tmp_path / "history.csv", dtype={"date": str})
    history["date"] = pd.to_datetime(history["date"])
    weights = draw_weights(history, draws)
    drawn = len(history) - 3
    assert weights.matched.sum() == drawn
    expected = history["risk"].map(RATIOS).to_numpy()[:drawn]
    assert weights.probability[:drawn] == pytest.approx(
        [min(1, round(p * n) / n) for p, n in zip(expected, history["risk"].map(
            {"low": 3000, "medium": 1000, "high": 300})[:drawn], strict=True)])
    assert list(weights.risk_class[:drawn]) == history["risk"].tolist()[:drawn]
    assert weights.plans == [f"Q{q}" for q in range(1, len(QUARTERS) + 1)]


def test_an_inspection_outside_the_plans_period_is_not_matched(tmp_path):
    write_world(tmp_path, complaints=0)
    draws = read_draws([tmp_path / "q1" / "draw-record.json"])
    eid = draws["enterprise_id"].iloc[0]
    history = pd.DataFrame({"enterprise_id": [eid, eid],
                            "date": pd.to_datetime(["2025-02-01", "2025-05-01"])})
    assert draw_weights(history, draws).matched.tolist() == [True, False]


def test_one_draw_is_one_inspection_the_first_in_the_period(tmp_path):
    write_world(tmp_path, complaints=0)
    draws = read_draws([tmp_path / "q1" / "draw-record.json"])
    eid = draws["enterprise_id"].iloc[0]
    history = pd.DataFrame({"enterprise_id": [eid, eid],
                            "date": pd.to_datetime(["2025-03-01", "2025-02-01"])})
    assert draw_weights(history, draws).matched.tolist() == [False, True]


def test_a_weighted_draws_record_is_refused(tmp_path):
    import json

    from planner.common.errors import InputError

    write_world(tmp_path, complaints=0)
    path = tmp_path / "q1" / "draw-record.json"
    record = json.loads(path.read_text("utf-8"))
    record["parameters"] = {"sampling": {"weight_by": "score"}}
    path.write_text(json.dumps(record), encoding="utf-8")
    with pytest.raises(InputError, match="the draw was weighted"):
        read_draws([path])
