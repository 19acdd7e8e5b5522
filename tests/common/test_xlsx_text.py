"""Text cells: what clean_text keeps and text_widths counts, whatever the column's storage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner.common.xlsx import MAX_CELL_CHARS, clean_text, text_widths

VALUES = ["", "abc", "深圳市光明区", "Café", "😀x", "=HYPERLINK(\"http://x\")", "a\tb\nc",
          "\u00a0 ", "\ue000"]


def storages(values: list) -> list[pd.Series]:
    """The same values as object, as str (Arrow-backed where pyarrow is installed)."""
    return [pd.Series(values, dtype=object), pd.Series(values, dtype=object).astype(str)]


@pytest.mark.parametrize("series", storages(VALUES))
def test_text_widths_count_wide_characters_twice(series):
    assert text_widths(series).tolist() == [0, 3, 12, 4, 3, 22, 5, 2, 2]
    assert text_widths(series).dtype == np.int64


def test_text_widths_of_an_empty_column():
    for series in storages([]):
        assert text_widths(series).tolist() == []


@pytest.mark.parametrize("series", storages(VALUES))
def test_clean_text_keeps_clean_text_as_it_is(series):
    cleaned = clean_text(series)
    assert cleaned.tolist() == VALUES
    assert cleaned.index.equals(series.index)


@pytest.mark.parametrize("series", storages(["ok", "bell\x07", "nul\x00", "vt\x0b", "x\ufffe"]))
def test_clean_text_drops_characters_xml_cannot_hold(series):
    assert clean_text(series).tolist() == ["ok", "bell", "nul", "vt", "x"]


@pytest.mark.parametrize("series", storages(["short", "中" * (MAX_CELL_CHARS + 5)]))
def test_clean_text_cuts_text_a_cell_cannot_hold(series):
    cleaned = clean_text(series)
    assert cleaned.tolist() == ["short", "中" * MAX_CELL_CHARS]


def test_clean_text_turns_missing_values_into_empty_text():
    series = pd.Series(["a", None, "b"], dtype=object)
    for values in (series, series.astype(str).where(series.notna())):
        assert clean_text(values).tolist() == ["a", "", "b"]
        assert text_widths(clean_text(values)).tolist() == [1, 0, 1]


def test_a_slice_of_a_column_is_measured_as_its_own_values():
    series = pd.Series(VALUES, dtype=object).astype(str)
    assert text_widths(series.iloc[2:4]).tolist() == [12, 4]
    assert clean_text(series.iloc[2:4]).tolist() == ["深圳市光明区", "Café"]
