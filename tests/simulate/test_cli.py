"""``planner simulate`` through the command line: outputs, messages, the Chicago replay."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from planner.cli import cli
from tests.support.docs import section as docs_section

REPO = Path(__file__).resolve().parents[2]
CHICAGO_SCENARIO = REPO / "scenarios" / "chicago-replay.toml"
PREVALENCE = "[simulation]\nprevalence = { A = 0.02, B = 0.05, C = 0.12, D = 0.25 }\nreps = 2000\n"
OUTPUTS = ("simulation.csv", "simulation.xlsx", "simulation.png", "prevalence.csv")


def simulate(*args: str):
    return CliRunner().invoke(cli, ["simulate", *map(str, args)])


def test_writes_table_workbook_chart_and_rates_byte_identically(make_scenario, tmp_path):
    path = make_scenario(extra=PREVALENCE)
    ratios = ["--ratios", "steep: A=0.1,B=0.2,C=0.5,D=1", "--ratios", "A=0.3,B=0.3,C=0.3,D=0.3"]
    first = simulate(path, "-o", tmp_path / "one", *ratios)
    assert first.exit_code == 0, first.output
    second = simulate(path, "-o", tmp_path / "two", *ratios)
    for name in OUTPUTS:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()
    assert first.stdout == second.stdout.replace(str(tmp_path / "two"), str(tmp_path / "one"))

    table = pd.read_csv(tmp_path / "one" / "simulation.csv")
    assert table[["ratio_set", "strategy"]].values.tolist() == [
        [name, strategy] for name in ("steep", "A=0.3,B=0.3,C=0.3,D=0.3")
        for strategy in ("risk-weighted", "uniform", "optimised")]
    steep = table.iloc[0]
    # 10 enterprises per class: 1 + 2 + 5 + 10 inspections
    assert steep["inspections"] == 18
    assert steep["expected_found"] == pytest.approx(0.02 + 2 * 0.05 + 5 * 0.12 + 10 * 0.25)
    assert (tmp_path / "one" / "simulation.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Population: A 10, B 10, C 10, D 10 (40 in all; active enterprises in the " \
           "directory)" in first.stdout
    assert re.search(r"steep\s+risk-weighted\s+18\s+3\.2 \(", first.stdout)

    wb = openpyxl.load_workbook(tmp_path / "one" / "simulation.xlsx")
    assert wb.sheetnames == ["比较汇总", "分类明细", "问题发生率", "参数"]
    header = [c.value for c in wb["比较汇总"][1]]
    assert header[:5] == ["比例方案", "抽取方式", "各类抽查比例", "检查户数", "预期发现问题户数"]
    assert wb["比较汇总"]["B2"].value == "按风险分类比例"


def test_english_workbook_with_export_language_en(make_scenario, tmp_path):
    path = make_scenario(extra=PREVALENCE + '[export]\nlanguage = "en"\n')
    result = simulate(path, "-o", tmp_path / "out", "--reps", "100")
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(tmp_path / "out" / "simulation.xlsx")
    assert wb.sheetnames == ["Summary", "By class", "Problem rates", "Settings"]
    # without --ratios or [simulation] ratio_sets, the plan's own [sampling] ratios are used
    assert wb["Summary"]["A2"].value == "plan"
    assert wb["Summary"]["C2"].value == "A=0.1,B=0.2,C=0.5,D=1"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--ratios", "A=0.1,Q=1,C=0,D=0"],
         "error: --ratios 'A=0.1,Q=1,C=0,D=0': unknown class 'Q'; the classes of scheme 'abcd' "
         "are A, B, C, D\n"),
        (["--ratios", "A=0.1,B=0.2,C=0.5,D=2"],
         "error: --ratios 'A=0.1,B=0.2,C=0.5,D=2': ratio for D must be between 0 and 1, got 2\n"),
        (["--ratios", "A:0.1"],
         "error: --ratios 'A:0.1': expected CLASS=RATIO pairs separated by commas, e.g. "
         "'A=0.05,B=0.3,C=0.55,D=0.8'\n"),
        (["--floor", "E=0.1", "--optimise", "--budget", "5"],
         "error: --floor 'E=0.1': unknown class 'E'; the classes of scheme 'abcd' are "
         "A, B, C, D\n"),
        (["--budget", "5"], "error: --budget is the budget of --optimise; add --optimise\n"),
        (["--optimise"], "error: --optimise needs --budget N (total inspections), or "
                         "[sampling] budget in the scenario\n"),
    ],
)
def test_bad_options_give_a_clean_message_and_exit_2(make_scenario, tmp_path, args, message):
    path = make_scenario(extra=PREVALENCE)
    result = simulate(path, "-o", tmp_path / "out", *args)
    assert result.exit_code == 2
    assert result.stderr == message
    assert not (tmp_path / "out").exists()


def test_reps_must_be_positive(make_scenario, tmp_path):
    result = simulate(make_scenario(extra=PREVALENCE), "-o", tmp_path / "out", "--reps", "0")
    assert result.exit_code == 2
    assert "Invalid value for '--reps'" in result.stderr


def test_optimise_recommends_ratios_and_states_the_gain(make_scenario, tmp_path):
    path = make_scenario(extra=PREVALENCE)
    result = simulate(path, "-o", tmp_path / "out", "--optimise", "--budget", "8",
                      "--floor", "A=0.1", "--allow-zero")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    start = lines.index("Recommended ratios for a budget of 8 inspections (floors A 0.1):")
    # floor A: 1 of 10; then the highest rate, D (0.25), takes the other 7
    assert lines[start + 1] == "  --ratios 'A=0.1,B=0,C=0,D=0.7'   (A 1, B 0, C 0, D 7)"
    expected = 0.02 + 7 * 0.25
    uniform = 8 * (0.02 + 0.05 + 0.12 + 0.25) / 4
    assert lines[start + 2] == (
        f"  expected problems found: {expected:,.1f} against {uniform:,.1f} for uniform random "
        f"sampling of the same 8 inspections: {expected - uniform:+,.1f} "
        f"({(expected / uniform - 1) * 100:+.1f} %)")
    table = pd.read_csv(tmp_path / "out" / "simulation.csv")
    assert "optimised (budget 8)" in set(table["ratio_set"])


def test_optimise_refuses_a_class_left_without_inspection_unless_asked(make_scenario,
                                                                      tmp_path):
    path = make_scenario(extra=PREVALENCE)
    result = simulate(path, "-o", tmp_path / "out", "--optimise", "--budget", "8",
                      "--floor", "A=0.1")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: the optimised allocation gives class B, C no inspection (ratio 0): its "
        "enterprises would have no chance of being drawn, and the next results would say "
        "nothing about them; give a floor (--floor B=0.02,C=0.02, or [sampling] floors), or "
        "pass --allow-zero to accept it\n")
    assert not (tmp_path / "out").exists()
    floored = simulate(path, "-o", tmp_path / "out", "--optimise", "--budget", "8",
                       "--floor", "A=0.1,B=0.1,C=0.1")
    assert floored.exit_code == 0, floored.output


def test_infeasible_floors_exit_3(make_scenario, tmp_path):
    path = make_scenario(extra=PREVALENCE)
    result = simulate(path, "-o", tmp_path / "out", "--optimise", "--budget", "3",
                      "--floor", "A=0.5")
    assert result.exit_code == 3
    assert result.stderr == ("error: the floors need 5 inspections but the budget is 3\n"
                             "  - class A: floor 5\n")


def test_rates_estimated_from_the_plans_history_with_results(make_scenario, tmp_path):
    from tests.support.data import enterprises_frame

    ent = enterprises_frame()
    # classes cycle A,A,B,B,C,C,D,D...: enterprise 0 is A, 2 is B, 4 is C, 6 is D
    ids = ent["enterprise_id"]
    history = pd.DataFrame({
        "enterprise_id": [ids[0], ids[1], ids[2], ids[4], ids[6], ids[6]],
        "date": ["2025-03-01"] * 6,
        "result": ["未发现问题", "未发现问题", "发现问题待后续处理", "未发现问题", "发现问题经责令已改正",
                   "注销"],
    })
    path = make_scenario(enterprises=ent, history=history, extra="[simulation]\nreps = 200\n")
    result = simulate(path, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    rates = pd.read_csv(tmp_path / "out" / "prevalence.csv").set_index("risk_class")
    assert rates["inspections"].tolist() == [2, 1, 1, 1]
    assert rates["problems"].tolist() == [0, 1, 0, 1]
    # Jeffreys posterior mean (k + 1/2) / (n + 1)
    assert rates["mean"].tolist() == pytest.approx([0.5 / 3, 1.5 / 2, 0.5 / 2, 1.5 / 2], abs=1e-6)
    assert "1 without a result left out" in result.stdout


def test_a_class_without_any_rate_names_the_key(make_scenario, tmp_path):
    path = make_scenario(extra="[simulation]\nprevalence = { A = 0.02 }\n")
    result = simulate(path, "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {path}: simulation.prevalence: no problem rate for class B: there is no history "
        "with results; give it as [simulation] prevalence = { B = 0.05, ... }\n")


def test_population_from_the_scenario_without_any_input_file(tmp_path):
    path = tmp_path / "what-if.toml"
    path.write_text(
        '[plan]\nid = "W"\nname = "what if"\nauthority = "x"\nseed = "w"\n'
        "start = 2026-01-01\nend = 2026-03-31\n"
        "[sampling]\nratios = { A = 0.03, B = 0.05, C = 0.3, D = 0.8 }\n"
        "[simulation]\nprevalence = { A = 0.02, B = 0.05, C = 0.12, D = 0.25 }\n"
        "population = { A = 20000, B = 15000, C = 6000, D = 2000 }\nreps = 500\n",
        encoding="utf-8")
    result = simulate(path, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "out" / "simulation.csv")
    assert table.loc[0, "inspections"] == 600 + 750 + 1800 + 1600


def test_missing_history_file_names_key_and_path(tmp_path):
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    shutil.copy(CHICAGO_SCENARIO, nested / "chicago-replay.toml")
    result = simulate(nested / "chicago-replay.toml", "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"error: {nested / 'chicago-replay.toml'}: simulation.history: file not found: "
        "../../shared/data/chicago/canvass_history_2011_2013.csv (looked for ")
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.chicago
def test_chicago_replay_prints_the_real_rates(chicago_dir, tmp_path):
    result = simulate(CHICAGO_SCENARIO, "-o", tmp_path / "chicago", "--reps", "2000")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert re.search(r"\n  low +643 +682 +72 +10\.6 % ", out)
    assert re.search(r"\n  medium +1,878 +2,425 +255 +10\.5 % ", out)
    assert re.search(r"\n  high +6,466 +10,534 +1,506 +14\.3 % ", out)
    rates = pd.read_csv(tmp_path / "chicago" / "prevalence.csv").set_index("risk_class")
    assert rates.loc[["low", "medium", "high"], "inspections"].tolist() == [682, 2425, 10534]
    assert rates.loc[["low", "medium", "high"], "problems"].tolist() == [72, 255, 1506]
    assert rates["observed_rate"].round(3).tolist() == [0.106, 0.105, 0.143]
    table = pd.read_csv(tmp_path / "chicago" / "simulation.csv")
    assert list(dict.fromkeys(table["ratio_set"])) == ["city rule", "flat 40%", "high first",
                                                       "steep"]
    for name in OUTPUTS:
        assert (tmp_path / "chicago" / name).is_file()


@pytest.mark.chicago
def test_readme_shows_the_rates_the_chicago_replay_prints(chicago_dir, tmp_path):
    section = docs_section("Replaying real inspection history")
    block = re.search(r"```text\n(.*?)\n```", section, flags=re.S).group(1)
    shown = [line for line in block.splitlines() if line.startswith("  low ")
             or line.startswith("  medium ") or line.startswith("  high ")]
    assert len(shown) == 3
    result = simulate(CHICAGO_SCENARIO, "-o", tmp_path / "chicago", "--reps", "100")
    assert result.exit_code == 0, result.output
    for line in shown:
        assert line in result.stdout.splitlines()


def test_given_rates_are_used_and_the_historys_observed_rates_shown(make_scenario, tmp_path):
    from tests.support.data import enterprises_frame

    ent = enterprises_frame()
    ids = ent["enterprise_id"]
    pd.DataFrame({"enterprise_id": [ids[0], ids[6], ids[7]], "result": ["否", "是", "否"]}
                 ).to_csv(tmp_path / "results.csv", index=False)
    path = make_scenario(enterprises=ent, extra=PREVALENCE + 'history = "results.csv"\n')
    result = simulate(path, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    rates = pd.read_csv(tmp_path / "out" / "prevalence.csv").set_index("risk_class")
    assert rates["inspections"].tolist() == [1, 0, 0, 2]
    assert rates["observed_rate"].tolist()[3] == 0.5
    assert rates["mean"].tolist() == [0.02, 0.05, 0.12, 0.25]
    assert set(rates["rate_source"]) == {"[simulation] prevalence"}
