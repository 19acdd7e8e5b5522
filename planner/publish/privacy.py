"""Nothing private reaches the public notice: free text is checked before it is published.

Free text (备注, the reason of a correction) is searched for personal and internal data:

- phone numbers: mobile (1[3-9] and 9 digits) and landline (0 + area code + 7-8 digits);
- resident identity numbers: 18 characters whose check digit (ISO 7064 MOD 11-2) and birth
  date are valid;
- certificate numbers: the roster's 执法证号, and any number after 证号 / 证书编号 / 执法证;
- the name or id of any inspector on the roster, also written with spaces inside;
- the scheme's internal class words: "<class>类" / "<class>级" for each risk class, and
  高风险, 中风险, 低风险, 较高风险, 红码, 黄码, 绿码, 风险等级, 风险分类, 信用风险.

Spaces (also full-width) and hyphens are ignored when matching, so "张 三" and
"138 0013 8000" are found. :func:`find_private` returns each hit with its kind; the results
import turns hits into errors, or masks them (``[export] remarks = "redact"``) and lists them
in ``redactions.csv``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from planner.common import schema
from planner.common.errors import InputError
from planner.common.io import read_table

INTERNAL_WORDS = ("高风险", "中风险", "低风险", "较高风险", "较低风险", "红码", "黄码", "绿码",
                  "风险等级", "风险分类", "信用风险", "重点监管对象")
# Characters ignored inside a match: spaces, full-width spaces, hyphens, dots between digits.
_GAP = "[ \u3000\t\\-]*"
_MOBILE = re.compile(r"(?<!\d)1" + _GAP + r"[3-9](?:" + _GAP + r"\d){9}(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)0\d{2,3}" + _GAP + r"\d(?:" + _GAP + r"\d){6,7}(?!\d)")
_ID18 = re.compile(r"(?<![0-9A-Za-z])\d(?:" + _GAP + r"\d){16}" + _GAP
                   + r"[\dXx](?![0-9A-Za-z])")
_CERT = re.compile(r"(?:证号|证书编号|证件号|执法证|检查证)[：:#＃ \u3000]*([A-Za-z0-9\-]{5,})")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
MASK = "＊"


@dataclass(frozen=True)
class Hit:
    """One piece of private text found: where in the text, and what kind."""

    start: int
    end: int
    kind: str

    def describe(self, text: str) -> str:
        """Say what was found, personal data masked (the message must not repeat it)."""
        found = text[self.start:self.end]
        if self.kind == "internal class word":
            return f"{self.kind} {found!r}"
        shown = found[:1] + MASK * max(len(found) - 2, 1) + found[-1:] if len(found) > 2 \
            else MASK * len(found)
        return f"{self.kind} {shown!r}"


@dataclass(frozen=True)
class Roster:
    """What identifies the inspectors: ids, names and certificate numbers."""

    ids: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    certificates: tuple[str, ...] = ()


def read_roster(path: Path | None, *, encoding: str | None = None, sheet: str | None = None
                ) -> Roster:
    """Read the inspectors' ids, names and certificate numbers from the roster file.

    Parameters
    ----------
    path : pathlib.Path or None
        The roster (``[inputs] inspectors``); ``None`` gives an empty roster.
    encoding : str, optional
        CSV encoding.
    sheet : str, optional
        XLSX sheet.

    Returns
    -------
    Roster
        Values of at least two characters, longest first.

    Raises
    ------
    InputError
        When the roster cannot be read.
    """
    if path is None or not Path(path).is_file():
        return Roster()
    raw = read_table(path, encoding=encoding, sheet=sheet, label=str(path))
    frame, problems = schema.map_headers(raw, schema.INSPECTOR_COLUMNS, str(path))
    if any(p.severity == "error" and p.row == 1 and p.column in ("inspector_id", "name")
           for p in problems):
        raise InputError(problems)

    def values(column: str) -> tuple[str, ...]:
        if column not in frame.columns:
            return ()
        found = {str(v).strip() for v in frame[column] if len(str(v).strip()) >= 2}
        return tuple(sorted(found, key=lambda v: (-len(v), v)))

    return Roster(values("inspector_id"), values("name"), values("certificate_no"))


def class_words(classes: Iterable[str]) -> tuple[str, ...]:
    """Return the internal words of a scheme: "<class>类", "<class>级" and the fixed words.

    Parameters
    ----------
    classes : iterable of str
        The scheme's risk classes, e.g. A, B, C, D.

    Returns
    -------
    tuple of str
        The words to refuse in published text.
    """
    words = {f"{c}{suffix}" for c in classes for suffix in ("类", "级") if str(c).strip()}
    return tuple(sorted(words | set(INTERNAL_WORDS), key=lambda w: (-len(w), w)))


def valid_resident_id(digits: str) -> bool:
    """Return whether 18 characters form a resident identity number (check digit, birth date).

    Parameters
    ----------
    digits : str
        17 digits and a check character (digit or X).

    Returns
    -------
    bool
        True when the check digit matches and positions 7-14 are a date from 1900 on.
    """
    if len(digits) != 18 or not digits[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != digits[17].upper():
        return False
    try:
        born = dt.date(int(digits[6:10]), int(digits[10:12]), int(digits[12:14]))
    except ValueError:
        return False
    return dt.date(1900, 1, 1) <= born <= dt.date.today()


def _spaced(word: str) -> re.Pattern:
    """Return a pattern for ``word`` with spaces or hyphens allowed between its characters."""
    return re.compile(_GAP.join(re.escape(ch) for ch in word), re.IGNORECASE)


class PrivacyCheck:
    """Find personal and internal data in free text, for one plan's roster and scheme.

    Parameters
    ----------
    roster : Roster
        The inspectors.
    classes : iterable of str
        The scheme's risk classes.
    """

    def __init__(self, roster: Roster, classes: Iterable[str] = ()):
        self.words = [(w, _spaced(w)) for w in class_words(classes)]
        self.people = [(kind, _spaced(v)) for kind, values in (
            ("inspector id", roster.ids), ("inspector name", roster.names),
            ("certificate number", roster.certificates)) for v in values]

    def find(self, text: str) -> list[Hit]:
        """Return every hit in ``text``, in order, without overlaps.

        Parameters
        ----------
        text : str
            The free text.

        Returns
        -------
        list of Hit
            Empty when the text may be published.
        """
        if not text:
            return []
        hits: list[Hit] = []
        for m in _ID18.finditer(text):
            if valid_resident_id(re.sub(r"[^\dXx]", "", m.group())):
                hits.append(Hit(m.start(), m.end(), "resident identity number"))
        hits += [Hit(m.start(), m.end(), "phone number") for m in _MOBILE.finditer(text)]
        hits += [Hit(m.start(), m.end(), "phone number") for m in _LANDLINE.finditer(text)]
        hits += [Hit(m.start(1), m.end(1), "certificate number") for m in _CERT.finditer(text)]
        for kind, pattern in self.people:
            hits += [Hit(m.start(), m.end(), kind) for m in pattern.finditer(text)]
        for _, pattern in self.words:
            hits += [Hit(m.start(), m.end(), "internal class word") for m in
                     pattern.finditer(text)]
        return _without_overlaps(hits)


def _without_overlaps(hits: list[Hit]) -> list[Hit]:
    kept: list[Hit] = []
    for hit in sorted(hits, key=lambda h: (h.start, -(h.end - h.start))):
        if kept and hit.start < kept[-1].end:
            continue
        kept.append(hit)
    return kept


def redact(text: str, hits: list[Hit]) -> str:
    """Return ``text`` with every hit replaced by ＊ of the same length.

    Parameters
    ----------
    text : str
        The free text.
    hits : list of Hit
        From :meth:`PrivacyCheck.find`.

    Returns
    -------
    str
        The text as it may be published.
    """
    for hit in sorted(hits, key=lambda h: -h.start):
        text = text[:hit.start] + MASK * (hit.end - hit.start) + text[hit.end:]
    return text


def redaction_report(rows: list[dict]) -> pd.DataFrame:
    """Return the redaction report's table (what was masked where).

    Parameters
    ----------
    rows : list of dict
        ``task_id, workbook, sheet, row, column, kinds, published`` per masked cell.

    Returns
    -------
    pandas.DataFrame
        The report.
    """
    return pd.DataFrame(rows, columns=["task_id", "workbook", "sheet", "row", "column", "kinds",
                                       "published"])
