"""Targeted draws (定向抽查): ``[[sampling.targets]]``, each with a filter and its own ratio.

This module reads and checks the scenario's targets; the draw's strata of a target are made
in :mod:`planner.draw.targets`.

A scenario may list targets::

    [[sampling.targets]]
    name = "蜜饯"                              # the target's name (no "/")
    filter = 'category == "蜜饯食品"'          # planner.plan.filters: which enterprises
    ratio = 0.5                                # or ratios = { A = 0.2, ... } or count = 10

An eligible enterprise that matches a target's filter is drawn under the first target it
matches, not under its class: the strata become (target, class), labelled ``NAME/CLASS``,
each with ``ceil(ratio * eligible)`` (per class with ``ratios``) or a share of ``count``
spread over the target's classes by largest remainder. The other enterprises are drawn
as before. The draw in each stratum is the published ticket rule (the ``n`` lowest
tickets), so a targeted draw is verified like any other. Tasks drawn under a target have
the type 定向 (targeted); the others the plan's ``[plan] check_type``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from planner.common.errors import ScenarioError
from planner.common.schema import ENTERPRISE_COLUMNS
from planner.plan.filters import FilterError, parse_filter

KEYS = ("name", "filter", "ratio", "ratios", "count")
# The columns a filter may name: the enterprise schema's, and the risk class.
FILTER_COLUMNS = frozenset([c.name for c in ENTERPRISE_COLUMNS] + ["risk_class"])


@dataclass(frozen=True)
class Target:
    """One checked ``[[sampling.targets]]`` block."""

    name: str
    filter: str
    tree: object
    ratio: float | None = None
    ratios: Mapping[str, float] | None = None
    count: int | None = None


def stratum_label(target: str, cls: str) -> str:
    """Return the stratum label of a target's class: ``NAME/CLASS``."""
    return f"{target}/{cls}"


def target_of_stratum(label: str) -> str:
    """Return the part of a stratum label before its first ``/`` (a target's name)."""
    return label.split("/", 1)[0]


def read_targets(tables: Sequence[Mapping], scheme, label: str | None = None,
                 extra_columns: Sequence[str] = ()) -> list[Target]:
    """Check ``[[sampling.targets]]`` and return the targets.

    Parameters
    ----------
    tables : sequence of mapping
        The blocks as parsed from TOML.
    scheme : planner.common.grading.GradingScheme
        Gives the classes (for ``ratios`` and for names that would clash with them).
    label : str, optional
        The scenario file, for messages.
    extra_columns : sequence of str
        Directory columns beyond the schema's that filters may use
        (``[sampling] filter_columns``, e.g. ``registered_capital``).

    Returns
    -------
    list of Target
        In the scenario's order.

    Raises
    ------
    ScenarioError
        Naming the key at fault (and, for a filter, the position in it).
    """
    out: list[Target] = []
    seen: set[str] = set()
    for n, table in enumerate(tables):
        key = f"sampling.targets[{n}]"
        if not isinstance(table, Mapping):
            raise ScenarioError("must be a table [[sampling.targets]]", key=key, file=label)
        unknown = sorted(set(table) - set(KEYS))
        if unknown:
            raise ScenarioError(f"unknown key; a target accepts {', '.join(KEYS)}",
                                key=f"{key}.{unknown[0]}", file=label)
        name = table.get("name")
        if not isinstance(name, str) or not name.strip() or "/" in name:
            raise ScenarioError("must be a non-empty name without '/'", key=f"{key}.name",
                                file=label)
        name = name.strip()
        if name in seen or scheme.normalise(name) is not None or name == "included":
            raise ScenarioError(f"{name!r} is already a target's or a class's name",
                                key=f"{key}.name", file=label)
        seen.add(name)
        text = table.get("filter")
        if not isinstance(text, str):
            raise ScenarioError('must be a filter like category == "蜜饯食品"',
                                key=f"{key}.filter", file=label)
        try:
            tree = parse_filter(text, FILTER_COLUMNS | set(extra_columns))
        except FilterError as exc:
            raise ScenarioError(f"{exc.message} at position {exc.position} of {text!r}",
                                key=f"{key}.filter", file=label) from None
        given = [k for k in ("ratio", "ratios", "count") if k in table]
        if len(given) != 1:
            raise ScenarioError("give exactly one of ratio, ratios or count", key=key,
                                file=label)
        kw = {}
        if "ratio" in table:
            kw["ratio"] = _unit(table["ratio"], f"{key}.ratio", label)
        elif "ratios" in table:
            raw = table["ratios"]
            if not isinstance(raw, Mapping) or not raw:
                raise ScenarioError("must be a table like { A = 0.2, B = 0.5 }",
                                    key=f"{key}.ratios", file=label)
            ratios = {}
            for grade, value in raw.items():
                cls = scheme.normalise(grade)
                if cls is None:
                    raise ScenarioError(f"unknown class {grade!r}; the classes are "
                                        f"{', '.join(scheme.classes)}",
                                        key=f"{key}.ratios.{grade}", file=label)
                ratios[cls] = _unit(value, f"{key}.ratios.{grade}", label)
            kw["ratios"] = ratios
        else:
            count = table["count"]
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise ScenarioError(f"must be a whole number >= 0, got {count!r}",
                                    key=f"{key}.count", file=label)
            kw["count"] = count
        out.append(Target(name, text, tree, **kw))
    return out


def _unit(value, key: str, label: str | None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ScenarioError(f"must be a ratio between 0 and 1, got {value!r}", key=key,
                            file=label)
    return float(value)


def check_scenario_targets(scenario, label: str | None = None) -> None:
    """Check a scenario's targets when it is loaded (see :func:`read_targets`)."""
    for k, name in enumerate(scenario.sampling.filter_columns):
        if not name.isidentifier():
            raise ScenarioError(f"{name!r} is not a column name a filter can use (letters, "
                                "digits and _)", key=f"sampling.filter_columns[{k}]", file=label)
    read_targets(scenario.sampling.targets, scenario.scheme(), label,
                 scenario.sampling.filter_columns)
