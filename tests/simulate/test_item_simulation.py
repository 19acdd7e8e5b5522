"""planner simulate --item-discovery: per-item problem rates give expected problems per item."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from planner.cli import cli
from planner.common.errors import InputError
from planner.simulate.items import expected_item_problems, read_item_discovery

REPO = Path(__file__).resolve().parents[2]
HEAD = "item_code,item_name,tasks,checked,problems,discovery_rate\n"


def write(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(HEAD + body, encoding="utf-8")
    return path


def test_rates_are_pooled_by_item_and_unchecked_items_left_out(tmp_path):
    a = write(tmp_path, "a.csv", "SP001,食品经营,10,8,2,0.25\nGS01,公示,10,10,1,0.1\n"
                                 "ZZ,未查,3,0,0,0\n")
    b = write(tmp_path, "b.csv", "SP001,食品经营,4,2,2,1\n")
    rates, warnings = read_item_discovery([a, b])
    assert list(rates["item_code"]) == ["GS01", "SP001"]
    sp = rates.set_index("item_code").loc["SP001"]
    assert (sp["checked"], sp["problems"], sp["files"]) == (10, 4, 2)
    assert sp["rate"] == pytest.approx(0.4)
    assert warnings == ["item ZZ (未查) was never checked in the item-discovery files: no "
                        "problem rate, left out"]


def test_expected_problems_are_inspections_times_rate():
    rates = pd.DataFrame({"item_code": ["A", "B"], "item_name": ["甲", "乙"], "files": [1, 1],
                          "checked": [10, 4], "problems": [1, 1], "rate": [0.1, 0.25]})
    summary = pd.DataFrame({"ratio_set": ["s", "s"], "strategy": ["risk-weighted", "uniform"],
                            "inspections": [40, 40]})
    table = expected_item_problems(rates, summary)
    assert list(table["expected_problems"]) == [4.0, 10.0, 4.0, 10.0]
    assert list(table["strategy"]) == ["risk-weighted", "risk-weighted", "uniform", "uniform"]


@pytest.mark.parametrize("body, message", [
    ("SP001,x,1,3,4,0\n", "row 2, column 'problems'"),
    ("SP001,x,1,two,0,0\n", "row 2, column 'checked'"),
    (",x,1,3,0,0\n", "row 2, column 'item_code': item code is empty"),
])
def test_bad_rows_are_named(tmp_path, body, message):
    path = write(tmp_path, "bad.csv", body)
    with pytest.raises(InputError) as info:
        read_item_discovery([path])
    assert message in str(info.value) and str(path) in str(info.value)


def test_a_missing_column_is_named(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("item_code,item_name,checked\nA,甲,3\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_item_discovery([path])
    assert f"{path}, row 1, column 'problems': missing column" in str(info.value)


def test_cli_reports_expected_problems_per_item(tmp_path):
    a = write(tmp_path, "a.csv", "SP001,食品经营,10,8,2,0.25\n")
    b = write(tmp_path, "b.csv", "SP001,食品经营,4,2,2,1\n")
    out = tmp_path / "sim"
    args = ["simulate", str(REPO / "scenarios" / "demo.toml"), "-o", str(out), "--reps", "50",
            "--item-discovery", str(a), "--item-discovery", str(b)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "item-simulation.csv", dtype={"item_code": str})
    summary = pd.read_csv(out / "simulation.csv")
    assert len(table) == len(summary)
    assert (table["expected_problems"] == (table["inspections"] * 0.4).round(3)).all()
    assert list(table["inspections"]) == list(summary["inspections"])
    n = int(summary["inspections"].iloc[0])
    assert (f"SP001 食品经营: {n * 0.4:,.1f} of {n:,} inspections (rate 4/10 = 40.0 %)"
            in result.output)


def test_cli_bad_item_discovery_writes_nothing(tmp_path):
    bad = write(tmp_path, "bad.csv", "SP001,x,1,3,4,0\n")
    out = tmp_path / "sim"
    args = ["simulate", str(REPO / "scenarios" / "demo.toml"), "-o", str(out), "--reps", "50",
            "--item-discovery", str(bad)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code != 0
    assert f"{bad}, row 2, column 'problems'" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()
