"""The regrading rules table (``[regrade]``) and its checks.

A scheme is regraded one of two ways, chosen by the grading scheme:

- **levels** (grade-only schemes such as ``abcd`` or ``points-12``): each result category or
  follow-up action moves the enterprise that many classes, positive toward higher risk,
  negative toward lower risk; the moves of one cycle are summed, limited to ``max_step``
  classes either way, and clamped at the lowest and highest class.
- **points** (schemes whose classes come from points bands, such as ``shaanxi-100``): each
  result category or follow-up action adds its points (negative to deduct); the new points,
  kept within ``points_min`` .. ``points_max`` when given, fall into the scheme's bands.

Events (``events``, read from an events file) add levels or points the same way, or act
directly: ``to = "D"`` sends the enterprise straight to that class, and ``lock_months = 24``
keeps it there (it may not move to a lower-risk class) for that many months after the event.

```toml
[regrade]
levels = { 未发现问题 = -1, 发现问题待后续处理 = 1, 发现案件线索 = 1 }
max_step = 1
events = { 行政处罚 = { levels = 1 }, HACCP认证 = { levels = -1 },
           严重违法失信名单 = { to = "D", lock_months = 24 } }
```
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from planner.common import categories as cat
from planner.common.errors import ScenarioError
from planner.common.grading import GradingScheme

EVENT_KEYS = ("levels", "points", "to", "lock_months")


@dataclass(frozen=True)
class EventRule:
    """What one kind of event does: levels or points to add, or a class to send to (and lock)."""

    name: str
    levels: int = 0
    points: float = 0.0
    to: str | None = None
    lock_months: int = 0


@dataclass(frozen=True)
class RuleBook:
    """The checked ``[regrade]`` table for one scheme.

    Attributes
    ----------
    scheme : GradingScheme
        The grading scheme; ``mode`` is ``"points"`` when its classes come from points bands.
    mode : str
        ``"levels"`` or ``"points"``.
    category_effects : dict
        Canonical (Chinese) result or follow-up category -> levels (int) or points (float).
    max_step : int or None
        Most classes moved per cycle (levels mode).
    points_min, points_max : float or None
        Bounds of the points (points mode).
    events : dict
        Normalised event name -> :class:`EventRule`.
    """

    scheme: GradingScheme
    mode: str
    category_effects: dict[str, float]
    max_step: int | None
    points_min: float | None
    points_max: float | None
    events: dict[str, EventRule]

    def event(self, name: str) -> EventRule | None:
        """Return the rule of an event name as written in an events file, or None."""
        return self.events.get(event_key(name))


def event_key(name: str) -> str:
    """Normalise an event name: spaces removed, case folded (``ISO 22000认证`` = ``iso22000认证``)."""
    return re.sub(r"\s+", "", str(name)).casefold()


def is_points_scheme(scheme: GradingScheme) -> bool:
    """Tell whether a scheme's classes come from points bands (regraded by points)."""
    return bool(scheme.bands) and scheme.score_column is not None


def _canonical_category(text: str) -> str | None:
    for kind in ("result", "follow_up"):
        found, unknown = cat.parse_categories(text, kind)
        if len(found) == 1 and not unknown:
            return found[0].zh
    return None


def check_regrade_section(section, scheme: GradingScheme, label: str) -> RuleBook:
    """Check ``[regrade]`` against the scheme and return its :class:`RuleBook`.

    Parameters
    ----------
    section : planner.plan.scenario.RegradeSection
        The table as read.
    scheme : GradingScheme
        The scenario's grading scheme.
    label : str
        The scenario file, for messages.

    Returns
    -------
    RuleBook
        The checked rules.

    Raises
    ------
    ScenarioError
        Naming the key at fault.
    """
    points_mode = is_points_scheme(scheme)
    if points_mode and section.levels:
        raise ScenarioError(
            f"scheme {scheme.name!r} derives classes from {scheme.score_column}; regrade it "
            "with points = { ... }, not levels", key="regrade.levels", file=label)
    if not points_mode and section.points:
        raise ScenarioError(
            f"scheme {scheme.name!r} has no points bands; regrade it with levels = {{ ... }}",
            key="regrade.points", file=label)
    table = section.points if points_mode else section.levels
    name = "points" if points_mode else "levels"
    effects: dict[str, float] = {}
    for text, value in table.items():
        canonical = _canonical_category(text)
        if canonical is None:
            raise ScenarioError(
                "is neither an official result category (检查结果) nor a follow-up action "
                "(后续处置)", key=f"regrade.{name}.{text}", file=label)
        effects[canonical] = value
    if section.max_step is not None and section.max_step < 1:
        raise ScenarioError("must be at least 1 class", key="regrade.max_step", file=label)
    if points_mode and section.max_step is not None:
        raise ScenarioError("applies to levels; a points scheme moves by its bands",
                            key="regrade.max_step", file=label)
    if (section.points_min is not None and section.points_max is not None
            and section.points_min > section.points_max):
        raise ScenarioError("is above points_max", key="regrade.points_min", file=label)
    events: dict[str, EventRule] = {}
    for event, spec in section.events.items():
        events[event_key(event)] = _event_rule(event, spec, scheme, points_mode, label)
    return RuleBook(scheme, "points" if points_mode else "levels", effects, section.max_step,
                    section.points_min, section.points_max, events)


def _event_rule(event: str, spec: dict, scheme: GradingScheme, points_mode: bool,
                label: str) -> EventRule:
    key = f"regrade.events.{event}"
    unknown = sorted(set(spec) - set(EVENT_KEYS))
    if unknown:
        raise ScenarioError(f"unknown key {unknown[0]!r}; an event accepts "
                            f"{', '.join(EVENT_KEYS)}", key=key, file=label)
    if not spec:
        raise ScenarioError('is empty; give levels = 1, points = -10 or to = "D"', key=key,
                            file=label)
    levels = spec.get("levels", 0)
    points = spec.get("points", 0)
    lock = spec.get("lock_months", 0)
    for name, value, kinds in (("levels", levels, int), ("points", points, (int, float)),
                               ("lock_months", lock, int)):
        if isinstance(value, bool) or not isinstance(value, kinds):
            raise ScenarioError(f"{name} must be a number, got {value!r}", key=key, file=label)
    if levels and points_mode:
        raise ScenarioError(f"scheme {scheme.name!r} is regraded by points: use points = "
                            f"{levels}", key=key, file=label)
    if points and not points_mode:
        raise ScenarioError(f"scheme {scheme.name!r} is regraded by levels: use levels = ...",
                            key=key, file=label)
    to = spec.get("to")
    if to is not None:
        target = scheme.normalise(str(to))
        if target is None:
            raise ScenarioError(f"to = {to!r} is not a class of scheme {scheme.name!r} "
                                f"({', '.join(scheme.classes)})", key=key, file=label)
        to = target
    if lock < 0 or (lock and to is None):
        raise ScenarioError('lock_months needs to = "CLASS" and must be >= 0', key=key,
                            file=label)
    return EventRule(event, int(levels), float(points), to, int(lock))
