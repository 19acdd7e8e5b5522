"""The multi-quarter loop: equal to the one-quarter model without regrading, and what it reports."""

from __future__ import annotations

import numpy as np
import pandas as pd
from click.testing import CliRunner

from planner.cli import cli
from planner.simulate.loop import LoopSettings, quarter_seed, simulate_loop
from planner.simulate.montecarlo import PrevalenceModel, simulate_found

CLASSES = ("A", "B", "C", "D")


def settings(**kw) -> LoopSettings:
    base = dict(classes=CLASSES, population=np.array([400, 300, 120, 40]),
                prevalence=np.array([0.02, 0.05, 0.12, 0.25]),
                ratios=np.array([0.05, 0.1, 0.5, 1.0]), quarters=5, reps=400, seed="loop-test")
    return LoopSettings(**{**base, **kw})


def test_without_regrading_each_quarter_is_the_one_quarter_model():
    s = settings(regrade=False, trend=-0.1)
    loop = simulate_loop(s)
    n = s.allocation(s.population)
    for q in range(s.quarters):
        one = simulate_found(s.population, PrevalenceModel.fixed(CLASSES, s.rates(q)),
                             n[None, :], np.array([n.sum()]), reps=s.reps,
                             seed=quarter_seed(s.seed, q))
        np.testing.assert_array_equal(loop.metric("found")[q], one.found[0])
        np.testing.assert_array_equal(loop.violators_by_class[q], one.violators_by_class)
        np.testing.assert_array_equal(loop.metric("found", "uniform")[q], one.uniform_found[0])
        np.testing.assert_array_equal(loop.found_by_class[q].mean(axis=0),
                                      one.found_by_class_mean[0])
    # The quarters differ (their own streams; rates falling 10 % a quarter).
    assert not np.array_equal(loop.metric("found")[0], loop.metric("found")[1])
    assert loop.metric("found").mean(axis=1)[-1] < loop.metric("found").mean(axis=1)[0]


def test_same_seed_same_numbers_other_seed_other_numbers():
    a, b = simulate_loop(settings(drift=0.1)), simulate_loop(settings(drift=0.1))
    np.testing.assert_array_equal(a.values, b.values)
    c = simulate_loop(settings(drift=0.1, seed="other"))
    assert not np.array_equal(a.values, c.values)


def test_regrading_moves_found_violators_up_and_clean_inspections_down():
    # One quarter of regrading decides the second quarter's class sizes: a class loses its
    # inspected enterprises and gains those moved into it; the total never changes.
    s = settings(quarters=2, reps=50, up=1, down=-1)
    loop = simulate_loop(s)
    first_total = loop.metric("inspections")[0]
    assert (first_total == s.allocation(s.population).sum()).all()
    # Every D enterprise is inspected; the clean ones move to C, so quarter 2 inspects fewer.
    assert (loop.metric("inspections")[1] < first_total).all()
    without = simulate_loop(settings(quarters=2, reps=50, regrade=False))
    np.testing.assert_array_equal(without.metric("inspections")[1], first_total)


def test_metrics_are_consistent():
    loop = simulate_loop(settings(drift=0.05))
    for strategy in ("risk-weighted", "uniform"):
        total = loop.metric("inspections", strategy)
        found = loop.metric("found", strategy)
        np.testing.assert_array_equal(loop.metric("compliant_inspected", strategy), total - found)
        np.testing.assert_allclose(loop.metric("discovery_rate", strategy), found / total)
        share = loop.metric("share_found", strategy)
        assert ((share >= 0) & (share <= 1)).all()
    # Same total each quarter and replication for both strategies.
    np.testing.assert_array_equal(loop.metric("inspections"),
                                  loop.metric("inspections", "uniform"))
    # Risk-weighted drawing finds more than uniform in the first quarter.
    assert loop.metric("found")[0].mean() > 1.5 * loop.metric("found", "uniform")[0].mean()


def test_summary_has_intervals_around_the_mean():
    table = simulate_loop(settings()).summary(0.9)
    assert table[["quarter", "strategy"]].values.tolist()[:2] == [[1, "risk-weighted"],
                                                                 [1, "uniform"]]
    assert len(table) == 10
    assert (table["found_low"] <= table["found"]).all()
    assert (table["found"] <= table["found_high"]).all()


def test_cli_writes_table_workbook_and_chart(make_scenario, tmp_path):
    extra = "[simulation]\nprevalence = { A = 0.02, B = 0.05, C = 0.12, D = 0.25 }\nreps = 200\n"
    path = make_scenario(extra=extra)
    outs = []
    for name in ("one", "two"):
        r = CliRunner().invoke(cli, ["simulate", str(path), "-o", str(tmp_path / name),
                                     "--quarters", "3", "--drift", "0.1"])
        assert r.exit_code == 0, r.output
        outs.append(tmp_path / name)
    assert "Loop: 3 quarter(s) x 200 replications, 40 enterprises" in r.stdout
    for name in ("loop.csv", "loop.xlsx", "loop.png"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes()
    table = pd.read_csv(outs[0] / "loop.csv")
    assert table["quarter"].tolist() == [1, 1, 2, 2, 3, 3]
    assert "violators_in_top_high" in table.columns

    r = CliRunner().invoke(cli, ["simulate", str(path), "-o", str(tmp_path / "x"),
                                 "--quarters", "2", "--optimise"])
    assert r.exit_code == 2
    assert "--quarters draws with [sampling] ratios; it does not take --ratios" in r.output
    bare = make_scenario(name="bare.toml")
    r = CliRunner().invoke(cli, ["simulate", str(bare), "-o", str(tmp_path / "y"),
                                 "--quarters", "2"])
    assert r.exit_code == 2
    assert ("bare.toml: simulation.prevalence: the loop needs a problem rate for every class; "
            "missing A, B, C, D") in r.stderr


def _enterprise_level(s: LoopSettings, rng: np.random.Generator) -> np.ndarray:
    """The same process simulated enterprise by enterprise: found per quarter and strategy."""
    k = len(s.classes)
    out = np.zeros((s.reps, s.quarters, 2))
    for r in range(s.reps):
        cls = [np.repeat(np.arange(k), s.population) for _ in range(2)]
        kind = [c.copy() for c in cls]
        for q in range(s.quarters):
            rates = s.rates(q)
            total = 0
            for arm in range(2):
                violates = rng.random(len(cls[arm])) < rates[kind[arm]]
                if arm == 0:
                    picked = np.zeros(len(cls[0]), dtype=bool)
                    n = s.allocation(np.bincount(cls[0], minlength=k))
                    total = n.sum()
                    for c in range(k):
                        members = np.flatnonzero(cls[0] == c)
                        picked[rng.choice(members, n[c], replace=False)] = True
                else:
                    picked = np.zeros(len(cls[1]), dtype=bool)
                    picked[rng.choice(len(cls[1]), total, replace=False)] = True
                found = picked & violates
                out[r, q, arm] = found.sum()
                if s.regrade:
                    step = np.where(found, s.up, np.where(picked, s.down, 0))
                    cls[arm] = np.clip(cls[arm] + step, 0, k - 1)
                moving = rng.random(len(kind[arm])) < s.drift
                way = np.where(rng.random(len(kind[arm])) < 0.5, 1, -1)
                kind[arm] = np.clip(kind[arm] + moving * way, 0, k - 1)
    return out


def test_counts_model_agrees_with_an_enterprise_by_enterprise_simulation():
    s = settings(population=np.array([30, 20, 10]), prevalence=np.array([0.05, 0.2, 0.5]),
                 ratios=np.array([0.2, 0.4, 1.0]), classes=("A", "B", "C"), quarters=3,
                 reps=3000, drift=0.2)
    counts = simulate_loop(s)
    naive = _enterprise_level(settings(**{**s.__dict__, "reps": 1500}),
                              np.random.default_rng(7))
    for arm, strategy in enumerate(("risk-weighted", "uniform")):
        model = counts.metric("found", strategy)
        for q in range(s.quarters):
            sample = naive[:, q, arm]
            se = np.hypot(model[q].std() / np.sqrt(s.reps), sample.std() / np.sqrt(len(sample)))
            assert abs(model[q].mean() - sample.mean()) < 4 * se, (strategy, q)


def test_a_points_scheme_is_simulated_one_class_per_result_and_says_so(tmp_path):
    from pathlib import Path

    from planner.plan.scenario import load_scenario
    from planner.simulate.loopstage import POINTS_NOTE

    scenario = Path(__file__).resolve().parents[2] / "scenarios" / "shaanxi-100.toml"
    scn = load_scenario(scenario)
    assert scn.regrade.points and not scn.regrade.levels
    r = CliRunner().invoke(cli, ["simulate", str(scenario), "-o", str(tmp_path / "on"),
                                 "--quarters", "1", "--reps", "5"])
    assert r.exit_code == 0, r.output
    assert r.output.splitlines()[0] == POINTS_NOTE
    assert "regrading on (problem +1, clean -1)" in r.output
    off = CliRunner().invoke(cli, ["simulate", str(scenario), "-o", str(tmp_path / "off"),
                                   "--quarters", "1", "--reps", "5", "--no-regrade"])
    assert off.exit_code == 0, off.output
    assert POINTS_NOTE not in off.output
