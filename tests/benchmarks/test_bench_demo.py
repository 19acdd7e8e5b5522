"""Benchmark: ``planner demo-data`` at city and megacity size, and validating the megacity.

Run with ``python -m pytest tests/benchmarks/test_bench_demo.py -s -p no:cacheprovider``.
Each command runs in its own process; the figures printed are its wall-clock seconds, its CPU
seconds (user + system: the figure to trust when other work shares the machine) and its peak
resident memory (``wait4`` rusage), beside the target. Asserts only that the output is
complete and valid, never on time.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

FILES = ("enterprises.csv", "inspectors.csv", "avoidance.csv", "history.csv", "items.csv",
         "scenario.toml")


def measured(args: list[str], cwd: Path) -> tuple[str, int, str]:
    """Run ``python -m planner ARGS``; return the figures as text, the exit code and output."""
    log = cwd / "output.txt"
    with open(log, "wb") as fh:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "planner", *args], cwd=cwd, stdout=fh,
                                stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    figures = (f"{seconds:.1f} s (CPU {usage.ru_utime + usage.ru_stime:.1f} s), "
               f"peak memory {usage.ru_maxrss / 1024:.0f} MB")
    return figures, proc.returncode, log.read_text(encoding="utf-8")


def generate(preset: str, out: Path) -> str:
    figures, code, output = measured(
        ["demo-data", "--preset", preset, "--seed", "bench", "-o", str(out)], out.parent)
    assert code == 0, output
    assert all((out / name).is_file() for name in FILES)
    return figures


def test_bench_city_generation(tmp_path: Path):
    figures = generate("city", tmp_path / "city")
    rows = sum(1 for _ in open(tmp_path / "city" / "enterprises.csv", encoding="utf-8")) - 1
    print(f"\ndemo-data --preset city: {rows:,} enterprises, 400 inspectors: {figures} "
          "(no target; the megacity's is < 60 s)")
    assert rows == 43_000


def test_bench_megacity_generation_and_validation(tmp_path: Path):
    out = tmp_path / "megacity"
    figures = generate("megacity", out)
    size = (out / "enterprises.csv").stat().st_size / 1e6
    print(f"\ndemo-data --preset megacity: 2,230,000 enterprises ({size:.0f} MB CSV), 5,000 "
          f"inspectors: {figures} (target < 60 s)")

    figures, code, output = measured(["validate", str(out / "scenario.toml")], tmp_path)
    print(f"planner validate on the megacity output: {figures} "
          "(planner run's whole budget is < 60 s and < 4 GB)")
    assert code == 0, output[-2000:]
    assert "Enterprises: 2230000 (" in output
    assert "Inspectors: 5000 (" in output
    assert "error:" not in output
