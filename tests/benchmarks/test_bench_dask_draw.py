"""Benchmark: the national draw on Dask at 5, 20 and 50 million enterprises, and single-process at 5.

Run with ``python -m pytest tests/benchmarks/test_bench_dask_draw.py -s -p no:cacheprovider``
(``-k "dask_draw["`` for the Dask draws only). Needs the dask extra.

The national preset is generated in partitions of one million enterprises into
``$PLANNER_BENCH_NATIONAL`` (default: a temporary folder; give a folder to keep the data between
runs: ``<folder>/<size>/`` is reused when complete). ``PLANNER_BENCH_SIZES`` picks the sizes
(default ``5000000,20000000,50000000``).

Each Dask draw runs ``planner draw --engine dask`` on a fresh local cluster of two workers with
one thread each and a 3 GiB memory limit, and reports its wall seconds, enterprises per second
per core, and the peak resident memory of each worker (polled every half second) and of the
driver. The memory of a worker should not grow with the directory: it holds one partition at a
time and a compact ordered run (about 30 bytes per eligible enterprise) of its partitions.

The single-process draw (``planner draw``) at 5 million is measured for comparison, in its own
process (peak memory from ``wait4``).

Asserts only that the draws complete and the Dask draw's files equal the single-process ones
where both ran, never on time.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

PARTITION = 1_000_000
SIZES = [int(s) for s in os.environ.get("PLANNER_BENCH_SIZES",
                                        "5000000,20000000,50000000").split(",")]

DASK_SCRIPT = """
import json, resource, sys, threading, time
from pathlib import Path
import psutil
from distributed import Client, LocalCluster
from planner.draw.distributed import dask_draw_stage
from planner.plan.scenario import load_scenario

peaks = {}
def rss():
    import psutil
    return psutil.Process().memory_info().rss

with LocalCluster(n_workers=2, threads_per_worker=1, memory_limit="3GiB", processes=True,
                  dashboard_address=":0") as cluster, Client(cluster) as client:
    stop = threading.Event()
    def poll():
        while not stop.is_set():
            try:
                for worker, value in client.run(rss).items():
                    peaks[worker] = max(peaks.get(worker, 0), value)
            except Exception:
                pass
            stop.wait(0.5)
    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    start = time.perf_counter()
    result = dask_draw_stage(load_scenario(sys.argv[1]), Path(sys.argv[2]), client=client)
    seconds = time.perf_counter() - start
    stop.set()
    watcher.join()
print(json.dumps({"seconds": seconds, "drawn": len(result.draw.original),
                  "eligible": result.draw.eligibility.eligible_count,
                  "directory": result.draw.eligibility.directory,
                  "worker_peaks_mb": sorted(v / 2**20 for v in peaks.values()),
                  "driver_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def national(size: int, root: Path) -> Path:
    """Return the national preset's scenario at ``size``, generating it when missing."""
    folder = root / str(size)
    scenario = folder / "scenario.toml"
    if scenario.is_file():
        return scenario
    from planner.demo.national import write_national

    start = time.perf_counter()
    write_national(out=folder, partitions=max(1, size // PARTITION), size=size, seed="bench")
    print(f"\ngenerated {size:,} enterprises in {time.perf_counter() - start:.0f} s")
    return scenario


@pytest.fixture(scope="module")
def data_root(tmp_path_factory) -> Path:
    pytest.importorskip("distributed")
    given = os.environ.get("PLANNER_BENCH_NATIONAL")
    return Path(given) if given else tmp_path_factory.mktemp("national")


def run(args: list[str], cwd: Path) -> tuple[float, float, str]:
    """Run ``python ARGS``; return seconds, peak memory of the process (MB) and its output."""
    log = cwd / f"output-{time.monotonic_ns()}.txt"
    with open(log, "wb") as fh:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, *args], cwd=cwd, stdout=fh,
                                stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
    output = log.read_text(encoding="utf-8")
    assert os.waitstatus_to_exitcode(status) == 0, output[-3000:]
    return seconds, usage.ru_maxrss / 1024, output


@pytest.mark.parametrize("size", SIZES)
def test_bench_dask_draw(size: int, data_root: Path, tmp_path: Path):
    import json

    scenario = national(size, data_root)
    out = data_root / str(size) / "out-dask"
    _, _, output = run(["-c", DASK_SCRIPT, str(scenario), str(out)], tmp_path)
    figures = json.loads(output.strip().splitlines()[-1])
    seconds = figures["seconds"]
    workers = ", ".join(f"{p:.0f}" for p in figures["worker_peaks_mb"])
    print(f"\ndask draw, {figures['directory']:,} enterprises ({figures['eligible']:,} eligible, "
          f"{figures['drawn']:,} drawn): {seconds:.0f} s, "
          f"{figures['directory'] / seconds / 2:,.0f} enterprises/s per core (2 workers x 1 "
          f"thread); peak memory per worker {workers} MB (limit 3 GiB); driver "
          f"{figures['driver_peak_mb']:.0f} MB")
    assert figures["directory"] == size
    single = data_root / str(size) / "out-single"
    if (single / "sample.csv").is_file():
        for name in ("sample.csv", "eligible.csv", "draw-record.json"):
            assert (out / name).read_bytes() == (single / name).read_bytes(), name


def test_bench_single_process_draw_5m(data_root: Path, tmp_path: Path):
    scenario = national(5_000_000, data_root)
    out = data_root / "5000000" / "out-single"
    seconds, peak, _ = run(["-m", "planner", "draw", str(scenario), "-o", str(out)], tmp_path)
    print(f"\nsingle-process draw, 5,000,000 enterprises: {seconds:.0f} s, "
          f"{5_000_000 / seconds:,.0f} enterprises/s (one core); peak memory {peak:.0f} MB")
    dask = data_root / "5000000" / "out-dask"
    if (dask / "sample.csv").is_file():
        for name in ("sample.csv", "eligible.csv", "draw-record.json"):
            assert (dask / name).read_bytes() == (single_file := out / name).read_bytes(), \
                single_file
