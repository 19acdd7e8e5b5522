"""Benchmark: plan over Chicago's real roster shape and report the loads.

Run with ``python -m pytest tests/benchmarks/test_bench_chicago_roster.py -s -p no:cacheprovider``.

``../shared/data/chicago/inspector_assignments_2014.csv`` (36 sanitarians, 4,219 visits to
3,343 licensed establishments in two months of 2014) becomes a directory, a roster of 36
inspectors and a history (see ``tests/assign/test_chicago.py``). Every establishment is
planned for a team of two, with rotation against the log (not the sanitarian of its last
visit) and a capacity of 200 seats each; the plan is checked independently. Printed: the
time, the peak memory and the planned loads beside the log's own loads per sanitarian.
Skipped when the file is absent.
"""

from __future__ import annotations

import resource
import time

import pytest

from planner.app.assign import assign_stage
from planner.assign.check import check_plan
from planner.plan.inputs import load_inputs
from planner.plan.scenario import load_scenario
from tests.support.assign import write_sample
from tests.support.chicago import chicago_scenario, real_loads


@pytest.mark.chicago
def test_bench_chicago_roster(chicago_dir, tmp_path):
    path, sample, log = chicago_scenario(chicago_dir, tmp_path, drawn=10**9, capacity=200)
    scenario = load_scenario(path)
    inputs = load_inputs(scenario)
    out = tmp_path / "out"
    write_sample(out, sample)
    start = time.perf_counter()
    result = assign_stage(scenario, inputs, out)
    seconds = time.perf_counter() - start
    report = check_plan(scenario, inputs, out)
    assert report.ok, report.violations[:5]
    loads = result.plan.loads
    real = real_loads(log)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nChicago roster: {len(sample):,} establishments x {len(loads)} sanitarians, teams of "
          f"2 with rotation: assigned in {seconds:.2f} s (peak memory of this pytest process "
          f"so far, other benchmarks included: {peak:.0f} MB)")
    print(f"planned loads {loads.min()}-{loads.max()} (mean {loads.mean():.1f}, spread "
          f"{loads.max() - loads.min()}); the 2014 log: {real.min()}-{real.max()} visits per "
          f"sanitarian (mean {real.mean():.1f}, spread {real.max() - real.min()})")
    print("heaviest planned: " + ", ".join(f"{i} {n}" for i, n in loads.nlargest(3).items())
          + "; heaviest in the log: " + ", ".join(f"{i} {n}" for i, n in
                                                   real.nlargest(3).items()))
    assert loads.max() - loads.min() <= 1
