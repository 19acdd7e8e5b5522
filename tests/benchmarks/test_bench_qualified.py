"""Benchmark: qualified teams (items by category with qualifications) on the city preset.

Run with ``python -m pytest tests/benchmarks/test_bench_qualified.py -s -p no:cacheprovider``.

The city preset (43,000 enterprises, 400 inspectors) with its ``items-by-category.csv`` and
the plan's items narrowed to the food items and the special-equipment item: about 2,200
tasks, nearly all needing an inspector qualified for 食品安全 or 特种设备, held by about a
third of the roster. Prints the wall-clock time of ``planner run``, the CP-SAT share and the
loads the summary reports. Asserts only that the run succeeds and the plan passes
``planner check``, never on time.
"""

from __future__ import annotations

import re
import time

from click.testing import CliRunner

from planner.cli import cli
from planner.demo.generate import write_demo


def test_bench_qualified_city(tmp_path):
    paths = write_demo(preset="city", seed="city", out=tmp_path / "city")
    scenario = paths["scenario"]
    text = scenario.read_text(encoding="utf-8")
    text = text.replace('items = "items.csv"', 'items = "items-by-category.csv"')
    text = re.sub(r"^items = \[.*\]$", 'items = ["SP001", "SP002", "TS001"]', text, flags=re.M)
    scenario.write_text(text, encoding="utf-8")
    runner = CliRunner()
    t0 = time.perf_counter()
    result = runner.invoke(cli, ["run", str(scenario), "-o", str(tmp_path / "out")])
    seconds = time.perf_counter() - t0
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines()
             if line.startswith(("Assigned", "  solver"))]
    print(f"\nqualified city plan: planner run {seconds:.1f} s")
    for line in lines:
        print(f"  {line.strip()}")
    check = runner.invoke(cli, ["check", str(tmp_path / "out")])
    assert check.exit_code == 0, check.output
    assert "qualified for every item" in check.output
