"""The packed-key joins give exactly the answers of the string operations they replace."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.common import keys

# Short texts from a small alphabet, so that lists repeat ids often; some non-ASCII, some long.
ids = st.text(alphabet="AB19-中 ", min_size=0, max_size=4) | st.text(min_size=20, max_size=30)


def string_positions(known: list[str], wanted: list[str]) -> np.ndarray:
    first = pd.Series(known).drop_duplicates(keep="first")
    at = pd.Index(first.to_numpy()).get_indexer(wanted)
    return np.where(at >= 0, first.index.to_numpy()[np.maximum(at, 0)] if len(first) else -1, -1)


@settings(max_examples=300, deadline=None)
@given(st.lists(ids, max_size=30), st.lists(ids, max_size=30))
def test_positions_agree_with_a_string_index(known, wanted):
    got = keys.positions(pd.Series(known, dtype=object), pd.Series(wanted, dtype=object))
    assert got.tolist() == string_positions(known, wanted).tolist()


@settings(max_examples=300, deadline=None)
@given(st.lists(ids, max_size=40))
def test_repeated_agrees_with_duplicated(values):
    series = pd.Series(values, dtype=object)
    assert keys.repeated(series).tolist() == series.duplicated(keep="first").tolist()


@settings(max_examples=300, deadline=None)
@given(st.lists(ids, max_size=40))
def test_an_index_marks_repeats_like_duplicated(values):
    series = pd.Series(values, dtype=object)
    assert keys.IdIndex(series).repeated().tolist() == series.duplicated(keep="first").tolist()


@pytest.fixture
def colliding(monkeypatch):
    """Make every id of the same length share a key, as a rare 64-bit collision would."""
    def by_length(values):
        return np.array([len(v) for v in np.asarray(values, dtype=object)], dtype=np.uint64)
    monkeypatch.setattr(keys, "packed_keys", by_length)


def test_a_shared_key_is_not_taken_for_the_same_id(colliding):
    known = pd.Series(["91A", "22", "7"], dtype=object)
    wanted = pd.Series(["91A", "92B", "7", "22", "33"], dtype=object)
    # "92B" shares the key of "91A" and "33" that of "22": neither is in the directory.
    assert keys.positions(known, wanted).tolist() == [0, -1, 2, 1, -1]


def test_known_ids_sharing_a_key_fall_back_to_the_text(colliding):
    known = pd.Series(["AA", "BB", "AA"], dtype=object)
    assert keys.positions(known, pd.Series(["BB", "AA", "CC"], dtype=object)).tolist() == [1, 0, -1]


def test_rows_with_a_shared_key_are_decided_on_the_text(colliding):
    values = pd.Series(["AA", "BB", "AA", "C", "BB", "D"], dtype=object)
    assert keys.repeated(values).tolist() == [False, False, True, False, True, False]
    assert keys.IdIndex(values).repeated().tolist() == [False, False, True, False, True, False]
    distinct = pd.Series(["AB", "CD", "E"], dtype=object)  # "AB" and "CD" share a key
    assert keys.IdIndex(distinct).repeated().tolist() == [False, False, False]


def test_credit_codes_pack_the_quick_way_and_the_general_way_alike():
    codes = np.array(["91350100M000100Y43", "91110000100000000X", "12100000400011047J"], dtype=object)
    quick = keys.packed_keys(codes)
    mixed = keys.packed_keys(np.append(codes, "SHORT"))  # mixed lengths take the general path
    assert quick is not None and mixed is not None
    assert quick.tolist() == mixed[:3].tolist()
    assert len(set(quick.tolist())) == 3


def test_ids_that_cannot_be_packed_give_no_keys():
    assert keys.packed_keys(np.array(["统一社会信用代码"], dtype=object)) is None
    assert keys.packed_keys(np.array(["X" * 25], dtype=object)) is None


def test_positions_find_each_id_and_fall_back_for_long_or_non_ascii_ids():
    ids = pd.Series(["91440300MA5X00001A", "B", "92440300672739115T", "C" * 30, "企业甲"])
    assert list(keys.positions(ids, pd.Series(["92440300672739115T", "B"]))) == [2, 1]
    assert list(keys.positions(ids, pd.Series(["C" * 30, "企业甲", "B"]))) == [3, 4, 1]
    assert list(keys.positions(ids, pd.Series(["B", "missing", "企业乙"]))) == [1, -1, -1]


def test_an_index_answers_every_lookup_like_a_fresh_one():
    for known in (["91440300MA5X00001A", "B", "B", "92440300672739115T"], ["企业甲", "B", "企业甲"]):
        index = keys.IdIndex(pd.Series(known, dtype=object))
        for wanted in (["B", "missing"], list(reversed(known)), []):
            wanted = pd.Series(wanted, dtype=object)
            assert index.positions(wanted).tolist() == string_positions(known, wanted).tolist()
