"""The programme through the command line: exit codes, messages, files, verification."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from planner.cli import cli
from tests.support.data import enterprises_frame, inspectors_frame

ROOT = Path(__file__).resolve().parents[2]
FOOD = ROOT / "scenarios" / "programme" / "food-2016.toml"
CYCLE = ROOT / "scenarios" / "programme" / "coverage-a.toml"


def invoke(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_the_annual_plan_and_its_notice(tmp_path):
    out = tmp_path / "year"
    result = invoke("programme", FOOD, "-o", out)
    assert result.exit_code == 0, result.output
    assert "batch K's seed FOOD-2027:2026-12-20/batch-K" in result.output
    summary = json.loads((out / "programme.json").read_text(encoding="utf-8"))
    assert [b["seed"] for b in summary["batches"]] == [
        f"FOOD-2027:2026-12-20/batch-{k}" for k in range(1, 5)]
    assert summary["classes"]["D"]["year_target"] == 3 * summary["classes"]["D"]["enterprises"]
    wb = openpyxl.load_workbook(out / "plan-notice.xlsx")
    text = " ".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row
                    if c.value is not None)
    assert "抽查计划公告" in text and "FOOD-2027:2026-12-20/batch-3" in text
    assert "风险" not in text.replace("食品", "")  # no risk class in the public notice
    totals = [b["total"] for b in summary["batches"]]
    assert str(sum(totals)) in text.split()


def test_a_coverage_cycle_takes_half_of_class_a_this_year(tmp_path):
    result = invoke("programme", CYCLE, "-o", tmp_path / "cycle")
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "cycle" / "programme.json").read_text(encoding="utf-8"))
    a = summary["classes"]["A"]
    assert a["kind"] == "cycle" and a["value"] == "1/2"
    assert a["year_target"] == -(-a["enterprises"] // 2)
    assert sum(b["counts"]["A"] for b in summary["batches"]) == a["year_target"]
    assert [b["start"] for b in summary["batches"]] == [
        "2027-01-01", "2027-03-16", "2027-07-01", "2027-10-01"]


def test_batch_one_is_a_plan_folder_that_verifies_and_the_status_reads_it(tmp_path):
    out = tmp_path / "year"
    assert invoke("programme", FOOD, "-o", out).exit_code == 0
    result = invoke("run", FOOD, "--batch", 1, "-o", out)
    assert result.exit_code == 0, result.output
    assert "Batch 1 of FOOD-2027-DEMO" in result.output
    assert ".batch-1.new" not in result.output
    for name in ("sample.csv", "draw-record.json", "assignments.csv", "plan.xlsx",
                 "batch-scenario.toml", "candidates.csv", "schedule.csv"):
        assert (out / "batch-1" / name).is_file(), name
    result = invoke("verify", out / "batch-1")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("verified")
    result = invoke("programme", "--status", out)
    assert result.exit_code == 0, result.output
    status = json.loads((out / "status.json").read_text(encoding="utf-8"))
    assert status["batches"] == {"returned": [], "planned": [1], "next": 2}
    sample = pd.read_csv(out / "batch-1" / "sample.csv")
    assert sum(r["planned"] for r in status["classes"]) == len(sample)
    assert all(r["done"] == 0 and r["projected_owed"] == 0 for r in status["classes"])
    assert (out / "status.xlsx").is_file() and (out / "status.png").is_file()


@pytest.mark.parametrize(("args", "message"), [
    (("--batch", 5), "--batch: the programme has batches 1 to 4, not 5"),
    (("--batch", 2), "--batch: plan batch 1 first"),
])
def test_a_batch_out_of_order_is_refused(tmp_path, args, message):
    out = tmp_path / "year"
    result = invoke("run", FOOD, *args, "-o", out)
    assert result.exit_code == 2
    assert message in result.output
    assert not out.exists() or not any(out.iterdir())


def test_a_scenario_without_a_programme_is_refused(tmp_path):
    result = invoke("run", ROOT / "scenarios" / "demo.toml", "--batch", 1, "-o", tmp_path / "o")
    assert result.exit_code == 2
    assert "demo.toml: is not a programme: add a [programme] table" in result.output
    result = invoke("programme", ROOT / "scenarios" / "demo.toml", "-o", tmp_path / "o")
    assert result.exit_code == 2
    assert "is not a programme" in result.output


def test_programme_usage_errors(tmp_path):
    result = invoke("programme", FOOD)
    assert result.exit_code == 2 and "give SCENARIO and -o OUT (or --status OUT)" in result.output
    result = invoke("programme", "--status", tmp_path, "-o", tmp_path)
    assert result.exit_code == 2 and "give either -o OUT" in result.output
    result = invoke("programme", "--status", tmp_path)
    assert result.exit_code == 2
    assert "no annual plan here; write it first with planner programme" in result.output
    assert not (tmp_path / "status.json").exists()


def test_a_bad_programme_key_is_named(tmp_path):
    text = FOOD.read_text(encoding="utf-8").replace("min_gap_days = 30", "min_gap_days = -3")
    text = text.replace('"../../data/demo/', f'"{(ROOT / "data" / "demo").as_posix()}/')
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    result = invoke("programme", path, "-o", tmp_path / "o")
    assert result.exit_code == 2
    assert "programme.min_gap_days: must be >= 0" in result.output
    assert not (tmp_path / "o").exists()


CAPACITY_SCENARIO = """
[plan]
id = "CAP-2027"
name = "容量测试"
authority = "测试局"
seed = "cap"
start = 2027-01-01
end = 2027-12-31

[inputs]
enterprises = "enterprises.csv"
inspectors = "inspectors.csv"

[sampling]
mode = "frequency"
frequency = {{ A = 1, B = 1, C = 2, D = 3 }}

[programme]
batches = 4
cap_per_enterprise = {cap}

[assignment]
capacity = 30
"""


def _capacity_case(tmp_path: Path, *, expiring: int, cap: int = 4) -> Path:
    enterprises_frame(40).to_csv(tmp_path / "enterprises.csv", index=False)
    roster = inspectors_frame(6)
    roster["certificate_expiry"] = "2030-12-31"
    roster["capacity"] = 8
    roster.loc[: expiring - 1, "certificate_expiry"] = "2027-07-15"  # within batch 3
    roster.to_csv(tmp_path / "inspectors.csv", index=False)
    path = tmp_path / "cap.toml"
    path.write_text(CAPACITY_SCENARIO.format(cap=cap), encoding="utf-8")
    return path


def test_certificates_expiring_mid_year_make_the_later_batches_short(tmp_path):
    path = _capacity_case(tmp_path, expiring=3)
    result = invoke("programme", path, "-o", tmp_path / "o")
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "o" / "programme.json").read_text(encoding="utf-8"))
    caps = [b["capacity"]["inspections"] for b in summary["batches"]]
    assert caps[0] == caps[1] == 6 * 8 // 2 and caps[2] == caps[3] == 3 * 8 // 2
    short = {b["batch"]: b["total"] - b["capacity"]["inspections"]
             for b in summary["batches"] if b["total"] > b["capacity"]["inspections"]}
    assert sorted(short) == [3, 4]  # the batches after the certificates expire
    assert summary["short_batches"] == [{"batch": k, "short": v} for k, v in short.items()]
    for v in short.values():
        assert f"SHORT by {v}" in result.output


def test_a_cap_below_the_minimum_is_a_reported_conflict(tmp_path):
    path = _capacity_case(tmp_path, expiring=0, cap=2)
    result = invoke("programme", path, "-o", tmp_path / "o")
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "o" / "programme.json").read_text(encoding="utf-8"))
    d = [c for c in summary["conflicts"] if c["risk_class"] == "D"]
    assert d and all(c == {**c, "rule": "cap", "owed": 3, "possible": 2, "short": 1} for c in d)
    assert f"conflict: {d[0]['enterprise_id']} (class D) owes 3, the cap allows 2: 1 short" \
        in result.output


def test_a_short_batch_stops_with_the_roster_figures_and_writes_nothing(tmp_path):
    path = _capacity_case(tmp_path, expiring=3)
    out = tmp_path / "o"
    for k in (1, 2):
        result = invoke("run", path, "--batch", k, "-o", out)
        assert result.exit_code == 0, result.output
    result = invoke("run", path, "--batch", 3, "-o", out)
    assert result.exit_code == 3
    assert "the roster can staff 12 inspections" in result.output
    assert not (out / "batch-3").exists() and not (out / ".batch-3.new").exists()


def test_the_status_names_the_enterprises_a_cap_leaves_short(tmp_path):
    path = _capacity_case(tmp_path, expiring=0, cap=2)
    out = tmp_path / "o"
    assert invoke("programme", path, "-o", out).exit_code == 0
    assert invoke("run", path, "--batch", 1, "-o", out).exit_code == 0
    result = invoke("programme", "--status", out)
    assert result.exit_code == 0, result.output
    status = json.loads((out / "status.json").read_text(encoding="utf-8"))
    d_class = {r["enterprise_id"] for r in status["owed"] if r["risk_class"] == "D"}
    risk = {r["enterprise_id"]: r for r in status["at_risk"] if r["reason"] == "cap"}
    assert set(risk) == d_class and len(d_class) == 10
    assert all(r["short"] == 1 for r in risk.values())
    projected = {r["enterprise_id"] for r in status["at_risk"] if r["reason"] == "projection"}
    assert projected == set()  # the rest of the year is reachable; the cap is the only gap
    wb = openpyxl.load_workbook(out / "status.xlsx")
    assert wb.sheetnames == ["分类进度", "未达标风险企业", "尚欠检查企业"]
    assert wb["未达标风险企业"].max_row == 1 + len(status["at_risk"])


def test_run_without_a_batch_refuses_a_programme(tmp_path):
    result = invoke("run", FOOD, "-o", tmp_path / "o")
    assert result.exit_code == 2
    assert f"{FOOD}: plans a programme of batches: plan one with planner run {FOOD} --batch K" \
        in result.output
    assert not (tmp_path / "o").exists()


def test_the_annual_plan_and_the_status_are_byte_identical_on_a_rerun(tmp_path):
    digests = []
    for name in ("a", "b"):
        out = tmp_path / name
        assert invoke("programme", FOOD, "-o", out).exit_code == 0
        assert invoke("programme", "--status", out).exit_code == 0
        digests.append({p.name: p.read_bytes() for p in sorted(out.iterdir())})
    assert sorted(digests[0]) == ["plan-notice.xlsx", "programme.json", "status.json",
                                  "status.png", "status.xlsx"]
    assert digests[0] == digests[1]


def test_the_notice_in_english(tmp_path):
    text = FOOD.read_text(encoding="utf-8").replace(
        '"../../data/demo/', f'"{(ROOT / "data" / "demo").as_posix()}/')
    path = tmp_path / "en.toml"
    path.write_text(text + '\n[export]\nlanguage = "en"\n', encoding="utf-8")
    assert invoke("programme", path, "-o", tmp_path / "o").exit_code == 0
    ws = openpyxl.load_workbook(tmp_path / "o" / "plan-notice.xlsx").worksheets[0]
    cells = [c.value for row in ws.iter_rows() for c in row if c.value is not None]
    assert ws.title == "Plan notice"
    assert {"Plan number", "Batch seed", "Inspections planned", "Total"} <= set(cells)


def test_the_status_flags_cycle_enterprises_the_last_year_of_the_cycle_cannot_reach(tmp_path):
    demo = ROOT / "data" / "demo"
    history = pd.read_csv(demo / "history.csv", dtype=str, keep_default_na=False)
    history["部门"], history["抽查任务"] = "", ""
    enterprises = pd.read_csv(demo / "enterprises.csv", dtype=str, keep_default_na=False)
    seen = set(history["统一社会信用代码"])
    unseen = enterprises[(enterprises["风险等级"] == "A") & (enterprises["经营状态"] == "在业")
                         & ~enterprises["统一社会信用代码"].isin(seen)]
    blocked = unseen["统一社会信用代码"].iloc[0]
    # Another department's four inspections this year: the cap (4) leaves no room for ours.
    other = pd.DataFrame({"统一社会信用代码": blocked, "人员编号": "X0001",
                          "检查日期": ["2027-01-04", "2027-01-05", "2027-01-06", "2027-01-07"],
                          "检查结果": "未发现问题", "部门": "税务", "抽查任务": "税务专项"})
    pd.concat([history, other]).to_csv(tmp_path / "history.csv", index=False)
    text = CYCLE.read_text(encoding="utf-8").replace('"../../data/demo/', f'"{demo}/')
    text = text.replace(f'"{demo}/history.csv"', f'"{tmp_path / "history.csv"}"')
    for cycle_start, at_risk in ((2026, True), (2027, False)):
        scenario = tmp_path / f"cycle-{cycle_start}.toml"
        scenario.write_text(text.replace("cycle_start = 2027", f"cycle_start = {cycle_start}"),
                            encoding="utf-8")
        out = tmp_path / f"out-{cycle_start}"
        assert invoke("programme", scenario, "-o", out).exit_code == 0
        result = invoke("programme", "--status", out)
        assert result.exit_code == 0, result.output
        status = json.loads((out / "status.json").read_text(encoding="utf-8"))
        flagged = [r for r in status["at_risk"] if r["reason"] == "cycle"]
        if at_risk:  # 2027 closes the 2026-2027 cycle: the blocked enterprise misses it
            assert flagged == [{"enterprise_id": blocked, "risk_class": "A", "owed": 1,
                                "reason": "cycle", "short": 1}]
            assert f"  {blocked} (class A): cycle, 1 short" in result.output
        else:  # 2028 can still reach it
            assert flagged == []
