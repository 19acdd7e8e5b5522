"""``planner check OUT``: re-validate ``assignments.csv`` against every rule, from the inputs.

The checker is deliberately independent of the planner's own machinery: it does not use
the candidate builder, the slot tree or the solvers, but reads the published files and the
inputs again and tests each rule on the plain table of seats with pandas joins. A plan
that passes here is valid whatever code produced it (an edited file, another tool).

Rules checked (each switch as in ``[assignment]``): file shape (columns, roles, known ids,
task ids of the plan); one task per drawn enterprise and nothing else; ``team_size``
distinct inspectors; exactly one lead, lead-capable (``require_lead``) and of the lead
department in a joint check; certificate valid through the plan's end; available;
avoidance pairs; capacity; cross-station; rotation; joint departments (one of each, every
member from one of them); separate pairs; the planning unit (``partition_by``).

``max_pair_probability`` is a property of the random process, not of one plan, so it
cannot be checked here; ``tests/assign/test_pairs.py`` measures it over many seeds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from planner.common.errors import InputError, ScenarioError
from planner.plan import folder
from planner.plan.inputs import Inputs
from planner.plan.scenario import Scenario

ASSIGNMENTS = folder.ASSIGNMENTS
SAMPLE = folder.SAMPLE
RECORD = folder.RECORD


@dataclass
class CheckReport:
    """The outcome of :func:`check_plan`.

    Attributes
    ----------
    violations : list of str
        One line per broken rule and seat (empty when the plan is valid).
    tasks, seats : int
        Tasks and rows in ``assignments.csv``.
    loads : pandas.Series
        Seats per inspector who has any.
    rules : list of str
        The rules that were checked.
    """

    violations: list[str]
    tasks: int
    seats: int
    loads: pd.Series
    rules: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether no rule is broken."""
        return not self.violations

    def summary_lines(self) -> list[str]:
        """Return the report for a terminal."""
        loads = self.loads
        spread = f"{int(loads.min())}-{int(loads.max())}" if len(loads) else "-"
        head = (f"{self.tasks:,} tasks, {self.seats:,} seats, {len(loads):,} inspectors "
                f"with loads {spread}")
        if self.ok:
            return [f"OK: {head}; every rule holds ({', '.join(self.rules)})"]
        return [f"{len(self.violations)} violation(s): {head}", *self.violations]


def scenario_path_from_record(out: Path) -> Path:
    """Return the scenario named in ``out/draw-record.json``.

    Parameters
    ----------
    out : pathlib.Path
        The output folder.

    Returns
    -------
    pathlib.Path
        The scenario file (resolved against ``out``).

    Raises
    ------
    ScenarioError
        When the record is missing or names no scenario.
    """
    path = folder.path(out, RECORD)
    record = folder.read_record_if_any(Path(out))
    if not record:
        raise ScenarioError(f"cannot read {path} to find the scenario; pass --scenario PATH",
                            file=str(path))
    for section in (record.get("assignment", {}), record):
        entry = section.get("scenario") if isinstance(section, dict) else None
        if isinstance(entry, dict) and entry.get("path"):
            found = (Path(out) / entry["path"]).resolve()
            if not found.is_file():
                raise ScenarioError(
                    f"scenario.path {entry['path']!r} (relative to {out}) is not a file here: "
                    "the folder was moved away from its scenario; pass --scenario PATH",
                    file=str(path))
            return found
    raise ScenarioError("names no scenario; pass --scenario PATH", file=str(path))


def check_plan(scenario: Scenario, inputs: Inputs, out: Path) -> CheckReport:
    """Check ``out/assignments.csv`` against every rule of the scenario.

    Parameters
    ----------
    scenario : Scenario
        The plan.
    inputs : Inputs
        Its validated inputs.
    out : pathlib.Path
        The folder holding ``sample.csv`` and ``assignments.csv``.

    Returns
    -------
    CheckReport
        The violations found (none for a valid plan) and the loads.

    Raises
    ------
    InputError
        When a file is missing or lacks a column.
    """
    out = Path(out)
    seats = _read(out, ASSIGNMENTS, ("task_id", "enterprise_id", "inspector_id", "role"))
    sample = _read(out, SAMPLE, ("enterprise_id",))
    return check_seats(scenario, inputs, seats, sample)


def check_seats(scenario: Scenario, inputs: Inputs, seats: pd.DataFrame,
                sample: pd.DataFrame) -> CheckReport:
    """Check seats against every rule of the scenario (see :func:`check_plan`).

    Parameters
    ----------
    scenario : Scenario
        The plan.
    inputs : Inputs
        Its validated inputs.
    seats : pandas.DataFrame
        task_id, enterprise_id, inspector_id, role (text).
    sample : pandas.DataFrame
        The drawn enterprises (``enterprise_id``) the seats must cover.

    Returns
    -------
    CheckReport
        The violations found (none for a valid plan) and the loads.
    """
    a_cfg = scenario.assignment
    seats = seats.copy()
    sample = sample.copy()
    seats["enterprise_id"] = seats["enterprise_id"].str.upper()
    sample["enterprise_id"] = sample["enterprise_id"].str.strip().str.upper()
    v: list[str] = []
    checked = ["shape", "one task per drawn enterprise", f"team of {a_cfg.team_size}",
               "one lead", "certificate", "available", "avoidance", "capacity"]

    roster = inputs.inspectors.set_index("inspector_id")
    unknown = ~seats["inspector_id"].isin(roster.index)
    for _, r in seats[unknown].iterrows():
        v.append(f"{_where(r)}: inspector {r['inspector_id']} is not in the roster")
    bad_role = ~seats["role"].isin(["lead", "member"])
    for _, r in seats[bad_role].iterrows():
        v.append(f"{_where(r)}: role {r['role']!r} is neither lead nor member")
    prefix = f"{scenario.plan.id}-"
    for task in sorted(set(seats.loc[~seats["task_id"].str.startswith(prefix), "task_id"])):
        v.append(f"task {task}: task id does not start with the plan id {prefix!r}")

    per_task = seats.groupby("task_id")["enterprise_id"].nunique()
    for task in per_task[per_task > 1].index:
        v.append(f"task {task}: holds several enterprises")
    per_ent = seats.groupby("enterprise_id")["task_id"].nunique()
    for eid in per_ent[per_ent > 1].index:
        v.append(f"enterprise {eid}: has {per_ent[eid]} tasks; one is expected")
    drawn = set(sample["enterprise_id"])
    for eid in sorted(set(seats["enterprise_id"]).difference(drawn)):
        v.append(f"enterprise {eid}: has a task but was not drawn (not in sample.csv)")
    staffed = set(seats["enterprise_id"])
    for eid in [e for e in sample["enterprise_id"] if e not in staffed]:
        v.append(f"enterprise {eid}: drawn but has no team")

    dup = seats.duplicated(["task_id", "inspector_id"], keep="first")
    for _, r in seats[dup].iterrows():
        v.append(f"{_where(r)}: inspector {r['inspector_id']} sits twice in the team")
    size = seats.drop_duplicates(["task_id", "inspector_id"]).groupby("task_id").size()
    for task, n in size[size != a_cfg.team_size].items():
        v.append(f"task {task}: {n} distinct inspectors; team_size is {a_cfg.team_size}")
    n_leads = seats[seats["role"] == "lead"].groupby("task_id").size().reindex(
        size.index, fill_value=0)
    for task, n in n_leads[n_leads != 1].items():
        v.append(f"task {task}: {n} leads; exactly one is required")

    known = seats[~unknown].copy()
    info = roster.loc[known["inspector_id"]]
    known["can_lead"] = info["can_lead"].to_numpy(dtype=bool)
    known["department"] = info["department"].to_numpy(dtype=object)
    known["i_station"] = info["station"].to_numpy(dtype=object)
    known["i_district"] = info["district"].to_numpy(dtype=object)
    known["expiry"] = info["certificate_expiry"].to_numpy()
    known["available"] = info["available"].to_numpy(dtype=bool)
    known["capacity"] = info["capacity"].to_numpy(dtype=np.int64)
    directory = inputs.enterprises
    ent = directory[directory["enterprise_id"].isin(set(seats["enterprise_id"]))]
    ent = ent.set_index("enterprise_id")
    in_dir = known["enterprise_id"].isin(ent.index)
    for _, r in known[~in_dir].iterrows():
        v.append(f"{_where(r)}: enterprise is not in the enterprises file")
    known = known[in_dir].copy()
    e_info = ent.loc[known["enterprise_id"]]
    known["e_station"] = e_info["station"].to_numpy(dtype=object)
    known["e_district"] = e_info["district"].to_numpy(dtype=object)

    leads = known[known["role"] == "lead"]
    if a_cfg.require_lead:
        checked.append("lead-capable")
        for _, r in leads[~leads["can_lead"]].iterrows():
            v.append(f"{_where(r)}: lead {r['inspector_id']} is not lead-capable (可任主检)")
    if a_cfg.joint_departments:
        first = a_cfg.joint_departments[0]
        checked.append("joint departments")
        for _, r in leads[leads["department"] != first].iterrows():
            v.append(f"{_where(r)}: lead {r['inspector_id']} is of {r['department']}, not of the "
                     f"lead department {first}")
        for _, r in known[~known["department"].isin(a_cfg.joint_departments)].iterrows():
            v.append(f"{_where(r)}: inspector {r['inspector_id']} is of {r['department']}, "
                     "not of a joint-check department")
        has = known.groupby(["task_id", "department"]).size().unstack(fill_value=0)
        has = has.reindex(columns=a_cfg.joint_departments, fill_value=0)
        for d in a_cfg.joint_departments:
            for task in has.index[has[d] == 0]:
                v.append(f"task {task}: no inspector of department {d}")

    end = pd.Timestamp(scenario.plan.end)
    expired = ~(pd.to_datetime(known["expiry"]) >= end)
    for _, r in known[expired].iterrows():
        v.append(f"{_where(r)}: inspector {r['inspector_id']}'s certificate (执法证) is not valid "
                 f"through {scenario.plan.end}")
    for _, r in known[~known["available"]].iterrows():
        v.append(f"{_where(r)}: inspector {r['inspector_id']} is not available")

    pair_key = known["enterprise_id"] + "\x1f" + known["inspector_id"]
    avoid = set(inputs.avoidance["enterprise_id"] + "\x1f" + inputs.avoidance["inspector_id"])
    for _, r in known[pair_key.isin(avoid)].iterrows():
        v.append(f"{_where(r)}: inspector {r['inspector_id']} must avoid (回避) the enterprise")

    load = seats.drop_duplicates(["task_id", "inspector_id"]).groupby("inspector_id").size()
    cap = roster["capacity"].reindex(load.index)
    for insp in load[(load > cap) & cap.notna()].index:
        v.append(f"inspector {insp}: {load[insp]} seats, capacity {int(cap[insp])}")

    if a_cfg.cross_station:
        checked.append("cross-station")
        same = (known["e_station"] == known["i_station"]) & (known["e_station"] != "")
        for _, r in known[same].iterrows():
            v.append(f"{_where(r)}: inspector {r['inspector_id']} is of the enterprise's own "
                     f"station {r['e_station']}")
    if a_cfg.rotation:
        checked.append("rotation")
        history = inputs.history
        last = _last_inspectors(history[history["enterprise_id"].isin(set(known["enterprise_id"]))])
        for _, r in known[pair_key.isin(last)].iterrows():
            v.append(f"{_where(r)}: inspector {r['inspector_id']} made the enterprise's last "
                     "inspection (rotation)")
    if a_cfg.separate_pairs is not None:
        from planner.assign.pairs import read_separate_pairs

        checked.append("separate pairs")
        pairs = read_separate_pairs(a_cfg.separate_pairs, inputs.inspectors,
                                    encoding=scenario.inputs.encoding, sheet=scenario.inputs.sheet)
        apart = set(pairs["inspector_id_1"] + "\x1f" + pairs["inspector_id_2"])
        members = known[["task_id", "inspector_id"]].drop_duplicates()
        both = members.merge(members, on="task_id", suffixes=("_1", "_2"))
        both = both[both["inspector_id_1"] < both["inspector_id_2"]]
        hit = both[(both["inspector_id_1"] + "\x1f" + both["inspector_id_2"]).isin(apart)]
        for _, r in hit.sort_values(["task_id", "inspector_id_1"]).iterrows():
            v.append(f"task {r['task_id']}: inspectors {r['inspector_id_1']} and "
                     f"{r['inspector_id_2']} must not team")
    if a_cfg.partition_by:
        col = a_cfg.partition_by
        checked.append(f"same {col}")
        other = known[f"i_{col}"] != known[f"e_{col}"]
        for _, r in known[other].iterrows():
            v.append(f"{_where(r)}: inspector {r['inspector_id']} is of {col} "
                     f"{r[f'i_{col}']}, the enterprise of {r[f'e_{col}']}")
    return CheckReport(v, int(seats["task_id"].nunique()), int(len(seats)),
                       load.sort_index(), checked)


def _read(out: Path, name: str, columns: tuple[str, ...]) -> pd.DataFrame:
    path = folder.path(out, name)
    frame = folder.read_csv(out, name)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}", file=str(path))
    return frame


def _where(r: pd.Series) -> str:
    return f"task {r['task_id']} (enterprise {r['enterprise_id']})"


def _last_inspectors(history: pd.DataFrame) -> set[str]:
    h = history.dropna(subset=["date"])
    if h.empty:
        return set()
    latest = h.groupby("enterprise_id")["date"].max().rename("latest")
    h = h.join(latest, on="enterprise_id")
    h = h[(h["date"] == h["latest"]) & (h["inspector_id"].astype(str) != "")]
    return set(h["enterprise_id"] + "\x1f" + h["inspector_id"].astype(str))
