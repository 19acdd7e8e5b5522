"""The holdout metrics against values computed by hand on tiny fixtures."""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from planner.learn import evaluate as ev


def test_auc_counts_ties_as_half():
    # positives 0.9 and 0.8; negatives 0.8, 0.3, 0.1: 5 pairs won, 1 tied, of 6
    scores = np.array([0.9, 0.8, 0.8, 0.3, 0.1])
    problems = np.array([True, False, True, False, False])
    assert ev.auc(scores, problems) == pytest.approx(5.5 / 6)


def test_auc_of_a_class_ordering_is_exact():
    # classes 3, 2, 2, 1, 1 with problems in the first and the fourth: 3 + 0 + 0 + 0.5 of 6
    classes = np.array([3, 2, 2, 1, 1])
    problems = np.array([True, False, False, True, False])
    assert ev.auc(classes, problems) == pytest.approx(3.5 / 6)


def test_weighted_auc_counts_each_pair_by_both_weights():
    scores = np.array([0.9, 0.8, 0.8, 0.3, 0.1])
    problems = np.array([True, False, True, False, False])
    weights = np.array([1.0, 2.0, 1.0, 1.0, 1.0])
    # first positive beats negative weight 4; the second ties weight 2 (counts 1) and beats 2
    assert ev.auc(scores, problems, weights) == pytest.approx(7 / 8)


def test_auc_agrees_with_an_independent_implementation_on_heavy_ties():
    rng = np.random.default_rng(3)
    scores = rng.integers(0, 4, 500).astype(float)
    problems = rng.random(500) < 0.2 + 0.1 * scores
    assert ev.auc(scores, problems) == pytest.approx(roc_auc_score(problems, scores))


def test_auc_without_both_outcomes_is_nan():
    assert np.isnan(ev.auc(np.array([1.0, 2.0]), np.array([True, True])))


def test_schedule_breaks_ties_by_the_random_key():
    order = ev.schedule(np.array([1.0, 1.0, 2.0, 1.0]), np.array([0.4, 0.1, 0.9, 0.2]))
    assert order.tolist() == [2, 1, 3, 0]


def test_schedule_figures_by_hand():
    # in schedule order the problems are 1, 0, 1, 1, 0: three in all
    order = ev.schedule(np.array([5.0, 4, 3, 2, 1]), np.zeros(5))
    problems = np.array([True, False, True, True, False])
    figures = ev.schedule_figures(order, problems, None, budget=3)
    assert figures.first_half_share == pytest.approx(1 / 3)  # the first 2 of 5 find one
    assert figures.hit_rate_top_decile == pytest.approx(1.0)  # the first inspection
    assert figures.found_at_budget == 2
    assert figures.share_at_budget == pytest.approx(2 / 3)
    np.testing.assert_allclose(
        figures.curve, [[0, 0], [0.2, 1 / 3], [0.4, 1 / 3], [0.6, 2 / 3], [0.8, 1], [1, 1]])


def test_top_decile_of_twenty_is_the_first_two():
    problems = np.array([True, False] + [True] * 18)
    figures = ev.schedule_figures(np.arange(20), problems, None, budget=0)
    assert figures.hit_rate_top_decile == pytest.approx(0.5)
    assert figures.found_at_budget == 0
    assert figures.first_half_share == pytest.approx(9 / 19)


def test_weighted_schedule_counts_the_first_half_of_the_weight():
    problems = np.array([True, False, True])
    weights = np.array([1.0, 1.0, 2.0])  # half of 4 is reached after the first two
    figures = ev.schedule_figures(np.arange(3), problems, weights, budget=1)
    assert figures.first_half_share == pytest.approx(1 / 3)
    assert figures.found_at_budget == 1


def test_bootstrap_interval_holds_the_auc_and_comes_from_the_stream():
    rng = np.random.default_rng(5)
    scores = {"a": rng.random(300), "b": rng.integers(0, 3, 300)}
    problems = rng.random(300) < scores["a"] * 0.5

    def intervals(seed):
        return ev.auc_intervals(scores, problems, None, np.random.default_rng(seed), reps=400)

    first = intervals(1)
    for name, (low, high) in first.items():
        assert low < ev.auc(scores[name], problems) < high
    assert first["a"][1] - first["a"][0] < 0.25
    assert intervals(1) == first
    assert intervals(2) != first


def test_bootstrap_counts_resample_every_item_n_times():
    counts = ev.bootstrap_counts(50, 7, np.random.default_rng(0))
    assert counts.shape == (7, 50)
    assert (counts.sum(axis=1) == 50).all()
    assert counts.std() > 0.5  # not the identity resample
