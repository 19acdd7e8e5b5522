"""``planner learn``: learn problem risk from the history with results, and test it against the classes.

:func:`learn_scenario` is the command. It reads the history the simulation reads
(``[simulation] history`` with ``class_column``, ``problem_column``, ``id_column``, or
``[inputs] history``), the directory when the scenario has one, and the draw records of
``[learn] draw_records``; derives each inspection's features known before it
(:mod:`planner.learn.table`); weights each inspection by the inverse of its inclusion
probability (:mod:`planner.learn.weights`); fits the model (:mod:`planner.learn.model`) on
the inspections before the holdout date and compares the class, the model and a random
order on the holdout (:mod:`planner.learn.evaluate`); refits on the whole history and scores
every enterprise as of the plan's start. :mod:`planner.learn.report` writes the folder.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from planner.common.errors import InputError, Problem, ScenarioError
from planner.common.randomness import generator
from planner.learn import evaluate as ev
from planner.learn.folder import write_folder
from planner.learn.model import Model, build_features, fit
from planner.learn.report import output_writers, summary_lines
from planner.learn.table import (
    Columns,
    directory_columns,
    enterprise_table,
    inspection_table,
    kind_columns_of,
    leaking_columns,
    result_kinds,
    split_numeric,
)
from planner.learn.weights import class_rates, draw_weights, read_draws
from planner.plan.inputs import load_inputs
from planner.plan.scenario import Scenario, class_table, load_scenario
from planner.plan.transaction import locks_output
from planner.simulate.prevalence import History, parse_problems, read_history

ORDERINGS = ("class", "model", "random")
# Streams of the "learn" purpose (planner.common.randomness).
TIEBREAK, RANDOM_ORDER, BOOTSTRAP = 0, 1, 2


@dataclass(frozen=True)
class Ordering:
    """One ordering's figures on the holdout."""

    auc: float
    auc_interval: tuple[float, float]
    schedule: ev.ScheduleFigures


@dataclass(frozen=True)
class Evaluation:
    """The holdout comparison of the orderings.

    Attributes
    ----------
    holdout_from : datetime.date
        The first day of the holdout.
    inspections, problems : int
        The holdout's size and its problems.
    budget : int or None
        The plan's budget on the holdout, and where it came from (``budget_source``).
    orderings : dict
        ``class``, ``model``, ``random`` -> :class:`Ordering`.
    model : Model
        The model fitted before the holdout.
    training : dict
        ``from``, ``to``, ``inspections``, ``problems`` of its training rows.
    """

    holdout_from: dt.date
    inspections: int
    problems: int
    budget: int | None
    budget_source: str
    orderings: dict[str, Ordering]
    model: Model
    training: dict


@dataclass(frozen=True)
class LearnResult:
    """Everything ``planner learn`` found and wrote."""

    scenario: Scenario
    history: History
    model: Model
    training: dict
    scores: pd.DataFrame
    rates: pd.DataFrame
    evaluation: Evaluation | None
    weighted: bool
    left_out: int
    files: dict[str, Path] = field(default_factory=dict)
    warnings: list = field(default_factory=list)

    def summary_lines(self) -> list[str]:
        """Return the text ``planner learn`` prints."""
        return summary_lines(self)


@locks_output("out", "planner learn")
def learn_scenario(
    scenario: str | Path,
    out: str | Path,
    *,
    holdout_from: dt.date | None = None,
    encoding: str | None = None,
    progress=None,
) -> LearnResult:
    """Learn problem risk from a scenario's history, evaluate it, write the folder.

    Parameters
    ----------
    scenario : str or pathlib.Path
        The scenario TOML file.
    out : str or pathlib.Path
        Output folder (created if needed; not a plan folder).
    holdout_from : datetime.date, optional
        Fit on the inspections before this date, evaluate on this date and after (default
        ``[learn] holdout_from``; without either, no evaluation is made).
    encoding : str, optional
        CSV encoding of the inputs.
    progress : callable, optional
        Progress reporter.

    Returns
    -------
    LearnResult
        The model, the scores, the rates and the evaluation, with the files written.

    Raises
    ------
    ScenarioError
        When the scenario gives no history, no seed, or a leaking feature.
    InputError
        For unreadable history rows or draw records.
    """
    scn = load_scenario(scenario)
    if scn.plan.seed is None:
        raise ScenarioError("required key is missing: the evaluation's bootstrap and tie-breaks "
                            "come from [plan] seed", key="plan.seed", file=scn.label)
    learn = scn.learn
    holdout_from = holdout_from or learn.holdout_from
    scheme = scn.scheme()
    directory, warnings = _directory(scn, encoding, progress)
    if progress:
        progress("reading the history with results")
    history = _read(scn, scheme, directory, encoding)
    records = history.records.reset_index(drop=True)
    _require_dates(records, history.label)

    weights = np.ones(len(records))
    left_out = 0
    if learn.draw_records:
        draws = draw_weights(records, read_draws(learn.draw_records))
        matched = draws.matched
        left_out = int((~matched).sum())
        if not matched.any():
            raise InputError([Problem(history.label, "no inspection of the history was drawn by "
                                      "the draw records of [learn] draw_records (same enterprise, "
                                      "a date within the plan's period)")])
        classes = np.where(pd.isna(draws.risk_class), records["risk_class"], draws.risk_class)
        records = records.assign(risk_class=classes)
        keep = matched
        records = records[keep].reset_index(drop=True)
        weights = 1.0 / draws.probability[keep]

    kinds = _kinds(records, learn.kind_columns, history.label)
    described = directory_columns(directory, learn.features)
    table = inspection_table(records, kinds, described, learn.history_features)
    columns = _columns(table, kinds, described, learn.history_features)
    y = records["problem"].to_numpy(dtype=bool)
    _refuse_leaks(scn, table, y, columns)

    if progress:
        progress("fitting the model")
    evaluation = None
    if holdout_from is not None:
        evaluation = _evaluate(scn, records, table, y, weights, columns, holdout_from)
    model = _fit(scn, table, y, weights, columns)
    training = _window(records, np.ones(len(records), bool))
    scores = _scores(scn, model, records, kinds, described, directory)
    rates = class_rates(list(scheme.classes), records["risk_class"].to_numpy(), y, weights,
                        interval=learn.interval)
    result = LearnResult(scn, history, model, training, scores, rates, evaluation,
                         bool(learn.draw_records), left_out, {}, warnings + history.warnings)
    if progress:
        progress("writing the learning folder")
    result.files.update(write_folder(Path(out), output_writers(result)))
    return result


def _directory(scn: Scenario, encoding, progress) -> tuple[pd.DataFrame | None, list]:
    if scn.inputs.enterprises is None:
        return None, []
    inputs = load_inputs(scn, encoding=encoding, progress=progress)
    file = inputs.files["enterprises"].resolve()
    return inputs.enterprises, [w for w in inputs.warnings if Path(w.file).resolve() == file]


def _read(scn: Scenario, scheme, directory, encoding) -> History:
    sim, learn = scn.simulation, scn.learn
    path = sim.history or scn.inputs.history
    if path is None:
        raise ScenarioError("learning needs a history with results: set [simulation] history "
                            "(or [inputs] history)", key="simulation.history", file=scn.label)
    extra = {c: "learn.history_features" for c in learn.history_features}
    extra |= {c: "learn.kind_columns" for c in learn.kind_columns}
    extra["result"] = "simulation.problem_column"
    return read_history(
        path, scheme, class_column=sim.class_column, class_map=sim.class_map,
        problem_column=sim.problem_column, id_column=sim.id_column, directory=directory,
        encoding=encoding or scn.inputs.encoding, sheet=scn.inputs.sheet, scenario=scn.label,
        extra_columns=extra,
    )


def _require_dates(records: pd.DataFrame, label: str) -> None:
    if (records["enterprise_id"] == "").all():
        raise InputError([Problem(label, "no enterprise id column: learning counts each "
                                  "enterprise's earlier inspections; name it with [simulation] "
                                  "id_column", row=1)])
    missing = records["date"].isna().to_numpy()
    if missing.any():
        rows = records["row"].to_numpy()[missing]
        raise InputError([Problem(label, "no readable inspection date: learning orders each "
                                  "enterprise's inspections in time", row=int(r), column="date")
                          for r in rows[:20]])


def _kinds(records: pd.DataFrame, kind_columns, label: str) -> pd.DataFrame:
    """Return one bool column per kind of finding: the named columns, then result categories."""
    kinds = {}
    problems = []
    for column in kind_columns:
        flag, usable, found = parse_problems(records[column], label, column)
        problems += found
        kinds[column] = (flag & usable).to_numpy(dtype=bool)
    if problems:
        raise InputError(problems)
    frame = pd.DataFrame(kinds, index=records.index)
    categories = result_kinds(records["result_text"])
    if categories.shape[1] > 1:  # one category alone says no more than "a problem"
        frame = pd.concat([frame, categories], axis=1)
    return frame


def _columns(table, kinds, described, history_columns) -> Columns:
    numeric_dir, categorical_dir = split_numeric(table, list(described.columns))
    categorical_dir = [c for c in categorical_dir]
    return Columns(
        kinds=list(kinds.columns),
        numeric=[*kind_columns_of(kinds), *numeric_dir],
        categorical=["risk_class", *history_columns, *categorical_dir],
    )


def _refuse_leaks(scn: Scenario, table, y, columns: Columns) -> None:
    named = {c: "learn.history_features" for c in scn.learn.history_features}
    named |= {c: "learn.features" for c in scn.learn.features}
    leaks = leaking_columns(table, y, named)
    if leaks:
        column, key = leaks[0]
        i = getattr(scn.learn, key.split(".")[1]).index(column)
        raise ScenarioError(
            f"column {column!r} gives the outcome away (its values separate the inspections "
            "with a problem from those without): it is known only after the inspection, not "
            "before; remove it", key=f"{key}[{i}]", file=scn.label)


def _fit(scn: Scenario, table, y, weights, columns: Columns) -> Model:
    learn = scn.learn
    features = build_features(table, numeric=columns.numeric, categorical=columns.categorical,
                              min_level_count=learn.min_level_count)
    return fit(table, y, weights, features, regularisation=learn.regularisation)


def _window(records: pd.DataFrame, mask: np.ndarray) -> dict:
    dates = records["date"][mask]
    return {"from": dates.min().date().isoformat(), "to": dates.max().date().isoformat(),
            "inspections": int(mask.sum()),
            "problems": int(records["problem"].to_numpy()[mask].sum())}


def _evaluate(scn, records, table, y, weights, columns, holdout_from: dt.date) -> Evaluation:
    cut = pd.Timestamp(holdout_from)
    train = (records["date"] < cut).to_numpy()
    test = ~train
    for mask, what in ((train, "before"), (test, "on or after")):
        if not y[mask].any() or y[mask].all():
            raise ScenarioError(
                f"the history has no inspection {what} {holdout_from} with "
                f"{'a problem' if not y[mask].any() else 'no problem'}: choose a holdout date "
                "with both kinds of inspection on each side", key="learn.holdout_from",
                file=scn.label)
    model = _fit(scn, table[train], y[train], weights[train], columns)
    seed, learn = scn.plan.seed, scn.learn
    tiebreak = generator(seed, "learn", TIEBREAK).random(int(test.sum()))
    rank = {c: i for i, c in enumerate(scn.scheme().classes)}
    holdout = table[test]
    scores = {
        "class": holdout["risk_class"].map(rank).to_numpy(dtype=float),
        "model": model.probability(holdout),
        "random": generator(seed, "learn", RANDOM_ORDER).random(int(test.sum())),
    }
    w = weights[test]
    w = None if np.all(w == 1) else w
    yt = y[test]
    budget, source = _budget(scn, holdout["risk_class"])
    intervals = ev.auc_intervals(scores, yt, w, generator(seed, "learn", BOOTSTRAP),
                                 reps=learn.bootstrap, interval=learn.interval)
    orderings = {}
    for name in ORDERINGS:
        s = scores[name]
        orderings[name] = Ordering(
            auc=ev.auc(s, yt, w),
            auc_interval=intervals[name],
            schedule=ev.schedule_figures(ev.schedule(s, tiebreak), yt, w,
                                         budget if budget is not None else 0),
        )
    return Evaluation(holdout_from, int(test.sum()), int(yt.sum()), budget, source, orderings,
                      model, _window(records, train))


def _budget(scn: Scenario, classes: pd.Series) -> tuple[int | None, str]:
    """Return the plan's budget on the holdout: [learn], [sampling] budget, or its ratios."""
    if scn.learn.budget is not None:
        return scn.learn.budget, "[learn] budget"
    if scn.sampling.budget is not None:
        return scn.sampling.budget, "[sampling] budget"
    ratios = class_table(scn.sampling.ratios, scn.scheme())
    if ratios:
        counts = classes.value_counts()
        total = sum(math.ceil(r * int(counts.get(c, 0)) - 1e-9) for c, r in ratios.items())
        return int(total), "[sampling] ratios applied to the holdout's inspections per class"
    return None, ""


def _scores(scn, model: Model, records, kinds, described, directory) -> pd.DataFrame:
    """Score every enterprise (of the directory, else of the history) as of the plan's start."""
    if directory is not None:
        enterprises = directory[["enterprise_id", "risk_class"]].reset_index(drop=True)
    else:
        latest = records.sort_values(["date", "row"], kind="stable")
        enterprises = (latest.drop_duplicates("enterprise_id", keep="last")
                       [["enterprise_id", "risk_class"]]
                       .sort_values("enterprise_id").reset_index(drop=True))
    when = pd.Timestamp(scn.plan.start)
    table = enterprise_table(records, kinds, described, scn.learn.history_features,
                             enterprises, when)
    probability = model.probability(table)
    scores = score_table(enterprises["enterprise_id"], probability)
    classes = dict(zip(enterprises["enterprise_id"], enterprises["risk_class"], strict=True))
    return scores.assign(risk_class=scores["enterprise_id"].map(classes))


def score_table(ids: pd.Series, probability: np.ndarray) -> pd.DataFrame:
    """Return ``risk-scores.csv``: id, score (0-100 percentile), probability, rank.

    Parameters
    ----------
    ids : pandas.Series
        Enterprise ids.
    probability : numpy.ndarray
        Each one's predicted probability of a problem.

    Returns
    -------
    pandas.DataFrame
        ``enterprise_id``, ``score`` (100 x the share of enterprises with a lower
        probability: equal probabilities share a score), ``probability`` and ``rank`` (1 =
        the highest probability; ties by enterprise id), sorted by rank.
    """
    p = np.round(np.asarray(probability, dtype=float), 12)
    n = len(p)
    lower = np.searchsorted(np.sort(p), p, side="left")
    frame = pd.DataFrame({"enterprise_id": ids.to_numpy(dtype=object),
                          "score": np.round(100 * lower / max(n, 1), 4),
                          "probability": p})
    frame = frame.sort_values(["probability", "enterprise_id"], ascending=[False, True],
                              kind="stable").reset_index(drop=True)
    frame["rank"] = np.arange(1, n + 1)
    return frame
