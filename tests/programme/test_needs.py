"""The programme's rules at library level: batches, scenario keys, needs, ratios, caps."""

from __future__ import annotations

import datetime as dt
import math
from fractions import Fraction

import pandas as pd
import pytest

from planner.common.errors import ScenarioError
from planner.plan.inputs import load_plan
from planner.plan.scenario import load_scenario
from planner.programme.annual import plan_programme
from planner.programme.ledger import build_ledger
from planner.programme.needs import assess
from planner.programme.periods import batches
from planner.programme.select import exact_ratio, pick
from tests.support.data import enterprises_frame

PROGRAMME = """
[programme]
{body}
"""


def _year(make_scenario, body: str, *, mode: str = "", history=None, n: int = 40):
    extra = mode + PROGRAMME.format(body=body)
    path = make_scenario(enterprises=enterprises_frame(n), history=history, extra=extra)
    text = path.read_text(encoding="utf-8")
    text = text.replace("start = 2026-01-01", "start = 2027-01-01").replace(
        "end = 2026-03-31", "end = 2027-12-31")
    path.write_text(text, encoding="utf-8")
    return path


def test_equal_batches_cover_the_year_and_seeds_follow_the_rule(make_scenario):
    s = load_scenario(_year(make_scenario, "batches = 4"))
    bs = batches(s)
    # 365 days: 92 + 91 + 91 + 91, the remainder day to the first batch
    assert [b.start for b in bs] == [dt.date(2027, 1, 1), dt.date(2027, 4, 3),
                                      dt.date(2027, 7, 3), dt.date(2027, 10, 2)]
    assert bs[-1].end == dt.date(2027, 12, 31)
    assert all(b.end + dt.timedelta(days=1) == n.start for b, n in zip(bs, bs[1:], strict=False))
    assert [b.seed for b in bs] == [f"{s.plan.seed}/batch-{k}" for k in range(1, 5)]


@pytest.mark.parametrize(("body", "key", "message"), [
    ("min_gap_days = 10", "programme.batches", "give either batches = N or batch_dates"),
    ("batches = 2\nbatch_dates = [2027-01-01]", "programme.batches", "not both"),
    ("batch_dates = [2027-02-01]", "programme.batch_dates[0]", "must start on plan.start"),
    ("batch_dates = [2027-01-01, 2027-01-01]", "programme.batch_dates[1]", "must increase"),
    ("batches = 2\nbatch_seeds = ['x']", "programme.batch_seeds", r"one seed per batch \(2\)"),
    ("batches = 2\ncap_per_enterprise = 0", "programme.cap_per_enterprise", "at least 1"),
    ("batches = 2\nmin_gap_days = -1", "programme.min_gap_days", "must be >= 0"),
    ("batches = 2\nspread = 1", "programme.spread", "unknown key"),
])
def test_a_wrong_programme_table_names_its_key(make_scenario, body, key, message):
    with pytest.raises(ScenarioError, match=message) as err:
        load_scenario(_year(make_scenario, body))
    assert key in str(err.value)


def test_the_ratio_written_gives_exactly_the_count():
    for eligible in range(1, 120):
        for count in range(eligible + 1):
            r = exact_ratio(count, eligible)
            assert min(eligible, math.ceil(Fraction(repr(r)) * eligible)) == count
    assert exact_ratio(3, 7) == 0.4


FREQ = 'mode = "frequency"\nfrequency = {{ {table} }}\n'


def _needs(path, number=1, history_out=None):
    scenario, inputs = load_plan(path)
    bs = batches(scenario)
    ledger = build_ledger(inputs.history, history_out, bs, number)
    return scenario, inputs, assess(scenario, inputs.enterprises, ledger, bs, number)


def test_a_fractional_frequency_draws_the_extra_inspection_per_enterprise(make_scenario):
    path = (_year(make_scenario, "batches = 4",
                           mode=FREQ.format(table="A = 1.5, B = 1.5, C = 1.5, D = 1.5"), n=200))
    _, _, needs = _needs(path)
    targets = needs.frame["target"]
    assert set(targets) == {1, 2}
    assert 0.35 < (targets == 2).mean() < 0.65


def test_a_coverage_cycle_takes_its_share_of_the_year_without_repeats(make_scenario):
    path = (_year(make_scenario, "batches = 2\ncycle_start = 2027",
                           mode=FREQ.format(table="A = 0.25, B = 1, C = 2, D = 3"), n=120))
    scenario, inputs, needs = _needs(path)
    a = needs.classes["A"]
    assert a["kind"] == "cycle"
    assert a["year_target"] == math.ceil(a["enterprises"] / 4)
    assert a["count"] == math.ceil(a["year_target"] / 2)
    first = set(pick(needs).query("risk_class == 'A'")["enterprise_id"])
    assert len(first) == a["count"]


def test_a_cap_below_the_minimum_is_reported_by_enterprise_and_amount(make_scenario):
    ent = enterprises_frame(30)
    d = ent.loc[ent["risk_grade"] == "D", "enterprise_id"].iloc[0]
    history = pd.DataFrame({"enterprise_id": [d, d], "inspector_id": ["", ""],
                            "date": ["2027-01-01", "2027-01-02"], "result": ["", ""],
                            "task": ["OTHER-DEPT", "OTHER-DEPT"],
                            "department": ["消防", "税务"]})
    path = (_year(make_scenario, "batches = 4\ncap_per_enterprise = 3",
                           mode=FREQ.format(table="A = 1, B = 1, C = 2, D = 3"),
                           history=history, n=30))
    _, _, needs = _needs(path)
    row = needs.frame.set_index("enterprise_id").loc[d]
    assert (row["done"], row["done_all"], row["room"], row["owed"]) == (0, 2, 1, 3)
    assert {"enterprise_id": d, "risk_class": "D", "rule": "cap", "owed": 3, "possible": 1,
            "short": 2} in needs.conflicts


def test_the_annual_plan_spreads_each_class_over_the_batches(make_scenario, tmp_path):
    path = (_year(make_scenario, "batches = 4\nmin_gap_days = 30",
                           mode=FREQ.format(table="A = 1, B = 1, C = 2, D = 3"), n=80))
    summary = plan_programme(path, tmp_path / "out")
    for c, info in summary["classes"].items():
        total = sum(b["counts"][c] for b in summary["batches"])
        assert total == info["year_target"], c
    assert summary["unmet"] == []
    assert (tmp_path / "out" / "plan-notice.xlsx").is_file()


def test_the_second_year_of_a_cycle_covers_everyone_left_including_new_registrations(
        make_scenario):
    ent = enterprises_frame(60)
    a_ids = ent.loc[ent["risk_grade"] == "A", "enterprise_id"].tolist()
    covered = a_ids[: len(a_ids) // 2]
    history = pd.DataFrame({"enterprise_id": covered, "inspector_id": "",
                            "date": "2027-05-10", "result": ""})
    path = _year(make_scenario, "batches = 2\ncycle_start = 2027",
                 mode=FREQ.format(table="A = 0.5, B = 1"), history=history, n=60)
    path.write_text(path.read_text(encoding="utf-8").replace("2027-01-01", "2028-01-01")
                    .replace("2027-12-31", "2028-12-31"), encoding="utf-8")
    _, _, needs = _needs(path)
    a = needs.classes["A"]
    assert a["year_target"] == len(a_ids) - len(covered)  # the last year: all that is left
    candidates = set(needs.frame.loc[needs.frame["candidate"]
                                     & (needs.frame["risk_class"] == "A"), "enterprise_id"])
    assert candidates == set(a_ids) - set(covered)


def test_ratio_plans_spread_the_years_ratio_over_the_batches_without_repeats(make_scenario,
                                                                            tmp_path):
    from planner.app.batch import run_batch

    path = _year(make_scenario, "batches = 3", n=60)
    out = tmp_path / "out"
    samples = [pd.read_csv(run_batch(path, out, k, echo=lambda _l: None) / "sample.csv",
                           dtype=str) for k in (1, 2, 3)]
    drawn = pd.concat(samples, ignore_index=True)
    assert not drawn["enterprise_id"].duplicated().any()
    per_class = drawn.groupby("risk_class").size().to_dict()
    active = enterprises_frame(60)["risk_grade"].value_counts()
    for c, ratio in {"A": 0.1, "B": 0.2, "C": 0.5, "D": 1.0}.items():
        assert per_class.get(c, 0) == math.ceil(Fraction(str(ratio)) * int(active[c])), c


def test_the_projection_of_a_batch_is_the_batch_drawn(make_scenario, tmp_path):
    from planner.app.batch import run_batch
    from planner.programme.batch import batch_needs

    path = _year(make_scenario, "batches = 4\nmin_gap_days = 20",
                 mode='spread_over = "district"\n' + FREQ.format(table="A = 1, B = 1.5, D = 3"),
                 n=60)
    out = tmp_path / "out"
    for k in (1, 2):
        scenario, inputs = load_plan(path)
        needs, _ = batch_needs(scenario, inputs, out, k)
        projected = pick(needs, "district")
        folder = run_batch(path, out, k, echo=lambda _l: None)
        sample = pd.read_csv(folder / "sample.csv", dtype=str)
        assert sorted(projected["enterprise_id"]) == sorted(sample["enterprise_id"])
        assert (projected.groupby("stratum").size().to_dict()
                == sample.groupby("stratum").size().to_dict())
    assert any("/东区" in s for s in sample["stratum"])
    assert any(s.endswith("/included") for s in sample["stratum"])  # batch 2 has must-draws
