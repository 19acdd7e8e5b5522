"""``planner simulate``: compare what candidate ratio sets would find (抽查比例模拟比较).

:func:`simulate_scenario` is the command: it works out each class's population and problem
rate from the scenario, compares candidate ratio sets under three strategies and writes
``simulation.csv``, ``simulation.xlsx``, ``simulation.png`` and ``prevalence.csv``.

For each ratio set the strategies are:

- ``risk-weighted``: the ratio set itself, ``n_c = ceil(ratio_c * N_c)`` (as the draw does);
- ``uniform``: the same total drawn at random from the whole population, without regard to
  class;
- ``optimised``: the same total split by :func:`planner.draw.allocate.by_budget` to maximise the
  expected problems found, within the per-class floors (``--floor`` or ``[sampling] floors``)
  and caps (``[sampling] caps``).

Where the numbers come from:

- population per class: ``[simulation] population`` when given; else the active
  enterprises of ``[inputs] enterprises``; else the distinct enterprises of the history (each
  in the class of its latest inspection);
- problem rate per class: ``[simulation] prevalence`` where given (a known rate), else a Beta
  posterior from the history with results (``[simulation] history``, or ``[inputs] history``),
  see :mod:`planner.simulate.prevalence`;
- the model and its exact expectations: :mod:`planner.simulate.montecarlo`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from planner.common.errors import InfeasiblePlanError, Problem, ScenarioError
from planner.common.io import write_csv_atomic
from planner.draw import allocate
from planner.plan.inputs import load_inputs
from planner.plan.ratiosets import (
    RatioSet,
    exact_ratio,
    parse_floor_texts,
    parse_ratio_text,
    plan_ratio_set,
    ratio_sets_from_tables,
)
from planner.plan.scenario import Scenario, class_table, load_scenario
from planner.plan.transaction import locks_output
from planner.simulate.items import expected_item_problems, read_item_discovery
from planner.simulate.learned import add_learned, read_scores
from planner.simulate.montecarlo import (
    PrevalenceModel,
    expected_found,
    expected_found_uniform,
    seed_sequence,
    simulate_found,
    tail_quantiles,
)
from planner.simulate.prevalence import History, estimate_rates, population_from_history, read_history
from planner.simulate.report import summary_lines, write_outputs

STRATEGIES = ("risk-weighted", "uniform", "optimised")
# What --item-discovery adds to the simulation's folder (planner.simulate.items).
ITEM_SIMULATION = "item-simulation.csv"
MAX_DRAWS = 50_000_000  # ratio sets x replications held in memory at once


@dataclass(frozen=True)
class Comparison:
    """The ratio sets compared.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row per ratio set and strategy (see :func:`compare_ratio_sets`).
    by_class : pandas.DataFrame
        One row per ratio set, strategy and class: exact expectations.
    notes : list of str
        Strategies that could not be evaluated, and why.
    """

    summary: pd.DataFrame
    by_class: pd.DataFrame
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Recommendation:
    """The per-class allocation that maximises expected problems found under a budget.

    Attributes
    ----------
    budget : int
        Inspections asked for.
    counts : dict
        Class -> inspections (they sum to the budget, or to what the caps allow).
    ratios : dict
        Class -> the shortest decimal ratio that gives exactly that count.
    expected_found : float
        Exact expected problems found.
    uniform_found : float
        Exact expected problems found by a uniform random draw of the same total.
    floors, caps : dict
        The limits used (class -> ratio).
    """

    budget: int
    counts: dict[str, int]
    ratios: dict[str, float]
    expected_found: float
    uniform_found: float
    floors: dict[str, float]
    caps: dict[str, float]

    @property
    def total(self) -> int:
        """Inspections allocated."""
        return sum(self.counts.values())

    @property
    def gain(self) -> float:
        """Expected extra problems found over uniform sampling."""
        return self.expected_found - self.uniform_found

    def ratio_set(self) -> RatioSet:
        """Return the recommendation as a ratio set to compare with the others."""
        return RatioSet(f"optimised (budget {self.budget})", dict(self.ratios), "--optimise")


@dataclass(frozen=True)
class SimulationResult:
    """Everything ``planner simulate`` found and wrote.

    Attributes
    ----------
    scenario : Scenario
        The scenario simulated.
    rates : pandas.DataFrame
        Per class: population and its source, the rate used, its source and interval.
    comparison : Comparison
        The ratio sets compared.
    recommendation : Recommendation or None
        With ``optimise``.
    reps : int
        Replications.
    interval : float
        Probability of the reported intervals.
    files : dict
        Output name -> path written.
    history : History or None
        The history the rates were estimated from.
    population_source : str
        Where the population per class came from.
    warnings : list of Problem
        Input problems that did not stop the run (for the command to print).
    items : pandas.DataFrame or None
        With ``item_discovery``: expected problems per ratio set, strategy and item
        (:func:`planner.simulate.items.expected_item_problems`).
    """

    scenario: Scenario
    rates: pd.DataFrame
    comparison: Comparison
    recommendation: Recommendation | None
    reps: int
    interval: float
    files: dict[str, Path]
    history: History | None = None
    population_source: str = ""
    warnings: list = field(default_factory=list)
    items: pd.DataFrame | None = None

    def summary_lines(self) -> list[str]:
        """Return the text ``planner simulate`` prints."""
        return summary_lines(self)


@locks_output("out", "planner simulate")
def simulate_scenario(
    scenario: str | Path,
    out: str | Path,
    *,
    ratios: Sequence[str] = (),
    reps: int | None = None,
    optimise: bool = False,
    budget: int | None = None,
    floors: Sequence[str] = (),
    encoding: str | None = None,
    progress=None,
    item_discovery: Sequence[str | Path] = (),
    scores: str | Path | None = None,
    allow_zero: bool = False,
) -> SimulationResult:
    """Compare ratio sets on a scenario and write the table and chart.

    Parameters
    ----------
    scenario : str or pathlib.Path
        The scenario TOML file.
    out : str or pathlib.Path
        Output folder (created if needed).
    ratios : sequence of str
        Ratio sets as ``--ratios`` text (see :mod:`planner.plan.ratiosets`); default: the
        scenario's ``[simulation] ratio_sets``, else its ``[sampling] ratios``.
    reps : int, optional
        Replications (default ``[simulation] reps``).
    optimise : bool
        Also recommend the per-class allocation of ``budget`` inspections that maximises
        expected problems found, and compare it.
    budget : int, optional
        Inspections for ``optimise`` (default ``[sampling] budget``).
    floors : sequence of str
        Per-class minimum ratios as ``--floor`` text (default ``[sampling] floors``).
    encoding : str, optional
        CSV encoding of the inputs.
    item_discovery : sequence of str or pathlib.Path
        ``item-discovery.csv`` files (``planner results``): their per-item problem rates,
        pooled, give the expected problems per item of each ratio set and strategy, printed
        and written to ``OUT/item-simulation.csv`` (:mod:`planner.simulate.items`).
    progress : callable, optional
        Progress reporter.
    scores : str or pathlib.Path, optional
        A ``risk-scores.csv`` of ``planner learn`` (default ``[inputs] scores``): adds the
        strategy "learned score with floor" (:mod:`planner.simulate.learned`) at each ratio
        set's total.
    allow_zero : bool
        With ``optimise``: accept a recommendation that gives a class no inspection (by
        default refused: every class keeps a chance of inspection).

    Returns
    -------
    SimulationResult
        What was found and written.

    Raises
    ------
    ScenarioError
        For bad options or a scenario that gives no population, rate or ratio set.
    InputError
        For unreadable input or history rows.
    InfeasiblePlanError
        When the floors alone need more than the budget.
    """
    scn = load_scenario(scenario)
    if scn.plan.seed is None:
        raise ScenarioError(
            "required key is missing: the simulation's replications come from [plan] seed; "
            "a plan still to be committed has none yet, so simulate with a copy of the "
            "scenario that names any seed (it does not change the later draw)",
            key="plan.seed", file=scn.label)
    scheme = scn.scheme()
    classes = list(scheme.classes)
    sim = scn.simulation
    cli_sets = [s for text in ratios for s in parse_ratio_text(text, scheme)]
    floor_table = (parse_floor_texts(floors, scheme) if floors
                   else class_table(scn.sampling.floors, scheme))
    caps = class_table(scn.sampling.caps, scheme)
    if budget is not None and not optimise:
        raise ScenarioError("--budget is the budget of --optimise; add --optimise")
    if optimise:
        budget = budget if budget is not None else scn.sampling.budget
        if budget is None:
            raise ScenarioError("--optimise needs --budget N (total inspections), or "
                                "[sampling] budget in the scenario")
        if budget < 0:
            raise ScenarioError(f"--budget must be >= 0, got {budget}")
    reps = reps if reps is not None else sim.reps
    if reps < 1:
        raise ScenarioError(f"--reps must be >= 1, got {reps}")

    item_rates, item_warnings = _item_rates(item_discovery)
    directory = None
    warnings = []
    if scn.inputs.enterprises is not None:
        inputs = load_inputs(scn, encoding=encoding, progress=progress)
        directory = inputs.enterprises
        directory_file = inputs.files["enterprises"].resolve()
        warnings = [w for w in inputs.warnings if Path(w.file).resolve() == directory_file]
    given = class_table(sim.prevalence, scheme)
    history = _read_history(scn, scheme, directory, encoding, needed=len(given) < len(classes)
                            or (not sim.population and directory is None))
    population, population_source = _population(scn, scheme, directory, history)
    if progress:
        progress("estimating problem rates")
    rates, model = _prevalence(scn, classes, population, given, history)
    rates.insert(0, "population", [population[c] for c in classes])
    rates.insert(1, "population_source", population_source)

    recommendation = None
    if optimise:
        recommendation = recommend(population, model, budget, floors=floor_table, caps=caps)
        _refuse_zero(recommendation, population, allow_zero)
    sets = (cli_sets or ratio_sets_from_tables(sim.ratio_sets, scheme, scn.label)
            or ([plan_ratio_set(scn.sampling.ratios, scheme)] if scn.sampling.ratios else []))
    if recommendation is not None:
        sets = [*sets, recommendation.ratio_set()]
    if not sets:
        raise ScenarioError(
            "no ratio set to compare: pass --ratios 'A=0.03,B=0.1,...', or set [simulation] "
            "ratio_sets or [sampling] ratios, or pass --optimise --budget N",
            file=scn.label,
        )
    if len(sets) * reps * 2 > MAX_DRAWS:
        raise ScenarioError(
            f"{len(sets)} ratio sets x {reps:,} replications is too much to hold at once; "
            "compare fewer sets or lower --reps"
        )
    if progress:
        progress(f"simulating {len(sets)} ratio set(s) x {reps:,} replications")
    comparison = compare_ratio_sets(
        population, model, sets, reps=reps, seed=scn.plan.seed, interval=sim.interval,
        floors=floor_table, caps=caps,
    )
    comparison = _with_learned(comparison, scn, scores or scn.inputs.scores, model, directory,
                               floor_table)
    if history is not None:
        warnings += history.warnings
    warnings += [Problem("--item-discovery", w, severity="warning") for w in item_warnings]
    result = SimulationResult(scn, rates, comparison, recommendation, reps, sim.interval, {},
                              history, population_source, warnings)
    result.files.update(write_outputs(result, Path(out), progress=progress))
    return _with_items(result, item_rates, Path(out))


def _with_learned(comparison: Comparison, scn: Scenario, scores: str | Path | None,
                  model: PrevalenceModel, directory, floors) -> Comparison:
    """Add the strategy "learned score with floor" when a scores file is given."""
    if scores is None:
        return comparison
    classes = list(model.classes)
    scored = read_scores(scores, classes, directory)
    return add_learned(comparison, scored, dict(zip(classes, model.mean, strict=True)),
                       floors=floors, exploration=scn.simulation.exploration,
                       interval=scn.simulation.interval)


def _refuse_zero(recommendation: Recommendation, population: Mapping[str, int],
                 allow_zero: bool) -> None:
    """Refuse a recommendation that leaves a class without any chance of inspection."""
    zero = [c for c, n in recommendation.counts.items() if n == 0 and population.get(c, 0)]
    if zero and not allow_zero:
        floors = ",".join(f"{c}=0.02" for c in zero)
        raise ScenarioError(
            f"the optimised allocation gives class {', '.join(zero)} no inspection (ratio 0): "
            "its enterprises would have no chance of being drawn, and the next results would "
            f"say nothing about them; give a floor (--floor {floors}, or [sampling] floors), "
            "or pass --allow-zero to accept it")


def _item_rates(paths: Sequence[str | Path]) -> tuple[pd.DataFrame | None, list[str]]:
    """Read the per-item problem rates of ``--item-discovery`` (None when none given)."""
    if not paths:
        return None, []

    return read_item_discovery(paths)


def _with_items(result: SimulationResult, rates: pd.DataFrame | None, out: Path
                ) -> SimulationResult:
    """Return ``result`` with the expected problems per item, written (as is without rates)."""
    if rates is None:
        return result
    from dataclasses import replace


    items = expected_item_problems(rates, result.comparison.summary)
    result.files["items"] = out / ITEM_SIMULATION
    write_csv_atomic(result.files["items"], items)
    return replace(result, items=items)


def _read_history(scn: Scenario, scheme, directory, encoding, *, needed: bool) -> History | None:
    """Read the history with results the rates (or the population) may come from.

    ``[simulation] history`` is always read (its observed rates are shown beside given
    ones); ``[inputs] history`` only when a rate or the population must come from it.
    """
    sim = scn.simulation
    path = sim.history or (scn.inputs.history if needed else None)
    if path is None:
        return None
    return read_history(
        path, scheme, class_column=sim.class_column, class_map=sim.class_map,
        problem_column=sim.problem_column, id_column=sim.id_column, directory=directory,
        encoding=encoding or scn.inputs.encoding, sheet=scn.inputs.sheet, scenario=scn.label,
    )


def _population(
    scn: Scenario, scheme, directory: pd.DataFrame | None, history: History | None
) -> tuple[dict[str, int], str]:
    classes = list(scheme.classes)
    if scn.simulation.population:
        table = class_table(scn.simulation.population, scheme)
        counts, source = {c: int(table.get(c, 0)) for c in classes}, "[simulation] population"
    elif directory is not None:
        active = directory.loc[directory["active"], "risk_class"].value_counts()
        counts = {c: int(active.get(c, 0)) for c in classes}
        source = "active enterprises in the directory"
    elif history is not None:
        counts = population_from_history(history.records, classes, scenario=scn.label)
        source = "distinct enterprises in the history"
    else:
        raise ScenarioError(
            "no population to simulate: give [inputs] enterprises, [simulation] population "
            "= { A = 1200, ... } or a [simulation] history with enterprise ids",
            key="simulation.population", file=scn.label,
        )
    if sum(counts.values()) == 0:
        raise ScenarioError(f"the population ({source}) is empty: nothing to draw",
                            key="simulation.population", file=scn.label)
    return counts, source


def _prevalence(
    scn: Scenario,
    classes: list[str],
    population: Mapping[str, int],
    given: Mapping[str, float],
    history: History | None,
) -> tuple[pd.DataFrame, PrevalenceModel]:
    sim = scn.simulation
    if history is not None:
        table = estimate_rates(history.records, classes, prior=sim.prior, interval=sim.interval)
    else:
        table = pd.DataFrame(
            {"inspections": 0, "problems": 0, "observed_rate": np.nan, "alpha": np.nan,
             "beta": np.nan, "mean": np.nan, "low": np.nan, "high": np.nan},
            index=pd.Index(classes, name="risk_class"),
        )
    source = []
    for c in classes:
        if c in given:
            table.loc[c, ["alpha", "beta", "low", "high"]] = np.nan
            table.loc[c, "mean"] = given[c]
            source.append("[simulation] prevalence")
        elif history is not None and table.loc[c, "inspections"] > 0:
            source.append(f"history, Beta posterior ({sim.prior} prior)")
        elif population[c] == 0:
            table.loc[c, ["alpha", "beta", "low", "high"]] = np.nan
            table.loc[c, "mean"] = 0.0
            source.append("none needed (no enterprises)")
        else:
            where = ("the history has no inspection of this class" if history is not None
                     else "there is no history with results")
            raise ScenarioError(
                f"no problem rate for class {c}: {where}; give it as "
                f"[simulation] prevalence = {{ {c} = 0.05, ... }}",
                key="simulation.prevalence", file=scn.label,
            )
    table["rate_source"] = source
    model = PrevalenceModel.from_parts(classes, table["mean"], table["alpha"], table["beta"])
    return table, model


def compare_ratio_sets(
    population: Mapping[str, int],
    prevalence: PrevalenceModel,
    ratio_sets: Sequence[RatioSet],
    *,
    reps: int,
    seed: str,
    interval: float = 0.9,
    floors: Mapping[str, float] | None = None,
    caps: Mapping[str, float] | None = None,
) -> Comparison:
    """Evaluate each ratio set under the three strategies.

    Parameters
    ----------
    population : mapping
        Class -> eligible enterprises (every class of ``prevalence``).
    prevalence : PrevalenceModel
        Rates per class.
    ratio_sets : sequence of RatioSet
        The candidates.
    reps : int
        Replications.
    seed : str
        The plan's seed (the streams come from it, see :func:`planner.simulate.montecarlo.seed_sequence`).
    interval : float
        Probability of the reported intervals.
    floors, caps : mapping, optional
        Class -> minimum / maximum ratio for the optimised strategy.

    Returns
    -------
    Comparison
        ``summary`` columns: ``ratio_set``, ``strategy``, ``ratios`` (as applied: the set,
        or the optimised allocation's exact ratios; empty for uniform), ``inspections``,
        ``expected_found`` (exact), ``found_mean`` (simulated), ``found_low``,
        ``found_high``, ``discovery_rate`` (expected found / inspections),
        ``discovery_rate_low``, ``discovery_rate_high``, ``share_of_violators_found``
        (simulated mean of found / all violators), ``compliant_inspected`` (expected
        inspections of enterprises without a problem), ``expected_violators``,
        ``gain_over_uniform`` (expected found / uniform's - 1).
    """
    classes = list(prevalence.classes)
    pop = np.array([population[c] for c in classes], dtype=np.int64)
    mean = dict(zip(classes, prevalence.mean.tolist(), strict=True))
    weighted = [allocate.by_ratios(population, s.ratios) for s in ratio_sets]
    totals = np.array([sum(a.values()) for a in weighted], dtype=np.int64)
    optimised: list[dict[str, int] | None] = []
    notes = []
    for s, total in zip(ratio_sets, totals, strict=True):
        try:
            optimised.append(allocate.by_budget(population, int(total), mean, floors=floors,
                                                caps=caps, order=classes))
        except InfeasiblePlanError as exc:
            optimised.append(None)
            why = str(exc).splitlines()[0]
            if exc.reasons:
                why += f" ({'; '.join(exc.reasons)})"
            notes.append(f"{s.name}: no optimised allocation of {total:,} inspections: {why}")
    feasible = [o for o in optimised if o is not None]
    matrix = np.array([[a[c] for c in classes] for a in [*weighted, *feasible]],
                      dtype=np.int64).reshape(-1, len(classes))
    draws = simulate_found(pop, prevalence, matrix, totals, reps=reps, seed=seed_sequence(seed))

    exact = expected_found(matrix, prevalence)
    exact_uniform = expected_found_uniform(totals, pop, prevalence)
    found = np.vstack([draws.found, draws.uniform_found])
    low, high = tail_quantiles(found, interval)
    violators = draws.violators.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(violators > 0, found / violators, np.nan)
    share_mean = _nanmean_rows(share)
    found_mean = found.mean(axis=1)
    expected_violators = float((pop * prevalence.mean).sum())

    n_weighted = len(weighted)
    rows, class_rows = [], []
    opt_row = {}
    k = n_weighted
    for i, o in enumerate(optimised):
        if o is not None:
            opt_row[i] = k
            k += 1
    uniform_offset = len(matrix)
    for i, s in enumerate(ratio_sets):
        uniform_exact = float(exact_uniform[i].sum())
        plan = [("risk-weighted", i, weighted[i]), ("uniform", uniform_offset + i, None)]
        if i in opt_row:
            plan.append(("optimised", opt_row[i], optimised[i]))
        for strategy, r, alloc in plan:
            if alloc is None:
                per_class_n = totals[i] * pop / pop.sum()
                per_class_found = exact_uniform[i]
                ratios_text = ""
            else:
                per_class_n = np.array([alloc[c] for c in classes], dtype=float)
                per_class_found = exact[r]
                ratios_text = (s.text() if strategy == "risk-weighted" else ",".join(
                    f"{c}={_short(exact_ratio(alloc[c], population[c]))}" for c in classes))
            n = float(per_class_n.sum())
            ef = float(per_class_found.sum())
            rows.append({
                "ratio_set": s.name,
                "strategy": strategy,
                "ratios": ratios_text,
                "inspections": int(round(n)),
                "expected_found": ef,
                "found_mean": float(found_mean[r]),
                "found_low": int(low[r]),
                "found_high": int(high[r]),
                "discovery_rate": ef / n if n else np.nan,
                "discovery_rate_low": low[r] / n if n else np.nan,
                "discovery_rate_high": high[r] / n if n else np.nan,
                "share_of_violators_found": float(share_mean[r]),
                "compliant_inspected": n - ef,
                "expected_violators": expected_violators,
                "gain_over_uniform": ef / uniform_exact - 1 if uniform_exact else np.nan,
            })
            for j, c in enumerate(classes):
                class_rows.append({
                    "ratio_set": s.name,
                    "strategy": strategy,
                    "risk_class": c,
                    "population": int(pop[j]),
                    "inspections": float(per_class_n[j]),
                    "ratio": float(per_class_n[j] / pop[j]) if pop[j] else 0.0,
                    "prevalence": float(prevalence.mean[j]),
                    "expected_violators": float(pop[j] * prevalence.mean[j]),
                    "expected_found": float(per_class_found[j]),
                    "compliant_inspected": float(per_class_n[j] - per_class_found[j]),
                })
    return Comparison(pd.DataFrame(rows), pd.DataFrame(class_rows), notes)


def _short(value: float) -> str:
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def _nanmean_rows(values: np.ndarray) -> np.ndarray:
    counts = np.sum(~np.isnan(values), axis=1)
    sums = np.nansum(values, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def recommend(
    population: Mapping[str, int],
    prevalence: PrevalenceModel,
    budget: int,
    *,
    floors: Mapping[str, float] | None = None,
    caps: Mapping[str, float] | None = None,
) -> Recommendation:
    """Recommend per-class ratios that maximise expected problems found under a budget.

    Parameters
    ----------
    population : mapping
        Class -> eligible enterprises.
    prevalence : PrevalenceModel
        Rates per class (the expected rate is what the allocation maximises).
    budget : int
        Inspections available.
    floors, caps : mapping, optional
        Class -> minimum / maximum ratio.

    Returns
    -------
    Recommendation
        Counts, the ratios that reproduce them, and the gain over a uniform random draw of
        the same total.

    Raises
    ------
    InfeasiblePlanError
        When the floors alone need more than the budget, or a floor exceeds its cap.
    """
    classes = list(prevalence.classes)
    mean = dict(zip(classes, prevalence.mean.tolist(), strict=True))
    counts = allocate.by_budget(population, budget, mean, floors=floors, caps=caps,
                                order=classes)
    pop = np.array([population[c] for c in classes], dtype=np.int64)
    row = np.array([[counts[c] for c in classes]])
    found = float(expected_found(row, prevalence).sum())
    uniform = float(expected_found_uniform(np.array([row.sum()]), pop, prevalence).sum())
    ratios = {c: exact_ratio(counts[c], population[c]) for c in classes}
    return Recommendation(budget, counts, ratios, found, uniform, dict(floors or {}),
                          dict(caps or {}))
