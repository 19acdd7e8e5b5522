"""max_pair_probability holds by construction: exact admission odds, and 200 seeds.

The bound comes from the thinning step alone (a pair that is not admitted cannot be
assigned), so it is tested twice: exactly, by enumerating every offset of the systematic
sample; and end to end, by planning one instance under 200 seeds and counting how often
each inspector-enterprise pair occurs.

Margin for the 200-seed test: each pair's count is a sum of 200 independent draws with
success probability at most q, so it is stochastically below Binomial(200, q). With M
pairs in the instance, the union bound gives
``P(some pair count >= k) <= M * P(Binomial(200, q) >= k)``; ``k`` is the least count
that makes this at most 1e-6. The seeds are fixed, so the test is deterministic; the
margin says how unlikely a pass would be if the bound were false by chance alone. The
instance is built so that, without the bound, one pair occurs under every seed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom

from planner.assign.check import check_plan
from planner.assign.slots import slot_tree
from planner.assign.thinning import SCALE, quantised, systematic, thin
from tests.support.assign import plan_for_seeds, setup
from tests.support.data import enterprises_frame, inspectors_frame

SEEDS = [f"public-seed-{k}" for k in range(200)]


def count_threshold(n: int, q: float, pairs: int, alpha: float = 1e-6) -> int:
    """Least k with pairs * P(Binomial(n, q) >= k) <= alpha."""
    k = int(binom.isf(alpha / pairs, n, q)) + 1
    assert pairs * binom.sf(k - 1, n, q) <= alpha
    return k


@pytest.mark.parametrize("q", [0.1, 0.25, 0.3, 0.5, 0.75, 1.0])
def test_systematic_admission_is_exactly_q_for_every_position(q):
    width = quantised(q)
    assert width == round(q * SCALE)  # the decimal q, exactly
    u = np.arange(SCALE, dtype=np.int64)  # every offset
    for position in range(12):
        chosen = systematic(np.full(SCALE, position, dtype=np.int64), np.int64(width),
                            np.int64(SCALE), u)
        assert chosen.sum() == width


@pytest.mark.parametrize("q,sizes", [(0.5, (3, 5)), (0.3, (4, 7)), (0.1, (10, 30)),
                                     (0.25, (4, 4, 8))])
def test_thinning_meets_every_lower_bound_that_q_allows(q, sizes):
    # Classes of the given sizes for one enterprise; each run of a class keeps at least
    # floor(q * size) of it, under every seed.
    tree = slot_tree(2, True, ()) if len(sizes) == 2 else slot_tree(
        3, False, ("A", "B", "C"))
    cls = np.concatenate([np.full(s, c) for c, s in enumerate(sizes)])
    mask = np.ones((1, len(cls)), dtype=bool)
    kept_total = []
    for k in range(300):
        th = thin(mask, cls, tree, q, np.random.default_rng(k), np.random.default_rng(1000 + k),
                  1000)
        kept = cls[th.admitted[0]]
        for c, s in enumerate(sizes):
            assert (kept == c).sum() >= int(q * s + 1e-9)
        assert not (th.working & ~th.admitted).any()
        kept_total.append(len(kept))
    assert set(kept_total) <= {int(q * len(cls)), int(q * len(cls)) + 1}


def test_thinning_admits_each_pair_with_probability_q_and_keeps_a_small_working_set():
    tree = slot_tree(2, True, ())
    cls = np.array([0] * 30 + [1] * 70)
    mask = np.ones((400, 100), dtype=bool)
    mask[:, 7] = False  # not a candidate: never admitted
    th = thin(mask, cls, tree, 0.5, np.random.default_rng(3), np.random.default_rng(4), 1000,
              working_set=12)
    assert not th.admitted[:, 7].any()
    rate = th.admitted[:, np.arange(100) != 7].mean(axis=0)
    assert abs(rate.mean() - 0.5) < 0.01 and rate.max() < 0.62  # 400 draws per pair
    per_row = th.working.sum(axis=1)
    assert abs(per_row.mean() - 12) < 1.5 and per_row.min() >= 4
    lead = th.working[:, cls == 0].sum(axis=1)
    assert lead.min() >= 2  # the team_size cheapest of each class at least
    # Every admitted pair left out costs at least as much as every kept one of its class.
    for row in range(0, 400, 37):
        for c in (0, 1):
            cols = cls == c
            kept = th.cost[row, cols][th.working[row, cols]]
            out = th.cost[row, cols][th.admitted[row, cols] & ~th.working[row, cols]]
            assert not len(out) or out.min() >= kept.max()


def pair_instance(make_scenario, tmp_path, q: float | None):
    """Ten enterprises, five inspectors; P000 may only inspect the first enterprise.

    Balance pulls P000 onto that enterprise whenever it is admitted: without a bound the
    pair (E0, P000) occurs under every seed.
    """
    ent = enterprises_frame(10)
    insp = inspectors_frame(5)
    insp["can_lead"] = ["是", "是", "否", "是", "否"]
    insp["capacity"] = "10"
    avoid = pd.DataFrame({"inspector_id": "P000", "enterprise_id": ent["enterprise_id"][1:]})
    extra = f"[assignment]\nmax_pair_probability = {q}\n" if q is not None else ""
    return setup(make_scenario, tmp_path, enterprises=ent, inspectors=insp, avoidance=avoid,
                 extra=extra), ent


def pair_counts(scenario, inputs, sample, seeds=SEEDS) -> pd.Series:
    frames = [a for _, a in plan_for_seeds(scenario, inputs, sample, seeds)]
    seats = pd.concat(frames)
    return seats.groupby(["enterprise_id", "inspector_id"]).size()


def test_without_a_bound_the_attracted_pair_occurs_under_every_seed(make_scenario, tmp_path):
    (scenario, inputs, out), ent = pair_instance(make_scenario, tmp_path, None)
    sample = pd.read_csv(out / "sample.csv", dtype=str)
    counts = pair_counts(scenario, inputs, sample.iloc[:, :1], SEEDS[:50])
    assert counts[(ent["enterprise_id"][0], "P000")] == 50


def test_max_pair_probability_holds_over_200_seeds(make_scenario, tmp_path):
    q = 0.5
    (scenario, inputs, out), ent = pair_instance(make_scenario, tmp_path, q)
    sample = pd.read_csv(out / "sample.csv", dtype=str)
    counts = pair_counts(scenario, inputs, sample)
    possible = 10 * 5 - 9  # every pair but the nine avoided ones
    limit = count_threshold(len(SEEDS), q, possible)
    assert limit / len(SEEDS) < 0.7  # the margin is tight enough to catch the unbounded 1.0
    attracted = counts[(ent["enterprise_id"][0], "P000")]
    assert attracted < limit
    assert counts.max() < limit
    # The attracted pair sits at the bound itself: balance takes P000 whenever admitted.
    assert abs(attracted / len(SEEDS) - q) < 0.12
    # Every plan under every seed is valid (checked on the last one written to disk).
    from planner.app.assign import assign_stage

    assign_stage(scenario, inputs, out)
    assert check_plan(scenario, inputs, out).ok


def test_pair_bound_with_mixed_leads_and_cross_station(make_scenario, tmp_path):
    q = 0.4
    ent = enterprises_frame(12)
    insp = inspectors_frame(12)
    insp["can_lead"] = ["是", "是", "否"] * 4
    scenario, inputs, out = setup(make_scenario, tmp_path, enterprises=ent, inspectors=insp,
                                  extra=f"[assignment]\nmax_pair_probability = {q}\n"
                                        "cross_station = true\n")
    sample = pd.read_csv(out / "sample.csv", dtype=str)
    counts = pair_counts(scenario, inputs, sample)
    limit = count_threshold(len(SEEDS), q, 12 * 9)
    assert counts.max() < limit
    assert counts.max() / len(SEEDS) > 0.2  # pairs do recur: the test is not vacuous
