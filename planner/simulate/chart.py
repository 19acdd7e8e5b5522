"""The simulation chart (``simulation.png``): each ratio set under each strategy, with intervals.

Two panels share the ratio sets as rows: the discovery rate (problems / inspections) and the
problems found, each with its interval; beyond 20 sets, both are drawn against the number of
inspections instead. Drawn with matplotlib's Agg backend at a fixed size
and resolution and without the software stamp, so the same table gives the same bytes.

With ``language = "zh"`` (the default of ``[export] language``) every label is Chinese, set
in Noto Sans CJK SC, a font file the ``mplfonts`` package installs with planner (never one
looked up on the system, so the chart is the same on every machine). In English the text is
set in matplotlib's own DejaVu Sans and kept to ASCII: a non-ASCII ratio-set name is shown as
``set N``.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from planner.common import charts

COLOURS = {"risk-weighted": "#1f5fa8", "uniform": "#8c8c8c", "optimised": "#d9822b",
           "learned-floor": "#2e8b57"}
MARKERS = {"risk-weighted": "o", "uniform": "s", "optimised": "D", "learned-floor": "^"}
MAX_SETS = 20
LABEL_CHARS = 40
# Every label of the chart, in English and Chinese.
TEXT = {
    "en": {
        "rate_axis": "discovery rate: problems / inspections, % ({level} interval)",
        "found_axis": "problems found ({level} interval)",
        "rate_axis_short": "discovery rate, % ({level} interval)",
        "inspections_axis": "inspections (one point per ratio set and strategy)",
        "many": "{title} - {n} ratio sets",
        "set": "set {n}",
        "risk-weighted": "risk-weighted", "uniform": "uniform", "optimised": "optimised",
        "learned-floor": "learned score with floor",
    },
    "zh": {
        "rate_axis": "问题发现率：发现问题户数 / 检查户数，%（{level} 区间）",
        "found_axis": "发现问题户数（{level} 区间）",
        "rate_axis_short": "问题发现率，%（{level} 区间）",
        "inspections_axis": "检查户数（每个比例方案和抽取方式一点）",
        "many": "{title}（{n} 个比例方案）",
        "set": "方案 {n}",
        "risk-weighted": "按风险分类比例", "uniform": "不分类随机", "optimised": "优化分配",
        "learned-floor": "学习评分加保底",
    },
}


def _ascii(text: str, fallback: str) -> str:
    return text if text.isascii() and text.strip() else fallback


def _ascii_only(text: str) -> str:
    return "".join(ch if ch.isascii() else "?" for ch in text)


def _label(name: str, index: int, language: str = "en") -> str:
    if language == "zh":
        text = name.strip() or TEXT["zh"]["set"].format(n=index + 1)
    else:
        text = _ascii(name, TEXT["en"]["set"].format(n=index + 1))
    if len(text) <= LABEL_CHARS:
        return text
    return text[:14] + "..." + text[-(LABEL_CHARS - 17):]  # grid members differ at the end


def write_chart(
    summary: pd.DataFrame,
    target: str | Path,
    *,
    title: str,
    footnote: str = "",
    interval: float = 0.9,
    language: str = "en",
) -> None:
    """Draw the comparison as a PNG, written whole or not at all.

    Up to :data:`MAX_SETS` ratio sets are drawn one row each (discovery rate and problems
    found, with intervals); more are drawn against their number of inspections, one point per
    set and strategy.

    Parameters
    ----------
    summary : pandas.DataFrame
        One row per ratio set and strategy: ``ratio_set``, ``strategy``, ``inspections``,
        ``expected_found``, ``found_low``, ``found_high``, ``discovery_rate``,
        ``discovery_rate_low``, ``discovery_rate_high``.
    target : str or pathlib.Path
        The ``.png`` file.
    title : str
        Chart title (in English, non-ASCII characters are shown as ``?``).
    footnote : str
        Small print under the panels (likewise).
    interval : float
        Probability of the intervals, for the axis labels.
    language : str
        ``"zh"``: Chinese labels in the bundled CJK font; ``"en"``: English, ASCII.
    """
    text = TEXT["zh" if language == "zh" else "en"]
    if language != "zh":
        title, footnote = _ascii_only(title), _ascii_only(footnote)
    names = list(dict.fromkeys(summary["ratio_set"]))
    by_rows = len(names) <= MAX_SETS
    height = 2.0 + 0.62 * len(names) if by_rows else 6.5
    note = _wrap(footnote, 95 if language == "zh" else 170)  # a Chinese character is wide
    note_lines = note.count("\n") + 1 if note else 0
    with charts.figure(language, (11, height)) as fig:
        if by_rows:
            labels = [_label(n, i, language) for i, n in enumerate(names)]
            chars = max(sum(2 if ord(ch) > 0x2E7F else 1 for ch in t) for t in labels)
            left_margin = min(0.4, (0.35 + 0.068 * chars) / 11)
            _rows(fig, summary, names, labels, f"{interval * 100:g} %", text)
            heading = title
        else:
            left_margin = 0.08
            _scatter(fig, summary, f"{interval * 100:g} %", text)
            heading = text["many"].format(title=title, n=len(names))
        fig.suptitle(heading, fontsize=11, x=0.01, ha="left")
        if note:
            fig.text(0.01, 0.06 / height, note, fontsize=7.5, color="#444444", va="bottom")
        fig.subplots_adjust(left=left_margin, right=0.93, top=1 - 0.75 / height,
                            bottom=(0.62 + 0.15 * note_lines) / height,
                            wspace=0.08 if by_rows else 0.22)
        charts.write_png(fig, target)


def _errors(centre: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    return np.clip(np.vstack([centre - low, high - centre]), 0, None)


def _series(summary: pd.DataFrame, strategy: str, names: list[str]):
    rows = summary[summary["strategy"] == strategy].set_index("ratio_set")
    present = [n for n in names if n in rows.index]
    r = rows.loc[present]
    rate = r["discovery_rate"].to_numpy(float) * 100
    rate_err = _errors(rate, r["discovery_rate_low"].to_numpy(float) * 100,
                       r["discovery_rate_high"].to_numpy(float) * 100)
    found = r["expected_found"].to_numpy(float)
    found_err = _errors(found, r["found_low"].to_numpy(float), r["found_high"].to_numpy(float))
    return present, r, rate, rate_err, found, found_err


def _rows(fig, summary: pd.DataFrame, names: list[str], labels: list[str], level: str,
          text: dict[str, str]) -> None:
    """One row per ratio set: discovery rate (left) and problems found (right)."""
    left, right = fig.subplots(1, 2, sharey=True)
    y = np.arange(len(names))[::-1].astype(float)
    for strategy, offset in (("risk-weighted", 0.22), ("uniform", 0.0), ("optimised", -0.22),
                             ("learned-floor", -0.4)):
        present, _, rate, rate_err, found, found_err = _series(summary, strategy, names)
        if not present:
            continue
        ys = y[[names.index(n) for n in present]] + offset
        style = {"fmt": MARKERS[strategy], "color": COLOURS[strategy], "capsize": 3,
                 "markersize": 5, "linewidth": 1.2, "label": text[strategy]}
        left.errorbar(rate, ys, xerr=rate_err, **style)
        right.errorbar(found, ys, xerr=found_err, **style)
    left.set_yticks(y, labels)
    left.set_xlabel(text["rate_axis"].format(level=level))
    right.set_xlabel(text["found_axis"].format(level=level))
    for ax in (left, right):
        ax.grid(axis="x", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.set_ylim(-0.6, len(names) - 0.4)
    own = summary[summary["strategy"] == "risk-weighted"].set_index("ratio_set")
    for yi, name in zip(y, names, strict=True):
        if name in own.index:
            right.annotate(f"n={int(own.loc[name, 'inspections']):,}", (1.0, yi),
                           xycoords=("axes fraction", "data"), xytext=(4, 0),
                           textcoords="offset points", va="center", fontsize=8,
                           color="#444444")
    left.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=4, frameon=False, fontsize=8)


def _scatter(fig, summary: pd.DataFrame, level: str, text: dict[str, str]) -> None:
    """Many ratio sets: problems found and discovery rate against inspections."""
    left, right = fig.subplots(1, 2, sharex=True)
    names = list(dict.fromkeys(summary["ratio_set"]))
    for strategy in ("uniform", "risk-weighted", "optimised", "learned-floor"):
        present, r, rate, rate_err, found, found_err = _series(summary, strategy, names)
        if not present:
            continue
        n = r["inspections"].to_numpy(float)
        style = {"fmt": MARKERS[strategy], "color": COLOURS[strategy], "markersize": 3.5,
                 "linewidth": 0.6, "alpha": 0.75, "label": text[strategy], "capsize": 0}
        left.errorbar(n, found, yerr=found_err, **style)
        right.errorbar(n, rate, yerr=rate_err, **style)
    left.set_ylabel(text["found_axis"].format(level=level))
    right.set_ylabel(text["rate_axis_short"].format(level=level))
    for ax in (left, right):
        ax.set_xlabel(text["inspections_axis"])
        ax.grid(color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
    left.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=4, frameon=False, fontsize=8)


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width))
