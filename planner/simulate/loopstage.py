"""``planner simulate --quarters N``: the multi-quarter loop on a scenario, table and chart.

:func:`simulate_loop_scenario` builds :class:`~planner.simulate.loop.LoopSettings` from the
scenario - the population per class (active enterprises of the directory, or
``[simulation] population``), the problem rate per class (``[simulation] prevalence``, every
class), the ratios (``[sampling] ratios``) and the regrading steps (``[regrade] levels`` of
发现问题待后续处理 and 未发现问题, default +1 and -1, limited to ``max_step``; a points scheme
moves one class either way) - runs the loop and writes ``loop.csv``, ``loop.xlsx`` and
``loop.png``.

A simplification: the loop does not keep points. Its state is the count of enterprises per
class and hidden type (:mod:`planner.simulate.loop`), which is exact only while enterprises
of one class and type are exchangeable; points would make each enterprise's distance to its
band edge part of the state. So a points scheme (``[regrade] points`` and the scheme's
bands) is simulated as one class up per problem found and one class down per clean
inspection, and the command says so (:data:`POINTS_NOTE`). ``planner regrade`` applies the
points table itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from planner.common import charts, columns
from planner.common.errors import ScenarioError
from planner.common.io import write_csv_atomic
from planner.common.xlsx import (
    deterministic_workbook,
    figure_styles,
    make_styles,
    setup_print,
    write_pairs,
    write_table,
)
from planner.plan.inputs import load_inputs
from planner.plan.regrade_rules import check_regrade_section
from planner.plan.scenario import Scenario, class_table, load_scenario
from planner.plan.transaction import locks_output
from planner.simulate.loop import METRICS, STRATEGIES, LoopResult, LoopSettings, simulate_loop

HEADERS = {
    "quarter": ("季度", "Quarter"),
    "strategy": ("抽取方式", "Strategy"),
    "inspections": ("检查户数", "Inspections"),
    "found": ("发现问题户数", "Problems found"),
    "discovery_rate": ("问题发现率", "Discovery rate"),
    "share_found": ("发现违法主体占比", "Share of violators found"),
    "compliant_inspected": ("检查守法主体户数", "Compliant enterprises inspected"),
    "violators_in_top": ("高风险类别中违法主体占比", "Share of violators in the top classes"),
}
LONG_HEADERS = {"metric": ("指标", "Figure"), "mean": ("均值", "Mean"),
                "low": ("区间下限", "Interval low"), "high": ("区间上限", "Interval high")}
STRATEGY_ZH = {"risk-weighted": "按风险分类抽取", "uniform": "等比例随机抽取"}
PANELS = ("discovery_rate", "share_found", "compliant_inspected", "violators_in_top")
COLOURS = {"risk-weighted": "#1f5fa8", "uniform": "#8c8c8c"}
REGRADE_RESULTS = ("发现问题待后续处理", "未发现问题")
POINTS_NOTE = ("note: the loop does not keep points: [regrade] points and the scheme's bands "
               "are simulated as one class up per problem found and one class down per clean "
               "inspection (planner regrade applies the points table itself)")


@dataclass
class LoopRun:
    """What ``planner simulate --quarters`` computed and wrote."""

    scenario: Scenario
    result: LoopResult
    summary: pd.DataFrame
    population_source: str
    files: dict[str, Path] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def summary_lines(self) -> list[str]:
        """Lines for the terminal: per quarter and strategy, the main figures."""
        s = self.result.settings
        lines = [
            f"Loop: {s.quarters} quarter(s) x {s.reps:,} replications, "
            f"{int(np.sum(s.population)):,} enterprises ({self.population_source}), "
            f"regrading {'on' if s.regrade else 'off'} (problem {s.up:+d}, clean {s.down:+d}), "
            f"drift {s.drift:g}, trend {s.trend:+g}",
            "  quarter  strategy        inspections  found  rate    violators found  "
            "compliant inspected  violators in top classes",
        ]
        for row in self.summary.itertuples():
            lines.append(
                f"  {row.quarter:>7}  {row.strategy:<14}  {row.inspections:>11,.0f}  "
                f"{row.found:>5.0f}  {100 * row.discovery_rate:5.1f} %  "
                f"{100 * row.share_found:14.1f} %  {row.compliant_inspected:>19,.0f}  "
                f"{100 * row.violators_in_top:23.1f} %")
        lines += [f"  {name}: {path}" for name, path in self.files.items()]
        return self.notes + lines


def loop_settings(scn: Scenario, *, quarters: int, reps: int, regrade: bool, drift: float,
                  trend: float, directory: pd.DataFrame | None) -> tuple[LoopSettings, str]:
    """Build the loop's settings from a scenario.

    Parameters
    ----------
    scn : Scenario
        The scenario.
    quarters, reps : int
        Quarters and replications.
    regrade : bool
        Regrade after each quarter.
    drift, trend : float
        Hidden-type drift probability and rate trend per quarter.
    directory : pandas.DataFrame, optional
        The loaded directory (``risk_class``, ``active``), for the population.

    Returns
    -------
    tuple
        The settings and where the population came from.

    Raises
    ------
    ScenarioError
        When a class lacks a rate, or there is no population.
    """
    scheme = scn.scheme()
    classes = list(scheme.classes)
    rates = class_table(scn.simulation.prevalence, scheme)
    missing = [c for c in classes if c not in rates]
    if missing:
        raise ScenarioError(
            f"the loop needs a problem rate for every class; missing {', '.join(missing)}",
            key="simulation.prevalence", file=scn.label)
    if scn.simulation.population:
        table = class_table(scn.simulation.population, scheme)
        population = [int(table.get(c, 0)) for c in classes]
        source = "[simulation] population"
    elif directory is not None:
        counts = directory.loc[directory["active"], "risk_class"].value_counts()
        population = [int(counts.get(c, 0)) for c in classes]
        source = "active enterprises in the directory"
    else:
        raise ScenarioError("no population: give [inputs] enterprises or [simulation] "
                            "population", key="simulation.population", file=scn.label)
    if not scn.sampling.ratios:
        raise ScenarioError("the loop draws with [sampling] ratios; add them",
                            key="sampling.ratios", file=scn.label)
    ratios = class_table(scn.sampling.ratios, scheme)
    up, down = 1, -1
    if scn.regrade.levels:
        effects = check_regrade_section(scn.regrade, scheme, scn.label).category_effects
        up = int(effects.get(REGRADE_RESULTS[0], up))
        down = int(effects.get(REGRADE_RESULTS[1], down))
        if scn.regrade.max_step is not None:
            up = int(np.clip(up, -scn.regrade.max_step, scn.regrade.max_step))
            down = int(np.clip(down, -scn.regrade.max_step, scn.regrade.max_step))
    settings = LoopSettings(
        classes=tuple(classes), population=np.array(population, dtype=np.int64),
        prevalence=np.array([rates[c] for c in classes]),
        ratios=np.array([ratios.get(c, 0.0) for c in classes]),
        quarters=quarters, reps=reps, regrade=regrade, up=up, down=down, drift=drift,
        trend=trend, seed=scn.plan.seed)
    return settings, source


@locks_output("out", "planner simulate --quarters")
def simulate_loop_scenario(
    scenario: str | Path,
    out: str | Path,
    *,
    quarters: int,
    regrade: bool = True,
    drift: float = 0.05,
    trend: float = 0.0,
    reps: int | None = None,
    encoding: str | None = None,
    progress=None,
) -> LoopRun:
    """Simulate ``quarters`` of draw -> inspection -> regrade and write the table and chart.

    Parameters
    ----------
    scenario : str or pathlib.Path
        The scenario.
    out : str or pathlib.Path
        Output folder.
    quarters : int
        Quarters to simulate (>= 1).
    regrade : bool
        Regrade after each quarter (False: the classes never change).
    drift : float
        Probability per quarter that an enterprise's hidden risk type moves one level.
    trend : float
        Relative change of every problem rate per quarter.
    reps : int, optional
        Replications (default ``[simulation] reps``).
    encoding : str, optional
        CSV encoding of the directory.
    progress : callable, optional
        Progress reporter.

    Returns
    -------
    LoopRun
        The result and the files written.

    Raises
    ------
    ScenarioError
        For bad options or a scenario without rates, ratios or population.
    """
    scn = load_scenario(scenario)
    if quarters < 1:
        raise ScenarioError(f"--quarters must be >= 1, got {quarters}")
    if not 0 <= drift <= 1:
        raise ScenarioError(f"--drift must be between 0 and 1, got {drift}")
    if trend <= -1:
        raise ScenarioError(f"--trend must be above -1, got {trend}")
    reps = reps if reps is not None else scn.simulation.reps
    directory = None
    if scn.inputs.enterprises is not None and not scn.simulation.population:
        directory = load_inputs(scn, encoding=encoding, progress=progress).enterprises
    settings, source = loop_settings(scn, quarters=quarters, reps=reps, regrade=regrade,
                                     drift=drift, trend=trend, directory=directory)
    if progress:
        progress(f"simulating {quarters} quarter(s) x {reps:,} replications")
    result = simulate_loop(settings)
    summary = result.summary(scn.simulation.interval)
    run = LoopRun(scn, result, summary, source)
    if regrade and scn.regrade.points and not scn.regrade.levels:
        run.notes.append(POINTS_NOTE)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    run.files = {"table": out / "loop.csv", "workbook": out / "loop.xlsx",
                 "chart": out / "loop.png"}
    write_csv_atomic(run.files["table"], summary.round(6))
    write_loop_workbook(run, run.files["workbook"])
    write_loop_chart(run, run.files["chart"])
    return run


SETTING_LABELS = {
    "classes": ("风险分类", "classes"), "population": ("各类主体户数", "population"),
    "prevalence": ("各类问题发生率", "prevalence"), "ratios": ("各类抽查比例", "ratios"),
    "quarters": ("季度数", "quarters"), "replications": ("重复次数", "replications"),
    "regrade": ("按结果进退级", "regrade"), "drift": ("风险漂移", "drift"),
    "trend": ("发生率趋势", "trend"), "seed": ("随机种子", "seed"),
    "population source": ("户数来源", "population source"),
}


def write_loop_workbook(run: LoopRun, target: Path) -> None:
    """Write ``loop.xlsx``: the per-quarter table and the settings, headers in the language.

    The table's columns are :data:`planner.common.columns.LOOP`, written by
    :func:`planner.common.xlsx.write_table`; the settings are a key-value block.
    """
    language = run.scenario.export.language
    col = 0 if language == "zh" else 1
    created = dt.datetime.combine(run.scenario.plan.start, dt.time())
    s = run.result.settings
    percent = {"discovery_rate", "share_found", "violators_in_top"}
    # One row per quarter, strategy and figure: six columns print legibly on A4.
    records = [(row, metric) for row in run.summary.to_dict("records") for metric in METRICS]
    values = [
        pd.Series([row["quarter"] for row, _ in records], dtype=object),
        pd.Series([STRATEGY_ZH[row["strategy"]] if col == 0 else row["strategy"]
                   for row, _ in records], dtype=object),
        pd.Series([HEADERS[metric][col] for _, metric in records], dtype=object),
        *(pd.Series([float(row[key.format(metric)]) for row, metric in records], dtype=object)
          for key in ("{}", "{}_low", "{}_high")),
    ]
    with deterministic_workbook(target, created=created,
                                title=f"{run.scenario.plan.id} loop") as wb:
        st = figure_styles(wb, make_styles(wb))
        name = "循环模拟" if language == "zh" else "Loop"
        ws = wb.add_worksheet(name)
        write_table(ws, columns.LOOP, values, language, st, autofilter=False,
                    print_title=f"{run.scenario.plan.id} {name}")
        for r, (row, metric) in enumerate(records, start=1):  # rates as percentages
            if metric in percent:
                for c, key in enumerate((metric, f"{metric}_low", f"{metric}_high"), start=3):
                    ws.write_number(r, c, float(row[key]), st.percent)
        settings = wb.add_worksheet("设置" if language == "zh" else "Settings")
        rows = [("classes", ", ".join(s.classes)),
                ("population", ", ".join(str(int(v)) for v in s.population)),
                ("prevalence", ", ".join(f"{v:g}" for v in s.prevalence)),
                ("ratios", ", ".join(f"{v:g}" for v in s.ratios)),
                ("quarters", str(s.quarters)), ("replications", str(s.reps)),
                ("regrade", f"{s.regrade} (problem {s.up:+d}, clean {s.down:+d})"),
                ("drift", f"{s.drift:g}"), ("trend", f"{s.trend:+g}"),
                ("seed", s.seed), ("population source", run.population_source)]
        value_width = 70
        settings.set_column(0, 0, 20)
        settings.set_column(1, 1, value_width)
        write_pairs(settings, 0, [(SETTING_LABELS[k][col], v) for k, v in rows], st,
                    value_width)
        setup_print(settings, [20, value_width], header_rows=0,
                    header_text=f"{run.scenario.plan.id} {settings.name}")


def write_loop_chart(run: LoopRun, target: Path) -> None:
    """Draw ``loop.png``: four panels against the quarter, both strategies, with intervals.

    Labels are in Chinese with ``[export] language = "zh"``, set in the bundled CJK font
    (:func:`planner.common.charts.font_context`), and in English with ``"en"``. Fixed size
    and no software stamp, so the same table gives the same bytes.
    """
    language = run.scenario.export.language
    col = 0 if language == "zh" else 1
    summary = run.summary
    with charts.figure(language, (11, 7.5)) as fig:
        for i, metric in enumerate(PANELS):
            ax = fig.add_subplot(2, 2, i + 1)
            for strategy in STRATEGIES:
                part = summary[summary["strategy"] == strategy]
                label = STRATEGY_ZH[strategy] if col == 0 else strategy
                ax.plot(part["quarter"], part[metric], marker="o", color=COLOURS[strategy],
                        label=label)
                ax.fill_between(part["quarter"], part[f"{metric}_low"], part[f"{metric}_high"],
                                color=COLOURS[strategy], alpha=0.2, linewidth=0)
            ax.set_title(HEADERS[metric][col], fontsize=10)
            ax.set_xlabel(HEADERS["quarter"][col])
            ax.set_xticks(sorted(summary["quarter"].unique()))
            ax.grid(alpha=0.3)
            if i == 0:
                ax.legend(fontsize=9)
        s = run.result.settings
        interval = f"{100 * run.scenario.simulation.interval:g} %"
        if col == 0:
            heading = (f"{run.scenario.plan.id}：{s.quarters} 个季度 × {s.reps:,} 次重复，"
                       f"{'按结果进退级' if s.regrade else '不进退级'}，风险漂移 {s.drift:g}"
                       f"（阴影：{interval} 蒙特卡洛区间）")
        else:
            heading = (f"{run.scenario.plan.id}: {s.quarters} quarters x {s.reps:,} "
                       f"replications, regrading {'on' if s.regrade else 'off'}, drift "
                       f"{s.drift:g} (bands: {interval} Monte-Carlo intervals)")
        fig.suptitle(heading, fontsize=11, x=0.01, ha="left")
        fig.tight_layout(rect=(0, 0, 1, 0.95))
        charts.write_png(fig, target)
