"""The amendment list (变更清单): the rule that finds the changes, and the sheet people read.

After ``planner draw --replace`` or ``planner assign --replace-inspector``, ``planner export``
compares the task table with the one exported before (:func:`amendment_list`, on the tables
and the draw record the export reads from the folder) and writes the changes twice: as
``amendments.csv`` (data) and as ``amendments.xlsx``, one sheet 变更清单 / Amendments whose
columns are :data:`planner.common.columns.AMENDMENT`, written by
:func:`planner.common.xlsx.write_table` (A4 landscape, text >= 9 pt, header repeated on
every page). The kind of change is shown in words of the workbook's language.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from planner.common import columns
from planner.common.xlsx import clean_text, deterministic_workbook, make_styles, write_table
from planner.publish.tasks import ID_SEPARATOR


def amendment_list(before: pd.DataFrame | None, tasks: pd.DataFrame, record: dict
                   ) -> pd.DataFrame:
    """Compare the task table with the one exported before: the amendment list (变更清单).

    Parameters
    ----------
    before : pandas.DataFrame or None
        The task table of the earlier export (None: there was none).
    tasks : pandas.DataFrame
        The task table now.
    record : dict
        The draw record (its replacements and withdrawn inspectors give the reasons).

    Returns
    -------
    pandas.DataFrame
        task_id, change (removed, added, team), old, new, reason - one row per change;
        empty without an earlier export.
    """
    columns = ["task_id", "change", "old", "new", "reason"]
    if before is None:
        return pd.DataFrame(columns=columns)
    before = before.set_index("task_id")
    now = tasks.set_index("task_id")
    reasons: dict[str, str] = {}
    for r in record.get("replacements", []) if isinstance(record, dict) else []:
        reasons[str(r.get("enterprise_id"))] = str(r.get("reason", ""))
        if r.get("replaced_by"):
            reasons[str(r["replaced_by"])] = str(r.get("reason", ""))

    section = record.get("assignment") if isinstance(record.get("assignment"), dict) else {}
    withdrawn = {str(w.get("inspector_id")): str(w.get("reason", ""))
                 for w in section.get("inspector_replacements", []) if isinstance(w, dict)}

    def team_reason(row) -> str:
        ids = [row["lead_id"], *str(row["member_ids"]).split(ID_SEPARATOR)]
        return "; ".join(f"{i}: {withdrawn[i]}" for i in ids if i in withdrawn)

    def who(row) -> str:
        return f"{row['enterprise_id']} {row['name']}"

    def team(row) -> str:
        return _team_text(row["lead_id"], row["member_ids"])

    rows = []
    for task in before.index.difference(now.index):
        rows.append((task, "removed", who(before.loc[task]), "",
                     reasons.get(before.loc[task, "enterprise_id"], "")))
    for task in now.index.difference(before.index):
        rows.append((task, "added", "", who(now.loc[task]),
                     reasons.get(now.loc[task, "enterprise_id"], "")))
    for task in _changed_tasks(before, now):
        old, new = before.loc[task], now.loc[task]
        if old["enterprise_id"] != new["enterprise_id"]:
            rows.append((task, "enterprise", who(old), who(new), ""))
        elif team(old) != team(new):
            rows.append((task, "team", team(old), team(new), team_reason(old)))
    return pd.DataFrame(sorted(rows), columns=columns)


def _team_text(lead, members) -> str:
    """Return how the amendment list names a team: ``lead + members``."""
    return f"{lead} + {members}"


def _changed_tasks(before: pd.DataFrame, now: pd.DataFrame) -> list[str]:
    """Return the tasks of both tables whose enterprise or team differs, in ``now``'s order.

    The comparison runs over plain lists (a megacity re-exported has 50,000 tasks, and a row
    looked up one at a time costs about 0.1 ms); only the rows that differ are read whole.
    """
    common = now.index.intersection(before.index)
    old, new = before.loc[common], now.loc[common]

    def teams(rows: pd.DataFrame) -> list[str]:
        return [_team_text(lead, members) for lead, members in
                zip(rows["lead_id"].tolist(), rows["member_ids"].tolist(), strict=True)]

    pairs = zip(common, old["enterprise_id"].tolist(), new["enterprise_id"].tolist(),
                teams(old), teams(new), strict=True)
    return [task for task, old_id, new_id, old_team, new_team in pairs
            if old_id != new_id or old_team != new_team]


SHEET = {"zh": "变更清单", "en": "Amendments"}
# The ``change`` codes of :func:`amendment_list`, in words.
CHANGES = {
    "removed": ("删除任务", "Task removed"),
    "added": ("新增任务", "Task added"),
    "enterprise": ("更换企业", "Enterprise replaced"),
    "team": ("调整检查组", "Team changed"),
}


def change_text(code: str, language: str) -> str:
    """Return the kind of change ``code`` in words of ``language`` (the code if unknown).

    Parameters
    ----------
    code : str
        ``removed``, ``added``, ``enterprise`` or ``team``.
    language : str
        ``"zh"`` or ``"en"``.

    Returns
    -------
    str
        E.g. 删除任务 or ``Task removed``.
    """
    zh, en = CHANGES.get(code, (code, code))
    return zh if language == "zh" else en


def write_amendment_workbook(target: Path, changes: pd.DataFrame, language: str, *,
                             title: str, created: dt.datetime) -> Path:
    """Write the amendment list as ``amendments.xlsx``, one table sheet.

    Parameters
    ----------
    target : pathlib.Path
        The workbook to write (whole or not at all).
    changes : pandas.DataFrame
        task_id, change, old, new, reason (:func:`amendment_list`).
    language : str
        ``"zh"`` or ``"en"``: headers and the kind of change.
    title : str
        The printed page header (the plan's id and name).
    created : datetime.datetime
        The fixed document time, so that the file is byte-identical on a rerun.

    Returns
    -------
    pathlib.Path
        ``target``.
    """
    shown = changes.copy()
    shown["change"] = [change_text(c, language) for c in shown["change"]]
    values = [clean_text(shown[c.key].fillna("").astype(str)) for c in columns.AMENDMENT]
    with deterministic_workbook(target, created=created, title=title,
                                subject=SHEET[language]) as wb:
        styles = make_styles(wb)
        ws = wb.add_worksheet(SHEET[language])
        write_table(ws, columns.AMENDMENT, values, language, styles,
                    print_title=f"{SHEET[language]} {title}")
    return target
