"""Reading tables (CSV in UTF-8/BOM/GBK, or XLSX) and writing files whole or not at all.

Government exports are often GBK, so a CSV's encoding is detected: UTF-8 (with or without a
byte-order mark) is tried first, then GB18030 (a superset of GBK and GB2312). UTF-8 is
self-checking - GBK text with Chinese characters is practically never valid UTF-8 - so the
order is safe. An explicit ``encoding`` overrides the detection.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tempfile
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd

from planner.common.errors import InputError, Problem

DETECTED_ENCODINGS = ("utf-8-sig", "gb18030")


def sha256_file(path: str | Path) -> str:
    """Return the hex SHA-256 of a file's bytes (of a Parquet folder: see below).

    A folder of Parquet partitions is digested by
    :func:`planner.common.parquet.sha256_parquet` (its file list with each file's SHA-256).

    Parameters
    ----------
    path : str or pathlib.Path
        The file, or a folder of Parquet partitions.

    Returns
    -------
    str
        64 lower-case hex digits.
    """
    if Path(path).is_dir():
        from planner.common.parquet import sha256_parquet

        return sha256_parquet(path)
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def decode_text(data: bytes, label: str, encoding: str | None = None) -> tuple[str, str]:
    """Decode a CSV file's bytes, detecting UTF-8, UTF-8 with BOM or GB18030.

    Parameters
    ----------
    data : bytes
        The file's content.
    label : str
        The file's name, for messages.
    encoding : str, optional
        Use this encoding instead of detecting one.

    Returns
    -------
    tuple of (str, str)
        The text and the encoding used.

    Raises
    ------
    InputError
        When the bytes cannot be decoded.
    """
    candidates = (encoding,) if encoding else DETECTED_ENCODINGS
    for enc in candidates:
        try:
            return data.decode(enc), enc
        except LookupError:
            raise InputError(f"unknown encoding {enc!r}; try utf-8 or gbk", file=label) from None
        except UnicodeDecodeError as exc:
            if encoding:
                line = data[: exc.start].count(b"\n") + 1
                raise InputError(
                    [
                        Problem(
                            label,
                            f"cannot be decoded as {enc} at byte {exc.start}; "
                            "pass another encoding (--encoding gbk or utf-8)",
                            row=line,
                        )
                    ]
                ) from None
    raise InputError(
        "is neither UTF-8 nor GBK/GB18030 text; save it as UTF-8 CSV or pass --encoding",
        file=label,
    )


def read_table(
    path: str | Path,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    label: str | None = None,
    keep: Callable[[str], bool] | None = None,
) -> pd.DataFrame:
    """Read a CSV, XLSX or Parquet input into a DataFrame of stripped strings.

    Every cell is read as text (``""`` for empty) so that codes keep leading zeros and the
    schema decides the types. Header names are stripped of spaces and byte-order marks.

    Parameters
    ----------
    path : str or pathlib.Path
        A ``.csv`` (or ``.txt``) or ``.xlsx`` file, a ``.parquet`` file or a folder of
        Parquet partitions (see :mod:`planner.common.parquet`).
    encoding : str, optional
        CSV encoding; detected when omitted.
    sheet : str, optional
        XLSX sheet name; the first sheet when omitted.
    label : str, optional
        How to name the file in messages (default: the path as given).
    keep : callable, optional
        Parquet only: given a column name, tells whether to read that column (a Parquet
        file is read column by column, so unused columns cost nothing).

    Returns
    -------
    pandas.DataFrame
        All columns of dtype object holding ``str``. For Parquet, ``frame.attrs["parts"]``
        lists the partition files (see :func:`planner.common.parquet.locate`).

    Raises
    ------
    InputError
        When the file is missing, empty, undecodable or not a readable table.
    """
    path = Path(path)
    label = label or str(path)
    from planner.common.parquet import is_parquet, read_parquet_table

    if is_parquet(path):
        return read_parquet_table(path, label=label, keep=keep)
    if not path.is_file():
        raise InputError("file not found", file=label)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        frame = _read_xlsx(path, sheet, label)
    else:
        data = path.read_bytes()
        if not data.strip():
            raise InputError("file is empty; expected a header row and records", file=label)
        text, used = decode_text(data, label, encoding)
        if used in ("utf-8-sig", "utf-8", "utf8"):
            utf8 = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
        else:
            utf8 = text.encode("utf-8")
        padded = _may_have_padding(text)
        del text
        frame = _read_csv_bytes(utf8, label, padded)
    frame.columns = [str(c).strip().lstrip("\ufeff").strip() for c in frame.columns]
    return frame


def _read_csv_bytes(data: bytes, label: str, padded: bool) -> pd.DataFrame:
    """Parse UTF-8 CSV bytes into a frame of strings, stripped when ``padded``."""
    if b"\x00" in data:
        raise InputError("contains NUL bytes: this is not a text CSV file", file=label)
    try:
        with warnings.catch_warnings():
            # pandas only warns when a record has more fields than the header, and drops them.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            # Parse bytes, not a StringIO: pandas reads a StringIO of non-ASCII text through a
            # wrapper whose re-encoding overflow grows with every chunk (quadratic; minutes for
            # a 400 MB directory).
            frame = pd.read_csv(
                io.BytesIO(data),
                encoding="utf-8",
                dtype=object,  # str objects whether or not pyarrow is installed
                keep_default_na=False,
                na_filter=False,
                skipinitialspace=True,
                index_col=False,  # a row with an extra field must not turn column 1 into an index
                engine="c",
            )
    except pd.errors.EmptyDataError:
        raise InputError("file is empty; expected a header row and records", file=label) from None
    except pd.errors.ParserWarning:
        raise InputError(
            "is not a well-formed CSV table: a record has more fields than the header "
            "(look for an unquoted comma in a name or address)", file=label) from None
    except (pd.errors.ParserError, ValueError) as exc:
        raise InputError(f"is not a well-formed CSV table: {_first_line(exc)}", file=label) from None
    if padded:
        return _strip_cells(frame)
    return frame.astype(object)


def _may_have_padding(text: str) -> bool:
    """Tell whether any cell of this CSV text could start or end with white space.

    Single-character searches run at memory speed; the pairs are looked for only when the
    text has a space at all (a Chinese directory usually has none).
    """
    if text[:1].isspace() or any(ch in text for ch in ("\t", "\u3000", "\xa0")):
        return True
    if " " not in text:
        return False
    return text.endswith(" ") or any(
        pair in text for pair in (" ,", " \r", " \n", ' "', "\r ", "\n ", '" '))


# What a damaged workbook raises while it is opened or, lazily, while its sheets are read:
# a broken zip, a missing part, malformed XML (ElementTree's and lxml's parse errors are
# SyntaxErrors), a truncated stream, a bad value.
XLSX_ERRORS = (zipfile.BadZipFile, zlib.error, KeyError, OSError, ValueError, TypeError,
               SyntaxError, EOFError, IndexError)


def damaged_sheet(label: str, sheet: str, rows_read: int, exc: BaseException) -> Problem:
    """Describe a sheet whose XML broke while it was read, at the first row not read.

    Parameters
    ----------
    label : str
        The workbook, for the message.
    sheet : str
        The sheet's name.
    rows_read : int
        Rows read before the damage.
    exc : BaseException
        What the parser raised.

    Returns
    -------
    Problem
        Naming workbook, sheet and row.
    """
    return Problem(f"{label}, sheet {sheet!r}", f"the sheet is damaged and cannot be read "
                   f"from here on ({_first_line(exc)}); save the workbook again from Excel or "
                   "use a fresh copy", row=rows_read + 1)


def _read_xlsx(path: Path, sheet: str | None, label: str) -> pd.DataFrame:
    try:
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except XLSX_ERRORS as exc:
        raise InputError(f"is not a readable XLSX workbook ({_first_line(exc)})", file=label) from None
    try:
        if sheet is not None and sheet not in wb.sheetnames:
            raise InputError(
                f"has no sheet {sheet!r}; its sheets are {', '.join(wb.sheetnames)}", file=label
            )
        ws = wb[sheet] if sheet is not None else wb.worksheets[0]
        rows = []
        try:
            for row in ws.iter_rows(values_only=True):
                rows.append(["" if v is None else _cell_text(v) for v in row])
        except XLSX_ERRORS as exc:
            raise InputError([damaged_sheet(label, ws.title, len(rows), exc)]) from None
    finally:
        wb.close()
    while rows and not any(rows[-1]):
        rows.pop()
    if not rows or not any(rows[0]):
        raise InputError("first sheet is empty; expected a header row and records", file=label)
    header = rows[0]
    width = len(header)
    while width and header[width - 1] == "":
        width -= 1
    body = [(r + [""] * width)[:width] for r in rows[1:]]
    frame = pd.DataFrame(body, columns=header[:width], dtype=object)
    return _strip_cells(frame)


def _cell_text(value: object) -> str:
    """Render an XLSX cell as the text a user sees (dates as ISO, whole floats without .0)."""
    import datetime as dt

    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _strip_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """Return the frame with every cell a stripped ``str`` in an object column."""
    return pd.DataFrame(
        {col: frame[col].astype(str).str.strip().astype(object) for col in frame.columns},
        index=frame.index,
    ) if len(set(frame.columns)) == len(frame.columns) else _strip_cells_positional(frame)


def _strip_cells_positional(frame: pd.DataFrame) -> pd.DataFrame:
    """Like :func:`_strip_cells` for a table whose header repeats a name."""
    out = frame.copy()
    for i in range(out.shape[1]):
        out.iloc[:, i] = out.iloc[:, i].astype(str).str.strip()
    return out.astype(object)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; move it into place only on success.

    A crash or an exception inside the block leaves no partial file at ``target``.

    Parameters
    ----------
    target : str or pathlib.Path
        Where the finished file should end up.

    Yields
    ------
    pathlib.Path
        A temporary file in the same folder, to be written by the caller.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp's 0600 would hide plans from colleagues
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def _umask() -> int:
    """Return the process umask (reading it requires setting it; it is restored at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_text_atomic(target: str | Path, text: str, encoding: str = "utf-8") -> None:
    r"""Write ``text`` to ``target`` whole or not at all.

    Parameters
    ----------
    target : str or pathlib.Path
        Destination file.
    text : str
        Content.
    encoding : str
        Text encoding (default UTF-8, newline ``\\n`` on every platform).
    """
    with atomic_path(target) as tmp:
        with open(tmp, "w", encoding=encoding, newline="\n") as fh:
            fh.write(text)


def write_csv_atomic(target: str | Path, frame: pd.DataFrame) -> None:
    r"""Write a DataFrame as UTF-8 CSV (no index, ``\\n`` line ends) whole or not at all.

    Parameters
    ----------
    target : str or pathlib.Path
        Destination file.
    frame : pandas.DataFrame
        The table.
    """
    write_text_atomic(target, frame.to_csv(index=False, lineterminator="\n"))
