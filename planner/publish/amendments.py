"""The amendment list (变更清单) as a sheet people read: ``amendments.xlsx``.

After ``planner draw --replace`` or ``planner assign --replace-inspector``, ``planner export``
compares the task table with the one exported before
(:func:`planner.publish.export.amendment_list`) and writes the changes twice: as
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

SHEET = {"zh": "变更清单", "en": "Amendments"}
# The ``change`` codes of :func:`planner.publish.export.amendment_list`, in words.
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
        task_id, change, old, new, reason (:func:`planner.publish.export.amendment_list`).
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
