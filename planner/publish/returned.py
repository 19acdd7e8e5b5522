"""Returned work in the field workbooks' folder: never lost, never overwritten unasked.

A field workbook the teams filled in (its SHA-256 is no longer the one ``export.json``
recorded), or any file in ``teams/`` the planner did not write, is returned work. An export
keeps it: when the workbook it would write is the same as before, the filled one stays; when
it would differ, the export is refused - or, with ``force``, the plan as it was is copied into
``OUT/archive/<plan id>-<time>/`` first. Stale workbooks of an earlier export are removed
only when the planner wrote them and nobody changed them.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from planner.common.io import sha256_file
from planner.plan import folder
from planner.plan import manifest as mf
from planner.plan.transaction import ReturnedWorkError


@dataclass
class Returned:
    """The returned work an export found at its targets, kept in memory while it writes."""

    out: Path
    previous: dict[str, str]
    kept: dict[str, bytes] = field(default_factory=dict)
    archived: Path | None = None

    def restore(self) -> list[str]:
        """Put back each filled workbook whose blank form did not change; return the rest.

        Returns
        -------
        list of str
            The workbooks whose new form differs from the one the team filled in.
        """
        conflicts = []
        for name, data in sorted(self.kept.items()):
            target = folder.path(self.out, name)
            if name in self.previous and sha256_file(target) == self.previous[name]:
                tmp = target.with_name(f".{target.name}.restore")
                tmp.write_bytes(data)
                tmp.replace(target)
            else:
                conflicts.append(name)
        return conflicts


def find_returned(out: Path, targets: list[str], *, force: bool = False) -> Returned:
    """Note the returned work at the export's targets (and archive the plan with ``force``).

    Parameters
    ----------
    out : pathlib.Path
        The plan folder being written.
    targets : list of str
        The workbooks the export will write, relative to ``out``.
    force : bool
        Copy the plan as it is into ``archive/`` before writing.

    Returns
    -------
    Returned
        What to restore after writing.
    """
    previous = folder.exported_workbooks(out)
    found = Returned(out, previous)
    for name in targets:
        path = folder.path(out, name)
        if path.is_file() and (name not in previous or sha256_file(path) != previous[name]):
            found.kept[name] = path.read_bytes()
    if force and found.kept:
        found.archived = archive_copy(out)
    return found


def archive_copy(out: Path, when: dt.datetime | None = None) -> Path:
    """Copy the plan's files and the field workbooks' folder into ``archive/<id>-<time>/``.

    Parameters
    ----------
    out : pathlib.Path
        The plan folder being written.
    when : datetime.datetime, optional
        The archive's time (default: now, UTC).

    Returns
    -------
    pathlib.Path
        The archive folder.
    """
    when = when or dt.datetime.now(dt.UTC)
    plan = folder.read_record_if_any(out).get("plan", {})
    name = f"{plan.get('id', 'plan') if isinstance(plan, dict) else 'plan'}-" \
           f"{when.strftime('%Y%m%dT%H%M%SZ')}"
    target = folder.path(out, folder.ARCHIVE) / name
    target.mkdir(parents=True)
    for rel in mf.planner_files(out):
        if not folder.is_form(rel):
            shutil.copy2(folder.path(out, rel), target / rel)
    teams = folder.path(out, folder.TEAMS)
    if teams.is_dir():
        shutil.copytree(teams, target / folder.TEAMS)
    return target


def refuse_conflicts(conflicts: list[str], out: Path, force: bool) -> None:
    """Refuse an export that would replace returned work, unless ``force`` archived it.

    Parameters
    ----------
    conflicts : list of str
        Workbooks holding returned work that the export would change.
    out : pathlib.Path
        The plan folder.
    force : bool
        Whether the old plan was archived first.

    Raises
    ------
    ReturnedWorkError
        Naming each workbook.
    """
    if conflicts and not force:
        lines = "\n".join(f"  - {n}" for n in conflicts)
        raise ReturnedWorkError(
            f"these field workbooks hold returned work (filled in, or not written by the "
            f"planner) and this export would replace them:\n{lines}\nmove them elsewhere "
            f"and pass their copies to planner results, or pass --force to copy the plan as "
            f"it is into {folder.path(out, folder.ARCHIVE)}/ first")


def removable(path: Path, previous: dict[str, str], out: Path) -> bool:
    """Return whether a stale workbook may be removed: the planner wrote it, nobody changed it.

    Parameters
    ----------
    path : pathlib.Path
        A file in ``teams/``.
    previous : dict
        ``export.json``'s workbooks before this export.
    out : pathlib.Path
        The plan folder.

    Returns
    -------
    bool
        True only for an unchanged workbook of an earlier export.
    """
    rel = path.relative_to(out).as_posix()
    return rel in previous and sha256_file(path) == previous[rel]



def unchanged_stamps(out: Path, targets: list[str]) -> dict[str, tuple[str, int, int]]:
    """Note the digest and times of each unfilled workbook an earlier export wrote.

    Parameters
    ----------
    out : pathlib.Path
        The plan folder.
    targets : list of str
        The workbooks this export writes.

    Returns
    -------
    dict
        ``{name: (sha256, atime_ns, mtime_ns)}`` for targets as the earlier export wrote them.
    """
    previous = folder.exported_workbooks(out)
    stamps = {}
    for name in targets:
        path = folder.path(out, name)
        if name in previous and path.is_file() and sha256_file(path) == previous[name]:
            st = path.stat()
            stamps[name] = (previous[name], st.st_atime_ns, st.st_mtime_ns)
    return stamps


def keep_unchanged(out: Path, digests: dict[Path, str], stamps: dict) -> int:
    """Give back their times to workbooks written again with the same bytes.

    An export rewrites only the workbooks that changed: one whose new bytes are the old ones
    keeps its file times, so the folder's manifest keeps the command that first wrote it.

    Parameters
    ----------
    out : pathlib.Path
        The plan folder.
    digests : dict
        Each workbook written and its SHA-256.
    stamps : dict
        From :func:`unchanged_stamps`, taken before writing.

    Returns
    -------
    int
        How many workbooks are as they were.
    """
    kept = 0
    for path, digest in digests.items():
        name = path.relative_to(out).as_posix()
        if name in stamps and stamps[name][0] == digest:
            os.utime(path, ns=stamps[name][1:])
            kept += 1
    return kept
