"""What ``planner learn`` writes and prints.

Files (each byte-identical for the same inputs and seed; the folder written whole, see
:mod:`planner.learn.folder`):

- ``risk-scores.csv``: every enterprise's score (0-100), predicted probability and rank;
- ``risk-model.json``: the features, coefficients and intercept (apply them by hand:
  :mod:`planner.learn.model`), the training window, the weights used and the library versions;
- ``risk-rates.csv``: each class's problem rate, unweighted and weighted, with its interval;
- with a holdout, ``risk-evaluation.json`` (the class, model and random orderings on the
  holdout), ``risk-evaluation.xlsx`` (the same for a person, Chinese headers unless
  ``[export] language = "en"``) and ``risk-evaluation.png`` (:mod:`planner.learn.chart`).

The scores, like the classes, are internal: nothing here is for publication.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import scipy
import sklearn

from planner import __version__
from planner.common.io import csv_text, write_text_atomic
from planner.common.xlsx import deterministic_workbook, make_styles
from planner.learn.chart import write_chart

FORMAT_MODEL = "planner-risk-model/1"
FORMAT_EVALUATION = "planner-risk-evaluation/1"
DIGITS = 6
ORDERING_NAMES = {"class": ("按风险分类", "class"), "model": ("学习模型", "model"),
                  "random": ("随机顺序", "random")}
EVALUATION_HEADERS = [
    ("ordering", "排序方式", "ordering"),
    ("auc", "AUC", "AUC"),
    ("auc_low", "AUC 区间下限", "AUC interval low"),
    ("auc_high", "AUC 区间上限", "AUC interval high"),
    ("first_half_share", "前一半检查发现问题占比", "share of problems in the first half"),
    ("hit_rate_top_decile", "前 10% 检查问题发现率", "hit rate, top decile"),
    ("found_at_budget", "计划检查数内发现问题数", "problems found at the budget"),
    ("share_at_budget", "计划检查数内发现问题占比", "share found at the budget"),
]
RATES_HEADERS = [
    ("risk_class", "风险分类", "risk class"),
    ("inspections", "检查户次", "inspections"),
    ("problems", "发现问题户次", "problems"),
    ("observed_rate", "问题发现率（未加权）", "observed rate (unweighted)"),
    ("weighted_rate", "问题发现率（加权）", "weighted rate"),
    ("effective_inspections", "有效检查数", "effective inspections"),
    ("low", "区间下限", "interval low"),
    ("high", "区间上限", "interval high"),
]


def _r(value: float, digits: int = DIGITS):
    return None if value is None or not np.isfinite(value) else round(float(value), digits)


def _dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1, allow_nan=False) + "\n"


def model_document(result) -> dict:
    """Return ``risk-model.json`` as a dict (fixed key order)."""
    model = result.model
    learn = result.scenario.learn
    return {
        "format": FORMAT_MODEL,
        "plan": result.scenario.plan.id,
        "apply": "log_odds = intercept + sum(coefficient * input); probability = "
                 "1 / (1 + exp(-log_odds)); input: log1p(x) = ln(1 + x), 'column = level' is 1 "
                 "when the column equals the level, else 0, 'column missing' is 1 when empty; "
                 "a missing number takes 'fill'",
        "intercept": _r(model.intercept, 10),
        "features": [{**f.to_dict(), "coefficient": _r(c, 10)}
                     for f, c in zip(model.features, model.coefficients, strict=True)],
        "training": result.training,
        "scores_as_of": result.scenario.plan.start.isoformat(),
        "weights": ("inverse inclusion probability from the draw records" if result.weighted
                    else "none (every inspection counts once)"),
        "inspections_left_out": result.left_out,
        "regularisation": {"penalty": "l2", "C": learn.regularisation,
                           "standardised": True, "solver": "lbfgs"},
        "history": {"file": result.history.path.name, "sha256": result.history.sha256},
        "versions": {"planner": __version__, "scikit-learn": sklearn.__version__,
                     "numpy": np.__version__, "scipy": scipy.__version__,
                     "pandas": pd.__version__},
    }


def evaluation_document(result) -> dict:
    """Return ``risk-evaluation.json`` as a dict (fixed key order)."""
    e = result.evaluation
    learn = result.scenario.learn
    orderings = {}
    for name, o in e.orderings.items():
        s = o.schedule
        orderings[name] = {
            "auc": _r(o.auc),
            "auc_interval": [_r(o.auc_interval[0]), _r(o.auc_interval[1])],
            "first_half_share": _r(s.first_half_share),
            "hit_rate_top_decile": _r(s.hit_rate_top_decile),
            "found_at_budget": _r(s.found_at_budget) if e.budget is not None else None,
            "share_found_at_budget": _r(s.share_at_budget) if e.budget is not None else None,
        }
    return {
        "format": FORMAT_EVALUATION,
        "plan": result.scenario.plan.id,
        "seed": result.scenario.plan.seed,
        "holdout": {"from": e.holdout_from.isoformat(), "inspections": e.inspections,
                    "problems": e.problems},
        "training": e.training,
        "budget": {"inspections": e.budget, "from": e.budget_source},
        "interval": learn.interval,
        "bootstrap": learn.bootstrap,
        "weighted": result.weighted,
        "ties": "AUC counts ties as half (Mann-Whitney); the schedules break ties at random "
                "from the seed",
        "orderings": orderings,
    }


def rates_frame(result) -> pd.DataFrame:
    """Return ``risk-rates.csv``: each class's rates, rounded."""
    return result.rates.round({c: DIGITS for c in ("observed_rate", "weighted_rate", "low",
                                                    "high", "effective_inspections")})


def scores_frame(result) -> pd.DataFrame:
    """Return ``risk-scores.csv``: the scores, the probability rounded to 8 digits."""
    return result.scores.assign(probability=result.scores["probability"].round(8))


def output_writers(result) -> dict[str, Callable[[Path], None]]:
    """Return file name -> writer of every file ``planner learn`` writes."""
    writers = {
        "risk-scores.csv": lambda p: write_text_atomic(p, csv_text(scores_frame(result))),
        "risk-model.json": lambda p: write_text_atomic(p, _dumps(model_document(result))),
        "risk-rates.csv": lambda p: write_text_atomic(p, csv_text(rates_frame(result))),
    }
    if result.evaluation is not None:
        language = result.scenario.export.language
        writers |= {
            "risk-evaluation.json": lambda p: write_text_atomic(
                p, _dumps(evaluation_document(result))),
            "risk-evaluation.xlsx": lambda p: write_workbook(result, p),
            "risk-evaluation.png": lambda p: write_chart(result, p, language=language),
        }
    return writers


def evaluation_frame(result) -> pd.DataFrame:
    """Return one row per ordering with its figures (for the workbook and the terminal)."""
    rows = []
    for name, o in result.evaluation.orderings.items():
        s = o.schedule
        rows.append({"ordering": name, "auc": o.auc, "auc_low": o.auc_interval[0],
                     "auc_high": o.auc_interval[1], "first_half_share": s.first_half_share,
                     "hit_rate_top_decile": s.hit_rate_top_decile,
                     "found_at_budget": s.found_at_budget, "share_at_budget": s.share_at_budget})
    return pd.DataFrame(rows)


def write_workbook(result, target: Path) -> None:
    """Write ``risk-evaluation.xlsx`` reproducibly: the orderings, the rates, the model."""
    scn = result.scenario
    zh = scn.export.language == "zh"
    col = 1 if zh else 2
    created = dt.datetime.combine(scn.plan.start, dt.time())
    with deterministic_workbook(target, created=created,
                                title=f"{scn.plan.id} risk evaluation") as wb:
        styles = make_styles(wb)
        frame = evaluation_frame(result)
        frame["ordering"] = frame["ordering"].map(lambda n: ORDERING_NAMES[n][0 if zh else 1])
        _sheet(wb, "排序比较" if zh else "Orderings", frame, EVALUATION_HEADERS, col, styles)
        _sheet(wb, "各类问题发生率" if zh else "Class rates", result.rates, RATES_HEADERS, col,
               styles)
        model = pd.DataFrame({"feature": [f.name for f in result.model.features] + ["intercept"],
                              "coefficient": [*result.model.coefficients, result.model.intercept]})
        _sheet(wb, "模型系数" if zh else "Model", model,
               [("feature", "特征", "feature"), ("coefficient", "系数", "coefficient")], col,
               styles)
        e = result.evaluation
        settings = [
            ("计划编号" if zh else "plan id", scn.plan.id),
            ("随机种子" if zh else "seed", scn.plan.seed),
            ("检验集起始日期" if zh else "holdout from", e.holdout_from.isoformat()),
            ("训练期" if zh else "training window", f"{e.training['from']} - {e.training['to']}"),
            ("计划检查数" if zh else "budget", f"{e.budget} ({e.budget_source})"),
            ("区间" if zh else "interval", f"{scn.learn.interval:g} (bootstrap, "
             f"{scn.learn.bootstrap} reps)"),
            ("说明" if zh else "note",
             "AUC 并列计一半（Mann-Whitney）；排程中并列者按随机种子随机排序。风险评分为内部信息，不予公示。"
             if zh else "AUC counts ties as half (Mann-Whitney); schedules break ties at random "
             "from the seed. Scores are internal and never published."),
            ("程序" if zh else "program", f"planner {__version__}"),
        ]
        ws = wb.add_worksheet("参数" if zh else "Settings")
        ws.set_column(0, 0, 24)
        ws.set_column(1, 1, 90)
        for r, (key, value) in enumerate(settings):
            ws.write_string(r, 0, key, styles.header)
            ws.write_string(r, 1, str(value), styles.text)


def _sheet(wb, name: str, frame: pd.DataFrame, headers, col: int, styles) -> None:
    ws = wb.add_worksheet(name)
    for j, h in enumerate(headers):
        ws.write_string(0, j, h[col], styles.header)
        ws.set_column(j, j, 16 if j else 22)
    for i, row in enumerate(frame[[h[0] for h in headers]].itertuples(index=False), start=1):
        for j, value in enumerate(row):
            if isinstance(value, str):
                ws.write_string(i, j, value, styles.text)
            elif value is None or (isinstance(value, float) and not np.isfinite(value)):
                ws.write_string(i, j, "-", styles.text)
            else:
                ws.write_number(i, j, round(float(value), DIGITS), styles.decimal)
    ws.freeze_panes(1, 0)


def _pct(value: float) -> str:
    return "-" if value is None or not np.isfinite(value) else f"{value * 100:.1f} %"


def summary_lines(result) -> list[str]:
    """Return the text ``planner learn`` prints."""
    h = result.history
    lines = [f"History {h.label}: {len(h.records):,} inspections with results"
             + (f"; {result.left_out:,} not drawn by the draw records, left out"
                if result.left_out else "")
             + ("; weighted by inverse inclusion probability" if result.weighted else "")]
    lines.append("Problem rate per class (90 % interval):".replace(
        "90", f"{result.scenario.learn.interval * 100:g}"))
    for r in result.rates.itertuples():
        lines.append(f"  {r.risk_class:<10} {r.inspections:>8,} inspections  observed "
                     f"{_pct(r.observed_rate):>7}  weighted {_pct(r.weighted_rate):>7} "
                     f"({_pct(r.low)} - {_pct(r.high)})")
    e = result.evaluation
    if e is not None:
        lines.append(f"Holdout from {e.holdout_from}: {e.inspections:,} inspections, "
                     f"{e.problems:,} problems (trained on {e.training['inspections']:,}, "
                     f"{e.training['from']} - {e.training['to']})")
        if e.budget is not None:
            lines.append(f"  budget: {e.budget:,} inspections ({e.budget_source})")
        lines.append("  ordering  AUC (interval)           first half  top decile  found at budget")
        for name, o in e.orderings.items():
            s = o.schedule
            found = f"{s.found_at_budget:,.0f} ({_pct(s.share_at_budget)})" if e.budget else "-"
            lines.append(f"  {name:<8}  {o.auc:.3f} ({o.auc_interval[0]:.3f}-"
                         f"{o.auc_interval[1]:.3f})      {_pct(s.first_half_share):>8}  "
                         f"{_pct(s.hit_rate_top_decile):>10}  {found}")
    lines.append(f"Scores of {len(result.scores):,} enterprises as of "
                 f"{result.scenario.plan.start}; written: "
                 + ", ".join(p.name for p in result.files.values()))
    return lines
