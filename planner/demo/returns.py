"""Invented field returns: filled copies of a plan's field workbooks, to try ``planner results``.

A bureau's teams fill the field workbooks by hand on their visits. To walk through a quarter
on the demo data without doing that, :func:`write_returns` copies every field workbook of a
plan folder into another folder and fills each task's result cells as a team would: a
problem found (发现问题待后续处理, follow-up 责令改正) with the demo's problem rate of the task's
risk class (``RATES``, the rates ``planner demo-data`` generates its history with), else
未发现问题 (无需后续处置), and a completion date within the plan's period (not before a batch's
最早检查日期). The plan folder itself is not touched, and the same plan and seed give the same
filled workbooks.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import openpyxl

from planner.common import columns, randomness
from planner.common.errors import InputError
from planner.demo.generate import STREAMS
from planner.plan import folder
from planner.publish.results import ExportedPlan

# Problem rate per class of the demo history (planner.demo.generate); other classes take 5 %.
RATES = {"A": 0.02, "B": 0.05, "C": 0.12, "D": 0.25}
OTHER_RATE = 0.05
PROBLEM = ("发现问题待后续处理", "责令改正")
CLEAN = ("未发现问题", "无需后续处置")
FILLED = ("task_id", "result", "follow_up", "completed")


def _headers(key: str) -> set[str]:
    """Both languages' header of a field workbook column."""
    spec = next(c for c in (*columns.PLAN, *columns.RESULT) if c.key == key)
    return {spec.zh, spec.en}


def _earliest(task, start: dt.date) -> dt.date:
    """Return the first day the task may be done: the start, or its ``not_before`` (a batch's)."""
    not_before = str(task.get("not_before", "") or "")
    return max(start, dt.date.fromisoformat(not_before)) if not_before else start


def _save_reproducibly(wb: openpyxl.Workbook, target: Path, when: dt.datetime) -> None:
    """Save ``wb`` with every time stamp at ``when``: the same returns give the same bytes.

    openpyxl stamps the document properties and each zip entry with the clock; both are set
    to the plan's start instead.
    """
    wb.properties.created = when
    wb.save(target)
    with zipfile.ZipFile(target) as z:
        parts = [(info, z.read(info)) for info in z.infolist()]
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in parts:
            if info.filename == "docProps/core.xml":  # openpyxl sets modified to the clock
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>" + when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
                              + rb"\g<2>", data)
            fixed = zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(fixed, data)


@contextlib.contextmanager
def _new_folder(dest: Path) -> Iterator[Path]:
    """Build the folder ``dest`` aside and move it into place whole.

    ``dest`` must be absent or empty: the copies never replace files someone else left there.
    """
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise InputError("already exists and is not an empty folder; name a new folder for "
                         "the filled copies", file=str(dest))
    staging = dest.parent / f".{dest.name}.planner-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        yield staging
        if dest.is_dir():
            dest.rmdir()  # empty, checked above
        os.rename(staging, dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_returns(out: str | Path, dest: str | Path, seed: str,
                  progress: Callable[[str], None] | None = None) -> list[Path]:
    """Write filled copies of the field workbooks of plan folder ``out`` into ``dest``.

    Parameters
    ----------
    out : str or pathlib.Path
        A plan folder written by ``planner run`` or ``planner export``.
    dest : str or pathlib.Path
        Where the filled copies go (created; written whole). Must not be inside ``out``.
    seed : str
        Seed of the invented results (with the plan's own seed, it decides every result).
    progress : callable, optional
        Progress reporter.

    Returns
    -------
    list of pathlib.Path
        The filled workbooks, in ``dest``.

    Raises
    ------
    InputError
        When ``out`` holds no exported plan, or ``dest`` lies inside it.
    """
    out, dest = Path(out).absolute(), Path(dest).absolute()
    if dest == out or out in dest.parents:
        raise InputError("the filled copies go outside the plan folder (a field team returns "
                         "copies; the plan folder keeps the forms it handed out)", file=str(dest))
    plan = ExportedPlan.read(out)
    tasks = plan.tasks.set_index("task_id")
    rng = randomness.generator(f"{plan.facts.seed}:{seed}", "demo", STREAMS.index("returns"))
    books = sorted(folder.exported_workbooks(out))
    start = plan.facts.start
    with _new_folder(dest) as staging:
        written = []
        for name in books:
            target = staging / Path(name).name
            shutil.copyfile(out / name, target)
            wb = openpyxl.load_workbook(target)
            ws = wb.worksheets[0]
            header = {str(c.value): c.column for c in ws[1] if c.value is not None}
            col = {}
            for key in FILLED:
                found = [header[h] for h in _headers(key) if h in header]
                if not found:
                    raise InputError(f"has no {key} column; export the plan again",
                                     file=str(out / name))
                col[key] = found[0]
            for row in range(2, ws.max_row + 1):
                task = ws.cell(row, col["task_id"]).value
                if not task or str(task) not in tasks.index:
                    continue
                t = tasks.loc[str(task)]
                rate = RATES.get(str(t["risk_class"]), OTHER_RATE)
                result, follow = PROBLEM if rng.random() < rate else CLEAN
                first = _earliest(t, start)
                span = max(0, (plan.facts.end - first).days)
                done = first + dt.timedelta(days=int(rng.integers(0, span + 1)))
                ws.cell(row, col["result"]).value = result
                ws.cell(row, col["follow_up"]).value = follow
                ws.cell(row, col["completed"]).value = done
            _save_reproducibly(wb, target, dt.datetime.combine(start, dt.time()))
            written.append(dest / target.name)
            if progress is not None:
                progress(f"filled {target.name}")
    return written
