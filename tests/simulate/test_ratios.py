"""Ratio sets for the simulation: --ratios / --floor text, scenario tables, exact ratios."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.common.errors import ScenarioError
from planner.common.grading import get_scheme
from planner.draw import allocate
from planner.plan.ratiosets import (
    exact_ratio,
    parse_floor_texts,
    parse_ratio_text,
    plan_ratio_set,
    ratio_sets_from_tables,
)
from planner.plan.scenario import load_scenario

ABCD = get_scheme("abcd")


def test_one_set_unnamed_and_named():
    (s,) = parse_ratio_text("A=0.03,B=0.1,C=0.3,D=0.8", ABCD)
    assert s.name == "A=0.03,B=0.1,C=0.3,D=0.8"
    assert s.ratios == {"A": 0.03, "B": 0.1, "C": 0.3, "D": 0.8}
    (s,) = parse_ratio_text("strict: d=1, c=0.5 ,B=0.05,A=0", ABCD)
    assert s.name == "strict"
    assert list(s.ratios) == ["A", "B", "C", "D"]  # class order, whatever the text's order
    assert s.text() == "A=0,B=0.05,C=0.5,D=1"


def test_aliases_of_the_scheme_are_accepted():
    (s,) = parse_ratio_text("绿=0.02,黄=0.1,红=1", get_scheme("three-color"))
    assert s.ratios == {"green": 0.02, "yellow": 0.1, "red": 1.0}


def test_a_grid_expands_alternatives_and_ranges_exactly():
    sets = parse_ratio_text("g: A=0.03,B=0.1,C=0.2|0.3,D=0.5:1:0.25", ABCD)
    assert [s.ratios["C"] for s in sets] == [0.2] * 3 + [0.3] * 3
    assert [s.ratios["D"] for s in sets] == [0.5, 0.75, 1.0] * 2
    assert sets[0].name == "g A=0.03,B=0.1,C=0.2,D=0.5"
    tenths = parse_ratio_text("A=0.1:0.3:0.1,B=0,C=0,D=0", ABCD)
    assert [s.ratios["A"] for s in tenths] == [0.1, 0.2, 0.3]  # not 0.30000000000000004


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("A0.03", "--ratios 'A0.03': expected CLASS=RATIO pairs separated by commas, e.g. "
                  "'A=0.05,B=0.3,C=0.55,D=0.8'"),
        ("", "--ratios '': expected CLASS=RATIO pairs separated by commas, e.g. "
             "'A=0.05,B=0.3,C=0.55,D=0.8'"),
        ("A=0.1,Q=0.2,C=0.3,D=1", "--ratios 'A=0.1,Q=0.2,C=0.3,D=1': unknown class 'Q'; the "
                                  "classes of scheme 'abcd' are A, B, C, D"),
        ("A=0.1,B=0.2,C=0.3,D=1.5", "--ratios 'A=0.1,B=0.2,C=0.3,D=1.5': ratio for D must be "
                                    "between 0 and 1, got 1.5"),
        ("A=-0.1,B=0.2,C=0.3,D=1", "--ratios 'A=-0.1,B=0.2,C=0.3,D=1': ratio for A must be "
                                   "between 0 and 1, got -0.1"),
        ("A=0.1,B=x,C=0.3,D=1", "--ratios 'A=0.1,B=x,C=0.3,D=1': ratio for B is not a number: "
                                "'x'"),
        ("A=0.1,B=nan,C=0.3,D=1", "--ratios 'A=0.1,B=nan,C=0.3,D=1': ratio for B is not a "
                                  "number: 'nan'"),
        ("A=0.1,B=0.2,C=0.3", "--ratios 'A=0.1,B=0.2,C=0.3': no ratio for class D; give every "
                              "class of scheme 'abcd' (D=0 to leave it out)"),
        ("A=0.1,a=0.2,C=0.3,D=1", "--ratios 'A=0.1,a=0.2,C=0.3,D=1': class A is given twice"),
        ("A=0.1,B=,C=0.3,D=1", "--ratios 'A=0.1,B=,C=0.3,D=1': empty value for class B; "
                               "write e.g. B=0.1|0.2"),
        ("A=0.1,B=0.2,C=0.3,D=1:0.5:0.1", "--ratios 'A=0.1,B=0.2,C=0.3,D=1:0.5:0.1': range for "
                                          "D runs from 1 down to 0.5; write start:stop:step "
                                          "with start <= stop"),
        ("A=0.1,B=0.2,C=0.3,D=0:1", "--ratios 'A=0.1,B=0.2,C=0.3,D=0:1': range for D must be "
                                    "start:stop:step, e.g. D=0.1:0.5:0.1"),
        ("A=0:1:0.01,B=0:1:0.01,C=0,D=1", "--ratios 'A=0:1:0.01,B=0:1:0.01,C=0,D=1': the grid "
                                          "gives 10,201 ratio sets; at most 1000 at once"),
    ],
)
def test_bad_ratio_text_names_the_option_the_text_and_the_fix(text, message):
    with pytest.raises(ScenarioError) as err:
        parse_ratio_text(text, ABCD)
    assert str(err.value) == message


def test_floors_repeated_or_comma_separated():
    assert parse_floor_texts(["D=0.5", "a=0.01,B=0.02"], ABCD) == {"A": 0.01, "B": 0.02,
                                                                   "D": 0.5}
    with pytest.raises(ScenarioError, match="--floor 'A=0.1': class A is given twice"):
        parse_floor_texts(["A=0.1", "A=0.1"], ABCD)
    with pytest.raises(ScenarioError, match="--floor 'A': expected CLASS=RATIO, e.g. A=0.01"):
        parse_floor_texts(["A"], ABCD)


def test_scenario_tables_with_names_and_grids():
    sets = ratio_sets_from_tables(
        [{"name": "strict", "A": 0.03, "B": 0.1, "C": 0.3, "D": 0.8},
         {"A": 0, "B": [0.1, 0.2], "C": 1, "D": 1}], ABCD)
    assert [s.name for s in sets] == ["strict", "A=0,B=0.1,C=1,D=1", "A=0,B=0.2,C=1,D=1"]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"A": 0.1}, "s.toml: simulation.ratio_sets[0]: no ratio for class B, C, D; give every "
                     "class of scheme 'abcd' (B=0 to leave it out)"),
        ({"A": 0.1, "B": 0.1, "C": 0.1, "E": 0.1},
         "s.toml: simulation.ratio_sets[0].E: unknown class 'E'; the classes of scheme 'abcd' "
         "are A, B, C, D"),
        ({"A": 0.1, "B": 0.1, "C": 0.1, "D": 2},
         "s.toml: simulation.ratio_sets[0].D: must be between 0 and 1, got 2"),
        ({"A": 0.1, "B": 0.1, "C": 0.1, "D": "x"},
         "s.toml: simulation.ratio_sets[0].D: must be a ratio or a list of ratios, got 'x'"),
    ],
)
def test_bad_scenario_tables_name_the_key(table, message):
    with pytest.raises(ScenarioError) as err:
        ratio_sets_from_tables([table], ABCD, "s.toml")
    assert str(err.value) == message


def test_scenario_loader_checks_ratio_sets_before_any_work(make_scenario):
    path = make_scenario(extra='[simulation]\nratio_sets = [{ name = "x", A = 0.1 }]')
    with pytest.raises(ScenarioError, match=r"simulation\.ratio_sets\[0\]: no ratio for class "
                                            r"B, C, D"):
        load_scenario(path)


def test_plan_ratios_become_a_set_with_missing_classes_at_zero():
    s = plan_ratio_set({"a": 0.1, "D": 1.0}, ABCD)
    assert (s.name, s.ratios) == ("plan", {"A": 0.1, "B": 0.0, "C": 0.0, "D": 1.0})


@given(st.integers(min_value=1, max_value=3_000_000).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))))
def test_exact_ratio_reproduces_the_count_through_the_draws_rounding(pair):
    count, population = pair
    ratio = exact_ratio(count, population)
    assert math.ceil(Fraction(str(ratio)) * population) == count
    assert allocate.by_ratios({"X": population}, {"X": ratio}) == {"X": count}
    assert len(str(ratio)) <= len("0.") + 7  # at most 7 decimals below 10 million


@given(st.lists(st.integers(min_value=0, max_value=1000), min_size=4, max_size=4))
def test_a_set_reads_back_from_its_own_text(thousandths):
    ratios = {c: v / 1000 for c, v in zip("ABCD", thousandths, strict=True)}
    (s,) = parse_ratio_text(",".join(f"{c}={v}" for c, v in ratios.items()), ABCD)
    (again,) = parse_ratio_text(s.text(), ABCD)
    assert again.ratios == s.ratios == ratios
