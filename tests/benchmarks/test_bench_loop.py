"""Benchmark: 8 quarters x 1,000 replications of the draw -> inspection -> regrade loop over a
43,000-enterprise city (target < 10 s).

Run with ``python -m pytest tests/benchmarks/test_bench_loop.py -s -p no:cacheprovider``.
Prints the measured seconds beside the target; asserts only that the results are sane,
never on time.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from planner.simulate.loop import LoopSettings, simulate_loop

CLASSES = ("A", "B", "C", "D")
POPULATION = np.array([25_800, 12_900, 3_440, 860])  # 43,000 food businesses
TARGET = 10.0


def city() -> LoopSettings:
    return LoopSettings(classes=CLASSES, population=POPULATION,
                        prevalence=np.array([0.02, 0.05, 0.12, 0.25]),
                        ratios=np.array([0.03, 0.1, 0.3, 0.8]), quarters=8, reps=1_000,
                        drift=0.05, seed="bench")


def test_bench_loop_8_quarters_1000_reps_city_library():
    simulate_loop(dataclasses.replace(city(), reps=10))  # warm-up
    runs = []
    for _ in range(3):  # the machine may be shared: report the best of three and the range
        start = time.perf_counter()
        result = simulate_loop(city())
        runs.append(time.perf_counter() - start)
    print(f"\nloop (library): 8 quarters x 1,000 replications x 2 strategies over "
          f"{POPULATION.sum():,} enterprises: {min(runs):.2f}-{max(runs):.2f} s over 3 runs "
          f"(target < {TARGET:.0f} s)")
    summary = result.summary()
    assert len(summary) == 16
    first = summary.iloc[0]
    assert first["inspections"] == np.ceil(POPULATION * [0.03, 0.1, 0.3, 0.8]).sum()
    assert (summary["found_low"] <= summary["found_high"]).all()


def test_bench_loop_command(tmp_path: Path):
    """The whole command (start-up, table, workbook and chart)."""
    scenario = tmp_path / "loop.toml"
    scenario.write_text(
        '[plan]\nid = "BENCH"\nname = "bench"\nauthority = "bench"\nseed = "bench"\n'
        "start = 2026-01-01\nend = 2026-03-31\n"
        "[sampling]\nratios = { A = 0.03, B = 0.1, C = 0.3, D = 0.8 }\n"
        "[simulation]\nprevalence = { A = 0.02, B = 0.05, C = 0.12, D = 0.25 }\n"
        "population = { A = 25800, B = 12900, C = 3440, D = 860 }\nreps = 1000\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    command = [sys.executable, "-m", "planner", "simulate", str(scenario), "-o", str(out),
               "--quarters", "8"]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    assert done.returncode == 0, done.stderr
    print(f"\nplanner simulate --quarters 8 (command, incl. start-up and writing "
          f"CSV/XLSX/PNG): 1,000 replications over 43,000 enterprises: {seconds:.2f} s "
          f"(target < {TARGET:.0f} s)")
    assert len(pd.read_csv(out / "loop.csv")) == 16
