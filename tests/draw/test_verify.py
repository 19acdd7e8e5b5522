"""planner verify: recompute a published draw and name every difference."""

import json
import shutil

import pandas as pd
from click.testing import CliRunner

from planner.cli import cli
from planner.draw.verify import verify_draw
from tests.support.data import enterprises_frame


def drawn(make_scenario, tmp_path, **kwargs):
    path = make_scenario(enterprises=kwargs.pop("enterprises", enterprises_frame(60)), **kwargs)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["draw", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return path, out


def verify(*args):
    return CliRunner().invoke(cli, ["verify", *map(str, args)])


def test_an_untouched_draw_verifies(make_scenario, tmp_path):
    _, out = drawn(make_scenario, tmp_path)
    result = verify(out)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"verified: {out / 'draw-record.json'}: plan T-2026-Q1, "
                                    "seed 'test-seed': ")
    assert "follow from the inputs, whose SHA-256 are as recorded" in result.output


def test_a_changed_directory_names_the_input_and_each_enterprise(make_scenario, tmp_path):
    ent = enterprises_frame(60)
    path, out = drawn(make_scenario, tmp_path, enterprises=ent)
    sample = pd.read_csv(out / "sample.csv", dtype=str)
    # class A: 16 eligible, ceil(0.1 * 16) = 2 drawn; with one closed, still ceil(1.5) = 2
    victim = sample.loc[sample["risk_class"] == "A", "enterprise_id"].iloc[0]
    changed = ent.copy()
    changed.loc[changed["enterprise_id"] == victim, "status"] = "注销"
    (tmp_path / "enterprises.csv").write_bytes(changed.to_csv(index=False).encode("utf-8"))
    result = verify(out)
    assert result.exit_code == 4
    assert f"error: the draw in {out} does not follow from its record and the inputs" \
        in result.output
    assert "  - input enterprises changed: " in result.output
    assert "the record says " in result.output
    assert f"  - added in the record's draw: {victim} (stratum A) is not drawn by the rule" \
        in result.output
    assert f"  - added in {out / 'sample.csv'}: {victim} (stratum A) is not drawn by the rule" \
        in result.output
    eligible = pd.read_csv(out / "eligible.csv", dtype=str)
    a = eligible.loc[eligible["stratum"] == "A", "enterprise_id"].tolist()
    assert f"  - missing from {out / 'sample.csv'}: {a[2]} (stratum A, rank 2) is drawn by " \
        "the rule" in result.output
    assert "stratum A: recorded eligible 16, drawn 2; recomputed eligible 15, drawn 2" \
        in result.output
    assert "excluded by reason: recorded {}, recomputed {'inactive': 1}" in result.output


def test_an_unrelated_input_change_still_fails_and_names_it(make_scenario, tmp_path):
    _, out = drawn(make_scenario, tmp_path)
    with open(tmp_path / "inspectors.csv", "a", encoding="utf-8") as fh:
        fh.write("P999,新人,市场监管,东区,东区1所,ZF999999,2030-12-31,否,20\n")
    result = verify(out)
    assert result.exit_code == 4
    assert "input inspectors changed" in result.output
    assert "added in" not in result.output and "missing from" not in result.output


def test_a_tampered_sample_names_what_was_added_and_removed(make_scenario, tmp_path):
    _, out = drawn(make_scenario, tmp_path)
    sample = pd.read_csv(out / "sample.csv", dtype=str, keep_default_na=False)
    eligible = pd.read_csv(out / "eligible.csv", dtype=str)
    outsider = eligible.loc[~eligible["enterprise_id"].isin(sample["enterprise_id"]),
                            "enterprise_id"].iloc[0]
    removed = sample["enterprise_id"].iloc[0]
    sample.loc[0, "enterprise_id"] = outsider
    sample.to_csv(out / "sample.csv", index=False)
    result = verify(out)
    assert result.exit_code == 4
    assert f"missing from {out / 'sample.csv'}: {removed}" in result.output
    assert f"added in {out / 'sample.csv'}: {outsider}" in result.output
    assert "input" not in result.output.split("\n", 1)[1]  # no input changed


def test_a_changed_rank_or_ticket_is_named(make_scenario, tmp_path):
    _, out = drawn(make_scenario, tmp_path)
    sample = pd.read_csv(out / "sample.csv", dtype=str, keep_default_na=False)
    eid, ticket = sample.loc[0, "enterprise_id"], sample.loc[0, "ticket"]
    sample.loc[0, "ticket"] = "0.5"
    sample.to_csv(out / "sample.csv", index=False)
    result = verify(out)
    assert result.exit_code == 4
    assert f"{eid} in {out / 'sample.csv'}: ticket is 0.5, the rule gives {ticket}" \
        in result.output


def test_verify_uses_the_recorded_parameters_and_notes_scenario_changes(make_scenario, tmp_path):
    path, out = drawn(make_scenario, tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace('seed = "test-seed"',
                                                             'seed = "changed"'),
                    encoding="utf-8")
    result = verify(out)
    assert result.exit_code == 0, result.output
    assert "note: [plan] seed: recorded 'test-seed', the scenario now says 'changed'" \
        in result.output


def test_verify_ignores_keys_it_does_not_know(make_scenario, tmp_path):
    _, out = drawn(make_scenario, tmp_path)
    record = json.loads((out / "draw-record.json").read_text(encoding="utf-8"))
    record["assignment"] = {"solver": "min-cost flow", "ortools": "9.15"}
    (out / "draw-record.json").write_text(json.dumps(record, ensure_ascii=False),
                                          encoding="utf-8")
    bound = verify(out)  # the manifest notices that the record was edited by hand
    assert bound.exit_code == 4
    assert "  - draw-record.json changed after planner draw wrote it" in bound.output
    (out / "manifest.json").unlink()  # a folder from before manifests: the draw still checks
    assert verify(out).exit_code == 0


def test_a_tampered_record_draw_is_named(make_scenario, tmp_path):
    _, out = drawn(make_scenario, tmp_path)
    record = json.loads((out / "draw-record.json").read_text(encoding="utf-8"))
    first = record["drawn"].pop(0)
    (out / "draw-record.json").write_text(json.dumps(record), encoding="utf-8")
    result = verify(out)
    assert result.exit_code == 4
    assert f"missing from the record's draw: {first['enterprise_id']}" in result.output


def test_a_moved_scenario_is_found_with_the_scenario_option(make_scenario, tmp_path):
    path, out = drawn(make_scenario, tmp_path)
    moved = tmp_path / "moved.toml"
    shutil.move(path, moved)
    result = verify(out)
    assert result.exit_code == 2
    assert result.output == (
        f"error: {out / 'draw-record.json'}: scenario.path '../scenario.toml' (relative to "
        f"{out}) is not a file here: the folder was moved away from its scenario; pass "
        "--scenario PATH\n")
    result = verify(out, "--scenario", moved)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("verified")


def test_verify_without_a_record_says_what_to_do(tmp_path):
    result = verify(tmp_path)
    assert result.exit_code == 2
    assert "no draw record here; run planner draw SCENARIO -o" in result.output


def test_replacements_are_verified(make_scenario, tmp_path):
    path, out = drawn(make_scenario, tmp_path)
    sample = pd.read_csv(out / "sample.csv", dtype=str)
    gone = sample.loc[sample["risk_class"] == "C", "enterprise_id"].iloc[1]
    result = CliRunner().invoke(cli, ["draw", str(path), "-o", str(out), "--replace", gone,
                                      "--reason", "已关闭"])
    assert result.exit_code == 0, result.output
    result = verify(out)
    assert result.exit_code == 0, result.output
    assert "(1 replacement(s) checked)" in result.output
    record = json.loads((out / "draw-record.json").read_text(encoding="utf-8"))
    honest = record["replacements"][0]["replaced_by"]
    eligible = pd.read_csv(out / "eligible.csv", dtype=str)
    chosen = eligible.loc[(eligible["stratum"] == "C")
                          & ~eligible["enterprise_id"].isin(sample["enterprise_id"]),
                          "enterprise_id"].iloc[-1]
    record["replacements"][0]["replaced_by"] = chosen
    (out / "draw-record.json").write_text(json.dumps(record, ensure_ascii=False),
                                          encoding="utf-8")
    result = verify(out)
    assert result.exit_code == 4
    assert f"replacement 1: {gone} should be replaced by {honest} (next-lowest ticket of " \
        f"stratum C), the record says {chosen}" in result.output


def test_a_changed_input_blocks_replacement_and_drops_old_ones_on_redraw(make_scenario,
                                                                        tmp_path):
    ent = enterprises_frame(60)
    path, out = drawn(make_scenario, tmp_path, enterprises=ent)
    sample = pd.read_csv(out / "sample.csv", dtype=str)
    first = sample["enterprise_id"].iloc[0]
    runner = CliRunner()
    runner.invoke(cli, ["draw", str(path), "-o", str(out), "--replace", first, "--reason", "x"])
    changed = ent.copy()
    changed.loc[changed["enterprise_id"] == sample["enterprise_id"].iloc[3], "status"] = "吊销"
    (tmp_path / "enterprises.csv").write_bytes(changed.to_csv(index=False).encode("utf-8"))
    result = runner.invoke(cli, ["draw", str(path), "-o", str(out), "--replace",
                                 sample["enterprise_id"].iloc[1], "--reason", "y"])
    assert result.exit_code == 4
    assert f"no longer follows from the scenario and inputs, so it cannot be amended; run " \
        f"planner verify {out}" in result.output
    result = runner.invoke(cli, ["draw", str(path), "-o", str(out)])
    assert result.exit_code == 0
    assert "Warning: the draw changed, so 1 earlier replacement(s) were dropped." in result.output


def test_verify_draw_returns_the_recomputed_draw(make_scenario, tmp_path):
    _, out = drawn(make_scenario, tmp_path)
    report = verify_draw(out)
    sample = pd.read_csv(out / "sample.csv", dtype=str)
    assert set(report.draw.sample()["enterprise_id"]) == set(sample["enterprise_id"])


def test_a_tampered_eligible_directory_is_named(make_scenario, tmp_path):
    _, out = drawn(make_scenario, tmp_path)
    with open(out / "eligible.csv", "a", encoding="utf-8") as fh:
        fh.write("91350100M000100Y43,A\n")
    result = verify(out)
    assert result.exit_code == 4
    assert f"{out / 'eligible.csv'} was changed after the draw" in result.output


def test_weighted_draws_and_scaled_down_draws_verify(make_scenario, tmp_path):
    ent = enterprises_frame(80)
    ent["points"] = [str(i % 7) for i in range(80)]
    path = make_scenario(enterprises=ent, extra='weight_by = "points"')
    out = tmp_path / "weighted"
    assert CliRunner().invoke(cli, ["draw", str(path), "-o", str(out)]).exit_code == 0
    result = verify(out)
    assert result.exit_code == 0, result.output
    ent.loc[0, "points"] = "100"
    (tmp_path / "enterprises.csv").write_bytes(ent.to_csv(index=False).encode("utf-8"))
    assert verify(out).exit_code == 4
