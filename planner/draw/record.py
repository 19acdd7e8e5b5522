"""``draw-record.json``: everything needed to recompute and check a published draw.

The record holds the seed, plan id, program version, the SHA-256 of every input file, the
draw's parameters (as scenario tables), the per-stratum eligible and drawn counts, the
excluded counts by reason, the drawn ids with their tickets and digests, and the
replacements. It is written with a fixed key order, no clock time and Unix line ends, so
identical inputs give a byte-identical file.

Readers must ignore top-level keys they do not know (other stages add their own, e.g.
``"assignment"``).
"""

from __future__ import annotations

import copy
import os
import tomllib
from pathlib import Path
from typing import Any

from planner import __version__
from planner.common.errors import ScenarioError
from planner.plan import folder
from planner.plan.scenario import Scenario, scenario_from_dict

RECORD_NAME = folder.RECORD
SAMPLE_NAME = folder.SAMPLE
POOL_NAME = folder.ELIGIBLE
FORMAT = folder.RECORD_FORMAT

# Scenario keys that change the draw, by table. "plan" and "assignment" are partial: only
# these keys are recorded; "grading" and "sampling" are recorded whole.
DRAW_KEYS = {
    "plan": ("id", "seed", "start", "end"),
    "grading": None,
    "sampling": None,
    "assignment": ("team_size", "capacity"),
    "simulation": ("prevalence",),
}


def relative(path: Path, base: Path) -> str:
    """``path`` relative to ``base`` in POSIX form (absolute when on another drive)."""
    try:
        return Path(os.path.relpath(Path(path).resolve(), Path(base).resolve())).as_posix()
    except ValueError:
        return Path(path).resolve().as_posix()

# Keys added after records were first published, written only when set.
OMIT_WHEN_EMPTY = ("targets", "filter_columns")


def draw_parameters(scenario: Scenario) -> dict[str, dict[str, Any]]:
    """Return the scenario keys that change the draw, as TOML-ready tables.

    Paths are written relative to the scenario's folder; keys left unset are omitted.

    Parameters
    ----------
    scenario : Scenario
        The plan.

    Returns
    -------
    dict
        Table name -> {key: value}.
    """
    base = scenario.path.parent
    out: dict[str, dict[str, Any]] = {}
    for table, keys in DRAW_KEYS.items():
        section = getattr(scenario, table)
        names = keys or tuple(f for f in section.__dataclass_fields__)
        values = {}
        for name in names:
            value = _plain(getattr(section, name), base)
            if name in OMIT_WHEN_EMPTY and not value:
                continue  # newer keys: a plan without them keeps its record as it was
            if value is not None:
                values[name] = value
        out[table] = values
    return out


def _plain(value: Any, base: Path) -> Any:
    if isinstance(value, Path):
        return relative(value, base)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v, base) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, base) for v in value]
    return value


def scenario_with_parameters(path: Path, parameters: dict[str, dict[str, Any]]) -> Scenario:
    """Load the scenario at ``path`` with the draw's keys replaced by the recorded ones.

    The file still says where the inputs are (and how to read them); the record says how the
    draw was made.

    Parameters
    ----------
    path : pathlib.Path
        The scenario file.
    parameters : dict
        ``parameters`` from a draw record.

    Returns
    -------
    Scenario
        The checked scenario.

    Raises
    ------
    ScenarioError
        When the file is missing or broken, or the recorded parameters are not valid.
    """
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(
            "scenario file not found; pass --scenario PATH to say where it is now", file=str(path)
        )
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ScenarioError(f"cannot be read: {exc}", file=str(path)) from None
    raw = copy.deepcopy(raw)
    for table, keys in DRAW_KEYS.items():
        recorded = parameters.get(table, {})
        current = raw.setdefault(table, {})
        if keys is None:
            raw[table] = dict(recorded)
            continue
        for key in keys:
            current.pop(key, None)
            if key in recorded:
                current[key] = recorded[key]
    return scenario_from_dict(raw, path)


def build_record(draw, out: Path) -> dict[str, Any]:
    """Assemble the record of a draw (see :class:`planner.draw.compute.Draw`).

    Parameters
    ----------
    draw : planner.draw.compute.Draw
        The computed draw.
    out : pathlib.Path
        The output folder (paths are written relative to it or to the scenario).

    Returns
    -------
    dict
        The record, in its fixed key order.
    """
    scenario = draw.scenario
    base = scenario.path.parent
    q = draw.quotas
    elig = draw.eligibility
    directory, eligible, listed = elig.totals()
    original = draw.original
    return {
        "format": FORMAT,
        "program": {"name": "planner", "version": __version__},
        "plan": {
            "id": scenario.plan.id,
            "name": scenario.plan.name,
            "authority": scenario.plan.authority,
            "start": scenario.plan.start.isoformat(),
            "end": scenario.plan.end.isoformat(),
        },
        "seed": scenario.plan.seed,
        "ticket": draw.ticket_rule(),
        "scenario": {"path": relative(scenario.path, out), "sha256": draw.scenario_sha256},
        "inputs": {
            name: {"path": relative(path, base), "sha256": draw.hashes[name]}
            for name, path in draw.files.items()
        },
        "parameters": draw_parameters(scenario),
        "eligibility": {
            "directory": directory,
            "eligible": eligible,
            "excluded": dict(elig.excluded),
            "mandatory_classes": list(elig.mandatory_classes),
            "listed": listed,
            "listed_inactive": list(elig.listed_inactive),
        },
        "allocation": {
            "mode": scenario.sampling.mode,
            "classes": {
                c: {"eligible": q.eligible[c], "listed": q.listed[c],
                    "allocated": q.allocated[c], "drawn": q.drawn[c]}
                for c in q.classes
            },
            "capacity": q.capacity.to_dict(),
        },
        "strata": {s: dict(v) for s, v in q.strata.items()},
        "pool": {"file": POOL_NAME, "rows": int(draw.pool_rows()), "sha256": draw.pool_sha256},
        "drawn": [
            {"enterprise_id": e, "stratum": s, "rank": int(r), "ticket": t, "digest": d}
            for e, s, r, t, d in zip(  # lists: a Series iterates several times slower
                original["enterprise_id"].tolist(), original["stratum"].tolist(),
                original["rank"].tolist(), original["ticket"].tolist(),
                original["digest"].tolist(), strict=True)
        ],
        "replacements": [dict(r) for r in draw.replacements],
        **({"commitment": draw.commitment} if draw.commitment else {}),
    }


def dumps(record: dict[str, Any]) -> str:
    """Serialise a record deterministically (see :func:`planner.plan.folder.dump_record`).

    Parameters
    ----------
    record : dict
        The record.

    Returns
    -------
    str
        JSON text.
    """
    return folder.dump_record(record)


def write_record(record: dict[str, Any], out: Path) -> Path:
    """Write ``out/draw-record.json`` whole or not at all (through the plan folder's writer).

    Parameters
    ----------
    record : dict
        As built by :func:`build_record`.
    out : pathlib.Path
        The output folder.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    return folder.write_record(Path(out), record)


def read_record(out: Path) -> dict[str, Any]:
    """Read ``out/draw-record.json`` (see :func:`planner.plan.folder.read_record`).

    Parameters
    ----------
    out : pathlib.Path
        The output folder of a draw.

    Returns
    -------
    dict
        The record (unknown keys kept as they are).

    Raises
    ------
    InputError
        When the file is missing or is not a draw record.
    """
    return folder.read_record(Path(out))
