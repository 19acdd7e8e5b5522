"""Write the regraded directory in the format and encoding it was read in.

The new directory is the input file with only the changed cells rewritten: the grade column
(风险等级 / risk_grade) for a levels scheme; the points column (积分 / points) for a points
scheme, and its grade column too when the file has one or a lock holds (a grade overrides the
points when the directory is read). Every other cell, the headers and their order are kept,
so the next quarter's scenario reads it unchanged. A CSV keeps its detected encoding (UTF-8,
UTF-8 with BOM, GB18030) and line ends; an XLSX is written as a one-sheet workbook of text
cells with the same sheet name.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from planner.common import schema
from planner.common.io import atomic_path, decode_text, read_table


@dataclass
class SourceTable:
    """The directory file as read: raw text cells, header map, encoding, line ends."""

    path: Path
    raw: pd.DataFrame
    header_of: dict[str, str]  # canonical column -> header as written
    encoding: str | None  # None for XLSX
    newline: str
    sheet: str | None

    @property
    def suffix(self) -> str:
        """``.xlsx`` or ``.csv``."""
        return ".xlsx" if self.encoding is None else ".csv"


def read_source(path: Path, *, encoding: str | None = None, sheet: str | None = None
                ) -> SourceTable:
    """Read the directory file's raw cells and how it was written.

    Parameters
    ----------
    path : pathlib.Path
        The directory (CSV or XLSX).
    encoding : str, optional
        CSV encoding; detected when omitted.
    sheet : str, optional
        XLSX sheet (default the first).

    Returns
    -------
    SourceTable
        Raw cells and format.
    """
    raw = read_table(path, encoding=encoding, sheet=sheet, label=str(path))
    mapped, _ = schema.map_headers(raw.head(0), schema.ENTERPRISE_COLUMNS, str(path))
    header_of = {new: old for old, new in zip(raw.columns, mapped.columns, strict=False)}
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True)
        name = sheet or wb.sheetnames[0]
        wb.close()
        return SourceTable(path, raw, header_of, None, "\n", name)
    data = path.read_bytes()
    _, used = decode_text(data, str(path), encoding)
    if used == "utf-8-sig" and not data.startswith(b"\xef\xbb\xbf"):
        used = "utf-8"
    newline = "\r\n" if b"\r\n" in data[:65536] else "\n"
    return SourceTable(path, raw, header_of, used, newline, None)


def updated_table(source: SourceTable, columns: dict[str, pd.Series],
                  add_headers: dict[str, str]) -> pd.DataFrame:
    """Return the raw table with the given canonical columns' cells replaced.

    Parameters
    ----------
    source : SourceTable
        The file as read.
    columns : dict
        Canonical column name -> new text per row (rows where the text is None keep theirs).
    add_headers : dict
        Canonical column -> header to add when the file lacks the column.

    Returns
    -------
    pandas.DataFrame
        The table to write.
    """
    table = source.raw.copy()
    for name, values in columns.items():
        header = source.header_of.get(name)
        if header is None:
            header = add_headers[name]
            table[header] = ""
        keep = values.isna().to_numpy()
        table[header] = table[header].where(keep, values.fillna("").to_numpy())
    return table


def write_directory(source: SourceTable, table: pd.DataFrame, target: Path,
                    *, created: dt.datetime) -> None:
    """Write the table in the source's format and encoding, whole or not at all.

    Parameters
    ----------
    source : SourceTable
        The file it came from.
    table : pandas.DataFrame
        Text cells.
    target : pathlib.Path
        The file to write (``.csv`` or ``.xlsx`` as the source).
    created : datetime.datetime
        The workbook's created time (XLSX), fixed so that the bytes are reproducible.
    """
    if source.encoding is not None:
        text = table.to_csv(index=False, lineterminator=source.newline)
        with atomic_path(target) as tmp:
            tmp.write_bytes(text.encode(source.encoding))
        return
    import xlsxwriter

    with atomic_path(target) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False,
                                            "strings_to_numbers": False,
                                            "strings_to_urls": False, "in_memory": True})
        wb.set_properties({"created": created})
        ws = wb.add_worksheet(source.sheet or "Sheet1")
        for c, header in enumerate(table.columns):
            ws.write_string(0, c, str(header))
        for r, row in enumerate(table.itertuples(index=False), start=1):
            for c, value in enumerate(row):
                ws.write_string(r, c, "" if value is None else str(value))
        wb.close()
