"""``planner programme --status OUT``: where the year stands.

Per class: the enterprises, the share inspected at least once so far (returned results and
the history; planned batches not yet returned are not counted as done), the inspections done,
the inspections still owed (minimums), the batches planned but not returned, and the
projection to the end of the year (the remaining batches planned in memory as
``planner programme`` does). Then every enterprise at risk of missing its minimum: those the
projection leaves short, those a cap or the time left makes short now, and, in the last year
of a coverage cycle, those of a cycle class the remaining batches will not reach.

Files: ``status.json``, ``status.xlsx`` (sheets per class, at risk, owed) and ``status.png``
(done, planned and still owed per class). Internal: they show risk classes.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd

from planner.common import charts, columns
from planner.common.errors import InputError
from planner.common.io import write_text_atomic
from planner.common.xlsx import (
    deterministic_workbook,
    figure_styles,
    make_styles,
    write_table,
)
from planner.plan.inputs import load_plan
from planner.plan.transaction import locks_output
from planner.programme import files
from planner.programme.annual import project
from planner.programme.batch import programme_batches
from planner.programme.ledger import Ledger, build_ledger
from planner.programme.needs import CYCLE, MINIMUM, assess, class_rules, cycle_start_year

SHEETS = {"zh": ("分类进度", "未达标风险企业", "尚欠检查企业"), "en": ("By class", "At risk", "Owed")}
KINDS = {"zh": {"minimum": "最低频次", "cycle": "周期全覆盖", "ratio": "抽查比例"},
         "en": {"minimum": "minimum", "cycle": "coverage cycle", "ratio": "ratio"}}
#: The status chart's labels.
CHART_TEXT = {
    "zh": {"done": "已完成检查", "planned": "已计划未反馈", "to_plan": "尚待安排",
           "short": "年末预计尚欠 {n}", "axis": "检查户次",
           "title": "{programme} 年度抽查计划：各风险类别检查进度", "class": "类别 {n}"},
    "en": {"done": "done", "planned": "planned, not returned", "to_plan": "still to plan",
           "short": "{n} short at year end", "axis": "inspections",
           "title": "Programme {programme}: inspections by class", "class": "class {n}"},
}


def read_programme(out: Path) -> dict:
    """Read ``programme.json`` of a programme folder.

    Raises
    ------
    InputError
        When the folder holds no annual plan.
    """
    path = Path(out) / files.PROGRAMME_JSON
    if not path.is_file():
        raise InputError(f"no annual plan here; write it first with planner programme SCENARIO "
                         f"-o {out}", file=str(path))
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"is not a readable annual plan: {exc}", file=str(path)) from None


@locks_output("out", "planner programme --status")
def programme_status(out: str | Path, *, scenario: str | Path | None = None,
                     encoding: str | None = None, progress=None) -> dict:
    """Report where the year stands and write ``status.json``, ``status.xlsx``, ``status.png``.

    Parameters
    ----------
    out : str or pathlib.Path
        The programme folder (with ``programme.json`` and the batch folders).
    scenario : str or pathlib.Path, optional
        The programme's scenario, when it is no longer where ``programme.json`` says.
    encoding : str, optional
        CSV encoding of the inputs.
    progress : callable, optional
        Progress reporter.

    Returns
    -------
    dict
        The content of ``status.json``.

    Raises
    ------
    InputError
        When ``out`` holds no annual plan, or an input or batch file is wrong.
    ScenarioError
        When the scenario cannot be read.
    """
    out = Path(out)
    plan = read_programme(out)
    path = Path(scenario) if scenario else out / plan["scenario"]["path"]
    sc, inputs = load_plan(path, encoding=encoding, progress=progress)
    bs = programme_batches(sc)
    ledger = build_ledger(inputs.history, out, bs, len(bs) + 1)
    following = next((b.number for b in bs if b.number not in ledger.returned + ledger.planned),
                     len(bs) + 1)
    real = ledger.events[~ledger.events["planned"]]
    now = assess(sc, inputs.enterprises, Ledger(real, ledger.history, [], []), bs,
                 min(following, len(bs)))
    projection = project(sc, inputs, Ledger(ledger.events.copy(), ledger.history, [], []), bs,
                         following)
    # Conflicts count the planned batches as done: a batch planned but not returned is not late.
    ahead = assess(sc, inputs.enterprises, ledger, bs, min(following, len(bs)))
    planned = ledger.events[ledger.events["planned"]]
    classes = []
    for c, info in now.classes.items():
        rows = now.frame[now.frame["risk_class"] == c]
        covered = int((rows["done"] > 0).sum())
        in_class = planned["enterprise_id"].isin(set(rows["enterprise_id"]))
        classes.append({
            "class": c, "kind": info["kind"], "value": info["value"],
            "enterprises": info["enterprises"], "covered": covered,
            "share": round(covered / info["enterprises"], 4) if info["enterprises"] else 0.0,
            "done": int(rows["done"].sum()), "planned": int(in_class.sum()),
            "owed": info["still_needed"],
            "projected_owed": projection.end.classes[c]["still_needed"],
        })
    at_risk = [{**u, "reason": "projection", "short": u["owed"]} for u in projection.unmet]
    at_risk += [{"enterprise_id": x["enterprise_id"], "risk_class": x["risk_class"],
                 "owed": x["owed"], "reason": x["rule"], "short": x["short"]}
                for x in ahead.conflicts if following <= len(bs) or x["rule"] == "cap"]
    at_risk += cycle_at_risk(sc, projection.end.frame)
    at_risk.sort(key=lambda d: (d["enterprise_id"], d["reason"]))
    owed = now.frame[(now.frame["kind"] == MINIMUM) & (now.frame["owed"] > 0)]
    status = {
        "programme": plan["programme"]["id"],
        "batches": {"returned": ledger.returned, "planned": ledger.planned,
                    "next": following if following <= len(bs) else None},
        "classes": classes,
        "at_risk": at_risk,
        "owed": [{"enterprise_id": r.enterprise_id, "risk_class": r.risk_class,
                  "owed": int(r.owed)} for r in owed.itertuples()],
    }
    write_text_atomic(out / files.STATUS_JSON,
                      json.dumps(status, ensure_ascii=False, indent=2) + "\n")
    created = dt.datetime.combine(sc.plan.start, dt.time())
    write_status_workbook(out / files.STATUS_XLSX, status, sc.export.language, created)
    write_status_chart(out / files.STATUS_PNG, status, sc.export.language)
    return status


def cycle_at_risk(scenario, end: pd.DataFrame) -> list[dict]:
    """Return the enterprises of coverage-cycle classes the cycle will not reach.

    A class with frequency f < 1 runs a coverage cycle of ceil(1/f) years. In the cycle's last
    year, an enterprise of such a class that is still not covered once the remaining batches
    have run as projected (``end``: :func:`planner.programme.annual.project`'s state at the
    year's end) - e.g. because a cap or the gap since its last inspection keeps it out of
    every batch left - misses the cycle: it is at risk (reason ``cycle``, 1 short). In an
    earlier year of the cycle the years left can still reach it.

    Parameters
    ----------
    scenario : Scenario
        The programme's scenario.
    end : pandas.DataFrame
        The projected per-enterprise state at the year's end (``kind``, ``owed`` columns).

    Returns
    -------
    list of dict
        enterprise_id, risk_class, owed, reason, short.
    """
    year = scenario.plan.start.year
    last = {c for c, rule in class_rules(scenario).items() if rule.kind == CYCLE
            and cycle_start_year(scenario, rule, year) + rule.cycle_years - 1 == year}
    missed = end[(end["kind"] == CYCLE) & (end["owed"] > 0) & end["risk_class"].isin(last)]
    return [{"enterprise_id": r.enterprise_id, "risk_class": r.risk_class, "owed": 1,
             "reason": "cycle", "short": 1} for r in missed.itertuples()]


def _sheet(wb, st, name: str, table: tuple, rows: list[dict], language: str) -> None:
    """Write one table sheet of ``status.xlsx`` from its columns' declaration."""
    ws = wb.add_worksheet(name)
    values = [pd.Series([row[c.key] for row in rows], dtype=object) for c in table]
    write_table(ws, table, values, language, st, print_title=name)


def _class_rows(status: dict, language: str) -> list[dict]:
    """Return the by-class rows as the sheet shows them: the rule in words."""
    kinds = KINDS[language]
    return [{**row, "kind": kinds.get(row["kind"], row["kind"])} for row in status["classes"]]


def write_status_workbook(target: Path, status: dict, language: str,
                          created: dt.datetime) -> None:
    """Write ``status.xlsx``: per class, the enterprises at risk, and what each still owes.

    The sheets' columns are :data:`planner.common.columns.STATUS_CLASSES`, ``STATUS_AT_RISK``
    and ``STATUS_OWED``, written by :func:`planner.common.xlsx.write_table`.

    Parameters
    ----------
    target : pathlib.Path
        The workbook.
    status : dict
        From :func:`programme_status`.
    language : str
        ``"zh"`` or ``"en"``.
    created : datetime.datetime
        The document's created time (fixed, for byte-identical files).
    """
    by_class, risk, owed = SHEETS[language]
    with deterministic_workbook(target, created=created, title=by_class) as wb:
        st = figure_styles(wb, make_styles(wb))
        _sheet(wb, st, by_class, columns.STATUS_CLASSES, _class_rows(status, language),
               language)
        _sheet(wb, st, risk, columns.STATUS_AT_RISK, status["at_risk"], language)
        _sheet(wb, st, owed, columns.STATUS_OWED, status["owed"], language)


def write_status_chart(target: Path, status: dict, language: str = "zh") -> None:
    """Draw ``status.png``: per class, inspections done, planned and still owed.

    In Chinese (``[export] language = "zh"``) the labels are set in the bundled CJK font
    (:func:`planner.common.charts.font_context`); in English they are kept to ASCII (a
    non-ASCII class or programme name is left out or numbered).

    Parameters
    ----------
    target : pathlib.Path
        The PNG.
    status : dict
        From :func:`programme_status`.
    language : str
        ``"zh"`` or ``"en"``.
    """
    text = CHART_TEXT["zh" if language == "zh" else "en"]
    ascii_only = language != "zh"
    frame = pd.DataFrame(status["classes"])
    labels = [c if c.isascii() or not ascii_only else text["class"].format(n=i + 1)
              for i, c in enumerate(frame["class"])]
    x = np.arange(len(frame))
    programme = status["programme"]
    if programme.isascii() or not ascii_only:
        title = text["title"].format(programme=programme)
    else:
        title = "Programme: inspections by class"
    with charts.figure(language, (8, 4.5), settings={"font.size": 10}) as fig:
        ax = fig.add_subplot()
        ax.bar(x, frame["done"], color="#1f5fa8", label=text["done"])
        ax.bar(x, frame["planned"], bottom=frame["done"], color="#8fb3de",
               label=text["planned"])
        ax.bar(x, frame["owed"] - frame["planned"].clip(upper=frame["owed"]),
               bottom=frame["done"] + frame["planned"], color="#d9822b",
               label=text["to_plan"])
        for i, short in enumerate(frame["projected_owed"]):
            if short:
                ax.annotate(text["short"].format(n=short), (x[i], 0), ha="center",
                            va="bottom", color="#b00000", fontsize=9)
        ax.set_xticks(x, labels)
        ax.set_ylabel(text["axis"])
        ax.set_title(title, loc="left")
        ax.legend(frameon=False, fontsize=9)
        fig.tight_layout()
        charts.write_png(fig, target)


def status_lines(status: dict, out: Path) -> list[str]:
    """Render the status for a terminal.

    Parameters
    ----------
    status : dict
        From :func:`programme_status`.
    out : pathlib.Path
        The programme folder.

    Returns
    -------
    list of str
        Lines.
    """
    b = status["batches"]
    lines = [f"Programme {status['programme']}: batches returned {b['returned'] or 'none'}, "
             f"planned {b['planned'] or 'none'}, next {b['next'] or 'none'}",
             f"  {'class':<7}{'rule':<14}{'covered':>14}{'done':>7}{'planned':>9}"
             f"{'owed':>7}{'owed at end':>13}"]
    for r in status["classes"]:
        lines.append(f"  {r['class']:<7}{r['kind'] + ' ' + r['value']:<14}"
                     f"{r['covered']:>6}/{r['enterprises']:<4}{r['share']:>4.0%}{r['done']:>7}"
                     f"{r['planned']:>9}{r['owed']:>7}{r['projected_owed']:>13}")
    lines.append(f"At risk of missing the minimum or the coverage cycle: "
                 f"{len(status['at_risk'])} enterprise(s)")
    for r in status["at_risk"][:20]:
        lines.append(f"  {r['enterprise_id']} (class {r['risk_class']}): {r['reason']}, "
                     f"{r['short']} short")
    lines.append(f"Wrote {out / files.STATUS_JSON}, {out / files.STATUS_XLSX}, "
                 f"{out / files.STATUS_PNG}")
    return lines
