"""``manifest.json``: binds every file of the plan folder to one plan.

The manifest names the plan (id and seed), the draw it belongs to (the SHA-256 of
``sample.csv``) and, for each file the planner wrote, its SHA-256 as written, the command that
wrote it and the draw it was made from. Every command checks it first
(:func:`folder_problems`): a file that is missing, changed or not listed is named, and the
folder is refused as a mix of plans. Field workbooks are forms: a changed workbook is a filled
one (returned work), not an error.

The manifest holds no clock time and no absolute path, so a clean run gives the same bytes
and a folder moved elsewhere still checks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planner.common.errors import PlannerError
from planner.common.io import sha256_file, write_text_atomic
from planner.plan import folder

FORMAT = "planner-plan-folder/1"


class FolderError(PlannerError):
    """The plan folder is not one whole plan, or may not be written now."""

    exit_code = 2


@dataclass
class FolderState:
    """What a plan folder holds, read from its manifest and its files.

    Attributes
    ----------
    out : pathlib.Path
        The folder.
    manifest : dict or None
        The manifest (``None`` when there is none).
    problems : list of str
        Why the files do not belong together (empty when whole).
    filled : list of str
        Field workbooks changed since they were written (returned work).
    published : list of str
        Results files present (returned work).
    foreign : list of str
        Files in the field workbooks' folder the planner did not write (e.g. a copy of a
        workbook a team filled in).
    """

    out: Path
    manifest: dict[str, Any] | None
    problems: list[str] = field(default_factory=list)
    filled: list[str] = field(default_factory=list)
    published: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)

    @property
    def plan_id(self) -> str | None:
        """The plan's id, or ``None`` without a manifest."""
        return (self.manifest or {}).get("plan", {}).get("id")

    @property
    def seed(self) -> str | None:
        """The plan's seed, or ``None`` without a manifest."""
        return (self.manifest or {}).get("plan", {}).get("seed")

    @property
    def draw(self) -> str | None:
        """The SHA-256 of the current draw's ``sample.csv``."""
        return (self.manifest or {}).get("draw")

    @property
    def returned_work(self) -> list[str]:
        """Files holding work people did: filled workbooks, results, foreign workbooks."""
        return sorted(self.filled + self.published + self.foreign)

    def describe(self) -> str:
        """Say in a few words what the folder holds, e.g. ``plan 2026Q2 (seed 'x')``."""
        if self.manifest is None:
            return "no plan"
        return f"plan {self.plan_id} (seed {self.seed!r})"

    def stale(self, names: list[str] | tuple[str, ...]) -> list[str]:
        """Return those of ``names`` that belong to an earlier draw than the current one.

        Parameters
        ----------
        names : sequence of str
            Files of the folder.

        Returns
        -------
        list of str
            One line per stale file.
        """
        files = (self.manifest or {}).get("files", {})
        return [f"{n} was made from an earlier draw of this plan (written by "
                f"{files[n].get('written_by')}); run it again"
                for n in names if n in files and files[n].get("draw") != self.draw]


def read_manifest(out: Path) -> dict[str, Any] | None:
    """Read ``out/manifest.json``.

    Parameters
    ----------
    out : pathlib.Path
        The plan folder.

    Returns
    -------
    dict or None
        The manifest, or ``None`` when the folder has none.

    Raises
    ------
    FolderError
        When the manifest cannot be read.
    """
    where = folder.path(out, folder.MANIFEST)
    if not where.is_file():
        return None
    try:
        manifest = json.loads(where.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise FolderError(f"{where}: is not a readable manifest ({exc}); restore it, or move "
                          "the folder aside and run the plan again") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT \
            or not isinstance(manifest.get("files"), dict):
        raise FolderError(f"{where}: is not a plan folder manifest ({FORMAT})")
    return manifest


def planner_files(out: Path) -> list[str]:
    """Return the files in ``out`` that the planner knows, relative and sorted.

    These are the registered files (:data:`planner.plan.folder.FILES`, the manifest itself
    excepted) and the field workbooks that ``export.json`` lists.

    Parameters
    ----------
    out : pathlib.Path
        The plan folder.

    Returns
    -------
    list of str
        POSIX paths relative to ``out``.
    """
    names = [n for n in folder.FILES if n != folder.MANIFEST and folder.path(out, n).is_file()]
    names += [n for n in folder.exported_workbooks(out) if folder.path(out, n).is_file()]
    return sorted(set(names))


def build_manifest(out: Path, command: str, previous: dict[str, Any] | None,
                   written: set[str]) -> dict[str, Any]:
    """Describe the plan folder ``out`` as it is now.

    Parameters
    ----------
    out : pathlib.Path
        The folder (the staging copy about to be swapped in).
    command : str
        The command that wrote it, e.g. ``"planner run"``.
    previous : dict or None
        The manifest of the folder before the command.
    written : set of str
        The files this command wrote; the others keep their earlier entries.

    Returns
    -------
    dict
        The manifest, in a fixed key order.
    """
    record = folder.read_record_if_any(out)
    plan = record.get("plan") if isinstance(record.get("plan"), dict) else {}
    sample = folder.path(out, folder.SAMPLE)
    draw = sha256_file(sample) if sample.is_file() else None
    old = (previous or {}).get("files", {})
    forms = folder.exported_workbooks(out)
    # Workbooks an export lists again unchanged belong to the draw it was made from.
    confirmed = set(forms) if folder.EXPORT_MANIFEST in written else set()
    files: dict[str, dict[str, Any]] = {}
    for name in planner_files(out):
        if name not in written and name in old:
            files[name] = dict(old[name])
            if name in confirmed:
                files[name]["draw"] = draw
            continue
        digest = forms.get(name) or sha256_file(folder.path(out, name))
        files[name] = {"sha256": digest, "kind": folder.kind_of(name),
                       "written_by": command, "draw": draw}
    return {
        "format": FORMAT,
        "plan": {"id": plan.get("id"), "seed": record.get("seed")},
        "draw": draw,
        "files": files,
    }


def write_manifest(out: Path, manifest: dict[str, Any]) -> Path:
    """Write ``out/manifest.json`` (indented JSON, UTF-8, trailing newline).

    Parameters
    ----------
    out : pathlib.Path
        The folder.
    manifest : dict
        As built by :func:`build_manifest`.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    target = folder.path(out, folder.MANIFEST)
    write_text_atomic(target, json.dumps(manifest, ensure_ascii=False, indent=1) + "\n")
    return target


def folder_state(out: Path) -> FolderState:
    """Compare the plan folder with its manifest.

    Parameters
    ----------
    out : pathlib.Path
        The plan folder.

    Returns
    -------
    FolderState
        The manifest, the problems (files missing, changed or not listed), the filled
        workbooks and the results present.

    Raises
    ------
    FolderError
        When the manifest cannot be read.
    """
    out = Path(out)
    manifest = read_manifest(out)
    state = FolderState(out, manifest)
    present = planner_files(out) if out.is_dir() else []
    teams = folder.path(out, folder.TEAMS)
    if teams.is_dir():
        listed = set(folder.exported_workbooks(out))
        state.foreign = sorted(
            p.relative_to(out).as_posix() for p in teams.rglob("*")
            if p.is_file() and p.relative_to(out).as_posix() not in listed
            and not p.name.startswith(".~lock"))
    if manifest is None:
        return state
    files = manifest["files"]
    where = f"{out / folder.MANIFEST}"
    for name, entry in sorted(files.items()):
        path = folder.path(out, name)
        kind = entry.get("kind") or folder.kind_of(name)
        if not path.is_file():
            state.problems.append(f"{name} is missing ({where} lists it, written by "
                                  f"{entry.get('written_by')})")
            continue
        if kind == "published":
            state.published.append(name)
        if sha256_file(path) == entry.get("sha256"):
            continue
        if kind == "form":
            state.filled.append(name)
        else:
            state.problems.append(f"{name} changed after {entry.get('written_by')} wrote it "
                                  f"(its SHA-256 is not the one {where} lists)")
    for name in present:
        if name not in files:
            state.problems.append(f"{name} is not part of {state.describe()} ({where} does not "
                                  "list it)")
    record = folder.read_record_if_any(out)
    if record and folder.RECORD in files and folder.RECORD not in _names(state.problems):
        rec_plan = record.get("plan", {}).get("id") if isinstance(record.get("plan"), dict) \
            else None
        if (rec_plan, record.get("seed")) != (state.plan_id, state.seed):
            state.problems.append(
                f"{folder.RECORD} is for plan {rec_plan} (seed {record.get('seed')!r}) but "
                f"{where} binds the folder to {state.describe()}")
    return state


def _names(problems: list[str]) -> set[str]:
    return {p.split(" ", 1)[0] for p in problems}


def require_whole(out: Path) -> FolderState:
    """Return the folder's state, or refuse a folder whose files do not belong together.

    Parameters
    ----------
    out : pathlib.Path
        The plan folder.

    Returns
    -------
    FolderState
        When the folder is one whole plan (or holds no manifest yet).

    Raises
    ------
    FolderError
        Naming each file that does not belong.
    """
    state = folder_state(out)
    if state.problems:
        lines = "\n".join(f"  - {p}" for p in state.problems)
        raise FolderError(
            f"{out} does not hold one whole plan; its files do not belong together:\n{lines}\n"
            "restore the files, or move the folder aside and run the plan again")
    return state
