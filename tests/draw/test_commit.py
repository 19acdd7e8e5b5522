"""Commit, then draw: the commitment fixes the eligible list before the seed exists."""

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from planner.cli import cli
from planner.common.errors import ScenarioError, VerificationError
from planner.draw import merkle
from planner.draw.commit import commit_stage
from planner.plan.inputs import load_plan
from tests.support.public import CLASSES, SEED, SEED_SOURCE, invoke, write_plan


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_commit_writes_the_public_commitment_and_the_private_key(tmp_path):
    plan = write_plan(tmp_path)
    output = invoke("commit", plan.scenario, "-o", plan.out)
    assert "Committed 90 eligible enterprises in 3 strata" in output
    c = json.loads((plan.out / "commitment.json").read_text(encoding="utf-8"))
    assert c["seed_source"] == SEED_SOURCE
    assert "seed" not in c["parameters"]["plan"]
    assert [s["label"] for s in c["strata"]] == ["S1", "S2", "S3"]
    # 90 rows cycle L L M M H H: 30 per class; ceil(0.1 * 30), ceil(0.25 * 30), ceil(0.6 * 30)
    assert [(s["eligible"], s["drawn"]) for s in c["strata"]] == [(30, 18), (30, 3), (30, 8)]
    text = (plan.out / "commitment.json").read_text(encoding="utf-8")
    assert not any(label in text for label in CLASSES)
    key = json.loads((plan.out / "commitment-key.json").read_text(encoding="utf-8"))
    assert {v["class"] for v in key["strata"].values()} == set(CLASSES)
    assert key["strata"]["S1"]["class"] == "HIGHRISK"  # labels follow the sorted stratum names
    # the root is the Merkle root of the audit list under the neutral labels
    audit = pd.read_csv(plan.out / "eligible-audit.csv", dtype=str)
    ent = plan.enterprises.set_index("enterprise_id")["risk_grade"]
    labels = {v["stratum"]: k for k, v in key["strata"].items()}
    assert sorted(zip(audit["stratum"], audit["enterprise_id"], strict=True)) == sorted(
        (labels[ent[e]], e) for e in ent.index)
    assert c["merkle"]["root"] == merkle.root(list(zip(audit["stratum"], audit["enterprise_id"],
                                                       strict=True)))
    assert c["inputs"]["enterprises"]["sha256"]


def test_commit_refuses_a_scenario_with_a_seed_or_without_a_seed_source(tmp_path):
    plan = write_plan(tmp_path, seed_line='seed = "already"')
    result = run("commit", plan.scenario, "-o", plan.out)
    assert result.exit_code == 2
    assert "plan.seed: is already set: the commitment must be made before the seed exists" in result.output
    text = plan.scenario.read_text(encoding="utf-8").replace('seed = "already"', "")
    plan.scenario.write_text(text.replace(f'seed_source = "{SEED_SOURCE}"', ""), encoding="utf-8")
    result = run("commit", plan.scenario, "-o", plan.out)
    assert result.exit_code == 2
    assert "plan.seed_source: required key is missing: say how the seed will be produced" in result.output
    assert not plan.out.exists()


def test_draw_needs_the_seed_and_takes_it_from_the_option(tmp_path):
    plan = write_plan(tmp_path)
    invoke("commit", plan.scenario, "-o", plan.out)
    result = run("draw", plan.scenario, "-o", plan.out)
    assert result.exit_code == 2
    assert ("plan.seed: required key is missing: the draw needs the seed; set [plan] seed, or "
            "pass --seed to planner draw or planner run") in result.output
    assert not (plan.out / "sample.csv").exists()
    invoke("draw", plan.scenario, "-o", plan.out, "--seed", SEED)
    record = json.loads((plan.out / "draw-record.json").read_text(encoding="utf-8"))
    assert record["seed"] == SEED
    assert record["commitment"]["seed_source"] == SEED_SOURCE
    assert record["commitment"]["labels"] == {"HIGHRISK": "S1", "LOWRISK": "S2", "MIDRISK": "S3"}
    output = invoke("verify", plan.out)
    assert output.startswith("verified:")
    assert "chain: commitment " in output and "-> seed '07-19-23-28-31+05'" in output
    # the seed written into the scenario later gives the same draw
    text = plan.scenario.read_text(encoding="utf-8")
    plan.scenario.write_text(text.replace("[inputs]", f'seed = "{SEED}"\n[inputs]'), encoding="utf-8")
    before = (plan.out / "sample.csv").read_bytes()
    invoke("draw", plan.scenario, "-o", plan.out)
    assert (plan.out / "sample.csv").read_bytes() == before
    result = run("draw", plan.scenario, "-o", plan.out, "--seed", "other")
    assert result.exit_code == 2
    assert "the scenario says seed '07-19-23-28-31+05' but --seed gives 'other'" in result.output


def test_draw_refuses_changed_inputs_naming_each_difference(tmp_path):
    plan = write_plan(tmp_path)
    invoke("commit", plan.scenario, "-o", plan.out)
    ent = plan.enterprises.copy()
    ent.loc[0, "status"] = "注销"  # one enterprise fewer in its stratum
    ent.to_csv(tmp_path / "enterprises.csv", index=False)
    text = plan.scenario.read_text(encoding="utf-8")
    plan.scenario.write_text(text.replace("MIDRISK = 0.25", "MIDRISK = 0.3"), encoding="utf-8")
    result = run("draw", plan.scenario, "-o", plan.out, "--seed", SEED)
    assert result.exit_code == 4
    out = result.output
    assert f"the inputs no longer match the commitment in {plan.out / 'commitment.json'}" in out
    assert "input enterprises changed: enterprises.csv has SHA-256" in out
    assert "[sampling] ratios: committed {'LOWRISK': 0.1, 'MIDRISK': 0.25" in out
    assert "stratum S2: committed eligible 30, to draw 3; the inputs now give eligible 29" in out
    assert "the eligible list changed: its Merkle root is" in out
    assert not (plan.out / "sample.csv").exists()


def test_verify_names_a_commitment_changed_after_the_draw(tmp_path):
    plan = write_plan(tmp_path)
    invoke("commit", plan.scenario, "-o", plan.out)
    invoke("draw", plan.scenario, "-o", plan.out, "--seed", SEED)
    path = plan.out / "commitment.json"
    c = json.loads(path.read_text(encoding="utf-8"))
    c["seed_source"] = "a ceremony held after the draw"
    path.write_text(json.dumps(c, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    result = run("verify", plan.out)
    assert result.exit_code == 4
    assert "commitment.json has SHA-256" in result.output
    assert ("commitment: [plan] seed_source: committed 'a ceremony held after the draw', the "
            f"scenario now says {SEED_SOURCE!r}") in result.output


def test_commit_comes_before_the_draw(tmp_path):
    plan = write_plan(tmp_path)
    invoke("commit", plan.scenario, "-o", plan.out)
    invoke("commit", plan.scenario, "-o", plan.out)  # the same commitment again is harmless
    invoke("draw", plan.scenario, "-o", plan.out, "--seed", SEED)
    result = run("commit", plan.scenario, "-o", plan.out)
    assert result.exit_code == 2
    assert "already holds a draw; a commitment must come before the draw" in result.output


def test_library_commit_refuses_a_different_commitment_in_the_folder(tmp_path):
    plan = write_plan(tmp_path)
    scenario, inputs = load_plan(plan.scenario)
    commit_stage(scenario, inputs, plan.out)
    ent = plan.enterprises.iloc[1:]
    ent.to_csv(tmp_path / "enterprises.csv", index=False)
    scenario, inputs = load_plan(plan.scenario)
    with pytest.raises(VerificationError, match="already commits to other inputs"):
        commit_stage(scenario, inputs, plan.out)


def test_weighted_draws_cannot_be_committed(tmp_path):
    plan = write_plan(tmp_path, sampling='weight_by = "capacity"')
    scenario, inputs = load_plan(plan.scenario)
    with pytest.raises(ScenarioError, match="remove weight_by to commit"):
        commit_stage(scenario, inputs, plan.out)


def test_run_and_simulate_without_a_seed_say_what_is_missing(tmp_path):
    plan = write_plan(tmp_path)
    result = run("run", plan.scenario, "-o", plan.out)
    assert result.exit_code == 2
    assert "plan.seed: required key is missing: the draw needs the seed" in result.output
    assert not (plan.out / "sample.csv").exists()
    invoke("commit", plan.scenario, "-o", plan.out)
    invoke("draw", plan.scenario, "-o", plan.out, "--seed", SEED)
    before = (plan.out / "sample.csv").read_bytes()
    assert "Export:" in invoke("run", plan.scenario, "-o", plan.out)  # the seed of the draw
    assert (plan.out / "sample.csv").read_bytes() == before
    result = run("simulate", plan.scenario, "-o", tmp_path / "sim")
    assert result.exit_code == 2
    assert "plan.seed: required key is missing: the simulation's replications come from" in result.output


def test_run_takes_the_seed_after_the_commitment_and_the_plan_publishes(tmp_path):
    plan = write_plan(tmp_path)
    invoke("commit", plan.scenario, "-o", plan.out)
    assert "Export:" in invoke("run", plan.scenario, "-o", plan.out, "--seed", SEED)
    record = json.loads((plan.out / "draw-record.json").read_text(encoding="utf-8"))
    assert record["seed"] == SEED
    assert record["commitment"]["seed_source"] == SEED_SOURCE
    assert invoke("verify", plan.out).startswith("verified:")
    assert "verify.html" in invoke("publish", plan.out, "-o", tmp_path / "public")
    # a second draw of the commitment with another seed is refused, naming both, by draw and
    # run alike, and even with --force
    before = {p.name: p.read_bytes() for p in plan.out.iterdir() if p.is_file()}
    for command in (["draw"], ["run"], ["run", "--force"]):
        result = run(*command, plan.scenario, "-o", plan.out, "--seed", "other")
        assert result.exit_code == 4, result.output
        assert (f"holds the draw of its commitment (commitment.json) with seed {SEED!r}; a "
                "committed plan is drawn once, with the seed its source gave, so seed 'other' "
                "is refused") in result.output
    assert {p.name: p.read_bytes() for p in plan.out.iterdir() if p.is_file()} == before
    ent = plan.enterprises.copy()
    ent.loc[0, "status"] = "注销"  # the inputs no longer give the committed eligible list
    ent.to_csv(tmp_path / "enterprises.csv", index=False)
    fresh = tmp_path / "fresh"
    invoke("commit", plan.scenario, "-o", fresh)
    plan.enterprises.to_csv(tmp_path / "enterprises.csv", index=False)
    result = run("run", plan.scenario, "-o", fresh, "--seed", SEED)
    assert result.exit_code == 4
    assert "the inputs no longer match the commitment" in result.output
    assert not (fresh / "sample.csv").exists()


def test_publishing_twice_gives_the_same_bytes(tmp_path):
    from tests.support.public import committed_draw

    plan = committed_draw(tmp_path, replace=1)
    invoke("publish", plan.out, "-o", tmp_path / "p1")
    invoke("publish", plan.out, "-o", tmp_path / "p2")
    invoke("publish", plan.out, "-o", tmp_path / "p2")  # an existing bundle is replaced whole
    first = {p.name: p.read_bytes() for p in (tmp_path / "p1").iterdir()}
    assert first == {p.name: p.read_bytes() for p in (tmp_path / "p2").iterdir()}
    assert len(first) == 4
