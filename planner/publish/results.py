"""``planner results``: read the filled field workbooks back, check them, publish.

:func:`import_results` reads every filled workbook (the field workbooks of ``planner export``,
or the bureau's ``plan.xlsx`` filled centrally) and checks each row against the plan:

- the plan columns are unchanged (compared cell by cell with ``tasks.csv``, except 序号);
- the result (检查结果) holds only official categories, one or several separated by ``；``;
- the follow-up (后续处置), when given, holds only official follow-up actions;
- the completion date (检查完成日期) is a date within the plan period and not after today;
- the remark (备注), which is published, does not name the team's inspectors;
- every planned task appears exactly once, and no row names a task outside the plan.

Every problem is listed with workbook, sheet, row and column; when there is any, nothing is
written. Otherwise it writes ``disclosure.xlsx`` (:mod:`planner.publish.disclosure`), ``results.csv``
(internal: each task's result with its risk class), ``discovery.csv`` (per class: inspected,
problems found, discovery rate) and ``history.csv`` (the scenario's history plus one row per
inspected enterprise and inspector, readable as next quarter's ``[inputs] history``), and
warns when the 20-working-day publication deadline is near or past.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from planner.common import categories as cat
from planner.common import columns, schema
from planner.common.errors import InputError, Problem, ScenarioError
from planner.common.io import XLSX_ERRORS, damaged_sheet, read_table
from planner.common.workdays import DEADLINE_WORKING_DAYS, WorkCalendar, read_holidays
from planner.plan import folder
from planner.plan.scenario import Scenario, load_scenario
from planner.publish import item_results
from planner.publish.disclosure import write_disclosure
from planner.publish.item_results import DERIVED
from planner.publish.privacy import PrivacyCheck, read_roster, redact, redaction_report
from planner.publish.tasks import (
    ID_SEPARATOR,
    SCHEDULE_TASK_COLUMN,
    TASK_COLUMNS,
    PlanFacts,
    plan_cells,
    read_draw_record,
)

CHECKED_PLAN_KEYS = tuple(k for k in cat.PLAN_COLUMNS if k != "seq")
# The cells a team fills in; a row with all of them blank is pending, not an error.
RESULT_KEYS = tuple(cat.RESULT_COLUMNS)
# The earliest-date column of a plan with a schedule (a programme batch).
_SCHEDULE_HEADER = columns.headers((columns.NOT_BEFORE,))
# What a published row may not change without --amend.
PUBLISHED_KEYS = ("result", "follow_up", "completed", "remark")
PENDING_SHOWN = 20
EXCEL_EPOCH = dt.date(1899, 12, 30)
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")
HISTORY_COLUMNS = ("enterprise_id", "inspector_id", "date", "result")


@dataclass
class ExportedPlan:
    """What ``planner export`` left in the output folder: facts, tasks, language."""

    out: Path
    facts: PlanFacts
    tasks: pd.DataFrame
    language: str
    scenario_ref: str | None

    @classmethod
    def read(cls, out: Path) -> ExportedPlan:
        """Read ``export.json`` and ``tasks.csv`` from ``out``.

        Parameters
        ----------
        out : pathlib.Path
            The output folder of ``planner run`` / ``planner export``.

        Returns
        -------
        ExportedPlan
            The exported plan.

        Raises
        ------
        InputError
            When the export's files are missing or unreadable.
        """
        record_path = folder.path(out, folder.EXPORT_MANIFEST)
        tasks_path = folder.path(out, folder.TASKS)
        hint = "run planner run (or planner export) into this folder first"
        if not record_path.is_file() or not tasks_path.is_file():
            missing = record_path if not record_path.is_file() else tasks_path
            raise InputError(f"not found; {hint}", file=str(missing))
        record = folder.read_export_manifest(out)
        if record.get("joint"):  # written by planner merge (planner.publish.joint)
            raise InputError("is a merged joint plan (planner merge): each department enters "
                             "the results of its own items into its own plan's field "
                             "workbooks and runs planner results on its own plan folder",
                             file=str(record_path))
        try:
            facts = PlanFacts.from_dict(record["plan"])
            language = record["language"]
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(f"is not a readable export record ({exc}); {hint}",
                             file=str(record_path)) from None
        tasks = folder.read_csv(out, folder.TASKS)
        missing = [c for c in TASK_COLUMNS if c not in tasks.columns]
        team_no = pd.to_numeric(tasks.get("team_no", pd.Series(dtype=str)), errors="coerce")
        if missing or team_no.isna().any():
            raise InputError(f"is not the task table planner export writes (columns "
                             f"{', '.join(missing) or 'team_no'}); {hint}", file=str(tasks_path))
        tasks["team_no"] = team_no.astype(int)
        return cls(out, facts, tasks, language, record.get("scenario"))


@dataclass
class ResultsResult:
    """What ``planner results`` wrote and found."""

    out: Path
    disclosure_path: Path
    results_path: Path
    discovery_path: Path
    history_path: Path
    results: pd.DataFrame
    discovery: pd.DataFrame
    history_rows: int
    new_history_rows: int
    workbooks: int
    warnings: list[str] = field(default_factory=list)
    pending: pd.DataFrame | None = None
    due: dt.date | None = None

    def summary_lines(self) -> list[str]:
        """Lines for the terminal."""
        lines = [
            f"Results: {len(self.results)} tasks from {self.workbooks} workbook(s) -> "
            f"{self.disclosure_path}",
            "  discovery by class (problems found / inspected):",
        ]
        for _, r in self.discovery.iterrows():
            rate = f"{100 * r['discovery_rate']:.1f} %" if r["inspected"] else "-"
            lines.append(f"    {r['risk_class']}: {r['problems']} / {r['inspected']} ({rate})"
                         + (f", {r['not_inspected']} not inspectable" if r["not_inspected"]
                            else ""))
        lines.append(f"  results: {self.results_path}; discovery: {self.discovery_path}")
        lines.append(f"  history: {self.history_path} ({self.history_rows} rows, "
                     f"{self.new_history_rows} new) - use it as next quarter's [inputs] history")
        if self.pending is not None and len(self.pending):
            lines.append(f"  pending: {len(self.pending)} task(s) not completed yet, due by the "
                         f"plan's end {self.due}; run planner results again as workbooks return:")
            for _, t in self.pending.head(PENDING_SHOWN).iterrows():
                lines.append(f"    {t['task_id']} {t['name']} ({t['workbook']})")
            if len(self.pending) > PENDING_SHOWN:
                lines.append(f"    ... and {len(self.pending) - PENDING_SHOWN} more")
        return lines


def import_results(
    out: str | Path,
    filled: Sequence[str | Path],
    *,
    scenario: Scenario | str | Path | None = None,
    today: dt.date | None = None,
    holidays: str | Path | None = None,
    warn_days: int | None = None,
    amend: str | None = None,
    progress=None,
) -> ResultsResult:
    """Check filled field workbooks and publish the completed rows.

    A row whose result cells are all blank, and every task of a workbook not passed, is
    pending: listed with its deadline, not an error. Rows published before (``results.csv``
    in ``out``) are kept; one that now reads differently is an error unless ``amend`` gives
    the reason, and then it is marked 更正 in the notice. Run it again as workbooks return.

    Parameters
    ----------
    out : str or pathlib.Path
        The plan's output folder (with ``export.json`` and ``tasks.csv``).
    filled : sequence of path
        The filled workbooks.
    scenario : Scenario or path, optional
        The plan's scenario; by default the one named in ``export.json`` or
        ``draw-record.json``.
    today : datetime.date, optional
        The date the deadline is measured against (default: the real date).
    holidays : path, optional
        A holidays file (see :mod:`planner.common.workdays`); default ``[export] holidays``.
    warn_days : int, optional
        Warn when the deadline is this many working days away or less; default
        ``[export] deadline_warning_days``.
    amend : str, optional
        The reason for correcting rows published before (``--amend --reason``).
    progress : callable, optional
        Progress reporter.

    Returns
    -------
    ResultsResult
        The files written, the results, the discovery figures and the deadline warnings.

    Raises
    ------
    InputError
        With every problem of every workbook; nothing is written then.
    ScenarioError
        When the scenario cannot be found or is for another plan.
    """
    out = Path(out)
    say = progress or (lambda _m: None)
    today = today or dt.date.today()
    plan = ExportedPlan.read(out)
    scenario = _resolve_scenario(scenario, plan)
    if warn_days is None:
        warn_days = scenario.export.deadline_warning_days
    holidays = holidays or scenario.export.holidays
    calendar = read_holidays(holidays) if holidays else WorkCalendar()

    say(f"reading {len(filled)} workbook(s)")
    rows, problems = read_filled([Path(p) for p in filled])
    say(f"checking {len(rows)} rows")
    items = None
    derived: dict[str, str] = {}
    if "item_codes" in plan.tasks.columns:
        items, found = item_results.check_item_rows(
            item_results.read_item_rows([Path(p) for p in filled]), plan.tasks, plan.language)
        problems += found
        derived = item_results.derived_outcomes(items)
    privacy = _privacy_check(scenario)
    redacting = scenario.export.remarks == "redact"
    results, found = check_rows(rows, plan, today, derived, privacy=privacy,
                                redact_remarks=redacting)
    if amend is not None:
        found += _reason_problems(amend, privacy)
    problems += found
    pending = results.attrs.get("pending", [])
    redactions = results.attrs.get("redactions", [])
    results, changed = merge_published(_published(out), results, amend)
    problems += changed
    pending = [t for t in pending if t not in set(results["task_id"])]  # published before
    if any(p.severity == "error" for p in problems):
        raise InputError(problems)
    notes = [str(p) for p in problems]
    if results.empty:
        raise InputError(f"no completed result rows yet ({len(pending)} task(s) pending); "
                         "nothing to publish", file=str(folder.path(out, folder.TASKS)))


    results = plan.tasks.merge(results, on="task_id", how="inner", validate="one_to_one")
    created = dt.datetime.combine(max(results["completed"]), dt.time())
    disclosure_path = folder.path(out, folder.DISCLOSURE)
    write_disclosure(disclosure_path, _noticed(results, plan.language), plan.facts,
                     plan.language, created=created, tasks=plan.tasks)
    results_path = folder.write_csv(out, folder.RESULTS, _results_table(results))
    if redacting:
        folder.write_csv(out, folder.REDACTIONS, redaction_report(redactions))
    discovery = discovery_table(results, _class_order(results, scenario))
    discovery_path = folder.write_csv(out, folder.DISCOVERY, discovery)
    previous = read_previous_history(scenario)
    new_rows = history_rows(results)
    history = pd.concat([previous, new_rows], ignore_index=True).drop_duplicates(keep="first")
    history_path = folder.write_csv(out, folder.HISTORY, history)
    if items is not None:
        folder.write_csv(out, folder.ITEM_RESULTS, items)
        folder.write_csv(out, folder.ITEM_DISCOVERY, item_results.item_discovery(plan.tasks, items))
    warnings = notes + deadline_warnings(results["completed"], today, calendar, warn_days)
    return ResultsResult(
        out=out, disclosure_path=disclosure_path, results_path=results_path,
        discovery_path=discovery_path, history_path=history_path, results=results,
        discovery=discovery, history_rows=len(history),
        new_history_rows=len(history) - len(previous), workbooks=len(filled),
        warnings=warnings, pending=plan.tasks[plan.tasks["task_id"].isin(pending)],
        due=plan.facts.end,
    )


def _published(out: Path) -> pd.DataFrame:
    """Return the rows published before (``results.csv``), or an empty table."""
    if not folder.path(out, folder.RESULTS).is_file():
        return pd.DataFrame(columns=["task_id", *PUBLISHED_KEYS])
    frame = folder.read_csv(out, folder.RESULTS)
    frame["completed"] = frame["completed"].map(dt.date.fromisoformat)
    return frame


def merge_published(previous: pd.DataFrame, now: pd.DataFrame, amend: str | None
                    ) -> tuple[pd.DataFrame, list[Problem]]:
    """Combine the rows published before with the completed rows read now.

    Parameters
    ----------
    previous : pandas.DataFrame
        ``results.csv`` as published (may be empty).
    now : pandas.DataFrame
        The completed rows read now (see :func:`check_rows`).
    amend : str or None
        The reason for corrections; without it a changed published row is an error.

    Returns
    -------
    tuple
        The rows to publish (previous ones kept, corrected ones marked in ``amended``) and
        the problems: one per published row that changed without ``amend``.
    """
    problems = []
    old = previous.set_index("task_id") if len(previous) else None
    rows = []
    for _, row in now.iterrows():
        row = row.copy()
        row["amended"] = ""
        if old is not None and row["task_id"] in old.index:
            before = old.loc[row["task_id"]]
            was = previous_amendment(before)
            diff = [k for k in PUBLISHED_KEYS if _text(before[k]) != _text(row[k])]
            if diff and amend is None:
                problems.append(Problem(
                    f"{row['source_workbook']}, sheet {row['source_sheet']!r}",
                    f"task {row['task_id']} was published with {diff[0]} "
                    f"{_text(before[diff[0]])!r}; a published result changes only with "
                    "--amend --reason TEXT (shown as 更正 in the notice)",
                    row=int(row["source_row"]), column=diff[0], value=_text(row[diff[0]])))
            row["amended"] = amend if diff and amend is not None else was
        rows.append(row)
    frame = pd.DataFrame(rows, columns=[*now.columns, "amended"])
    if old is not None:
        kept = previous[~previous["task_id"].isin(frame["task_id"])].copy()
        if "amended" not in kept.columns:
            kept["amended"] = ""
        kept["amended"] = kept["amended"].fillna("")
        frame = pd.concat([kept[frame.columns.intersection(kept.columns)], frame],
                          ignore_index=True)
    return frame.reset_index(drop=True), problems


def previous_amendment(row: pd.Series) -> str:
    """Return the reason a published row was corrected before ("" when never)."""
    return _text(row.get("amended", ""))


def _text(value: object) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)) \
        else str(value)


def _noticed(results: pd.DataFrame, language: str) -> pd.DataFrame:
    """Mark corrected rows in the notice's remark: 更正 (the reason) before the remark."""
    if "amended" not in results.columns or not results["amended"].astype(bool).any():
        return results
    results = results.copy()
    word = "更正" if language == "zh" else "Corrected"
    marked = results["amended"].astype(bool)
    results.loc[marked, "remark"] = [
        f"{word}（{reason}）" + (f"：{remark}" if remark else "")
        for reason, remark in zip(results.loc[marked, "amended"], results.loc[marked, "remark"],
                                  strict=True)]
    return results


def _resolve_scenario(scenario: Scenario | str | Path | None, plan: ExportedPlan) -> Scenario:
    """Return the scenario given, else the one export.json or draw-record.json names."""
    if scenario is None:
        refs = [plan.scenario_ref]
        record = read_draw_record(plan.out).get("scenario")
        refs.append(record.get("path") if isinstance(record, dict) else record)
        for ref in refs:
            if isinstance(ref, str) and ref and (plan.out / ref).is_file():
                scenario = plan.out / ref
                break
        else:
            raise ScenarioError(
                "cannot find the plan's scenario from export.json or draw-record.json; "
                "pass --scenario SCENARIO", file=str(plan.out))
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if scenario.plan.id != plan.facts.plan_id:
        raise ScenarioError(
            f"is for plan {scenario.plan.id!r}, but {plan.out} holds plan "
            f"{plan.facts.plan_id!r}; pass the scenario of that plan", key="plan.id",
            file=scenario.label)
    return scenario


@dataclass
class FilledRow:
    """One record row of a filled workbook: where it is and its cells by column key."""

    workbook: str
    sheet: str
    row: int
    cells: dict[str, object]

    @property
    def where(self) -> str:
        """Workbook and sheet, as problems name them."""
        return f"{self.workbook}, sheet {self.sheet!r}"


def read_filled(paths: Sequence[Path]) -> tuple[list[FilledRow], list[Problem]]:
    """Read the plan sheet of every filled workbook.

    A plan sheet is a sheet whose first row holds the task id (抽查任务编号 / Task ID) and
    result (检查结果 / Result) headers; other sheets (the hidden lists, the bureau's
    summary) are skipped. Headers may be in either language; unknown columns are ignored.

    Parameters
    ----------
    paths : sequence of pathlib.Path
        The workbooks.

    Returns
    -------
    tuple
        The non-empty record rows, and the problems found (unreadable file, no plan sheet,
        a plan or result column missing).
    """
    import openpyxl

    keys = cat.header_keys({**cat.PLAN_COLUMNS, **cat.RESULT_COLUMNS, **_SCHEDULE_HEADER})
    rows: list[FilledRow] = []
    problems: list[Problem] = []
    for path in paths:
        label = str(path)
        if not path.is_file():
            problems.append(Problem(label, "file not found"))
            continue
        if path.name.startswith("~$"):
            problems.append(Problem(label, "skipped: an Excel lock file (the workbook is open "
                                    "in Excel), not a workbook", severity="warning"))
            continue
        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except XLSX_ERRORS as exc:
            problems.append(Problem(label, f"is not a readable XLSX workbook ({exc})"))
            continue
        try:
            sheets = 0
            for ws in wb.worksheets:
                try:
                    sheets += _read_sheet(ws, label, keys, rows, problems)
                except XLSX_ERRORS as exc:
                    read = max([r.row for r in rows if r.workbook == label
                                and r.sheet == ws.title], default=1)
                    problems.append(damaged_sheet(label, ws.title, read, exc))
                    sheets += 1
            if sheets == 0:
                problems.append(Problem(label, "has no plan sheet (a first row with 抽查任务编号 "
                                        "and 检查结果); pass the field workbooks as exported"))
        except XLSX_ERRORS as exc:
            problems.append(Problem(label, f"is not a readable XLSX workbook ({exc})"))
        finally:
            wb.close()
    return rows, problems


def _read_sheet(ws, label: str, keys: dict, rows: list, problems: list) -> int:
    """Read one sheet's record rows into ``rows``; return 1 when it is a plan sheet."""
    it = ws.iter_rows(values_only=True)
    head = next(it, None) or ()
    columns = {keys[str(h).strip().lower()]: i for i, h in enumerate(head)
               if h is not None and str(h).strip().lower() in keys}
    if "task_id" not in columns or "result" not in columns:
        return 0
    where = f"{label}, sheet {ws.title!r}"
    missing = [k for k in (*CHECKED_PLAN_KEYS, *cat.RESULT_COLUMNS) if k not in columns]
    for k in missing:
        problems.append(Problem(where, "column missing (deleted or renamed?); use the workbook "
                                "as exported", row=1, column=_header(k, "zh")))
    if missing:
        return 1
    for offset, values in enumerate(it):
        if not any(v not in (None, "") for v in values):
            continue
        cells = {k: (values[i] if i < len(values) else None) for k, i in columns.items()}
        rows.append(FilledRow(label, ws.title, offset + 2, cells))
    return 1


def _header(key: str, language: str) -> str:
    columns = {**cat.PLAN_COLUMNS, **cat.RESULT_COLUMNS, **_SCHEDULE_HEADER}
    return cat.header(columns, key, language)


def cell_text(value: object) -> str:
    """Return a cell as the text a person sees (whole numbers without .0, ISO dates)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_date(value: object) -> dt.date | None:
    """Read a completion date: a date cell, an Excel serial number, or text like 2026-02-03.

    Parameters
    ----------
    value : object
        The cell's value.

    Returns
    -------
    datetime.date or None
        The date, or None when it is not one.
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value < 2_958_466:
            return EXCEL_EPOCH + dt.timedelta(days=int(value))
        return None
    text = re.sub(r"\s+", "", str(value))
    text = re.sub(r"(\d)[T ]?\d{1,2}:\d{2}(:\d{2})?$", r"\1", text)
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def check_rows(
    rows: list[FilledRow], plan: ExportedPlan, today: dt.date,
    derived: dict[str, str] | None = None, *,
    privacy: PrivacyCheck | None = None, redact_remarks: bool = False,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Check filled rows against the plan; return the results and every problem.

    Parameters
    ----------
    rows : list of FilledRow
        The rows read by :func:`read_filled`.
    plan : ExportedPlan
        The exported plan.
    today : datetime.date
        No completion date may be later.
    derived : dict, optional
        Task -> the outcome its item results imply (:mod:`planner.publish.item_results`):
        an empty result takes the derived category, a contradicting one is a problem.
    privacy : PrivacyCheck, optional
        The check of free text (personal and internal data) before publication.
    redact_remarks : bool
        Mask what the check finds (listed in ``attrs["redactions"]``) instead of refusing.

    Returns
    -------
    tuple
        A DataFrame (task_id, result, follow_up, completed, remark, outcome, source_workbook,
        source_sheet, source_row) of the rows that name a planned task, and the problems.
    """
    tasks = plan.tasks.set_index("task_id", drop=False)
    expected = plan_cells(tasks, plan.facts, plan.language)
    expected = expected.apply(lambda c: c.str.strip())
    lang = plan.language
    facts = plan.facts
    problems: list[Problem] = []
    seen: dict[str, FilledRow] = {}
    pending: list[str] = []
    redactions: list[dict] = []
    records = []
    returned = {Path(r.workbook).name for r in rows}
    for r in rows:
        def problem(message: str, key: str | None = None, value: object = None,
                    r: FilledRow = r) -> None:
            problems.append(Problem(
                r.where, message, row=r.row, column=_header(key, lang) if key else None,
                value=None if value is None else cell_text(value)))

        task = cell_text(r.cells["task_id"])
        if not task:
            problem("row has no task id; rows may not be added to the plan", "task_id")
            continue
        if task not in tasks.index:
            problem("task id is not in the plan (added row, or the id was changed)", "task_id",
                    task)
            continue
        if task in seen:
            first = seen[task]
            problem(f"duplicate row: task {task} is already in {first.where}, row {first.row}",
                    "task_id", task)
            continue
        seen[task] = r
        if not any(cell_text(r.cells[k]) for k in RESULT_KEYS):
            pending.append(task)  # handed out, not done yet
            continue
        want = expected.loc[task]
        scheduled = (SCHEDULE_TASK_COLUMN,) if SCHEDULE_TASK_COLUMN in expected.columns else ()
        for key in (*CHECKED_PLAN_KEYS, *scheduled):
            if key == "task_id":
                continue
            if key not in r.cells:
                problem("column missing (deleted or renamed?); use the workbook as exported", key)
                continue
            got = cell_text(r.cells[key])
            if got != want[key]:
                problem(f"plan column changed; the plan says {want[key]!r}", key, got or "(empty)")
        implied = (derived or {}).get(task)
        result_cats = _check_categories(r.cells["result"], "result", problem,
                                        required=implied is None)
        if implied is not None:
            result_cats = _apply_derived(result_cats, implied, problem)
        follow_cats = _check_categories(r.cells["follow_up"], "follow_up", problem,
                                        required=False)
        completed = _check_date(r.cells["completed"], facts, today, problem)
        earliest = want[SCHEDULE_TASK_COLUMN] if scheduled else ""
        if completed is not None and earliest and completed < dt.date.fromisoformat(earliest):
            problem(f"completion date before the earliest date allowed for this enterprise "
                    f"({earliest}, 最早检查日期: the minimum gap since its last inspection)",
                    "completed", completed)
        remark = cell_text(r.cells["remark"])
        remark = _check_remark(remark, tasks.loc[task], problem, privacy, redact_remarks,
                               r, redactions)
        records.append({
            "task_id": task,
            "result": cat.canonical_text(result_cats),
            "follow_up": cat.canonical_text(follow_cats),
            "completed": completed,
            "remark": remark,
            "outcome": cat.outcome(result_cats),
            "source_workbook": Path(r.workbook).name,
            "source_sheet": r.sheet,
            "source_row": r.row,
        })
    amended = _amended_tasks(plan.out)
    for task in tasks.index[~tasks.index.isin(list(seen))]:
        t = tasks.loc[task]
        if Path(str(t["workbook"])).name not in returned or task in amended:
            # Its workbook has not come back (or could not be read), or the task came into
            # this workbook by an amendment (变更) after the returned copy was handed out:
            # it stays pending until the amended workbook comes back.
            pending.append(task)
            continue
        problems.append(Problem(
            str(plan.out / t["workbook"]),
            f"row missing: task {task} ({t['name']}) is in the plan but in none of the filled "
            "workbooks; pass every team's workbook", column=_header("task_id", lang), value=task))
    columns = ["task_id", "result", "follow_up", "completed", "remark", "outcome",
               "source_workbook", "source_sheet", "source_row"]
    frame = pd.DataFrame(records, columns=columns)
    frame.attrs["pending"] = [t for t in tasks.index if t in set(pending)]
    frame.attrs["redactions"] = redactions
    return frame, problems


def _amended_tasks(out: Path) -> set[str]:
    """Tasks that an amendment added or gave another team (``amendments.csv``), if any."""
    if not folder.path(out, folder.AMENDMENTS).is_file():
        return set()
    changes = folder.read_csv(out, folder.AMENDMENTS)
    return set(changes.loc[changes["change"].isin(["added", "team"]), "task_id"].astype(str))


def _apply_derived(result_cats: list, implied: str, problem) -> list:
    """Fill an empty result from the item results, or report a contradiction."""
    if not result_cats:
        found, _ = cat.parse_categories(DERIVED[implied], "result")
        return found
    if cat.outcome(result_cats) != implied:
        said = "found a problem" if implied == "problem" else "found no problem"
        problem(f"the item results (事项结果) say the inspection {said}, but 检查结果 says "
                f"{cat.canonical_text(result_cats)}", "result")
    return result_cats


def _check_categories(value: object, kind: str, problem, *, required: bool) -> list:
    text = cell_text(value)
    if not text:
        if required:
            problem("no result: choose 检查结果 from the drop-down list", kind)
        return []
    found, unknown = cat.parse_categories(text, kind)
    what = "result category (检查结果)" if kind == "result" else "follow-up (后续处置)"
    for part in unknown:
        problem(f"unknown {what} {part!r}; choose from the drop-down list, several separated "
                "by ；", kind, text)
    if kind == "result" and (why := cat.contradiction(found)):
        problem(f"contradictory result: {why}", kind, text)
    return found


def _check_date(value: object, facts: PlanFacts, today: dt.date, problem) -> dt.date | None:
    if value in (None, ""):
        problem("no completion date (检查完成日期)", "completed")
        return None
    day = parse_date(value)
    if day is None:
        problem("not a date; write it as YYYY-MM-DD", "completed", value)
    elif not facts.start <= day <= facts.end:
        problem(f"completion date outside the plan period {facts.start} to {facts.end}",
                "completed", day)
    elif day > today:
        problem(f"completion date is after today ({today})", "completed", day)
    return day


def _check_remark(remark: str, task: pd.Series, problem, privacy: PrivacyCheck | None = None,
                  redact_remarks: bool = False, row: FilledRow | None = None,
                  redactions: list | None = None) -> str:
    """Check the remark, which is published; return it as it may be published.

    It may not name the team's inspectors, nor hold personal or internal data
    (:mod:`planner.publish.privacy`); with ``redact_remarks`` such data is masked and the
    cell listed in ``redactions`` instead.
    """
    if not remark:
        return remark
    if not redact_remarks:
        ids = [task["lead_id"], *[i for i in str(task["member_ids"]).split(ID_SEPARATOR) if i]]
        names = [task["lead_name"],
                 *[n for n in str(task["member_names"]).split(ID_SEPARATOR) if n]]
        for word in [*ids, *names]:
            if word and str(word) in remark:
                problem(f"remark names inspector {word!r}; 备注 is published in the "
                        "disclosure, so remove inspectors' personal data", "remark")
                return remark
    hits = privacy.find(remark) if privacy is not None else []
    if not hits:
        return remark
    if not redact_remarks:
        found = ", ".join(h.describe(remark) for h in hits)
        problem(f"remark holds {found}; 备注 is published in the disclosure: remove it, or set "
                '[export] remarks = "redact" to mask it', "remark")
        return remark
    published = redact(remark, hits)
    if redactions is not None and row is not None:
        redactions.append({"task_id": task["task_id"], "workbook": Path(row.workbook).name,
                           "sheet": row.sheet, "row": row.row, "column": "备注",
                           "kinds": "; ".join(dict.fromkeys(h.kind for h in hits)),
                           "published": published})
    return published


def _privacy_check(scenario: Scenario) -> PrivacyCheck:
    """Return the check of free text for this plan: its roster and its scheme's classes."""
    spec = scenario.inputs
    roster = read_roster(spec.inspectors, encoding=spec.encoding, sheet=spec.sheet)
    try:
        classes = scenario.scheme().classes
    except ValueError:
        classes = []
    return PrivacyCheck(roster, classes)


def _reason_problems(reason: str, privacy: PrivacyCheck) -> list[Problem]:
    hits = privacy.find(reason)
    if not hits:
        return []
    return [Problem("--reason", f"holds {', '.join(h.describe(reason) for h in hits)}; the "
                    "reason of a correction is published with it")]


def _class_order(results: pd.DataFrame, scenario: Scenario) -> list[str]:
    """Return the classes in the scheme's order (lowest risk first), then any other."""
    present = set(results["risk_class"])
    try:
        ordered = [c for c in scenario.scheme().classes if c in present]
    except ValueError:
        ordered = []
    return ordered + sorted(present - set(ordered))


def discovery_table(results: pd.DataFrame, classes: list[str]) -> pd.DataFrame:
    """Per-class discovery: inspected, problems found, rate, and not inspectable.

    Parameters
    ----------
    results : pandas.DataFrame
        With ``risk_class`` and ``outcome`` (problem / clean / not_inspected).
    classes : list of str
        The classes, in the order to list them.

    Returns
    -------
    pandas.DataFrame
        risk_class, planned, inspected, problems, discovery_rate (problems / inspected),
        not_inspected; and a last row ``total``.
    """
    table = pd.crosstab(results["risk_class"], results["outcome"])
    table = table.reindex(index=classes, columns=["problem", "clean", "not_inspected"],
                          fill_value=0)
    frame = pd.DataFrame({
        "risk_class": classes,
        "planned": table.sum(axis=1).to_numpy(),
        "inspected": (table["problem"] + table["clean"]).to_numpy(),
        "problems": table["problem"].to_numpy(),
        "not_inspected": table["not_inspected"].to_numpy(),
    })
    total = frame.drop(columns="risk_class").sum().to_dict()
    frame = pd.concat([frame, pd.DataFrame([{"risk_class": "total", **total}])],
                      ignore_index=True)
    inspected = frame["inspected"].where(frame["inspected"] > 0)
    frame["discovery_rate"] = (frame["problems"] / inspected).fillna(0.0).round(6)
    return frame[["risk_class", "planned", "inspected", "problems", "discovery_rate",
                  "not_inspected"]]


def _results_table(results: pd.DataFrame) -> pd.DataFrame:
    columns = ["task_id", "enterprise_id", "name", "district", "risk_class", "lead_id",
               "member_ids", "result", "follow_up", "completed", "remark", "outcome",
               "source_workbook", "source_sheet", "source_row"]
    if "amended" in results.columns and results["amended"].astype(bool).any():
        columns.append("amended")  # only once a row was corrected: same bytes before
    out = results[columns].copy()
    out["completed"] = out["completed"].map(lambda d: d.isoformat())
    return out


def history_rows(results: pd.DataFrame) -> pd.DataFrame:
    """One history row per inspected enterprise and inspector (lead and members).

    Parameters
    ----------
    results : pandas.DataFrame
        With ``enterprise_id``, ``lead_id``, ``member_ids``, ``completed``, ``result``.

    Returns
    -------
    pandas.DataFrame
        enterprise_id, inspector_id, date (ISO), result (canonical Chinese categories).
    """
    team = (results["lead_id"] + ID_SEPARATOR + results["member_ids"]).str.split(ID_SEPARATOR)
    frame = pd.DataFrame({
        "enterprise_id": results["enterprise_id"],
        "inspector_id": team,
        "date": results["completed"].map(lambda d: d.isoformat()),
        "result": results["result"],
    }).explode("inspector_id")
    frame = frame[frame["inspector_id"].astype(str) != ""]
    return frame[list(HISTORY_COLUMNS)].reset_index(drop=True)


def read_previous_history(scenario: Scenario) -> pd.DataFrame:
    """Read the scenario's history input, reduced to the four history columns (as text).

    Parameters
    ----------
    scenario : Scenario
        The plan's scenario (``[inputs] history``).

    Returns
    -------
    pandas.DataFrame
        enterprise_id, inspector_id, date, result; empty when the scenario has no history.
    """
    path = scenario.inputs.history
    if path is None:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in HISTORY_COLUMNS})
    frame = read_table(path, encoding=scenario.inputs.encoding, label=str(path))
    frame, problems = schema.map_headers(frame, schema.HISTORY_COLUMNS, str(path))
    if any(p.severity == "error" for p in problems):
        raise InputError(problems)
    frame["enterprise_id"] = frame["enterprise_id"].astype(str).str.strip().str.upper()
    return frame[list(HISTORY_COLUMNS)].astype(str).reset_index(drop=True)


def deadline_warnings(
    completed: pd.Series, today: dt.date, calendar: WorkCalendar, warn_days: int
) -> list[str]:
    """Warn when results are due for publication within ``warn_days`` working days or overdue.

    Each result is due ``DEADLINE_WORKING_DAYS`` (20) working days after its completion date
    (SAMR order 49, art. 39).

    Parameters
    ----------
    completed : pandas.Series
        Completion dates (``datetime.date``).
    today : datetime.date
        The date to measure against.
    calendar : WorkCalendar
        Working days.
    warn_days : int
        How many working days ahead counts as "near".

    Returns
    -------
    list of str
        Zero, one or two warnings (overdue, due soon).
    """
    due = {d: calendar.add(d, DEADLINE_WORKING_DAYS) for d in sorted(set(completed))}
    deadlines = completed.map(due)
    warnings = []
    overdue = deadlines[deadlines < today]
    if len(overdue):
        first = min(overdue)
        warnings.append(
            f"publication deadline passed for {len(overdue)} result(s): the earliest was due "
            f"{first} ({DEADLINE_WORKING_DAYS} working days after completion, SAMR order 49 "
            "art. 39); publish disclosure.xlsx now")
    pending = deadlines[deadlines >= today]
    if len(pending):
        first = min(pending)
        left = calendar.between(today, first)
        if left <= warn_days:
            warnings.append(
                f"publication deadline near: {int((deadlines == first).sum())} result(s) due "
                f"{first}, {left} working day(s) from {today}; publish disclosure.xlsx by then")
    return warnings
