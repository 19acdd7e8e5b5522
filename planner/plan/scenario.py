"""Scenario files (``scenarios/*.toml``): one file describes one plan.

Each TOML table maps to a frozen dataclass below; the dataclass fields *are* the accepted
keys, with their types and defaults. Loading is strict: an unknown table or key, a value of
the wrong type, a ratio outside 0..1, a missing input file, an end date before the start or
broken TOML raises :class:`~planner.common.errors.ScenarioError` naming the key (or TOML line)
before any work starts. Paths are relative to the scenario file.

To add a key, add a field to the section's dataclass (with a default) and, if it needs a
rule beyond its type, a check in :func:`_check_rules`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planner.common.errors import ScenarioError

RatioTable = dict[str, float]


@dataclass(frozen=True)
class PlanSection:
    """``[plan]``: the plan's identity and period."""

    id: str
    name: str
    authority: str
    seed: str
    start: dt.date
    end: dt.date
    task_id: str | None = None
    task_name: str | None = None
    check_type: str = "不定向"
    items: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class InputsSection:
    """``[inputs]``: the files the plan reads (CSV or XLSX), relative to the scenario."""

    enterprises: Path | None = None
    inspectors: Path | None = None
    avoidance: Path | None = None
    history: Path | None = None
    items: Path | None = None
    encoding: str | None = None
    sheet: str | None = None
    accept_legacy_ids: bool = False


@dataclass(frozen=True)
class GradingSection:
    """``[grading]``: how grades or scores become risk classes (see :mod:`planner.common.grading`)."""

    scheme: str = "abcd"
    classes: list[str] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)
    bands: list[dict] = field(default_factory=list)
    score_column: str | None = None


@dataclass(frozen=True)
class SamplingSection:
    """``[sampling]``: eligibility, allocation and selection of the first random draw."""

    mode: str = "ratios"
    ratios: RatioTable = field(default_factory=dict)
    frequency: RatioTable = field(default_factory=dict)
    budget: int | None = None
    floors: RatioTable = field(default_factory=dict)
    caps: RatioTable = field(default_factory=dict)
    spread_over: str | None = None
    exclusion_days: int | None = None
    annual_cap: dict[str, int] = field(default_factory=dict)
    inclusions: Path | None = None
    weight_by: str | None = None
    on_short_capacity: str = "error"


@dataclass(frozen=True)
class AssignmentSection:
    """``[assignment]``: rules for the second random draw (inspector teams)."""

    team_size: int = 2
    require_lead: bool = True
    cross_station: bool = False
    rotation: bool = False
    max_pair_probability: float | None = None
    capacity: int = 30
    joint_departments: list[str] = field(default_factory=list)
    separate_pairs: Path | None = None
    partition_by: str | None = None


@dataclass(frozen=True)
class ExportSection:
    """``[export]``: language and split of the Excel workbooks; the publication deadline."""

    language: str = "zh"
    split_by: str = "team"
    holidays: Path | None = None
    deadline_warning_days: int = 5


@dataclass(frozen=True)
class SimulationSection:
    """``[simulation]``: what-if runs of candidate ratio sets."""

    prevalence: RatioTable = field(default_factory=dict)
    reps: int = 10_000
    history: Path | None = None
    ratio_sets: list[dict] = field(default_factory=list)
    interval: float = 0.9
    class_column: str | None = None
    class_map: dict[str, str] = field(default_factory=dict)
    problem_column: str | None = None
    id_column: str | None = None
    population: dict[str, int] = field(default_factory=dict)
    prior: str = "jeffreys"


@dataclass(frozen=True)
class Scenario:
    """A whole plan as read from one TOML file."""

    path: Path
    plan: PlanSection
    inputs: InputsSection = field(default_factory=InputsSection)
    grading: GradingSection = field(default_factory=GradingSection)
    sampling: SamplingSection = field(default_factory=SamplingSection)
    assignment: AssignmentSection = field(default_factory=AssignmentSection)
    export: ExportSection = field(default_factory=ExportSection)
    simulation: SimulationSection = field(default_factory=SimulationSection)

    @property
    def label(self) -> str:
        """The scenario file's name, for messages."""
        return str(self.path)

    def scheme(self):
        """Return the :class:`~planner.common.grading.GradingScheme` this scenario uses."""
        from planner.common.grading import get_scheme

        g = self.grading
        return get_scheme(
            g.scheme,
            classes=g.classes,
            aliases=g.aliases,
            bands=g.bands,
            score_column=g.score_column,
        )


SECTIONS: dict[str, type] = {
    "plan": PlanSection,
    "inputs": InputsSection,
    "grading": GradingSection,
    "sampling": SamplingSection,
    "assignment": AssignmentSection,
    "export": ExportSection,
    "simulation": SimulationSection,
}
CHOICES: dict[str, tuple[str, ...]] = {
    "sampling.mode": ("ratios", "frequency", "budget"),
    "sampling.spread_over": ("district",),
    "sampling.on_short_capacity": ("error", "scale-down"),
    "assignment.partition_by": ("district", "station"),
    "export.language": ("zh", "en"),
    "export.split_by": ("team", "district", "none"),
    "plan.check_type": ("不定向", "定向"),
    "simulation.prior": ("jeffreys", "uniform"),
}


def load_scenario(path: str | Path) -> Scenario:
    """Read and check a scenario file.

    Parameters
    ----------
    path : str or pathlib.Path
        The ``.toml`` file.

    Returns
    -------
    Scenario
        The checked scenario, with paths resolved against the file's folder.

    Raises
    ------
    ScenarioError
        Naming the file and the key (or TOML line) at fault.
    """
    path = Path(path)
    label = str(path)
    if not path.is_file():
        raise ScenarioError("scenario file not found", file=label)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError:
        raise ScenarioError("is not UTF-8 text; save the scenario as UTF-8", file=label) from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"is not valid TOML: {exc}", file=label) from None
    return scenario_from_dict(raw, path)


def scenario_from_dict(raw: dict[str, Any], path: Path) -> Scenario:
    """Build a :class:`Scenario` from parsed TOML, checking every key.

    Parameters
    ----------
    raw : dict
        The parsed TOML document.
    path : pathlib.Path
        The file it came from (paths are resolved against its folder).

    Returns
    -------
    Scenario
        The checked scenario.

    Raises
    ------
    ScenarioError
        On the first key at fault.
    """
    label = str(path)
    unknown = sorted(set(raw) - set(SECTIONS))
    if unknown:
        raise ScenarioError(
            f"unknown table [{unknown[0]}]; the tables are {', '.join(SECTIONS)}", file=label
        )
    if "plan" not in raw:
        raise ScenarioError("missing table [plan] (id, name, authority, seed, start, end)", file=label)
    base = path.parent
    sections = {}
    for name, cls in SECTIONS.items():
        table = raw.get(name, {})
        if not isinstance(table, dict):
            raise ScenarioError(f"{name} must be a table [{name}]", file=label)
        sections[name] = _build(cls, table, name, base, label)
    scenario = Scenario(path=path, **sections)
    _check_rules(scenario, label)
    return scenario


def _build(cls: type, table: dict[str, Any], section: str, base: Path, label: str):
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(table) - set(fields))
    if unknown:
        raise ScenarioError(
            f"unknown key; [{section}] accepts {', '.join(fields)}",
            key=f"{section}.{unknown[0]}",
            file=label,
        )
    values = {}
    for name, f in fields.items():
        key = f"{section}.{name}"
        if name not in table:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ScenarioError("required key is missing", key=key, file=label)
            continue
        values[name] = _coerce(table[name], hints[name], key, base, label)
    return cls(**values)


def _coerce(value: Any, hint: Any, key: str, base: Path, label: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return _coerce(value, inner[0], key, base, label)
    if hint is Path:
        if not isinstance(value, str) or not value:
            raise ScenarioError("must be a file path (a string)", key=key, file=label)
        resolved = (base / value).resolve() if not Path(value).is_absolute() else Path(value)
        if resolved.is_dir():
            from planner.common.parquet import partition_files

            if not partition_files(resolved):  # a folder of Parquet partitions is one input
                raise ScenarioError(f"folder {value} holds no .parquet file (looked in "
                                    f"{resolved})", key=key, file=label)
        elif not resolved.is_file():
            raise ScenarioError(f"file not found: {value} (looked for {resolved})", key=key, file=label)
        return resolved
    if hint is dt.date:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        raise ScenarioError(f"must be a date like 2026-01-01, got {value!r}", key=key, file=label)
    if hint is str:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise ScenarioError(f"must be a string, got {value!r}", key=key, file=label)
        return str(value)
    if hint is bool:
        if not isinstance(value, bool):
            raise ScenarioError(f"must be true or false, got {value!r}", key=key, file=label)
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ScenarioError(f"must be a whole number, got {value!r}", key=key, file=label)
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ScenarioError(f"must be a number, got {value!r}", key=key, file=label)
        return float(value)
    if origin is dict:
        if not isinstance(value, dict):
            raise ScenarioError("must be a table like { A = 0.03, B = 0.05 }", key=key, file=label)
        return {
            str(k): _coerce(v, args[1], f"{key}.{k}", base, label) for k, v in value.items()
        }
    if origin is list:
        if not isinstance(value, list):
            raise ScenarioError("must be a list [ ... ]", key=key, file=label)
        return [_coerce(v, args[0], f"{key}[{i}]", base, label) for i, v in enumerate(value)]
    if hint is dict:
        if not isinstance(value, dict):
            raise ScenarioError("must be a table { ... }", key=key, file=label)
        return value
    raise TypeError(f"no coercion for {hint!r} ({key})")  # a programming error, not user input


def _check_rules(s: Scenario, label: str) -> None:
    """Rules beyond types: choices, ranges, dates, class names."""
    for key, choices in CHOICES.items():
        section, name = key.split(".")
        value = getattr(getattr(s, section), name)
        if value is not None and value not in choices:
            raise ScenarioError(
                f"must be one of {', '.join(repr(c) for c in choices)}, got {value!r}",
                key=key,
                file=label,
            )
    if s.plan.end < s.plan.start:
        raise ScenarioError(
            f"end {s.plan.end} is before start {s.plan.start}", key="plan.end", file=label
        )
    if not s.plan.seed.strip():
        raise ScenarioError("seed must not be empty: publish a seed string", key="plan.seed", file=label)
    try:
        scheme = s.scheme()
    except ValueError as exc:
        raise ScenarioError(str(exc), key="grading.scheme", file=label) from None
    for table_name in ("ratios", "floors", "caps"):
        _check_class_table(getattr(s.sampling, table_name), f"sampling.{table_name}", scheme, label,
                           unit=True)
    _check_class_table(s.sampling.frequency, "sampling.frequency", scheme, label, unit=False)
    _check_class_table(s.sampling.annual_cap, "sampling.annual_cap", scheme, label, unit=False)
    _check_class_table(s.simulation.prevalence, "simulation.prevalence", scheme, label, unit=True)
    if s.sampling.mode == "ratios" and not s.sampling.ratios:
        raise ScenarioError(
            "mode 'ratios' needs ratios = { A = 0.03, ... }", key="sampling.ratios", file=label
        )
    if s.sampling.mode == "frequency" and not s.sampling.frequency:
        raise ScenarioError(
            "mode 'frequency' needs frequency = { A = 0.5, B = 1, ... } (inspections per year)",
            key="sampling.frequency",
            file=label,
        )
    if s.sampling.mode == "budget" and (s.sampling.budget is None or s.sampling.budget < 0):
        raise ScenarioError(
            "mode 'budget' needs budget = N (total inspections, >= 0)", key="sampling.budget",
            file=label,
        )
    if s.sampling.mode == "budget" and not s.simulation.prevalence:
        raise ScenarioError(
            "mode 'budget' needs the per-class prevalence: add [simulation] prevalence = "
            "{ A = 0.02, B = 0.05, ... }", key="simulation.prevalence", file=label,
        )
    for grade, cap in s.sampling.annual_cap.items():
        if cap < 1:
            raise ScenarioError(f"must be at least 1 inspection a year, got {cap}",
                                key=f"sampling.annual_cap.{grade}", file=label)
    if s.sampling.exclusion_days is not None and s.sampling.exclusion_days < 0:
        raise ScenarioError("must be >= 0", key="sampling.exclusion_days", file=label)
    a = s.assignment
    if a.team_size < 2:
        raise ScenarioError(
            "must be at least 2 (SAMR order 49, art. 23: at least two inspectors)",
            key="assignment.team_size",
            file=label,
        )
    if a.joint_departments and len(a.joint_departments) > a.team_size:
        raise ScenarioError(
            f"{len(a.joint_departments)} departments need team_size >= {len(a.joint_departments)}",
            key="assignment.joint_departments",
            file=label,
        )
    if a.capacity < 0:
        raise ScenarioError("must be >= 0", key="assignment.capacity", file=label)
    if a.max_pair_probability is not None and not 0 < a.max_pair_probability <= 1:
        raise ScenarioError(
            f"must be in (0, 1], got {a.max_pair_probability}",
            key="assignment.max_pair_probability",
            file=label,
        )
    if a.partition_by == "station" and a.cross_station:
        raise ScenarioError(
            "partition_by = \"station\" keeps every team inside its station, which "
            "cross_station = true forbids; use partition_by = \"district\"",
            key="assignment.partition_by",
            file=label,
        )
    if len(set(a.joint_departments)) != len(a.joint_departments):
        raise ScenarioError("names a department twice", key="assignment.joint_departments",
                            file=label)
    if s.export.deadline_warning_days < 0:
        raise ScenarioError("must be >= 0 (working days)", key="export.deadline_warning_days",
                            file=label)
    if s.simulation.reps < 1:
        raise ScenarioError("must be >= 1", key="simulation.reps", file=label)
    if not 0 < s.simulation.interval < 1:
        raise ScenarioError("must be in (0, 1), e.g. 0.9", key="simulation.interval", file=label)
    _check_class_table(s.simulation.population, "simulation.population", scheme, label,
                       unit=False)
    for value, target in s.simulation.class_map.items():
        if scheme.normalise(target) is None:
            raise ScenarioError(
                f"maps {value!r} to {target!r}, which is not a class of scheme {scheme.name!r} "
                f"({', '.join(scheme.classes)})",
                key=f"simulation.class_map.{value}",
                file=label,
            )
    from planner.simulate.ratiosets import check_scenario_ratio_sets

    check_scenario_ratio_sets(s.simulation.ratio_sets, scheme, label)


def _check_class_table(
    table: dict[str, float], key: str, scheme, label: str, *, unit: bool
) -> None:
    for grade, value in table.items():
        if scheme.normalise(grade) is None:
            raise ScenarioError(
                f"unknown class {grade!r} for scheme {scheme.name!r}; its classes are "
                f"{', '.join(scheme.classes)}",
                key=f"{key}.{grade}",
                file=label,
            )
        if value < 0 or (unit and value > 1):
            bound = "between 0 and 1" if unit else ">= 0"
            raise ScenarioError(f"must be {bound}, got {value}", key=f"{key}.{grade}", file=label)


def class_table(table: dict[str, float], scheme) -> dict[str, float]:
    """Return a per-class table keyed by the scheme's canonical class labels.

    Parameters
    ----------
    table : dict
        As written in the scenario (keys may be aliases such as ``绿`` or ``green``).
    scheme : planner.common.grading.GradingScheme
        The scheme whose labels to use.

    Returns
    -------
    dict
        ``{class label: value}`` in the scheme's class order.
    """
    by_class = {scheme.normalise(k): v for k, v in table.items()}
    return {c: by_class[c] for c in scheme.classes if c in by_class}
