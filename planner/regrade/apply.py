"""Apply results and events to a directory's classes: the regrading engine (进退级).

:func:`apply_records` takes the directory's current classes (and points), the
:class:`~planner.regrade.rules.RuleBook`, the new records and the ledger of what was applied
before, and returns every enterprise's new class and points with each rule that fired.

Per enterprise, in this order:

1. every rule that fires (each result category, each follow-up action, each event) adds its
   levels or points;
2. levels: the sum is limited to ``max_step`` either way and the class clamped at the ends;
   points: the sum is added, kept within ``points_min`` .. ``points_max``, and the class read
   from the scheme's bands;
3. an event with ``to`` sets the class (the highest-risk such class wins) and, with
   ``lock_months``, locks it: until the lock ends the enterprise's class is at least the
   locked one, whatever its results or points;
4. a record whose key is in the ledger was applied before and is skipped; a record naming
   no enterprise of the directory is reported as unmatched.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planner.regrade.rules import RuleBook
from planner.regrade.sources import Record

LEDGER_COLUMNS = ("key", "kind", "enterprise_id", "date", "locked_class", "locked_until",
                  "source_file", "source_row")
CHANGE_COLUMNS = ("enterprise_id", "name", "old_class", "old_points", "new_class", "new_points",
                  "rule", "effect", "note", "source_file", "source_row")


@dataclass
class Ledger:
    """What was applied to a directory before: record keys, and class locks."""

    rows: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame({c: pd.Series(dtype=object)
                                              for c in LEDGER_COLUMNS}))

    @property
    def keys(self) -> set[str]:
        """Keys of the records already applied."""
        return set(self.rows["key"])

    def locks(self) -> dict[str, tuple[str, dt.date]]:
        """Enterprise -> (locked class, locked until) of the latest lock of each enterprise."""
        held = self.rows[self.rows["locked_class"].astype(str) != ""]
        out: dict[str, tuple[str, dt.date]] = {}
        for row in held.sort_values(["enterprise_id", "locked_until"]).to_dict("records"):
            out[row["enterprise_id"]] = (row["locked_class"],
                                         dt.date.fromisoformat(row["locked_until"]))
        return out


@dataclass
class Outcome:
    """The regrading of one directory.

    Attributes
    ----------
    new_class : pandas.Series
        New class per directory row (same index as the directory).
    new_points : pandas.Series
        New points per row (NaN where the scheme has none).
    changes : pandas.DataFrame
        One row per rule fired (see :data:`CHANGE_COLUMNS`), plus rows for locks that hold.
    unmatched : list of Record
        Records naming no enterprise of the directory.
    skipped : int
        Records already applied (their key is in the ledger).
    ledger_rows : pandas.DataFrame
        The new ledger rows (records applied now, locks set now).
    """

    new_class: pd.Series
    new_points: pd.Series
    changes: pd.DataFrame
    unmatched: list[Record]
    skipped: int
    ledger_rows: pd.DataFrame


def add_months(day: dt.date, months: int) -> dt.date:
    """Return ``day`` plus ``months`` calendar months (the month's last day when shorter)."""
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # unreachable


def apply_records(
    directory: pd.DataFrame,
    rules: RuleBook,
    records: list[Record],
    ledger: Ledger,
    *,
    as_of: dt.date,
) -> Outcome:
    """Regrade a directory with new results and events.

    Parameters
    ----------
    directory : pandas.DataFrame
        ``enterprise_id``, ``name``, ``risk_class`` and, for a points scheme, the scheme's
        points column (text or number).
    rules : RuleBook
        The checked ``[regrade]`` table.
    records : list of Record
        Results and events, in the order read.
    ledger : Ledger
        What was applied to this directory before.
    as_of : datetime.date
        The regrading date: a lock ending on or before it no longer holds.

    Returns
    -------
    Outcome
        New classes and points, the rules fired, unmatched and skipped records.
    """
    scheme = rules.scheme
    classes = list(scheme.classes)
    rank_of = {c: i for i, c in enumerate(classes)}
    position = {e: i for i, e in enumerate(directory["enterprise_id"])}
    old_class = directory["risk_class"].reset_index(drop=True)
    points_mode = rules.mode == "points"
    if points_mode:
        old_points = pd.to_numeric(directory[scheme.score_column].reset_index(drop=True),
                                   errors="coerce")
    else:
        old_points = pd.Series(np.nan, index=old_class.index)
    applied = ledger.keys
    locks = ledger.locks()

    fired: dict[int, list[tuple[str, float, Record]]] = {}
    directs: dict[int, list[tuple[str, int, Record]]] = {}
    unmatched: list[Record] = []
    skipped = 0
    new_ledger: list[dict] = []
    for record in records:
        if record.key in applied:
            skipped += 1
            continue
        pos = position.get(record.enterprise_id)
        if pos is None:
            unmatched.append(record)
            continue
        applied.add(record.key)
        new_ledger.append(_ledger_row(record))
        if record.kind == "result":
            for name in (*record.categories, *record.follow_ups):
                if name in rules.category_effects:
                    fired.setdefault(pos, []).append((name, rules.category_effects[name], record))
            continue
        rule = rules.event(record.categories[0])
        effect = rule.points if points_mode else rule.levels
        if effect or rule.to is None:
            fired.setdefault(pos, []).append((rule.name, effect, record))
        if rule.to is not None:
            directs.setdefault(pos, []).append((rule.to, rule.lock_months, record))

    new_class = old_class.copy()
    new_points = old_points.copy()
    changes: list[dict] = []
    touched = sorted(set(fired) | set(directs)
                     | {position[e] for e in locks if e in position})
    for pos in touched:
        enterprise = directory["enterprise_id"].iloc[pos]
        rows: list[dict] = []
        cls = old_class[pos]
        note = ""
        total = sum(effect for _, effect, _ in fired.get(pos, []))
        if points_mode:
            pts = old_points[pos]
            if fired.get(pos):
                pts = pts + total
                if rules.points_min is not None and pts < rules.points_min:
                    pts, note = rules.points_min, f"kept at points_min {rules.points_min:g}"
                if rules.points_max is not None and pts > rules.points_max:
                    pts, note = rules.points_max, f"kept at points_max {rules.points_max:g}"
            if not np.isnan(pts):
                cls = scheme.classify(pd.Series([""]), pd.Series([pts])).iloc[0] or cls
            new_points[pos] = pts
        elif fired.get(pos):
            step = int(total)
            if rules.max_step is not None and abs(step) > rules.max_step:
                step = int(np.sign(step)) * rules.max_step
                note = f"limited to max_step {rules.max_step} (rules sum to {int(total):+d})"
            target = rank_of[cls] + step
            clamped = min(max(target, 0), len(classes) - 1)
            if clamped != target:
                note = (note + "; " if note else "") + "clamped at the " + (
                    "lowest" if clamped == 0 else "highest") + " class"
            cls = classes[clamped]
        for name, effect, record in fired.get(pos, []):
            rows.append(_change(name, _effect_text(effect, points_mode), record))
        targets = directs.get(pos, [])
        if targets:  # a direct action overrides the moves; the highest-risk target wins
            cls = max((t for t, _, _ in targets), key=rank_of.__getitem__)
        for target, months, record in targets:
            text = f"to {target}"
            if months:
                until = add_months(record.date, months)
                text += f", locked until {until.isoformat()}"
                if enterprise not in locks or locks[enterprise][1] < until:
                    locks[enterprise] = (target, until)
                new_ledger.append({**_ledger_row(record), "key": f"lock:{record.key}",
                                   "kind": "lock", "locked_class": target,
                                   "locked_until": until.isoformat()})
            rows.append(_change(record.categories[0], text, record))
        if enterprise in locks:
            locked, until = locks[enterprise]
            if until > as_of and rank_of[cls] < rank_of[locked]:
                cls = locked
                if not targets and old_class[pos] != locked:  # else nothing new to report
                    rows.append({"rule": "lock", "effect": f"kept at {locked}",
                                 "note": f"locked until {until.isoformat()}",
                                 "source_file": "", "source_row": ""})
            elif until <= as_of and cls != old_class[pos] and not rows:
                rows.append({"rule": "lock", "effect": f"to {cls}",
                             "note": f"lock at {locked} ended {until.isoformat()}",
                             "source_file": "", "source_row": ""})
        new_class[pos] = cls
        for row in rows:
            row.setdefault("note", note)
            changes.append({"enterprise_id": enterprise,
                            "name": directory["name"].iloc[pos],
                            "old_class": old_class[pos], "old_points": _num(old_points[pos]),
                            "new_class": cls, "new_points": _num(new_points[pos]), **row})
    frame = pd.DataFrame(changes, columns=list(CHANGE_COLUMNS))
    ledger_rows = pd.DataFrame(new_ledger, columns=list(LEDGER_COLUMNS)).fillna("")
    return Outcome(new_class, new_points, frame, unmatched, skipped, ledger_rows)


def _ledger_row(record: Record) -> dict:
    return {"key": record.key, "kind": record.kind, "enterprise_id": record.enterprise_id,
            "date": record.date.isoformat(), "locked_class": "", "locked_until": "",
            "source_file": record.source_file, "source_row": record.source_row}


def _change(name: str, effect: str, record: Record) -> dict:
    return {"rule": name, "effect": effect, "source_file": record.source_file,
            "source_row": record.source_row}


def _effect_text(effect: float, points_mode: bool) -> str:
    if points_mode:
        return f"{effect:+g} points"
    return f"{int(effect):+d} class" + ("es" if abs(effect) != 1 else "")


def _num(value: float) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return f"{value:g}"
