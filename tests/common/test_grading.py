"""Grading schemes map grades and scores onto ordered risk classes."""

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.common.grading import get_scheme


def classify(scheme, grades, scores=None):
    s = get_scheme(scheme)
    return s.classify(pd.Series(grades), None if scores is None else pd.Series(scores)).tolist()


def test_abcd_accepts_suffixes_and_case():
    assert classify("abcd", ["a", "B类", " c ", "D级", "X"]) == ["A", "B", "C", "D", None]


def test_shenzhen_score_bands_and_direct_e():
    grades = ["", "", "", "", "", "", "E"]
    scores = ["751", "750", "671", "670", "555", "554", ""]
    assert classify("shenzhen", grades, scores) == ["A+", "A", "A", "B", "C", "D", "E"]


def test_three_color_in_three_spellings():
    assert classify("three-color", ["绿", "yellow", "C", "红码"]) == ["green", "yellow", "red", "red"]


def test_food_score_boundaries_take_the_lower_risk_class():
    assert classify("food-score", ["", "", "", "", ""], ["0", "30", "45", "60", "60.5"]) == [
        "A", "A", "B", "C", "D"]


def test_points_12_has_twelve_ordered_levels():
    scheme = get_scheme("points-12")
    assert len(scheme.classes) == 12
    assert scheme.classes[0] == "A1" and scheme.classes[-1] == "D3"
    assert classify("points-12", ["B-2", "d3", "A类1"]) == ["B2", "D3", "A1"]


def test_classes_are_ordered_lowest_risk_first():
    assert get_scheme("shenzhen").rank("A+") == 0
    assert get_scheme("shenzhen").rank("E") == 5


def test_custom_table_with_aliases_and_bands():
    scheme = get_scheme(
        "custom",
        classes=["low", "high"],
        aliases={"低": "low", "高": "high"},
        bands=[{"class": "low", "min": 0, "max": 50}, {"class": "high", "min": 50, "max": 100}],
    )
    out = scheme.classify(pd.Series(["低", "", ""]), pd.Series(["", "50", "50.1"])).tolist()
    assert out == ["low", "low", "high"]


def test_custom_table_errors():
    with pytest.raises(ValueError, match="needs classes"):
        get_scheme("custom")
    with pytest.raises(ValueError, match="not in classes"):
        get_scheme("custom", classes=["x"], aliases={"y": "z"})
    with pytest.raises(ValueError, match="unknown grading scheme 'nope'"):
        get_scheme("nope")


def test_text_columns_are_classified_alike_whatever_their_dtype():
    from planner.common.schema import as_text, is_inactive

    grades = pd.Series(["A", "b类", " C ", "", "高", "X"], dtype=object)
    assert as_text(grades) is grades  # already str objects: not converted again
    mixed = pd.Series(["A", 3, None], dtype=object)
    assert as_text(mixed).tolist()[:2] == ["A", "3"]  # not all text: converted
    scheme = get_scheme("abcd")
    expected = scheme.classify(grades).tolist()
    assert expected == ["A", "B", "C", None, "D", None]
    assert scheme.classify(grades.astype(str)).tolist() == expected
    status = pd.Series(["存续", "注销", "吊销（未注销）", ""], dtype=object)
    assert is_inactive(status).tolist() == is_inactive(status.astype(str)).tolist() == [
        False, True, True, False]


def reference_classify(scheme, grades, scores=None):
    """The row-by-row definition: normalise each grade, look it up, else the score's band."""
    import numpy as np

    from planner.common.grading import _norm

    lookup = scheme._lookup()
    out = []
    values = None if scores is None else pd.to_numeric(scores, errors="coerce").tolist()
    for i, grade in enumerate(grades.astype(str).tolist()):
        normal = _norm(grade)
        found = lookup.get(normal)
        if values is not None and scheme.bands and normal == "" and not np.isnan(values[i]):
            found = next((b.risk_class for b in scheme.bands
                          if b.contains(np.array([values[i]]))[0]), None)
        out.append(found)
    return out


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["A", "a", " B类 ", "C级", "d", "", "高", "较高", "X", "一般",
                                 "D GRADE"]), max_size=30),
       st.sampled_from(["abcd", "food-score", "shaanxi-100", "shenzhen"]), st.booleans())
def test_classify_equals_the_row_by_row_definition(grades, scheme_name, with_scores):
    scheme = get_scheme(scheme_name)
    series = pd.Series(grades, dtype=object)
    scores = pd.Series([float(i * 7 % 101) for i in range(len(grades))]) if with_scores else None
    got = scheme.classify(series, scores)
    assert got.dtype == object and got.index.equals(series.index)
    assert got.tolist() == reference_classify(scheme, series, scores)
