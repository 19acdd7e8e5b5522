"""Benchmark: planner learn on Chicago's 13,641 inspections (target < 5 s) and on a city's year,
43,000 enterprises and 50,000 inspections (target < 15 s).

Run with ``python -m pytest tests/benchmarks/test_bench_learn.py -s -p no:cacheprovider``.
Each figure is the whole command (start-up, reading, features, two fits, the bootstrap, the
files) as a process, best and worst of three, beside a yardstick measured in the same run: a
process that starts Python, imports the same libraries and reads the same history and
directory with pandas, and does nothing else. Asserts only that the results are sane, never on
time.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]
CHICAGO = REPO.parent / "shared" / "data" / "chicago" / "canvass_history_2011_2013.csv"
RUNS = 3


def _seconds(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return time.perf_counter() - start


def _yardstick(files: list[Path]) -> list[float]:
    code = ("import sys, pandas, numpy, scipy, sklearn.linear_model, matplotlib, xlsxwriter\n"
            "for f in sys.argv[1:]: pandas.read_csv(f, dtype=str)\n")
    return [_seconds([sys.executable, "-c", code, *map(str, files)], REPO) for _ in range(RUNS)]


def _report(what: str, runs: list[float], yard: list[float], target: float) -> None:
    print(f"\n{what}: {min(runs):.2f}-{max(runs):.2f} s over {RUNS} runs (target < {target:g} s); "
          f"yardstick (start Python, import the libraries, read the inputs with pandas) "
          f"{min(yard):.2f}-{max(yard):.2f} s; the learning itself about "
          f"{min(runs) - min(yard):.2f} s beyond it")


def test_bench_learn_chicago(tmp_path: Path):
    if not CHICAGO.is_file():
        pytest.skip(f"{CHICAGO} not found")
    command = [sys.executable, "-m", "planner", "learn", "scenarios/chicago-replay.toml",
               "-o", str(tmp_path / "out"), "--holdout-from", "2013-01-01"]
    runs = [_seconds(command, REPO) for _ in range(RUNS)]
    _report("planner learn, Chicago (13,641 inspections, holdout 2013)", runs,
            _yardstick([CHICAGO]), 5)
    evaluation = json.loads((tmp_path / "out" / "risk-evaluation.json").read_text("utf-8"))
    assert evaluation["holdout"]["inspections"] == 5487


def _city_year(folder: Path) -> Path:
    """The city preset's directory with a year of 50,000 inspections whose risk is known."""
    subprocess.run([sys.executable, "-m", "planner", "demo-data", "--preset", "city", "--seed",
                    "bench-learn", "-o", str(folder)], check=True, capture_output=True)
    directory = pd.read_csv(folder / "enterprises.csv", dtype=str)
    ids = directory["统一社会信用代码"].to_numpy()
    grade = directory["风险等级"].map({"A": 0, "B": 1, "C": 2, "D": 3}).to_numpy()
    rng = np.random.default_rng(2025)
    hidden = rng.beta(1, 12, len(ids)) * (1 + 0.3 * grade)
    who = rng.integers(0, len(ids), 50_000)
    days = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 365, 50_000), unit="D")
    problem = rng.random(50_000) < hidden[who]
    kinds = np.array(["发现问题待后续处理", "发现问题经责令已改正", "违反食品药品管理相关规定"])
    result = np.where(problem, kinds[rng.integers(0, 3, 50_000)], "未发现问题")
    pd.DataFrame({"统一社会信用代码": ids[who], "检查日期": days.strftime("%Y-%m-%d"),
                  "检查结果": result}).to_csv(folder / "year.csv", index=False)
    text = (folder / "scenario.toml").read_text("utf-8")
    text = re.sub(r"\[simulation\].*", "", text, flags=re.S)
    text += '[simulation]\nhistory = "year.csv"\n\n[learn]\nholdout_from = 2025-10-01\n'
    text = re.sub(r"start = \d{4}-\d\d-\d\d", "start = 2026-01-01", text, count=1)
    text = re.sub(r"end = \d{4}-\d\d-\d\d", "end = 2026-03-31", text, count=1)
    (folder / "year.toml").write_text(text, encoding="utf-8")
    return folder / "year.toml"


def test_bench_learn_city_year(tmp_path: Path):
    scenario = _city_year(tmp_path / "city")
    command = [sys.executable, "-m", "planner", "learn", str(scenario), "-o", str(tmp_path / "out")]
    runs = [_seconds(command, REPO) for _ in range(RUNS)]
    city = tmp_path / "city"
    _report("planner learn, a city's year (43,000 enterprises, 50,000 inspections)", runs,
            _yardstick([city / "year.csv", city / "enterprises.csv", city / "inspectors.csv"]), 15)
    evaluation = json.loads((tmp_path / "out" / "risk-evaluation.json").read_text("utf-8"))
    o = evaluation["orderings"]
    assert o["model"]["auc"] > o["random"]["auc"]
    scores = pd.read_csv(tmp_path / "out" / "risk-scores.csv")
    assert len(scores) == 43_000
