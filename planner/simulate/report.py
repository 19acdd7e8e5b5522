"""What ``planner simulate`` prints and writes: text tables, CSV, XLSX and the chart.

Files (each written whole or not at all, byte-identical for the same inputs and seed):

- ``simulation.csv``: one row per ratio set and strategy (English column names);
- ``simulation.xlsx``: that table, the per-class expectations, the problem rates, the
  recommendation (with ``--optimise``) and the settings; Chinese headers unless
  ``[export] language = "en"``;
- ``simulation.png``: the chart (see :mod:`planner.simulate.chart`);
- ``prevalence.csv``: per class, the population and the problem rate used, with its source
  and interval.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from planner import __version__
from planner.common import columns
from planner.common.io import write_csv_atomic
from planner.common.xlsx import (
    clean_text,
    deterministic_workbook,
    figure_styles,
    make_styles,
    write_table,
)
from planner.simulate.chart import write_chart
from planner.simulate.items import item_lines

PRIOR_NAMES = {"jeffreys": "Jeffreys Beta(1/2, 1/2)", "uniform": "uniform Beta(1, 1)"}
STRATEGY_ZH = {"risk-weighted": "按风险分类比例", "uniform": "不分类随机", "optimised": "优化分配",
               "learned-floor": "学习评分加保底"}
# Column key -> (中文, English, kind), from the one declaration in planner.common.columns.
SUMMARY_COLUMNS = {c.key: (c.zh, c.en, c.kind) for c in columns.SIM_SUMMARY}
BY_CLASS_COLUMNS = {c.key: (c.zh, c.en, c.kind) for c in columns.SIM_BY_CLASS}
RATES_COLUMNS = {c.key: (c.zh, c.en, c.kind) for c in columns.SIM_RATES}
RECOMMENDATION_COLUMNS = {c.key: (c.zh, c.en, c.kind) for c in columns.SIM_RECOMMENDATION}

SHEETS = {
    "summary": ("比较汇总", "Summary"),
    "by_class": ("分类明细", "By class"),
    "rates": ("问题发生率", "Problem rates"),
    "recommendation": ("优化建议", "Recommendation"),
    "settings": ("参数", "Settings"),
}
ROUNDING = {"expected_found": 4, "found_mean": 4, "discovery_rate": 6, "discovery_rate_low": 6,
            "discovery_rate_high": 6, "share_of_violators_found": 6, "compliant_inspected": 4,
            "expected_violators": 4, "gain_over_uniform": 6, "inspections": 4, "ratio": 6,
            "prevalence": 6, "observed_rate": 6, "mean": 6, "low": 6, "high": 6, "alpha": 4,
            "beta": 4}


def rates_frame(result) -> pd.DataFrame:
    """Return the per-class rates table as written to ``prevalence.csv``.

    Parameters
    ----------
    result : SimulationResult
        The simulation.

    Returns
    -------
    pandas.DataFrame
        One row per class, columns as :data:`RATES_COLUMNS`.
    """
    frame = result.rates.reset_index()
    return _rounded(frame[list(RATES_COLUMNS)])


def _rounded(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.round({k: v for k, v in ROUNDING.items() if k in frame.columns})


def write_outputs(result, out: Path, *, progress=None) -> dict[str, Path]:
    """Write the CSV tables, the workbook and the chart into ``out``.

    Parameters
    ----------
    result : SimulationResult
        The simulation.
    out : pathlib.Path
        Output folder (created if needed).
    progress : callable, optional
        Progress reporter.

    Returns
    -------
    dict
        Output name -> path.
    """
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "table": out / "simulation.csv",
        "workbook": out / "simulation.xlsx",
        "chart": out / "simulation.png",
        "rates": out / "prevalence.csv",
    }
    summary = _rounded(result.comparison.summary)
    write_csv_atomic(files["table"], summary)
    write_csv_atomic(files["rates"], rates_frame(result))
    if progress:
        progress("writing simulation.xlsx")
    write_workbook(result, files["workbook"])
    if progress:
        progress("drawing simulation.png")
    language = result.scenario.export.language
    write_chart(result.comparison.summary, files["chart"], title=chart_title(result, language),
                footnote=chart_footnote(result, language), interval=result.interval,
                language=language)
    return files


def chart_title(result, language: str = "en") -> str:
    """Return the chart's title: the plan id, replications and seed."""
    plan = result.scenario.plan
    if language == "zh":
        return (f"问题发现率模拟 - 抽查计划 {plan.id}"
                f"（{result.reps:,} 次重复，随机种子 {plan.seed!r}）")
    return (f"Discovery-rate simulation - plan {plan.id} "
            f"({result.reps:,} replications, seed {plan.seed!r})")


def chart_footnote(result, language: str = "en") -> str:
    """Return the chart's footnote: each class's population and problem rate used."""
    parts = []
    for cls, row in result.rates.iterrows():
        if language == "zh":
            parts.append(f"{cls}：{int(row['population']):,} 户，发生率 {row['mean']:.1%}")
        else:
            parts.append(f"{cls}: {int(row['population']):,} enterprises, rate {row['mean']:.1%}")
    if language == "zh":
        return (f"{'；'.join(parts)}。区间：{result.interval * 100:g} %（蒙特卡罗模拟）。"
                "不分类随机 = 不分风险分类抽取同样的总数；优化分配 = 同样的总数按预期发现问题最多分配。")
    source = "; ".join(parts)
    return (f"{source}. Intervals: {result.interval * 100:g} % (Monte-Carlo). "
            "Uniform = same total drawn without regard to class; optimised = same total "
            "split to maximise expected problems found.")


def write_workbook(result, target: Path) -> None:
    """Write ``simulation.xlsx`` reproducibly (fixed created time and zip timestamps).

    Parameters
    ----------
    result : SimulationResult
        The simulation.
    target : pathlib.Path
        The file.
    """
    language = result.scenario.export.language
    col = 0 if language == "zh" else 1
    created = dt.datetime.combine(result.scenario.plan.start, dt.time())
    with deterministic_workbook(target, created=created,
                                title=f"{result.scenario.plan.id} simulation") as wb:
        styles = figure_styles(wb, make_styles(wb))
        summary = result.comparison.summary.copy()
        by_class = result.comparison.by_class.copy()
        if language == "zh":
            summary["strategy"] = summary["strategy"].map(STRATEGY_ZH)
            by_class["strategy"] = by_class["strategy"].map(STRATEGY_ZH)
        title = f"{result.scenario.plan.id} {result.scenario.plan.name}"
        _sheet(wb, SHEETS["summary"][col], summary, columns.SIM_SUMMARY, language, styles, title)
        _sheet(wb, SHEETS["by_class"][col], by_class, columns.SIM_BY_CLASS, language, styles,
               title)
        _sheet(wb, SHEETS["rates"][col], result.rates.reset_index(), columns.SIM_RATES,
               language, styles, title)
        if result.recommendation is not None:
            _sheet(wb, SHEETS["recommendation"][col], recommendation_frame(result),
                   columns.SIM_RECOMMENDATION, language, styles, title)
        settings = settings_rows(result)
        ws = wb.add_worksheet(SHEETS["settings"][col])
        ws.set_column(0, 0, 28)
        ws.set_column(1, 1, 90)
        for r, (key, value) in enumerate(settings):
            ws.write_string(r, 0, key, styles.header)
            ws.write_string(r, 1, value, styles.text)


def recommendation_frame(result) -> pd.DataFrame:
    """Return the recommendation per class (``--optimise``).

    Parameters
    ----------
    result : SimulationResult
        The simulation, with a recommendation.

    Returns
    -------
    pandas.DataFrame
        Columns as :data:`RECOMMENDATION_COLUMNS`.
    """
    rec = result.recommendation
    rates = result.rates
    rows = []
    for cls in rates.index:
        n = rec.counts[cls]
        rows.append({
            "risk_class": cls,
            "population": int(rates.loc[cls, "population"]),
            "floor": rec.floors.get(cls, 0.0),
            "cap": rec.caps.get(cls, 1.0),
            "inspections": n,
            "ratio": _short(rec.ratios[cls]),
            "prevalence": float(rates.loc[cls, "mean"]),
            "expected_found": n * float(rates.loc[cls, "mean"]),
        })
    return pd.DataFrame(rows)


def settings_rows(result) -> list[tuple[str, str]]:
    """Return the settings a reader needs to reproduce the simulation, as (key, value) rows."""
    scn = result.scenario
    rows = [
        ("plan id", scn.plan.id),
        ("plan name", scn.plan.name),
        ("seed", scn.plan.seed),
        ("scenario", scn.path.name),
        ("grading scheme", scn.grading.scheme + " (" + ", ".join(result.rates.index) + ")"),
        ("replications", f"{result.reps}"),
        ("interval", f"{result.interval:g} (equal-tailed)"),
        ("population from", result.population_source),
        ("model", "each enterprise of class c violates with probability p_c (p_c drawn from "
                  "its Beta posterior when estimated); a draw of n_c without replacement finds "
                  "a hypergeometric number of the class's violators"),
        ("prior", f"{scn.simulation.prior} (Beta posterior of each estimated rate)"),
        ("program", f"planner {__version__}"),
    ]
    if result.history is not None:
        h = result.history
        rows += [
            ("history", h.path.name),
            ("history SHA-256", h.sha256),
            ("history inspections used", f"{len(h.records)} (left out: {h.skipped})"),
        ]
    rows += [(f"note {i + 1}", note) for i, note in enumerate(result.comparison.notes)]
    return rows


def _sheet(wb, name: str, frame: pd.DataFrame, table, language: str, styles, title: str) -> None:
    """Write one table of the simulation with the planner's table writer."""
    ws = wb.add_worksheet(name)
    present = [c for c in table if c.key in frame.columns]
    values = [clean_text(frame[c.key]) if c.kind == "text" else frame[c.key].astype(object)
              for c in present]
    write_table(ws, present, values, language, styles, header_height=None,
                print_title=f"{title} {name}")


def _short(value: float) -> str:
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def _pct(value: float, digits: int = 1) -> str:
    return "-" if value is None or np.isnan(value) else f"{value * 100:.{digits}f} %"


def _signed_pct(value: float) -> str:
    if np.isnan(value):
        return "-"
    rounded = round(value * 100, 1)
    return f"{rounded + 0.0:+.1f} %" if rounded else "0.0 %"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]

    def line(cells):
        return "  " + "  ".join(
            c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(
                zip(cells, widths, strict=True))
        ).rstrip()

    return [line(headers), *(line(r) for r in rows)]


def summary_lines(result) -> list[str]:
    """Return the text ``planner simulate`` prints: rates, comparison, recommendation, files.

    Parameters
    ----------
    result : SimulationResult
        The simulation.

    Returns
    -------
    list of str
        Lines to print.
    """
    rates = result.rates
    level = f"{result.interval * 100:g} %"
    total = int(rates["population"].sum())
    pops = ", ".join(f"{c} {int(n):,}" for c, n in rates["population"].items())
    lines = [f"Population: {pops} ({total:,} in all; {result.population_source})"]
    head = "Problem rate per class"
    if result.history is not None:
        h = result.history
        head += (f" (history {h.label}: {len(h.records):,} inspections"
                 f"{f', {h.skipped:,} without a result left out' if h.skipped else ''}; "
                 f"{PRIOR_NAMES[result.scenario.simulation.prior]} prior, {level} interval)")
    lines.append(head + ":")
    rows = []
    for cls, r in rates.iterrows():
        has = r["inspections"] > 0
        rows.append([
            str(cls), f"{int(r['population']):,}",
            f"{int(r['inspections']):,}" if has else "-",
            f"{int(r['problems']):,}" if has else "-",
            _pct(r["observed_rate"]) if has else "-",
            _pct(r["mean"], 2),
            (f"{_pct(r['low'])} - {_pct(r['high'])}" if not np.isnan(r["low"]) else "-"),
            r["rate_source"],
        ])
    lines += _table(["class", "enterprises", "inspections", "problems", "observed", "rate used",
                     f"{level} interval", "source"], rows, right={1, 2, 3, 4, 5})
    lines.append(f"Ratio sets compared ({result.reps:,} replications, seed "
                 f"{result.scenario.plan.seed!r}; {level} intervals):")
    rows = []
    for _, r in result.comparison.summary.iterrows():
        rows.append([
            r["ratio_set"], r["strategy"], f"{r['inspections']:,}",
            f"{r['expected_found']:,.1f} ({r['found_low']:,}-{r['found_high']:,})",
            "-" if np.isnan(r["discovery_rate"]) else (
                f"{_pct(r['discovery_rate'])} ({_pct(r['discovery_rate_low'])}"
                f"-{_pct(r['discovery_rate_high'])})"),
            _pct(r["share_of_violators_found"]),
            f"{r['compliant_inspected']:,.1f}",
            "-" if r["strategy"] == "uniform" else _signed_pct(r["gain_over_uniform"]),
        ])
    lines += _table(["ratio set", "strategy", "inspections", "problems found",
                     "discovery rate", "share of violators", "compliant inspected",
                     "vs uniform"], rows, right={2, 5, 6, 7})
    for note in result.comparison.notes:
        lines.append(f"note: {note}")
    if result.recommendation is not None:
        lines += recommendation_lines(result)
    if result.items is not None:
        lines += item_lines(result.items)
    if result.files:
        folder = next(iter(result.files.values())).parent
        names = ", ".join(p.name for p in result.files.values())
        lines.append(f"Wrote {names} in {folder}")
    return lines


def recommendation_lines(result) -> list[str]:
    """Return the ``--optimise`` recommendation as text lines."""
    rec = result.recommendation
    limits = []
    if rec.floors:
        limits.append("floors " + ", ".join(f"{c} {_short(v)}" for c, v in rec.floors.items()))
    if rec.caps:
        limits.append("caps " + ", ".join(f"{c} {_short(v)}" for c, v in rec.caps.items()))
    lines = [f"Recommended ratios for a budget of {rec.budget:,} inspections"
             + (f" ({'; '.join(limits)})" if limits else "") + ":"]
    lines.append("  --ratios '" + ",".join(f"{c}={_short(r)}" for c, r in rec.ratios.items())
                 + "'   (" + ", ".join(f"{c} {n:,}" for c, n in rec.counts.items()) + ")")
    if rec.total < rec.budget:
        lines.append(f"  only {rec.total:,} inspections can be placed: the caps (or the "
                     "population) hold no more")
    pct = rec.gain / rec.uniform_found * 100 if rec.uniform_found else float("nan")
    lines.append(
        f"  expected problems found: {rec.expected_found:,.1f} against {rec.uniform_found:,.1f} "
        f"for uniform random sampling of the same {rec.total:,} inspections: "
        f"{rec.gain:+,.1f} ({pct:+.1f} %)"
    )
    return lines
