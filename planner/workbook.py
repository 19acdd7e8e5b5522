"""Deterministic, formula-safe XLSX writing on top of XlsxWriter.

Three promises hold for every workbook the planner writes:

- **Byte-identical for the same content.** The document's created time is fixed (the caller
  passes one derived from the plan, never the clock), XlsxWriter stamps every zip entry with
  1980-01-01, and rows and sheets are written in a stable order.
- **Text stays text.** Every text cell is written with ``write_string`` and the workbook is
  opened with ``strings_to_formulas``, ``strings_to_numbers`` and ``strings_to_urls`` off, so a
  name such as ``=HYPERLINK("http://x", "y")`` or ``+86 ...`` is stored as a string, never as a
  formula. Control characters that XML cannot hold are dropped.
- **Whole or not at all.** The workbook is written to a temporary file beside the target and
  moved into place only when it has been closed successfully.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from planner.io import atomic_path

MAX_CELL_CHARS = 32_767
MAX_WIDTH = 60
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_WIDE = r"[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf" \
        r"\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]"
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                     *(f"LPT{i}" for i in range(1, 10))}


@contextlib.contextmanager
def deterministic_workbook(
    target: str | Path,
    *,
    created: dt.datetime,
    title: str = "",
    subject: str = "",
    author: str = "",
    large: bool = False,
) -> Iterator[xlsxwriter.Workbook]:
    """Open an XlsxWriter workbook that is written reproducibly and moved into place whole.

    Parameters
    ----------
    target : str or pathlib.Path
        Where the finished ``.xlsx`` goes.
    created : datetime.datetime
        The document's created time (fixed by the caller, e.g. the plan's start date).
    title, subject, author : str
        Document properties.
    large : bool
        Use XlsxWriter's constant-memory mode (rows must then be written in order); otherwise
        the workbook is assembled in memory, which is fastest for small files.

    Yields
    ------
    xlsxwriter.Workbook
        The open workbook; it is closed and moved into place when the block ends without error.
    """
    options = {
        "strings_to_formulas": False,
        "strings_to_numbers": False,
        "strings_to_urls": False,
        "constant_memory": large,
        "in_memory": not large,
    }
    with atomic_path(target) as tmp:
        workbook = xlsxwriter.Workbook(str(tmp), options)
        workbook.set_properties(
            {"title": title, "subject": subject, "author": author, "created": created}
        )
        yield workbook
        workbook.close()


@dataclass(frozen=True)
class Styles:
    """The cell formats of a planner workbook."""

    header: object
    text: object
    number: object
    decimal: object
    date: object
    fill_text: object
    fill_date: object
    title: object
    key: object


def make_styles(workbook: xlsxwriter.Workbook) -> Styles:
    """Create the formats every planner workbook uses.

    Parameters
    ----------
    workbook : xlsxwriter.Workbook
        The workbook.

    Returns
    -------
    Styles
        Locked header/text/number formats, and unlocked ``fill_*`` formats for the cells
        field teams fill in (shaded so that they stand out).
    """
    base = {"font_name": "SimSun", "font_size": 10, "border": 1, "valign": "vcenter"}
    fill = {**base, "locked": False, "bg_color": "#FFF2CC"}
    return Styles(
        header=workbook.add_format(
            {**base, "bold": True, "bg_color": "#D9E1F2", "text_wrap": True, "align": "center"}
        ),
        text=workbook.add_format({**base, "text_wrap": False}),
        number=workbook.add_format({**base, "num_format": "0"}),
        decimal=workbook.add_format({**base, "num_format": "0.000000"}),
        date=workbook.add_format({**base, "num_format": "yyyy-mm-dd"}),
        fill_text=workbook.add_format(fill),
        fill_date=workbook.add_format({**fill, "num_format": "yyyy-mm-dd"}),
        title=workbook.add_format({"font_name": "SimSun", "bold": True, "font_size": 14}),
        key=workbook.add_format({**base, "bold": True}),
    )


def clean_text(values: pd.Series) -> pd.Series:
    """Return the values as text that XLSX can hold: no XML control characters, not too long.

    Parameters
    ----------
    values : pandas.Series
        Any values; missing values become ``""``.

    Returns
    -------
    pandas.Series
        ``str`` values.
    """
    text = values.astype(object).where(values.notna(), "").astype(str)
    text = text.str.replace(_ILLEGAL_XML, "", regex=True)
    return text.str.slice(0, MAX_CELL_CHARS)


def display_width(values: pd.Series) -> int:
    """Return the widest value's width in Excel character units (CJK characters count 2).

    Parameters
    ----------
    values : pandas.Series
        Text values.

    Returns
    -------
    int
        The largest display width (0 for an empty series).
    """
    if values.empty:
        return 0
    text = values.astype(str)
    widths = text.str.len() + text.str.count(_WIDE)
    return int(widths.max())


def fit_widths(headers: Sequence[str], columns: Sequence[pd.Series]) -> list[float]:
    """Return column widths that fit the header and the widest value, capped at 60.

    Parameters
    ----------
    headers : sequence of str
        The header of each column.
    columns : sequence of pandas.Series
        The values of each column, as written.

    Returns
    -------
    list of float
        One width per column.
    """
    widths = []
    for head, values in zip(headers, columns, strict=True):
        head_width = display_width(pd.Series([head]))
        widths.append(float(min(MAX_WIDTH, max(head_width, display_width(values)) + 2)))
    return widths


def write_header(ws: Worksheet, row: int, headers: Sequence[str], style) -> None:
    """Write a header row of strings."""
    for col, text in enumerate(headers):
        ws.write_string(row, col, text, style)


def write_cells(
    ws: Worksheet,
    first_row: int,
    columns: Sequence[pd.Series],
    styles: Sequence[object],
    kinds: Sequence[str],
) -> int:
    """Write a block of cells row by row (constant-memory safe).

    Parameters
    ----------
    ws : Worksheet
        The sheet.
    first_row : int
        Zero-based row of the first record.
    columns : sequence of pandas.Series
        The values of each column, all the same length.
    styles : sequence
        The format of each column.
    kinds : sequence of str
        ``"text"`` (written with ``write_string``, never a formula), ``"number"`` (a number,
        blank when missing), ``"date"`` (a ``datetime.date``, blank when missing) or
        ``"blank"`` (an empty, formatted cell, e.g. a cell to fill in).

    Returns
    -------
    int
        The zero-based row after the last one written.
    """
    arrays = [np.asarray(c.to_numpy(dtype=object)) for c in columns]
    n = len(arrays[0]) if arrays else 0
    plan = list(zip(range(len(arrays)), arrays, styles, kinds, strict=True))
    write_string = ws.write_string
    write_number = ws.write_number
    write_blank = ws.write_blank
    write_datetime = ws.write_datetime
    for i in range(n):
        row = first_row + i
        for col, values, style, kind in plan:
            value = values[i]
            if kind == "text":
                if value:
                    write_string(row, col, value, style)
                else:
                    write_blank(row, col, None, style)
            elif kind == "number":
                if value is None or (isinstance(value, float) and np.isnan(value)):
                    write_blank(row, col, None, style)
                else:
                    write_number(row, col, value, style)
            elif kind == "date":
                if value is None or value is pd.NaT or value == "":
                    write_blank(row, col, None, style)
                else:
                    write_datetime(row, col, _as_datetime(value), style)
            else:
                write_blank(row, col, None, style)
    return first_row + n


def _as_datetime(value) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.combine(value, dt.time())


def setup_print(ws: Worksheet, *, header_rows: int = 1, header_text: str = "") -> None:
    """Landscape A4, fit to one page wide, header rows repeated on every page, page numbers.

    Parameters
    ----------
    ws : Worksheet
        The sheet.
    header_rows : int
        How many rows at the top repeat on every printed page (0 for none).
    header_text : str
        Text printed at the top centre of each page (``&`` is escaped).
    """
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    if header_rows:
        ws.repeat_rows(0, header_rows - 1)
    if header_text:
        ws.set_header("&C" + header_text.replace("&", "&&"))
    ws.set_footer("&C&P / &N")


def safe_filename(stem: str, *, max_length: int = 80) -> str:
    r"""Return ``stem`` made safe as a file name on Windows, macOS and Linux.

    Reserved characters (``<>:"/\|?*`` and control characters) become ``_``, trailing dots
    and spaces are removed, reserved device names (``CON``, ``COM1`` ...) get a ``_`` prefix,
    Unicode is NFC-normalised and the length is capped.

    Parameters
    ----------
    stem : str
        The wanted name, without extension.
    max_length : int
        Maximum length in characters.

    Returns
    -------
    str
        A non-empty safe name.
    """
    text = unicodedata.normalize("NFC", stem)
    text = re.sub(r'[<>:"/\\|?*\x00-\x1f\x7f]', "_", text)
    text = re.sub(r"\s+", " ", text).strip()
    text = text[:max_length].rstrip(". ")
    if not text:
        text = "_"
    if text.split(".")[0].upper() in _WINDOWS_RESERVED:
        text = "_" + text
    return text


def unique_filenames(stems: Sequence[str], suffix: str = ".xlsx") -> list[str]:
    """Make safe file names unique (case-insensitively, as Windows compares them).

    Parameters
    ----------
    stems : sequence of str
        Wanted names without extension, in a stable order.
    suffix : str
        The extension to add.

    Returns
    -------
    list of str
        Safe names; a name already taken gets ``-2``, ``-3`` ... in order of appearance.
    """
    taken: set[str] = set()
    names = []
    for stem in stems:
        base = safe_filename(stem)
        name, k = base, 1
        while (name + suffix).lower() in taken:
            k += 1
            name = f"{base}-{k}"
        taken.add((name + suffix).lower())
        names.append(name + suffix)
    return names
