"""What batch K of a programme needs, and the inputs of its plan folder ``OUT/batch-K/``.

The batch folder is a normal plan folder. The programme writes the batch's own scenario
(``batch-scenario.toml``) beside the inputs it derives - the candidates (directory rows the
batch may draw from), the must-draws (its inclusion list) and the full prior history - then
:mod:`planner.app.batch` runs every stage of ``planner run`` on it. ``planner verify
OUT/batch-K`` therefore recomputes the batch's draw from its record, like any plan's.

Earlier batches must be planned first; their returned results (``results.csv`` of
``planner results``) and the bureau's history count, as described in
:mod:`planner.programme.ledger`. A batch whose results are back is never planned again. The
folder is assembled beside ``OUT/batch-K`` and swapped in whole.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd

from planner.common import schema
from planner.common.errors import InputError, ScenarioError
from planner.common.io import read_table, write_csv_atomic, write_text_atomic
from planner.plan.inputs import Inputs
from planner.plan.scenario import Scenario
from planner.programme import files
from planner.programme.ledger import Ledger, build_ledger, missing_batches
from planner.programme.needs import Needs, assess
from planner.programme.periods import Batch, batches
from planner.programme.select import exact_ratio
from planner.programme.tomlfile import document


def programme_batches(scenario: Scenario) -> list[Batch]:
    """Return the batches of a scenario, or raise when it has no ``[programme]`` table."""
    if scenario.programme is None:
        raise ScenarioError("is not a programme: add a [programme] table (batches = N or "
                            "batch_dates = [...])", file=scenario.label)
    return batches(scenario)


def batch_needs(scenario: Scenario, inputs: Inputs, out: Path,
                number: int) -> tuple[Needs, Ledger]:
    """Check that batch ``number`` can be planned now and return its needs.

    Parameters
    ----------
    scenario : Scenario
        The programme's scenario.
    inputs : Inputs
        Its validated inputs.
    out : pathlib.Path
        The programme folder.
    number : int
        The batch (1-based).

    Returns
    -------
    tuple
        The :class:`Needs` (what the batch must and may draw) and the :class:`Ledger`.

    Raises
    ------
    InputError
        When the batch number is out of range, an earlier batch is not planned, or the
        batch's results are already back.
    """
    bs = programme_batches(scenario)
    if not 1 <= number <= len(bs):
        raise InputError(f"the programme has batches 1 to {len(bs)}, not {number}",
                         file="--batch")
    missing = missing_batches(out, bs, number)
    if missing:
        raise InputError(f"plan batch {missing[0]} first (planner run {scenario.path} --batch "
                         f"{missing[0]} -o {out}): each batch takes the earlier ones into "
                         "account", file="--batch")
    if (files.batch_dir(out, number) / files.RESULTS_CSV).is_file():
        raise InputError(f"the results of batch {number} are back; a returned batch is not "
                         "planned again", file=str(files.batch_dir(out, number)))
    ledger = build_ledger(inputs.history, out, bs, number)
    return assess(scenario, inputs.enterprises, ledger, bs, number), ledger


def batch_scenario_text(scenario: Scenario, needs: Needs, folder: Path, *,
                        has_due: bool) -> str:
    """Return the batch's scenario file: the programme's, restricted to this batch.

    Parameters
    ----------
    scenario : Scenario
        The programme's scenario.
    needs : Needs
        The batch's needs (seed, dates, per-class counts).
    folder : pathlib.Path
        The batch folder (paths are written relative to it).
    has_due : bool
        Whether the batch has must-draws (then ``due.csv`` is its inclusion list).

    Returns
    -------
    str
        TOML text.
    """
    b = needs.batch
    plan, inputs = scenario.plan, scenario.inputs
    candidates = needs.frame[needs.frame["candidate"]]
    per_class = candidates["risk_class"].value_counts()
    ratios = {c: exact_ratio(info["count"], int(per_class.get(c, 0)))
              for c, info in needs.classes.items()}
    tables = {
        "plan": {"id": b.plan_id, "name": f"{plan.name}（第{b.number}批）",
                 "authority": plan.authority, "seed": b.seed, "start": b.start, "end": b.end,
                 "task_id": plan.task_id, "task_name": plan.task_name,
                 "check_type": plan.check_type, "items": plan.items},
        "inputs": {"enterprises": folder / files.CANDIDATES_CSV,
                   "inspectors": inputs.inspectors,
                   "avoidance": folder / files.AVOIDANCE_CSV if inputs.avoidance else None,
                   "history": folder / files.PRIOR_HISTORY_CSV, "items": inputs.items,
                   "sheet": inputs.sheet, "accept_legacy_ids": inputs.accept_legacy_ids},
        "grading": dataclasses.asdict(scenario.grading),
        "sampling": {"mode": "ratios", "ratios": ratios or {c: 0.0 for c in needs.classes},
                     "spread_over": scenario.sampling.spread_over,
                     "weight_by": scenario.sampling.weight_by,
                     "on_short_capacity": scenario.sampling.on_short_capacity,
                     "inclusions": folder / files.DUE_CSV if has_due else None},
        "assignment": dict(vars(scenario.assignment)),
        "export": dict(vars(scenario.export)),
    }
    header = (f"Batch {b.number} of programme {plan.id}, {b.start} to {b.end},\n"
              f"written by planner run {scenario.path.name} --batch {b.number}.\n"
              "candidates.csv: the enterprises that still need an inspection this year and may\n"
              "have one now (gap and caps respected); due.csv: those that must be inspected in\n"
              "this batch. Each ratio gives exactly this batch's count: ceil(ratio x candidates).")
    return document(tables, folder, header)


def write_inputs(scenario: Scenario, inputs: Inputs, needs: Needs, ledger: Ledger,
                 folder: Path) -> None:
    """Write the batch's inputs into ``folder``: candidates, must-draws, history, scenario."""
    path = inputs.files["enterprises"]
    raw = read_table(path, encoding=scenario.inputs.encoding, sheet=scenario.inputs.sheet,
                     label=str(path))
    rows = inputs.enterprises.set_index("enterprise_id")["row"]
    chosen = needs.frame.loc[needs.frame["candidate"], "enterprise_id"]
    positions = sorted(int(rows[e]) - 2 for e in chosen)
    write_csv_atomic(folder / files.CANDIDATES_CSV, raw.iloc[positions])
    due = needs.frame.loc[needs.frame["must"], ["enterprise_id"]].sort_values("enterprise_id")
    if len(due):
        due = due.assign(reason="本年度检查频次要求 (owes as many inspections as batches left)")
        write_csv_atomic(folder / files.DUE_CSV, due)
    wanted = set(chosen)
    history = ledger.history[ledger.history["enterprise_id"].isin(wanted)]
    write_csv_atomic(folder / files.PRIOR_HISTORY_CSV, history)
    if scenario.inputs.avoidance is not None:
        path = scenario.inputs.avoidance
        raw = read_table(path, encoding=scenario.inputs.encoding, sheet=scenario.inputs.sheet,
                         label=str(path))
        pairs, _ = schema.map_headers(raw, schema.AVOIDANCE_COLUMNS, str(path))
        ids = pairs["enterprise_id"].astype(str).str.strip().str.upper()
        write_csv_atomic(folder / files.AVOIDANCE_CSV, pairs[ids.isin(wanted)])
    write_text_atomic(folder / files.BATCH_SCENARIO,
                      batch_scenario_text(scenario, needs, folder, has_due=bool(len(due))))


def write_schedule(needs: Needs, folder: Path, *, drawn: bool = True) -> None:
    """Write ``schedule.csv``: the earliest date each enterprise may be inspected.

    Before the stages (``drawn=False``) it lists every candidate, so that the export shows
    the date (最早检查日期) in the workbooks and ``planner results`` checks it; after them it
    is cut down to the drawn enterprises.
    """
    when = needs.frame.set_index("enterprise_id")["not_before"]
    if drawn:
        ids = pd.read_csv(folder / files.SAMPLE_CSV, dtype=str,
                          keep_default_na=False)["enterprise_id"]
    else:
        ids = needs.frame.loc[needs.frame["candidate"], "enterprise_id"]
    schedule = pd.DataFrame({
        "enterprise_id": list(ids),
        "not_before": [when[e].date().isoformat() for e in ids],
    })
    write_csv_atomic(folder / files.SCHEDULE_CSV, schedule)
