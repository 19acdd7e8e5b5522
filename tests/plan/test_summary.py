"""The validation summary's class counts equal pandas' grouping, row by row."""

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.plan.summary import _class_counts

CLASSES = ["A", "B", "C", "D"]
rows = st.lists(st.tuples(st.sampled_from(["罗湖区", "福田区", "b", "a", None]),
                          st.sampled_from([*CLASSES, "X", None])), max_size=60)


@settings(max_examples=150, deadline=None)
@given(rows)
def test_class_counts_are_the_grouped_counts(pairs):
    ent = pd.DataFrame(pairs, columns=["district", "risk_class"], dtype=object)
    ent.loc[~ent["risk_class"].isin(CLASSES), "risk_class"] = np.nan  # classify() leaves NaN
    expected_class = ent["risk_class"].value_counts().reindex(CLASSES, fill_value=0)
    expected = ent.groupby(["district", "risk_class"]).size().unstack(fill_value=0)
    expected = expected.reindex(columns=CLASSES, fill_value=0).sort_index()

    by_class, by_district = _class_counts(ent["district"], ent["risk_class"], CLASSES)

    assert by_class.to_dict() == expected_class.to_dict()
    assert list(by_district.index) == list(expected.index)
    assert by_district.to_dict("index") == expected.to_dict("index")
