"""The ticket, the per-stratum n lowest, and the partitioned draw (the first random)."""

import hashlib

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.draw import tickets
from planner.draw.compute import partitioned_draw
from tests.support.data import credit_codes


def formula(seed, eid):
    return int(hashlib.sha256(f"{seed}:{eid}".encode("utf-8")).hexdigest(), 16) / 2**256  # noqa: UP012


def test_ticket_is_the_published_formula_on_the_canonical_id():
    for eid in credit_codes(20):
        assert tickets.ticket("2026-Q1", eid) == formula("2026-Q1", eid)
        assert tickets.ticket("2026-Q1", f"  {eid.lower()} ") == formula("2026-Q1", eid)
    assert tickets.ticket("种子", "91350100M000100Y43") == formula("种子", "91350100M000100Y43")


def test_words_sort_like_the_hex_digest():
    ids = credit_codes(500)
    words = tickets.ticket_words(ids, "s")
    hexes = [hashlib.sha256(f"s:{i}".encode()).hexdigest() for i in ids]
    assert tickets.words_to_hex(words) == hexes
    by_words = np.lexsort(words.T[::-1])
    assert [ids[i] for i in by_words] == [i for _, i in sorted(zip(hexes, ids, strict=True))]


def pool_frame(n=300, seed=0, strata=("A", "B", "C")):
    ids = credit_codes(n, seed)
    return pd.DataFrame({"enterprise_id": ids,
                         "stratum": [strata[i % len(strata)] for i in range(n)]})


def reference(pool, quotas, seed):
    """The draw by the plain definition: sort each stratum by hex digest, keep n."""
    out = []
    for s, group in pool.groupby("stratum"):
        ranked = sorted(group["enterprise_id"],
                        key=lambda e: hashlib.sha256(f"{seed}:{e}".encode()).hexdigest())
        out += [(e, s, r + 1) for r, e in enumerate(ranked[: quotas.get(s, 0)])]
    return sorted(out)


def test_lowest_per_stratum_matches_the_definition():
    pool = pool_frame()
    quotas = {"A": 5, "B": 0, "C": 100}
    got = tickets.lowest_per_stratum(tickets.add_tickets(pool, "k"), quotas)
    assert sorted(zip(got["enterprise_id"], got["stratum"], got["rank"], strict=True)) == \
        reference(pool, quotas, "k")
    assert (got.groupby("stratum").size() == pd.Series({"A": 5, "C": 100})).all()


@settings(max_examples=40, deadline=None)
@given(
    parts=st.integers(1, 12),
    shuffle=st.integers(0, 2**32 - 1),
    quotas=st.fixed_dictionaries({s: st.integers(0, 120) for s in "ABC"}),
    seed=st.text(min_size=1, max_size=12),
)
def test_partitioned_draw_equals_the_whole(parts, shuffle, quotas, seed):
    pool = pool_frame().sample(frac=1, random_state=shuffle % 2**32).reset_index(drop=True)
    whole = tickets.lowest_per_stratum(tickets.add_tickets(pool, seed), quotas)
    merged = partitioned_draw(pool, quotas, seed, parts)
    pd.testing.assert_frame_equal(merged, whole)
    assert sorted(zip(whole["enterprise_id"], whole["stratum"], whole["rank"], strict=True)) == \
        reference(pool, quotas, seed)


def test_order_breaks_ties_of_the_first_word_on_the_rest_of_the_digest():
    frame = pd.DataFrame({
        "enterprise_id": ["X1", "X2", "X3", "X4"],
        "stratum": ["A", "A", "A", "B"],
        "t0": np.array([7, 7, 3, 7], dtype=np.uint64),
        "t1": np.array([9, 2, 5, 1], dtype=np.uint64),
        "t2": np.zeros(4, dtype=np.uint64),
        "t3": np.zeros(4, dtype=np.uint64),
    })
    ordered = tickets.order_pool(frame)
    assert ordered["enterprise_id"].tolist() == ["X3", "X2", "X1", "X4"]
    assert ordered["rank"].tolist() == [1, 2, 3, 1]


def test_order_uses_the_full_unsigned_range():
    frame = pd.DataFrame({
        "enterprise_id": ["hi", "lo"], "stratum": ["A", "A"],
        "t0": np.array([2**64 - 1, 1], dtype=np.uint64),
        "t1": np.zeros(2, dtype=np.uint64), "t2": np.zeros(2, dtype=np.uint64),
        "t3": np.zeros(2, dtype=np.uint64),
    })
    assert tickets.order_pool(frame)["enterprise_id"].tolist() == ["lo", "hi"]


def test_weighted_key_keeps_ticket_order_for_equal_weights_and_puts_zero_last():
    t = np.array([0.5, 0.1, 0.9, 0.3])
    key = tickets.weighted_key(t, np.array([2.0, 2.0, 2.0, 0.0]))
    assert np.argsort(key).tolist() == [1, 0, 2, 3]
    assert np.isinf(key[3])


def test_weighted_selection_follows_the_weights():
    """One of two enterprises, weights 1 and 3: the heavy one wins about 3 times in 4."""
    wins = 0
    for k in range(4000):
        a, b = tickets.ticket(f"s{k}", "LIGHT"), tickets.ticket(f"s{k}", "HEAVY")
        key = tickets.weighted_key(np.array([a, b]), np.array([1.0, 3.0]))
        wins += int(key[1] < key[0])
    assert 0.72 < wins / 4000 < 0.78


def test_empty_partitions_merge_to_nothing():
    empty = tickets.add_tickets(pool_frame().iloc[:0], "s")
    part = tickets.lowest_per_stratum(empty, {"A": 3})
    assert len(tickets.merge_lowest([part, part], {"A": 3})) == 0


@pytest.mark.parametrize("seed", ["a", "b"])
def test_add_tickets_does_not_depend_on_the_partition(seed):
    pool = pool_frame(50)
    whole = tickets.add_tickets(pool, seed)
    halves = pd.concat([tickets.add_tickets(pool.iloc[:20], seed),
                        tickets.add_tickets(pool.iloc[20:], seed)])
    pd.testing.assert_frame_equal(whole, halves)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["A", "B", "D"]), st.sampled_from(["北区", "南区", "x"]),
                          st.booleans()), max_size=40),
       st.booleans())
def test_stratum_counts_equal_a_groupby_over_the_text(rows, categorical):
    from planner.draw.quotas import stratum_counts

    pool = pd.DataFrame(rows, columns=["risk_class", "district", "listed"], dtype=object)
    pool["listed"] = pool["listed"].astype(bool)
    pool["stratum"] = [f"{c}/{'included' if listed else d}" for c, d, listed in rows]
    if categorical:
        pool["stratum"] = pool["stratum"].astype("category")
    keys = ["risk_class", "stratum", "district", "listed"]
    text = pool[keys].astype({"stratum": str, "district": str})
    expected = text.groupby(keys, sort=True, observed=True).size().rename("n").reset_index()
    got = stratum_counts(pool)
    assert list(got.columns) == keys + ["n"]
    assert got.astype(object).values.tolist() == expected.astype(object).values.tolist()
