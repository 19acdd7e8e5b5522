"""``planner programme SCENARIO -o OUT``: the annual plan (年度抽查工作计划) and its projection.

The annual plan lists each batch's dates and public seed, and projects each batch's count per
class by planning the year in memory: batch after batch, the must-draws and the lowest
tickets (:func:`planner.programme.select.pick`), each planned inspection assumed done on its
batch's last day. Per batch it checks the roster's capacity - an inspector counts only in the
batches that end before their certificate (执法证) expires - and says which batch is short and
by how much. It reports the conflicts between minimums and caps (which enterprise, by how
much) and the enterprises the year cannot bring to their minimum.

Files: ``programme.json`` (internal: everything above, per class) and ``plan-notice.xlsx``
(抽查计划公告, public: batches, dates, seeds and total counts, no risk class).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from planner import __version__
from planner.common.io import write_text_atomic
from planner.draw.record import relative
from planner.plan.inputs import Inputs, load_plan
from planner.plan.scenario import Scenario
from planner.plan.transaction import locks_output
from planner.programme import files
from planner.programme.batch import programme_batches
from planner.programme.ledger import Ledger, build_ledger
from planner.programme.needs import assess
from planner.programme.notice import write_notice
from planner.programme.periods import SEED_RULE, Batch, extra_seed
from planner.programme.select import pick


@dataclass
class Projection:
    """The year planned in memory from a given batch on.

    Attributes
    ----------
    batches : list of dict
        Per batch: number, dates, seed, plan id, counts and must-draws per class, counts per
        stratum (as the batch's draw labels them), capacity.
    classes : dict
        Class -> kind, value, enterprises, year_target (as seen before the first batch).
    conflicts : list of dict
        Minimum-versus-cap and minimum-versus-time conflicts before the first batch.
    unmet : list of dict
        enterprise_id, risk_class, owed: the minimums the projected year leaves undone.
    end : Needs
        The needs after the projected year (per class ``still_needed``).
    """

    batches: list[dict] = field(default_factory=list)
    classes: dict[str, dict] = field(default_factory=dict)
    conflicts: list[dict] = field(default_factory=list)
    unmet: list[dict] = field(default_factory=list)
    end: object = None


def batch_capacity(inspectors: pd.DataFrame, batch: Batch, team_size: int) -> dict:
    """Inspections the roster can staff in a batch: certificates valid to its last day.

    Parameters
    ----------
    inspectors : pandas.DataFrame
        The validated roster (``certificate_expiry``, ``available``, ``capacity``).
    batch : Batch
        The batch.
    team_size : int
        Inspectors per inspection.

    Returns
    -------
    dict
        eligible_inspectors, seats, inspections.
    """
    if not len(inspectors):
        return {"eligible_inspectors": 0, "seats": 0, "inspections": 0}
    ok = ((inspectors["certificate_expiry"] >= pd.Timestamp(batch.end)).to_numpy()
          & inspectors["available"].to_numpy(dtype=bool))
    seats = int(inspectors["capacity"].to_numpy()[ok].sum())
    return {"eligible_inspectors": int(ok.sum()), "seats": seats,
            "inspections": seats // team_size}


def project(scenario: Scenario, inputs: Inputs, ledger: Ledger, batches: list[Batch],
            first: int) -> Projection:
    """Plan batches ``first`` .. last in memory and check each one's capacity.

    Parameters
    ----------
    scenario : Scenario
        The programme's scenario.
    inputs : Inputs
        Its validated inputs.
    ledger : Ledger
        Inspections before batch ``first`` (its events grow in place with the projection).
    batches : list of Batch
        Every batch.
    first : int
        The first batch to project.

    Returns
    -------
    Projection
        Per batch and per class.
    """
    result = Projection()
    events = ledger.events
    needs = None
    for batch in batches[first - 1:]:
        needs = assess(scenario, inputs.enterprises, Ledger(events, ledger.history, [], []),
                       batches, batch.number)
        if batch.number == first:
            result.classes = {c: {k: v[k] for k in ("kind", "value", "enterprises",
                                                   "year_target", "done")}
                              for c, v in needs.classes.items()}
            result.conflicts = needs.conflicts
        chosen = pick(needs, scenario.sampling.spread_over)
        counts = chosen["risk_class"].value_counts()
        strata = chosen["stratum"].value_counts()
        due = chosen.loc[chosen["must"], "risk_class"].value_counts()
        total = int(len(chosen))
        capacity = batch_capacity(inputs.inspectors, batch, scenario.assignment.team_size)
        result.batches.append({
            **batch.to_dict(),
            "counts": {c: int(counts.get(c, 0)) for c in needs.classes},
            "due": {c: int(due.get(c, 0)) for c in needs.classes},
            "strata": {s: int(strata[s]) for s in sorted(strata.index) if strata[s]},
            "total": total,
            "capacity": capacity,
            "short": max(0, total - capacity["inspections"]),
        })
        planned = pd.DataFrame({"enterprise_id": chosen["enterprise_id"],
                                "date": pd.Timestamp(batch.end), "task": batch.plan_id,
                                "department": "", "planned": True})
        events = pd.concat([events, planned], ignore_index=True)
    after = assess(scenario, inputs.enterprises, Ledger(events, ledger.history, [], []),
                   batches, len(batches))
    if needs is None:
        result.classes = {c: {k: v[k] for k in ("kind", "value", "enterprises", "year_target",
                                                "done")} for c, v in after.classes.items()}
        result.conflicts = [c for c in after.conflicts if c["rule"] == "cap"]
    result.end = after
    left = after.frame[np.minimum(after.frame["owed"], after.frame["room"]) > 0]
    left = left[left["kind"] == "minimum"]
    result.unmet = [{"enterprise_id": r.enterprise_id, "risk_class": r.risk_class,
                     "owed": int(min(r.owed, r.room))} for r in left.itertuples()]
    return result


@locks_output("out", "planner programme")
def plan_programme(scenario_path: str | Path, out: str | Path, *,
                   encoding: str | None = None, progress=None) -> dict:
    """Write the annual plan: ``programme.json`` and the plan notice ``plan-notice.xlsx``.

    Parameters
    ----------
    scenario_path : str or pathlib.Path
        The scenario with a ``[programme]`` table.
    out : str or pathlib.Path
        The programme folder (created if needed; batch folders go inside it later).
    encoding : str, optional
        CSV encoding of the inputs.
    progress : callable, optional
        Progress reporter.

    Returns
    -------
    dict
        The content of ``programme.json``.

    Raises
    ------
    ScenarioError
        When the scenario has no ``[programme]`` table or is wrong.
    InputError
        When an input is wrong.
    """
    out = Path(out)
    scenario, inputs = load_plan(scenario_path, encoding=encoding, progress=progress)
    bs = programme_batches(scenario)
    ledger = build_ledger(inputs.history, None, bs, 1)
    projection = project(scenario, inputs, ledger, bs, 1)
    out.mkdir(parents=True, exist_ok=True)
    summary = {
        "programme": {"id": scenario.plan.id, "name": scenario.plan.name,
                      "authority": scenario.plan.authority, "start": scenario.plan.start.isoformat(),
                      "end": scenario.plan.end.isoformat(), "seed": scenario.plan.seed,
                      "seed_rule": SEED_RULE, "extra_seed": extra_seed(scenario),
                      "min_gap_days": scenario.programme.min_gap_days,
                      "cap_per_enterprise": scenario.programme.cap_per_enterprise,
                      "mode": scenario.sampling.mode},
        "scenario": {"path": relative(scenario.path, out)},
        "classes": projection.classes,
        "batches": projection.batches,
        "short_batches": [{"batch": b["batch"], "short": b["short"]}
                          for b in projection.batches if b["short"]],
        "conflicts": projection.conflicts,
        "unmet": projection.unmet,
        "version": __version__,
    }
    write_text_atomic(out / files.PROGRAMME_JSON,
                      json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    write_notice(out / files.NOTICE_XLSX, scenario, inputs, projection)
    return summary


def summary_lines(summary: dict, out: Path) -> list[str]:
    """Render the annual plan for a terminal.

    Parameters
    ----------
    summary : dict
        As returned by :func:`plan_programme`.
    out : pathlib.Path
        The programme folder.

    Returns
    -------
    list of str
        Lines.
    """
    p = summary["programme"]
    classes = list(summary["classes"])
    lines = [f"Programme {p['id']}: {p['start']} to {p['end']}, {len(summary['batches'])} "
             f"batches; seed {p['seed']!r}, batch K's seed {p['seed']}/batch-K",
             "  " + "".join(f"{c:>6}" for c in ["batch", *classes]) + f"{'total':>8}"
             f"{'capacity':>10}"]
    for b in summary["batches"]:
        lines.append("  " + f"{b['batch']:>6}" + "".join(f"{b['counts'][c]:>6}" for c in classes)
                     + f"{b['total']:>8}{b['capacity']['inspections']:>10}"
                     + (f"  SHORT by {b['short']}" if b["short"] else ""))
    for c, info in summary["classes"].items():
        lines.append(f"  class {c}: {info['kind']} {info['value']}, {info['enterprises']} "
                     f"enterprises, {info['year_target']} inspections this year")
    for row in summary["conflicts"]:
        lines.append(f"conflict: {row['enterprise_id']} (class {row['risk_class']}) owes "
                     f"{row['owed']}, the {row['rule']} allows {row['possible']}: "
                     f"{row['short']} short")
    if summary["unmet"]:
        lines.append(f"at risk: {len(summary['unmet'])} enterprise(s) would miss their minimum "
                     f"(see {out / files.PROGRAMME_JSON})")
    lines.append(f"Wrote {out / files.PROGRAMME_JSON}, {out / files.NOTICE_XLSX}")
    return lines
