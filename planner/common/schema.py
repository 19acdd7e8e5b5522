"""Column specifications of the five inputs, header matching and typed parsing.

Headers may be written in English or Chinese (government exports use either); both spellings are listed
here. Matching ignores case, surrounding spaces, and treats spaces and hyphens in English
names as underscores. Unknown extra columns are kept and ignored.

Row numbers in messages are spreadsheet rows: the header is row 1, the first record row 2.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.common.errors import Problem
from planner.common.keys import repeated


@dataclass(frozen=True)
class Column:
    """One column of an input: canonical name, accepted spellings, whether it must be present."""

    name: str
    spellings: tuple[str, ...]
    required: bool = True

    def accepted(self) -> str:
        """Return the accepted spellings, for messages."""
        return " / ".join(self.spellings)


def _c(name: str, *spellings: str | tuple[str, ...], required: bool = True) -> Column:
    flat: list[str] = []
    for s in spellings:
        flat.extend((s,) if isinstance(s, str) else s)
    return Column(name, (name, *flat), required)


ENTERPRISE_COLUMNS = (
    _c("enterprise_id", "统一社会信用代码", "credit_code", "uscc"),
    _c("name", "企业名称", ("市场主体名称", "enterprise_name")),
    _c("district", "所属区域", "区域"),
    _c("station", "管辖单位", required=False),
    _c("risk_grade", ("风险等级", "信用风险分类", "风险分类"), "grade", required=False),
    _c("score", "信用得分", ("风险得分", "得分"), required=False),
    _c("points", "积分", required=False),
    _c("category", "行业类别", required=False),
    _c("address", ("地址", "住所", "经营场所"), required=False),
    _c("status", "经营状态", ("登记状态",), required=False),
    _c("registration_authority", "登记机关", required=False),
)

INSPECTOR_COLUMNS = (
    _c("inspector_id", "人员编号", "id"),
    _c("name", "姓名"),
    _c("department", "所属部门", "部门"),
    _c("district", "所属区域", "区域"),
    _c("station", "管辖单位", required=False),
    _c("certificate_no", "执法证号", "certificate"),
    _c("certificate_expiry", "执法证有效期", ("有效期", "certificate_valid_until")),
    _c("can_lead", "可任主检", "lead"),
    _c("capacity", "最大检查户数", required=False),
    _c("available", "是否可用", required=False),
    _c("qualifications", "检查资质", required=False),
    _c("group", "检查小组", required=False),
)

AVOIDANCE_COLUMNS = (
    _c("inspector_id", "人员编号"),
    _c("enterprise_id", "统一社会信用代码"),
    _c("reason", "回避原因", required=False),
)

HISTORY_COLUMNS = (
    _c("enterprise_id", "统一社会信用代码"),
    _c("inspector_id", "人员编号", required=False),
    _c("date", ("检查日期", "检查完成日期"), "inspection_date"),
    _c("result", "检查结果", required=False),
    _c("department", ("检查部门", "部门"), required=False),
    _c("task", ("抽查任务", "任务编号", "抽查任务编号"), required=False),
)

ITEM_COLUMNS = (
    _c("item_code", ("事项编码", "抽查事项编码")),
    _c("item_name", ("事项名称", "抽查事项")),
    _c("department", ("所属部门", "检查主体")),
    _c("legal_basis", ("法律依据", "检查依据"), required=False),
    _c("method", "检查方式", required=False),
    _c("categories", ("适用行业类别", "适用类别"), required=False),
    _c("qualification", ("所需资质", "检查资质"), required=False),
)

INACTIVE_STATUS = ("注销", "吊销", "停业", "撤销", "迁出", "清算", "歇业", "关闭",
                   "deregistered", "revoked", "closed", "suspended", "cancelled")

TRUE_WORDS = {"true", "yes", "y", "1", "是", "可", "能", "√", "t"}
FALSE_WORDS = {"false", "no", "n", "0", "否", "不可", "不能", "×", "f", ""}


def header_key(text: str) -> str:
    """Return a header as it is matched: stripped, lower case, spaces and dashes as ``_``."""
    text = str(text).strip().lstrip("\ufeff").lower()
    return re.sub(r"[\s\-]+", "_", text)


def map_headers(
    frame: pd.DataFrame, columns: tuple[Column, ...], label: str
) -> tuple[pd.DataFrame, list[Problem]]:
    """Rename known headers to their canonical names; report missing required columns.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table as read.
    columns : tuple of Column
        The input's specification.
    label : str
        The file name for messages.

    Returns
    -------
    tuple
        The renamed frame (optional columns absent from the file are added empty) and the
        problems found (missing required columns, a column given twice).
    """
    problems: list[Problem] = []
    by_key = {header_key(h): h for h in frame.columns}
    rename: dict[str, str] = {}
    for col in columns:
        found = [by_key[header_key(s)] for s in col.spellings if header_key(s) in by_key]
        found = list(dict.fromkeys(found))
        if len(found) > 1:
            problems.append(
                Problem(label, f"column {col.name} is given twice: {' and '.join(found)}; keep one",
                        row=1, column=found[1])
            )
        if found:
            rename[found[0]] = col.name
        elif col.required:
            problems.append(
                Problem(label, "missing required column" + _nearest_header(col, frame, columns)
                        + f"; accepted headers: {col.accepted()}", row=1, column=col.name)
            )
    if any(p.message.startswith("missing required column") for p in problems):
        hint = _header_below(frame, columns)
        if hint:  # one root cause, one message: the missing columns are all below it
            problems = [Problem(label, hint, row=1)] + [
                p for p in problems if not p.message.startswith("missing required column")]
    duplicated = [h for h in frame.columns if list(frame.columns).count(h) > 1]
    if duplicated:
        problems.append(Problem(label, "header repeats a column name", row=1, column=duplicated[0]))
        return frame, problems
    out = frame.rename(columns=rename)
    for col in columns:
        if col.name not in out.columns:
            out[col.name] = ""
    return out, problems


def _nearest_header(col: Column, frame: pd.DataFrame, columns: tuple[Column, ...]) -> str:
    """Say which header of the file looks like a misspelling of ``col``, if one does.

    Only headers that name no known column are candidates; a header is near when one
    spelling contains the other (信用代码 in 统一社会信用代码) or they are close
    (:func:`difflib.get_close_matches`, cutoff 0.75).
    """
    known = {header_key(s) for c in columns for s in c.spellings}
    free = [h for h in frame.columns if header_key(h) not in known and str(h).strip()
            and not re.fullmatch(r"Unnamed: \d+", str(h))]  # pandas' name of a blank header
    for header in free:
        key = header_key(header)
        for spelling in col.spellings:
            target = header_key(spelling)
            if (len(key) >= 2 and (key in target or target in key)) or \
                    difflib.get_close_matches(key, [target], n=1, cutoff=0.75):
                return f" (the file has {str(header).strip()!r}: did you mean {spelling}?)"
    return ""


def _header_below(frame: pd.DataFrame, columns: tuple[Column, ...],
                  rows: int = 10) -> str | None:
    """Return a hint when the real header sits below a title row, else None."""
    known = {header_key(s) for c in columns if c.required for s in c.spellings}
    for k, values in enumerate(frame.head(rows).itertuples(index=False)):
        hits = sum(header_key(v) in known for v in values if isinstance(v, str))
        if hits >= 2:
            return (f"the header seems to be on row {k + 2}, below a title row: delete the "
                    f"row(s) above it (1-{k + 1}), so that row 1 holds the column names")
    return None


def as_text(values: pd.Series) -> pd.Series:
    """Return ``values.astype(str)``, or ``values`` itself when it is already a column of ``str``.

    An input's columns hold ``str`` objects (see :func:`planner.common.io.read_table`);
    turning millions of them into text again, as ``astype(str)`` does (into Arrow memory
    under pandas 3), would cost a tenth of a second a column for the same values.
    """
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=False) == "string":
        return values
    return values.astype(str)


def rows_of(frame: pd.DataFrame, mask: np.ndarray | pd.Series) -> np.ndarray:
    """Return spreadsheet row numbers (header = 1) of the rows where ``mask`` holds."""
    return np.flatnonzero(np.asarray(mask)) + 2


def require_values(
    frame: pd.DataFrame, names: tuple[str, ...], label: str
) -> list[Problem]:
    """Report empty cells in columns that must be filled.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table with canonical column names.
    names : tuple of str
        Columns that may not be empty.
    label : str
        The file name for messages.

    Returns
    -------
    list of Problem
        One per empty cell.
    """
    problems = []
    for name in names:
        for row in rows_of(frame, (frame[name] == "").to_numpy()):
            problems.append(Problem(label, "empty cell; a value is required", row=int(row), column=name))
    return problems


def duplicates(frame: pd.DataFrame, column: str, label: str, what: str, *,
               repeats: np.ndarray | None = None) -> list[Problem]:
    """Report every repeated value of an id column, naming the row it first appeared in.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table.
    column : str
        The id column.
    label : str
        The file name for messages.
    what : str
        What the id identifies, e.g. ``"enterprise"``.
    repeats : numpy.ndarray, optional
        :func:`~planner.common.keys.repeated` of the column, when already known (e.g. from
        :meth:`~planner.common.keys.IdIndex.repeated`).

    Returns
    -------
    list of Problem
        One per repeated row.
    """
    values = frame[column]
    dup = (repeated(values) if repeats is None else repeats) & (values != "").to_numpy()
    if not dup.any():
        return []
    problems = []
    first_seen = values.drop_duplicates(keep="first")
    first_row = dict(zip(first_seen.to_numpy(), first_seen.index.to_numpy() + 2, strict=True))
    for row in rows_of(frame, dup):
        value = values.iloc[row - 2]
        problems.append(
            Problem(label, f"duplicate {what} id; first given in row {first_row[value]}",
                    row=int(row), column=column, value=value)
        )
    return problems


def parse_dates(
    frame: pd.DataFrame, column: str, label: str, *, required: bool = True
) -> tuple[pd.Series, list[Problem]]:
    """Parse ISO-like dates (2026-03-31, 2026/3/31, 20260331, 2026年3月31日).

    Parameters
    ----------
    frame : pandas.DataFrame
        The table.
    column : str
        The date column.
    label : str
        The file name for messages.
    required : bool
        Whether an empty cell is a problem.

    Returns
    -------
    tuple
        ``datetime64[ns]`` Series (NaT where empty or bad) and the problems found.
    """
    text = frame[column].astype(str)
    parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    odd = (parsed.isna() & (text != "")).to_numpy()
    if odd.any():  # other spellings: 2026/3/31, 20260331, 2026年3月31日, with a time
        parsed[odd] = _parse_loose_dates(text[odd]).to_numpy()
    problems = []
    bad = parsed.isna() & (text != "")
    for row in rows_of(frame, bad):
        problems.append(
            Problem(label, "not a date; write it as YYYY-MM-DD", row=int(row), column=column,
                    value=text.iloc[row - 2])
        )
    if required:
        for row in rows_of(frame, text == ""):
            problems.append(Problem(label, "empty cell; a date is required", row=int(row), column=column))
    return parsed, problems


def _parse_loose_dates(text: pd.Series) -> pd.Series:
    """Parse dates written with / . 年月日, as eight digits, or followed by a time."""
    cleaned = (
        text.str.replace(r"[年月/.]", "-", regex=True)
        .str.replace("日", "", regex=False)
        .str.replace(r"\s+\d{1,2}:\d{2}(:\d{2})?$", "", regex=True)
    )
    compact = cleaned.str.fullmatch(r"\d{8}")
    cleaned = cleaned.where(~compact, cleaned.str.slice(0, 4) + "-" + cleaned.str.slice(4, 6)
                            + "-" + cleaned.str.slice(6, 8))
    return pd.to_datetime(cleaned, format="%Y-%m-%d", errors="coerce")


def parse_bools(
    frame: pd.DataFrame, column: str, label: str, *, default: bool
) -> tuple[pd.Series, list[Problem]]:
    """Parse yes/no cells (是/否, true/false, y/n, 1/0); empty cells take ``default``.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table.
    column : str
        The column.
    label : str
        The file name for messages.
    default : bool
        Value of an empty cell.

    Returns
    -------
    tuple
        Boolean Series and the problems found.
    """
    text = frame[column].astype(str).str.strip().str.lower()
    truth = text.isin(TRUE_WORDS)
    falsity = text.isin(FALSE_WORDS - {""})
    empty = text == ""
    problems = [
        Problem(label, "not yes/no; write 是/否 or true/false", row=int(row), column=column,
                value=frame[column].iloc[row - 2])
        for row in rows_of(frame, ~(truth | falsity | empty))
    ]
    return (truth | (empty & default)).astype(bool), problems


def parse_counts(
    frame: pd.DataFrame, column: str, label: str
) -> tuple[pd.Series, list[Problem]]:
    """Parse non-negative whole numbers; empty cells become ``<NA>``.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table.
    column : str
        The column.
    label : str
        The file name for messages.

    Returns
    -------
    tuple
        ``Int64`` Series and the problems found.
    """
    text = frame[column].astype(str)
    numbers = pd.to_numeric(text.where(text != ""), errors="coerce")
    bad = (text != "") & (numbers.isna() | (numbers < 0) | (numbers % 1 != 0))
    problems = [
        Problem(label, "not a whole number >= 0", row=int(row), column=column,
                value=text.iloc[row - 2])
        for row in rows_of(frame, bad)
    ]
    return numbers.where(~bad).astype("Int64"), problems


def is_inactive(status: pd.Series) -> pd.Series:
    """Tell which statuses mean the enterprise may not be drawn (注销, 吊销, 停业, ...)."""
    pattern = re.compile("|".join(re.escape(s) for s in INACTIVE_STATUS))
    codes, uniques = pd.factorize(as_text(status))
    verdict = np.array([bool(pattern.search(s.lower())) for s in uniques], dtype=bool)
    return pd.Series(verdict[codes] if len(codes) else np.zeros(0, dtype=bool), index=status.index)
