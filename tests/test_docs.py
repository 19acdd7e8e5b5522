"""The README and the guides cannot drift: their shell blocks run, their links resolve, and the
scenario key reference is the dataclasses'.

Every ```bash block of the README and of ``docs/`` is run as written, in order, file by file,
in a copy of the repository's scenarios, demo data and docs (so nothing is written into the
checkout). A block that cannot run here says why on the line before it, as
``<!-- not run by tests/test_docs.py: REASON -->``; blocks that read the Chicago data run
when ``../shared`` is present.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.data import SHARED
from tests.support.docs import BEGIN, DOCS, END, README, REPO, doc_files, scenario_key_reference

BLOCK = re.compile(r"(<!-- not run by tests/test_docs\.py: (?P<why>[^>]*) -->\n)?```bash\n"
                   r"(?P<code>.*?)\n```", flags=re.S)
DOCUMENTS = [p for p in doc_files() if BLOCK.search(p.read_text(encoding="utf-8"))]


def blocks(path: Path) -> list[tuple[str | None, str]]:
    return [(m.group("why"), m.group("code"))
            for m in BLOCK.finditer(path.read_text(encoding="utf-8"))]


@pytest.fixture
def sandbox(tmp_path):
    """A copy of what the docs' commands read, laid out as the checkout beside ``shared``."""
    root = tmp_path / "repo"
    root.mkdir()
    for name in ("scenarios", "data", "docs"):
        shutil.copytree(REPO / name, root / name)
    if SHARED.is_dir():
        (tmp_path / "shared").symlink_to(SHARED, target_is_directory=True)
    return root


@pytest.mark.parametrize("path", DOCUMENTS, ids=[p.relative_to(REPO).as_posix()
                                                 for p in DOCUMENTS])
def test_every_shell_block_runs_as_written(path, sandbox):
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               COLUMNS="100")
    ran = absent = 0
    for why, code in blocks(path):
        if why is not None:
            assert len(why.strip()) > 10, f"say why a block of {path.name} is not run"
            continue
        if "chicago" in code and not SHARED.is_dir():
            absent += 1
            continue  # the real data lives in ../shared; tests marked chicago say so
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", code], cwd=sandbox, env=env,
                              capture_output=True, text=True, encoding="utf-8", timeout=600)
        assert done.returncode == 0, (f"{path.name}: this block failed (exit "
                                      f"{done.returncode}):\n{code}\n{done.stdout[-3000:]}\n"
                                      f"{done.stderr[-3000:]}")
        assert "Traceback" not in done.stderr
        ran += 1
    assert ran or absent or all(why for why, _ in blocks(path))


def test_the_first_quarter_reaches_the_public_bundle(sandbox):
    # the README's walk-through as one piece: every step after the first finds what it needs
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    code = "\n".join(c for why, c in blocks(README) if why is None)
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", code], cwd=sandbox, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    public = sandbox / "out" / "q4-public"
    assert {"verify.html", "result-notice.xlsx", "task-notice.xlsx"} <= \
        {p.name for p in public.iterdir()}
    assert "verified" in done.stdout
    assert "OK: " in done.stdout  # planner check of the folder


def test_every_relative_link_resolves():
    broken = []
    for path in doc_files():
        text = path.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if "://" in target:
                continue
            if not (path.parent / target).exists():
                broken.append(f"{path.relative_to(REPO)}: {target}")
    assert not broken, broken


def test_the_scenario_key_reference_is_the_dataclasses():
    text = (DOCS / "reference" / "scenario.md").read_text(encoding="utf-8")
    shown = text[text.index(BEGIN) + len(BEGIN):text.index(END)].strip("\n") + "\n"
    assert shown == scenario_key_reference(), \
        "docs/reference/scenario.md is stale: paste the output of python -m tests.support.docs"


def test_the_readme_is_a_guide_not_a_wall():
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) < 250
    for heading in ("## What planner is", "## Your first quarter", "## Commands",
                    "## Guides and references"):
        assert heading in text
