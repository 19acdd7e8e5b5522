"""The README's scripts recompute a published draw and check a proof: the docs cannot drift."""

import csv
import hashlib
import json
import re
import subprocess
import sys

import pandas as pd
import pytest

from planner.draw.tickets import TICKET_FORMULA
from tests.support.docs import section
from tests.support.public import committed_draw, invoke


def python_block(title):
    (code,) = re.findall(r"```python\n(.*?)```", section(title), flags=re.S)
    return code


def run_script(tmp_path, title, *args, check=True):
    script = tmp_path / "script.py"
    script.write_text(python_block(title), encoding="utf-8")
    return subprocess.run([sys.executable, str(script), *map(str, args)], capture_output=True,
                          text=True, encoding="utf-8", check=check)


def published(out):
    """sample.csv's rows, the stratum under its neutral label."""
    labels = json.loads((out / "draw-record.json").read_text(encoding="utf-8"))["commitment"]["labels"]
    with open(out / "sample.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return sorted(f"{r['enterprise_id']},{labels[r['stratum']]},{r['ticket']},{r['rank']}"
                  for r in rows)


def proof_of(plan, eid):
    invoke("proof", plan.out, eid)
    return json.loads((plan.out / "proofs" / f"proof-{eid}.json").read_text(encoding="utf-8"))


def digest_of(seed, eid):
    return hashlib.sha256(f"{seed}:{eid}".encode()).hexdigest()


def test_the_readme_states_the_ticket_formula():
    assert f"ticket = {TICKET_FORMULA}" in section("The draw")


@pytest.mark.parametrize("replace", [0, 2])
def test_the_recompute_script_matches_sample_csv_from_the_public_bundle_alone(tmp_path, replace):
    plan = committed_draw(tmp_path, replace=replace)
    public = tmp_path / "public"
    invoke("publish", plan.out, "-o", public)
    alone = tmp_path / "alone"  # nothing but the bundle, copied away from the plan folder
    alone.mkdir()
    for path in public.iterdir():
        (alone / path.name).write_bytes(path.read_bytes())
    lines = sorted(run_script(tmp_path, "The draw", alone).stdout.splitlines())
    assert len(lines) == 29  # 18 + 3 + 8 (see tests/draw/test_commit.py)
    assert lines == published(plan.out)
    sample = pd.read_csv(plan.out / "sample.csv", dtype=str)
    record = json.loads((plan.out / "draw-record.json").read_text(encoding="utf-8"))
    assert len(record["replacements"]) == replace
    if replace:  # the replacements' ranks continue their strata: n + 1, n + 2
        added = {r["replaced_by"] for r in record["replacements"]}
        assert sample["enterprise_id"].isin(added).sum() == replace


def test_the_recompute_script_handles_districts_and_names_a_tampered_stratum(tmp_path):
    plan = committed_draw(tmp_path, replace=1, sampling='spread_over = "district"')
    public = tmp_path / "public"
    invoke("publish", plan.out, "-o", public)
    lines = sorted(run_script(tmp_path, "The draw", public).stdout.splitlines())
    assert lines == published(plan.out)
    assert len({line.split(",")[1] for line in lines}) == 6  # 3 classes x 2 districts
    path = public / "draw-record-public.json"
    bundle = json.loads(path.read_text(encoding="utf-8"))
    victim = bundle["drawn"][0]
    bundle["drawn"] = bundle["drawn"][1:]
    path.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    done = run_script(tmp_path, "The draw", public, check=False)
    assert done.returncode != 0
    assert f"AssertionError: {victim['stratum']}" in done.stderr


def test_the_proof_script_checks_drawn_replaced_and_spared_enterprises(tmp_path):
    plan = committed_draw(tmp_path, replace=1)
    public = tmp_path / "public"
    invoke("publish", plan.out, "-o", public)
    record = json.loads((plan.out / "draw-record.json").read_text(encoding="utf-8"))
    replaced = record["replacements"][0]
    spared = pd.read_csv(plan.out / "eligible.csv", dtype=str).iloc[-1]["enterprise_id"]
    drawn = record["drawn"][1]["enterprise_id"]
    expected = {
        replaced["enterprise_id"]: "drawn in the original draw; outcome: drawn, then replaced",
        replaced["replaced_by"]: "not drawn in the original draw; outcome: drawn as a replacement",
        spared: "not drawn in the original draw; outcome: not drawn",
        drawn: "drawn in the original draw; outcome: drawn",
    }
    for eid, ending in expected.items():
        invoke("proof", plan.out, eid)
        proof = plan.out / "proofs" / f"proof-{eid}.json"
        done = run_script(tmp_path, "Commit, draw, publish", public, proof)
        assert done.stdout.strip().endswith(ending), done.stdout
        assert done.stdout.startswith(f"{eid}: stratum S")
    # a record whose replacement passed over the next enterprise fails that enterprise's proof
    bundle_path = public / "draw-record-public.json"
    doc = json.loads(bundle_path.read_text(encoding="utf-8"))
    stratum = doc["replacements"][0]["stratum"]
    taken = {d["enterprise_id"] for d in doc["drawn"]} | {replaced["replaced_by"]}
    audit = pd.read_csv(plan.out / "eligible-audit.csv", dtype=str)
    candidates = audit[(audit["stratum"] == stratum) & ~audit["enterprise_id"].isin(taken)]
    honest = proof_of(plan, replaced["replaced_by"])
    later = next(e for e in candidates["enterprise_id"]
                 if digest_of(doc["seed"], e) > honest["digest"])
    doc["replacements"][0]["replaced_by"] = later
    bundle_path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    forged = tmp_path / "forged-proof.json"
    forged.write_text(json.dumps(dict(honest, outcome="not drawn", replacements=[])), encoding="utf-8")
    done = run_script(tmp_path, "Commit, draw, publish", public, forged, check=False)
    assert done.returncode != 0
    assert "a replacement passed this enterprise over" in done.stderr
    # a proof that claims another stratum does not lead to the committed root
    data = json.loads(proof.read_text(encoding="utf-8"))
    data["stratum"] = "S1" if data["stratum"] != "S1" else "S2"
    proof.write_text(json.dumps(data), encoding="utf-8")
    done = run_script(tmp_path, "Commit, draw, publish", public, proof, check=False)
    assert done.returncode != 0
    assert "not in the committed eligible list under this stratum" in done.stderr
