"""What ``planner run`` loads and how its process ends (the console script's entry, ``main``).

A district plan is dominated by start-up: these tests keep what a plain run imports to what it
uses, and check that ``main``'s garbage-collector settings leave the files and the exit code
as they were. Each runs the command in a fresh interpreter, as a user does.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.data import REPO

SCRIPT = """
import gc, json, sys
from planner.cli import GC_THRESHOLD, main
sys.argv = ["planner", *sys.argv[1:]]
try:
    main()
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "modules": sorted(sys.modules),
                  "threshold": list(gc.get_threshold()), "expected": list(GC_THRESHOLD),
                  "frozen": gc.get_freeze_count()}))
"""


def run_main(*args: str, cwd: Path = REPO) -> dict:
    """Run ``planner ARGS`` through ``main`` in a new interpreter; return what it reports."""
    done = subprocess.run([sys.executable, "-c", SCRIPT, *args], capture_output=True,
                          text=True, cwd=cwd, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory) -> tuple[dict, Path]:
    """``planner run scenarios/demo.toml -o OUT`` through ``main``: its report and OUT."""
    out = tmp_path_factory.mktemp("startup") / "out"
    return run_main("run", "scenarios/demo.toml", "-o", str(out)), out


def test_demo_run_loads_neither_cp_sat_nor_worker_pools_nor_the_programme(demo_run):
    report, out = demo_run
    assert report["code"] == 0
    assert (out / "manifest.json").is_file()
    modules = set(report["modules"])
    # Imported for what the demo does: the flow and the workbooks.
    assert {"ortools.graph.python.min_cost_flow", "xlsxwriter"} <= modules
    # Not needed by a plan without separated pairs or qualifications, forks or batches.
    for name in ("ortools.sat.python.cp_model", "multiprocessing", "planner.programme",
                 "planner.programme.batch"):
        assert name not in modules, name


def test_main_tunes_the_collector_and_freezes_the_heap_at_the_end(demo_run):
    report, _ = demo_run
    assert report["threshold"] == report["expected"]
    assert report["frozen"] > 50_000  # pandas and the plan, left for the OS to free


def test_main_keeps_the_exit_code_of_a_refused_command(tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[plan]\nid = 1\n", encoding="utf-8")
    report = run_main("run", str(bad), "-o", str(tmp_path / "out"))
    assert report["code"] == 2
    assert not (tmp_path / "out").exists()


def test_a_programme_scenario_is_refused_before_its_inputs_are_read(tmp_path: Path):
    done = subprocess.run(
        [sys.executable, "-m", "planner", "run", "scenarios/programme/food-2016.toml", "-o",
         str(tmp_path / "out")], capture_output=True, text=True, cwd=REPO, check=False)
    assert done.returncode == 2
    assert done.stderr.startswith("error: scenarios/programme/food-2016.toml: plans a "
                                  "programme of batches: plan one with planner run "
                                  "scenarios/programme/food-2016.toml --batch K -o OUT")
    assert "warning:" not in done.stderr  # the inputs were not validated
    assert not (tmp_path / "out").exists()
