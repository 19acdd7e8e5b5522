"""The workbooks of a merged joint plan (联合抽查): one visit per enterprise, one team per visit.

``planner merge`` (:mod:`planner.app.merge`) unites several departments' plans; this module
turns its visits into what the field teams take out:

- ``tasks.csv``: one row per visit (its ``task_id`` is the visit id), the enterprise's
  details from the first plan that drew it, the joint team's lead and members, each
  inspector named with their department (``张三·食品安全``), ``plans`` and ``plan_tasks``
  (the plans and their tasks the visit unites) and ``items`` (each plan's items, headed by
  its department: ``市场监管：…；食品安全：…``);
- ``plan.xlsx`` for the lead department's bureau: a merge sheet (the plans united, their
  seeds and the SHA-256 of their draws, visits before and after) and the whole plan;
- ``teams/*.xlsx``: one field workbook per visit team (the visits sharing a joint lead), the
  plan columns locked and the result columns to fill in, as for a single plan.

A plan's department is what its scenario's ``[assignment] joint_departments`` names (found
through its ``export.json``), else its plan id. The results are not read back here: each
department enters the results of its own items into its own plan's field workbooks and
publishes them from its own plan folder (``planner results PLAN_OUT ...``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pandas as pd

from planner.common import categories as cat
from planner.common import schema
from planner.common.errors import InputError, PlannerError
from planner.common.io import read_table, sha256_file
from planner.common.xlsx import (
    clean_text,
    deterministic_workbook,
    make_styles,
    setup_print,
    write_pairs,
)
from planner.plan import folder
from planner.plan.scenario import load_scenario
from planner.publish.export import (
    _write_lists_sheet,
    _write_plan_sheet,
    measure_cells,
    write_field_workbooks,
)
from planner.publish.tasks import (
    ID_SEPARATOR,
    PlanFacts,
    natural_order,
    plan_cells,
    workbook_names,
)

# Columns of a merged plan's tasks.csv beyond the plan's own.
JOINT_TASK_COLUMNS = (
    "task_id", "enterprise_id", "name", "address", "district", "registration_authority",
    "risk_class", "stratum", "ticket", "rank", "team_no", "lead_id", "lead_name",
    "member_ids", "member_names", "workbook", "plans", "plan_tasks", "items",
)
SUMMARY_WIDTHS = (40.0, 70.0)


def plan_department(path: Path, plan_id: str) -> tuple[str, dict[str, str]]:
    """Return the department a plan folder's plan stands for, and its inspectors' departments.

    Parameters
    ----------
    path : pathlib.Path
        The plan folder.
    plan_id : str
        Its plan id (the answer when no department is found).

    Returns
    -------
    tuple
        The scenario's ``[assignment] joint_departments`` joined with ``/`` (else
        ``plan_id``), and inspector id -> department (所属部门) from its roster (empty when
        the scenario or roster cannot be read).
    """
    try:
        record = folder.read_export_manifest(path)
        scenario = load_scenario((path / str(record["scenario"])).resolve())
    except (PlannerError, KeyError, TypeError, OSError):
        return plan_id, {}
    label = "/".join(scenario.assignment.joint_departments) or plan_id
    try:
        roster = read_table(scenario.inputs.inspectors, encoding=scenario.inputs.encoding,
                            sheet=scenario.inputs.sheet)
        roster, problems = schema.map_headers(roster, schema.INSPECTOR_COLUMNS, "inspectors")
    except (PlannerError, OSError, TypeError):
        return label, {}
    if problems:
        return label, {}
    ids = roster["inspector_id"].astype(str).str.strip()
    found = dict(zip(ids, roster["department"].fillna("").astype(str), strict=True))
    for department, own in scenario.assignment.department_rosters.items():  # plan.rosters
        try:
            rows = read_table(own, encoding=scenario.inputs.encoding, sheet=scenario.inputs.sheet)
        except (PlannerError, OSError):
            continue
        rows, _ = schema.map_headers(rows, schema.INSPECTOR_COLUMNS, str(own))
        if "inspector_id" in rows.columns:
            found.update(dict.fromkeys(rows["inspector_id"].astype(str).str.strip(), department))
    return label, found


def plan_facts(path: Path) -> tuple[PlanFacts, str]:
    """Return a plan folder's facts and language as its export wrote them.

    Parameters
    ----------
    path : pathlib.Path
        The plan folder.

    Returns
    -------
    tuple
        The :class:`PlanFacts` and the language (``"zh"`` or ``"en"``).

    Raises
    ------
    InputError
        When ``export.json`` is missing or not the planner's.
    """
    record = folder.read_export_manifest(path)
    try:
        return PlanFacts.from_dict(record["plan"]), str(record.get("language", "zh"))
    except (KeyError, TypeError, ValueError):
        raise InputError("is not an export manifest planner wrote (no plan facts); run "
                         "planner run into the folder again",
                         file=str(folder.path(path, folder.EXPORT_MANIFEST))) from None


def joint_tasks(plans: list, seats: pd.DataFrame, visits: pd.DataFrame,
                departments: list[str], language: str = "zh") -> pd.DataFrame:
    """Build the merged plan's task table: one row per visit.

    Parameters
    ----------
    plans : list of planner.app.merge.PlanFolder
        The plans, lead department's first (with their ``tasks`` and ``facts``).
    seats : pandas.DataFrame
        ``joint-assignments.csv``.
    visits : pandas.DataFrame
        ``visits.csv``.
    departments : list of str
        Each plan's department, in plan order.
    language : str
        ``"zh"`` (``市场监管：…；食品安全：…``) or ``"en"`` (``市场监管: ...; 食品安全: ...``).

    Returns
    -------
    pandas.DataFrame
        :data:`JOINT_TASK_COLUMNS`, in visit order.
    """
    dept = {p.plan_id: d for p, d in zip(plans, departments, strict=True)}
    names: dict[str, str] = {}
    rows_of: dict[tuple[str, str], pd.Series] = {}
    items_of: dict[tuple[str, str], str] = {}
    for p in plans:
        t = p.tasks
        for ids, nm in ((t["lead_id"], t["lead_name"]), (t["member_ids"], t["member_names"])):
            for i, n in zip(ids, nm, strict=True):
                for a, b in zip(i.split(ID_SEPARATOR), n.split(ID_SEPARATOR), strict=False):
                    if a:
                        names.setdefault(a, b)
        default = p.facts.items_text()
        for _, r in t.iterrows():
            rows_of[(p.plan_id, r["enterprise_id"])] = r
            items_of[(p.plan_id, r["enterprise_id"])] = \
                r["items"] if "items" in t.columns and r["items"] else default

    own = {p.plan_id: p.inspector_departments for p in plans}

    def person(inspector: str, plan_id: str) -> str:
        return f"{names.get(inspector, '')}·{own[plan_id].get(inspector) or dept[plan_id]}"

    colon, joiner = ("：", "；") if language == "zh" else (": ", "; ")
    out = []
    for v in visits.itertuples(index=False):
        g = seats[seats["visit_id"] == v.visit_id]
        lead = g[g["role"] == "lead"].iloc[0]
        members = g[g["role"] != "lead"]
        plan_ids = list(dict.fromkeys(g["plan_id"]))
        first = rows_of[(plan_ids[0], v.enterprise_id)]
        out.append({
            "task_id": v.visit_id, "enterprise_id": v.enterprise_id, "name": first["name"],
            **{k: first.get(k, "") for k in ("address", "district", "registration_authority",
                                              "risk_class", "stratum", "ticket", "rank")},
            "lead_id": lead["inspector_id"],
            "lead_name": person(lead["inspector_id"], lead["plan_id"]),
            "member_ids": ID_SEPARATOR.join(members["inspector_id"]),
            "member_names": ID_SEPARATOR.join(person(i, p) for i, p in zip(
                members["inspector_id"], members["plan_id"], strict=True)),
            "plans": ID_SEPARATOR.join(plan_ids),
            "plan_tasks": ID_SEPARATOR.join(dict.fromkeys(g["task_id"])),
            "items": joiner.join(f"{dept[p]}{colon}{items_of[(p, v.enterprise_id)]}"
                                 for p in plan_ids),
        })
    tasks = pd.DataFrame(out, columns=[c for c in JOINT_TASK_COLUMNS
                                       if c not in ("team_no", "workbook")])
    leads = pd.Series(tasks["lead_id"].unique())
    leads = leads.iloc[natural_order(leads).argsort(kind="stable").to_numpy()]
    tasks["team_no"] = tasks["lead_id"].map({lead: k + 1 for k, lead in enumerate(leads)})
    plain = tasks.assign(lead_name=tasks["lead_id"].map(names).fillna(""))
    tasks["workbook"] = workbook_names(plain, "team")
    tasks = tasks.fillna("")
    return tasks[list(JOINT_TASK_COLUMNS)]


def joint_facts(plans: list) -> tuple[PlanFacts, str]:
    """Return the merged plan's facts (the lead plan's, named as a joint check) and language.

    Parameters
    ----------
    plans : list of planner.app.merge.PlanFolder
        The plans, lead department's first.

    Returns
    -------
    tuple
        The facts and the lead plan's language.
    """
    lead = plans[0]
    language = lead.language
    plan_id = "+".join(p.plan_id for p in plans)
    name = lead.facts.plan_name
    if "联合抽查" not in name:
        name += "（联合抽查）" if language == "zh" else " (joint check)"
    items = list(dict.fromkeys(i for p in plans for i in p.facts.items))
    facts = replace(lead.facts, plan_id=plan_id, plan_name=name, task_id=plan_id,
                    task_name=name, seed="; ".join(p.seed for p in plans), items=items,
                    scope="")
    return facts, language


def write_joint_workbooks(out: Path, plans: list, tasks: pd.DataFrame, facts: PlanFacts,
                          language: str, record: dict) -> list[Path]:
    """Write the merged plan's ``plan.xlsx`` and one field workbook per visit team.

    Parameters
    ----------
    out : pathlib.Path
        The merged folder (as staged by the folder transaction).
    plans : list of planner.app.merge.PlanFolder
        The plans merged.
    tasks : pandas.DataFrame
        From :func:`joint_tasks`.
    facts : PlanFacts
        From :func:`joint_facts`.
    language : str
        ``"zh"`` or ``"en"``.
    record : dict
        The merge record (visits before and after).

    Returns
    -------
    list of pathlib.Path
        The field workbooks written.
    """
    created = dt.datetime.combine(facts.start, dt.time())
    cells = plan_cells(tasks, facts, language)
    measured = measure_cells(cells)
    zh = language == "zh"
    pairs = [
        ("联合抽查" if zh else "Joint check", facts.plan_name),
        (cat.label("period", language), facts.period(language)),
        ("检查户次（合并前）" if zh else "Tasks before the merge", str(record["tasks_before"])),
        ("联合检查户次" if zh else "Visits", str(record["visits"])),
        ("其中多部门联合" if zh else "Of them joint", str(record["joint_visits"])),
        ("减少检查户次" if zh else "Visits saved", str(record["visits_saved"])),
    ]
    for p, entry in zip(plans, record["plans"], strict=True):
        pairs.append((f"{p.department}：{p.plan_id}",
                      f"{p.facts.plan_name}; seed {p.seed}; sample.csv SHA-256 "
                      f"{entry['sha256'][folder.SAMPLE]}"))
    plan_path = folder.path(out, folder.PLAN_WORKBOOK)
    with deterministic_workbook(plan_path, created=created, title=facts.plan_name,
                                subject=facts.plan_id, author=facts.authority) as wb:
        styles = make_styles(wb)
        ws = wb.add_worksheet("联合抽查" if zh else "Joint check")
        ws.write_string(0, 0, facts.plan_name, styles.title)
        write_pairs(ws, 2, [(k, clean_text(pd.Series([v])).iloc[0]) for k, v in pairs],
                    styles, SUMMARY_WIDTHS[1])
        for col, width in enumerate(SUMMARY_WIDTHS):
            ws.set_column(col, col, width)
        setup_print(ws, SUMMARY_WIDTHS, header_rows=0, header_text=facts.plan_name)
        sheet = wb.add_worksheet(cat.label("sheet_plan", language))
        _write_plan_sheet(sheet, cells, facts, language, styles, protect=False,
                          extra={"workbook": tasks["workbook"]},
                          print_title=f"{facts.plan_id} {facts.plan_name}", measured=measured)
        _write_lists_sheet(wb, language)
    return write_field_workbooks(tasks, facts, language, out, created=created, cells=cells,
                                 measured=measured)


def export_record(out: Path, facts: PlanFacts, language: str, tasks: pd.DataFrame,
                  workbooks: list[Path]) -> dict:
    """Return the merged folder's ``export.json`` (facts, task table and workbook digests).

    Parameters
    ----------
    out : pathlib.Path
        The merged folder (staged).
    facts : PlanFacts
        The merged plan's facts.
    language : str
        The language.
    tasks : pandas.DataFrame
        The task table as written.
    workbooks : list of pathlib.Path
        The field workbooks written.

    Returns
    -------
    dict
        The manifest to write with :func:`planner.plan.folder.write_export_manifest`.
    """
    counts = tasks["workbook"].value_counts()
    tasks_path = folder.path(out, folder.TASKS)
    return {
        "joint": True,
        "language": language,
        "split_by": "team",
        "plan": facts.to_dict(),
        "tasks": {"file": folder.TASKS, "rows": len(tasks), "sha256": sha256_file(tasks_path)},
        "workbooks": [{"file": p.relative_to(out).as_posix(),
                       "rows": int(counts[p.relative_to(out).as_posix()]),
                       "sha256": sha256_file(p)} for p in workbooks],
    }


def read_plan_tasks(path: Path) -> pd.DataFrame:
    """Read a plan folder's ``tasks.csv`` (as text, empty cells empty).

    Parameters
    ----------
    path : pathlib.Path
        The plan folder.

    Returns
    -------
    pandas.DataFrame
        Its task table.

    Raises
    ------
    InputError
        When the file is missing or lacks the columns a merge needs.
    """
    file = folder.path(path, folder.TASKS)
    if not file.is_file():
        raise InputError(f"not found; run planner run into {path} first", file=str(file))
    tasks = read_table(file, label=str(file)).fillna("").astype(str)
    missing = [c for c in ("task_id", "enterprise_id", "name", "lead_id", "lead_name",
                           "member_ids", "member_names") if c not in tasks.columns]
    if missing:
        raise InputError(f"lacks the column(s) {', '.join(missing)}; run planner run into "
                         f"{path} again", file=str(file))
    tasks["enterprise_id"] = tasks["enterprise_id"].str.strip().str.upper()
    return tasks
