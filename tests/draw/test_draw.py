"""The draw: allocation modes, strata, capacity, weighting, files, replacements, the CLI."""

import csv
import io
import json
import math
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from planner.app.draw import draw_stage
from planner.cli import cli
from planner.common.errors import InfeasiblePlanError, ScenarioError
from planner.draw import tickets
from planner.draw.compute import SAMPLE_COLUMNS, compute_draw
from planner.plan.inputs import load_inputs
from planner.plan.scenario import load_scenario
from tests.support.data import enterprises_frame, inspectors_frame


def loaded(path):
    scenario = load_scenario(path)
    return scenario, load_inputs(scenario)


def read_sample(out):
    with open(Path(out) / "sample.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def class_counts(rows):
    counts = {}
    for r in rows:
        counts[r["risk_class"]] = counts.get(r["risk_class"], 0) + 1
    return counts


def big_roster():
    return inspectors_frame(40)  # capacity 20 each: 400 inspections with teams of 2


def test_draw_writes_the_sample_with_the_published_ticket(make_scenario, tmp_path):
    scenario, inputs = loaded(make_scenario(enterprises=enterprises_frame(80)))
    result = draw_stage(scenario, inputs, tmp_path / "out")
    text = (tmp_path / "out" / "sample.csv").read_text(encoding="utf-8")
    assert text.splitlines()[0] == ",".join(SAMPLE_COLUMNS)
    rows = read_sample(tmp_path / "out")
    # 80 enterprises, 20 per class; ratios A 0.1, B 0.2, C 0.5, D 1.0
    assert class_counts(rows) == {"A": 2, "B": 4, "C": 10, "D": 20}
    names = dict(zip(inputs.enterprises["enterprise_id"], inputs.enterprises["name"],
                     strict=True))
    for r in rows:
        assert float(r["ticket"]) == tickets.ticket("test-seed", r["enterprise_id"])
        assert repr(float(r["ticket"])) == r["ticket"]
        assert r["name"] == names[r["enterprise_id"]]
        assert r["stratum"] == r["risk_class"]
    # each stratum holds exactly the n lowest tickets of its eligible members, ranked 1..n
    ent = inputs.enterprises
    for c, n in {"A": 2, "B": 4, "C": 10, "D": 20}.items():
        members = ent.loc[ent["risk_class"] == c, "enterprise_id"]
        lowest = sorted(members, key=lambda e: tickets.digest_hex("test-seed", e))[:n]
        got = [r["enterprise_id"] for r in rows if r["stratum"] == c]
        assert got == lowest
        assert [int(r["rank"]) for r in rows if r["stratum"] == c] == list(range(1, n + 1))
    assert any(line.startswith("Draw: seed 'test-seed', mode ratios; 80 of 80")
               for line in result.summary_lines())


def test_ratios_use_the_ceiling_of_the_written_decimal(make_scenario):
    ent = enterprises_frame(400)  # 100 per class
    path = make_scenario(enterprises=ent, inspectors=big_roster())
    text = path.read_text(encoding="utf-8").replace(
        "ratios = { A = 0.1, B = 0.2, C = 0.5, D = 1.0 }",
        "ratios = { A = 0.03, B = 0.051, C = 0.333, D = 0.8 }")
    path.write_text(text, encoding="utf-8")
    draw = compute_draw(*loaded(path))
    assert draw.quotas.drawn == {"A": 3, "B": 6, "C": 34, "D": 80}
    assert draw.original.groupby("risk_class").size().to_dict() == draw.quotas.drawn


def test_frequency_mode_turns_annual_frequency_into_this_periods_counts(make_scenario):
    path = make_scenario(enterprises=enterprises_frame(400), inspectors=big_roster())
    text = path.read_text(encoding="utf-8").replace(
        "ratios = { A = 0.1, B = 0.2, C = 0.5, D = 1.0 }",
        'mode = "frequency"\nfrequency = { A = 0.5, B = 1, C = 2, D = 3 }')
    path.write_text(text, encoding="utf-8")
    draw = compute_draw(*loaded(path))
    days = 90  # 2026-01-01 to 2026-03-31
    expected = {c: min(100, math.ceil(f * 100 * days / 365))
                for c, f in {"A": 0.5, "B": 1, "C": 2, "D": 3}.items()}
    assert expected == {"A": 13, "B": 25, "C": 50, "D": 74}
    assert draw.quotas.drawn == expected
    assert draw.original.groupby("risk_class").size().to_dict() == expected


def test_budget_mode_maximises_expected_problems_within_floors_and_caps(make_scenario):
    path = make_scenario(enterprises=enterprises_frame(400), inspectors=big_roster())
    text = path.read_text(encoding="utf-8").replace(
        "ratios = { A = 0.1, B = 0.2, C = 0.5, D = 1.0 }",
        'mode = "budget"\nbudget = 120\nfloors = { A = 0.02, B = 0.05 }\n'
        "caps = { D = 0.6 }\n\n[simulation]\nprevalence = { A = 0.02, B = 0.05, C = 0.12, D = 0.25 }")
    path.write_text(text, encoding="utf-8")
    draw = compute_draw(*loaded(path))
    # floors A 2, B 5; then D (highest prevalence) up to its cap 60; then C takes the rest 53
    assert draw.quotas.drawn == {"A": 2, "B": 5, "C": 53, "D": 60}
    assert sum(draw.quotas.drawn.values()) == 120


def test_budget_mode_without_prevalence_names_the_key(make_scenario):
    path = make_scenario()
    text = path.read_text(encoding="utf-8").replace(
        "ratios = { A = 0.1, B = 0.2, C = 0.5, D = 1.0 }", 'mode = "budget"\nbudget = 10')
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"simulation.prevalence: mode 'budget' needs"):
        load_scenario(path)
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 2
    assert "simulation.prevalence: mode 'budget' needs the per-class prevalence" in result.output


def test_annual_cap_must_allow_an_inspection(make_scenario):
    path = make_scenario(extra="annual_cap = { B = 0 }")
    with pytest.raises(ScenarioError, match=r"sampling.annual_cap.B: must be at least 1"):
        load_scenario(path)


def test_spread_over_districts_by_largest_remainder(make_scenario):
    ent = enterprises_frame(96)  # 24 per class, districts alternate
    ent.loc[ent.index[:30], "district"] = "北区"
    path = make_scenario(enterprises=ent, extra='spread_over = "district"')
    draw = compute_draw(*loaded(path))
    strata = draw.quotas.strata
    for c in "ABCD":
        own = {s: v for s, v in strata.items() if v["class"] == c}
        assert sum(v["drawn"] for v in own.values()) == draw.quotas.drawn[c]
        assert sum(v["eligible"] for v in own.values()) == 24
        assert all(s == f"{c}/{v['district']}" for s, v in own.items())
        # largest remainder: each district's share is its exact quota rounded up or down
        for v in own.values():
            exact = draw.quotas.drawn[c] * v["eligible"] / 24
            assert math.floor(exact) <= v["drawn"] <= math.ceil(exact)
    assert draw.quotas.drawn == {"A": 3, "B": 5, "C": 12, "D": 24}
    got = draw.original.groupby("stratum").size().to_dict()
    assert got == {s: v["drawn"] for s, v in strata.items() if v["drawn"]}
    assert {v["district"] for v in strata.values()} == {"北区", "东区", "西区"}


def short_roster_scenario(make_scenario, extra=""):
    roster = inspectors_frame(4)
    roster["capacity"] = [5, 5, 5, 5]  # 20 seats / team 2 = 10 inspections
    return make_scenario(enterprises=enterprises_frame(40), inspectors=roster, extra=extra)


def test_short_capacity_says_by_how_much(make_scenario, tmp_path):
    path = short_roster_scenario(make_scenario)
    with pytest.raises(InfeasiblePlanError) as info:
        compute_draw(*loaded(path))
    assert str(info.value).startswith(
        "the roster can staff 10 inspections (4 eligible inspectors, 20 inspection seats / "
        "team size 2) but the allocation needs 18: 8 short")
    result = CliRunner().invoke(cli, ["draw", str(path), "-o", str(tmp_path / "o")])
    assert result.exit_code == 3
    assert "8 short" in result.output and 'on_short_capacity = "scale-down"' in result.output
    assert not (tmp_path / "o" / "sample.csv").exists()


def test_scale_down_takes_from_the_lowest_risk_classes_first(make_scenario, tmp_path):
    # 10 per class: allocation A 1, B 2, C 5, D 10 (ratio 1.0: mandatory, never scaled)
    path = short_roster_scenario(make_scenario, extra='on_short_capacity = "scale-down"')
    draw = compute_draw(*loaded(path))
    assert draw.quotas.allocated == {"A": 1, "B": 2, "C": 5, "D": 10}
    assert draw.quotas.drawn == {"A": 0, "B": 0, "C": 0, "D": 10}
    assert draw.quotas.capacity.scaled_down == {"A": 1, "B": 2, "C": 5}
    result = CliRunner().invoke(cli, ["draw", str(short_roster_scenario(make_scenario)),
                                      "-o", str(tmp_path / "o"), "--scale-down"])
    assert result.exit_code == 0, result.output
    assert "8 short: scaled down the lowest-risk classes (A -1, B -2, C -5)" in result.output
    record = json.loads((tmp_path / "o" / "draw-record.json").read_text(encoding="utf-8"))
    assert record["parameters"]["sampling"]["on_short_capacity"] == "scale-down"


def test_scale_down_cannot_drop_mandatory_inspections(make_scenario):
    roster = inspectors_frame(4)
    roster["capacity"] = [2, 2, 2, 2]  # 4 inspections, class D alone needs 10
    path = make_scenario(enterprises=enterprises_frame(40), inspectors=roster,
                         extra='on_short_capacity = "scale-down"')
    with pytest.raises(InfeasiblePlanError, match="even the mandatory inspections"):
        compute_draw(*loaded(path))


def test_weighted_selection_orders_by_weighted_key(make_scenario, tmp_path):
    ent = enterprises_frame(200)
    ent["points"] = [str(1 + (i * 7) % 11) for i in range(200)]
    path = make_scenario(enterprises=ent, extra='weight_by = "points"')
    draw = compute_draw(*loaded(path))
    pool = draw.pool
    for c, n in draw.quotas.drawn.items():
        members = pool[pool["risk_class"] == c]
        weights = dict(zip(ent["enterprise_id"], ent["points"].astype(float), strict=True))
        keys = {e: tickets.weighted_key([tickets.ticket("test-seed", e)], [weights[e]])[0]
                for e in members["enterprise_id"]}
        expect = sorted(keys, key=keys.get)[:n]
        assert draw.original.loc[draw.original["risk_class"] == c,
                                 "enterprise_id"].tolist() == expect
    draw_stage(*loaded(path), tmp_path / "w")
    record = json.loads((tmp_path / "w" / "draw-record.json").read_text(encoding="utf-8"))
    assert "-log1p(-ticket) / points" in record["ticket"]


def test_weight_column_must_hold_numbers(make_scenario):
    ent = enterprises_frame(20)
    ent["points"] = ["3"] * 19 + ["many"]
    path = make_scenario(enterprises=ent, extra='weight_by = "points"')
    with pytest.raises(Exception) as info:
        compute_draw(*loaded(path))
    assert "row 21, column 'points': weight must be a number >= 0" in str(info.value)
    missing = make_scenario(extra='weight_by = "积分"', name="other.toml")
    with pytest.raises(ScenarioError, match="sampling.weight_by: the enterprises file has no"):
        compute_draw(*loaded(missing))


def test_record_holds_what_the_draw_needs(make_scenario, tmp_path):
    path = make_scenario(enterprises=enterprises_frame(40))
    scenario, inputs = loaded(path)
    draw_stage(scenario, inputs, tmp_path / "out")
    record = json.loads((tmp_path / "out" / "draw-record.json").read_text(encoding="utf-8"))
    assert record["seed"] == "test-seed"
    assert record["plan"]["id"] == "T-2026-Q1"
    assert record["program"]["version"] == __import__("planner").__version__
    assert {k: v["sha256"] for k, v in record["inputs"].items()} == inputs.hashes
    assert record["parameters"]["sampling"]["ratios"] == {"A": 0.1, "B": 0.2, "C": 0.5, "D": 1.0}
    assert record["strata"]["C"] == {"class": "C", "district": None, "eligible": 10, "drawn": 5}
    rows = read_sample(tmp_path / "out")
    assert len(record["drawn"]) == len(rows)
    for d in record["drawn"]:
        assert d["digest"] == tickets.digest_hex("test-seed", d["enterprise_id"])
        assert d["ticket"] == tickets.ticket("test-seed", d["enterprise_id"])
    assert record["replacements"] == []


def test_same_inputs_give_byte_identical_files(make_scenario, tmp_path):
    path = make_scenario(enterprises=enterprises_frame(60))
    for out in ("a", "b"):
        draw_stage(*loaded(path), tmp_path / out)
    for name in ("sample.csv", "eligible.csv", "draw-record.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_eligible_csv_lists_the_pool_in_draw_order(make_scenario, tmp_path):
    path = make_scenario(enterprises=enterprises_frame(40))
    draw_stage(*loaded(path), tmp_path / "out")
    pool = pd.read_csv(tmp_path / "out" / "eligible.csv", dtype=str)
    assert list(pool.columns) == ["enterprise_id", "stratum"]
    assert len(pool) == 40
    for _, group in pool.groupby("stratum", sort=False):
        digests = [tickets.digest_hex("test-seed", e) for e in group["enterprise_id"]]
        assert digests == sorted(digests)


def test_replacement_takes_the_next_lowest_ticket_of_the_stratum(make_scenario, tmp_path):
    path = make_scenario(enterprises=enterprises_frame(80))
    out = tmp_path / "out"
    runner = CliRunner()
    assert runner.invoke(cli, ["draw", str(path), "-o", str(out)]).exit_code == 0
    before = read_sample(out)
    record_before = json.loads((out / "draw-record.json").read_text(encoding="utf-8"))
    b_rows = [r for r in before if r["stratum"] == "B"]
    gone = [b_rows[0]["enterprise_id"], b_rows[2]["enterprise_id"]]
    result = runner.invoke(cli, ["draw", str(path), "-o", str(out), "--replace",
                                 f"{gone[0]}, {gone[1].lower()}", "--reason", "已注销"])
    assert result.exit_code == 0, result.output
    pool = pd.read_csv(out / "eligible.csv", dtype=str)
    b_pool = pool.loc[pool["stratum"] == "B", "enterprise_id"].tolist()
    n = len(b_rows)
    assert f"Replaced {gone[0]} by {b_pool[n]} (stratum B, rank {n + 1}): 已注销" in result.output
    assert f"Replaced {gone[1]} by {b_pool[n + 1]} (stratum B, rank {n + 2}): 已注销" \
        in result.output
    after = read_sample(out)
    ids = [r["enterprise_id"] for r in after]
    assert not set(gone) & set(ids)
    assert b_pool[n] in ids and b_pool[n + 1] in ids
    assert len(after) == len(before)
    record = json.loads((out / "draw-record.json").read_text(encoding="utf-8"))
    assert record["drawn"] == record_before["drawn"]  # the original draw is kept
    assert [(r["enterprise_id"], r["replaced_by"], r["reason"]) for r in
            record["replacements"]] == [(gone[0], b_pool[n], "已注销"),
                                        (gone[1], b_pool[n + 1], "已注销")]
    # a second round continues down the same list
    result = runner.invoke(cli, ["draw", str(path), "-o", str(out), "--replace", b_pool[n],
                                 "--reason", "无法联系"])
    assert result.exit_code == 0, result.output
    record = json.loads((out / "draw-record.json").read_text(encoding="utf-8"))
    assert record["replacements"][-1]["replaced_by"] == b_pool[n + 2]
    # drawing again keeps the recorded replacements while the draw is unchanged
    replaced = (out / "sample.csv").read_bytes()
    result = runner.invoke(cli, ["draw", str(path), "-o", str(out)])
    assert "Re-applied 3 recorded replacement(s)." in result.output
    assert (out / "sample.csv").read_bytes() == replaced
    assert len(json.loads((out / "draw-record.json").read_text())["replacements"]) == 3


def test_replace_needs_reason_and_a_drawn_enterprise(make_scenario, tmp_path):
    path = make_scenario()
    out = tmp_path / "out"
    runner = CliRunner()
    result = runner.invoke(cli, ["draw", str(path), "-o", str(out), "--replace", "X"])
    assert result.exit_code == 2
    assert "--replace and --reason go together" in result.output
    result = runner.invoke(cli, ["draw", str(path), "-o", str(out), "--replace", "X",
                                 "--reason", "closed"])
    assert result.exit_code == 2
    assert "no draw record here; run planner draw SCENARIO" in result.output
    assert runner.invoke(cli, ["draw", str(path), "-o", str(out)]).exit_code == 0
    not_drawn = pd.read_csv(out / "eligible.csv", dtype=str).query("stratum == 'A'")
    last = not_drawn["enterprise_id"].iloc[-1]
    result = runner.invoke(cli, ["draw", str(path), "-o", str(out), "--replace", last,
                                 "--reason", "closed"])
    assert result.exit_code == 2
    assert f"error: --replace: is not in the current sample; only drawn enterprises can be " \
        f"replaced (see sample.csv) (value '{last}')" in result.output


def test_replacement_in_an_exhausted_stratum_is_recorded_without_a_successor(
        make_scenario, tmp_path):
    path = make_scenario(enterprises=enterprises_frame(40))
    out = tmp_path / "out"
    runner = CliRunner()
    runner.invoke(cli, ["draw", str(path), "-o", str(out)])
    d_row = next(r for r in read_sample(out) if r["stratum"] == "D")  # D is drawn whole
    result = runner.invoke(cli, ["draw", str(path), "-o", str(out), "--replace",
                                 d_row["enterprise_id"], "--reason", "迁出"])
    assert result.exit_code == 0
    assert f"Removed {d_row['enterprise_id']}: stratum D has no enterprise left" in result.output
    assert d_row["enterprise_id"] not in [r["enterprise_id"] for r in read_sample(out)]


def test_another_seed_gives_another_sample(make_scenario, tmp_path):
    path = make_scenario(enterprises=enterprises_frame(200))
    draw_stage(*loaded(path), tmp_path / "one")
    path.write_text(path.read_text(encoding="utf-8").replace('seed = "test-seed"',
                                                             'seed = "other-seed"'),
                    encoding="utf-8")
    draw_stage(*loaded(path), tmp_path / "two")
    one, two = read_sample(tmp_path / "one"), read_sample(tmp_path / "two")
    assert class_counts(one) == class_counts(two)
    a = {r["enterprise_id"] for r in one if r["risk_class"] != "D"}
    b = {r["enterprise_id"] for r in two if r["risk_class"] != "D"}
    assert a != b


def test_planner_run_validates_and_draws(make_scenario, tmp_path):
    path = make_scenario(enterprises=enterprises_frame(40))
    result = CliRunner().invoke(cli, ["run", str(path), "-o", str(tmp_path / "out")])
    assert "Draw: seed 'test-seed', mode ratios; 40 of 40 enterprises eligible" in result.output
    assert (tmp_path / "out" / "sample.csv").is_file()
    assert (tmp_path / "out" / "draw-record.json").is_file()


def test_sample_csv_is_valid_csv_with_awkward_names(make_scenario, tmp_path):
    ent = enterprises_frame(8)
    ent["name"] = ['有限公司,"甲"', "=HYPERLINK()", "乙\n丙", "丁", "戊", "己", "庚", "辛"]
    ent["risk_grade"] = "D"
    draw_stage(*loaded(make_scenario(enterprises=ent)), tmp_path / "out")
    rows = read_sample(tmp_path / "out")
    assert sorted(r["name"] for r in rows) == sorted(ent["name"])
    text = (tmp_path / "out" / "sample.csv").read_text(encoding="utf-8")
    assert list(csv.reader(io.StringIO(text)))[0] == list(SAMPLE_COLUMNS)
