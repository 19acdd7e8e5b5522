"""The targeted-draw filter language: what it matches, and how a bad filter fails."""

from __future__ import annotations

import pandas as pd
import pytest

from planner.plan.filters import FilterError, evaluate, parse_filter, tokenize

COLUMNS = {"category", "district", "risk_class", "points", "status"}
FRAME = pd.DataFrame({
    "category": ["蜜饯食品", "餐饮服务", "蜜饯食品", " 食品销售 "],
    "district": ["东区", "西区", "西区", "东区"],
    "risk_class": ["A", "B", "C", "D"],
    "points": ["12", "3", "", "x"],
    "status": ["存续", "存续", "在业", "存续"],
})


def match(text: str) -> list[bool]:
    return evaluate(parse_filter(text, COLUMNS), FRAME).tolist()


@pytest.mark.parametrize("text, expected", [
    ('category == "蜜饯食品"', [True, False, True, False]),
    ("category == '食品销售'", [False, False, False, True]),  # cells are stripped
    ('category != "蜜饯食品"', [False, True, False, True]),
    ('district in ["西区"] and not risk_class == "C"', [False, True, False, False]),
    ('risk_class not in ["A", "B"]', [False, False, True, True]),
    ('category == "餐饮服务" or district == "东区" and risk_class == "D"',
     [False, True, False, True]),  # and binds tighter than or
    ('(category == "餐饮服务" or district == "东区") and risk_class == "D"',
     [False, False, False, True]),
    ("points >= 12", [True, False, False, False]),
    ("points < 12", [False, True, False, False]),  # empty and non-numbers never match
    ("points != 3", [True, False, False, False]),
    ("points in [3, 12]", [True, True, False, False]),
    ("not not risk_class == 'A'", [True, False, False, False]),
])
def test_filters_match_the_rows_they_say(text, expected):
    assert match(text) == expected


@pytest.mark.parametrize("text, message, position", [
    ("", "the filter is empty", 1),
    ('category = "x"', "unexpected '=' (use == to compare)", 10),
    ('category == "x', "unexpected '\"' (strings need a closing quote)", 13),
    ('capital >= 100', "unknown column 'capital'", 1),
    ('category == "x" and', "expected a column name, found the end of the filter", 20),
    ('category == "x" district == "y"', "expected and, or or the end, found 'district'", 17),
    ('category > "x"', '> compares numbers; "x" is a string', 12),
    ('category in ["a", ]', "expected a string or a number, found ']'", 19),
    ('(category == "a"', "expected ), found the end of the filter", 17),
    ('category "a"', "expected a comparison (==, !=, <, <=, >, >=) or in, found '\"a\"'", 10),
    ("__import__('os')", "unknown column '__import__'", 1),
])
def test_bad_filters_fail_with_the_position(text, message, position):
    with pytest.raises(FilterError) as info:
        parse_filter(text, COLUMNS)
    assert info.value.message.startswith(message)
    assert info.value.position == position
    assert str(info.value).endswith(f"(at position {position})")


def test_tokens_carry_their_positions():
    tokens = tokenize('a == "b" and c in [1, 2.5]')
    assert [(t.kind, t.position) for t in tokens][:5] == [
        ("name", 1), ("op", 3), ("literal", 6), ("and", 10), ("name", 14)]
    assert tokens[-1].kind == "end"
