"""The plan folder (``OUT``): the one place that knows its file names, readers and writers.

Every command reads and writes the plan folder through this module, so a file's name is
spelled once and each file has one writer. The files, by the stage that writes them:

==================  =========  ==========================================================
file                stage      what it holds
==================  =========  ==========================================================
eligible.csv        draw       every eligible enterprise and its stratum
sample.csv          draw       the drawn enterprises with tickets and ranks
draw-record.json    draw       seed, parameters, input digests, draw; other stages add a
                               section through :func:`set_record_section`
assignments.csv     assign     one row per seat: task, enterprise, inspector, role
tasks.csv           export     the task table behind every workbook
export.json         export     the export manifest: language, split, workbooks and digests
plan.xlsx           export     the bureau's plan
teams/*.xlsx        export     the field workbooks (forms the teams fill in)
amendments.csv      export     the amendment list (变更清单) after a replacement
amendments.xlsx     export     the same list as a sheet to read and print
disclosure.xlsx     results    the public notice (公示)
results.csv         results    one row per task with its result
discovery.csv       results    problems found / inspected per class
history.csv         results    next quarter's inspection history
manifest.json       (any)      binds every file above to one plan (see
                               :mod:`planner.plan.manifest`)
==================  =========  ==========================================================

To add a file, call :func:`register` next to its constant (or from the module that owns
it); the manifest, the folder check and the archive then know it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from planner.common.errors import InputError, Problem
from planner.common.io import atomic_path, read_table, write_csv_atomic, write_text_atomic


@dataclass(frozen=True)
class PlanFile:
    """One kind of file in the plan folder.

    Attributes
    ----------
    name : str
        Path relative to the folder (POSIX), or a folder name for ``kind == "forms"``.
    stage : str
        The stage that writes it: ``draw``, ``assign``, ``export``, ``results`` or ``folder``.
    kind : str
        ``data`` (read back by the planner), ``form`` (handed out and filled in by people),
        ``published`` (returned work made public) or ``folder`` (bookkeeping).
    description : str
        What it holds, for messages.
    """

    name: str
    stage: str
    kind: str
    description: str


FILES: dict[str, PlanFile] = {}


def register(name: str, stage: str, kind: str, description: str) -> str:
    """Add a file to the registry of the plan folder and return its name.

    Parameters
    ----------
    name : str
        Path relative to the plan folder.
    stage : str
        The stage that writes it.
    kind : str
        ``data``, ``form``, ``published`` or ``folder``.
    description : str
        What it holds.

    Returns
    -------
    str
        ``name``, so that a constant can be declared in one line.
    """
    FILES[name] = PlanFile(name, stage, kind, description)
    return name


ELIGIBLE = register("eligible.csv", "draw", "data", "the eligible enterprises")
SAMPLE = register("sample.csv", "draw", "data", "the drawn enterprises")
RECORD = register("draw-record.json", "draw", "data", "the draw record")
ASSIGNMENTS = register("assignments.csv", "assign", "data", "the inspector teams")
TASKS = register("tasks.csv", "export", "data", "the task table")
EXPORT_MANIFEST = register("export.json", "export", "data", "the export manifest")
PLAN_WORKBOOK = register("plan.xlsx", "export", "data", "the bureau's plan workbook")
DISCLOSURE = register("disclosure.xlsx", "results", "published", "the public notice")
RESULTS = register("results.csv", "results", "published", "the results read back")
DISCOVERY = register("discovery.csv", "results", "published", "the discovery figures")
HISTORY = register("history.csv", "results", "published", "the inspection history")
AMENDMENTS = register("amendments.csv", "export", "data",
                      "the amendment list (变更清单): tasks added, removed or re-staffed")
AMENDMENT_WORKBOOK = register("amendments.xlsx", "export", "data",
                              "the amendment list (变更清单) as a sheet to read and print")
REDACTIONS = register("redactions.csv", "results", "data", "what was masked in free text")
MANIFEST = register("manifest.json", "folder", "folder", "the plan folder's manifest")

# Files of optional features, each written only when the plan uses it.
EXPERTS = register("experts.csv", "assign", "data", "one expert per team (专家库)")
ITEM_RESULTS = register("item-results.csv", "results", "published",
                        "the results per item of each task (事项结果)")
ITEM_DISCOVERY = register("item-discovery.csv", "results", "published",
                          "problems found / checked per item")
VISITS = register("visits.csv", "assign", "data", "one visit per enterprise of a merged plan")
JOINT_SEATS = register("joint-assignments.csv", "assign", "data",
                       "the joint teams of a merged plan, one row per seat")
MERGE_RECORD = register("merge.json", "assign", "data",
                        "the plans merged, with each one's files' SHA-256")

# An optional input placed beside the plan (a programme batch writes it): per enterprise the
# earliest date it may be inspected, ``enterprise_id, not_before``. Not registered: the plan
# stages read it and never write it (see planner.programme.files).
SCHEDULE = "schedule.csv"
# The commitment (planner commit) that fixes the eligible list before the seed exists; its
# own writer keeps it, and a committed plan is drawn with one seed only.
COMMITMENT = "commitment.json"
# The field workbooks' folder: files in it are forms when export.json lists them.
TEAMS = "teams"
# Where --force moves an earlier plan: OUT/archive/<plan id>-<time>/.
ARCHIVE = "archive"
# Stage order: a file is downstream of the files of earlier stages.
STAGES = ("draw", "assign", "export", "results")

RECORD_FORMAT = "planner-draw-record/1"
RECORD_KEYS = ("seed", "parameters", "inputs", "drawn", "strata")


def path(out: str | Path, name: str) -> Path:
    """Return where ``name`` lives in the plan folder ``out``.

    Parameters
    ----------
    out : str or pathlib.Path
        The plan folder.
    name : str
        A registered file name (or ``teams/<workbook>``).

    Returns
    -------
    pathlib.Path
        ``out / name``.
    """
    return Path(out) / name


def is_form(name: str) -> bool:
    """Return whether ``name`` (relative to the folder) is a field workbook's place.

    Parameters
    ----------
    name : str
        A path relative to the plan folder, in POSIX form.

    Returns
    -------
    bool
        True for ``teams/*.xlsx``.
    """
    return name.startswith(TEAMS + "/") and name.endswith(".xlsx")


def kind_of(name: str) -> str:
    """Return the kind (``data``, ``form``, ``published``, ``folder``) of a folder file.

    Parameters
    ----------
    name : str
        A path relative to the plan folder.

    Returns
    -------
    str
        Its kind; ``"form"`` for field workbooks, ``""`` for a file the planner does not know.
    """
    if name in FILES:
        return FILES[name].kind
    return "form" if is_form(name) else ""


def stage_of(name: str) -> str:
    """Return the stage that writes ``name`` (``export`` for field workbooks, else "")."""
    if name in FILES:
        return FILES[name].stage
    return "export" if is_form(name) else ""


# --- tables ----------------------------------------------------------------------------


def read_stage_table(out: Path, name: str, columns: tuple[str, ...], hint: str) -> pd.DataFrame:
    """Read an earlier stage's CSV from the plan folder and check its columns.

    Parameters
    ----------
    out : pathlib.Path
        The plan folder.
    name : str
        The file, e.g. :data:`SAMPLE`.
    columns : tuple of str
        Columns that must be present.
    hint : str
        How to produce the file, for the message when it is missing.

    Returns
    -------
    pandas.DataFrame
        The table as text.

    Raises
    ------
    InputError
        When the file is missing, unreadable or lacks a column.
    """
    where = path(out, name)
    if not where.is_file():
        raise InputError(f"not found; {hint}", file=str(where))
    frame = read_table(where, label=str(where))
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError([Problem(str(where), "missing required column", row=1, column=c)
                          for c in missing])
    return frame


def read_csv(out: Path, name: str) -> pd.DataFrame:
    """Read a CSV of the plan folder as text cells (no column check).

    Parameters
    ----------
    out : pathlib.Path
        The plan folder.
    name : str
        The file.

    Returns
    -------
    pandas.DataFrame
        The table.
    """
    where = path(out, name)
    return read_table(where, label=str(where))


def write_csv(out: Path, name: str, frame: pd.DataFrame) -> Path:
    """Write a table of the plan folder whole or not at all (UTF-8, Unix line ends).

    Parameters
    ----------
    out : pathlib.Path
        The plan folder.
    name : str
        The file, e.g. :data:`ASSIGNMENTS`.
    frame : pandas.DataFrame
        The table.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    target = path(out, name)
    write_csv_atomic(target, frame)
    return target


def write_text(out: Path, name: str, text: str) -> Path:
    """Write a text file of the plan folder whole or not at all.

    Parameters
    ----------
    out : pathlib.Path
        The plan folder.
    name : str
        The file, e.g. :data:`ELIGIBLE`.
    text : str
        Its content.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    target = path(out, name)
    write_text_atomic(target, text)
    return target


def write_bytes(out: Path, name: str, data: bytes) -> Path:
    """Write a file of the plan folder from its bytes, whole or not at all.

    Parameters
    ----------
    out : pathlib.Path
        The plan folder.
    name : str
        The file, e.g. :data:`ELIGIBLE`.
    data : bytes
        Its content (text already encoded, e.g. so that it is hashed from the same bytes).

    Returns
    -------
    pathlib.Path
        The file written.
    """
    target = path(out, name)
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return target


# --- the draw record -------------------------------------------------------------------


def dump_record(record: dict[str, Any]) -> str:
    """Serialise a draw record deterministically (fixed key order, UTF-8, trailing newline).

    The drawn enterprises are written one per line, so a large draw stays readable.

    Parameters
    ----------
    record : dict
        The record.

    Returns
    -------
    str
        JSON text.
    """
    return _joined([_dump_part(key, value) for key, value in record.items()])


def _dump_part(key: str, value: Any) -> str:
    """Return one top-level key of the record and its value, as :func:`dump_record` writes it."""
    if key == "drawn" and isinstance(value, list) and value:
        rows = ",\n".join("  " + json.dumps(v, ensure_ascii=False, allow_nan=False)
                          for v in value)
        text = "[\n" + rows + "\n ]"
    else:
        text = json.dumps(value, ensure_ascii=False, indent=1, allow_nan=False)
        text = text.replace("\n", "\n ")
    return f" {json.dumps(key, ensure_ascii=False)}: {text}"


def _joined(parts: list[str]) -> str:
    return "{\n" + ",\n".join(parts) + "\n}\n"


# Where one top-level part of a record written by dump_record ends and the next begins: a
# top-level key is the only line that starts with one space and a quote (values are indented
# further, and JSON text holds no raw line break).
_NEXT_PART = ',\n "'


def _parts_of(text: str, keys: list[str]) -> dict[str, str] | None:
    """Cut a record's text into its top-level parts, key by key.

    Returns None when the text is not laid out as :func:`dump_record` lays out a record with
    these ``keys``, in this order.
    """
    if not (text.startswith("{\n") and text.endswith("\n}\n")):
        return None
    body = text[2:-3]
    pieces = body.split(_NEXT_PART) if body else []
    pieces = pieces[:1] + [' "' + piece for piece in pieces[1:]]
    if len(pieces) != len(keys):
        return None
    for piece, key in zip(pieces, keys, strict=True):
        if not piece.startswith(f" {json.dumps(key, ensure_ascii=False)}: "):
            return None
    return dict(zip(keys, pieces, strict=True))


def write_record(out: Path, record: dict[str, Any]) -> Path:
    """Write ``draw-record.json`` whole or not at all: the record's only writer.

    Parameters
    ----------
    out : pathlib.Path
        The plan folder.
    record : dict
        The whole record (the draw's keys first, other stages' sections after).

    Returns
    -------
    pathlib.Path
        The file written.
    """
    return write_text(out, RECORD, dump_record(record))


def read_record(out: Path) -> dict[str, Any]:
    """Read ``draw-record.json``, which must be a draw record.

    Parameters
    ----------
    out : pathlib.Path
        The plan folder.

    Returns
    -------
    dict
        The record (unknown keys kept as they are).

    Raises
    ------
    InputError
        When the file is missing or is not a draw record.
    """
    where = path(out, RECORD)
    if not where.is_file():
        raise InputError(f"no draw record here; run planner draw SCENARIO -o {out} first",
                         file=str(where))
    try:
        record = json.loads(where.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"is not a readable draw record: {exc}", file=str(where)) from None
    missing = [k for k in RECORD_KEYS if not isinstance(record, dict) or k not in record]
    if missing:
        raise InputError(f"is not a draw record (missing {', '.join(missing)})", file=str(where))
    return record


def read_record_if_any(out: Path) -> dict[str, Any]:
    """Return ``draw-record.json`` when present and readable, else an empty dict.

    Parameters
    ----------
    out : pathlib.Path
        The plan folder.

    Returns
    -------
    dict
        The record, or ``{}``.
    """
    return _record_text_if_any(out)[1]


def _record_text_if_any(out: Path) -> tuple[str, dict[str, Any]]:
    """Return ``draw-record.json``'s text and record when readable, else ``("", {})``."""
    try:
        text = path(out, RECORD).read_text(encoding="utf-8")
        record = json.loads(text)
    except (OSError, ValueError):
        return "", {}
    return (text, record) if isinstance(record, dict) else ("", {})


def set_record_section(out: Path, key: str, section: dict[str, Any] | None) -> Path | None:
    """Set (or, with ``None``, remove) one stage's top-level section of the draw record.

    The section goes last, after the draw's keys, and the record is written again whole, as
    :func:`write_record` would write it. The other keys keep their text when the record is
    laid out as :func:`dump_record` lays it out (a record edited by another tool is laid out
    afresh), so a large draw's drawn enterprises are not serialised again.

    Parameters
    ----------
    out : pathlib.Path
        The plan folder.
    key : str
        The section, e.g. ``"assignment"``.
    section : dict or None
        Its content; ``None`` removes it.

    Returns
    -------
    pathlib.Path or None
        The record written, or ``None`` when there was nothing to remove. Without a
        readable record, the section is written as the record's only key.
    """
    text, record = _record_text_if_any(out)
    if section is None and key not in record:
        return None
    parts = _parts_of(text, list(record)) or {k: _dump_part(k, v) for k, v in record.items()}
    kept = [part for k, part in parts.items() if k != key]
    if section is not None:
        kept.append(_dump_part(key, section))
    return write_text(out, RECORD, _joined(kept))


# --- the export manifest ---------------------------------------------------------------


def write_export_manifest(out: Path, manifest: dict[str, Any]) -> Path:
    """Write ``export.json`` (indented JSON, UTF-8, trailing newline).

    Parameters
    ----------
    out : pathlib.Path
        The plan folder.
    manifest : dict
        The export's manifest.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    return write_text(out, EXPORT_MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2)
                      + "\n")


def read_export_manifest(out: Path) -> dict[str, Any]:
    """Read ``export.json``.

    Parameters
    ----------
    out : pathlib.Path
        The plan folder.

    Returns
    -------
    dict
        The export manifest.

    Raises
    ------
    InputError
        When the file is missing or is not JSON.
    """
    where = path(out, EXPORT_MANIFEST)
    if not where.is_file():
        raise InputError("not found; run planner run (or planner export) into this folder "
                         "first", file=str(where))
    try:
        manifest = json.loads(where.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"is not a readable export record ({exc})", file=str(where)) from None
    if not isinstance(manifest, dict):
        raise InputError("is not a readable export record", file=str(where))
    return manifest


def exported_workbooks(out: Path) -> dict[str, str]:
    """Return the field workbooks ``export.json`` lists, ``{relative path: sha256}``.

    Parameters
    ----------
    out : pathlib.Path
        The plan folder.

    Returns
    -------
    dict
        Empty when there is no readable export manifest.
    """
    try:
        manifest = read_export_manifest(out)
    except InputError:
        return {}
    books = manifest.get("workbooks")
    if not isinstance(books, list):
        return {}
    return {str(b["file"]): str(b.get("sha256", "")) for b in books
            if isinstance(b, dict) and "file" in b}
