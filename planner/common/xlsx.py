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
import dataclasses
import datetime as dt
import gc
import math
import re
import unicodedata
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from planner.common.columns import Column
from planner.common.io import atomic_path

MAX_CELL_CHARS = 32_767
MAX_WIDTH = 60
LINE_HEIGHT = 13.5  # points per line of 10-point text
BODY_POINTS = 10  # the size of every cell's text (make_styles)
MIN_POINTS = 9  # the smallest printed text
MIN_SCALE = math.ceil(100 * MIN_POINTS / BODY_POINTS)  # per cent
A4_INCHES = (8.27, 11.69)
SIDE_MARGIN = 0.3  # inches, left and right
# LibreOffice draws a column about 5 % wider than Excel's rule (column_points): plan for the
# wider, so that the printed columns fit one page width in both.
WIDTH_ALLOWANCE = 1.06
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# The same characters in RE2's syntax, for Arrow's regular expressions.
_ILLEGAL_XML_RE2 = r"[\x{00}-\x{08}\x{0b}\x{0c}\x{0e}-\x{1f}\x{fffe}\x{ffff}]"
# The dtype of ``Series.astype(str)`` in this pandas (Arrow-backed text when pyarrow is here).
_TEXT_DTYPE = pd.Series([""]).astype(str).dtype
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
    with atomic_path(target) as tmp, _collector_paused():
        workbook = xlsxwriter.Workbook(str(tmp), options)
        workbook.set_properties(
            {"title": title, "subject": subject, "author": author, "created": created}
        )
        yield workbook
        workbook.close()


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector inside the block.

    XlsxWriter allocates objects for every cell, which sets off a collection every few
    hundred cells; pausing it makes a large sheet about 5 % faster. Memory is still freed as
    usual (reference counting); only cycles wait for the block's end.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


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
    count: object = None
    one_decimal: object = None
    percent: object = None


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
    base = {"font_name": "SimSun", "font_size": BODY_POINTS, "border": 1, "valign": "vcenter"}
    fill = {**base, "locked": False, "bg_color": "#FFF2CC"}
    return Styles(
        header=workbook.add_format(
            {**base, "bold": True, "bg_color": "#D9E1F2", "text_wrap": True, "align": "center"}
        ),
        text=workbook.add_format({**base, "text_wrap": True}),
        number=workbook.add_format({**base, "num_format": "0"}),
        decimal=workbook.add_format({**base, "num_format": "0.000000"}),
        date=workbook.add_format({**base, "num_format": "yyyy-mm-dd"}),
        fill_text=workbook.add_format(fill),
        fill_date=workbook.add_format({**fill, "num_format": "yyyy-mm-dd"}),
        title=workbook.add_format({"font_name": "SimSun", "bold": True, "font_size": 14}),
        key=workbook.add_format({**base, "bold": True}),
    )


def figure_styles(workbook: xlsxwriter.Workbook, styles: Styles) -> Styles:
    """Return ``styles`` with the formats of figures: counts, one decimal, percentages.

    Parameters
    ----------
    workbook : xlsxwriter.Workbook
        The workbook.
    styles : Styles
        Its formats (:func:`make_styles`).

    Returns
    -------
    Styles
        The same formats plus ``count`` (``#,##0``), ``one_decimal`` (``#,##0.0``) and
        ``percent`` (``0.0%``), for the ``int``, ``dec`` and ``pct`` column kinds.
    """
    base = {"font_name": "SimSun", "font_size": BODY_POINTS, "border": 1, "valign": "vcenter"}
    return dataclasses.replace(
        styles,
        count=workbook.add_format({**base, "num_format": "#,##0"}),
        one_decimal=workbook.add_format({**base, "num_format": "#,##0.0"}),
        percent=workbook.add_format({**base, "num_format": "0.0%"}),
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
    arrow = _arrow_text(values)
    if arrow is not None:  # text already, none missing: only look for what must go
        import pyarrow.compute as pc

        if len(arrow) == 0 or not (
            pc.any(pc.match_substring_regex(arrow, _ILLEGAL_XML_RE2)).as_py()
            or pc.max(pc.utf8_length(arrow)).as_py() > MAX_CELL_CHARS
        ):
            return values.copy()
    text = values.astype(object).where(values.notna(), "").astype(str)
    cells = text.to_numpy(dtype=object)
    joined = "\n".join(cells)  # one search over the column instead of one per cell
    if _ILLEGAL_XML.search(joined):
        text = text.str.replace(_ILLEGAL_XML, "", regex=True)
    if len(joined) > MAX_CELL_CHARS and max(map(len, cells)) > MAX_CELL_CHARS:
        text = text.str.slice(0, MAX_CELL_CHARS)
    return text


def _arrow_text(values: pd.Series):
    """Return the values as one Arrow string array when they are Arrow-backed text, none missing.

    Such a column is measured and checked with Arrow's compute functions, which give the
    same answers as Python's ``len`` and ``str.encode`` on each value, without making a
    Python string per cell. Otherwise (object or NumPy columns, missing values): None.
    """
    if values.dtype != _TEXT_DTYPE or getattr(values.dtype, "storage", None) != "pyarrow":
        return None
    import pyarrow as pa

    array = pa.array(values.array)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array if array.null_count == 0 else None


def text_widths(values: pd.Series) -> np.ndarray:
    """Return each value's display width: characters, plus one more for each wide character.

    A character of three or more UTF-8 bytes (CJK and full-width forms) counts as two
    columns, one of two bytes as one and a half, ASCII as one.

    Parameters
    ----------
    values : pandas.Series
        Text values.

    Returns
    -------
    numpy.ndarray
        One integer width per value.
    """
    arrow = _arrow_text(values)
    if arrow is not None:
        import pyarrow.compute as pc

        chars = pc.utf8_length(arrow).to_numpy().astype(np.int64)
        octets = pc.binary_length(arrow).to_numpy().astype(np.int64)
        return chars + (octets - chars) // 2
    codes, distinct = pd.factorize(np.array([str(v) for v in values.to_numpy(dtype=object)],
                                            dtype=object))
    texts = distinct.tolist()  # a column repeats its values (districts, dates): measure each once
    chars = np.fromiter((len(s) for s in texts), dtype=np.int64, count=len(texts))
    octets = np.fromiter((len(s.encode("utf-8")) for s in texts), dtype=np.int64,
                         count=len(texts))
    return (chars + (octets - chars) // 2)[codes] if len(codes) else np.zeros(0, dtype=np.int64)


def _text_width(text: str) -> int:
    """Return one text's :func:`text_widths` width."""
    return len(text) + (len(text.encode("utf-8")) - len(text)) // 2


def fit_widths(
    headers: Sequence[str], columns: Sequence[pd.Series], caps: Sequence[float] | None = None
) -> list[float]:
    """Return column widths that fit the header and the widest value, up to a cap.

    Text longer than its column's cap wraps (the text formats wrap), so that a sheet of
    many columns still prints legibly on one page width.

    Parameters
    ----------
    headers : sequence of str
        The header of each column.
    columns : sequence of pandas.Series
        The values of each column, as written.
    caps : sequence of float, optional
        The widest each column may be (default 60 for every column).

    Returns
    -------
    list of float
        One width per column.
    """
    return column_widths(headers, [text_widths(c) for c in columns], caps)


def column_widths(
    headers: Sequence[str], measured: Sequence[np.ndarray], caps: Sequence[float] | None = None
) -> list[float]:
    """Like :func:`fit_widths`, from each column's already measured text widths.

    Parameters
    ----------
    headers : sequence of str
        The header of each column.
    measured : sequence of numpy.ndarray
        Each column's :func:`text_widths`.
    caps : sequence of float, optional
        The widest each column may be (default 60).

    Returns
    -------
    list of float
        One width per column.
    """
    caps = caps or [MAX_WIDTH] * len(headers)
    widths = []
    for head, values, cap in zip(headers, measured, caps, strict=True):
        head_width = _text_width(str(head))
        widest = int(values.max()) if len(values) else 0
        widths.append(float(min(cap, max(head_width, widest) + 2)))
    return widths


def row_heights(measured: Sequence[np.ndarray], widths: Sequence[float]) -> np.ndarray:
    """Return each row's height in points so that wrapped text shows whole.

    Neither Excel nor LibreOffice reliably grows a row for wrapped text in a generated file,
    so heights are set: one text line per ``width - 1`` character units of the widest cell.

    Parameters
    ----------
    measured : sequence of numpy.ndarray
        The :func:`text_widths` of each text column (all of the same length).
    widths : sequence of float
        Each column's width.

    Returns
    -------
    numpy.ndarray
        Heights in points (``LINE_HEIGHT`` per line, at least one line).
    """
    n = len(measured[0]) if measured else 0
    lines = np.ones(n, dtype=np.int64)
    for needed, width in zip(measured, widths, strict=True):
        per_line = max(int(width) - 1, 1)
        lines = np.maximum(lines, -(-needed // per_line))
    return lines * LINE_HEIGHT + 3


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
    heights: Sequence[float] | None = None,
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
        ``"blank"`` (an empty, formatted cell, e.g. a cell to fill in) or ``"skip"``
        (nothing written).
    heights : sequence of float, optional
        Each row's height in points; rows of one line keep the default height.

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
    single = LINE_HEIGHT + 3
    for i in range(n):
        row = first_row + i
        if heights is not None and heights[i] > single:
            ws.set_row(row, float(heights[i]))
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
            elif kind == "blank":
                write_blank(row, col, None, style)
    return first_row + n


def _as_datetime(value) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.combine(value, dt.time())


@dataclass(frozen=True)
class PrintLayout:
    """How a sheet prints on A4: orientation, scale, and whether its columns fit one page width."""

    landscape: bool
    scale: int
    fits: bool

    @property
    def text_points(self) -> float:
        """The printed size of the sheet's body text (:data:`BODY_POINTS` at this scale)."""
        return BODY_POINTS * self.scale / 100


def column_points(width: float) -> float:
    """Return the printed width in points (at 100 %) of a column ``width`` character units wide.

    Excel's rule, which LibreOffice follows: 7 pixels per unit plus 5 pixels of padding (12
    pixels per unit below one unit), at 96 pixels per inch.

    Parameters
    ----------
    width : float
        The column width as given to ``set_column``.

    Returns
    -------
    float
        Points (1/72 inch).
    """
    pixels = int(width * 12 + 0.5) if width < 1 else int(width * 7 + 0.5) + 5
    return pixels * 72 / 96


def printable_points(landscape: bool) -> float:
    """Return the width inside the side margins of an A4 page, in points."""
    page = A4_INCHES[1] if landscape else A4_INCHES[0]
    return (page - 2 * SIDE_MARGIN) * 72


def print_layout(widths: Sequence[float]) -> PrintLayout:
    """Choose how the printed columns go on A4 so that text prints at >= :data:`MIN_POINTS`.

    Portrait at 100 % when the columns fit its width, else landscape, scaled down to fit the
    width only as far as :data:`MIN_SCALE`; wider sheets print at that scale on several
    pages across (the first columns repeated on each).

    Parameters
    ----------
    widths : sequence of float
        The widths of the columns that print.

    Returns
    -------
    PrintLayout
        Orientation and scale.
    """
    total = sum(column_points(w) for w in widths) * WIDTH_ALLOWANCE
    if total <= printable_points(False):
        return PrintLayout(landscape=False, scale=100, fits=True)
    scale = min(100, math.floor(100 * printable_points(True) / total)) if total else 100
    if scale >= MIN_SCALE:
        return PrintLayout(landscape=True, scale=scale, fits=True)
    return PrintLayout(landscape=True, scale=MIN_SCALE, fits=False)


def setup_print(
    ws: Worksheet, widths: Sequence[float], *, header_rows: int = 1, header_text: str = "",
    repeat_columns: int = 0,
) -> PrintLayout:
    """A4 at a scale that keeps text >= 9 pt, header rows repeated, page numbers.

    Parameters
    ----------
    ws : Worksheet
        The sheet.
    widths : sequence of float
        The widths of the columns that print (see :func:`print_layout`).
    header_rows : int
        How many rows at the top repeat on every printed page (0 for none).
    header_text : str
        Text printed at the top centre of each page (``&`` is escaped).
    repeat_columns : int
        How many columns at the left repeat on every page when the sheet is too wide for one.

    Returns
    -------
    PrintLayout
        The orientation and scale chosen.
    """
    layout = print_layout(widths)
    if layout.landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.set_paper(9)  # A4
    ws.set_print_scale(layout.scale)
    ws.set_margins(left=SIDE_MARGIN, right=SIDE_MARGIN, top=0.6, bottom=0.6)
    if header_rows:
        ws.repeat_rows(0, header_rows - 1)
    if not layout.fits:
        ws.print_across()  # each band of rows on consecutive pages, left part then right
        if repeat_columns:
            ws.repeat_columns(0, repeat_columns - 1)
    if header_text:
        # Excel drops a page header longer than 255 characters: shorten it instead.
        ws.set_header(("&C" + header_text.replace("&", "&&"))[:255].rstrip("&"))
    ws.set_footer("&C&P / &N")
    return layout


def write_pairs(ws: Worksheet, row: int, pairs: Sequence[tuple[str, object]], styles: Styles,
                value_width: float) -> int:
    """Write a key-value block in columns A and B, rows tall enough for wrapped values.

    Parameters
    ----------
    ws : Worksheet
        The sheet.
    row : int
        Zero-based row of the first pair.
    pairs : sequence of tuple
        (label, value): text values are written as text, numbers as numbers.
    styles : Styles
        The workbook's formats.
    value_width : float
        Column B's width, to size the rows of long values.

    Returns
    -------
    int
        The row after the block.
    """
    for label, value in pairs:
        ws.write_string(row, 0, label, styles.key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            ws.write_number(row, 1, value, styles.number)
        else:
            text = clean_text(pd.Series([value])).iloc[0]
            ws.write_string(row, 1, text, styles.text)
            height = row_heights([text_widths(pd.Series([text]))], [value_width])[0]
            if height > LINE_HEIGHT + 3:
                ws.set_row(row, float(height))
        row += 1
    return row


# How each column kind is written (see write_cells) and with which style of Styles.
_WRITE_KIND = {"text": "text", "number": "number", "date": "date", "fill": "blank",
               "fill_date": "blank", "int": "number", "dec": "number", "pct": "number"}
_STYLE_OF_KIND = {"text": "text", "number": "number", "date": "date", "fill": "fill_text",
                  "fill_date": "fill_date", "int": "count", "dec": "one_decimal",
                  "pct": "percent"}


def write_table(
    ws: Worksheet,
    columns: Sequence[Column],
    values: Sequence[pd.Series],
    language: str,
    styles: Styles,
    *,
    first_row: int = 0,
    measured: Sequence[np.ndarray | None] | None = None,
    min_widths: Sequence[float] | None = None,
    header_height: float | None = 30,
    wrap_rows: bool = True,
    fill_cells: bool = True,
    freeze_columns: int | None = 0,
    autofilter: bool = True,
    print_title: str | None = None,
    print_keys: Collection[str] | None = None,
) -> list[float]:
    """Write one table sheet: widths, header, cells, frozen header, filter and print set-up.

    Every table people read (the plan sheet of ``plan.xlsx`` and of the field workbooks, the
    result notice and the task notice's name list) is written by this function from its
    columns' one declaration (:mod:`planner.common.columns`).

    Parameters
    ----------
    ws : Worksheet
        The sheet.
    columns : sequence of Column
        The table's columns, in order.
    values : sequence of pandas.Series
        Each column's values, all the same length (ignored for ``fill`` columns).
    language : str
        ``"zh"`` or ``"en"``: the headers' language.
    styles : Styles
        The workbook's formats (:func:`make_styles`).
    first_row : int
        Zero-based row of the header.
    measured : sequence, optional
        Each column's :func:`text_widths`, where already measured (None entries: measure).
    min_widths : sequence of float, optional
        The narrowest each column may be (e.g. to hold a key-value block above the table).
    header_height : float, optional
        The header row's height in points (None: the default).
    wrap_rows : bool
        Set row heights so that wrapped text shows whole (:func:`row_heights`).
    fill_cells : bool
        Write the ``fill`` columns' shaded empty cells (field workbooks); otherwise leave them
        empty.
    freeze_columns : int, optional
        Freeze the header and this many columns (None: freeze nothing).
    autofilter : bool
        Put a filter on the header.
    print_title : str, optional
        Set up printing (:func:`setup_print`) with this page header, the header row repeated
        on every page (None: no print set-up).
    print_keys : collection of str, optional
        The columns that print (None: all). The print area spans the first to the last of
        them; a column between them that does not print is hidden (say what it holds in the
        page header). Printing scales the printed columns to one A4 width only as far as
        text stays >= 9 pt.

    Returns
    -------
    list of float
        The column widths.
    """
    headers = [c.header(language) for c in columns]
    n = len(values[0]) if values else 0
    kinds = [_WRITE_KIND[c.kind] for c in columns]
    if not fill_cells:
        kinds = ["skip" if k == "blank" else k for k in kinds]
    cell_styles = [getattr(styles, _STYLE_OF_KIND[c.kind]) for c in columns]
    sizes = []
    for i, (column, series) in enumerate(zip(columns, values, strict=True)):
        if column.kind in ("fill", "fill_date"):
            sizes.append(np.zeros(0, dtype=np.int64))
        elif measured is not None and measured[i] is not None:
            sizes.append(measured[i])
        else:
            sizes.append(text_widths(series))
    widths = column_widths(headers, sizes, [c.cap for c in columns])
    widths = [c.cap if c.fixed else w for c, w in zip(columns, widths, strict=True)]
    if min_widths is not None:
        widths = [max(w, m) for w, m in zip(widths, min_widths, strict=True)]
    printed = [i for i, c in enumerate(columns) if print_keys is None or c.key in print_keys]
    span = range(printed[0], printed[-1] + 1) if printed else range(len(columns))
    for col, width in enumerate(widths):
        hidden = col in span and col not in printed
        ws.set_column(col, col, width, None, {"hidden": True} if hidden else None)
    heights = None
    if wrap_rows:
        text = [i for i, c in enumerate(columns) if c.kind == "text"]
        heights = row_heights([sizes[i] for i in text], [widths[i] for i in text])
    header_lines = row_heights([np.array([_text_width(h)]) for h in headers], widths)[0]
    height = max(header_height or 0, header_lines)
    if height > LINE_HEIGHT + 3:
        ws.set_row(first_row, float(height))
    write_header(ws, first_row, headers, styles.header)
    write_cells(ws, first_row + 1, values, cell_styles, kinds, heights)
    if freeze_columns is not None:
        ws.freeze_panes(first_row + 1, freeze_columns)
    if autofilter:
        ws.autofilter(first_row, 0, first_row + max(n, 1), len(columns) - 1)
    if print_title is not None:
        if len(span) < len(columns):
            ws.print_area(0, span[0], first_row + max(n, 1), span[-1])
        setup_print(ws, [widths[i] for i in printed], header_rows=0, header_text=print_title,
                    repeat_columns=min(3, len(columns)))
        ws.repeat_rows(first_row)
    return widths


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
