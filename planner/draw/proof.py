"""``planner proof``: why was an enterprise drawn, or why not ("why me?" / "why not me?").

:func:`make_proof` writes a small JSON file for one eligible enterprise: its neutral stratum,
its ticket and digest, its rank among the stratum's eligible enterprises, the stratum's
eligible and drawn counts, the *threshold* (the drawn enterprise of highest rank in the
original draw: an enterprise is drawn exactly when its digest is not above the threshold's),
the replacements that touched it, and its Merkle path to the committed root. With the
public bundle, anyone can check it in ``verify.html`` or with the README's script, while the
eligible list itself stays unpublished.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from planner.common.errors import InputError
from planner.common.io import write_text_atomic
from planner.draw import merkle, tickets
from planner.draw import record as rec
from planner.draw.commit import AUDIT_NAME, read_commitment
from planner.plan.transaction import output_lock

FORMAT = "planner-proof/1"


def build_proof(out: Path, enterprise_id: str) -> dict[str, Any]:
    """Return the proof of one enterprise's fate in the committed draw in ``out``.

    Parameters
    ----------
    out : pathlib.Path
        The output folder of a committed draw (``commitment.json``, ``draw-record.json``,
        ``eligible.csv`` and ``eligible-audit.csv``).
    enterprise_id : str
        The enterprise (any case; surrounding spaces ignored).

    Returns
    -------
    dict
        The proof.

    Raises
    ------
    InputError
        When the folder holds no committed draw or the enterprise was not eligible.
    """
    out = Path(out)
    record = rec.read_record(out)
    commitment = read_commitment(out)
    section = record.get("commitment")
    if commitment is None or not section:
        raise InputError("holds no committed draw; proofs need planner commit before "
                         "planner draw", file=str(out))
    eid = tickets.canonical_id(enterprise_id)
    labels = section["labels"]
    pairs = _read_pairs(out / AUDIT_NAME)
    index = {pair: i for i, pair in enumerate(pairs)}
    stratum_of = {e: s for s, e in pairs}
    if eid not in stratum_of:
        raise InputError(f"{eid} is not in the eligible list of plan "
                         f"{record['plan']['id']}: it was not eligible for this draw (inactive, "
                         "inspected recently or over its annual cap), or the id is wrong",
                         file="ENTERPRISE_ID")
    label = stratum_of[eid]
    internal = {v: k for k, v in labels.items()}[label]
    rank = _rank_in_pool(out, internal, eid)
    drawn = [d for d in record["drawn"] if d["stratum"] == internal]
    threshold = max(drawn, key=lambda d: d["rank"]) if drawn else None
    counts = next(s for s in commitment["strata"] if s["label"] == label)
    digest = tickets.digest_hex(record["seed"], eid)
    touched = [
        {"sequence": r["sequence"], "enterprise_id": r["enterprise_id"],
         "replaced_by": r["replaced_by"], "rank": r["rank"]}
        for r in record.get("replacements", []) if eid in (r["enterprise_id"], r["replaced_by"])
    ]
    in_original = any(d["enterprise_id"] == eid for d in drawn)
    outcome = _outcome(eid, in_original, touched)
    tree = merkle.levels([merkle.leaf_hash(s, e) for s, e in pairs])
    return {
        "format": FORMAT,
        "plan_id": record["plan"]["id"],
        "enterprise_id": eid,
        "seed": record["seed"],
        "stratum": label,
        "digest": digest,
        "ticket": repr(tickets.hex_to_ticket(digest)),
        "rank": rank,
        "stratum_eligible": counts["eligible"],
        "stratum_drawn": counts["drawn"],
        "threshold": None if threshold is None else {
            "enterprise_id": threshold["enterprise_id"], "rank": int(threshold["rank"]),
            "digest": threshold["digest"], "ticket": repr(float(threshold["ticket"]))},
        "outcome": outcome,
        "replacements": touched,
        "commitment_sha256": section["sha256"],
        "merkle": {"root": commitment["merkle"]["root"], "leaf": merkle.leaf_text(label, eid),
                   "index": index[(label, eid)], "path": merkle.path(tree, index[(label, eid)])},
    }


def _outcome(eid: str, in_original: bool, touched: list[dict]) -> str:
    replaced = any(r["enterprise_id"] == eid for r in touched)
    added = any(r["replaced_by"] == eid for r in touched)
    if in_original:
        return "drawn, then replaced" if replaced else "drawn"
    if added:
        return "drawn as a replacement, then replaced" if replaced else "drawn as a replacement"
    return "not drawn"


def _read_pairs(path: Path) -> list[tuple[str, str]]:
    if not path.is_file():
        raise InputError("missing; it is written by planner commit", file=str(path))
    with open(path, encoding="utf-8", newline="") as fh:
        return [(row["stratum"], row["enterprise_id"]) for row in csv.DictReader(fh)]


def _rank_in_pool(out: Path, stratum: str, eid: str) -> int:
    """Return the enterprise's position in its stratum of ``eligible.csv`` (draw order)."""
    position = 0
    with open(out / rec.POOL_NAME, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["stratum"] == stratum:
                position += 1
                if row["enterprise_id"] == eid:
                    return position
    raise InputError(f"{eid} is not in {out / rec.POOL_NAME}; run planner verify {out}",
                     file=str(out / rec.POOL_NAME))


def write_proof(out: Path, enterprise_id: str, target: Path | None = None) -> Path:
    """Write the proof of ``enterprise_id`` (default: ``OUT/proofs/proof-ID.json``).

    Parameters
    ----------
    out : pathlib.Path
        The output folder of a committed draw.
    enterprise_id : str
        The enterprise.
    target : pathlib.Path, optional
        Where to write the proof.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    FolderBusyError
        When the proof goes into a plan folder that another command is writing (the
        folder's lock is held while the proof is built and written).
    """
    with output_lock(Path(target).parent if target else out, "planner proof"):
        proof = build_proof(out, enterprise_id)
        target = Path(target) if target else \
            Path(out) / "proofs" / f"proof-{proof['enterprise_id']}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(target, json.dumps(proof, ensure_ascii=False, indent=1) + "\n")
    return target
