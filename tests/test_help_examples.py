"""Every ``Example:`` of every ``--help`` runs as written, on the demo data.

The examples are run in the order a quarter would run them, in a copy of the scenarios and
demo data (a few set-up steps make what an example names but no earlier example makes, such
as the department plans a merge combines). The Dask examples run where the dask extra is
installed (``pytest -m dask``); the Chicago example where ``../shared`` is present.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from planner.cli import cli
from tests.support.data import SHARED
from tests.support.docs import REPO
from tests.support.optional import need

# (command, example number within its help) in the order they run; a string is a set-up step.
QUARTER = [
    ("validate", 0), ("run", 0), ("assign", 0), ("assign", 1), ("export", 0), ("check", 0),
    ("demo-data", 0),
    ("commit", 0), ("draw", 1), ("run", 1), ("publish", 0), ("proof", 0), ("demo-data", 1),
    ("results", 0), ("results", 1),
    ("draw", 0), ("verify", 0), ("draw", 2),
    "planner run scenarios/demo-joint-market.toml -o out/market && "
    "planner run scenarios/demo-joint-food.toml -o out/food && "
    "planner run scenarios/demo-joint-quality.toml -o out/quality",
    ("merge", 0),
    ("programme", 0), ("run", 2), ("programme", 1),
    ("regrade", 0),
    ("simulate", 0), ("simulate", 1), ("simulate", 2), ("simulate", 3),
    ("learn", 0), ("learn", 1), ("simulate", 4),
]
DASK = [("demo-data", 2), ("draw", 3), ("run", 3)]


def examples() -> dict[tuple[str, int], str]:
    """Every example command of every command's help, by (command, number)."""
    found = {}
    for name, command in cli.commands.items():
        k = 0
        for paragraph in (command.help or "").split("\n\n"):
            text = " ".join(paragraph.split())
            if m := re.search(r"[Ee]xample[^:]*: (planner .*)$", text):
                found[(name, k)] = m.group(1)
                k += 1
    return found


def run_steps(steps, root: Path) -> None:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    shown = examples()
    for step in steps:
        code = step if isinstance(step, str) else shown[step]
        if "chicago" in code and not SHARED.is_dir():
            continue  # the real data is not here; the chicago-marked tests say so
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", code], cwd=root, env=env,
                              capture_output=True, text=True, encoding="utf-8", timeout=600)
        assert done.returncode == 0, f"{step}: {code}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        assert "Traceback" not in done.stderr, code


@pytest.fixture
def sandbox(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    for name in ("scenarios", "data"):
        shutil.copytree(REPO / name, root / name)
    if SHARED.is_dir():
        (tmp_path / "shared").symlink_to(SHARED, target_is_directory=True)
    return root


def test_every_example_is_run_by_a_test():
    planned = {s for s in QUARTER + DASK if not isinstance(s, str)}
    assert set(examples()) == planned
    assert {name for name, _ in examples()} == set(cli.commands)  # each command has one


def test_the_examples_run_as_written(sandbox):
    run_steps(QUARTER, sandbox)
    assert (sandbox / "out" / "q4-public" / "verify.html").is_file()
    assert (sandbox / "out" / "joint" / "visits.csv").is_file()


@pytest.mark.dask
def test_the_dask_examples_run_as_written(sandbox):
    need("distributed", "dask")
    run_steps(DASK, sandbox)
    assert (sandbox / "out" / "national" / "plan" / "plan.xlsx").is_file()
