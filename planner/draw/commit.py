"""``planner commit``: fix the eligible list before the seed exists (commit, then draw).

:func:`commit_stage` runs the draw's seed-free steps (eligibility, allocation, strata) and
writes into the output folder:

- ``commitment.json`` (public): the plan, how the seed will be produced (``[plan]
  seed_source``), the draw's parameters that name no risk class and the SHA-256 of all of
  them, the SHA-256 of every input file, each stratum's eligible and drawn counts under a
  neutral label (``S1``, ``S2``, ...), and the Merkle root (:mod:`planner.draw.merkle`) over
  the eligible (stratum, enterprise id) pairs;
- ``commitment-key.json`` (private, never published): which internal stratum (risk class,
  district) each neutral label stands for, and the full parameters;
- ``eligible-audit.csv`` (private, for auditors): ``enterprise_id,stratum`` of every eligible
  enterprise under the neutral labels, in the tree's canonical order - with it ``verify.html``
  recomputes the root and the whole draw.

Neutral labels are numbered in the sorted order of the internal stratum names. They hide the
class names, not the sizes: a stratum's eligible and drawn counts are public, and a ratio
such as 80 % may hint at the class it belongs to.

``planner draw`` into the same folder (:func:`check_draw`) refuses, naming each difference,
when the inputs no longer give the committed list; ``planner verify`` checks the chain.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from planner import __version__
from planner.common.errors import ScenarioError, VerificationError
from planner.common.io import sha256_file, write_text_atomic
from planner.draw import merkle, tickets
from planner.draw.compute import eligible_strata
from planner.draw.record import RECORD_NAME, draw_parameters
from planner.plan.inputs import Inputs
from planner.plan.scenario import Scenario
from planner.plan.transaction import locks_output

COMMITMENT_NAME = "commitment.json"
KEY_NAME = "commitment-key.json"
AUDIT_NAME = "eligible-audit.csv"
FORMAT = "planner-commitment/1"
KEY_FORMAT = "planner-commitment-key/1"
# Parameters that never name a risk class, published in the clear.
PUBLIC_PARAMETERS = {
    "plan": ("id", "start", "end"),
    "sampling": ("mode", "spread_over", "exclusion_days", "budget", "on_short_capacity"),
    "assignment": ("team_size", "capacity"),
}


@dataclass
class Commitment:
    """A commitment: the public document, the private key and the neutral eligible list."""

    public: dict[str, Any]
    key: dict[str, Any]
    pairs: list[tuple[str, str]]

    def text(self) -> str:
        """Return ``commitment.json`` as written (its SHA-256 is what the draw records)."""
        return json.dumps(self.public, ensure_ascii=False, indent=1) + "\n"

    def sha256(self) -> str:
        """Return the SHA-256 of :meth:`text`."""
        return hashlib.sha256(self.text().encode("utf-8")).hexdigest()


def neutral_labels(strata: list[str]) -> dict[str, str]:
    """Return internal stratum -> neutral label (``S1``, ``S2``, ... in sorted order).

    Parameters
    ----------
    strata : list of str
        Internal stratum names (``A``, ``A/东区``, ``A/included``, ...).

    Returns
    -------
    dict
        Internal name -> neutral label.
    """
    return {s: f"S{i}" for i, s in enumerate(sorted(strata), 1)}


def seed_free_parameters(scenario: Scenario) -> dict[str, dict[str, Any]]:
    """Return the draw's parameters without the seed (they are fixed before it)."""
    params = draw_parameters(scenario)
    params["plan"] = {k: v for k, v in params["plan"].items() if k != "seed"}
    return params


def canonical_json_sha256(value: Any) -> str:
    """Return the SHA-256 of ``value`` as sorted, compact UTF-8 JSON."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def build_commitment(scenario: Scenario, quotas, pool, hashes: dict[str, str],
                     files: dict[str, Path]) -> Commitment:
    """Build the commitment from the draw's seed-free steps.

    Parameters
    ----------
    scenario : Scenario
        The plan.
    quotas : planner.draw.quotas.Quotas
        Per-stratum eligible and drawn counts.
    pool : pandas.DataFrame
        Eligible enterprises with ``enterprise_id`` and ``stratum``.
    hashes, files : dict
        Input name -> SHA-256 and path.

    Returns
    -------
    Commitment
        The public document, the private key and the neutral pairs in canonical order.
    """
    labels = neutral_labels([str(s) for s in quotas.strata])
    pairs = merkle.canonical_order(list(zip(
        [labels[str(s)] for s in pool["stratum"]], pool["enterprise_id"].astype(str),
        strict=True)))
    params = seed_free_parameters(scenario)
    public_params = {t: {k: params[t][k] for k in keys if k in params[t]}
                     for t, keys in PUBLIC_PARAMETERS.items()}
    classes_public = scenario_classes_public(scenario)
    p = scenario.plan
    public = {
        "format": FORMAT,
        "program": {"name": "planner", "version": __version__},
        "plan": {"id": p.id, "name": p.name, "authority": p.authority,
                 "start": p.start.isoformat(), "end": p.end.isoformat(),
                 "task_id": p.task_id or p.id, "task_name": p.task_name or p.name},
        "seed_source": p.seed_source,
        "ticket": f"ticket = {tickets.TICKET_FORMULA}; the n lowest per stratum",
        "parameters": params if classes_public else public_params,
        "parameters_sha256": canonical_json_sha256(params),
        "inputs": {name: {"file": Path(files[name]).name, "sha256": hashes[name]}
                   for name in sorted(hashes)},
        "strata": sorted(
            ({"label": labels[s], "eligible": int(v["eligible"]), "drawn": int(v["drawn"])}
             for s, v in quotas.strata.items()),
            key=lambda row: merkle.label_number(row["label"])),
        "eligible": len(pairs),
        "merkle": {"root": merkle.root(pairs, ordered=True), "leaves": len(pairs),
                   **merkle.RULES},
        "classes": "public" if classes_public else "private",
    }
    if classes_public:
        public["stratum_names"] = {labels[s]: s for s in sorted(labels, key=labels.get)}
    key = {
        "format": KEY_FORMAT,
        "note": "private: which internal stratum each neutral label stands for; never publish",
        "strata": {labels[s]: {"stratum": s, "class": v.get("class"), "district": v.get("district")}
                   for s, v in quotas.strata.items()},
        "parameters": params,
    }
    key["strata"] = dict(sorted(key["strata"].items(), key=lambda kv: merkle.label_number(kv[0])))
    return Commitment(public, key, pairs)


def scenario_classes_public(scenario: Scenario) -> bool:
    """Return whether ``[publish] classes = "public"`` (the scheme's grades are public)."""
    section = getattr(scenario, "publish", None)
    return getattr(section, "classes", "private") == "public"


def commitment_of(scenario: Scenario, inputs: Inputs, *, progress=None) -> Commitment:
    """Compute the commitment of a scenario and its inputs (no seed needed).

    Parameters
    ----------
    scenario : Scenario
        The plan.
    inputs : Inputs
        Its validated inputs.
    progress : callable, optional
        Progress reporter.

    Returns
    -------
    Commitment
        The commitment.
    """
    _, quotas, pool, files, hashes = eligible_strata(scenario, inputs, progress=progress)
    return build_commitment(scenario, quotas, pool, hashes, files)


@locks_output("out", "planner commit", plan_folder=True)
def commit_stage(scenario: Scenario, inputs: Inputs, out: Path, *, progress=None) -> Commitment:
    """Write ``commitment.json``, ``commitment-key.json`` and ``eligible-audit.csv``.

    Parameters
    ----------
    scenario : Scenario
        The plan, with ``[plan] seed_source`` and without a seed.
    inputs : Inputs
        Its validated inputs.
    out : pathlib.Path
        The output folder (created if needed).
    progress : callable, optional
        Progress reporter.

    Returns
    -------
    Commitment
        What was written.

    Raises
    ------
    ScenarioError
        When the scenario already has a seed or says nothing of where it will come from, or
        when ``out`` already holds a draw or a different commitment.
    """
    out = Path(out)
    p = scenario.plan
    if p.seed is not None:
        raise ScenarioError(
            "is already set: the commitment must be made before the seed exists; remove "
            "[plan] seed, commit, and give the seed to planner draw once it is drawn",
            key="plan.seed", file=scenario.label)
    if not (p.seed_source or "").strip():
        raise ScenarioError(
            "required key is missing: say how the seed will be produced, e.g. seed_source = "
            "\"the numbers of 福彩3D draw 2026001 on 2026-01-05, joined by '-'\"",
            key="plan.seed_source", file=scenario.label)
    if scenario.sampling.weight_by:
        raise ScenarioError(
            "a committed draw is checked by the public from tickets alone, and a weighted "
            "order would need every weight published; remove weight_by to commit",
            key="sampling.weight_by", file=scenario.label)
    if (out / RECORD_NAME).is_file():
        raise ScenarioError(
            f"{out} already holds a draw; a commitment must come before the draw - use a new "
            "output folder", file=str(out / RECORD_NAME))
    commitment = commitment_of(scenario, inputs, progress=progress)
    if (out / COMMITMENT_NAME).is_file():
        differences = compare(read_commitment(out), commitment, read_key(out))
        if differences:
            raise VerificationError(
                f"{out / COMMITMENT_NAME} already commits to other inputs; use a new output "
                "folder (or delete it, if the seed does not exist yet)", differences)
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / AUDIT_NAME, "enterprise_id,stratum\n" + "".join(
        f"{e},{s}\n" for s, e in commitment.pairs))
    write_text_atomic(out / KEY_NAME, json.dumps(commitment.key, ensure_ascii=False, indent=1)
                      + "\n")
    write_text_atomic(out / COMMITMENT_NAME, commitment.text())
    return commitment


def commit_summary(commitment: Commitment, out: Path) -> list[str]:
    """Return the terminal summary of a commitment."""
    c = commitment.public
    lines = [f"Committed {c['eligible']:,} eligible enterprises in {len(c['strata'])} strata "
             f"(Merkle root {c['merkle']['root']})",
             f"  seed source: {c['seed_source']}"]
    for s in c["strata"]:
        lines.append(f"  {s['label']:<6} eligible {s['eligible']:>8,}  to draw {s['drawn']:>6,}")
    lines.append(f"Wrote {Path(out) / COMMITMENT_NAME} (publish it now, before the seed exists), "
                 f"{Path(out) / KEY_NAME} and {Path(out) / AUDIT_NAME} (private)")
    return lines


def read_commitment(out: Path) -> dict[str, Any] | None:
    """Read ``out/commitment.json`` (``None`` when absent).

    Parameters
    ----------
    out : pathlib.Path
        The output folder.

    Returns
    -------
    dict or None
        The commitment.

    Raises
    ------
    VerificationError
        When the file is not a readable commitment.
    """
    path = Path(out) / COMMITMENT_NAME
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise VerificationError(f"{path} is not a readable commitment: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise VerificationError(f"{path} is not a commitment (format {FORMAT} expected)")
    return data


def read_key(out: Path) -> dict[str, Any] | None:
    """Read the private ``out/commitment-key.json`` (``None`` when absent or unreadable)."""
    path = Path(out) / KEY_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def compare(committed: dict[str, Any], now: Commitment, key: dict[str, Any] | None) -> list[str]:
    """Name every difference between a committed document and the commitment the inputs give.

    Parameters
    ----------
    committed : dict
        ``commitment.json`` as read.
    now : Commitment
        The commitment recomputed from the scenario and inputs.
    key : dict or None
        The private key (to name changed parameters by key); without it only their SHA-256
        is compared.

    Returns
    -------
    list of str
        The differences (empty when the inputs still give the commitment).
    """
    c, n = committed, now.public
    out = []
    if c.get("plan", {}).get("id") != n["plan"]["id"]:
        out.append(f"plan id: committed {c.get('plan', {}).get('id')!r}, the scenario says "
                   f"{n['plan']['id']!r}")
    if c.get("seed_source") != n["seed_source"]:
        out.append(f"[plan] seed_source: committed {c.get('seed_source')!r}, the scenario now "
                   f"says {n['seed_source']!r}")
    inputs_c, inputs_n = c.get("inputs", {}), n["inputs"]
    for name in sorted(set(inputs_c) | set(inputs_n)):
        a, b = inputs_c.get(name, {}).get("sha256"), inputs_n.get(name, {}).get("sha256")
        if a is None:
            out.append(f"input {name} ({inputs_n[name]['file']}) is not in the commitment")
        elif b is None:
            out.append(f"input {name} ({inputs_c[name].get('file')}) is committed but the "
                       "scenario no longer names it")
        elif a != b:
            out.append(f"input {name} changed: {inputs_n[name]['file']} has SHA-256 {b}, the "
                       f"commitment says {a}")
    if c.get("parameters_sha256") != n["parameters_sha256"]:
        named = _parameter_differences((key or {}).get("parameters"), now.key["parameters"])
        out += named or [f"the draw's parameters changed (SHA-256 {n['parameters_sha256']}, "
                         f"committed {c.get('parameters_sha256')})"]
    strata_c = {s.get("label"): s for s in c.get("strata", [])}
    strata_n = {s["label"]: s for s in n["strata"]}
    for label in sorted(set(strata_c) | set(strata_n), key=merkle.label_number):
        a, b = strata_c.get(label), strata_n.get(label)
        if a is None or b is None:
            out.append(f"stratum {label}: " + ("not committed" if a is None else
                                               "committed but no longer present"))
        elif (a.get("eligible"), a.get("drawn")) != (b["eligible"], b["drawn"]):
            out.append(f"stratum {label}: committed eligible {a.get('eligible')}, to draw "
                       f"{a.get('drawn')}; the inputs now give eligible {b['eligible']}, to "
                       f"draw {b['drawn']}")
    root_c = c.get("merkle", {}).get("root")
    if root_c != n["merkle"]["root"]:
        out.append(f"the eligible list changed: its Merkle root is {n['merkle']['root']}, the "
                   f"commitment says {root_c}")
    return out


def _parameter_differences(committed: dict | None, now: dict) -> list[str]:
    if not isinstance(committed, dict):
        return []
    out = []
    for table in sorted(set(committed) | set(now)):
        a, b = committed.get(table, {}), now.get(table, {})
        for k in sorted(set(a) | set(b)):
            if a.get(k) != b.get(k):
                out.append(f"[{table}] {k}: committed {a.get(k)!r}, the scenario now says "
                           f"{b.get(k)!r}")
    return out


def check_draw(draw, out: Path) -> dict[str, Any] | None:
    """Check a computed draw against the commitment in ``out``, if there is one.

    Parameters
    ----------
    draw : planner.draw.compute.Draw
        The draw about to be written.
    out : pathlib.Path
        Its output folder.

    Returns
    -------
    dict or None
        The ``"commitment"`` section for the draw record (``None`` when ``out`` holds no
        commitment).

    Raises
    ------
    VerificationError
        Naming each difference when the inputs no longer give the committed list.
    """
    committed = read_commitment(out)
    if committed is None:
        return None
    now = build_commitment(draw.scenario, draw.quotas, draw.pool, draw.hashes, draw.files)
    differences = compare(committed, now, read_key(out))
    if differences:
        raise VerificationError(
            f"the inputs no longer match the commitment in {Path(out) / COMMITMENT_NAME}; "
            f"nothing was drawn ({len(differences)} difference(s))", differences)
    return {"file": COMMITMENT_NAME, "sha256": sha256_file(Path(out) / COMMITMENT_NAME),
            "merkle_root": committed["merkle"]["root"], "seed_source": committed["seed_source"],
            "labels": neutral_labels([str(s) for s in draw.quotas.strata])}


def chain_differences(draw, record: dict[str, Any], out: Path) -> list[str]:
    """Check the chain commitment -> seed -> draw for ``planner verify``.

    The commitment in ``out`` must be the one the draw record names (same SHA-256), the
    inputs must still give it, and the draw must take its seed source and counts from it.
    A folder without a commitment gives no difference here.

    Parameters
    ----------
    draw : planner.draw.compute.Draw
        The draw recomputed from the inputs.
    record : dict
        ``draw-record.json``.
    out : pathlib.Path
        The output folder.

    Returns
    -------
    list of str
        The differences.
    """
    section = record.get("commitment")
    committed = read_commitment(out)
    if committed is None and not section:
        return []
    if committed is None:
        return [f"the draw record names a commitment, but {Path(out) / COMMITMENT_NAME} is "
                "missing"]
    if not section:
        return [f"{Path(out) / COMMITMENT_NAME} exists but the draw record does not name it: "
                "the draw was made without checking the commitment"]
    out_diffs = []
    now_sha = sha256_file(Path(out) / COMMITMENT_NAME)
    if section.get("sha256") != now_sha:
        out_diffs.append(f"{Path(out) / COMMITMENT_NAME} has SHA-256 {now_sha}, the draw record "
                         f"says the draw followed the commitment {section.get('sha256')}")
    now = build_commitment(draw.scenario, draw.quotas, draw.pool, draw.hashes, draw.files)
    out_diffs += [f"commitment: {d}" for d in compare(committed, now, read_key(out))]
    if section.get("seed_source") != committed.get("seed_source"):
        out_diffs.append(f"the draw record's seed source {section.get('seed_source')!r} is not "
                         f"the committed one {committed.get('seed_source')!r}")
    labels = neutral_labels([str(s) for s in draw.quotas.strata])
    drawn = {labels.get(s): v.get("drawn") for s, v in record.get("strata", {}).items()}
    for s in committed.get("strata", []):
        if drawn.get(s.get("label")) != s.get("drawn"):
            out_diffs.append(f"stratum {s.get('label')}: the commitment says {s.get('drawn')} "
                             f"to draw, the record drew {drawn.get(s.get('label'))}")
    return out_diffs
