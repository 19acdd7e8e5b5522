"""The export stage: the bureau's ``plan.xlsx`` and the field teams' workbooks.

After the draw (``sample.csv``, ``draw-record.json``) and the assignment (``assignments.csv``),
:func:`export_stage` writes into the output folder:

- ``plan.xlsx`` for the bureau: a summary sheet (plan facts, seed, input hashes, counts by
  class and district, inspector loads) and the whole plan (with the internal risk class);
- ``teams/*.xlsx``, one field workbook per team (tasks sharing a lead inspector, 主检), per
  district or one in all (``[export] split_by``): the plan columns locked, the result columns
  (检查结果, 后续处置, 检查完成日期, 备注) editable with drop-down lists of the official categories
  and a date check, header frozen, filters on, columns sized, ready to print;
- ``tasks.csv`` (the plan as data) and ``export.json`` (the plan's facts and the workbook list),
  which ``planner results`` reads to check the filled workbooks.

Every file is written whole or not at all, and the same inputs and seed give byte-identical
files. Headers are Chinese by default, English with ``[export] language = "en"``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from planner import __version__
from planner.common import categories as cat
from planner.common import columns
from planner.common.errors import VerificationError
from planner.common.io import csv_text, sha256_file
from planner.common.parallel import fork_pool, on_given_executor, worker_count
from planner.common.xlsx import (
    Styles,
    clean_text,
    deterministic_workbook,
    make_styles,
    row_heights,
    setup_print,
    text_widths,
    write_cells,
    write_header,
    write_pairs,
    write_table,
)
from planner.plan import folder
from planner.plan.inputs import Inputs
from planner.plan.scenario import Scenario
from planner.plan.seeds import seed_from_record
from planner.publish.amendments import amendment_list, write_amendment_workbook
from planner.publish.item_results import item_rows, write_item_sheet
from planner.publish.returned import (
    find_returned,
    keep_unchanged,
    refuse_conflicts,
    removable,
    unchanged_stamps,
)
from planner.publish.tasks import (
    ID_SEPARATOR,
    TASK_COLUMNS,
    PlanFacts,
    build_tasks,
    item_names,
    natural_order,
    plan_cells,
    read_draw_record,
    read_stage_table,
    record_hashes,
    with_schedule,
)

SAMPLE_COLUMNS = ("enterprise_id", "name", "risk_class", "stratum", "ticket", "rank")
# Plan columns a field workbook prints once in its page header, not in every row, when they
# are the same on every row (a team's workbook: its district, team number, lead and period).
PRINT_IN_HEADER = ("district", "team", "lead", "period")
# The summary sheet's columns: labels, values (a SHA-256 is 64 characters), then counts.
SUMMARY_WIDTHS = (22.0, 66.0, 10.0)
ASSIGNMENT_COLUMNS = ("task_id", "enterprise_id", "inspector_id", "role")
# Rows of a small workbook are assembled in memory; above this XlsxWriter streams them.
LARGE_ROWS = 5_000
# From this many tasks on, field workbooks are written by forked worker processes
# (planner.common.parallel) while plan.xlsx is written in the main process.
PARALLEL_ROWS = 1_000


@dataclass
class ExportResult:
    """What the export wrote."""

    out: Path
    plan_path: Path
    tasks_path: Path
    workbooks: list[Path]
    tasks: int
    split_by: str
    language: str
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)

    def summary_lines(self) -> list[str]:
        """Lines for the terminal after ``planner run`` / ``planner export``."""
        lines = [
            f"Export: {self.tasks} tasks -> {self.plan_path}",
            f"  field workbooks: {len(self.workbooks)} in {self.out / 'teams'} "
            f"(split by {self.split_by}, headers {self.language})",
        ]
        lines += [f"  warning: {w}" for w in self.warnings]
        return lines


def export_stage(scenario: Scenario, inputs: Inputs, out: Path, *, progress=None,
                 force: bool = False) -> ExportResult:
    """Write the bureau's plan workbook and the field workbooks from the draw and assignment.

    Parameters
    ----------
    scenario : Scenario
        The plan's scenario (``[plan]`` facts, ``[export]`` language and split).
    inputs : Inputs
        Its validated inputs.
    out : pathlib.Path
        The output folder holding ``sample.csv``, ``assignments.csv`` and ``draw-record.json``.
    progress : callable, optional
        Progress reporter.
    force : bool
        When a field workbook holding returned work (filled in, or not the planner's) would
        change, copy the plan into ``out/archive/`` first instead of refusing.

    Returns
    -------
    ExportResult
        The files written.

    Raises
    ------
    InputError
        When ``sample.csv`` or ``assignments.csv`` is missing or does not fit the inputs.
    VerificationError
        When the draw record's input hashes differ from the inputs given now.
    ScenarioError
        When ``[plan] items`` names an unknown item code.
    ReturnedWorkError
        When a workbook holding returned work would change and ``force`` is not given.
    """
    started = time.perf_counter()
    out = Path(out)
    scenario = seed_from_record(scenario, out)
    say = progress or (lambda _m: None)
    hint = "run the draw and assignment first: planner run SCENARIO -o OUT"
    sample = read_stage_table(out, folder.SAMPLE, SAMPLE_COLUMNS, hint)
    assignments = read_stage_table(out, folder.ASSIGNMENTS, ASSIGNMENT_COLUMNS, hint)
    record = read_draw_record(out)
    hashes = _checked_hashes(record, inputs, out)
    say("export: building the task table")
    tasks = with_schedule(build_tasks(scenario, inputs, sample, assignments, out=out), out)
    facts = PlanFacts.from_scenario(scenario, item_names(scenario, inputs), _scope(scenario, tasks))
    language = scenario.export.language
    created = dt.datetime.combine(scenario.plan.start, dt.time())

    cells = plan_cells(tasks, facts, language)
    measured = measure_cells(cells)
    plan_path = folder.path(out, folder.PLAN_WORKBOOK)

    def write_plan() -> None:
        say("export: writing plan.xlsx")
        write_plan_workbook(plan_path, tasks, facts, inputs, language, hashes, created=created,
                            cells=cells, measured=measured)

    workers = _worker_count(len(tasks))
    say(f"export: writing {tasks['workbook'].nunique()} field workbooks")
    targets = sorted(tasks["workbook"].unique())
    returned = find_returned(out, targets, force=force)
    earlier = unchanged_stamps(out, targets)
    earlier = (folder.read_csv(out, folder.TASKS) if folder.path(out, folder.TASKS).is_file()
               else None)
    changes = amendment_list(earlier, tasks, folder.read_record_if_any(out))  # the export before
    written = _write_workbooks(tasks, facts, language, out, created=created, cells=cells,
                               measured=measured, workers=workers, meanwhile=write_plan)
    workbooks = list(written.digests)
    digests = written.digests  # as written, before any filled is put back
    kept = keep_unchanged(out, digests, earlier)
    refuse_conflicts(returned.restore(), out, force)
    if len(changes):
        folder.write_csv(out, folder.AMENDMENTS, changes)
        write_amendment_workbook(folder.path(out, folder.AMENDMENT_WORKBOOK), changes, language,
                                 title=f"{facts.plan_id} {facts.plan_name}", created=created)
    tasks_path = folder.path(out, folder.TASKS)
    _write_record(out, scenario, facts, tasks, digests, tasks_path, written.tasks_sha256)
    warnings = [f"kept {len(returned.kept)} field workbook(s) holding returned work"] \
        if returned.kept else []
    if earlier:
        warnings.append(f"{len(workbooks) - kept} field workbook(s) changed since the last "
                        f"export; {kept} are as they were")
    if len(changes):
        warnings.append(f"{len(changes)} change(s) since the last export listed in "
                        f"{folder.path(out, folder.AMENDMENTS)} and "
                        f"{folder.path(out, folder.AMENDMENT_WORKBOOK)} (变更清单)")
    if returned.archived is not None:
        warnings.append(f"copied the plan as it was into {returned.archived}")
    if not facts.items:
        warnings.append("no inspection items: the 抽查事项 column is empty; give [inputs] items "
                        "and list the plan's item codes in [plan] items")
    return ExportResult(
        out=out, plan_path=plan_path, tasks_path=tasks_path, workbooks=workbooks,
        tasks=len(tasks), split_by=scenario.export.split_by, language=language,
        seconds=time.perf_counter() - started, warnings=warnings,
    )


def _checked_hashes(record: dict, inputs: Inputs, out: Path) -> dict[str, str]:
    """Return the input hashes to print: the draw's, which must match the inputs now."""
    recorded = record_hashes(record)
    changed = [
        f"{name}: the draw used {digest[:12]}..., the file now is {inputs.hashes[name][:12]}..."
        for name, digest in sorted(recorded.items())
        if name in inputs.hashes and inputs.hashes[name] != digest
    ]
    if changed:
        raise VerificationError(
            f"the inputs differ from those {folder.path(out, folder.RECORD)} was drawn from; re-run "
            "planner run, or restore the files the draw used",
            changed,
        )
    return dict(sorted({**inputs.hashes, **recorded}.items()))


def _scope(scenario: Scenario, tasks: pd.DataFrame) -> str:
    districts = sorted(d for d in tasks["district"].unique() if d)
    sep = "、" if scenario.export.language == "zh" else ", "
    return sep.join(districts)


def _write_record(
    out: Path, scenario: Scenario, facts: PlanFacts, tasks: pd.DataFrame,
    workbooks: dict[Path, str], tasks_path: Path, tasks_sha256: str,
) -> None:
    try:
        scenario_ref = os.path.relpath(scenario.path.resolve(), out.resolve())
    except ValueError:  # another drive on Windows
        scenario_ref = str(scenario.path.resolve())
    counts = tasks["workbook"].value_counts()
    record = {
        "program_version": __version__,
        "scenario": Path(scenario_ref).as_posix(),
        "language": scenario.export.language,
        "split_by": scenario.export.split_by,
        "plan": facts.to_dict(),
        "tasks": {"file": tasks_path.name, "rows": len(tasks), "sha256": tasks_sha256},
        "workbooks": [
            {"file": p.relative_to(out).as_posix(), "rows": int(counts[p.relative_to(out).as_posix()]),
             "sha256": digest}
            for p, digest in workbooks.items()
        ],
    }
    folder.write_export_manifest(out, record)


def write_field_workbooks(
    tasks: pd.DataFrame, facts: PlanFacts, language: str, out: Path, *, created: dt.datetime,
    cells: pd.DataFrame | None = None, measured: pd.DataFrame | None = None, workers: int = 1,
    meanwhile: Callable[[], None] | None = None,
) -> list[Path]:
    """Write one field workbook per ``tasks["workbook"]`` value and drop stale ones.

    With ``workers > 1`` the workbooks are written by worker processes (each workbook is
    independent, so the files are the same either way) while ``meanwhile`` runs here, e.g.
    writing ``plan.xlsx``; then this process writes the workbooks no worker has started.

    Parameters
    ----------
    tasks : pandas.DataFrame
        The task table.
    facts : PlanFacts
        The plan's facts.
    language : str
        ``"zh"`` or ``"en"``.
    out : pathlib.Path
        The output folder; workbooks go to ``out/teams``.
    created : datetime.datetime
        The fixed document time.
    cells : pandas.DataFrame, optional
        The plan cells (:func:`planner.publish.tasks.plan_cells`), when already rendered.
    measured : pandas.DataFrame, optional
        Their widths (:func:`measure_cells`), when already measured.
    workers : int
        Processes that write, this one included (1: write here, one workbook after another).
    meanwhile : callable, optional
        Called once in this process while the workers write (or before, with one worker).

    Returns
    -------
    list of pathlib.Path
        The workbooks written, in name order.
    """
    written = _write_workbooks(tasks, facts, language, out, created=created, cells=cells,
                               measured=measured, workers=workers, meanwhile=meanwhile)
    return list(written.digests)


@dataclass
class _Written:
    """What :func:`_write_workbooks` wrote: each field workbook's SHA-256, and ``tasks.csv``'s."""

    digests: dict[Path, str]
    tasks_sha256: str


def _write_workbooks(
    tasks: pd.DataFrame, facts: PlanFacts, language: str, out: Path, *, created: dt.datetime,
    cells: pd.DataFrame | None, measured: pd.DataFrame | None, workers: int,
    meanwhile: Callable[[], None] | None,
) -> _Written:
    """Write the field workbooks and ``tasks.csv``, and run ``meanwhile``, on ``workers``.

    On this machine's forked processes, ``workers - 1`` of them render ``tasks.csv`` and
    write the field workbooks, largest first, while this process runs ``meanwhile``
    (``plan.xlsx``, the largest single piece); then this process takes the pieces no worker
    has started, smallest first, so that no core waits while work is left. On an executor
    given by :func:`planner.common.parallel.running_on`, the workbooks go to its
    ``workers`` in batches of similar size.
    """
    if cells is None:
        cells = plan_cells(tasks, facts, language)
    if measured is None:
        measured = measure_cells(cells)
    pieces = _Pieces(tasks, cells, measured, facts, language, out, created)
    if workers > 1 and on_given_executor():
        jobs = [pieces.job(k) for k in range(len(pieces.books))]
        batches = _balanced_batches(jobs, workers)
        with fork_pool(workers) as pool:
            futures = [pool.submit(_tasks_csv, tasks)]
            futures += [pool.submit(write_field_batch, batch, facts, language, created)
                        for batch in batches]
            if meanwhile is not None:
                meanwhile()
            (csv_text, csv_sha256), *found = [f.result() for f in futures]
        folder.write_text(out, folder.TASKS, csv_text)  # the executor may not share this disk
        digests = {path: digest for batch, batch_digests in zip(batches, found, strict=True)
                   for (path, *_), digest in zip(batch, batch_digests, strict=True)}
    else:
        if workers > 1:
            results = _run_forked(pieces, workers - 1, meanwhile)
        else:
            if meanwhile is not None:
                meanwhile()
            results = [pieces.run(i) for i in range(len(pieces))]
        csv_sha256, *found = results
        digests = {pieces.path(k): digest for k, digest in zip(pieces.order, found, strict=True)}
    digests = {pieces.path(k): digests[pieces.path(k)] for k in range(len(pieces.books))}
    _remove_stale(folder.path(out, folder.TEAMS), {p.name for p in digests})
    return _Written(digests, csv_sha256)


class _Pieces:
    """The work beside ``plan.xlsx``: ``tasks.csv`` (piece 0), then each field workbook.

    Pieces 1, 2, ... are the field workbooks from the largest to the smallest; each is cut
    from the plan's cells only when it runs, in whichever process runs it. Each piece writes
    its file and returns only the file's SHA-256: a forked worker's result comes back
    through a pipe, which the busy main process would read slowly, a pipe's buffer at a time.
    """

    def __init__(self, tasks: pd.DataFrame, cells: pd.DataFrame, measured: pd.DataFrame,
                 facts: PlanFacts, language: str, out: Path, created: dt.datetime) -> None:
        self.tasks, self.cells, self.measured = tasks, cells, measured
        self.facts, self.language, self.out, self.created = facts, language, out, created
        # Workbook name -> positions of its tasks, in name order.
        self.books = sorted(tasks.groupby("workbook", sort=False).indices.items())
        self.order = sorted(range(len(self.books)), key=lambda k: -len(self.books[k][1]))
        self.starts = np.cumsum([0] + [len(p) for _, p in self.books]).tolist()
        self._by_book: tuple[pd.DataFrame, pd.DataFrame] | None = None
        self._items = pd.DataFrame()

    def __len__(self) -> int:
        return 1 + len(self.books)

    def path(self, k: int) -> Path:
        """Return the path of workbook ``k`` (in name order)."""
        return self.out / self.books[k][0]

    def job(self, k: int) -> tuple:
        """Return the :func:`write_field_batch` job of workbook ``k`` (in name order)."""
        name, positions = self.books[k]
        if self._by_book is None:
            # The cells once in workbook order (each workbook's rows in plan order), so that
            # a workbook's rows are one slice rather than a selection from every column.
            everything = np.concatenate([p for _, p in self.books]) if self.books else []
            self._by_book = (self.cells.iloc[everything], self.measured.iloc[everything])
            self._items = item_rows(self.tasks)
        cells, measured = self._by_book
        rows = slice(self.starts[k], self.starts[k] + len(positions))
        items = self._items
        mine = items[items["workbook"] == name] if len(items) else None
        subtitle = _workbook_subtitle(self.tasks, positions[0], name, self.language)
        return (self.path(k), cells.iloc[rows], measured.iloc[rows], subtitle, mine)

    def run(self, i: int) -> str:
        """Run piece ``i``: write ``tasks.csv`` or a workbook, and return its SHA-256."""
        if i == 0:
            text, sha256 = _tasks_csv(self.tasks)
            folder.write_text(self.out, folder.TASKS, text)
            return sha256
        job = self.job(self.order[i - 1])
        return write_field_batch([job], self.facts, self.language, self.created)[0]


# The pieces a forked worker runs: set before the pool forks, so that the worker inherits
# them with the rest of this process's memory instead of receiving them pickled.
_INHERITED: _Pieces | None = None


def _run_inherited(i: int):
    """Run piece ``i`` of the pieces inherited from the process that forked this one."""
    assert _INHERITED is not None, "only forked workers run inherited pieces"
    return _INHERITED.run(i)


def _run_forked(pieces: _Pieces, processes: int, meanwhile: Callable[[], None] | None) -> list:
    """Run ``pieces`` on ``processes`` forked workers while ``meanwhile`` runs here.

    Then this process runs, last first, each piece no worker has started (a cancelled
    future never runs), while the workers go on with the others.

    Returns
    -------
    list
        Each piece's result, in order.
    """
    global _INHERITED
    _INHERITED = pieces
    try:
        with fork_pool(processes) as pool:
            futures = [pool.submit(_run_inherited, i) for i in range(len(pieces))]
            try:
                if meanwhile is not None:
                    meanwhile()
            except BaseException:  # e.g. plan.xlsx failed: start no more pieces
                for future in futures:
                    future.cancel()
                raise
            results: list = [None] * len(pieces)
            for i in reversed(range(len(pieces))):
                if futures[i].cancel():
                    results[i] = pieces.run(i)
            for i, future in enumerate(futures):
                if not future.cancelled():
                    results[i] = future.result()
    finally:
        _INHERITED = None
    return results


def _tasks_csv(tasks: pd.DataFrame) -> tuple[str, str]:
    """Return ``tasks.csv``'s text as :func:`planner.plan.folder.write_csv` writes it, and its SHA-256."""
    text = csv_text(tasks)
    return text, hashlib.sha256(text.encode("utf-8")).hexdigest()


def write_field_batch(
    jobs: list[tuple[Path, pd.DataFrame, pd.DataFrame, str]], facts: PlanFacts, language: str,
    created: dt.datetime,
) -> list[str]:
    """Write field workbooks one after another (run in this process or a worker).

    Parameters
    ----------
    jobs : list of tuple
        ``(path, plan cells of its rows, their measured widths, subtitle, item rows or
        None)`` per workbook.
    facts : PlanFacts
        The plan's facts.
    language : str
        ``"zh"`` or ``"en"``.
    created : datetime.datetime
        The fixed document time.

    Returns
    -------
    list of str
        The SHA-256 of each workbook as written, in the order of ``jobs``.
    """
    digests = []
    for path, rows, measured, subtitle, items in jobs:
        write_plan_sheet_book(path, rows, facts, language, created=created, subtitle=subtitle,
                              measured=measured, items=items)
        digests.append(sha256_file(path))
    return digests


def _worker_count(tasks: int) -> int:
    """Return how many processes write the field workbooks (see :mod:`planner.common.parallel`)."""
    return worker_count(tasks, PARALLEL_ROWS)


def _balanced_batches(jobs: list, n: int) -> list[list]:
    """Split jobs into at most ``n`` batches of similar row counts (largest first)."""
    batches: list[list] = [[] for _ in range(n)]
    loads = [0] * n
    for job in sorted(jobs, key=lambda j: -len(j[1])):
        i = loads.index(min(loads))
        batches[i].append(job)
        loads[i] += len(job[1]) + 20  # a workbook costs about as much as 20 rows
    return [b for b in batches if b]


def _workbook_subtitle(tasks: pd.DataFrame, position: int, name: str, language: str) -> str:
    """Return what a workbook's page header says of it: its team and lead, or district."""
    if name.startswith("teams/team-"):
        team = cat.label("team", language).format(n=int(tasks["team_no"].iat[position]))
        return f"{team} {tasks['lead_name'].iat[position]}"
    if name.startswith("teams/district-"):
        return str(tasks["district"].iat[position])
    return ""


def _remove_stale(teams: Path, keep: set[str]) -> None:
    """Remove field workbooks of an earlier export that this export did not write.

    Only workbooks an earlier export wrote and nobody changed are removed; a filled
    workbook or a file the planner did not write stays.
    """
    if not teams.is_dir():
        return
    out = teams.parent
    previous = folder.exported_workbooks(out)
    for path in sorted(teams.glob("*.xlsx")):
        if path.name not in keep and removable(path, previous, out):
            path.unlink()


def write_plan_sheet_book(
    path: Path, rows: pd.DataFrame, facts: PlanFacts, language: str, *,
    created: dt.datetime, subtitle: str = "", measured: pd.DataFrame | None = None,
    items: pd.DataFrame | None = None,
) -> None:
    """Write one field workbook: the plan sheet with result columns, and the hidden lists.

    Parameters
    ----------
    path : pathlib.Path
        The workbook to write.
    rows : pandas.DataFrame
        The plan cells (:func:`planner.publish.tasks.plan_cells`) of its tasks, in order.
    facts : PlanFacts
        The plan's facts.
    language : str
        ``"zh"`` or ``"en"``.
    created : datetime.datetime
        The fixed document time.
    subtitle : str
        The team or district, printed in the page header.
    measured : pandas.DataFrame, optional
        The rows' cell widths (:func:`measure_cells`), when already measured.
    items : pandas.DataFrame, optional
        The (task, item) rows of its tasks, when tasks differ in their items: an item-results
        sheet is added (:mod:`planner.publish.item_results`).
    """
    title = f"{facts.plan_name} {subtitle}".strip()
    with deterministic_workbook(path, created=created, title=title, subject=facts.plan_id,
                                author=facts.authority, large=len(rows) > LARGE_ROWS) as wb:
        styles = make_styles(wb)
        ws = wb.add_worksheet(cat.label("sheet_plan", language))
        _write_plan_sheet(ws, rows, facts, language, styles, protect=True, extra={},
                          print_title=f"{facts.plan_id} {title}", measured=measured)
        if items is not None and len(items):
            write_item_sheet(wb, items, language, styles)
        _write_lists_sheet(wb, language)


def _write_plan_sheet(
    ws, rows: pd.DataFrame, facts: PlanFacts, language: str, styles: Styles, *,
    protect: bool, extra: dict[str, pd.Series], print_title: str,
    measured: pd.DataFrame | None = None,
) -> None:
    """Write the plan sheet: plan columns (locked), result columns (to fill), ``extra``.

    ``extra`` holds the values of the bureau's internal columns (:data:`columns.BUREAU`
    keys), for ``plan.xlsx`` only.

    What prints (on A4 at >= 9 pt, :func:`planner.common.xlsx.write_table`): in
    ``plan.xlsx`` the plan columns but the planned period (the same on every row, printed in
    the page header), not the empty result columns nor the internal ones; in a field
    workbook the plan and result columns, less those of :data:`PRINT_IN_HEADER` that are the
    same on every row (its district, team, lead, period): those are hidden and printed once
    in the page header instead.
    """
    bureau = columns.by_key(columns.BUREAU)
    plan = columns.plan_table("expert" in rows.columns, columns.NOT_BEFORE.key in rows.columns)
    table = [*plan, *columns.RESULT, *(bureau[k] for k in extra)]
    n = len(rows)
    seq = pd.Series(range(1, n + 1), index=rows.index, dtype=object)
    blank = pd.Series([None] * n, index=rows.index, dtype=object)
    values = [seq] + [rows[c.key] for c in plan[1:]]
    values += [blank] * len(columns.RESULT)
    values += list(extra.values())
    if measured is None:
        measured = measure_cells(rows)
    sizes = [measured[c.key].to_numpy() if c.key in measured else None for c in table]
    # Field sheets get shaded, unlocked cells to fill in; the bureau's sheet is not
    # protected, so its result columns are left empty (and the file smaller).
    if protect:
        same = [k for k in PRINT_IN_HEADER if n and rows[k].nunique() == 1]
        print_keys = {c.key for c in (*plan, *columns.RESULT)} - set(same)
        in_header = [str(rows[k].iloc[0]) for k in same]
    else:
        print_keys = {c.key for c in plan} - {"period"}
        in_header = [facts.period(language)]
    write_table(ws, table, values, language, styles, measured=sizes, fill_cells=protect,
                freeze_columns=3, print_title=" ".join([print_title, *in_header]),
                print_keys=print_keys)
    first_result = len(plan)
    _add_validations(ws, language, facts, first_result, max(n, 1))
    if protect:
        ws.protect("", {"autofilter": True, "format_columns": True, "format_rows": True,
                        "sort": False})


def measure_cells(cells: pd.DataFrame) -> pd.DataFrame:
    """Return the display width of every plan cell, to size columns and rows.

    Parameters
    ----------
    cells : pandas.DataFrame
        Plan cells (:func:`planner.publish.tasks.plan_cells`).

    Returns
    -------
    pandas.DataFrame
        Integer widths, same index and columns.
    """
    return pd.DataFrame({k: text_widths(cells[k]) for k in cells.columns}, index=cells.index)


def _add_validations(ws, language: str, facts: PlanFacts, first_col: int, last_row: int) -> None:
    lists = cat.label("sheet_lists", language)
    result_range = f"='{lists}'!$A$1:$A${len(cat.RESULTS)}"
    follow_range = f"='{lists}'!$B$1:$B${len(cat.FOLLOW_UPS)}"
    hint = cat.label("fill_result", language)
    for offset, key, source in ((0, "result", result_range), (1, "follow_up", follow_range)):
        head = cat.header(cat.RESULT_COLUMNS, key, language)
        ws.data_validation(1, first_col + offset, last_row, first_col + offset, {
            "validate": "list",
            "source": source,
            # A warning, not a stop: a cell may hold several categories separated by ；,
            # which planner results checks one by one.
            "error_type": "warning",
            "input_title": head[:32],
            "input_message": hint,
            "error_title": head[:32],
            "error_message": hint,
        })
    period = facts.period(language)
    head = cat.header(cat.RESULT_COLUMNS, "completed", language)
    ws.data_validation(1, first_col + 2, last_row, first_col + 2, {
        "validate": "date",
        "criteria": "between",
        "minimum": dt.datetime.combine(facts.start, dt.time()),
        "maximum": dt.datetime.combine(facts.end, dt.time()),
        "error_type": "stop",
        "input_title": head[:32],
        "input_message": f"{cat.label('fill_date', language)}: {period}",
        "error_title": head[:32],
        "error_message": f"{cat.label('fill_date', language)}: {period}",
    })


def _write_lists_sheet(wb, language: str) -> None:
    """Write the hidden, protected sheet the drop-down lists read their categories from."""
    ws = wb.add_worksheet(cat.label("sheet_lists", language))
    for row, category in enumerate(cat.RESULTS):
        ws.write_string(row, 0, category.label(language))
    for row, category in enumerate(cat.FOLLOW_UPS):
        ws.write_string(row, 1, category.label(language))
    ws.set_column(0, 1, 40)
    ws.protect()
    ws.hide()


def write_plan_workbook(
    path: Path, tasks: pd.DataFrame, facts: PlanFacts, inputs: Inputs, language: str,
    hashes: dict[str, str], *, created: dt.datetime, cells: pd.DataFrame | None = None,
    measured: pd.DataFrame | None = None,
) -> None:
    """Write the bureau's ``plan.xlsx``: summary sheet, plan sheet, hidden lists.

    Parameters
    ----------
    path : pathlib.Path
        Where to write.
    tasks : pandas.DataFrame
        The task table.
    facts : PlanFacts
        The plan's facts.
    inputs : Inputs
        The inputs (inspector details for the loads, grading classes).
    language : str
        ``"zh"`` or ``"en"``.
    hashes : dict
        Input name -> SHA-256 to print.
    created : datetime.datetime
        The fixed document time.
    cells : pandas.DataFrame, optional
        The plan cells, when already rendered.
    measured : pandas.DataFrame, optional
        Their widths (:func:`measure_cells`), when already measured.
    """
    if cells is None:
        cells = plan_cells(tasks, facts, language)
    extra = {
        "risk_class": clean_text(tasks["risk_class"]),
        "stratum": clean_text(tasks["stratum"]),
        "ticket": clean_text(tasks["ticket"]),  # as the draw wrote it, to verify
        "workbook": tasks["workbook"],
    }
    with deterministic_workbook(path, created=created, title=facts.plan_name,
                                subject=facts.plan_id, author=facts.authority,
                                large=len(tasks) > LARGE_ROWS) as wb:
        styles = make_styles(wb)
        summary = wb.add_worksheet(cat.label("sheet_summary", language))
        _write_summary_sheet(summary, tasks, facts, inputs, language, hashes, styles)
        ws = wb.add_worksheet(cat.label("sheet_plan", language))
        _write_plan_sheet(ws, cells, facts, language, styles, protect=False, extra=extra,
                          print_title=f"{facts.plan_id} {facts.plan_name}", measured=measured)
        _write_lists_sheet(wb, language)


def _write_summary_sheet(
    ws, tasks: pd.DataFrame, facts: PlanFacts, inputs: Inputs, language: str,
    hashes: dict[str, str], styles: Styles,
) -> None:
    """Plan facts, seed and hashes; counts by class and by district; inspector loads."""
    L = lambda key: cat.label(key, language)  # noqa: E731
    row = 0
    ws.write_string(row, 0, f"{facts.plan_id} {facts.plan_name}", styles.title)
    row += 2
    facts_rows = [
        ("plan_id", facts.plan_id), ("plan_name", facts.plan_name),
        ("authority", facts.authority), ("period", facts.period(language)),
        ("seed", facts.seed), ("task_id", facts.task_id), ("task_name", facts.task_name),
        ("check_type", cat.check_type_text(facts.check_type, language)),
        ("items", facts.items_text()), ("scope", facts.scope),
        ("version", f"planner {__version__}"),
    ]
    row = write_pairs(ws, row, [(L(key), value) for key, value in facts_rows], styles,
                      SUMMARY_WIDTHS[1])
    row += 1
    ws.write_string(row, 0, L("input_hashes"), styles.key)
    row += 1
    for name, digest in hashes.items():
        ws.write_string(row, 0, name, styles.text)
        ws.write_string(row, 1, digest, styles.text)
        row += 1

    classes = [c for c in inputs.scheme.classes]
    classes += sorted(set(tasks["risk_class"]) - set(classes))
    row += 1
    ws.write_string(row, 0, L("tasks"), styles.key)
    ws.write_number(row, 1, len(tasks), styles.number)
    row += 2
    ws.write_string(row, 0, L("by_class"), styles.key)
    row += 1
    by_class = tasks["risk_class"].value_counts()
    write_header(ws, row, [cat.header(cat.BUREAU_COLUMNS, "risk_class", language),
                           L("tasks")], styles.header)
    row += 1
    for c in classes:
        ws.write_string(row, 0, c, styles.text)
        ws.write_number(row, 1, int(by_class.get(c, 0)), styles.number)
        row += 1

    row += 1
    ws.write_string(row, 0, L("by_district"), styles.key)
    row += 1
    table = pd.crosstab(tasks["district"], tasks["risk_class"]).reindex(columns=classes,
                                                                        fill_value=0)
    table = table.sort_index()
    write_header(ws, row, [cat.header(cat.PLAN_COLUMNS, "district", language), *classes,
                           L("total")], styles.header)
    row += 1
    for district, counts in table.iterrows():
        ws.write_string(row, 0, clean_text(pd.Series([district])).iloc[0], styles.text)
        for j, c in enumerate(classes):
            ws.write_number(row, 1 + j, int(counts[c]), styles.number)
        ws.write_number(row, 1 + len(classes), int(counts.sum()), styles.number)
        row += 1

    row += 1
    ws.write_string(row, 0, L("loads"), styles.key)
    row += 1
    loads = inspector_loads(tasks, inputs.inspectors)
    load_headers = [L("inspector_id"), L("inspector_name"), L("department"), L("station"),
                    L("as_lead"), L("as_member"), L("total")]
    write_header(ws, row, load_headers, styles.header)
    row += 1
    widths = [*SUMMARY_WIDTHS, *[SUMMARY_WIDTHS[2]] * max(len(classes) - 1, 4)]
    text_keys = ("inspector_id", "name", "department", "station")
    heights = row_heights([text_widths(loads[c]) for c in text_keys], widths[:4])
    write_cells(
        ws, row,
        [loads[c] for c in (*text_keys, "as_lead", "as_member", "total")],
        [styles.text] * 4 + [styles.number] * 3,
        ["text"] * 4 + ["number"] * 3,
        heights,
    )
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    setup_print(ws, widths, header_rows=0, header_text=f"{facts.plan_id} {facts.plan_name}")


def inspector_loads(tasks: pd.DataFrame, inspectors: pd.DataFrame) -> pd.DataFrame:
    """Tasks per inspector as lead (主检) and as member, for the inspectors with any task.

    Parameters
    ----------
    tasks : pandas.DataFrame
        The task table (``lead_id``, ``member_ids``).
    inspectors : pandas.DataFrame
        The roster (``inspector_id``, ``name``, ``department``, ``station``).

    Returns
    -------
    pandas.DataFrame
        inspector_id, name, department, station, as_lead, as_member, total; in natural id
        order.
    """
    as_lead = tasks["lead_id"].value_counts()
    members = tasks["member_ids"].str.split(ID_SEPARATOR).explode()
    as_member = members[members.astype(bool)].value_counts()
    ids = pd.Index(sorted(set(as_lead.index) | set(as_member.index)))
    loads = pd.DataFrame({"inspector_id": ids})
    loads["as_lead"] = as_lead.reindex(ids, fill_value=0).to_numpy().astype(object)
    loads["as_member"] = as_member.reindex(ids, fill_value=0).to_numpy().astype(object)
    loads["total"] = (loads["as_lead"] + loads["as_member"]).astype(object)
    roster = inspectors.set_index("inspector_id")
    for col in ("name", "department", "station"):
        values = roster[col] if col in roster else pd.Series(dtype=object)
        loads[col] = clean_text(loads["inspector_id"].map(values).fillna(""))
    loads = loads.sort_values("inspector_id", key=natural_order, kind="stable")
    return loads.reset_index(drop=True)


__all__ = ["ExportResult", "TASK_COLUMNS", "export_stage", "inspector_loads",
           "write_field_workbooks", "write_plan_workbook"]
