"""Benchmark: the export on the megacity preset (about 50,000 tasks).

Run with ``python -m pytest tests/benchmarks/test_bench_export.py -s -p no:cacheprovider``.

The megacity data (2.23 million enterprises, 5,000 inspectors) is generated, drawn and
assigned first (``planner demo-data``, ``planner draw``, ``planner assign``); set
``PLANNER_BENCH_MEGACITY=DIR`` to reuse a folder where that was already done (its ``out``
subfolder holds the draw and assignment). The export then runs in its own process, once with
the preset's split (by district) and once split by team (one workbook per lead inspector, the
most files); it prints the export's seconds and the process's peak memory (with the inputs
loaded, as ``planner run`` has them), and the peak of the worker processes. The CPU seconds
(all processes) are printed too: on a shared machine they vary less than the wall-clock time.
Asserts only that the output is complete, never on time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

SCRIPT = r"""
import dataclasses, json, resource, sys, time
from pathlib import Path
from planner.plan.inputs import load_plan
from planner.publish.export import export_stage

folder, split = Path(sys.argv[1]), sys.argv[2]
scenario, inputs = load_plan(folder / "scenario.toml")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
if split != "preset":
    scenario = dataclasses.replace(
        scenario, export=dataclasses.replace(scenario.export, split_by=split))
def cpu():
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

start, cpu_start = time.perf_counter(), cpu()
result = export_stage(scenario, inputs, folder / "out")
seconds, cpu_seconds = time.perf_counter() - start, cpu() - cpu_start
print(json.dumps({
    "seconds": seconds, "cpu": cpu_seconds, "tasks": result.tasks,
    "workbooks": len(result.workbooks),
    "split": scenario.export.split_by,
    "rss_before": before,
    "rss_peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "workers_peak": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
}))
"""


def planner(args: list[str], cwd: Path) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "planner", *args], cwd=cwd,
                          capture_output=True, text=True, encoding="utf-8")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return time.perf_counter() - start, done.stdout


@pytest.fixture(scope="module")
def megacity(tmp_path_factory) -> Path:
    given = os.environ.get("PLANNER_BENCH_MEGACITY")
    if given and (Path(given) / "out" / "assignments.csv").is_file():
        return Path(given)
    folder = Path(given) if given else tmp_path_factory.mktemp("megacity")
    scenario = str(folder / "scenario.toml")
    seconds, _ = planner(["demo-data", "--preset", "megacity", "--seed", "bench", "-o",
                          str(folder)], folder.parent)
    print(f"\n(setup) demo-data megacity: {seconds:.0f} s", end="")
    seconds, _ = planner(["draw", scenario, "-o", str(folder / "out")], folder)
    print(f"; draw: {seconds:.0f} s", end="")
    seconds, _ = planner(["assign", scenario, "-o", str(folder / "out")], folder)
    print(f"; assign: {seconds:.0f} s")
    return folder


@pytest.mark.parametrize("split", ["preset", "team"])
def test_bench_export_megacity(megacity: Path, split: str):
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(megacity), split],
                          capture_output=True, text=True, encoding="utf-8")
    assert done.returncode == 0, done.stderr[-3000:]
    m = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"\nexport, megacity, split by {m['split']}: {m['tasks']:,} tasks -> plan.xlsx and "
          f"{m['workbooks']:,} field workbooks in {m['seconds']:.1f} s wall, "
          f"{m['cpu']:.1f} s CPU over all processes (planner run's whole budget: < 60 s on 2 "
          f"cores); peak memory {m['rss_peak']:.0f} MB with the inputs loaded "
          f"({m['rss_before']:.0f} MB before the export; workers {m['workers_peak']:.0f} MB; "
          "budget < 4 GB)")
    out = megacity / "out"
    record = json.loads((out / "export.json").read_text(encoding="utf-8"))
    assert record["tasks"]["rows"] == m["tasks"] >= 45_000
    assert sum(w["rows"] for w in record["workbooks"]) == m["tasks"]
    assert len(list((out / "teams").glob("*.xlsx"))) == m["workbooks"]
    assert (out / "plan.xlsx").stat().st_size > 1_000_000
