"""``planner regrade``: apply inspection results and events to the directory's classes.

:func:`regrade_scenario` reads the scenario's directory and ``[regrade]`` rules, the results
files (``results.csv`` of ``planner results``, or a ``history.csv``) and an optional events
file, and writes into the output folder:

- ``enterprises.csv`` (or ``.xlsx``): the new directory, same format, headers and encoding
  as the input, so the next quarter's scenario can use it unchanged;
- ``enterprises.applied.csv``: the ledger of records applied to that directory (and the
  locks they set). It sits beside the new directory; the next regrade of that directory
  reads it and skips every record already applied, so nothing is counted twice;
- ``changes.csv``: one row per rule fired (enterprise, old and new class and points, rule,
  effect, source file and row);
- ``transitions.xlsx`` and ``transitions.png``: enterprises by old and new class;
- ``abnormal-operations.csv``: candidates for the abnormal-operations list with their
  10-working-day deadline;
- ``unmatched.csv``: records naming no enterprise of the directory, with file and row.

Nothing is written when an input has an error.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from planner.common.errors import InputError, Problem, ScenarioError
from planner.common.io import read_table, write_csv_atomic
from planner.common.workdays import WorkCalendar, read_holidays
from planner.plan.inputs import load_inputs
from planner.plan.regrade_rules import check_regrade_section
from planner.plan.scenario import load_scenario
from planner.plan.transaction import locks_output
from planner.regrade.apply import LEDGER_COLUMNS, Ledger, apply_records
from planner.regrade.directory import (
    read_source,
    updated_table,
    write_directory,
)
from planner.regrade.report import (
    abnormal_candidates,
    transition_matrix,
    write_abnormal,
    write_matrix_chart,
    write_matrix_workbook,
)
from planner.regrade.sources import read_events, read_results

LEDGER_SUFFIX = ".applied.csv"
GRADE_HEADERS = {True: "风险等级", False: "risk_grade"}


@dataclass
class RegradeResult:
    """What ``planner regrade`` found and wrote."""

    out: Path
    files: dict[str, Path]
    changes: pd.DataFrame
    matrix: pd.DataFrame
    applied: int
    skipped: int
    unmatched: pd.DataFrame
    abnormal: pd.DataFrame
    as_of: dt.date
    language: str
    warnings: list[Problem] = field(default_factory=list)

    def summary_lines(self) -> list[str]:
        """Lines for the terminal."""
        moved = int(self.matrix.to_numpy().sum() - np.trace(self.matrix.to_numpy()))
        lines = [
            f"Regrade as of {self.as_of}: {self.applied} record(s) applied, {self.skipped} "
            f"already applied before, {len(self.unmatched)} unmatched",
            f"  {moved} enterprise(s) changed class; "
            f"{self.changes['enterprise_id'].nunique()} had a rule fire",
            f"  abnormal-operations candidates: {len(self.abnormal)}",
        ]
        lines += [f"  {name}: {path}" for name, path in self.files.items()]
        return lines


def ledger_path(directory: Path) -> Path:
    """Return the ledger file that belongs beside a directory file."""
    return directory.with_name(directory.stem + LEDGER_SUFFIX)


def read_ledger(path: Path) -> Ledger:
    """Read a ledger (empty when the file does not exist)."""
    if not path.is_file():
        return Ledger()
    frame = read_table(path, label=str(path))
    missing = [c for c in LEDGER_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(f"is not a regrade ledger (missing {', '.join(missing)}); restore it "
                         "or move it away to regrade from scratch", file=str(path))
    return Ledger(frame[list(LEDGER_COLUMNS)].astype(str))


@locks_output("out", "planner regrade")
def regrade_scenario(
    scenario: str | Path,
    results: Sequence[str | Path],
    out: str | Path,
    *,
    events: str | Path | None = None,
    as_of: dt.date | None = None,
    encoding: str | None = None,
    holidays: str | Path | None = None,
    progress=None,
) -> RegradeResult:
    """Regrade the scenario's directory from results and events and write the outputs.

    Parameters
    ----------
    scenario : str or pathlib.Path
        The scenario (its ``[inputs] enterprises``, ``[grading]`` and ``[regrade]``).
    results : sequence of path
        ``results.csv`` files of ``planner results`` (or ``history.csv`` files).
    out : str or pathlib.Path
        Output folder.
    events : path, optional
        Events file (enterprise_id, date, event, note).
    as_of : datetime.date, optional
        Regrading date, against which locks are measured; default the latest date of the
        results and events.
    encoding : str, optional
        CSV encoding of the directory (detected when omitted).
    holidays : path, optional
        Holidays file for the working-day deadline; default ``[export] holidays``.
    progress : callable, optional
        Progress reporter.

    Returns
    -------
    RegradeResult
        What was applied and written.

    Raises
    ------
    ScenarioError
        When ``[regrade]`` has no rules or is wrong.
    InputError
        With every problem of the inputs; nothing is written then.
    """
    say = progress or (lambda _m: None)
    scn = load_scenario(scenario)
    scheme = scn.scheme()
    rules = check_regrade_section(scn.regrade, scheme, scn.label)
    if not rules.category_effects and not rules.events:
        raise ScenarioError("no regrading rules: add [regrade] levels = { ... } (or points "
                            "= { ... } for a points scheme) and/or events", key="regrade",
                            file=scn.label)
    if not results and events is None:
        raise ScenarioError("nothing to apply: pass --results RESULTS_CSV and/or --events FILE")
    inputs = load_inputs(scn, encoding=encoding, progress=progress)
    directory = inputs.enterprises.reset_index(drop=True)
    directory_file = inputs.files["enterprises"]
    problems: list[Problem] = []
    records = []
    for path in results:
        say(f"reading results {path}")
        found, bad = read_results(path)
        records += found
        problems += bad
    if events is not None:
        say(f"reading events {events}")
        found, bad = read_events(events, rules.event)
        records += found
        problems += bad
    if rules.mode == "points":
        column = scheme.score_column
        values = pd.to_numeric(directory[column], errors="coerce")
        for pos in np.flatnonzero(values.isna().to_numpy()):
            problems.append(Problem(str(directory_file), f"no {column}: a points scheme needs "
                                    "the points of every enterprise to regrade it",
                                    row=int(directory["row"].iloc[pos]), column=column))
    if problems:
        raise InputError(problems)
    source = read_source(directory_file, encoding=encoding or scn.inputs.encoding,
                         sheet=scn.inputs.sheet)
    ledger = read_ledger(ledger_path(directory_file))
    as_of = as_of or max((r.date for r in records), default=scn.plan.start)
    say("regrading")
    outcome = apply_records(directory, rules, records, ledger, as_of=as_of)

    table = updated_table(source, *_new_cells(directory, outcome, rules, source))
    matrix = transition_matrix(directory["risk_class"], outcome.new_class, list(scheme.classes))
    applied_keys = set(outcome.ledger_rows["key"])
    new_records = [r for r in records if r.key in applied_keys]
    names = dict(zip(directory["enterprise_id"], directory["name"], strict=True))
    holidays = holidays or scn.export.holidays
    calendar = read_holidays(holidays) if holidays else WorkCalendar()
    abnormal = abnormal_candidates(new_records, names, calendar)
    unmatched = pd.DataFrame(
        [{"kind": r.kind, "enterprise_id": r.enterprise_id, "date": r.date.isoformat(),
          "what": "；".join(r.categories), "source_file": r.source_file,
          "source_row": r.source_row} for r in outcome.unmatched],
        columns=["kind", "enterprise_id", "date", "what", "source_file", "source_row"])

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    language = scn.export.language
    created = dt.datetime.combine(as_of, dt.time())
    files = {"directory": out / f"enterprises{source.suffix}"}
    files["ledger"] = ledger_path(files["directory"])
    files.update({name: out / name for name in (
        "changes.csv", "transitions.xlsx", "transitions.png", "abnormal-operations.csv",
        "unmatched.csv")})
    write_directory(source, table, files["directory"], created=created)
    write_csv_atomic(files["ledger"], pd.concat([ledger.rows, outcome.ledger_rows],
                                                ignore_index=True))
    write_csv_atomic(files["changes.csv"], outcome.changes)
    write_matrix_workbook(matrix, files["transitions.xlsx"], language, created=created)
    write_matrix_chart(matrix, files["transitions.png"], language)
    write_abnormal(abnormal, files["abnormal-operations.csv"], language)
    write_csv_atomic(files["unmatched.csv"], unmatched)
    warnings = [Problem(r.source_file, "names no enterprise of the directory", row=r.source_row,
                        column="enterprise_id", value=r.enterprise_id, severity="warning")
                for r in outcome.unmatched]
    own = [w for w in inputs.warnings if Path(w.file).resolve() == directory_file.resolve()]
    return RegradeResult(out, files, outcome.changes, matrix, len(applied_keys & {
        r.key for r in records}), outcome.skipped, unmatched, abnormal, as_of, language,
        own + warnings)


def _new_cells(directory: pd.DataFrame, outcome, rules, source):
    """Return the cells to rewrite: grade (levels, or locks) and points (points schemes)."""
    old = directory["risk_class"].reset_index(drop=True)
    new = outcome.new_class
    changed = new != old
    cells: dict[str, pd.Series] = {}
    chinese = not str(source.header_of.get("enterprise_id", "")).isascii()
    add = {"risk_grade": GRADE_HEADERS[chinese]}
    if rules.mode == "levels":
        cells["risk_grade"] = new.where(changed, None)
        return cells, add
    column = rules.scheme.score_column
    old_points = pd.to_numeric(directory[column].reset_index(drop=True), errors="coerce")
    moved = outcome.new_points != old_points
    cells[column] = outcome.new_points.map(lambda v: f"{v:g}").where(moved, None)
    from_points = rules.scheme.classify(pd.Series([""] * len(new)), outcome.new_points)
    has_grade = "risk_grade" in source.header_of and (directory["risk_grade"] != "").any()
    if has_grade:
        cells["risk_grade"] = new.where(changed | moved, None)
    elif (new != from_points).any():  # a lock or a direct action holds the class
        cells["risk_grade"] = new.where(new != from_points, "")
    add[column] = {"points": "积分", "score": "信用得分"}.get(column, column) if chinese \
        else column
    return cells, add
