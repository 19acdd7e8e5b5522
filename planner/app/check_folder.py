"""``planner check OUT``: check the whole plan folder, file by file.

In order: the manifest (every file present, unchanged and of one plan), the draw (recomputed
from the record and the inputs, as ``planner verify``), the assignments (every rule, as
:func:`planner.assign.check.check_plan`), the task table (one task per drawn enterprise, the
teams of ``assignments.csv``), the field workbooks (those ``export.json`` lists, with their
state) and the results (only tasks of the plan). Each part says what it found; any problem
makes the check fail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from planner.assign.check import check_plan, scenario_path_from_record
from planner.common.errors import PlannerError, VerificationError
from planner.draw.verify import verify_draw
from planner.plan import folder
from planner.plan import manifest as mf
from planner.plan.inputs import load_plan


@dataclass
class FolderReport:
    """The outcome of :func:`check_folder`: lines per part and the problems found."""

    out: Path
    parts: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every part holds."""
        return not self.problems

    def lines(self) -> list[str]:
        """Return the report for a terminal: a verdict, then one line per part."""
        if self.ok:
            return [f"OK: {self.out} holds one whole plan", *(f"  {p}" for p in self.parts)]
        return [f"{len(self.problems)} problem(s) in {self.out}",
                *(f"  - {p}" for p in self.problems)]


def check_folder(out: str | Path, *, scenario: str | Path | None = None,
                 encoding: str | None = None, progress=None) -> FolderReport:
    """Check the plan folder ``out``: manifest, draw, assignments, tasks, workbooks, results.

    Parameters
    ----------
    out : str or pathlib.Path
        The plan folder.
    scenario : str or pathlib.Path, optional
        The scenario, when it is no longer where the record says.
    encoding : str, optional
        CSV encoding of the inputs.
    progress : callable, optional
        Progress reporter.

    Returns
    -------
    FolderReport
        With one line per part and every problem.
    """
    out = Path(out)
    if scenario is None:
        scenario = scenario_path_from_record(out)
    report = FolderReport(out)
    state = mf.folder_state(out)
    if state.manifest is None:
        report.parts.append(f"folder: no {folder.MANIFEST} (written before manifests); "
                            "files not bound to one plan")
    elif state.problems:
        report.problems += [f"folder: {p}" for p in state.problems]
    else:
        report.parts.append(f"folder: {len(state.manifest['files'])} files of "
                            f"{state.describe()}, each as written")
    stale = state.stale(tuple(state.manifest["files"]) if state.manifest else ())
    report.problems += [f"folder: {s}" for s in stale]

    if state.manifest is None and "drawn" not in folder.read_record_if_any(out):
        report.parts.append(f"draw: no {folder.RECORD}; the draw is not verified")
    else:
        _check_draw(report, out, scenario, encoding, progress)

    if folder.path(out, folder.ASSIGNMENTS).is_file():
        try:
            loaded, inputs = load_plan(scenario, encoding=encoding, progress=progress)
            plan = check_plan(loaded, inputs, out)
            if plan.ok:
                report.parts += [f"assignments: {line}" for line in plan.summary_lines()]
            else:
                report.problems += [f"assignments: {v}" for v in plan.violations]
        except PlannerError as exc:
            report.problems.append(f"assignments: {exc}")
    else:
        report.parts.append("assignments: none yet")

    report.problems += _tasks_problems(out)
    if folder.path(out, folder.TASKS).is_file() and not any(
            p.startswith("tasks:") for p in report.problems):
        report.parts.append("tasks: one task per drawn enterprise, teams as assigned")
    books = folder.exported_workbooks(out)
    if books:
        missing = [n for n in books if not folder.path(out, n).is_file()]
        report.problems += [f"workbooks: {n} is missing" for n in missing]
        report.parts.append(f"workbooks: {len(books)} listed, {len(state.filled)} filled in, "
                            f"{len(missing)} missing"
                            + (f"; {len(state.foreign)} other file(s) in teams/"
                               if state.foreign else ""))
    report.problems += _results_problems(out)
    if folder.path(out, folder.RESULTS).is_file() and not any(
            p.startswith("results:") for p in report.problems):
        report.parts.append("results: every row is a task of this plan")
    return report


def _tasks_problems(out: Path) -> list[str]:
    if not folder.path(out, folder.TASKS).is_file():
        return []
    try:
        tasks = folder.read_csv(out, folder.TASKS)
        sample = folder.read_csv(out, folder.SAMPLE)
        seats = folder.read_csv(out, folder.ASSIGNMENTS)
    except PlannerError as exc:
        return [f"tasks: {exc}"]
    problems = []
    need = {"task_id", "enterprise_id", "lead_id"}
    if not need <= set(tasks.columns):
        return [f"tasks: {folder.TASKS} lacks the column(s) "
                f"{', '.join(sorted(need - set(tasks.columns)))}"]
    drawn = set(sample["enterprise_id"].str.strip().str.upper())
    listed = set(tasks["enterprise_id"].str.strip().str.upper())
    for eid in sorted(drawn - listed)[:20]:
        problems.append(f"tasks: drawn enterprise {eid} has no task in {folder.TASKS}")
    for eid in sorted(listed - drawn)[:20]:
        problems.append(f"tasks: {folder.TASKS} has a task for {eid}, which is not drawn")
    if {"task_id", "inspector_id", "role"} <= set(seats.columns):
        leads = seats[seats["role"] == "lead"].set_index("task_id")["inspector_id"]
        for _, row in tasks.iterrows():
            if leads.get(row["task_id"]) != row["lead_id"]:
                problems.append(f"tasks: task {row['task_id']} has lead {row['lead_id']} in "
                                f"{folder.TASKS} but {leads.get(row['task_id'])} in "
                                f"{folder.ASSIGNMENTS}")
                if len(problems) >= 20:
                    break
    return problems


def _results_problems(out: Path) -> list[str]:
    if not folder.path(out, folder.RESULTS).is_file():
        return []
    try:
        results = folder.read_csv(out, folder.RESULTS)
        tasks = folder.read_csv(out, folder.TASKS)
    except PlannerError as exc:
        return [f"results: {exc}"]
    if "task_id" not in results.columns or "task_id" not in tasks.columns:
        return [f"results: {folder.RESULTS} or {folder.TASKS} lacks the column task_id"]
    unknown = sorted(set(results["task_id"]) - set(tasks["task_id"]))
    return [f"results: {folder.RESULTS} has task {t}, which is not in {folder.TASKS}"
            for t in unknown[:20]]


def _check_draw(report: FolderReport, out: Path, scenario, encoding, progress) -> None:
    try:
        verified = verify_draw(out, scenario=scenario, encoding=encoding, progress=progress)
        report.parts += [f"draw: {line}" for line in verified.lines()[:1]]
    except PlannerError as exc:
        report.problems.append(f"draw: {exc}")


def verify_folder(out: str | Path, *, scenario: str | Path | None = None,
                  encoding: str | None = None, progress=None):
    """Verify the draw in ``out`` (:func:`planner.draw.verify.verify_draw`) and its manifest.

    Parameters
    ----------
    out : str or pathlib.Path
        The plan folder.
    scenario : str or pathlib.Path, optional
        The scenario, when it is no longer where the record says.
    encoding : str, optional
        CSV encoding of the inputs.
    progress : callable, optional
        Progress reporter.

    Returns
    -------
    planner.draw.verify.Verified
        When the draw and the folder's files are as recorded.

    Raises
    ------
    VerificationError
        Naming every difference, those of the folder's files included.
    """
    out = Path(out)
    state = mf.folder_state(out)
    try:
        verified = verify_draw(out, scenario=scenario, encoding=encoding, progress=progress)
    except VerificationError as exc:
        head = str(exc).split("\n", 1)[0]
        raise VerificationError(head, exc.differences + state.problems) from None
    if state.problems:
        raise VerificationError(f"{out} does not hold one whole plan", state.problems)
    return verified
