"""Candidate ratio sets (抽查比例) for the simulation: parsed from text or scenario tables.

A ratio set gives every risk class a sampling ratio in 0..1. On the command line::

    A=0.03,B=0.1,C=0.3,D=0.8                one set; every class of the scheme must be given
    strict: A=0.03,B=0.1,C=0.3,D=0.8        the same set, named "strict"
    A=0.03,B=0.1,C=0.2|0.3,D=0.5:1:0.25     a grid: C is 0.2 or 0.3, D runs 0.5, 0.75, 1
                                            (start:stop:step, both ends included) -> 6 sets

In a scenario, ``[simulation] ratio_sets`` is a list of tables such as
``{ name = "strict", A = 0.03, B = 0.1, C = 0.3, D = 0.8 }``, where a value may also be a
list of alternatives (a grid). Values are handled as the decimals written, so a range
``0.1:0.3:0.1`` gives exactly 0.1, 0.2 and 0.3.

Every mistake raises :class:`~planner.common.errors.ScenarioError` naming the option or key, the
text at fault and the fix; the command line turns it into a message and exit code 2.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from planner.common.errors import ScenarioError
from planner.common.grading import GradingScheme

MAX_SETS = 1000


@dataclass(frozen=True)
class RatioSet:
    """One candidate set of per-class sampling ratios.

    Attributes
    ----------
    name : str
        How tables and the chart name the set.
    ratios : dict
        Class -> ratio in 0..1, in the scheme's class order (lowest risk first).
    origin : str
        Where the set came from (an option or a scenario key), for messages.
    """

    name: str
    ratios: dict[str, float]
    origin: str = ""

    def text(self) -> str:
        """Return the set as ``A=0.03,B=0.1,...`` (class order), the form ``--ratios`` reads."""
        return ",".join(f"{c}={_fmt(r)}" for c, r in self.ratios.items())


def _fmt(value: float | Decimal) -> str:
    """Write a ratio as the shortest decimal text (0.03, 0.5, 1)."""
    return format(Decimal(str(value)).normalize(), "f")


def _fail(where: str, message: str) -> ScenarioError:
    return ScenarioError(f"{where}: {message}")


def _number(text: str, where: str, cls: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise _fail(where, f"ratio for {cls} is not a number: {text.strip()!r}") from None
    if not value.is_finite():
        raise _fail(where, f"ratio for {cls} is not a number: {text.strip()!r}")
    return value


def _in_unit(value: Decimal, where: str, cls: str) -> float:
    if not Decimal(0) <= value <= Decimal(1):
        raise _fail(where, f"ratio for {cls} must be between 0 and 1, got {_fmt(value)}")
    return float(value)


def _alternatives(text: str, where: str, cls: str) -> list[float]:
    """Values of one class: ``0.3``, ``0.2|0.3`` or ``0.5:1:0.25``."""
    values: list[float] = []
    for part in text.split("|"):
        if not part.strip():
            raise _fail(where, f"empty value for class {cls}; write e.g. {cls}=0.1|0.2")
        if ":" in part:
            values.extend(_range(part, where, cls))
        else:
            values.append(_in_unit(_number(part, where, cls), where, cls))
    return list(dict.fromkeys(values))


def _range(text: str, where: str, cls: str) -> list[float]:
    pieces = text.split(":")
    if len(pieces) != 3:
        raise _fail(where, f"range for {cls} must be start:stop:step, e.g. {cls}=0.1:0.5:0.1")
    start, stop, step = (_number(p, where, cls) for p in pieces)
    if step <= 0:
        raise _fail(where, f"range step for {cls} must be > 0, got {_fmt(step)}")
    if stop < start:
        raise _fail(where, f"range for {cls} runs from {_fmt(start)} down to {_fmt(stop)}; "
                           "write start:stop:step with start <= stop")
    count = int((stop - start) / step) + 1
    if count > MAX_SETS:
        raise _fail(where, f"range for {cls} has {count} values; at most {MAX_SETS}")
    return [_in_unit(start + i * step, where, cls) for i in range(count)]


def _example(scheme: GradingScheme) -> str:
    """Return a well-formed ratio set for the scheme (0.05 to 0.8 by risk), for messages."""
    n = len(scheme.classes)
    return ",".join(f"{c}={_fmt(round(0.05 + 0.75 * i / max(n - 1, 1), 2))}"
                    for i, c in enumerate(scheme.classes))


def _class_of(name: str, scheme: GradingScheme, where: str) -> str:
    cls = scheme.normalise(name)
    if cls is None:
        raise _fail(
            where,
            f"unknown class {name.strip()!r}; the classes of scheme {scheme.name!r} are "
            f"{', '.join(scheme.classes)}",
        )
    return cls


def _expand(
    name: str | None,
    values: Mapping[str, list[float]],
    scheme: GradingScheme,
    origin: str,
) -> list[RatioSet]:
    """Every combination of the per-class values; ValueError when a class is missing."""
    missing = [c for c in scheme.classes if c not in values]
    if missing:
        raise ValueError(
            f"no ratio for class {', '.join(missing)}; give every class of scheme "
            f"{scheme.name!r} ({missing[0]}=0 to leave it out)"
        )
    ordered = [values[c] for c in scheme.classes]
    count = math.prod(len(v) for v in ordered)
    if count > MAX_SETS:
        raise ValueError(f"the grid gives {count:,} ratio sets; at most {MAX_SETS} at once")
    sets = []
    for combo in itertools.product(*ordered):
        ratios = dict(zip(scheme.classes, combo, strict=True))
        text = ",".join(f"{c}={_fmt(r)}" for c, r in ratios.items())
        label = text if name is None else (name if count == 1 else f"{name} {text}")
        sets.append(RatioSet(label, ratios, origin))
    return sets


def parse_ratio_text(
    text: str, scheme: GradingScheme, *, option: str = "--ratios"
) -> list[RatioSet]:
    """Parse one ``--ratios`` value: a named or unnamed set, or a grid of sets.

    Parameters
    ----------
    text : str
        E.g. ``"A=0.03,B=0.1,C=0.3,D=0.8"``, ``"strict: A=0.03,..."`` or ``"...,C=0.2|0.3"``.
    scheme : GradingScheme
        Gives the classes (aliases such as ``绿`` are accepted).
    option : str
        The option's name, for messages.

    Returns
    -------
    list of RatioSet
        One set, or every combination of a grid (class order, last class varying fastest).

    Raises
    ------
    ScenarioError
        For malformed text, an unknown or repeated class, a class left out, a ratio outside
        0..1, or a grid of more than :data:`MAX_SETS` sets.
    """
    where = f"{option} {text!r}"
    name = None
    body = text
    head, sep, rest = text.partition(":")
    if sep and "=" not in head:
        name = head.strip() or None
        body = rest
    pairs = body.split(",")
    if not body.strip() or any("=" not in p or not p.split("=", 1)[0].strip() for p in pairs):
        raise _fail(where, "expected CLASS=RATIO pairs separated by commas, e.g. "
                           f"{_example(scheme)!r}")
    values: dict[str, list[float]] = {}
    for pair in pairs:
        key, value = pair.split("=", 1)
        cls = _class_of(key, scheme, where)
        if cls in values:
            raise _fail(where, f"class {cls} is given twice")
        values[cls] = _alternatives(value, where, cls)
    try:
        return _expand(name, values, scheme, option)
    except ValueError as exc:
        raise _fail(where, str(exc)) from None


def parse_floor_texts(
    texts: Iterable[str], scheme: GradingScheme, *, option: str = "--floor"
) -> dict[str, float]:
    """Parse ``--floor`` values (``A=0.01``, repeated or comma-separated) into class -> ratio.

    Parameters
    ----------
    texts : iterable of str
        Each ``CLASS=RATIO[,CLASS=RATIO...]``.
    scheme : GradingScheme
        Gives the classes.
    option : str
        The option's name, for messages.

    Returns
    -------
    dict
        Class -> minimum ratio, in class order; classes not named are absent.

    Raises
    ------
    ScenarioError
        For malformed text, an unknown or repeated class, or a ratio outside 0..1.
    """
    floors: dict[str, float] = {}
    for text in texts:
        where = f"{option} {text!r}"
        pairs = text.split(",")
        if not text.strip() or any("=" not in p or not p.split("=", 1)[0].strip() for p in pairs):
            raise _fail(where, "expected CLASS=RATIO, e.g. A=0.01 (repeat the option or "
                               "separate with commas)")
        for pair in pairs:
            key, value = pair.split("=", 1)
            cls = _class_of(key, scheme, where)
            if cls in floors:
                raise _fail(where, f"class {cls} is given twice")
            floors[cls] = _in_unit(_number(value, where, cls), where, cls)
    return {c: floors[c] for c in scheme.classes if c in floors}


def ratio_sets_from_tables(
    tables: Sequence[Mapping], scheme: GradingScheme, label: str | None = None
) -> list[RatioSet]:
    """Read ``[simulation] ratio_sets`` (a list of tables) into ratio sets.

    Parameters
    ----------
    tables : sequence of mapping
        Each ``{ name = "...", A = 0.03, ... }``; a value may be a list (a grid).
    scheme : GradingScheme
        Gives the classes.
    label : str, optional
        The scenario file, for messages.

    Returns
    -------
    list of RatioSet
        In the order written, grids expanded.

    Raises
    ------
    ScenarioError
        Naming ``simulation.ratio_sets[i]`` and the class at fault.
    """
    sets: list[RatioSet] = []
    for i, table in enumerate(tables):
        key = f"simulation.ratio_sets[{i}]"
        if not isinstance(table, Mapping):
            raise ScenarioError(
                "must be a table like { name = \"strict\", A = 0.03, B = 0.1, ... }",
                key=key, file=label,
            )
        name = table.get("name")
        if name is not None and not isinstance(name, str):
            raise ScenarioError("name must be a string", key=f"{key}.name", file=label)
        values: dict[str, list[float]] = {}
        for grade, raw in table.items():
            if grade == "name":
                continue
            cls = scheme.normalise(grade)
            if cls is None:
                raise ScenarioError(
                    f"unknown class {grade!r}; the classes of scheme {scheme.name!r} are "
                    f"{', '.join(scheme.classes)}",
                    key=f"{key}.{grade}", file=label,
                )
            if cls in values:
                raise ScenarioError(f"class {cls} is given twice", key=f"{key}.{grade}",
                                    file=label)
            items = raw if isinstance(raw, list) else [raw]
            if not items or any(isinstance(v, bool) or not isinstance(v, (int, float))
                                for v in items):
                raise ScenarioError(
                    f"must be a ratio or a list of ratios, got {raw!r}", key=f"{key}.{grade}",
                    file=label,
                )
            for v in items:
                if not 0 <= v <= 1:
                    raise ScenarioError(f"must be between 0 and 1, got {v}",
                                        key=f"{key}.{grade}", file=label)
            values[cls] = list(dict.fromkeys(float(v) for v in items))
        try:
            sets += _expand(name, values, scheme, key)
        except ValueError as exc:
            raise ScenarioError(str(exc), key=key, file=label) from None
    if len(sets) > MAX_SETS:
        raise ScenarioError(f"gives {len(sets):,} ratio sets; at most {MAX_SETS} at once",
                            key="simulation.ratio_sets", file=label)
    return sets


def check_scenario_ratio_sets(
    tables: Sequence[Mapping], scheme: GradingScheme, label: str | None = None
) -> None:
    """Check ``[simulation] ratio_sets`` when a scenario is loaded.

    Parameters
    ----------
    tables : sequence of mapping
        The scenario's ratio sets.
    scheme : GradingScheme
        Gives the classes.
    label : str, optional
        The scenario file, for messages.

    Raises
    ------
    ScenarioError
        Naming the key at fault.
    """
    ratio_sets_from_tables(tables, scheme, label)


def plan_ratio_set(ratios: Mapping[str, float], scheme: GradingScheme) -> RatioSet:
    """Return the plan's own ``[sampling] ratios`` as a ratio set (classes not given draw 0).

    Parameters
    ----------
    ratios : mapping
        As written in the scenario (aliases allowed).
    scheme : GradingScheme
        Gives the classes.

    Returns
    -------
    RatioSet
        Named ``plan``.
    """
    by_class = {scheme.normalise(k): float(v) for k, v in ratios.items()}
    return RatioSet("plan", {c: by_class.get(c, 0.0) for c in scheme.classes}, "sampling.ratios")


def exact_ratio(count: int, population: int, *, max_digits: int = 8) -> float:
    """Return the shortest decimal ratio ``r`` with ``ceil(r * population) == count``.

    Writing this ratio into ``[sampling] ratios`` reproduces the count exactly.

    Parameters
    ----------
    count : int
        Wanted count, ``0 <= count <= population``.
    population : int
        Eligible enterprises of the class.
    max_digits : int
        Most decimal places tried before falling back to ``count / population``.

    Returns
    -------
    float
        The ratio.
    """
    if population <= 0 or count <= 0:
        return 0.0
    if count >= population:
        return 1.0
    low = Fraction(count - 1, population)  # r must be > low and <= count / population
    high = Fraction(count, population)
    for digits in range(1, max_digits + 1):
        scale = 10**digits
        candidate = Fraction(math.floor(high * scale), scale)
        if candidate > low:
            return float(Decimal(candidate.numerator) / Decimal(candidate.denominator))
    return float(high)
