"""Scenario files (``scenarios/*.toml``): one file describes one plan.

Each TOML table maps to a frozen dataclass below; the dataclass fields *are* the accepted
keys, with their types and defaults. Loading is strict: an unknown table or key, a value of
the wrong type, a ratio outside 0..1, a missing input file, an end date before the start or
broken TOML raises :class:`~planner.common.errors.ScenarioError` naming the key (or TOML line)
before any work starts. Paths are relative to the scenario file.

To add a key, add a field to the section's dataclass (with a default) and, if it needs a
rule beyond its type, a check in its table's ``_check_<table>`` (see :func:`_check_rules`).
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
from planner.common.grading import get_scheme
from planner.common.parquet import partition_files
from planner.plan.ratiosets import check_scenario_ratio_sets
from planner.plan.regrade_rules import check_regrade_section
from planner.plan.targets import check_scenario_targets

RatioTable = dict[str, float]


@dataclass(frozen=True, kw_only=True)
class PlanSection:
    """``[plan]``: the plan's identity and period.

    ``seed`` may be left out until the seed exists (``planner commit`` runs before it);
    ``seed_source`` says how the seed will be produced (e.g. a public lottery draw).
    """

    id: str
    name: str
    authority: str
    seed: str | None = None
    start: dt.date
    end: dt.date
    task_id: str | None = None
    task_name: str | None = None
    check_type: str = "不定向"
    items: list[str] = field(default_factory=list)
    seed_source: str | None = None


@dataclass(frozen=True)
class InputsSection:
    """``[inputs]``: the files the plan reads (CSV or XLSX), relative to the scenario."""

    enterprises: Path | None = None
    inspectors: Path | None = None
    avoidance: Path | None = None
    history: Path | None = None
    items: Path | None = None
    # Learned risk scores (planner learn's risk-scores.csv), joined as the column "score".
    scores: Path | None = None
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
    # With weight_by: the share of each stratum drawn by the ticket alone, so that every
    # enterprise keeps a chance of at least ceil(exploration x n) / eligible (its floor).
    exploration: float | None = None
    on_short_capacity: str = "error"
    targets: list[dict] = field(default_factory=list)
    filter_columns: list[str] = field(default_factory=list)


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
    # Department -> its own roster (planner.plan.rosters), for joint plans.
    department_rosters: dict[str, Path] = field(default_factory=dict)
    separate_pairs: Path | None = None
    partition_by: str | None = None
    experts: Path | None = None
    # Every team one whole standing group (检查小组) of the roster's group column.
    standing_groups: bool = False


@dataclass(frozen=True)
class ExportSection:
    """``[export]``: language and split of the Excel workbooks; the publication deadline."""

    language: str = "zh"
    split_by: str = "team"
    holidays: Path | None = None
    deadline_warning_days: int = 5
    # Free text with personal or internal data: "check" refuses it, "redact" masks it.
    remarks: str = "check"


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
    # Share of the "learned score with floor" strategy drawn at random from everyone.
    exploration: float = 0.1


@dataclass(frozen=True)
class LearnSection:
    """``[learn]``: learning problem risk from the history with results (see :mod:`planner.learn`).

    The history and its columns are those of ``[simulation]``. ``features`` names directory
    columns (numbers or categories) known before each inspection; ``history_features`` names
    history columns that describe the enterprise at the time (e.g. a facility type);
    ``kind_columns`` names history columns whose count (or yes) says a finding of that kind was
    made (e.g. serious violations), counted for later inspections only; ``draw_records``
    lists the ``draw-record.json`` of the plans the history came from, for the weights.
    """

    features: list[str] = field(default_factory=list)
    history_features: list[str] = field(default_factory=list)
    kind_columns: list[str] = field(default_factory=list)
    draw_records: list[Path] = field(default_factory=list)
    holdout_from: dt.date | None = None
    regularisation: float = 1.0
    min_level_count: int = 20
    bootstrap: int = 1000
    interval: float = 0.9
    budget: int | None = None


@dataclass(frozen=True)
class RegradeSection:
    """``[regrade]``: how results and events move enterprises between classes (进退级).

    See :mod:`planner.plan.regrade_rules` for the meaning of each key and its checks.
    """

    levels: dict[str, int] = field(default_factory=dict)
    max_step: int | None = None
    points: dict[str, float] = field(default_factory=dict)
    points_min: float | None = None
    points_max: float | None = None
    events: dict[str, dict] = field(default_factory=dict)


@dataclass(frozen=True)
class ProgrammeSection:
    """``[programme]``: the year's batches (see :mod:`planner.programme`).

    ``batches = N`` cuts ``[plan]`` start..end into N equal periods; ``batch_dates`` lists
    each batch's first day instead (the first is ``plan.start``; each batch ends the day
    before the next one starts). ``batch_seeds`` gives each batch its own public seed;
    without it batch K's seed is ``f"{plan.seed}/batch-{K}"``.
    """

    batches: int | None = None
    batch_dates: list[dt.date] = field(default_factory=list)
    batch_seeds: list[str] = field(default_factory=list)
    min_gap_days: int = 0
    cap_per_enterprise: int | None = None
    cycle_start: int | None = None


@dataclass(frozen=True)
class PublishSection:
    """``[publish]``: what the public bundle (``planner publish``) may show.

    ``classes = "public"`` when the scheme's grades are public (e.g. Minhang's 三色码): the
    bundle then names the stratum of each drawn enterprise; by default it shows only neutral
    labels (S1, S2, ...).
    """

    classes: str = "private"


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
    regrade: RegradeSection = field(default_factory=RegradeSection)
    programme: ProgrammeSection | None = None
    learn: LearnSection = field(default_factory=LearnSection)
    publish: PublishSection = field(default_factory=PublishSection)

    @property
    def label(self) -> str:
        """The scenario file's name, for messages."""
        return str(self.path)

    def scheme(self):
        """Return the :class:`~planner.common.grading.GradingScheme` this scenario uses."""
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
    "regrade": RegradeSection,
    "programme": ProgrammeSection,
    "publish": PublishSection,
    "learn": LearnSection,
}
CHOICES: dict[str, tuple[str, ...]] = {
    "sampling.mode": ("ratios", "frequency", "budget"),
    "sampling.spread_over": ("district",),
    "sampling.on_short_capacity": ("error", "scale-down"),
    "assignment.partition_by": ("district", "station"),
    "export.language": ("zh", "en"),
    "export.split_by": ("team", "district", "none"),
    "export.remarks": ("check", "redact"),
    "plan.check_type": ("不定向", "定向"),
    "simulation.prior": ("jeffreys", "uniform"),
    "publish.classes": ("private", "public"),
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
        if name == "programme" and name not in raw:
            continue
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
    """Return ``value`` as the field's type ``hint``, or raise naming the key."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return _coerce(value, inner[0], key, base, label)
    if hint in _SCALARS:
        return _SCALARS[hint](value, key, base, label)
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


def _path(value: Any, key: str, base: Path, label: str) -> Path:
    if not isinstance(value, str) or not value:
        raise ScenarioError("must be a file path (a string)", key=key, file=label)
    resolved = (base / value).resolve() if not Path(value).is_absolute() else Path(value)
    if resolved.is_dir():
        if not partition_files(resolved):  # a folder of Parquet partitions is one input
            raise ScenarioError(f"folder {value} holds no .parquet file (looked in "
                                f"{resolved})", key=key, file=label)
    elif not resolved.is_file():
        raise ScenarioError(f"file not found: {value} (looked for {resolved})", key=key, file=label)
    return resolved


def _date(value: Any, key: str, base: Path, label: str) -> dt.date:
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


def _string(value: Any, key: str, base: Path, label: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ScenarioError(f"must be a string, got {value!r}", key=key, file=label)
    return str(value)


def _boolean(value: Any, key: str, base: Path, label: str) -> bool:
    if not isinstance(value, bool):
        raise ScenarioError(f"must be true or false, got {value!r}", key=key, file=label)
    return value


def _whole(value: Any, key: str, base: Path, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScenarioError(f"must be a whole number, got {value!r}", key=key, file=label)
    return value


def _number(value: Any, key: str, base: Path, label: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ScenarioError(f"must be a number, got {value!r}", key=key, file=label)
    return float(value)


# The scalar types a field may have, each with its parser (value, key, base, label).
_SCALARS = {Path: _path, dt.date: _date, str: _string, bool: _boolean, int: _whole, float: _number}


def _check_rules(s: Scenario, label: str) -> None:
    """Rules beyond types, one check per table, in the order of the tables in a file."""
    _check_plan(s, label)
    scheme = _check_grading(s, label)
    _check_sampling(s, scheme, label)
    _check_targets(s, label)
    _check_assignment(s, label)
    _check_export(s, label)
    _check_simulation(s, scheme, label)
    _check_regrade(s, scheme, label)
    _check_programme(s, label)
    _check_choices(s, "publish", label)
    _check_learn(s, label)


def _check_choices(s: Scenario, section: str, label: str) -> None:
    """Check the keys of ``section`` that take one of a few values (:data:`CHOICES`)."""
    for key, choices in CHOICES.items():
        table, name = key.split(".")
        if table != section:
            continue
        value = getattr(getattr(s, table), name)
        if value is not None and value not in choices:
            raise ScenarioError(
                f"must be one of {', '.join(repr(c) for c in choices)}, got {value!r}",
                key=key,
                file=label,
            )


def _check_plan(s: Scenario, label: str) -> None:
    """Check [plan]: the check type, dates in order, a seed."""
    _check_choices(s, "plan", label)
    if s.plan.end < s.plan.start:
        raise ScenarioError(
            f"end {s.plan.end} is before start {s.plan.start}", key="plan.end", file=label
        )
    if s.plan.seed is not None and not s.plan.seed.strip():
        raise ScenarioError("seed must not be empty: publish a seed string", key="plan.seed", file=label)


def _check_grading(s: Scenario, label: str):
    """Check [grading]: a known scheme; return it for the other tables' class names."""
    try:
        return s.scheme()
    except ValueError as exc:
        raise ScenarioError(str(exc), key="grading.scheme", file=label) from None


def _check_sampling(s: Scenario, scheme, label: str) -> None:
    """Check [sampling]: choices, class tables, what each mode needs, caps, exclusion."""
    _check_choices(s, "sampling", label)
    sampling = s.sampling
    for table_name in ("ratios", "floors", "caps"):
        _check_class_table(getattr(sampling, table_name), f"sampling.{table_name}", scheme, label,
                           unit=True)
    _check_class_table(sampling.frequency, "sampling.frequency", scheme, label, unit=False)
    _check_class_table(sampling.annual_cap, "sampling.annual_cap", scheme, label, unit=False)
    _check_class_table(s.simulation.prevalence, "simulation.prevalence", scheme, label, unit=True)
    needs = {
        "ratios": (not sampling.ratios, "sampling.ratios",
                   "mode 'ratios' needs ratios = { A = 0.03, ... }"),
        "frequency": (not sampling.frequency, "sampling.frequency",
                      "mode 'frequency' needs frequency = { A = 0.5, B = 1, ... } "
                      "(inspections per year)"),
        "budget": (sampling.budget is None or sampling.budget < 0, "sampling.budget",
                   "mode 'budget' needs budget = N (total inspections, >= 0)"),
    }
    if sampling.mode in needs:
        missing, key, message = needs[sampling.mode]
        if missing:
            raise ScenarioError(message, key=key, file=label)
    if sampling.mode == "budget" and not s.simulation.prevalence:
        raise ScenarioError(
            "mode 'budget' needs the per-class prevalence: add [simulation] prevalence = "
            "{ A = 0.02, B = 0.05, ... }", key="simulation.prevalence", file=label,
        )
    for grade, cap in sampling.annual_cap.items():
        if cap < 1:
            raise ScenarioError(f"must be at least 1 inspection a year, got {cap}",
                                key=f"sampling.annual_cap.{grade}", file=label)
    if sampling.exclusion_days is not None and sampling.exclusion_days < 0:
        raise ScenarioError("must be >= 0", key="sampling.exclusion_days", file=label)
    _check_exploration(sampling, label)
    if sampling.mode == "ratios":
        ratios = {scheme.normalise(k): v for k, v in sampling.ratios.items()}
        for grade, floor in sampling.floors.items():
            ratio = ratios.get(scheme.normalise(grade))
            if ratio is not None and ratio < floor:
                raise ScenarioError(
                    f"ratio {ratio:g} is below the class's floor {floor:g} ([sampling] floors): "
                    "every enterprise keeps at least the floor's chance of inspection",
                    key=f"sampling.ratios.{grade}", file=label)


def _check_exploration(sampling: SamplingSection, label: str) -> None:
    """Check the exploration share of a weighted draw, and that its floors can hold."""
    if sampling.exploration is not None:
        if not 0 <= sampling.exploration <= 1:
            raise ScenarioError("must be between 0 and 1, e.g. 0.1", key="sampling.exploration",
                                file=label)
        if not sampling.weight_by:
            raise ScenarioError("the exploration share is the part of a weighted draw "
                                "(weight_by) drawn by ticket alone; a draw by class is uniform "
                                "within each class already", key="sampling.exploration",
                                file=label)
    if sampling.weight_by and sampling.mode == "ratios" and any(sampling.floors.values()) \
            and not sampling.exploration:
        raise ScenarioError("a weighted draw keeps every enterprise above its class's floor "
                            "only through an exploration share: set exploration = 0.1 (or "
                            "more) beside weight_by", key="sampling.exploration", file=label)


def _check_assignment(s: Scenario, label: str) -> None:
    """Check [assignment]: team size, joint departments, capacity, q, the planning unit."""
    _check_choices(s, "assignment", label)
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
    for department in a.department_rosters:
        if department not in a.joint_departments:
            raise ScenarioError(
                f"{department} is not one of joint_departments "
                f"({', '.join(a.joint_departments) or 'none given'}); a department roster "
                "is for a department of the joint plan",
                key=f"assignment.department_rosters.{department}", file=label)


def _check_export(s: Scenario, label: str) -> None:
    """Check [export]: language, split, the deadline warning."""
    _check_choices(s, "export", label)
    if s.export.deadline_warning_days < 0:
        raise ScenarioError("must be >= 0 (working days)", key="export.deadline_warning_days",
                            file=label)


def _check_simulation(s: Scenario, scheme, label: str) -> None:
    """Check [simulation]: prior, replications, interval, population, class map, ratio sets."""
    _check_choices(s, "simulation", label)
    sim = s.simulation
    if sim.reps < 1:
        raise ScenarioError("must be >= 1", key="simulation.reps", file=label)
    if not 0 < sim.interval < 1:
        raise ScenarioError("must be in (0, 1), e.g. 0.9", key="simulation.interval", file=label)
    if not 0 <= sim.exploration <= 1:
        raise ScenarioError("must be between 0 and 1, e.g. 0.1", key="simulation.exploration",
                            file=label)
    _check_class_table(sim.population, "simulation.population", scheme, label, unit=False)
    for value, target in sim.class_map.items():
        if scheme.normalise(target) is None:
            raise ScenarioError(
                f"maps {value!r} to {target!r}, which is not a class of scheme {scheme.name!r} "
                f"({', '.join(scheme.classes)})",
                key=f"simulation.class_map.{value}",
                file=label,
            )
    check_scenario_ratio_sets(sim.ratio_sets, scheme, label)


def _check_learn(s: Scenario, label: str) -> None:
    """Check [learn]: a positive penalty, sane counts, an interval, one name per feature."""
    learn = s.learn
    if not learn.regularisation > 0:
        raise ScenarioError("must be > 0 (the inverse strength of the L2 penalty, e.g. 1.0)",
                            key="learn.regularisation", file=label)
    for key, least in (("min_level_count", 1), ("bootstrap", 1), ("budget", 0)):
        value = getattr(learn, key)
        if value is not None and value < least:
            raise ScenarioError(f"must be >= {least}, got {value}", key=f"learn.{key}", file=label)
    if not 0 < learn.interval < 1:
        raise ScenarioError("must be in (0, 1), e.g. 0.9", key="learn.interval", file=label)
    for key in ("features", "history_features", "kind_columns"):
        names = getattr(learn, key)
        for i, name in enumerate(names):
            if not name.strip() or name in names[:i]:
                raise ScenarioError(f"names {name!r} {'twice' if name.strip() else 'empty'}",
                                    key=f"learn.{key}[{i}]", file=label)
    for key in ("features", "history_features", "kind_columns"):
        for i, name in enumerate(getattr(learn, key)):
            if s.simulation.problem_column and name.strip().lower() == \
                    s.simulation.problem_column.strip().lower():
                raise ScenarioError(
                    f"{name!r} is the outcome itself ([simulation] problem_column): a feature "
                    "must be known before the inspection", key=f"learn.{key}[{i}]", file=label)


def _check_targets(s: Scenario, label: str) -> None:
    """Check [[sampling.targets]]: see :func:`planner.plan.targets.check_scenario_targets`."""
    check_scenario_targets(s, label)


def _check_regrade(s: Scenario, scheme, label: str) -> None:
    """Check [regrade]: see :func:`planner.plan.regrade_rules.check_regrade_section`."""
    check_regrade_section(s.regrade, scheme, label)


def _check_programme(s: Scenario, label: str) -> None:
    """Check [programme]: one way to cut the year, dates inside the plan, sane numbers."""
    p = s.programme
    if p is None:
        return
    _check_programme_batches(s, p, label)
    _check_programme_limits(s, p, label)
    _check_programme_sampling(s, label)


def _check_programme_batches(s: Scenario, p: ProgrammeSection, label: str) -> None:
    """Check how [programme] cuts the year: batches or batch_dates, and one seed per batch."""
    if (p.batches is None) == (not p.batch_dates):
        raise ScenarioError("give either batches = N or batch_dates = [...], not both or neither",
                            key="programme.batches", file=label)
    if p.batches is not None and not 1 <= p.batches <= (s.plan.end - s.plan.start).days + 1:
        raise ScenarioError(f"must be between 1 and the plan's length in days, got {p.batches}",
                            key="programme.batches", file=label)
    if p.batch_dates:
        if p.batch_dates[0] != s.plan.start:
            raise ScenarioError(f"the first batch must start on plan.start {s.plan.start}, got "
                                f"{p.batch_dates[0]}", key="programme.batch_dates[0]", file=label)
        for i in range(1, len(p.batch_dates)):
            if not p.batch_dates[i - 1] < p.batch_dates[i] <= s.plan.end:
                raise ScenarioError("batch dates must increase and lie within the plan "
                                    f"({s.plan.start} to {s.plan.end})",
                                    key=f"programme.batch_dates[{i}]", file=label)
    count = p.batches or len(p.batch_dates)
    if p.batch_seeds and len(p.batch_seeds) != count:
        raise ScenarioError(f"needs one seed per batch ({count}), got {len(p.batch_seeds)}",
                            key="programme.batch_seeds", file=label)
    if any(not seed.strip() for seed in p.batch_seeds):
        raise ScenarioError("a batch seed is empty", key="programme.batch_seeds", file=label)


def _check_programme_limits(s: Scenario, p: ProgrammeSection, label: str) -> None:
    """Check [programme]'s numbers: the gap, the cap, one calendar year, the cycle's start."""
    if p.min_gap_days < 0:
        raise ScenarioError("must be >= 0", key="programme.min_gap_days", file=label)
    if p.cap_per_enterprise is not None and p.cap_per_enterprise < 1:
        raise ScenarioError("must be at least 1 inspection a year",
                            key="programme.cap_per_enterprise", file=label)
    if s.plan.start.year != s.plan.end.year:
        raise ScenarioError("a programme plans one calendar year (caps and frequencies are per "
                            "year); run one programme a year and set cycle_start for a "
                            "multi-year coverage cycle", key="plan.end", file=label)
    if p.cycle_start is not None and p.cycle_start > s.plan.start.year:
        raise ScenarioError(f"the cycle cannot start after the plan's year {s.plan.start.year}",
                            key="programme.cycle_start", file=label)


def _check_programme_sampling(s: Scenario, label: str) -> None:
    """Refuse the [sampling] settings a programme replaces with its own rules."""
    if s.sampling.mode == "budget":
        raise ScenarioError("a programme plans from ratios or frequencies; mode 'budget' is "
                            "for single plans", key="sampling.mode", file=label)
    if s.sampling.exclusion_days is not None:
        raise ScenarioError("a programme spaces inspections with [programme] min_gap_days; "
                            "remove exclusion_days", key="sampling.exclusion_days", file=label)
    if s.sampling.inclusions is not None:
        raise ScenarioError("a programme draws its must-inspect enterprises from the "
                            "frequencies; plan a listed enterprise in a separate plan",
                            key="sampling.inclusions", file=label)


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
