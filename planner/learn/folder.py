"""Writing the learning folder whole: built aside, swapped in.

The files of ``planner learn`` (:data:`FILES`) are written into a copy of ``OUT`` beside it
(``.OUT.planner-<pid>``), whose other files are hard-linked (never written), and the copy is
swapped in with one atomic exchange of the two directories
(:func:`planner.plan.transaction.swap_in`). Killed at any moment, ``OUT`` is the complete
previous folder or the complete new one; a file of a previous run that this run does not
write (the evaluation, without a holdout) is removed with the old folder, so the folder
never mixes two runs.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path

from planner.common.errors import ScenarioError
from planner.plan import folder as plan_folder
from planner.plan.transaction import clear_leftovers, staging_path, swap_in

FILES = ("risk-scores.csv", "risk-model.json", "risk-rates.csv", "risk-evaluation.json",
         "risk-evaluation.xlsx", "risk-evaluation.png")


def write_folder(out: Path, writers: Mapping[str, Callable[[Path], None]]) -> dict[str, Path]:
    """Write the learning files into ``out`` whole or not at all.

    Parameters
    ----------
    out : pathlib.Path
        The folder (created when absent). It must not be a plan folder itself.
    writers : mapping
        File name (one of :data:`FILES`) -> a function writing that file at the path given.

    Returns
    -------
    dict
        File name -> its path in ``out``.

    Raises
    ------
    ScenarioError
        When ``out`` is a plan folder (its manifest binds the plan's files).
    """
    out = Path(out).absolute()
    if (out / plan_folder.MANIFEST).is_file() or (out / plan_folder.RECORD).is_file():
        raise ScenarioError(f"{out} is a plan folder: write the learning into a folder of its "
                            f"own, e.g. {out / 'learn'}")
    out.parent.mkdir(parents=True, exist_ok=True)
    clear_leftovers(out)
    staging = staging_path(out)
    shutil.rmtree(staging, ignore_errors=True)
    try:
        staging.mkdir()
        if out.is_dir():
            _link_others(out, staging)
        for name, write in writers.items():
            write(staging / name)
        swap_in(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return {name: out / name for name in writers}


def _link_others(out: Path, staging: Path) -> None:
    """Hard-link (or copy) every file of ``out`` that is not one of :data:`FILES`."""
    for root, dirs, files in os.walk(out):
        rel = Path(root).relative_to(out)
        for d in sorted(dirs):
            (staging / rel / d).mkdir(exist_ok=True)
        for name in sorted(files):
            if rel == Path(".") and name in FILES:
                continue
            source, target = Path(root) / name, staging / rel / name
            try:
                os.link(source, target)
            except OSError:
                shutil.copy2(source, target)
