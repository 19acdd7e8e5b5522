"""The plan as data: one row per inspection task, built from the draw and the assignment.

:func:`build_tasks` joins ``sample.csv`` (the drawn enterprises), ``assignments.csv`` (one row
per team seat) and the inputs into one table, ``tasks.csv``, which the export turns into
workbooks and which ``planner results`` reads back to check the filled workbooks against.
:func:`plan_cells` renders a task table as the text people see in the plan columns, in one
language; export writes exactly these texts, so the import can compare cell for cell.

A *team* (检查组) for ``split_by = "team"`` is the set of tasks sharing one lead inspector
(主检): each lead gets one field workbook with all of their tasks. Teams are numbered 1, 2, ...
in the natural order of the leads' inspector ids.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner.assign.experts import read_experts
from planner.common import categories as cat
from planner.common.errors import InputError, Problem, ScenarioError
from planner.common.xlsx import clean_text, unique_filenames
from planner.plan import folder
from planner.plan.inputs import Inputs, canonical_ids
from planner.plan.items import plan_items
from planner.plan.scenario import Scenario
from planner.plan.targets import target_of_stratum

TASK_COLUMNS = (
    "task_id", "enterprise_id", "name", "address", "district", "registration_authority",
    "risk_class", "stratum", "ticket", "rank", "team_no", "lead_id", "lead_name",
    "member_ids", "member_names", "workbook",
)
ID_SEPARATOR = ";"
# Columns tasks.csv gains only when the plan's tasks differ in their items (items by
# category or qualification, planner.plan.items) or in their type (targeted draws).
ITEM_TASK_COLUMNS = ("item_codes", "items")
TYPE_TASK_COLUMN = "check_type"
# Columns tasks.csv gains only when the plan drew one expert per team (experts.csv).
EXPERT_TASK_COLUMNS = ("expert_id", "expert_name")
TARGETED = "定向"
# The column tasks.csv gains only when the plan folder holds a schedule (folder.SCHEDULE).
SCHEDULE_TASK_COLUMN = "not_before"


@dataclass(frozen=True)
class PlanFacts:
    """What every workbook says about the plan: identity, period, task, items, scope."""

    plan_id: str
    plan_name: str
    authority: str
    seed: str
    start: dt.date
    end: dt.date
    task_id: str
    task_name: str
    check_type: str
    items: list[str] = field(default_factory=list)
    scope: str = ""

    @classmethod
    def from_scenario(cls, scenario: Scenario, item_names: list[str], scope: str) -> PlanFacts:
        """Take the facts from the scenario's ``[plan]`` table.

        Parameters
        ----------
        scenario : Scenario
            The plan's scenario.
        item_names : list of str
            The names of the inspection items (抽查事项).
        scope : str
            The target scope (抽查对象范围) text.

        Returns
        -------
        PlanFacts
            The facts; the task id and name default to the plan's.
        """
        p = scenario.plan
        return cls(
            plan_id=p.id, plan_name=p.name, authority=p.authority, seed=p.seed,
            start=p.start, end=p.end, task_id=p.task_id or p.id,
            task_name=p.task_name or p.name, check_type=p.check_type,
            items=list(item_names), scope=scope,
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the facts as JSON-ready values (dates as ISO text)."""
        data = asdict(self)
        data["start"] = self.start.isoformat()
        data["end"] = self.end.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PlanFacts:
        """Read facts written by :meth:`to_dict`."""
        values = dict(data)
        values["start"] = dt.date.fromisoformat(values["start"])
        values["end"] = dt.date.fromisoformat(values["end"])
        return cls(**values)

    def period(self, language: str) -> str:
        """Return the planned period as shown in the plan, e.g. ``2026-01-01至2026-03-31``."""
        return f"{self.start.isoformat()}{cat.label('period_join', language)}{self.end.isoformat()}"

    def items_text(self) -> str:
        """Return the inspection items as one cell."""
        return cat.SEPARATOR.join(self.items)


def read_stage_table(out: Path, name: str, columns: tuple[str, ...], hint: str) -> pd.DataFrame:
    """Read an earlier stage's CSV (see :func:`planner.plan.folder.read_stage_table`).

    Parameters
    ----------
    out : pathlib.Path
        The output folder.
    name : str
        The file name, e.g. ``folder.SAMPLE``.
    columns : tuple of str
        Columns that must be present.
    hint : str
        How to produce the file, for the message when it is missing.

    Returns
    -------
    pandas.DataFrame
        The table as text.
    """
    return folder.read_stage_table(out, name, columns, hint)


def read_draw_record(out: Path) -> dict[str, Any]:
    """Read ``draw-record.json`` if present and readable; an empty dict otherwise."""
    return folder.read_record_if_any(out)


def record_hashes(record: dict[str, Any]) -> dict[str, str]:
    """Find the input files' SHA-256 in a draw record, whatever shape the record uses.

    Accepts ``{"input_hashes"|"hashes"|"inputs"|"input_files"|"files": {name: sha}}`` or
    ``{name: {"sha256": sha, ...}}`` at the top level or under ``"inputs"``.

    Parameters
    ----------
    record : dict
        The parsed draw record.

    Returns
    -------
    dict
        Input name -> hex digest (empty when none is found).
    """
    found: dict[str, str] = {}
    for key in ("input_hashes", "hashes", "inputs", "input_files", "files", "sha256"):
        table = record.get(key)
        if not isinstance(table, dict):
            continue
        for name, value in table.items():
            digest = value.get("sha256") if isinstance(value, dict) else value
            if isinstance(digest, str) and len(digest) == 64:
                found.setdefault(str(name), digest.lower())
    return found


def natural_order(values: pd.Series) -> pd.Series:
    """Return a sort key ordering ``T-2`` before ``T-10`` (digit runs zero-padded)."""
    text = values.astype(str)
    padded = [_DIGITS.sub(_padded, v) for v in text.tolist()]
    return pd.Series(padded, index=text.index, dtype=text.dtype, name=text.name)


_DIGITS = re.compile(r"\d+")


def _padded(digits: re.Match) -> str:
    return digits.group(0).zfill(20)


def item_names(scenario: Scenario, inputs: Inputs) -> list[str]:
    """Names of the plan's inspection items (抽查事项): ``[plan] items`` codes, or all items.

    Parameters
    ----------
    scenario : Scenario
        The scenario (``[plan] items`` lists item codes).
    inputs : Inputs
        The inputs (``items`` maps codes to names).

    Returns
    -------
    list of str
        The item names, in the order the scenario lists them (or the file's order).

    Raises
    ------
    ScenarioError
        When ``[plan] items`` names a code the items file does not list.
    """
    items = inputs.items
    codes = list(scenario.plan.items)
    if not codes:
        return [str(n) for n in items["item_name"]] if "item_name" in items else []
    by_code = dict(zip(items.get("item_code", []), items.get("item_name", []), strict=True))
    unknown = [c for c in codes if c not in by_code]
    if unknown:
        where = "the items file" if inputs.files.get("items") else "[inputs] items (not given)"
        raise ScenarioError(
            f"item code {unknown[0]!r} is not in {where}; list codes from the items file",
            key="plan.items", file=scenario.label,
        )
    return [str(by_code[c]) for c in codes]


def build_tasks(
    scenario: Scenario, inputs: Inputs, sample: pd.DataFrame, assignments: pd.DataFrame,
    *, out: Path,
) -> pd.DataFrame:
    """Join the draw, the assignment and the inputs into one row per inspection task.

    Parameters
    ----------
    scenario : Scenario
        The scenario (for ``[export] split_by``).
    inputs : Inputs
        The validated inputs (addresses, districts, registration authorities, inspector names).
    sample : pandas.DataFrame
        ``sample.csv``: enterprise_id, name, risk_class, stratum, ticket, rank.
    assignments : pandas.DataFrame
        ``assignments.csv``: task_id, enterprise_id, inspector_id, role (lead / member).
    out : pathlib.Path
        The output folder (for messages).

    Returns
    -------
    pandas.DataFrame
        :data:`TASK_COLUMNS`, one row per task, in natural task-id order.

    Raises
    ------
    InputError
        When the files do not fit together: a task without exactly one lead, a task naming
        two enterprises, an enterprise or inspector unknown to the inputs, a drawn enterprise
        without a task.
    """
    sample_label = str(folder.path(out, folder.SAMPLE))
    assign_label = str(folder.path(out, folder.ASSIGNMENTS))
    sample = sample.copy()
    sample["enterprise_id"] = canonical_ids(sample["enterprise_id"])
    seats = assignments.copy()
    seats["enterprise_id"] = canonical_ids(seats["enterprise_id"])
    seats["inspector_id"] = seats["inspector_id"].astype(str).str.strip()
    seats["task_id"] = seats["task_id"].astype(str).str.strip()
    seats["role"] = seats["role"].astype(str).str.strip().str.lower()
    seats["row"] = np.arange(2, len(seats) + 2)
    directory_rows = inputs.enterprise_rows(sample["enterprise_id"])
    problems = _check_seats(seats, sample, directory_rows >= 0, inputs, assign_label)
    if problems:
        raise InputError(problems)

    leads = seats[seats["role"] == "lead"].set_index("task_id")
    tasks = leads[["enterprise_id", "inspector_id"]].rename(columns={"inspector_id": "lead_id"})
    members = seats[seats["role"] != "lead"]
    if members["task_id"].is_unique:  # teams of two: one member each, nothing to join
        member_ids = pd.Series(members["inspector_id"].to_numpy(), index=members["task_id"])
    else:
        member_ids = members.groupby("task_id", sort=False)["inspector_id"].agg(ID_SEPARATOR.join)
    tasks["member_ids"] = member_ids.reindex(tasks.index).fillna("")
    tasks = tasks.reset_index()

    names = dict(zip(inputs.inspectors["inspector_id"],
                     inputs.inspectors["name"].astype(str), strict=True))
    tasks["lead_name"] = tasks["lead_id"].map(names)
    tasks["member_names"] = [
        ID_SEPARATOR.join(names[i] for i in ids.split(ID_SEPARATOR) if i)
        for ids in tasks["member_ids"].tolist()
    ]

    ent = inputs.enterprises
    ent_cols = ["enterprise_id", "address", "district", "registration_authority"]
    ent_cols = [c for c in ent_cols if c in ent.columns]
    # Only the drawn rows of a directory that may hold millions (ids are unique there).
    ent = ent.iloc[directory_rows[directory_rows >= 0]][ent_cols]
    drawn = _left_join(sample, ent, "enterprise_id")
    for col in ("address", "district", "registration_authority", "stratum", "ticket", "rank"):
        if col not in drawn:
            drawn[col] = ""
    unstaffed = sorted(set(drawn["enterprise_id"]) - set(tasks["enterprise_id"]))
    if unstaffed:
        raise InputError([
            Problem(sample_label, "drawn enterprise has no task in assignments.csv; re-run the "
                    "assignment (planner run)", column="enterprise_id", value=e)
            for e in unstaffed
        ])
    tasks = _left_join(tasks, drawn, "enterprise_id")
    tasks = tasks.sort_values("task_id", key=natural_order, kind="stable").reset_index(drop=True)

    lead_order = pd.Series(tasks["lead_id"].unique())
    lead_order = lead_order.iloc[np.argsort(natural_order(lead_order).to_numpy(), kind="stable")]
    tasks["team_no"] = tasks["lead_id"].map({lead: i + 1 for i, lead in enumerate(lead_order)})
    tasks["workbook"] = workbook_names(tasks, scenario.export.split_by)
    for col in TASK_COLUMNS:
        if col not in tasks:
            tasks[col] = ""
    text_cols = [c for c in TASK_COLUMNS if c not in ("team_no",)]
    tasks[text_cols] = tasks[text_cols].fillna("").astype(str)
    columns = list(TASK_COLUMNS)
    items = plan_items(scenario, inputs.items)
    if items.per_task:
        rows = inputs.enterprise_rows(tasks["enterprise_id"])
        found = items.per_enterprise(inputs.enterprises["category"].iloc[rows])
        tasks["item_codes"] = [ID_SEPARATOR.join(items.codes[k] for k in ks) for ks in found]
        tasks["items"] = [cat.SEPARATOR.join(items.names[k] for k in ks) for ks in found]
        columns += ITEM_TASK_COLUMNS
    types = task_types(scenario, tasks["stratum"])
    if types is not None:
        tasks[TYPE_TASK_COLUMN] = types
        columns.append(TYPE_TASK_COLUMN)
    drawn = task_experts(scenario, out, tasks["task_id"])
    if drawn is not None:
        tasks["expert_id"], tasks["expert_name"] = drawn
        columns += EXPERT_TASK_COLUMNS
    return tasks[columns]


def _left_join(left: pd.DataFrame, right: pd.DataFrame, key: str) -> pd.DataFrame:
    """Return ``left.merge(right, on=key, how="left", validate="one_to_one")``.

    When each key is once on each side, every key of ``left`` is in ``right`` and the
    tables share no other column (a plan that fits), ``right``'s rows are taken by position
    instead of merged; otherwise the merge runs, with its checks and its column names.
    """
    others = [c for c in right.columns if c != key]
    if not set(others) & set(left.columns) and left[key].is_unique and right[key].is_unique:
        at = pd.Index(right[key]).get_indexer(left[key])
        if (at >= 0).all():
            return pd.concat([left.reset_index(drop=True),
                              right[others].iloc[at].reset_index(drop=True)], axis=1)
    return left.merge(right, on=key, how="left", validate="one_to_one")


def task_experts(scenario: Scenario, out: Path, task_ids: pd.Series
                 ) -> tuple[list[str], list[str]] | None:
    """Return each task's expert id and name when the plan drew experts (专家), else None.

    Parameters
    ----------
    scenario : Scenario
        The plan (``[assignment] experts``, the experts list).
    out : pathlib.Path
        The plan folder holding ``experts.csv``.
    task_ids : pandas.Series
        The tasks, in order.

    Returns
    -------
    tuple of two lists, or None
        Expert ids and names aligned with ``task_ids`` (empty for a task without one);
        None when ``[assignment] experts`` is not given or no expert draw is in ``out``.

    Raises
    ------
    InputError
        When ``experts.csv`` names an expert the experts list does not hold.
    """
    path = folder.path(out, folder.EXPERTS)
    if scenario.assignment.experts is None or not path.is_file():
        return None
    drawn = read_stage_table(out, folder.EXPERTS, ("task_id", "expert_id"),
                             "run the assignment again: planner run SCENARIO -o OUT")
    listed = read_experts(scenario.assignment.experts, encoding=scenario.inputs.encoding,
                          sheet=scenario.inputs.sheet)
    names = dict(zip(listed["expert_id"].astype(str), listed["name"].astype(str), strict=True))
    unknown = sorted(set(drawn["expert_id"].astype(str).str.strip()) - set(names))
    if unknown:
        raise InputError([Problem(str(path), "expert is not in the experts list "
                                  f"{scenario.assignment.experts}", column="expert_id", value=e)
                          for e in unknown])
    of_task = dict(zip(drawn["task_id"].astype(str).str.strip(),
                       drawn["expert_id"].astype(str).str.strip(), strict=False))
    ids = [of_task.get(str(t), "") for t in task_ids]
    return ids, [names.get(i, "") for i in ids]


def task_types(scenario: Scenario, stratum: pd.Series) -> list[str] | None:
    """Return each task's type, 定向 (targeted) or 不定向, when the plan has targets.

    Parameters
    ----------
    scenario : Scenario
        The plan (``[[sampling.targets]]``).
    stratum : pandas.Series
        Each task's stratum (``sample.csv``).

    Returns
    -------
    list of str or None
        定向 for a task drawn under a target, ``[plan] check_type`` for the others; None
        when the plan has no targets (every task has the plan's type).
    """
    if not scenario.sampling.targets:
        return None
    names = {t["name"] for t in scenario.sampling.targets}
    return [TARGETED if target_of_stratum(str(s)) in names else scenario.plan.check_type
            for s in stratum]


def _check_seats(
    seats: pd.DataFrame, sample: pd.DataFrame, listed: np.ndarray, inputs: Inputs, label: str
) -> list[Problem]:
    if _seats_fit(seats, sample, listed, inputs):
        return []
    problems: list[Problem] = []
    bad_role = ~seats["role"].isin(["lead", "member"])
    for _, r in seats[bad_role].iterrows():
        problems.append(Problem(label, "role must be lead or member", row=int(r["row"]),
                                column="role", value=r["role"]))
    lead_count = seats.assign(is_lead=seats["role"] == "lead").groupby("task_id")["is_lead"].sum()
    for task, n in lead_count[lead_count != 1].items():
        problems.append(Problem(label, f"task has {int(n)} leads (主检); it needs exactly one",
                                column="task_id", value=task))
    per_task = seats.groupby("task_id")["enterprise_id"].nunique()
    for task in per_task[per_task > 1].index:
        problems.append(Problem(label, "task names more than one enterprise; one task inspects "
                                "one enterprise", column="task_id", value=task))
    per_ent = seats.groupby("enterprise_id")["task_id"].nunique()
    for ent in per_ent[per_ent > 1].index:
        problems.append(Problem(label, "enterprise has more than one task", column="enterprise_id",
                                value=ent))
    known_ent = set(sample["enterprise_id"])
    for _, r in seats[~seats["enterprise_id"].isin(known_ent)].iterrows():
        problems.append(Problem(label, "enterprise is not in sample.csv", row=int(r["row"]),
                                column="enterprise_id", value=r["enterprise_id"]))
    known_insp = set(inputs.inspectors["inspector_id"])
    for _, r in seats[~seats["inspector_id"].isin(known_insp)].iterrows():
        problems.append(Problem(label, "inspector is not in the inspectors file",
                                row=int(r["row"]), column="inspector_id", value=r["inspector_id"]))
    sample_label = str(Path(label).with_name(folder.SAMPLE))
    for ent in sorted(set(sample.loc[sample["enterprise_id"].duplicated(), "enterprise_id"])):
        problems.append(Problem(sample_label, "enterprise drawn twice; re-run the draw",
                                column="enterprise_id", value=ent))
    for ent in sorted(sample.loc[~listed, "enterprise_id"]):
        problems.append(Problem(sample_label,
                                "drawn enterprise is not in the enterprises file (did the "
                                "directory change since the draw?)", column="enterprise_id",
                                value=ent))
    return problems


def _seats_fit(seats: pd.DataFrame, sample: pd.DataFrame, listed: np.ndarray,
               inputs: Inputs) -> bool:
    """Return whether :func:`_check_seats` would find nothing, checked on integer codes.

    The usual case, a draw and assignment that fit, is answered without grouping the
    seats three times; any doubt leaves the finding and wording to :func:`_check_seats`.
    """
    if not np.all(listed) or sample["enterprise_id"].duplicated().any():
        return False
    if not (seats["role"].isin(["lead", "member"]).all()
            and seats["enterprise_id"].isin(sample["enterprise_id"]).all()
            and seats["inspector_id"].isin(inputs.inspectors["inspector_id"]).all()):
        return False
    task, n_tasks = _codes(seats["task_id"])
    enterprise, n_enterprises = _codes(seats["enterprise_id"])
    if (task < 0).any() or (enterprise < 0).any():
        return False
    leads = np.bincount(task, weights=(seats["role"] == "lead").to_numpy(), minlength=n_tasks)
    # One enterprise per task and one task per enterprise: each seat names the same partner
    # as the last seat of its task (of its enterprise).
    of_task = np.full(n_tasks, -1)
    of_task[task] = enterprise
    of_enterprise = np.full(n_enterprises, -1)
    of_enterprise[enterprise] = task
    return bool((leads == 1).all() and (of_task[task] == enterprise).all()
                and (of_enterprise[enterprise] == task).all())


def _codes(values: pd.Series) -> tuple[np.ndarray, int]:
    codes, uniques = pd.factorize(values)
    return np.asarray(codes), len(uniques)


def workbook_names(tasks: pd.DataFrame, split_by: str) -> pd.Series:
    """Return the field workbook of each task, as a path relative to the output folder.

    ``team``: ``teams/team-<lead id>-<lead name>.xlsx``; ``district``:
    ``teams/district-<district>.xlsx``; ``none``: ``teams/all.xlsx``. Names are made safe for
    Windows and unique; they depend only on the plan, so they are stable between runs.

    Parameters
    ----------
    tasks : pandas.DataFrame
        With ``lead_id``, ``lead_name``, ``district`` and ``team_no``.
    split_by : str
        ``"team"``, ``"district"`` or ``"none"``.

    Returns
    -------
    pandas.Series
        One relative path (with ``/``) per task.
    """
    if split_by == "none":
        return pd.Series("teams/all.xlsx", index=tasks.index)
    if split_by == "district":
        keys = tasks["district"].astype(str)
        order = sorted(keys.unique())
        stems = [f"district-{k or 'none'}" for k in order]
    else:
        keys = tasks["lead_id"].astype(str)
        firsts = tasks.drop_duplicates("lead_id").sort_values("team_no")
        order = list(firsts["lead_id"])
        stems = [f"team-{lead}-{name}" for lead, name in zip(firsts["lead_id"],
                                                           firsts["lead_name"], strict=True)]
    names = dict(zip(order, unique_filenames(stems), strict=True))
    return keys.map(lambda k: "teams/" + names[k])


def with_schedule(tasks: pd.DataFrame, out: Path) -> pd.DataFrame:
    """Add each task's earliest inspection date when the plan folder holds a schedule.

    A programme batch places ``schedule.csv`` (``enterprise_id, not_before``) beside its plan;
    its tasks then gain ``not_before`` (ISO date, empty for an enterprise the schedule does not
    list, e.g. a replacement). Without a schedule the task table is returned unchanged.

    Parameters
    ----------
    tasks : pandas.DataFrame
        The task table.
    out : pathlib.Path
        The plan folder.

    Returns
    -------
    pandas.DataFrame
        The task table, with ``not_before`` when there is a schedule.

    Raises
    ------
    InputError
        When the schedule lacks its columns or a date is not YYYY-MM-DD.
    """
    path = Path(out) / folder.SCHEDULE
    if not path.is_file():
        return tasks
    schedule = read_stage_table(Path(out), folder.SCHEDULE, ("enterprise_id", SCHEDULE_TASK_COLUMN),
                                "a programme batch writes it: planner run SCENARIO --batch K")
    problems = []
    for i, value in enumerate(schedule[SCHEDULE_TASK_COLUMN].astype(str), start=2):
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            problems.append(Problem(str(path), "not a date; write it as YYYY-MM-DD", row=i,
                                    column=SCHEDULE_TASK_COLUMN, value=value))
    if problems:
        raise InputError(problems)
    when = dict(zip(schedule["enterprise_id"].astype(str),
                    schedule[SCHEDULE_TASK_COLUMN].astype(str), strict=True))
    tasks = tasks.copy()
    tasks[SCHEDULE_TASK_COLUMN] = [when.get(str(e), "") for e in tasks["enterprise_id"]]
    return tasks


def plan_cells(tasks: pd.DataFrame, facts: PlanFacts, language: str) -> pd.DataFrame:
    """Render the plan columns (:data:`planner.common.categories.PLAN_COLUMNS`) as people see them.

    Parameters
    ----------
    tasks : pandas.DataFrame
        The task table (:data:`TASK_COLUMNS`).
    facts : PlanFacts
        The plan's facts (items, period).
    language : str
        ``"zh"`` or ``"en"``.

    Returns
    -------
    pandas.DataFrame
        One text column per plan column key except ``seq`` (numbered per workbook on writing),
        index aligned with ``tasks``.
    """
    sep = "、" if language == "zh" else ", "
    team_label = cat.label("team", language)
    pattern = "{}（{}）" if language == "zh" else "{} ({})"

    def people(names: str, ids: str) -> str:
        if not ids:
            return ""
        pairs = zip(names.split(ID_SEPARATOR), ids.split(ID_SEPARATOR), strict=False)
        return sep.join(pattern.format(n, i) for n, i in pairs)

    lead = [pattern.format(n, i) for n, i in zip(tasks["lead_name"].astype(str).tolist(),
                                                  tasks["lead_id"].astype(str).tolist(),
                                                  strict=True)]
    members = [people(n, i) for n, i in zip(tasks["member_names"].astype(str).tolist(),
                                             tasks["member_ids"].astype(str).tolist(),
                                             strict=True)]
    teams = {n: team_label.format(n=int(n)) for n in pd.unique(tasks["team_no"]).tolist()}
    cells = pd.DataFrame(
        {
            "task_id": tasks["task_id"],
            "name": tasks["name"],
            "enterprise_id": tasks["enterprise_id"],
            "address": tasks["address"],
            "district": tasks["district"],
            "items": tasks["items"] if "items" in tasks.columns else facts.items_text(),
            "team": [teams[n] for n in tasks["team_no"].tolist()],
            "lead": lead,
            "members": members,
            "period": facts.period(language),
        },
        index=tasks.index,
    )
    if "expert_id" in tasks.columns:  # the plan drew experts (专家)
        experts = [pattern.format(n, i) if i else "" for n, i in zip(
            tasks["expert_name"].astype(str).tolist(), tasks["expert_id"].astype(str).tolist(),
            strict=True)]
        cells.insert(cells.columns.get_loc("members") + 1, "expert", experts)
    if SCHEDULE_TASK_COLUMN in tasks.columns:
        cells[SCHEDULE_TASK_COLUMN] = tasks[SCHEDULE_TASK_COLUMN].fillna("").astype(str)
    return cells.apply(clean_text)
