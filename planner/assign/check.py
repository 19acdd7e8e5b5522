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
member from one of them); separate pairs; the planning unit (``partition_by``); a member
qualified for each item of the task (items with a ``qualification``). Each rule is one
function of :data:`CHECKS`, named as the planner names it (a test keeps the two sets equal).

``max_pair_probability`` is a property of the random process, not of one plan, so it
cannot be checked here; ``tests/assign/test_pairs.py`` measures it over many seeds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from planner.assign import experts
from planner.assign.experts import EXPERTS_NAME, read_experts
from planner.assign.pair_rules import PAIR_RULES, PairRule
from planner.assign.pairs import read_separate_pairs
from planner.common.errors import InputError, ScenarioError
from planner.plan import folder
from planner.plan.inputs import Inputs
from planner.plan.items import plan_items, split_cell
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


@dataclass
class Seats:
    """The plan's seats, read once and shared by every rule of :data:`CHECKS`.

    Attributes
    ----------
    scenario : Scenario
        The plan.
    inputs : Inputs
        Its validated inputs.
    seats : pandas.DataFrame
        ``assignments.csv`` (ids upper-cased).
    sample : pandas.DataFrame
        ``sample.csv``.
    roster : pandas.DataFrame
        The roster indexed by ``inspector_id``.
    unknown : pandas.Series of bool
        Per seat: the inspector is not in the roster.
    known : pandas.DataFrame
        The seats of known inspectors and enterprises, with the inspector's and the
        enterprise's facts joined (``can_lead``, ``department``, ``i_station``, ...).
    outside : pandas.DataFrame
        Seats of known inspectors whose enterprise is not in the directory.
    load : pandas.Series
        Distinct tasks per inspector.
    pair_key : pandas.Series
        The enterprise and inspector ids joined by a unit separator, per row of ``known``.
    """

    scenario: Scenario
    inputs: Inputs
    seats: pd.DataFrame
    sample: pd.DataFrame
    roster: pd.DataFrame
    unknown: pd.Series
    known: pd.DataFrame
    outside: pd.DataFrame
    load: pd.Series
    pair_key: pd.Series
    out: Path | None = None

    @property
    def leads(self) -> pd.DataFrame:
        """The known seats whose role is lead."""
        return self.known[self.known["role"] == "lead"]


@dataclass(frozen=True)
class Check:
    """One rule of the checker.

    Attributes
    ----------
    name : str
        The rule's name; a rule that removes candidate pairs has the name the candidate
        builder gives it (:data:`planner.assign.candidates.RULE_LABELS`), a rule of the whole
        team the name in :data:`planner.assign.candidates.TEAM_RULES`.
    label : callable
        Scenario -> the label printed in the report (None: not listed).
    active : callable
        (Scenario, Inputs) -> whether the plan switches the rule on.
    run : callable
        :class:`Seats` -> the violations, one line each.
    """

    name: str
    label: Callable[[Scenario], str | None]
    active: Callable[[Scenario, Inputs], bool]
    run: Callable[[Seats], list[str]]
    always: bool = True


def _always(_s: Scenario, _i: Inputs) -> bool:
    return True


def check_plan(scenario: Scenario, inputs: Inputs, out: Path) -> CheckReport:
    """Check ``out/assignments.csv`` against every rule of the scenario.

    Each rule of :data:`CHECKS` that the scenario switches on runs in turn, on the same
    table of seats.

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
    return check_seats(scenario, inputs, seats, sample, out=out)


def check_seats(scenario: Scenario, inputs: Inputs, seats: pd.DataFrame,
                sample: pd.DataFrame, *, out: Path | None = None) -> CheckReport:
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
    out : pathlib.Path, optional
        The plan folder, for the rules that read a file of their own (the experts drawn);
        without it those rules are left to :func:`check_plan`.

    Returns
    -------
    CheckReport
        The violations found (none for a valid plan) and the loads.
    """
    ctx = join_seats(scenario, inputs, seats, sample, out)
    violations: list[str] = []
    active = [c for c in CHECKS if c.active(scenario, inputs)]
    for check in active:
        violations += check.run(ctx)
    labels = [c.label(scenario) for c in active if c.always]
    labels += [c.label(scenario) for c in active if not c.always]
    return CheckReport(violations, int(ctx.seats["task_id"].nunique()), int(len(ctx.seats)),
                       ctx.load.sort_index(), [x for x in labels if x])


def join_seats(scenario: Scenario, inputs: Inputs, seats: pd.DataFrame, sample: pd.DataFrame,
               out: Path | None = None) -> Seats:
    """Join the facts every rule needs to the seats.

    Parameters
    ----------
    scenario : Scenario
        The plan.
    inputs : Inputs
        Its validated inputs.
    seats : pandas.DataFrame
        task_id, enterprise_id, inspector_id, role (text).
    sample : pandas.DataFrame
        The drawn enterprises.
    out : pathlib.Path, optional
        The plan folder.

    Returns
    -------
    Seats
        The shared table of seats.
    """
    seats = seats.copy()
    sample = sample.copy()
    seats["enterprise_id"] = seats["enterprise_id"].str.upper()
    sample["enterprise_id"] = sample["enterprise_id"].str.strip().str.upper()
    roster = inputs.inspectors.set_index("inspector_id")
    unknown = ~seats["inspector_id"].isin(roster.index)
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
    outside = known[~in_dir]
    known = known[in_dir].copy()
    e_info = ent.loc[known["enterprise_id"]]
    known["e_station"] = e_info["station"].to_numpy(dtype=object)
    known["e_district"] = e_info["district"].to_numpy(dtype=object)
    load = seats.drop_duplicates(["task_id", "inspector_id"]).groupby("inspector_id").size()
    pair_key = known["enterprise_id"] + "\x1f" + known["inspector_id"]
    return Seats(scenario, inputs, seats, sample, roster, unknown, known, outside, load,
                 pair_key, out)


# --- the rules, one function each ------------------------------------------------------


def check_shape(c: Seats) -> list[str]:
    """Check known inspectors, known roles and task ids of the plan."""
    v = []
    seats = c.seats
    for _, r in seats[c.unknown].iterrows():
        v.append(f"{_where(r)}: inspector {r['inspector_id']} is not in the roster")
    bad_role = ~seats["role"].isin(["lead", "member"])
    for _, r in seats[bad_role].iterrows():
        v.append(f"{_where(r)}: role {r['role']!r} is neither lead nor member")
    prefix = f"{c.scenario.plan.id}-"
    for task in sorted(set(seats.loc[~seats["task_id"].str.startswith(prefix), "task_id"])):
        v.append(f"task {task}: task id does not start with the plan id {prefix!r}")
    return v


def check_one_task(c: Seats) -> list[str]:
    """Check one enterprise per task, one task per drawn enterprise, nothing undrawn."""
    v = []
    seats = c.seats
    per_task = seats.groupby("task_id")["enterprise_id"].nunique()
    for task in per_task[per_task > 1].index:
        v.append(f"task {task}: holds several enterprises")
    per_ent = seats.groupby("enterprise_id")["task_id"].nunique()
    for eid in per_ent[per_ent > 1].index:
        v.append(f"enterprise {eid}: has {per_ent[eid]} tasks; one is expected")
    drawn = set(c.sample["enterprise_id"])
    for eid in sorted(set(seats["enterprise_id"]).difference(drawn)):
        v.append(f"enterprise {eid}: has a task but was not drawn (not in sample.csv)")
    staffed = set(seats["enterprise_id"])
    for eid in [e for e in c.sample["enterprise_id"] if e not in staffed]:
        v.append(f"enterprise {eid}: drawn but has no team")
    return v


def check_team_size(c: Seats) -> list[str]:
    """Check ``team_size`` distinct inspectors per task, nobody twice."""
    v = []
    seats = c.seats
    team_size = c.scenario.assignment.team_size
    dup = seats.duplicated(["task_id", "inspector_id"], keep="first")
    for _, r in seats[dup].iterrows():
        v.append(f"{_where(r)}: inspector {r['inspector_id']} sits twice in the team")
    sizes = _team_sizes(seats)
    if c.scenario.assignment.standing_groups:  # a whole group: team_size or more
        for task, n in sizes[sizes < team_size].items():
            v.append(f"task {task}: {n} distinct inspectors; team_size is at least {team_size}")
        return v
    for task, n in sizes[sizes != team_size].items():
        v.append(f"task {task}: {n} distinct inspectors; team_size is {team_size}")
    return v


def check_standing_groups(c: Seats) -> list[str]:
    """Check that each team is exactly one standing group (检查小组): all its eligible members."""
    roster = c.roster
    eligible = roster[roster["eligible"].astype(bool) & (roster["group"] != "")]
    whole = {name: set(who.index) for name, who in eligible.groupby("group", sort=False)}
    v = []
    known = c.seats[~c.unknown]
    for task, team in known.groupby("task_id", sort=True):
        who = set(team["inspector_id"])
        names = sorted(set(roster.loc[list(who), "group"]))
        if len(names) != 1 or names[0] == "":
            shown = ", ".join(n or "(none)" for n in names)
            v.append(f"task {task}: members of groups {shown}; a team is one standing group")
        elif who != whole.get(names[0], set()):
            missing = sorted(whole.get(names[0], set()) - who)
            v.append(f"task {task}: group {names[0]} is not whole"
                     + (f" (missing {', '.join(missing)})" if missing else ""))
    return v


def check_one_lead(c: Seats) -> list[str]:
    """Check exactly one lead (主检) per task."""
    seats = c.seats
    size = _team_sizes(seats)
    n_leads = seats[seats["role"] == "lead"].groupby("task_id").size().reindex(
        size.index, fill_value=0)
    return [f"task {task}: {n} leads; exactly one is required"
            for task, n in n_leads[n_leads != 1].items()]


def check_directory(c: Seats) -> list[str]:
    """Check that every task's enterprise is in the enterprises file."""
    return [f"{_where(r)}: enterprise is not in the enterprises file"
            for _, r in c.outside.iterrows()]


def check_lead_capable(c: Seats) -> list[str]:
    """Check that the lead is lead-capable (``require_lead``)."""
    leads = c.leads
    return [f"{_where(r)}: lead {r['inspector_id']} is not lead-capable (可任主检)"
            for _, r in leads[~leads["can_lead"]].iterrows()]


def check_departments(c: Seats) -> list[str]:
    """Check a joint check's departments: the lead's, every member's, each present."""
    v = []
    departments = c.scenario.assignment.joint_departments
    first = departments[0]
    leads, known = c.leads, c.known
    for _, r in leads[leads["department"] != first].iterrows():
        v.append(f"{_where(r)}: lead {r['inspector_id']} is of {r['department']}, not of the "
                 f"lead department {first}")
    for _, r in known[~known["department"].isin(departments)].iterrows():
        v.append(f"{_where(r)}: inspector {r['inspector_id']} is of {r['department']}, "
                 "not of a joint-check department")
    has = known.groupby(["task_id", "department"]).size().unstack(fill_value=0)
    has = has.reindex(columns=departments, fill_value=0)
    for d in departments:
        for task in has.index[has[d] == 0]:
            v.append(f"task {task}: no inspector of department {d}")
    return v


def check_certificate(c: Seats) -> list[str]:
    """Check that every certificate (执法证) is valid through the plan's end."""
    known = c.known
    end = pd.Timestamp(c.scenario.plan.end)
    expired = ~(pd.to_datetime(known["expiry"]) >= end)
    return [f"{_where(r)}: inspector {r['inspector_id']}'s certificate (执法证) is not valid "
            f"through {c.scenario.plan.end}" for _, r in known[expired].iterrows()]


def check_available(c: Seats) -> list[str]:
    """Check that every inspector is available."""
    known = c.known
    return [f"{_where(r)}: inspector {r['inspector_id']} is not available"
            for _, r in known[~known["available"]].iterrows()]


def check_capacity(c: Seats) -> list[str]:
    """Check that no inspector is above capacity (最大检查户数)."""
    load = c.load
    cap = c.roster["capacity"].reindex(load.index)
    return [f"inspector {insp}: {load[insp]} seats, capacity {int(cap[insp])}"
            for insp in load[(load > cap) & cap.notna()].index]


def check_cross_station(c: Seats) -> list[str]:
    """Check that no inspector is of the enterprise's own station (所所交叉)."""
    known = c.known
    same = (known["e_station"] == known["i_station"]) & (known["e_station"] != "")
    return [f"{_where(r)}: inspector {r['inspector_id']} is of the enterprise's own "
            f"station {r['e_station']}" for _, r in known[same].iterrows()]


def check_separate_pairs(c: Seats) -> list[str]:
    """Check that no team holds a pair of the separate-pairs list."""
    s = c.scenario
    pairs = read_separate_pairs(s.assignment.separate_pairs, c.inputs.inspectors,
                                encoding=s.inputs.encoding, sheet=s.inputs.sheet)
    apart = set(pairs["inspector_id_1"] + "\x1f" + pairs["inspector_id_2"])
    members = c.known[["task_id", "inspector_id"]].drop_duplicates()
    both = members.merge(members, on="task_id", suffixes=("_1", "_2"))
    both = both[both["inspector_id_1"] < both["inspector_id_2"]]
    hit = both[(both["inspector_id_1"] + "\x1f" + both["inspector_id_2"]).isin(apart)]
    return [f"task {r['task_id']}: inspectors {r['inspector_id_1']} and "
            f"{r['inspector_id_2']} must not team"
            for _, r in hit.sort_values(["task_id", "inspector_id_1"]).iterrows()]


def check_qualification(c: Seats) -> list[str]:
    """Check that each team holds a qualified inspector for each item of its task."""
    items = plan_items(c.scenario, c.inputs.items)
    directory = c.inputs.enterprises.set_index("enterprise_id")["category"]
    held = c.roster["qualifications"].map(lambda q: set(split_cell(q)))
    v = []
    for task, team in c.known.groupby("task_id", sort=True):
        eid = team["enterprise_id"].iat[0]
        has = set().union(*(held[i] for i in team["inspector_id"]))
        for k in items.applying(directory.get(eid, "")):
            need = items.qualifications[k]
            if need and need not in has:
                v.append(f"task {task} (enterprise {eid}): no inspector qualified for {need} "
                         f"(item {items.codes[k]} {items.names[k]})")
    return v


def check_experts(c: Seats) -> list[str]:
    """Check one available expert per team who need not avoid its enterprise."""
    s = c.scenario
    if c.out is None:  # seats checked before they are written: the folder check covers experts
        return []
    drawn = _read(c.out, EXPERTS_NAME, ("task_id", "enterprise_id", "expert_id"))
    drawn["enterprise_id"] = drawn["enterprise_id"].str.upper()
    listed = read_experts(s.assignment.experts, encoding=s.inputs.encoding, sheet=s.inputs.sheet)
    return experts.check_experts(drawn, listed, c.seats)


def _needs_qualifications(s: Scenario, inputs: Inputs) -> bool:
    return plan_items(s, inputs.items).qualified


def check_unit(c: Seats) -> list[str]:
    """Check that every inspector is of the enterprise's unit (``partition_by``)."""
    col = c.scenario.assignment.partition_by
    known = c.known
    other = known[f"i_{col}"] != known[f"e_{col}"]
    return [f"{_where(r)}: inspector {r['inspector_id']} is of {col} "
            f"{r[f'i_{col}']}, the enterprise of {r[f'e_{col}']}"
            for _, r in known[other].iterrows()]


def _pair_check(rule: PairRule) -> Callable[[Seats], list[str]]:
    """Return the check of a pair rule: no seat pairs an inspector with a forbidden enterprise."""
    def check(c: Seats) -> list[str]:
        forbidden = rule.violations(c.inputs, c.known["enterprise_id"])
        return [f"{_where(r)}: " + rule.message.format(inspector_id=r["inspector_id"])
                for _, r in c.known[c.pair_key.isin(forbidden)].iterrows()]

    check.__doc__ = f"Check the {rule.label} rule ({rule.scenario_key or 'always on'})."
    return check


def _pair_rule_on(rule: PairRule) -> Callable[[Scenario, Inputs], bool]:
    return lambda s, _: rule.active(s.assignment)


def _label(text: str) -> Callable[[Scenario], str]:
    return lambda _: text


# The checker's rules, in the order their violations are listed. ``always`` rules are
# listed first in the report's "every rule holds (...)" line, then the switched ones.
CHECKS: tuple[Check, ...] = (
    Check("shape", _label("shape"), _always, check_shape),
    Check("one_task", _label("one task per drawn enterprise"), _always, check_one_task),
    Check("team_size", lambda s: f"team of {s.assignment.team_size}"
          + (" or more" if s.assignment.standing_groups else ""), _always, check_team_size),
    Check("one_lead", _label("one lead"), _always, check_one_lead),
    Check("directory", lambda _: None, _always, check_directory),
    Check("lead_capable", _label("lead-capable"), lambda s, _: s.assignment.require_lead,
          check_lead_capable, always=False),
    Check("department", _label("joint departments"),
          lambda s, _: bool(s.assignment.joint_departments), check_departments, always=False),
    Check("certificate", _label("certificate"), _always, check_certificate),
    Check("unavailable", _label("available"), _always, check_available),
    *(Check(rule.name, _label(rule.label), _always, _pair_check(rule))
      for rule in PAIR_RULES if rule.scenario_key is None),
    Check("capacity", _label("capacity"), _always, check_capacity),
    Check("cross_station", _label("cross-station"), lambda s, _: s.assignment.cross_station,
          check_cross_station, always=False),
    *(Check(rule.name, _label(rule.label), _pair_rule_on(rule), _pair_check(rule),
            always=False) for rule in PAIR_RULES if rule.scenario_key is not None),
    Check("separate_pairs", _label("separate pairs"),
          lambda s, _: s.assignment.separate_pairs is not None, check_separate_pairs,
          always=False),
    Check("unit", lambda s: f"same {s.assignment.partition_by}",
          lambda s, _: bool(s.assignment.partition_by), check_unit, always=False),
    Check("qualification", _label("qualified for every item"), _needs_qualifications,
          check_qualification, always=False),
    Check("standing_groups", _label("one standing group per team"),
          lambda s, _: s.assignment.standing_groups, check_standing_groups, always=False),
    Check("experts", _label("one expert per team"),
          lambda s, _: s.assignment.experts is not None, check_experts, always=False),
)


def _read(out: Path, name: str, columns: tuple[str, ...]) -> pd.DataFrame:
    path = folder.path(out, name)
    frame = folder.read_csv(out, name)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}", file=str(path))
    return frame


def _team_sizes(seats: pd.DataFrame) -> pd.Series:
    return seats.drop_duplicates(["task_id", "inspector_id"]).groupby("task_id").size()


def _where(r: pd.Series) -> str:
    return f"task {r['task_id']} (enterprise {r['enterprise_id']})"


