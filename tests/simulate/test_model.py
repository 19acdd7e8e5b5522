"""The discovery-rate model: simulated figures against the closed forms, and reproducibility."""

from __future__ import annotations

import numpy as np
import pytest

from planner.plan.ratiosets import RatioSet
from planner.simulate.montecarlo import (
    PrevalenceModel,
    expected_found,
    expected_found_uniform,
    seed_sequence,
    simulate_found,
    tail_quantiles,
    variance_found,
)
from planner.simulate.stage import compare_ratio_sets, recommend

POPULATION = np.array([500, 300, 120, 40])
CLASSES = ("A", "B", "C", "D")
# One class inspected per row, so each row's total is that class's X_c.
ONE_CLASS_EACH = np.array([[40, 0, 0, 0], [0, 90, 0, 0], [0, 0, 60, 0], [0, 0, 0, 25]])
REPS = 40_000


def _within_mc_error(simulated: np.ndarray, exact: np.ndarray, variance: np.ndarray, reps: int):
    """|mean - exact| < 4 standard errors, class by class."""
    se = np.sqrt(variance / reps)
    assert np.all(np.abs(simulated - exact) < 4 * se + 1e-12), (simulated, exact, se)


def test_fixed_rates_agree_with_the_closed_form_per_class():
    model = PrevalenceModel.fixed(CLASSES, [0.02, 0.08, 0.2, 0.5])
    draws = simulate_found(POPULATION, model, ONE_CLASS_EACH, np.array([]), reps=REPS,
                           seed=seed_sequence("closed-form"))
    exact = expected_found(ONE_CLASS_EACH, model).sum(axis=1)
    variance = variance_found(ONE_CLASS_EACH, model).sum(axis=1)
    _within_mc_error(draws.found.mean(axis=1), exact, variance, REPS)
    # the simulated variance is the binomial one too (within 5 %)
    np.testing.assert_allclose(draws.found.var(axis=1), variance, rtol=0.05)
    # per-class means reported by the engine are the same numbers
    np.testing.assert_allclose(draws.found_by_class_mean.sum(axis=1), draws.found.mean(axis=1))


def test_given_the_violators_each_class_is_hypergeometric():
    """E[X_c | K_c] = n_c K_c / N_c: the residual averages to zero within Monte-Carlo error."""
    model = PrevalenceModel.fixed(CLASSES, [0.02, 0.08, 0.2, 0.5])
    draws = simulate_found(POPULATION, model, ONE_CLASS_EACH, np.array([]), reps=REPS,
                           seed=seed_sequence("hypergeometric"))
    for c in range(4):
        n = ONE_CLASS_EACH[c, c]
        k = draws.violators_by_class[:, c]
        residual = draws.found[c] - n * k / POPULATION[c]
        assert abs(residual.mean()) < 4 * residual.std() / np.sqrt(REPS)
        # hypergeometric variance given K: n (K/N) (1 - K/N) (N - n) / (N - 1)
        p = k / POPULATION[c]
        expected_var = np.mean(n * p * (1 - p) * (POPULATION[c] - n) / (POPULATION[c] - 1))
        assert residual.var() == pytest.approx(expected_var, rel=0.05)
        assert np.all(draws.found[c] <= np.minimum(k, n))


def test_beta_posterior_rates_give_beta_binomial_counts():
    alpha = np.array([2.5, 8.5, 24.5, 20.5])
    beta = np.array([120.5, 92.5, 96.5, 20.5])
    model = PrevalenceModel.from_parts(CLASSES, [0, 0, 0, 0], alpha, beta)
    np.testing.assert_allclose(model.mean, alpha / (alpha + beta))
    draws = simulate_found(POPULATION, model, ONE_CLASS_EACH, np.array([]), reps=REPS,
                           seed=seed_sequence("beta"))
    exact = expected_found(ONE_CLASS_EACH, model).sum(axis=1)
    variance = variance_found(ONE_CLASS_EACH, model).sum(axis=1)
    _within_mc_error(draws.found.mean(axis=1), exact, variance, REPS)
    np.testing.assert_allclose(draws.found.var(axis=1), variance, rtol=0.05)
    # prevalence uncertainty widens the spread beyond the binomial one
    binomial = variance_found(ONE_CLASS_EACH, PrevalenceModel.fixed(CLASSES, model.mean))
    assert np.all(variance > binomial.sum(axis=1))


def test_uniform_draws_agree_with_their_closed_form():
    model = PrevalenceModel.fixed(CLASSES, [0.02, 0.08, 0.2, 0.5])
    totals = np.array([10, 100, 400])
    draws = simulate_found(POPULATION, model, np.zeros((0, 4)), totals, reps=REPS,
                           seed=seed_sequence("uniform"))
    exact = expected_found_uniform(totals, POPULATION, model).sum(axis=1)
    np.testing.assert_allclose(exact, totals * (POPULATION * model.mean).sum() / 960)
    # without regard to class, the sample holds Binomial(n, overall rate) violators
    rate = (POPULATION * model.mean).sum() / POPULATION.sum()
    _within_mc_error(draws.uniform_found.mean(axis=1), exact, totals * rate * (1 - rate), REPS)
    k = draws.violators
    residual = draws.uniform_found - totals[:, None] * k[None, :] / POPULATION.sum()
    assert np.all(np.abs(residual.mean(axis=1)) < 4 * residual.std(axis=1) / np.sqrt(REPS))


def test_same_world_for_every_allocation_so_more_inspections_never_find_less():
    model = PrevalenceModel.fixed(CLASSES, [0.05, 0.1, 0.2, 0.4])
    allocations = np.array([[10, 10, 10, 10], [50, 10, 30, 10], [50, 40, 30, 40],
                            [500, 300, 120, 40]])
    draws = simulate_found(POPULATION, model, allocations, np.array([]), reps=2000,
                           seed=seed_sequence("monotone"))
    assert np.all(np.diff(draws.found, axis=0) >= 0)
    # inspecting everyone finds every violator
    np.testing.assert_array_equal(draws.found[-1], draws.violators)


def test_same_seed_same_numbers_other_seed_other_numbers():
    model = PrevalenceModel.from_parts(CLASSES, [0.02, 0, 0, 0], [np.nan, 8.5, 24.5, 20.5],
                                       [np.nan, 92.5, 96.5, 20.5])
    alloc = np.array([[40, 30, 20, 10]])
    one = simulate_found(POPULATION, model, alloc, np.array([100]), reps=500,
                         seed=seed_sequence("s1"))
    two = simulate_found(POPULATION, model, alloc, np.array([100]), reps=500,
                         seed=seed_sequence("s1"))
    other = simulate_found(POPULATION, model, alloc, np.array([100]), reps=500,
                           seed=seed_sequence("s2"))
    np.testing.assert_array_equal(one.found, two.found)
    np.testing.assert_array_equal(one.uniform_found, two.uniform_found)
    assert not np.array_equal(one.found, other.found)


def test_tail_quantiles_are_inverted_cdf_order_statistics():
    values = np.arange(1, 101)[None, :][:, ::-1].copy()
    low, high = tail_quantiles(values, 0.9)
    assert (low[0], high[0]) == (5, 95)
    low, high = tail_quantiles(np.array([[3, 1, 2]]), 0.5)
    assert (low[0], high[0]) == (1, 3)


def _compare(sets, floors=None, reps=4000):
    population = dict(zip(CLASSES, POPULATION.tolist(), strict=True))
    model = PrevalenceModel.fixed(CLASSES, [0.02, 0.05, 0.12, 0.25])
    return compare_ratio_sets(population, model, sets, reps=reps, seed="cmp", floors=floors)


def test_comparison_reports_each_strategy_with_consistent_figures():
    sets = [RatioSet("steep", {"A": 0.03, "B": 0.1, "C": 0.3, "D": 0.8}),
            RatioSet("flat", {"A": 0.1, "B": 0.1, "C": 0.1, "D": 0.1})]
    comparison = _compare(sets, floors={"A": 0.01})
    summary = comparison.summary
    assert list(summary["strategy"]) == ["risk-weighted", "uniform", "optimised"] * 2
    steep = summary[summary["ratio_set"] == "steep"].set_index("strategy")
    # ceil(0.03*500)=15, ceil(0.1*300)=30, ceil(0.3*120)=36, ceil(0.8*40)=32
    assert set(steep["inspections"]) == {113}
    assert steep.loc["risk-weighted", "expected_found"] == pytest.approx(
        15 * 0.02 + 30 * 0.05 + 36 * 0.12 + 32 * 0.25)
    overall = (500 * 0.02 + 300 * 0.05 + 120 * 0.12 + 40 * 0.25) / 960
    assert steep.loc["uniform", "expected_found"] == pytest.approx(113 * overall)
    # optimised: floor A ceil(0.01*500)=5, then D (40), C (68 left of 120): 5*.02+40*.25+68*.12
    assert steep.loc["optimised", "expected_found"] == pytest.approx(5 * 0.02 + 10 + 68 * 0.12)
    # the shortest decimals that give those counts: ceil(0.56 * 120) = 68
    assert steep.loc["optimised", "ratios"] == "A=0.01,B=0,C=0.56,D=1"
    for _, row in summary.iterrows():
        assert row["found_low"] <= row["found_mean"] <= row["found_high"]
        assert row["discovery_rate"] == pytest.approx(row["expected_found"] / row["inspections"])
        assert row["compliant_inspected"] == pytest.approx(
            row["inspections"] - row["expected_found"])
        assert abs(row["found_mean"] - row["expected_found"]) < 0.05 * row["expected_found"] + 1
    by_class = comparison.by_class.groupby(["ratio_set", "strategy"], sort=False)
    np.testing.assert_allclose(by_class["expected_found"].sum().to_numpy(),
                               summary["expected_found"].to_numpy())
    flat = summary[summary["ratio_set"] == "flat"].set_index("strategy")
    # a flat ratio set is as good as uniform sampling in expectation
    assert flat.loc["risk-weighted", "gain_over_uniform"] == pytest.approx(0, abs=0.02)
    assert steep.loc["risk-weighted", "gain_over_uniform"] > 0.5


def test_an_infeasible_optimised_allocation_is_a_note_not_a_failure():
    sets = [RatioSet("tiny", {"A": 0.002, "B": 0, "C": 0, "D": 0})]
    comparison = _compare(sets, floors={"D": 0.5}, reps=200)
    assert list(comparison.summary["strategy"]) == ["risk-weighted", "uniform"]
    assert comparison.notes == [
        "tiny: no optimised allocation of 1 inspections: the floors need 20 inspections but "
        "the budget is 1 (class D: floor 20)"
    ]


def test_recommendation_fills_floors_then_the_highest_rates():
    population = dict(zip(CLASSES, POPULATION.tolist(), strict=True))
    model = PrevalenceModel.fixed(CLASSES, [0.02, 0.05, 0.12, 0.25])
    rec = recommend(population, model, 100, floors={"A": 0.01, "B": 0.01})
    assert rec.counts == {"A": 5, "B": 3, "C": 52, "D": 40}
    assert rec.ratios == {"A": 0.01, "B": 0.01, "C": 0.43, "D": 1.0}
    assert rec.expected_found == pytest.approx(5 * 0.02 + 3 * 0.05 + 52 * 0.12 + 40 * 0.25)
    overall = (500 * 0.02 + 300 * 0.05 + 120 * 0.12 + 40 * 0.25) / 960
    assert rec.uniform_found == pytest.approx(100 * overall)
    assert rec.gain == pytest.approx(rec.expected_found - rec.uniform_found)
