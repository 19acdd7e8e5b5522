"""Invented field returns (planner demo-data --returns) read back by planner results."""

from __future__ import annotations

import hashlib
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from planner.cli import cli

DEMO = Path(__file__).resolve().parents[2] / "scenarios" / "demo.toml"


@pytest.fixture
def demo_plan():
    def plan(tmp_path):
        out = tmp_path / "demo"
        result = invoke("run", DEMO, "-o", out)
        assert result.exit_code == 0, result.output
        return out
    return plan


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def digests(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_returns_are_filled_copies_that_results_accepts(tmp_path, demo_plan):
    out = demo_plan(tmp_path)
    before = digests(out)
    first = invoke("demo-data", "--returns", out, "-o", tmp_path / "back")
    assert first.exit_code == 0, first.output
    books = sorted((tmp_path / "back").glob("*.xlsx"))
    assert len(books) == len(list((out / "teams").glob("*.xlsx")))
    assert digests(out) == before  # the plan folder is not touched
    again = invoke("demo-data", "--returns", out, "-o", tmp_path / "again")
    assert again.exit_code == 0
    assert [b.read_bytes() for b in books] == \
        [b.read_bytes() for b in sorted((tmp_path / "again").glob("*.xlsx"))]
    ws = openpyxl.load_workbook(books[0]).worksheets[0]
    header = [c.value for c in ws[1]]
    results = {ws.cell(r, header.index("检查结果") + 1).value for r in range(2, ws.max_row + 1)}
    assert results <= {"未发现问题", "发现问题待后续处理"} and results
    read = invoke("results", out, *books, "--today", "2026-12-31")
    assert read.exit_code == 0, read.output
    assert "pending" not in read.output  # every task came back filled


def test_returns_refuse_a_folder_inside_the_plan_or_holding_files(tmp_path, demo_plan):
    out = demo_plan(tmp_path)
    inside = invoke("demo-data", "--returns", out, "-o", out / "filled")
    assert inside.exit_code == 2
    assert "the filled copies go outside the plan folder" in inside.output
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "mine.txt").write_text("not the planner's", encoding="utf-8")
    result = invoke("demo-data", "--returns", out, "-o", taken)
    assert result.exit_code == 2
    assert "already exists and is not an empty folder" in result.output
    assert (taken / "mine.txt").read_text(encoding="utf-8") == "not the planner's"
    assert not (out / "filled").exists()
