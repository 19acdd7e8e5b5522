"""The public bundle: what it holds, and that nothing private is in any of its files."""

import json
import zipfile

import openpyxl
import pandas as pd
from click.testing import CliRunner

from planner.cli import cli
from planner.draw.proof import build_proof
from planner.publish.bundle import WITHHELD, privacy_check
from tests.support.public import CLASSES, SEED, add_results, committed_draw, invoke

INSPECTOR_FIELDS = ("inspector_id", "name", "certificate_no", "department", "station")


def texts(public):
    """Every file of the bundle as text; an XLSX as each of its XML parts."""
    for path in sorted(public.rglob("*")):
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as z:
                for part in z.namelist():
                    yield f"{path.name}:{part}", z.read(part).decode("utf-8")
        elif path.is_file():
            yield path.name, path.read_text(encoding="utf-8")


def private_values(plan):
    values = set(CLASSES)
    for field in INSPECTOR_FIELDS:
        values |= set(plan.inspectors[field].astype(str))
    return values


def test_the_bundle_holds_no_class_no_inspector_data_and_no_failed_remark(tmp_path):
    # Remarks naming an inspector are masked when the results are read ([export] remarks =
    # "redact"); the bundle checks every free text again before it publishes it.
    plan = committed_draw(tmp_path, replace=1, publish='[export]\nremarks = "redact"')
    add_results(plan, tmp_path, remark=lambda t: "请检查员3复查" if t.endswith("2") else (
        "整改已完成" if t.endswith("3") else ""))
    public = tmp_path / "public"
    output = invoke("publish", plan.out, "-o", public)
    names = sorted(p.name for p in public.iterdir())
    assert names == ["commitment.json", "draw-record-public.json", "result-notice.xlsx",
                     "task-notice.xlsx", "verify.html"]
    assert "withheld: remark" not in output  # masked at results, so it passes here
    found = [(name, value) for name, text in texts(public) for value in private_values(plan)
             if value in text]
    assert found == []
    # the notices are there, with the checked remark published and the failed one withheld
    rows = list(openpyxl.load_workbook(public / "result-notice.xlsx").worksheets[0]
                .iter_rows(values_only=True))
    remarks = {r[8]: r[11] for r in rows[1:]}  # 统一社会信用代码 -> 备注
    tasks = pd.read_csv(plan.out / "tasks.csv", dtype=str).set_index("task_id")["enterprise_id"]
    masked = remarks[tasks["PUB-2026-Q1-00002"]]
    assert masked.startswith("请") and masked.endswith("复查") and "检查员3" not in masked
    assert remarks[tasks["PUB-2026-Q1-00003"]] == "整改已完成"
    assert len(remarks) == len(tasks)
    task_rows = list(openpyxl.load_workbook(public / "task-notice.xlsx").worksheets[0]
                     .iter_rows(values_only=True))
    sample = pd.read_csv(plan.out / "sample.csv", dtype=str)
    listed = {c for r in task_rows for c in r if c in set(sample["enterprise_id"])}
    assert listed == set(sample["enterprise_id"])


def test_the_scan_would_find_a_class_label(tmp_path):
    """The scan is not vacuous: the private folder itself names the classes and inspectors."""
    plan = committed_draw(tmp_path, replace=0)
    internal = dict(texts(plan.out))
    assert any("HIGHRISK" in t for t in internal.values())
    assert any("检查员1" in t for name, t in internal.items() if name.startswith("plan.xlsx"))


def test_the_public_record_under_neutral_labels(tmp_path):
    plan = committed_draw(tmp_path, replace=1)
    public = tmp_path / "public"
    invoke("publish", plan.out, "-o", public)
    doc = json.loads((public / "draw-record-public.json").read_text(encoding="utf-8"))
    assert doc["seed"] == SEED
    assert [s["label"] for s in doc["strata"]] == ["S1", "S2", "S3"]
    assert {d["stratum"] for d in doc["drawn"]} == {"S1", "S2", "S3"}
    assert doc["replacements"][0]["reason"] == "已注销"
    assert doc["program"]["version"]
    assert (public / "commitment.json").read_bytes() == (plan.out / "commitment.json").read_bytes()
    sample = pd.read_csv(plan.out / "sample.csv", dtype=str)
    assert sorted(d["enterprise_id"] for d in doc["sample"]) == sorted(sample["enterprise_id"])
    assert sorted((d["enterprise_id"], d["ticket"], str(d["rank"])) for d in doc["sample"]) == sorted(
        zip(sample["enterprise_id"], sample["ticket"], sample["rank"], strict=True))


def test_public_classes_are_named_when_the_scenario_says_so(tmp_path):
    plan = committed_draw(tmp_path, replace=0, publish='[publish]\nclasses = "public"')
    public = tmp_path / "public"
    invoke("publish", plan.out, "-o", public)
    doc = json.loads((public / "draw-record-public.json").read_text(encoding="utf-8"))
    assert doc["stratum_names"] == {"S1": "HIGHRISK", "S2": "LOWRISK", "S3": "MIDRISK"}
    commitment = json.loads((public / "commitment.json").read_text(encoding="utf-8"))
    assert commitment["parameters"]["sampling"]["ratios"]["HIGHRISK"] == 0.6


def test_publish_refuses_an_uncommitted_or_stale_plan(tmp_path, make_scenario):
    runner = CliRunner()
    path = make_scenario()
    out = tmp_path / "plain"
    assert runner.invoke(cli, ["run", str(path), "-o", str(out)]).exit_code == 0
    result = runner.invoke(cli, ["publish", str(out), "-o", str(tmp_path / "p")])
    assert result.exit_code == 2
    assert "holds no committed draw: run planner commit SCENARIO -o OUT before the seed" in result.output
    (tmp_path / "c").mkdir()
    plan = committed_draw(tmp_path / "c", replace=0)
    sample = pd.read_csv(plan.out / "sample.csv", dtype=str)
    invoke("draw", plan.scenario, "-o", plan.out, "--replace", sample["enterprise_id"][0],
           "--reason", "已注销")
    result = runner.invoke(cli, ["publish", str(plan.out), "-o", str(tmp_path / "p")])
    assert result.exit_code == 2
    assert "lists 1 enterprise(s) no longer drawn and lacks 1 drawn one(s)" in result.output
    assert not (tmp_path / "p").exists()
    (tmp_path / "notabundle").mkdir()
    (tmp_path / "notabundle" / "keep.txt").write_text("x")
    invoke("assign", plan.scenario, "-o", plan.out)
    invoke("export", plan.scenario, "-o", plan.out)
    result = runner.invoke(cli, ["publish", str(plan.out), "-o", str(tmp_path / "notabundle")])
    assert result.exit_code == 2
    assert "exists and is not a public bundle; choose a new folder" in result.output
    assert (tmp_path / "notabundle" / "keep.txt").exists()


def test_privacy_check():
    words = ["P001", "检查员1", "HIGHRISK"]
    assert privacy_check("", private_words=words) == []
    assert privacy_check("已整改", private_words=words) == []
    assert privacy_check("由检查员1复核", private_words=words) == ["names '检查员1'"]
    assert privacy_check("see P001.", private_words=words) == ["names 'P001'"]
    assert privacy_check("P0012 is another code", private_words=words) == []


def test_proof_of_an_enterprise_that_was_not_eligible(tmp_path):
    plan = committed_draw(tmp_path, replace=0)
    result = CliRunner().invoke(cli, ["proof", str(plan.out), "91110000000000000X"])
    assert result.exit_code == 2
    assert ("91110000000000000X is not in the eligible list of plan PUB-2026-Q1: it was not "
            "eligible for this draw") in result.output
    eid = plan.enterprises["enterprise_id"][5].lower()
    proof = build_proof(plan.out, eid)
    assert proof["enterprise_id"] == eid.upper()
    assert proof["merkle"]["leaf"] == f"{proof['stratum']}:{eid.upper()}"


def test_a_replacement_reason_that_names_an_inspector_is_withheld(tmp_path):
    plan = committed_draw(tmp_path, replace=0)
    sample = pd.read_csv(plan.out / "sample.csv", dtype=str)
    invoke("draw", plan.scenario, "-o", plan.out, "--replace", sample["enterprise_id"][0],
           "--reason", "检查员2 reports it closed")
    invoke("assign", plan.scenario, "-o", plan.out)
    invoke("export", plan.scenario, "-o", plan.out)
    output = invoke("publish", plan.out, "-o", tmp_path / "public")
    assert "withheld: replacement 1 reason (names '检查员2')" in output
    doc = json.loads((tmp_path / "public" / "draw-record-public.json").read_text(encoding="utf-8"))
    assert doc["replacements"][0]["reason"] == WITHHELD


def test_publish_bundle_as_a_library_call(tmp_path):
    from planner.publish.bundle import publish_bundle

    plan = committed_draw(tmp_path, replace=1)
    add_results(plan, tmp_path, remark=lambda t: "已责令整改" if t.endswith("1") else "")
    result = publish_bundle(plan.out, tmp_path / "public")
    assert result.files == ["commitment.json", "draw-record-public.json", "task-notice.xlsx",
                            "result-notice.xlsx", "verify.html"]
    assert result.withheld == []  # the replacement reason 已注销 and the remark pass
    assert result.summary_lines()[0].startswith(f"Published 5 files to {tmp_path / 'public'}")


def test_the_bundles_last_check_finds_personal_data_patterns_and_plan_words():
    from planner.publish.bundle import privacy_check

    assert privacy_check("", private_words=["P003"]) == []
    assert privacy_check("已责令整改", private_words=["P003", "HIGHRISK"]) == []
    assert privacy_check("联系 13812345678", private_words=[]) == ["phone number '1＊＊＊＊＊＊＊＊＊8'"]
    assert privacy_check("P003 在场", private_words=["P003"]) == ["names 'P003'"]
    assert privacy_check("属 HIGHRISK 类", private_words=["HIGHRISK"]) == ["names 'HIGHRISK'"]
