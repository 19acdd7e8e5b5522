"""The national preset: partitioned Parquet, valid and distinct credit codes, deterministic."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from planner.cli import cli
from planner.common.uscc import uscc_problems
from planner.demo.national import national_enterprises
from planner.plan.inputs import load_inputs
from planner.plan.scenario import load_scenario
from tests.support.optional import need

pytestmark = pytest.mark.parquet


def test_cli_writes_partitions_that_load(tmp_path):
    need("pyarrow", "parquet")
    args = ["demo-data", "--preset", "national", "--size", "3001", "--partitions", "4"]
    result = CliRunner().invoke(cli, [*args, "-o", str(tmp_path / "a")])
    assert result.exit_code == 0, result.output
    parts = sorted((tmp_path / "a" / "enterprises").iterdir())
    assert [p.name for p in parts] == [f"part-{k:05d}.parquet" for k in range(4)]
    frame = pd.read_parquet(tmp_path / "a" / "enterprises")
    assert len(frame) == 3001
    ids = frame["统一社会信用代码"]
    assert ids.is_unique
    assert all(p is None for p in uscc_problems(ids.to_numpy(dtype=object)))
    sc = load_scenario(tmp_path / "a" / "scenario.toml")
    inputs = load_inputs(sc)
    assert len(inputs.enterprises) == 3001
    assert set(inputs.enterprises["risk_class"]) == {"A", "B", "C", "D"}
    CliRunner().invoke(cli, [*args, "-o", str(tmp_path / "b")])
    for a, b in zip(parts, sorted((tmp_path / "b" / "enterprises").iterdir()), strict=True):
        assert a.read_bytes() == b.read_bytes()


def test_chunks_never_repeat_a_code():
    import numpy as np

    a = national_enterprises(np.random.default_rng(1), 0, 5000)
    b = national_enterprises(np.random.default_rng(1), 5000, 10000)  # same randomness
    both = pd.concat([a, b])["enterprise_id"]
    assert both.is_unique


def test_size_and_partitions_belong_to_national(tmp_path):
    result = CliRunner().invoke(cli, ["demo-data", "--preset", "city", "--size", "10",
                                      "-o", str(tmp_path)])
    assert result.exit_code == 2
    assert "--partitions and --size go with --preset national" in result.output
    result = CliRunner().invoke(cli, ["demo-data", "--preset", "national", "--size", "3",
                                      "--partitions", "5", "-o", str(tmp_path)])
    assert result.exit_code == 2
    assert "--partitions must not exceed --size" in result.output
