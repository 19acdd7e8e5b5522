"""``risk-evaluation.png``: the share of the holdout's problems found against the share inspected.

One line per ordering (class, model, random), the diagonal for reference, and a mark at half
the schedule. Chinese by default (the bundled CJK font of :func:`planner.common.charts.font_context`),
English with ``[export] language = "en"``; same figures, same bytes.
"""

from __future__ import annotations

from pathlib import Path

from planner.common import charts

COLOURS = {"class": "#1f5fa8", "model": "#d9822b", "random": "#8c8c8c"}
TEXT = {
    "zh": {"x": "已检查占比（按该排序安排检查）", "y": "已发现问题占比",
           "title": "风险排序检验 - {plan}（检验集自 {start}，{n:,} 户次）",
           "class": "按风险分类", "model": "学习模型", "random": "随机顺序", "half": "一半"},
    "en": {"x": "share inspected (schedule in that order)", "y": "share of problems found",
           "title": "Risk ordering on the holdout - {plan} (from {start}, {n:,} inspections)",
           "class": "class", "model": "model", "random": "random", "half": "half"},
}


def write_chart(result, target: str | Path, *, language: str = "zh") -> None:
    """Draw the cumulative-share chart of the evaluation, written whole.

    Parameters
    ----------
    result : LearnResult
        With an evaluation.
    target : str or pathlib.Path
        The ``.png`` file.
    language : str
        ``"zh"`` or ``"en"``.
    """
    text = TEXT["zh" if language == "zh" else "en"]
    e = result.evaluation
    plan = result.scenario.plan.id
    if language != "zh":
        plan = "".join(ch if ch.isascii() else "?" for ch in plan)
    with charts.figure(language, (7.5, 6)) as fig:
        ax = fig.add_subplot(1, 1, 1)
        ax.plot([0, 1], [0, 1], color="#cccccc", linewidth=0.8)
        ax.axvline(0.5, color="#dddddd", linewidth=0.8, linestyle="--")
        for name, o in e.orderings.items():
            curve = o.schedule.curve
            label = (f"{text[name]}: AUC {o.auc:.3f} ({o.auc_interval[0]:.3f}-"
                     f"{o.auc_interval[1]:.3f}), {text['half']} {o.schedule.first_half_share:.1%}")
            ax.plot(curve[:, 0], curve[:, 1], color=COLOURS[name], linewidth=1.6, label=label)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_xlabel(text["x"])
        ax.set_ylabel(text["y"])
        ax.grid(True, color="#eeeeee")
        ax.legend(loc="lower right", fontsize=8)
        fig.suptitle(text["title"].format(plan=plan, start=e.holdout_from, n=e.inspections),
                     fontsize=10, x=0.02, ha="left")
        fig.subplots_adjust(left=0.1, right=0.97, top=0.92, bottom=0.1)
        charts.write_png(fig, target)
