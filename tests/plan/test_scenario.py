"""Scenario files fail before any work starts, naming the key (or TOML line)."""

import datetime as dt

import pytest
from click.testing import CliRunner

from planner.cli import cli
from planner.common.errors import ScenarioError
from planner.plan.scenario import class_table, load_scenario


def edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def validate(path):
    return CliRunner().invoke(cli, ["validate", str(path)])


def test_good_scenario_loads_with_resolved_paths(make_scenario):
    s = load_scenario(make_scenario())
    assert s.plan.start == dt.date(2026, 1, 1)
    assert s.inputs.enterprises.is_absolute() and s.inputs.enterprises.is_file()
    assert class_table(s.sampling.ratios, s.scheme()) == {"A": 0.1, "B": 0.2, "C": 0.5, "D": 1.0}
    assert s.assignment.team_size == 2 and s.export.language == "zh"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('seed = "test-seed"', 'seed = "test-seed"\ncolour = "red"',
         "plan.colour: unknown key; [plan] accepts id, name, authority, seed, start, end"),
        ("[grading]", "[gradeing]", "unknown table [gradeing]"),
        ("A = 0.1,", "A = 1.5,", "sampling.ratios.A: must be between 0 and 1, got 1.5"),
        ("A = 0.1,", "Q = 0.1,", "sampling.ratios.Q: unknown class 'Q' for scheme 'abcd'"),
        ("end = 2026-03-31", "end = 2025-12-31",
         "plan.end: end 2025-12-31 is before start 2026-01-01"),
        ("start = 2026-01-01", 'start = "soon"',
         "plan.start: must be a date like 2026-01-01, got 'soon'"),
        ('enterprises = "enterprises.csv"', 'enterprises = "nowhere.csv"',
         "inputs.enterprises: file not found: nowhere.csv"),
        ('scheme = "abcd"', 'scheme = "stars"', "grading.scheme: unknown grading scheme 'stars'"),
        ("[sampling]", "[sampling\n", "is not valid TOML"),
        ('authority = "测试市场监督管理局"\n', "", "plan.authority: required key is missing"),
    ],
)
def test_bad_scenario_names_the_key(make_scenario, old, new, message):
    path = edit(make_scenario(), old, new)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert message in str(err.value)
    result = validate(path)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_wrong_type_is_named(make_scenario):
    path = make_scenario(extra="[assignment]\nteam_size = \"two\"")
    result = validate(path)
    assert result.exit_code == 2
    assert "assignment.team_size: must be a whole number, got 'two'" in result.output


def test_team_of_one_is_refused_by_law(make_scenario):
    path = make_scenario(extra="[assignment]\nteam_size = 1")
    result = validate(path)
    assert result.exit_code == 2
    assert "assignment.team_size: must be at least 2" in result.output


def test_broken_toml_names_the_line(make_scenario):
    path = edit(make_scenario(), 'name = "测试抽查计划"', 'name = "unterminated')
    result = validate(path)
    assert result.exit_code == 2
    assert "line 3" in result.output


def test_class_aliases_are_accepted_as_keys(make_scenario, tmp_path):
    path = make_scenario(scheme="three-color", enterprises=None)
    edit(path, "ratios = { A = 0.1, B = 0.2, C = 0.5, D = 1.0 }",
         "ratios = { \"绿\" = 0.02, yellow = 0.05, red = 1.0 }")
    s = load_scenario(path)
    assert class_table(s.sampling.ratios, s.scheme()) == {"green": 0.02, "yellow": 0.05, "red": 1.0}
