"""Apply results and events to a directory's classes: the regrading engine (进退级).

:func:`apply_records` takes the directory's current classes (and points), the
:class:`~planner.plan.regrade_rules.RuleBook`, the new records and the ledger of what was applied
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

from planner.plan.regrade_rules import RuleBook
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
    position = {e: i for i, e in enumerate(directory["enterprise_id"])}
    old_class = directory["risk_class"].reset_index(drop=True)
    points_mode = rules.mode == "points"
    if points_mode:
        old_points = pd.to_numeric(directory[scheme.score_column].reset_index(drop=True),
                                   errors="coerce")
    else:
        old_points = pd.Series(np.nan, index=old_class.index)
    ctx = _Regrading(rules, points_mode, list(scheme.classes), ledger.locks(), as_of)
    ctx.rank_of = {c: i for i, c in enumerate(ctx.classes)}
    fired, directs, unmatched, skipped = _sort_records(records, rules, position, ledger.keys,
                                                       ctx)

    new_class = old_class.copy()
    new_points = old_points.copy()
    changes: list[dict] = []
    touched = sorted(set(fired) | set(directs)
                     | {position[e] for e in ctx.locks if e in position})
    for pos in touched:
        enterprise = directory["enterprise_id"].iloc[pos]
        cls, pts, rows = _regrade_one(ctx, enterprise, old_class[pos], old_points[pos],
                                      fired.get(pos, []), directs.get(pos, []))
        if points_mode:
            new_points[pos] = pts
        new_class[pos] = cls
        for row in rows:
            changes.append({"enterprise_id": enterprise,
                            "name": directory["name"].iloc[pos],
                            "old_class": old_class[pos], "old_points": _num(old_points[pos]),
                            "new_class": cls, "new_points": _num(new_points[pos]), **row})
    frame = pd.DataFrame(changes, columns=list(CHANGE_COLUMNS))
    ledger_rows = pd.DataFrame(ctx.new_ledger, columns=list(LEDGER_COLUMNS)).fillna("")
    return Outcome(new_class, new_points, frame, unmatched, skipped, ledger_rows)


@dataclass
class _Regrading:
    """What regrading one enterprise needs to know, and the locks and ledger rows it adds."""

    rules: RuleBook
    points_mode: bool
    classes: list[str]
    locks: dict
    as_of: dt.date
    rank_of: dict[str, int] = field(default_factory=dict)
    new_ledger: list[dict] = field(default_factory=list)


def _sort_records(records: list[Record], rules: RuleBook, position: dict[str, int],
                  applied: set, ctx: _Regrading):
    """Sort the records not applied before into rules fired and direct actions per enterprise.

    Returns ``(fired, directs, unmatched, skipped)``; each applied record gets a ledger row.
    """
    fired: dict[int, list[tuple[str, float, Record]]] = {}
    directs: dict[int, list[tuple[str, int, Record]]] = {}
    unmatched: list[Record] = []
    skipped = 0
    for record in records:
        if record.key in applied:
            skipped += 1
            continue
        pos = position.get(record.enterprise_id)
        if pos is None:
            unmatched.append(record)
            continue
        applied.add(record.key)
        ctx.new_ledger.append(_ledger_row(record))
        if record.kind == "result":
            for name in (*record.categories, *record.follow_ups):
                if name in rules.category_effects:
                    fired.setdefault(pos, []).append((name, rules.category_effects[name], record))
            continue
        rule = rules.event(record.categories[0])
        effect = rule.points if ctx.points_mode else rule.levels
        if effect or rule.to is None:
            fired.setdefault(pos, []).append((rule.name, effect, record))
        if rule.to is not None:
            directs.setdefault(pos, []).append((rule.to, rule.lock_months, record))
    return fired, directs, unmatched, skipped


def _regrade_one(ctx: _Regrading, enterprise: str, old_cls: str, old_pts: float,
                 fired: list, targets: list) -> tuple[str, float, list[dict]]:
    """Regrade one enterprise: the moves, then direct actions, then locks.

    Returns its new class, its new points and its change rows (each with its note).
    """
    total = sum(effect for _, effect, _ in fired)
    pts = old_pts
    if ctx.points_mode:
        cls, pts, note = _move_points(ctx.rules, old_cls, old_pts, total, bool(fired))
    elif fired:
        cls, note = _move_levels(ctx, old_cls, total)
    else:
        cls, note = old_cls, ""
    rows = [_change(name, _effect_text(effect, ctx.points_mode), record)
            for name, effect, record in fired]
    if targets:  # a direct action overrides the moves; the highest-risk target wins
        cls = max((t for t, _, _ in targets), key=ctx.rank_of.__getitem__)
    rows += _direct_actions(ctx, enterprise, targets)
    cls = _hold_lock(ctx, enterprise, old_cls, cls, bool(targets), rows)
    for row in rows:
        row.setdefault("note", note)
    return cls, pts, rows


def _move_points(rules: RuleBook, cls: str, pts: float, total: float, moved: bool):
    """Add the points fired (within points_min/max) and classify; return (class, points, note)."""
    note = ""
    if moved:
        pts = pts + total
        if rules.points_min is not None and pts < rules.points_min:
            pts, note = rules.points_min, f"kept at points_min {rules.points_min:g}"
        if rules.points_max is not None and pts > rules.points_max:
            pts, note = rules.points_max, f"kept at points_max {rules.points_max:g}"
    if not np.isnan(pts):
        cls = rules.scheme.classify(pd.Series([""]), pd.Series([pts])).iloc[0] or cls
    return cls, pts, note


def _move_levels(ctx: _Regrading, cls: str, total: float) -> tuple[str, str]:
    """Move by the levels fired (at most max_step, within the classes); return (class, note)."""
    rules, note = ctx.rules, ""
    step = int(total)
    if rules.max_step is not None and abs(step) > rules.max_step:
        step = int(np.sign(step)) * rules.max_step
        note = f"limited to max_step {rules.max_step} (rules sum to {int(total):+d})"
    target = ctx.rank_of[cls] + step
    clamped = min(max(target, 0), len(ctx.classes) - 1)
    if clamped != target:
        note = (note + "; " if note else "") + "clamped at the " + (
            "lowest" if clamped == 0 else "highest") + " class"
    return ctx.classes[clamped], note


def _direct_actions(ctx: _Regrading, enterprise: str, targets: list) -> list[dict]:
    """Return the change rows of direct actions, recording each new lock and its ledger row."""
    rows = []
    for target, months, record in targets:
        text = f"to {target}"
        if months:
            until = add_months(record.date, months)
            text += f", locked until {until.isoformat()}"
            if enterprise not in ctx.locks or ctx.locks[enterprise][1] < until:
                ctx.locks[enterprise] = (target, until)
            ctx.new_ledger.append({**_ledger_row(record), "key": f"lock:{record.key}",
                                   "kind": "lock", "locked_class": target,
                                   "locked_until": until.isoformat()})
        rows.append(_change(record.categories[0], text, record))
    return rows


def _hold_lock(ctx: _Regrading, enterprise: str, old_cls: str, cls: str, direct: bool,
               rows: list[dict]) -> str:
    """Keep an enterprise at its locked class while the lock holds; say when a lock ended."""
    if enterprise not in ctx.locks:
        return cls
    locked, until = ctx.locks[enterprise]
    if until > ctx.as_of and ctx.rank_of[cls] < ctx.rank_of[locked]:
        cls = locked
        if not direct and old_cls != locked:  # else nothing new to report
            rows.append({"rule": "lock", "effect": f"kept at {locked}",
                         "note": f"locked until {until.isoformat()}",
                         "source_file": "", "source_row": ""})
    elif until <= ctx.as_of and cls != old_cls and not rows:
        rows.append({"rule": "lock", "effect": f"to {cls}",
                     "note": f"lock at {locked} ended {until.isoformat()}",
                     "source_file": "", "source_row": ""})
    return cls


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
