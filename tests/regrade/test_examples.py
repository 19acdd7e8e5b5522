"""The README's worked examples (Yuhang 12 levels, Shaanxi 100 points) on the demo data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from planner.regrade.stage import regrade_scenario
from tests.support.docs import section

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "scenarios" / "regrade-demo"


@pytest.mark.parametrize(("scenario", "results", "applied", "moved", "abnormal"), [
    ("yuhang-points-12.toml", "yuhang-results.csv", 33, 25, 0),
    ("shaanxi-100.toml", "shaanxi-results.csv", 67, 15, 6),
])
def test_worked_examples_give_the_readme_figures(tmp_path, scenario, results, applied, moved,
                                                 abnormal):
    out = regrade_scenario(REPO / "scenarios" / scenario, [DEMO / results], tmp_path,
                           events=DEMO / "events.csv")
    matrix = out.matrix.to_numpy()
    assert (out.applied, int(matrix.sum() - matrix.trace()), len(out.abnormal)) == (
        applied, moved, abnormal)
    assert out.unmatched["enterprise_id"].tolist() == ["91150802000000000X"]
    assert f"applies {applied} records" in section("Regrading")


def test_shaanxi_example_sends_the_listed_enterprise_to_d_and_locks_it(tmp_path):
    regrade_scenario(REPO / "scenarios" / "shaanxi-100.toml", [DEMO / "shaanxi-results.csv"],
                     tmp_path, events=DEMO / "events.csv")
    new = pd.read_csv(tmp_path / "enterprises.csv", dtype=str, keep_default_na=False)
    row = new[new["统一社会信用代码"] == "91150802659182260U"].iloc[0]
    # 96 points (B) + 2 for a clean inspection = 98, still B by points; the listing holds D.
    assert (row["积分"], row["风险等级"]) == ("98", "D")
    assert (new["风险等级"] != "").sum() == 1
