"""Benchmark: ``planner run`` on the city and megacity presets (targets in the README).

Run with ``python -m pytest tests/benchmarks/test_bench_run.py -s -p no:cacheprovider``.

Targets on 2 cores: city (43,000 enterprises, 400 inspectors, ~4,600 drawn) < 2 s;
megacity (2.23 million, 5,000, ~50,000 drawn) <= 20 s and <= 2 GB peak memory.

Each preset is generated once with :func:`planner.demo.generate.write_demo`. Each measurement runs
in its own process and prints wall-clock seconds and peak resident memory (``wait4``
rusage: the largest process; and the sampled sum over it and its forked workers) beside
the target:

- ``planner run`` end to end (validate, draw, assign, export), as a user runs it;
- the same run stage by stage in one process (wall-clock and CPU seconds of each stage,
  its forked workers included), to see where the time goes;
- the assignment stage alone, wall-clock and CPU seconds of all its processes (CPU time is
  the steadier figure on a busy machine), timed inside a process that first loads the
  inputs, with the flow's share (summed over the units, which run in parallel) and the
  load spread;
- ``planner check`` on the result (the independent re-validation).

Asserts only that each command succeeds and the plan passes the checker, never on time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

TARGETS = {"city": "< 2 s", "megacity": "<= 20 s and <= 2 GB"}

STAGES_SCRIPT = """
import json, resource, sys, time
from pathlib import Path
def cpu():  # this process and its reaped worker processes
    own, workers = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime
figures, mark = [], [time.perf_counter(), cpu()]
def done(name):
    now, used = time.perf_counter(), cpu()
    figures.append((name, now - mark[0], used - mark[1]))
    mark[:] = [now, used]
from planner.plan.inputs import load_inputs
from planner.app.pipeline import STAGES, _plan_of
from planner.plan.scenario import load_scenario
from planner.plan.summary import format_summary, summarise
from planner.plan.transaction import writing
done("imports")
scenario = load_scenario(sys.argv[1])
inputs = load_inputs(scenario, seed=scenario.plan.seed or None)  # as planner run loads them
format_summary(summarise(inputs))
done("load and validate")
with writing(Path(sys.argv[2]), "planner run", plan=_plan_of(scenario), starts_plan=True) as job:
    for stage in STAGES:
        stage.run(scenario, inputs, job.path)
        done(stage.name)
    mark[:] = [time.perf_counter(), cpu()]
done("manifest and swap")
print(json.dumps(figures))
"""

STAGE_SCRIPT = """
import json, resource, sys, time
from pathlib import Path
from planner.app.assign import assign_stage
from planner.plan.inputs import load_plan
start = time.perf_counter()
scenario, inputs = load_plan(sys.argv[1])
def cpu_seconds():  # this process and its reaped worker processes
    own, workers = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime
loaded, cpu = time.perf_counter(), cpu_seconds()
result = assign_stage(scenario, inputs, Path(sys.argv[2]))
done = time.perf_counter()
plan = result.plan
print(json.dumps({"load_s": loaded - start, "assign_s": done - loaded,
                  "assign_cpu_s": cpu_seconds() - cpu,
                  "flow_s": sum(u.flow_seconds for u in plan.units),
                  "pricing_rounds": sum(u.pricing_rounds for u in plan.units),
                  "units": len(plan.units), "teams": int(plan.assignments.task_id.nunique()),
                  "seats": len(plan.assignments), "inspectors": len(plan.loads),
                  "load_min": int(plan.loads.min()), "load_max": int(plan.loads.max()),
                  "worst_unit": max(((u.load_max - u.load_min, u.unit) for u in plan.units),
                                    default=(0, ""))}))
"""


def measured(args: list[str], cwd: Path) -> tuple[float, float, float, int, str]:
    """Run ``python ARGS``; return wall seconds, CPU seconds, peak MB, exit code, output.

    CPU seconds and the peak (``wait4`` rusage) include the worker processes the command
    forks; the peak is that of the largest single process. :data:`TREE_PEAK` keeps the
    largest sum of resident memory over the whole process tree, sampled (see
    :class:`TreeMemory`).
    """
    log = cwd / f"output-{time.monotonic_ns()}.txt"
    with open(log, "wb") as fh:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, *args], cwd=cwd, stdout=fh,
                                stderr=subprocess.STDOUT)
        with TreeMemory(proc.pid) as tree:
            _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
    TREE_PEAK[0] = tree.peak_mb
    return (seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,
            os.waitstatus_to_exitcode(status), log.read_text(encoding="utf-8"))


TREE_PEAK = [0.0]


class TreeMemory:
    """Sample the memory of a process and its descendants together (Linux /proc).

    Forked workers share their parent's pages until they write to them. Each process's
    proportional set size (PSS) counts a page shared by n processes as 1/n, so the sum over
    the tree is the memory the command really holds at that moment.
    """

    def __init__(self, root: int, interval: float = 1.0):
        self.root, self.interval, self.peak_mb = root, interval, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            parents = {}
            for entry in Path("/proc").iterdir():
                try:
                    stat = (entry / "stat").read_text()
                    parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
                except (ValueError, OSError, IndexError):
                    continue
            tree, grew = {self.root}, True
            while grew:
                more = {pid for pid, ppid in parents.items() if ppid in tree} - tree
                tree |= more
                grew = bool(more)
            total_kb = 0
            for pid in tree:
                try:
                    rollup = (Path("/proc") / str(pid) / "smaps_rollup").read_text()
                except OSError:
                    continue
                total_kb += sum(int(line.split()[1]) for line in rollup.splitlines()
                                if line.startswith("Pss:"))
            self.peak_mb = max(self.peak_mb, total_kb / 1024)


@pytest.fixture(scope="module", params=["city", "megacity"])
def preset(request, tmp_path_factory) -> tuple[str, Path]:
    out = tmp_path_factory.mktemp(request.param)
    start = time.perf_counter()
    # In a process of its own: a command started from a process of 2 GB (this one, had it
    # generated the megacity) is charged that process's size as its own peak (ru_maxrss).
    subprocess.run([sys.executable, "-m", "planner", "demo-data", "--preset", request.param,
                    "--seed", "bench", "-o", str(out)], check=True, capture_output=True)
    print(f"\ngenerated the {request.param} preset in {time.perf_counter() - start:.1f} s")
    return request.param, out / "scenario.toml"


def test_bench_planner_run(preset, tmp_path: Path):
    name, scenario = preset
    out = tmp_path / "run"
    seconds, cpu, peak, code, output = measured(
        ["-m", "planner", "run", str(scenario), "-o", str(out)], tmp_path)
    assert code == 0, output[-3000:]
    assert (out / "assignments.csv").is_file() and (out / "plan.xlsx").is_file()
    print(f"\n{name}: planner run {seconds:.1f} s wall, {cpu:.1f} s CPU, peak memory "
          f"{peak:.0f} MB in the largest process, {TREE_PEAK[0]:.0f} MB summed over it and its "
          f"workers (PSS, sampled) (target {TARGETS[name]})")

    seconds, cpu, peak, code, output = measured(
        ["-c", STAGES_SCRIPT, str(scenario), str(tmp_path / "by-stage")], tmp_path)
    assert code == 0, output[-3000:]
    stages = json.loads(output.strip().splitlines()[-1])
    print(f"{name}: by stage " + ", ".join(f"{stage} {wall:.1f} s ({used:.1f} s CPU)"
                                            for stage, wall, used in stages))

    seconds, cpu, peak, code, output = measured(
        ["-c", STAGE_SCRIPT, str(scenario), str(out)], tmp_path)
    assert code == 0, output[-3000:]
    f = json.loads(output.strip().splitlines()[-1])
    spread, unit = f["worst_unit"]
    print(f"{name}: assignment stage {f['assign_s']:.1f} s wall, {f['assign_cpu_s']:.1f} s CPU "
          f"(min-cost flow {f['flow_s']:.1f} s summed over units, {f['pricing_rounds']} "
          f"pricing rounds) for "
          f"{f['teams']:,} teams / {f['seats']:,} seats in {f['units']} unit(s); loads "
          f"{f['load_min']}-{f['load_max']} over {f['inspectors']:,} inspectors, widest spread "
          f"{spread} ({unit}); loading the inputs first took {f['load_s']:.1f} s; peak memory "
          f"{peak:.0f} MB")

    seconds, cpu, peak, code, output = measured(
        ["-m", "planner", "check", str(out)], tmp_path)
    assert code == 0, output[-3000:]
    assert output.startswith("OK: ")
    print(f"{name}: planner check {seconds:.1f} s wall, peak {peak:.0f} MB: "
          f"{output.strip().splitlines()[-1][:100]}")
