"""Features known before each inspection: counted by hand, and never from its own outcome."""

import numpy as np
import pandas as pd
import pytest

from planner.learn.features import history_features


def frame(rows):
    out = pd.DataFrame(rows, columns=["enterprise_id", "date", "problem", "serious"])
    out["date"] = pd.to_datetime(out["date"])
    return out


def test_counts_of_earlier_days_only():
    events = frame([
        ("X", "2025-01-01", True, False),
        ("X", "2025-01-01", False, False),  # the same day: the two do not see each other
        ("X", "2025-03-01", True, True),
        ("X", "2025-04-01", False, False),
        ("Y", "2025-03-01", False, False),
    ])
    f = history_features(events, events[["enterprise_id", "date"]], ["serious"])
    assert f["inspections_so_far"].tolist() == [0, 0, 2, 3, 0]
    assert f["past_problems"].tolist() == [0, 0, 1, 2, 0]
    assert f["past_problem_share"].tolist() == pytest.approx([0, 0, 0.5, 2 / 3, 0])
    assert f["past_serious"].tolist() == [0, 0, 0, 1, 0]
    assert f["days_since_last"].tolist() == [0, 0, 59, 31, 0]
    assert f["first_visit"].tolist() == [1, 1, 0, 0, 1]
    assert f["last_found_problem"].tolist() == [0, 0, 1, 1, 0]


def test_as_of_a_later_date():
    events = frame([("X", "2025-01-01", True, False), ("X", "2025-06-01", False, True)])
    queries = pd.DataFrame({"enterprise_id": ["X", "Z"], "date": pd.to_datetime(["2025-07-01"] * 2)})
    f = history_features(events, queries, ["serious"])
    assert f["inspections_so_far"].tolist() == [2, 0]
    assert f["days_since_last"].tolist() == [30, 0]
    assert f["last_found_problem"].tolist() == [0, 0]
    assert f["first_visit"].tolist() == [0, 1]


def random_history(rng, n=300):
    return frame([(f"E{rng.integers(20)}", f"2025-{rng.integers(1, 13):02d}-{rng.integers(1, 29):02d}",
                   bool(rng.random() < 0.3), bool(rng.random() < 0.1)) for _ in range(n)])


@pytest.mark.parametrize("seed", range(8))
def test_an_inspections_own_outcome_never_reaches_its_features(seed):
    rng = np.random.default_rng(seed)
    events = random_history(rng)
    before = history_features(events, events[["enterprise_id", "date"]], ["serious"])
    k = int(rng.integers(len(events)))
    flipped = events.copy()
    flipped.loc[k, "problem"] = not flipped.loc[k, "problem"]
    flipped.loc[k, "serious"] = not flipped.loc[k, "serious"]
    after = history_features(flipped, flipped[["enterprise_id", "date"]], ["serious"])
    unaffected = ((events["enterprise_id"] != events.loc[k, "enterprise_id"])
                  | (events["date"] <= events.loc[k, "date"])).to_numpy()
    pd.testing.assert_frame_equal(before[unaffected], after[unaffected])
    later = ~unaffected
    if later.any():  # and it does reach the enterprise's later inspections
        assert not before[later].equals(after[later])
