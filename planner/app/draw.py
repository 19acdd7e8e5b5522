"""``planner draw``: the draw's folder shell - compute it, bind it to a commitment, write it.

The draw itself is computed in memory by :func:`planner.draw.compute.compute_draw`. Files
written into the output folder, each whole or not at all:

- ``sample.csv``: enterprise_id, name, risk_class, stratum, ticket, rank;
- ``eligible.csv``: enterprise_id, stratum of every eligible enterprise, in draw order
  (the published directory the draw was made from);
- ``draw-record.json``: see :mod:`planner.draw.record`.

:func:`draw_stage` (stage 1 of ``planner run``) writes a draw; :func:`replace_stage`
replaces drawn enterprises found closed with the next-lowest tickets of their strata.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from planner.common.errors import InputError, VerificationError
from planner.draw import record as rec
from planner.draw import tickets
from planner.draw.commit import check_draw
from planner.draw.compute import Draw, DrawResult, apply_replacements, compute_draw, pool_csv, sample_frame
from planner.plan import folder
from planner.plan.inputs import Inputs
from planner.plan.scenario import Scenario


def write_draw(draw: Draw, out: Path) -> None:
    """Write ``eligible.csv``, ``sample.csv`` and ``draw-record.json`` into ``out``.

    Parameters
    ----------
    draw : Draw
        The draw.
    out : pathlib.Path
        The output folder (created if needed).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    data = pool_csv(draw.pool).encode("utf-8")
    # Writing a file and hashing bytes release the interpreter's lock: a megacity's 40 MB
    # eligible.csv is written while it is hashed and the sample and record are made.
    with ThreadPoolExecutor(1) as writer:
        eligible = writer.submit(folder.write_bytes, out, folder.ELIGIBLE, data)
        draw.pool_sha256 = hashlib.sha256(data).hexdigest()
        folder.write_csv(out, folder.SAMPLE, sample_frame(draw))
        record = rec.build_record(draw, out)
        eligible.result()
    folder.write_record(out, record)


def draw_stage(scenario: Scenario, inputs: Inputs, out: Path, *, progress=None) -> DrawResult:
    """Draw the enterprises to inspect and write the draw's files (stage 1 of ``planner run``).

    When ``out`` already holds a draw with replacements and the draw is unchanged, the
    recorded replacements are applied again; when the draw changed they are dropped.

    Parameters
    ----------
    scenario : Scenario
        The plan.
    inputs : Inputs
        Its validated inputs.
    out : pathlib.Path
        Output folder.
    progress : callable, optional
        Progress reporter.

    Returns
    -------
    DrawResult
        With ``summary_lines()``.
    """
    out = Path(out)
    draw = compute_draw(scenario, inputs, progress=progress)
    draw.commitment = check_draw(draw, out)
    carried = dropped = 0
    previous = _previous_record(out)
    if previous and previous.get("replacements"):
        if _same_original(draw, previous):
            apply_replacements(draw, [(r["enterprise_id"], r["reason"])
                                      for r in previous["replacements"]])
            carried = len(draw.replacements)
        else:
            dropped = len(previous["replacements"])
    write_draw(draw, out)
    return DrawResult(draw, out, carried=carried, dropped=dropped)


def replace_stage(
    scenario: Scenario,
    inputs: Inputs,
    out: Path,
    ids: Sequence[str],
    reason: str,
    *,
    progress=None,
) -> DrawResult:
    """Replace drawn enterprises in the draw in ``out``, keeping the original draw.

    Parameters
    ----------
    scenario : Scenario
        The plan the draw in ``out`` was made with.
    inputs : Inputs
        Its validated inputs.
    out : pathlib.Path
        The folder holding the draw.
    ids : sequence of str
        Enterprises to replace (each must be in the current sample).
    reason : str
        Why (recorded with each replacement).
    progress : callable, optional
        Progress reporter.

    Returns
    -------
    DrawResult
        With the replacements made.

    Raises
    ------
    InputError
        When ``out`` holds no draw, an id is not in the sample or is given twice.
    VerificationError
        When the inputs or parameters no longer give the recorded draw.
    """
    out = Path(out)
    previous = folder.read_record(out)
    wanted = [tickets.canonical_id(i) for i in ids if str(i).strip()]
    repeated = sorted({i for i in wanted if wanted.count(i) > 1})
    if not wanted or repeated:
        raise InputError("--replace: give each enterprise id once, separated by commas"
                         + (f" (repeated: {', '.join(repeated)})" if repeated else ""),
                         file="--replace")
    if not reason.strip():
        raise InputError("--reason: say why, e.g. --reason '已注销 (deregistered)'",
                         file="--reason")
    draw = compute_draw(scenario, inputs, progress=progress)
    draw.commitment = check_draw(draw, out)
    if not _same_original(draw, previous):
        raise VerificationError(
            f"the draw in {out} no longer follows from the scenario and inputs, so it cannot "
            f"be amended; run planner verify {out} to see what changed")
    apply_replacements(draw, [(r["enterprise_id"], r["reason"])
                              for r in previous.get("replacements", [])])
    carried = len(draw.replacements)
    added = apply_replacements(draw, [(i, reason.strip()) for i in wanted])
    write_draw(draw, out)
    return DrawResult(draw, out, carried=carried, added=added)


def with_scale_down(scenario: Scenario) -> Scenario:
    """Return the scenario with ``[sampling] on_short_capacity = "scale-down"``."""
    return replace(scenario, sampling=replace(scenario.sampling, on_short_capacity="scale-down"))


def _previous_record(out: Path) -> dict | None:
    try:
        return folder.read_record(out)
    except InputError:
        return None


def _same_original(draw: Draw, record: dict) -> bool:
    recorded = [(d["enterprise_id"], d["stratum"]) for d in record.get("drawn", [])]
    now = list(zip(draw.original["enterprise_id"], draw.original["stratum"], strict=True))
    return record.get("seed") == draw.scenario.plan.seed and recorded == now
