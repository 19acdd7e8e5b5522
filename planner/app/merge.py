"""Joint cross-department checks (联合抽查): merge several departments' plans into one visit each.

Each department plans on its own (its scenario, its items, its roster or its department's
inspectors through ``[assignment] joint_departments = ["药品"]``, its seed and its draw).
``planner merge PLAN_OUT... -o OUT`` then takes the output folders of those plans for the
same period and writes one folder in which every enterprise has exactly one visit: an
enterprise drawn by several plans gets one joint team holding each plan's inspectors
(优化营商环境条例 art. 54: checks of the same target are combined), led by the lead of the
first plan given that drew it (the lead department, 牵头部门). The other leads sit as
members of the joint team and keep leading their own department's items.

Nothing of the plans' draws changes: each plan's folder stays as it was and stays
verifiable with ``planner verify``; the merge record names each plan's folder with the
SHA-256 of its draw record, sample and assignments, so anyone can confirm that the joint
visits are exactly the union of those verified plans. Each department enters and
publishes its results from its own plan folder, for its own items.

Files written into ``OUT`` (names: :data:`VISITS`, :data:`JOINT_SEATS`, :data:`RECORD`):

- ``visits.csv``: visit_id, enterprise_id, name, plans, tasks, lead_id, member_ids - one
  row per enterprise;
- ``joint-assignments.csv``: visit_id, enterprise_id, inspector_id, role (lead / member of
  the joint team), plan_id, task_id, plan_role (the seat's role in its own plan);
- ``merge.json``: the plans merged (folder, plan id, seed, period, tasks, SHA-256 of
  their files) and the visits before and after the merge;
- ``tasks.csv``, ``export.json``, ``plan.xlsx`` and ``teams/*.xlsx``: the joint visits as a
  plan for the field teams (:mod:`planner.publish.joint`).

The folder is written whole or not at all (:func:`planner.plan.transaction.writing`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from planner.common.errors import InputError, Problem
from planner.common.io import read_table, sha256_file, write_csv_atomic, write_text_atomic
from planner.plan import folder
from planner.plan.transaction import refuse_if_busy, writing
from planner.publish import joint
from planner.publish.tasks import PlanFacts

# The files a merge reads from each plan folder and writes into its own folder.
PLAN_RECORD = folder.RECORD
PLAN_SAMPLE = folder.SAMPLE
PLAN_SEATS = folder.ASSIGNMENTS
VISITS = folder.VISITS
JOINT_SEATS = folder.JOINT_SEATS
RECORD = folder.MERGE_RECORD
MERGE_FORMAT = "planner-merge/1"


@dataclass
class PlanFolder:
    """One department's plan folder as read for the merge."""

    path: Path
    plan_id: str
    seed: str
    start: str
    end: str
    sample: pd.DataFrame
    seats: pd.DataFrame
    tasks: pd.DataFrame = field(default_factory=pd.DataFrame)
    facts: PlanFacts | None = None
    language: str = "zh"
    department: str = ""
    inspector_departments: dict = field(default_factory=dict)

    def record(self) -> dict:
        """Return the plan's entry of ``merge.json``."""
        return {
            "folder": str(self.path),
            "plan_id": self.plan_id,
            "seed": self.seed,
            "start": self.start,
            "end": self.end,
            "tasks": int(self.seats["task_id"].nunique()),
            "sha256": {name: sha256_file(self.path / name)
                       for name in (PLAN_RECORD, PLAN_SAMPLE, PLAN_SEATS)},
        }


@dataclass
class MergeResult:
    """What :func:`merge_plans` wrote, for the command to print."""

    out: Path
    plans: list[PlanFolder]
    visits: pd.DataFrame
    workbooks: int = 0

    @property
    def tasks_before(self) -> int:
        """Tasks (visits) of the plans on their own."""
        return sum(int(p.seats["task_id"].nunique()) for p in self.plans)

    @property
    def saved(self) -> int:
        """Visits the merge saved."""
        return self.tasks_before - len(self.visits)

    def summary_lines(self) -> list[str]:
        """Return the merge's summary for a terminal."""
        joint = int((self.visits["plans"].str.count(";") > 0).sum())
        lines = [f"Merged {len(self.plans)} plans ({', '.join(p.plan_id for p in self.plans)}): "
                 f"{self.tasks_before:,} tasks -> {len(self.visits):,} visits, "
                 f"{joint:,} of them joint; {self.saved:,} visits saved"]
        lines.append(f"Wrote {self.out / VISITS}, {self.out / JOINT_SEATS}, {self.out / RECORD}")
        lines.append(f"Wrote {self.out / folder.TASKS}, {self.out / folder.PLAN_WORKBOOK} and "
                     f"{self.workbooks} field workbook(s) in {self.out / folder.TEAMS}, one per "
                     "visit team")
        lines.append("Each plan's draw stays verifiable: planner verify "
                     + " / ".join(str(p.path) for p in self.plans))
        return lines


def read_plan_folder(path: Path) -> PlanFolder:
    """Read a plan folder's draw record, sample and assignments.

    Parameters
    ----------
    path : pathlib.Path
        The output folder of ``planner run``.

    Returns
    -------
    PlanFolder
        Its plan id, seed, period, sample and seats.

    Raises
    ------
    InputError
        When a file is missing, unreadable or lacks a column.
    """
    path = Path(path)
    record_path = path / PLAN_RECORD
    for name in (PLAN_RECORD, PLAN_SAMPLE, PLAN_SEATS):
        if not (path / name).is_file():
            raise InputError(f"not found; run planner run into {path} first",
                             file=str(path / name))
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
        plan = record["parameters"]["plan"]
        plan_id, seed, start, end = (str(plan[k]) for k in ("id", "seed", "start", "end"))
    except (ValueError, KeyError, TypeError):
        raise InputError("is not a draw record planner wrote (no parameters.plan id, seed, "
                         "start and end)", file=str(record_path)) from None
    sample = _table(path / PLAN_SAMPLE, ("enterprise_id", "name"))
    seats = _table(path / PLAN_SEATS, ("task_id", "enterprise_id", "inspector_id", "role"))
    tasks = joint.read_plan_tasks(path)
    facts, language = joint.plan_facts(path)
    department, inspector_departments = joint.plan_department(path, plan_id)
    return PlanFolder(path, plan_id, seed, start, end, sample, seats, tasks, facts, language,
                      department, inspector_departments)


def _table(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    frame = read_table(path, label=str(path))
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError([Problem(str(path), "missing column", row=1, column=c)
                          for c in missing])
    frame = frame.copy()
    frame["enterprise_id"] = frame["enterprise_id"].astype(str).str.strip().str.upper()
    return frame


def merge_plans(folders: list[Path], out: Path) -> MergeResult:
    """Merge several departments' plans for one period into one visit per enterprise.

    Parameters
    ----------
    folders : list of pathlib.Path
        The plans' output folders, the lead department's first.
    out : pathlib.Path
        The merged folder (created if needed; must not be one of ``folders``).

    Returns
    -------
    MergeResult
        With ``summary_lines()``.

    Raises
    ------
    InputError
        When fewer than two folders are given, a folder is given twice or is ``out``, a
        plan id repeats, the periods differ, or a folder's files are missing.
    """
    out = Path(out)
    refuse_if_busy(out)  # at once, before reading the plans
    if len(folders) < 2:
        raise InputError("give at least two plan folders to merge", file="PLAN_OUT")
    resolved = [Path(f).resolve() for f in folders]
    if len(set(resolved)) != len(resolved) or out.resolve() in resolved:
        raise InputError("give each plan folder once, and an output folder that is none of "
                         "them", file=str(out))
    plans = [read_plan_folder(Path(f)) for f in folders]
    first = plans[0]
    problems = []
    seen: dict[str, Path] = {}
    for p in plans:
        if p.plan_id in seen:
            problems.append(Problem(str(p.path / PLAN_RECORD), f"plan {p.plan_id} is also in "
                                    f"{seen[p.plan_id]}; merge different plans"))
        seen.setdefault(p.plan_id, p.path)
        if (p.start, p.end) != (first.start, first.end):
            problems.append(Problem(
                str(p.path / PLAN_RECORD), f"plan {p.plan_id} runs {p.start} to {p.end}, but "
                f"{first.plan_id} runs {first.start} to {first.end}; merge plans of the same "
                "period"))
    if problems:
        raise InputError(problems)

    visits, seats = _joint_visits(plans)
    facts, language = joint.joint_facts(plans)
    tasks = joint.joint_tasks(plans, seats, visits, [p.department for p in plans], language)
    with writing(out, "planner merge", plan=(facts.plan_id, facts.seed),
                 starts_plan=True) as job:
        stage = job.path
        write_csv_atomic(stage / VISITS, visits)
        write_csv_atomic(stage / JOINT_SEATS, seats)
        result = MergeResult(out, plans, visits)
        record = {
            "format": MERGE_FORMAT,
            "rule": "one visit per enterprise drawn by any plan; its team holds every plan's "
                    "inspectors for it, led by the lead of the first plan given that drew it",
            "plans": [p.record() for p in plans],
            "tasks_before": result.tasks_before,
            "visits": int(len(visits)),
            "joint_visits": int((visits["plans"].str.count(";") > 0).sum()),
            "visits_saved": result.saved,
            "sha256": {VISITS: sha256_file(stage / VISITS),
                       JOINT_SEATS: sha256_file(stage / JOINT_SEATS)},
        }
        write_text_atomic(stage / RECORD, json.dumps(record, ensure_ascii=False, indent=1)
                          + "\n")
        workbooks = joint.write_joint_workbooks(stage, plans, tasks, facts, language, record)
        folder.write_csv(stage, folder.TASKS, tasks)
        folder.write_export_manifest(stage, joint.export_record(stage, facts, language, tasks,
                                                                workbooks))
        result.workbooks = len(workbooks)
    return result


def _joint_visits(plans: list[PlanFolder]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Build the visits and their joint seats, enterprises in first-drawn order."""
    parts = []
    for order, p in enumerate(plans):
        s = p.seats[["task_id", "enterprise_id", "inspector_id", "role"]].copy()
        s["plan_id"] = p.plan_id
        s["order"] = order
        names = dict(zip(p.sample["enterprise_id"], p.sample["name"], strict=False))
        s["name"] = s["enterprise_id"].map(names).fillna("")
        parts.append(s)
    seats = pd.concat(parts, ignore_index=True)
    seats = seats.rename(columns={"role": "plan_role"})
    enterprises = list(dict.fromkeys(seats["enterprise_id"]))
    width = max(5, len(str(len(enterprises))))
    visit_of = {e: f"V{k + 1:0{width}d}" for k, e in enumerate(enterprises)}
    seats["visit_id"] = seats["enterprise_id"].map(visit_of)
    seats = seats.sort_values(["visit_id", "order"], kind="stable")
    # One seat per inspector in a visit (the first plan's seat when two plans name them).
    seats = seats.drop_duplicates(["visit_id", "inspector_id"], keep="first")
    lead_plan = seats.groupby("visit_id")["order"].transform("min")
    is_lead = (seats["plan_role"] == "lead") & (seats["order"] == lead_plan)
    seats["role"] = is_lead.map({True: "lead", False: "member"})
    seats = seats.sort_values(["visit_id", "role", "order", "inspector_id"],
                              key=lambda c: c.map({"lead": 0, "member": 1}) if c.name == "role"
                              else c, kind="stable").reset_index(drop=True)
    joint = seats[["visit_id", "enterprise_id", "inspector_id", "role", "plan_id", "task_id",
                   "plan_role"]]
    rows = []
    for visit, g in seats.groupby("visit_id", sort=True):
        lead = g.loc[g["role"] == "lead", "inspector_id"]
        rows.append({
            "visit_id": visit,
            "enterprise_id": g["enterprise_id"].iat[0],
            "name": g["name"].iat[0],
            "plans": ";".join(dict.fromkeys(g["plan_id"])),
            "tasks": ";".join(dict.fromkeys(g["task_id"])),
            "lead_id": lead.iat[0] if len(lead) else "",
            "member_ids": ";".join(g.loc[g["role"] != "lead", "inspector_id"]),
        })
    return pd.DataFrame(rows), joint
