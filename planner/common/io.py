"""Reading tables (CSV in UTF-8/BOM/GBK, or XLSX) and writing files whole or not at all.

Government exports are often GBK, so a CSV's encoding is detected: UTF-8 (with or without a
byte-order mark) is tried first, then GB18030 (a superset of GBK and GB2312). UTF-8 is
self-checking - GBK text with Chinese characters is practically never valid UTF-8 - so the
order is safe. An explicit ``encoding`` overrides the detection.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd

from planner.common.arrowtext import arrow_text
from planner.common.digest import sha256_bytes
from planner.common.errors import InputError, Problem
from planner.common.parquet import is_parquet, read_parquet_table, sha256_parquet

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
        return sha256_parquet(path)
    return sha256_bytes(path)


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
    lazy: Callable[[str], bool] | None = None,
) -> pd.DataFrame:
    """Read a CSV, XLSX or Parquet input into a DataFrame of stripped strings.

    Every cell is read as text (``""`` for empty) so that codes keep leading zeros and the
    schema decides the types. Header names are stripped of spaces and byte-order marks.

    A CSV file of :data:`ARROW_BYTES` or more that is plain UTF-8 (no padded cells, a header
    of distinct names) is parsed by pyarrow's multi-threaded reader; any other file, and any
    file that reader cannot parse, by pandas. Both give the same table; a cell-by-cell test
    holds them to it.

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
    lazy : callable, optional
        Given a column name, tells whether the caller reads that column only for a few rows
        (a directory's names and addresses, shown for the enterprises drawn). When the Arrow
        reader reads the file, such a column stays in Arrow memory as a pandas ``str``
        column instead of becoming one Python object per cell.

    Returns
    -------
    pandas.DataFrame
        All columns of dtype object holding ``str`` (``lazy`` columns may be ``str``).
        For Parquet, ``frame.attrs["parts"]`` lists the partition files (see
        :func:`planner.common.parquet.locate`).

    Raises
    ------
    InputError
        When the file is missing, empty, undecodable or not a readable table.
    """
    path = Path(path)
    label = label or str(path)
    if is_parquet(path):
        return read_parquet_table(path, label=label, keep=keep)
    if not path.is_file():
        raise InputError("file not found", file=label)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        frame = _read_xlsx(path, sheet, label)
    else:
        frame = _read_csv(path, label, encoding, lazy)
    frame.columns = [str(c).strip().lstrip("\ufeff").strip() for c in frame.columns]
    return frame


def _read_csv(path: Path, label: str, encoding: str | None, lazy) -> pd.DataFrame:
    """Read a CSV file: with pyarrow when it is large and plain (see :func:`read_table`), else pandas."""
    data = path.read_bytes()
    if _blank(data):
        raise InputError("file is empty; expected a header row and records", file=label)
    table = _read_csv_arrow(data, encoding) if len(data) >= ARROW_BYTES else None
    if table is not None:
        del data  # the table holds its own copy of the text
        columns = dict(zip(table.column_names, table.columns, strict=True))
        del table
        return arrow_frame(columns, lazy)
    text, used = decode_text(data, label, encoding)
    if used in ("utf-8-sig", "utf-8", "utf8"):
        utf8 = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    else:
        utf8 = text.encode("utf-8")
    padded = _may_have_padding(text)
    del text
    return _read_csv_bytes(utf8, label, padded)


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


def _surely_unpadded(data: bytes) -> bool:
    """Tell cheaply that no cell of these UTF-8 bytes can start or end with white space.

    False means "maybe": the text decides (:func:`_may_have_padding`). UTF-8 never encodes a
    character inside another, so a byte search finds what a text search does; the searches
    for U+00A0 and U+3000 run only when their first byte occurs at all (searching Chinese
    text for a multi-byte sequence is slow).
    """
    if data[:4].decode("utf-8", "ignore")[:1].isspace() or b" " in data or b"\t" in data:
        return False
    return not any(lead in data and char in data
                   for lead, char in ((b"\xc2", b"\xc2\xa0"), (b"\xe3", b"\xe3\x80\x80")))


def _blank(data: bytes) -> bool:
    """Tell whether a file's bytes are empty or only white space (without copying them)."""
    return re.search(rb"\S", data) is None



# From this size on, a CSV file is offered to pyarrow's multi-threaded reader (a city's
# directory and up); below it pandas is as quick.
ARROW_BYTES = 4 << 20


def _read_csv_arrow(data: bytes, encoding: str | None):
    """Parse plain UTF-8 CSV bytes with pyarrow, or return None to leave the file to pandas.

    The table, as text (:func:`arrow_frame`), equals pandas' (:func:`_read_csv_bytes`) cell
    for cell. So that it does, only
    files pandas and pyarrow read alike are taken: UTF-8 (pyarrow checks every cell; a GBK
    file fails that and goes to pandas), no cell that starts or ends with white space (pandas
    skips a field's leading spaces), a header of distinct, non-empty names (pandas renames a
    repeated one), and every record with the header's number of fields (pyarrow refuses
    others; pandas then says what is wrong). Embedded newlines in quoted cells are read.
    """
    if encoding not in (None, "utf-8", "utf8", "utf-8-sig") or b"\x00" in data:
        return None
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv
    except ImportError:
        return None
    start = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    if not _surely_unpadded(data):
        try:
            text = data[start:].decode("utf-8")
        except UnicodeDecodeError:
            return None
        if _may_have_padding(text) or ", " in text:
            return None
        del text
    header = _plain_header(data, start)
    if header is None:
        return None
    try:
        table = pacsv.read_csv(
            pa.py_buffer(data).slice(start),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=False,
                quoted_strings_can_be_null=False))
    except (pa.ArrowException, ValueError):
        return None
    if table.column_names != header:
        return None
    return table


def arrow_frame(columns: dict, lazy: Callable[[str], bool] | None = None) -> pd.DataFrame:
    """Turn Arrow columns of strings into a frame of text (:func:`arrow_text`), emptying ``columns``.

    Each Arrow column is taken out of ``columns`` and let go once it is converted, so a
    large directory's text is not held twice over while it becomes Python objects.

    Parameters
    ----------
    columns : dict
        Name -> ``pyarrow.ChunkedArray`` of strings, in the table's order; emptied.
    lazy : callable, optional
        Given a name, whether that column stays in Arrow memory (see :func:`read_table`).

    Returns
    -------
    pandas.DataFrame
        The columns in their order.
    """
    frame = {}
    for name in list(columns):
        frame[name] = arrow_text(columns.pop(name), lazy=bool(lazy and lazy(name)))
    # Each column stays its own block: stacking millions of cells into one costs a copy.
    return pd.DataFrame(frame, copy=False)


def _plain_header(data: bytes, start: int) -> list[str] | None:
    """Return the header's names when it is one plain line of distinct, non-empty names."""
    end = data.find(b"\n", start)
    line = data[start:] if end < 0 else data[start:end]
    try:
        text = line.decode("utf-8").removesuffix("\r")
    except UnicodeDecodeError:
        return None
    names = text.split(",")
    if '"' in text or "\r" in text or len(set(names)) != len(names):
        return None
    if any(not name or name != name.strip() for name in names):
        return None
    return names


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
    write_text_atomic(target, csv_text(frame))


def csv_text(frame: pd.DataFrame) -> str:
    r"""Return a table as the planner writes it: UTF-8 CSV text, no index, ``\n`` line ends.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table.

    Returns
    -------
    str
        The text :func:`write_csv_atomic` writes.
    """
    return frame.to_csv(index=False, lineterminator="\n")
