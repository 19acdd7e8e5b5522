"""The simulation chart (``simulation.png``): each ratio set under each strategy, with intervals.

Two panels share the ratio sets as rows: the discovery rate (problems / inspections) and the
problems found, each with its interval. Drawn with matplotlib's Agg backend at a fixed size
and resolution and without the software stamp, so the same table gives the same bytes.
Text is kept to ASCII: the bundled font has no Chinese glyphs, so a non-ASCII ratio-set name
is shown as ``set N``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from planner.io import atomic_path

COLOURS = {"risk-weighted": "#1f5fa8", "uniform": "#8c8c8c", "optimised": "#d9822b"}
MARKERS = {"risk-weighted": "o", "uniform": "s", "optimised": "D"}
MAX_SETS = 20
DPI = 100


def _ascii(text: str, fallback: str) -> str:
    return text if text.isascii() and text.strip() else fallback


def _ascii_only(text: str) -> str:
    return "".join(ch if ch.isascii() else "?" for ch in text)


def chosen_sets(summary: pd.DataFrame, limit: int = MAX_SETS) -> list[str]:
    """Return the ratio sets to draw: all, or the ``limit`` finding most under their own ratios.

    Parameters
    ----------
    summary : pandas.DataFrame
        The comparison table (``ratio_set``, ``strategy``, ``expected_found``).
    limit : int
        Most sets drawn.

    Returns
    -------
    list of str
        Set names in table order.
    """
    names = list(dict.fromkeys(summary["ratio_set"]))
    if len(names) <= limit:
        return names
    own = summary[summary["strategy"] == "risk-weighted"].set_index("ratio_set")
    best = set(own["expected_found"].nlargest(limit).index)
    return [n for n in names if n in best]


def write_chart(
    summary: pd.DataFrame,
    target: str | Path,
    *,
    title: str,
    footnote: str = "",
    interval: float = 0.9,
) -> None:
    """Draw the comparison as a PNG, written whole or not at all.

    Parameters
    ----------
    summary : pandas.DataFrame
        One row per ratio set and strategy: ``ratio_set``, ``strategy``, ``inspections``,
        ``expected_found``, ``found_low``, ``found_high``, ``discovery_rate``,
        ``discovery_rate_low``, ``discovery_rate_high``.
    target : str or pathlib.Path
        The ``.png`` file.
    title : str
        Chart title (ASCII).
    footnote : str
        Small print under the panels (ASCII).
    interval : float
        Probability of the intervals, for the axis labels.
    """
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    title, footnote = _ascii_only(title), _ascii_only(footnote)
    names = chosen_sets(summary)
    shown = len(names)
    total = summary["ratio_set"].nunique()
    labels = [_ascii(n, f"set {i + 1}") for i, n in enumerate(names)]
    height = 2.0 + 0.62 * shown
    with matplotlib.rc_context({"font.family": "DejaVu Sans", "font.size": 9}):
        fig = Figure(figsize=(11, height), dpi=DPI)
        FigureCanvasAgg(fig)
        left, right = fig.subplots(1, 2, sharey=True)
        y = np.arange(shown)[::-1].astype(float)
        offsets = {"risk-weighted": 0.22, "uniform": 0.0, "optimised": -0.22}
        level = f"{interval:.0%}"
        for strategy, offset in offsets.items():
            rows = summary[summary["strategy"] == strategy].set_index("ratio_set")
            present = [n for n in names if n in rows.index]
            if not present:
                continue
            r = rows.loc[present]
            ys = y[[names.index(n) for n in present]] + offset
            rate = r["discovery_rate"].to_numpy(float) * 100
            rate_err = np.vstack([rate - r["discovery_rate_low"].to_numpy(float) * 100,
                                  r["discovery_rate_high"].to_numpy(float) * 100 - rate])
            found = r["expected_found"].to_numpy(float)
            found_err = np.vstack([found - r["found_low"].to_numpy(float),
                                   r["found_high"].to_numpy(float) - found])
            style = {"fmt": MARKERS[strategy], "color": COLOURS[strategy], "capsize": 3,
                     "markersize": 5, "linewidth": 1.2, "label": strategy}
            left.errorbar(rate, ys, xerr=np.clip(rate_err, 0, None), **style)
            right.errorbar(found, ys, xerr=np.clip(found_err, 0, None), **style)
        left.set_yticks(y, labels)
        left.set_xlabel(f"discovery rate: problems / inspections, % ({level} interval)")
        right.set_xlabel(f"problems found ({level} interval)")
        for ax in (left, right):
            ax.grid(axis="x", color="#dddddd", linewidth=0.6)
            ax.set_axisbelow(True)
            ax.set_ylim(-0.6, shown - 0.4)
        inspections = summary[summary["strategy"] == "risk-weighted"].set_index("ratio_set")
        for yi, name in zip(y, names, strict=True):
            if name in inspections.index:
                n = int(inspections.loc[name, "inspections"])
                right.annotate(f"n={n:,}", (1.0, yi), xycoords=("axes fraction", "data"),
                               xytext=(4, 0), textcoords="offset points", va="center",
                               fontsize=8, color="#444444")
        left.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=3, frameon=False,
                    fontsize=8)
        heading = title if shown == total else f"{title} - {shown} of {total} sets shown"
        fig.suptitle(heading, fontsize=11, x=0.01, ha="left")
        note = _wrap(footnote, 170)
        if note:
            fig.text(0.01, 0.06 / height, note, fontsize=7.5, color="#444444", va="bottom")
        note_lines = note.count("\n") + 1 if note else 0
        fig.subplots_adjust(left=0.2, right=0.93, top=1 - 0.75 / height,
                            bottom=(0.62 + 0.15 * note_lines) / height, wspace=0.08)
        with atomic_path(target) as tmp:
            fig.savefig(tmp, format="png", dpi=DPI, metadata={"Software": None})


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))
