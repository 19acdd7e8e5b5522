"""Parquet inputs: one file, or a folder of partition files, read as text.

A data centre hands a directory over as Parquet, usually a folder of partitions
(``part-00000.parquet``, ``part-00001.parquet`` ...). Any input may be given that way. The
cells are read as text, like a CSV's, so that the schema checks decide the types the same
way whatever the format; only the columns the plan uses are read.

Rows of a Parquet file have no header line, so a problem's row is the record's position
in its partition file, counting from 1 (``part-00003.parquet, row 17`` is the 17th record
of that file). :func:`locate` turns the row numbers of the stitched-together table into
those.

Needs ``pyarrow``, a core dependency of planner.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from planner.common.arrowtext import arrow_text
from planner.common.digest import sha256_bytes
from planner.common.errors import InputError, Problem

SUFFIX = ".parquet"
INSTALL_HINT = ('reading Parquet needs pyarrow, which planner installs: pip install -e . in a '
                'planner checkout, or pip install pyarrow')


@dataclass(frozen=True)
class Part:
    """One partition file of a Parquet input: its label in messages and its record count."""

    label: str
    rows: int


def is_parquet(path: str | Path) -> bool:
    """Tell whether ``path`` names a Parquet file or a folder of Parquet partitions.

    Parameters
    ----------
    path : str or pathlib.Path
        An input path.

    Returns
    -------
    bool
        True for a ``.parquet`` file or a folder holding at least one.
    """
    path = Path(path)
    if path.is_dir():
        return bool(partition_files(path))
    return path.suffix.lower() == SUFFIX


def partition_files(path: str | Path) -> list[Path]:
    """Return the Parquet files of an input in a fixed order (sorted relative paths).

    Parameters
    ----------
    path : str or pathlib.Path
        A ``.parquet`` file or a folder (searched recursively; hidden files and names
        starting with ``_``, such as ``_SUCCESS`` or ``_metadata``, are left out).

    Returns
    -------
    list of pathlib.Path
        The files.
    """
    path = Path(path)
    if not path.is_dir():
        return [path]
    found = [p for p in path.rglob(f"*{SUFFIX}") if p.is_file() and not any(
        part.startswith((".", "_")) for part in p.relative_to(path).parts)]
    return sorted(found, key=lambda p: p.relative_to(path).as_posix())


def part_label(root: Path, file: Path, label: str) -> str:
    """Return how to name one partition file in messages: the input's label plus its name."""
    if root == file:
        return label
    return f"{label}/{file.relative_to(root).as_posix()}"


def sha256_parquet(path: str | Path) -> str:
    r"""Return the SHA-256 of a Parquet input: of the file, or of a folder's file list.

    A folder's digest is the SHA-256 of its lines ``<relative path>\t<sha256 of the file>\n``
    in :func:`partition_files` order, so renaming, adding, dropping or changing a partition
    changes it.

    Parameters
    ----------
    path : str or pathlib.Path
        A ``.parquet`` file or a folder of partitions.

    Returns
    -------
    str
        64 lower-case hex digits.
    """
    path = Path(path)
    if not path.is_dir():
        return sha256_bytes(path)
    lines = "".join(f"{p.relative_to(path).as_posix()}\t{sha256_bytes(p)}\n"
                    for p in partition_files(path))
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()


def require_pyarrow():
    """Import and return ``pyarrow.parquet``, or raise a clear InputError when missing."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError(INSTALL_HINT, file="<parquet>") from None
    return pq


def wanted_columns(names: Sequence[str], keep: Callable[[str], bool] | None) -> list[str]:
    """Return the columns of ``names`` that ``keep`` accepts (all when ``keep`` is None)."""
    return [n for n in names if keep is None or keep(str(n))]


def read_parquet_table(
    path: str | Path,
    *,
    label: str | None = None,
    keep: Callable[[str], bool] | None = None,
) -> pd.DataFrame:
    """Read a Parquet file or folder of partitions into a DataFrame of stripped strings.

    Parameters
    ----------
    path : str or pathlib.Path
        A ``.parquet`` file or a folder of them (see :func:`partition_files`).
    label : str, optional
        How to name the input in messages (default: the path as given).
    keep : callable, optional
        Given a column name, tells whether to read that column; all columns when omitted.

    Returns
    -------
    pandas.DataFrame
        Object columns of ``str`` (``""`` for null); ``frame.attrs["parts"]`` lists the
        :class:`Part` of each file, in order, for :func:`locate`.

    Raises
    ------
    InputError
        When pyarrow is missing, the folder holds no Parquet file, a file is not readable
        Parquet, lacks a column the first file has, or holds a column that cannot be read
        as text.
    """
    require_pyarrow()
    path = Path(path)
    label = label or str(path)
    if not path.exists():
        raise InputError("file not found", file=label)
    files = partition_files(path)
    if not files:
        raise InputError("folder holds no .parquet file", file=label)
    columns: list[str] | None = None
    pieces: dict[str, list[np.ndarray]] = {}
    parts: list[Part] = []
    for file in files:
        name = part_label(path, file, label)
        frame = read_partition(file, name, keep=keep, columns=columns)
        if columns is None:
            columns = list(frame.columns)
            pieces = {c: [] for c in columns}
        for c in columns:
            pieces[c].append(frame[c].to_numpy(dtype=object))
        parts.append(Part(name, len(frame)))
    assert columns is not None
    if not columns:
        raise InputError("has no columns; expected the input's columns", file=label)
    out = pd.DataFrame({c: np.concatenate(pieces[c]) if pieces[c] else np.array([], object)
                        for c in columns}, dtype=object)
    out.attrs["parts"] = parts
    return out


def read_partition(
    file: str | Path,
    label: str,
    *,
    keep: Callable[[str], bool] | None = None,
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Read one Parquet file as stripped text (a per-partition map of a distributed read).

    Parameters
    ----------
    file : str or pathlib.Path
        The file.
    label : str
        How to name it in messages.
    keep : callable, optional
        Column filter, used when ``columns`` is not given.
    columns : sequence of str, optional
        Exactly these columns (each must be present).

    Returns
    -------
    pandas.DataFrame
        Object columns of ``str``, ``""`` for null, stripped of surrounding white space.

    Raises
    ------
    InputError
        When the file is not readable Parquet, lacks a column, or a column cannot be read
        as text.
    """
    pq = require_pyarrow()
    import pyarrow as pa
    import pyarrow.compute as pc


    try:
        names = pq.read_schema(file).names
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"is not a readable Parquet file ({_first_line(exc)})",
                         file=label) from None
    if columns is None:
        columns = [str(c).strip().lstrip("\ufeff").strip() for c in wanted_columns(names, keep)]
        chosen = [n for n in names if keep is None or keep(str(n))]
    else:
        stripped = {str(n).strip().lstrip("\ufeff").strip(): n for n in names}
        missing = [c for c in columns if c not in stripped]
        if missing:
            raise InputError([Problem(
                label, "column missing from this partition (the first partition has it); "
                "every partition must have the same columns", column=missing[0])])
        chosen = [stripped[c] for c in columns]
    try:
        table = pq.read_table(file, columns=list(chosen))
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"is not a readable Parquet file ({_first_line(exc)})",
                         file=label) from None
    data = {}
    for name, column in zip(columns, table.columns, strict=True):
        try:
            text = pc.cast(column, pa.string()) if column.type != pa.string() else column
        except pa.ArrowException:
            raise InputError([Problem(
                label, f"column of type {column.type} cannot be read as text; store it as "
                "a string or number column", column=name)]) from None
        data[name] = arrow_text(pc.utf8_trim_whitespace(pc.fill_null(text, "")))
    return pd.DataFrame(data, columns=list(columns), dtype=object)


def locate(problems: list[Problem], label: str, parts: Sequence[Part]) -> list[Problem]:
    """Rename the problems of a stitched Parquet input to their partition file and record.

    Parameters
    ----------
    problems : list of Problem
        Problems of every input; those of ``label`` with a record row (>= 2) are renamed.
    label : str
        The input's label.
    parts : sequence of Part
        The partitions, in the order they were stitched.

    Returns
    -------
    list of Problem
        The problems, in order; a stitched row ``r`` becomes ``row`` = its 1-based record
        number in its partition file. Messages naming another stitched row ("first given
        in row N") are rewritten the same way.
    """
    starts = np.cumsum([0, *[p.rows for p in parts]]).tolist()

    def where(row: int) -> tuple[str, int]:
        pos = row - 2
        k = bisect.bisect_right(starts, pos) - 1
        k = min(max(k, 0), len(parts) - 1)
        return parts[k].label, pos - starts[k] + 1

    out = []
    for p in problems:
        if p.file != label or p.row is None or p.row < 2:
            if p.file == label and p.row == 1:
                p = replace(p, file=parts[0].label if len(parts) == 1 else label, row=None)
            out.append(p)
            continue
        file, row = where(p.row)
        message = p.message
        marker = "first given in row "
        if marker in message:
            head, tail = message.split(marker, 1)
            digits = "".join(ch for ch in tail if ch.isdigit())
            if digits:
                first_file, first_row = where(int(digits))
                place = (f"row {first_row}" if first_file == file
                         else f"{first_file}, row {first_row}")
                message = f"{head}first given in {place}{tail[len(digits):]}"
        out.append(replace(p, file=file, row=row, message=message))
    return out


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
