"""Benchmark: the draw on the megacity preset (2.23 million enterprises; target < 10 s).

Run with ``python -m pytest tests/benchmarks/test_bench_draw.py -s -p no:cacheprovider``.

The megacity data is generated once with :func:`planner.demo.generate.write_demo` into a temporary
folder. Each measurement runs in its own process and prints its wall-clock seconds and peak
resident memory (``wait4`` rusage) beside the target:

- the draw stage alone, wall-clock and CPU seconds (CPU time is the steadier figure on a
  busy machine) - tickets for every eligible enterprise, the n lowest per stratum, and
  writing ``sample.csv``, ``eligible.csv`` and ``draw-record.json`` - timed inside a process
  that first loads the inputs (loading is reported separately: it belongs to validation);
- ``planner draw`` and ``planner verify`` end to end, as a user runs them.

Asserts only that the results are complete and verified, never on time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

STAGE_SCRIPT = """
import json, resource, sys, time
from pathlib import Path
from planner.app.draw import draw_stage
from planner.plan.inputs import load_plan
start = time.perf_counter()
scenario, inputs = load_plan(sys.argv[1])
loaded, cpu = time.perf_counter(), time.process_time()
result = draw_stage(scenario, inputs, Path(sys.argv[2]))
done = time.perf_counter()
print(json.dumps({"load_s": loaded - start, "draw_s": done - loaded,
                  "draw_cpu_s": time.process_time() - cpu,
                  "drawn": len(result.draw.sample()),
                  "eligible": int(result.draw.eligibility.eligible.sum())}))
"""


def measured(args: list[str], cwd: Path) -> tuple[float, float, int, str]:
    """Run ``python ARGS``; return seconds, peak memory (MB), exit code and output."""
    log = cwd / f"output-{time.monotonic_ns()}.txt"
    with open(log, "wb") as fh:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, *args], cwd=cwd, stdout=fh,
                                stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
    return (seconds, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status),
            log.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def megacity(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("megacity")
    start = time.perf_counter()
    # In a process of its own: a command started from a process of 2 GB (this one, had it
    # generated the megacity) is charged that process's size as its own peak (ru_maxrss).
    subprocess.run([sys.executable, "-m", "planner", "demo-data", "--preset", "megacity",
                    "--seed", "bench", "-o", str(out)], check=True, capture_output=True)
    print(f"\ngenerated the megacity preset in {time.perf_counter() - start:.1f} s")
    return out / "scenario.toml"


def test_bench_draw_stage_megacity(megacity: Path, tmp_path: Path):
    out = tmp_path / "stage"
    seconds, peak, code, output = measured(
        ["-c", STAGE_SCRIPT, str(megacity), str(out)], tmp_path)
    assert code == 0, output[-3000:]
    figures = json.loads(output.strip().splitlines()[-1])
    print(f"\ndraw stage on the megacity: {figures['draw_s']:.1f} s wall, "
          f"{figures['draw_cpu_s']:.1f} s CPU (target < 10 s) for "
          f"{figures['eligible']:,} eligible enterprises, {figures['drawn']:,} drawn; "
          f"loading and validating the inputs before it took {figures['load_s']:.1f} s; "
          f"peak memory of the whole process {peak:.0f} MB (planner run's budget < 4 GB)")
    assert figures["eligible"] > 2_000_000
    assert 40_000 < figures["drawn"] < 60_000
    assert (out / "sample.csv").is_file() and (out / "draw-record.json").is_file()


def test_bench_draw_and_verify_commands_megacity(megacity: Path, tmp_path: Path):
    out = tmp_path / "cli"
    seconds, peak, code, output = measured(
        ["-m", "planner", "draw", str(megacity), "-o", str(out)], tmp_path)
    assert code == 0, output[-3000:]
    print(f"\nplanner draw on the megacity, end to end (load, validate, draw, write): "
          f"{seconds:.1f} s; peak memory {peak:.0f} MB (planner run's budget: < 60 s, < 4 GB)")
    rows = sum(1 for _ in open(out / "sample.csv", encoding="utf-8")) - 1
    assert 40_000 < rows < 60_000

    seconds, peak, code, output = measured(["-m", "planner", "verify", str(out)], tmp_path)
    print(f"planner verify on the megacity, end to end: {seconds:.1f} s; peak memory "
          f"{peak:.0f} MB (no target)")
    assert code == 0, output[-3000:]
    assert output.startswith("verified")
