"""``planner verify``: recompute a published draw from its record and the inputs.

The record says how the draw was made (seed, parameters); the scenario file says where the
inputs are. Verification recomputes the draw with the recorded parameters, applies the
recorded replacements, and compares, naming every difference:

- each input whose SHA-256 is not the recorded one;
- each enterprise added to or missing from the record's draw and from ``sample.csv``, and
  each whose stratum, rank or ticket differs;
- each replacement that did not take the next-lowest ticket of its stratum;
- per-stratum counts, excluded counts by reason, and the published ``eligible.csv``.

Keys of the record it does not know (e.g. ``"assignment"``) are ignored.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from planner import __version__
from planner.common.errors import InputError, PlannerError, ScenarioError, VerificationError
from planner.common.io import read_table, sha256_file
from planner.draw.commit import chain_differences
from planner.draw.compute import Draw, apply_replacements, compute_draw, pool_csv, sample_frame
from planner.draw.record import draw_parameters, scenario_with_parameters
from planner.plan import folder
from planner.plan.inputs import load_inputs
from planner.plan.scenario import load_scenario


@dataclass
class Verified:
    """A draw that verified, with informational notes."""

    out: Path
    draw: Draw
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Lines for a terminal; the first starts with ``verified``."""
        d = self.draw
        n = len(d.sample())
        first = (f"verified: {self.out / folder.RECORD}: plan {d.scenario.plan.id}, seed "
                 f"{d.scenario.plan.seed!r}: {n:,} enterprises in {len(d.quotas.strata)} strata "
                 f"follow from the inputs, whose SHA-256 are as recorded")
        if d.replacements:
            first += f" ({len(d.replacements)} replacement(s) checked)"
        lines = [first]
        if d.commitment:
            lines.append(f"chain: commitment {d.commitment['sha256']} (Merkle root "
                         f"{d.commitment['merkle_root']}) -> seed {d.scenario.plan.seed!r} "
                         f"from {d.commitment['seed_source']!r} -> draw -> replacements: "
                         "the inputs still give the committed list and counts")
        return lines + [f"note: {x}" for x in self.notes]


def verify_draw(
    out: str | Path, *, scenario: str | Path | None = None, encoding: str | None = None,
    progress=None,
) -> Verified:
    """Recompute the draw in ``out`` and compare it with the record and ``sample.csv``.

    Parameters
    ----------
    out : str or pathlib.Path
        The folder holding ``draw-record.json`` and ``sample.csv``.
    scenario : str or pathlib.Path, optional
        The scenario file, when it is no longer where the record says (relative to ``out``).
    encoding : str, optional
        CSV encoding of the inputs (detected when omitted).
    progress : callable, optional
        Progress reporter.

    Returns
    -------
    Verified
        When the recomputation matches in every respect.

    Raises
    ------
    VerificationError
        Naming each difference.
    InputError
        When the record is missing or unreadable, or an input can no longer be read.
    ScenarioError
        When the scenario file cannot be found or read.
    """
    out = Path(out)
    record = folder.read_record(out)
    path = Path(scenario) if scenario else _scenario_path(record, out)
    parameters = _with_top_level_seed(record)
    sc = scenario_with_parameters(path, parameters)
    differences = repeated_differences(record, out)
    differences += _input_differences(record, sc)
    inputs = load_inputs(sc, encoding=encoding, progress=progress)
    draw = compute_draw(sc, inputs, progress=progress)
    differences += _replacement_differences(draw, record)
    differences += _count_differences(draw, record)
    recorded = pd.DataFrame(record["drawn"], columns=["enterprise_id", "stratum", "rank",
                                                      "ticket", "digest"])
    differences += _row_differences(draw.original, recorded, "the record's draw")
    differences += _sample_differences(draw, out)
    differences += _pool_differences(draw, record, out)
    differences += chain_differences(draw, record, out)
    if differences:
        raise VerificationError(
            f"the draw in {out} does not follow from its record and the inputs "
            f"({len(differences)} difference(s))", differences)
    draw.commitment = record.get("commitment")
    return Verified(out, draw, _notes(record, sc, path))


def _scenario_path(record: dict, out: Path) -> Path:
    """Return the scenario the record names, or say which file holds a path that is gone."""
    entry = record.get("scenario")
    ref = entry.get("path") if isinstance(entry, dict) else None
    if not isinstance(ref, str) or not ref:
        raise ScenarioError("names no scenario (scenario.path); pass --scenario PATH",
                            file=str(folder.path(out, folder.RECORD)))
    path = out / ref
    if not path.is_file():
        raise ScenarioError(
            f"scenario.path {ref!r} (relative to {out}) is not a file here: the folder was "
            "moved away from its scenario; pass --scenario PATH",
            file=str(folder.path(out, folder.RECORD)))
    return path


def _with_top_level_seed(record: dict) -> dict:
    """Return the recorded parameters with the top-level ``seed``, the one tickets use."""
    parameters = {k: dict(v) if isinstance(v, dict) else v
                  for k, v in record["parameters"].items()}
    plan = parameters.setdefault("plan", {})
    if isinstance(plan, dict) and isinstance(record.get("seed"), str):
        plan["seed"] = record["seed"]
    return parameters


def repeated_differences(record: dict, out: Path) -> list[str]:
    """Compare every field the record states twice, and the files it names with their digests.

    The top-level ``seed`` (what the README's recompute script and :func:`verify_draw` use)
    must equal ``parameters.plan.seed``; ``plan`` must agree with ``parameters.plan``; the
    ``pool`` and ``assignment.file`` entries must name files whose SHA-256 is as recorded;
    the assignment's scenario must be the draw's.

    Parameters
    ----------
    record : dict
        The draw record.
    out : pathlib.Path
        The folder holding it.

    Returns
    -------
    list of str
        One line per disagreement.
    """
    diffs = []
    params = record.get("parameters", {}).get("plan", {})
    if not isinstance(params, dict):
        params = {}
    where = folder.RECORD
    if record.get("seed") != params.get("seed"):
        diffs.append(f"{where}: seed is {record.get('seed')!r} but parameters.plan.seed is "
                     f"{params.get('seed')!r}; the record contradicts itself")
    plan = record.get("plan") if isinstance(record.get("plan"), dict) else {}
    for key in ("id", "start", "end"):
        if key in params and plan.get(key) != params.get(key):
            diffs.append(f"{where}: plan.{key} is {plan.get(key)!r} but parameters.plan.{key} "
                         f"is {params.get(key)!r}")
    pool = record.get("pool") if isinstance(record.get("pool"), dict) else {}
    if pool and pool.get("file") != folder.ELIGIBLE:
        diffs.append(f"{where}: pool.file is {pool.get('file')!r}, not {folder.ELIGIBLE!r}")
    section = record.get("assignment")
    if isinstance(section, dict):
        entry = section.get("file") if isinstance(section.get("file"), dict) else {}
        name = entry.get("path", folder.ASSIGNMENTS)
        target = folder.path(out, name)
        if target.is_file() and entry.get("sha256") and sha256_file(target) != entry["sha256"]:
            diffs.append(f"{target} changed after the assignment (SHA-256 "
                         f"{sha256_file(target)}, {where} assignment.file says "
                         f"{entry['sha256']})")
        own = section.get("scenario") if isinstance(section.get("scenario"), dict) else {}
        drawn = record.get("scenario") if isinstance(record.get("scenario"), dict) else {}
        if own.get("path") and drawn.get("path") and own["path"] != drawn["path"]:
            diffs.append(f"{where}: assignment.scenario.path {own['path']!r} is not the "
                         f"draw's scenario.path {drawn['path']!r}")
    return diffs


def _input_differences(record: dict, scenario) -> list[str]:
    files = {}
    for name in ("enterprises", "inspectors", "avoidance", "history", "items", "scores"):
        path = getattr(scenario.inputs, name)
        if path is not None:
            files[name] = path
    if scenario.sampling.inclusions is not None:
        files["inclusions"] = scenario.sampling.inclusions
    for department, path in scenario.assignment.department_rosters.items():
        files[f"inspectors:{department}"] = path  # planner.plan.rosters
    out = []
    recorded = record.get("inputs", {})
    for name, info in recorded.items():
        if name not in files:
            out.append(f"input {name} ({info.get('path')}) is recorded but the scenario no "
                       "longer names it")
            continue
        now = sha256_file(files[name])
        if now != info.get("sha256"):
            out.append(f"input {name} changed: {files[name]} has SHA-256 {now}, the record "
                       f"says {info.get('sha256')}")
    for name in sorted(set(files) - set(recorded)):
        out.append(f"input {name} ({files[name]}) is not in the record")
    return out


def _replacement_differences(draw: Draw, record: dict) -> list[str]:
    out = []
    for entry in record.get("replacements", []):
        try:
            (made,) = apply_replacements(draw, [(entry["enterprise_id"], entry["reason"])])
        except InputError as exc:
            out.append(f"replacement {entry.get('sequence')}: {entry.get('enterprise_id')} "
                       f"cannot be replaced: {str(exc).strip()}")
            continue
        if made["replaced_by"] != entry.get("replaced_by"):
            out.append(f"replacement {made['sequence']}: {made['enterprise_id']} should be "
                       f"replaced by {made['replaced_by'] or 'nobody (stratum exhausted)'} "
                       f"(next-lowest ticket of stratum {made['stratum']}), the record says "
                       f"{entry.get('replaced_by')}")
    return out


def _count_differences(draw: Draw, record: dict) -> list[str]:
    out = []
    recorded = record.get("strata", {})
    now = draw.quotas.strata
    for s in sorted(set(recorded) | set(now)):
        a, b = recorded.get(s), now.get(s)
        if a is None:
            out.append(f"stratum {s}: not in the record; recomputed eligible {b['eligible']}, "
                       f"drawn {b['drawn']}")
        elif b is None:
            out.append(f"stratum {s}: in the record (eligible {a.get('eligible')}, drawn "
                       f"{a.get('drawn')}) but not recomputed")
        elif (a.get("eligible"), a.get("drawn")) != (b["eligible"], b["drawn"]):
            out.append(f"stratum {s}: recorded eligible {a.get('eligible')}, drawn "
                       f"{a.get('drawn')}; recomputed eligible {b['eligible']}, drawn "
                       f"{b['drawn']}")
    excluded = record.get("eligibility", {}).get("excluded", {})
    if excluded != draw.eligibility.excluded:
        out.append(f"excluded by reason: recorded {excluded}, recomputed "
                   f"{draw.eligibility.excluded}")
    return out


def _row_differences(expected: pd.DataFrame, found: pd.DataFrame, where: str) -> list[str]:
    """Name enterprises missing from or added to ``found``, and rows whose fields differ."""
    columns = [c for c in ("stratum", "rank", "ticket") if c in found.columns]
    exp = expected[["enterprise_id", *columns]].astype(str)
    got = found[["enterprise_id", *columns]].astype(str)
    both = exp.merge(got.drop_duplicates("enterprise_id"), on="enterprise_id", how="outer",
                     suffixes=("", "_found"), indicator=True)
    out = []
    for row in both[both["_merge"] == "left_only"].itertuples(index=False):
        out.append(f"missing from {where}: {row.enterprise_id} (stratum {row.stratum}, rank "
                   f"{row.rank}) is drawn by the rule")
    for row in both[both["_merge"] == "right_only"].itertuples(index=False):
        out.append(f"added in {where}: {row.enterprise_id} (stratum {row.stratum_found}) is "
                   "not drawn by the rule")
    common = both[both["_merge"] == "both"]
    for column in columns:
        wrong = common[common[column] != common[f"{column}_found"]]
        for eid, a, b in zip(wrong["enterprise_id"], wrong[column], wrong[f"{column}_found"],
                             strict=True):
            out.append(f"{eid} in {where}: {column} is {b}, the rule gives {a}")
    duplicated = got["enterprise_id"][got["enterprise_id"].duplicated()].unique()
    out += [f"{eid} appears more than once in {where}" for eid in duplicated]
    return out


def _sample_differences(draw: Draw, out: Path) -> list[str]:
    path = out / folder.SAMPLE
    if not path.is_file():
        return [f"{path} is missing"]
    published = read_table(path, encoding="utf-8")
    missing = [c for c in ("enterprise_id", "stratum", "rank", "ticket")
               if c not in published.columns]
    if missing:
        return [f"{path} lacks the column(s) {', '.join(missing)}"]
    expected = sample_frame(draw)
    return _row_differences(expected.astype(str), published, str(path))


def _pool_differences(draw: Draw, record: dict, out: Path) -> list[str]:
    text = pool_csv(draw.pool)
    now = hashlib.sha256(text.encode("utf-8")).hexdigest()
    recorded = record.get("pool", {}).get("sha256")
    path = out / folder.ELIGIBLE
    diffs = []
    if recorded != now:
        diffs.append(f"the eligible directory the inputs give has SHA-256 {now}, the record "
                     f"says {recorded}")
    if path.is_file() and sha256_file(path) != recorded:
        diffs.append(f"{path} was changed after the draw (SHA-256 {sha256_file(path)}, the "
                     f"record says {recorded})")
    return diffs


def _notes(record: dict, scenario, path: Path) -> list[str]:
    notes = []
    version = record.get("program", {}).get("version")
    if version != __version__:
        notes.append(f"the draw was made by planner {version}; checked with {__version__}")
    recorded_sha = record.get("scenario", {}).get("sha256")
    if recorded_sha and sha256_file(path) != recorded_sha:
        notes.append(f"{path} changed since the draw; it was checked with the recorded "
                     "parameters")
        try:
            current = draw_parameters(load_scenario(path))
        except PlannerError:  # the current file is only compared for a note
            return notes
        for table, values in record["parameters"].items():
            for key in sorted(set(values) | set(current.get(table, {}))):
                a, b = values.get(key), current.get(table, {}).get(key)
                if a != b:
                    notes.append(f"[{table}] {key}: recorded {a!r}, the scenario now says {b!r}")
    return notes
