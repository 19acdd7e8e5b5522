"""Replacements keep the teams people already hold; the export lists what changed."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from planner.cli import cli
from tests.support.data import enterprises_frame, inspectors_frame


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result


def teams(frame: pd.DataFrame) -> dict[str, tuple]:
    return {e: (g["task_id"].iloc[0], tuple(sorted(zip(g["inspector_id"], g["role"],
                                                        strict=True))))
            for e, g in frame.groupby("enterprise_id")}


@pytest.fixture
def replaced(make_scenario, tmp_path):
    """A plan, then one drawn enterprise replaced; returns what is needed to compare."""
    path = make_scenario(enterprises=enterprises_frame(60), inspectors=inspectors_frame(12),
                         extra="[assignment]\nteam_size = 2\n")
    out = tmp_path / "out"
    assert run("run", path, "-o", out).exit_code == 0
    before = pd.read_csv(out / "assignments.csv", dtype=str)
    books = {p.name: p.read_bytes() for p in (out / "teams").glob("*.xlsx")}
    gone = pd.read_csv(out / "sample.csv", dtype=str)["enterprise_id"].iloc[3]
    result = run("draw", path, "-o", out, "--replace", gone, "--reason", "已注销")
    assert result.exit_code == 0, result.output
    return path, out, before, books, gone


def test_assign_after_a_replacement_keeps_every_other_team(replaced):
    path, out, before, _, gone = replaced
    result = run("assign", path, "-o", out)
    assert result.exit_code == 0, result.output
    after = pd.read_csv(out / "assignments.csv", dtype=str)
    old, new = teams(before), teams(after)
    kept = set(old) - {gone}
    assert all(new[e] == old[e] for e in kept)  # same task id, inspectors and roles
    (added,) = set(new) - set(old)
    last = max(int(t.rsplit("-", 1)[1]) for t in before["task_id"])
    assert new[added][0].endswith(f"-{last + 1:05d}")
    assert gone not in new
    assert f"kept {len(kept)} team(s) as they were (same task ids, inspectors and roles); " \
           f"staffed 1 replacement(s): {new[added][0]}" in result.output
    check = run("check", out)
    assert check.exit_code == 4  # the export is now of the earlier draw
    assert "tasks.csv was made from an earlier draw of this plan" in check.output


def test_export_after_a_replacement_lists_the_changes_and_keeps_other_workbooks(replaced):
    path, out, before, books, gone = replaced
    assert run("assign", path, "-o", out).exit_code == 0
    result = run("export", path, "-o", out)
    assert result.exit_code == 0, result.output
    changes = pd.read_csv(out / "amendments.csv", dtype=str, keep_default_na=False)
    assert list(changes["change"]) == ["removed", "added"]
    assert changes["old"].iloc[0].startswith(gone)
    assert set(changes["reason"]) == {"已注销"}
    now = {p.name: p.read_bytes() for p in (out / "teams").glob("*.xlsx")}
    unchanged = [n for n in books if now.get(n) == books[n]]
    assert len(unchanged) >= len(books) - 2
    files = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["files"]
    # only the changed workbooks were rewritten: the others still say who first wrote them
    assert {files[f"teams/{n}"]["written_by"] for n in unchanged} == {"planner run"}
    assert f"{len(now) - len(unchanged)} field workbook(s) changed since the last export; " \
           f"{len(unchanged)} are as they were" in result.output
    check = run("check", out)
    assert check.exit_code == 0, check.output


def test_when_a_rule_forbids_a_kept_team_every_team_is_planned_again_and_said(replaced):
    path, out, before, _, gone = replaced
    task = before[before["enterprise_id"] != gone].iloc[0]
    avoid = path.parent / "avoidance.csv"
    avoid.write_text(f"inspector_id,enterprise_id\n{task['inspector_id']},"
                     f"{task['enterprise_id']}\n", encoding="utf-8")
    text = path.read_text(encoding="utf-8").replace("[inputs]\n",
                                                    '[inputs]\navoidance = "avoidance.csv"\n')
    path.write_text(text, encoding="utf-8")
    result = run("assign", path, "-o", out)
    assert result.exit_code == 0, result.output
    assert "the rules forced a wider change, so every team was planned again: task " \
           f"{task['task_id']}" in result.output
    assert "team(s) of enterprises drawn before changed" in result.output


def test_a_withdrawn_inspector_loses_only_their_own_seats(make_scenario, tmp_path):
    path = make_scenario(enterprises=enterprises_frame(40), inspectors=inspectors_frame(12),
                         extra="[assignment]\nteam_size = 2\n")
    out = tmp_path / "out"
    assert run("run", path, "-o", out).exit_code == 0
    before = pd.read_csv(out / "assignments.csv", dtype=str)
    ill = before["inspector_id"].value_counts().index[0]
    result = run("assign", path, "-o", out, "--replace-inspector", ill, "--reason", "病假")
    assert result.exit_code == 0, result.output
    after = pd.read_csv(out / "assignments.csv", dtype=str)
    assert ill not in set(after["inspector_id"])
    mine = before["inspector_id"] == ill
    pd.testing.assert_frame_equal(before[~mine], after[~mine])  # every other seat kept
    assert (before.loc[mine, ["task_id", "role"]].values
            == after.loc[mine, ["task_id", "role"]].values).all()
    assert f"Replaced inspector {ill} (病假) in {int(mine.sum())} seat(s)" in result.output
    section = json.loads((out / "draw-record.json").read_text())["assignment"]
    assert section["inspector_replacements"][0]["inspector_id"] == ill
    assert section["inspector_replacements"][0]["reason"] == "病假"
    assert run("export", path, "-o", out).exit_code == 0
    changes = pd.read_csv(out / "amendments.csv", dtype=str)
    assert len(changes) == before.loc[mine, "task_id"].nunique()
    assert set(changes["reason"]) == {f"{ill}: 病假"}
    check = run("check", out)
    assert check.exit_code == 0, check.output
    again = run("assign", path, "-o", out, "--replace-inspector", ill, "--reason", "病假")
    assert again.exit_code == 2
    assert f"error: --replace-inspector: inspector {ill} holds no seat in assignments.csv" \
        in again.output
    assert run("assign", path, "-o", out, "--replace-inspector", ill).exit_code == 2


def test_export_after_a_replacement_writes_the_amendment_list_as_a_sheet(replaced, tmp_path):
    import openpyxl

    from tests.publish.test_print import _assert_prints_on_a4_at_9_points_or_more_on_one_page_width

    path, out, _before, _books, gone = replaced
    assert run("assign", path, "-o", out).exit_code == 0
    result = run("export", path, "-o", out)
    assert result.exit_code == 0, result.output
    assert "amendments.xlsx (变更清单)" in result.output
    changes = pd.read_csv(out / "amendments.csv", dtype=str, keep_default_na=False)
    ws = openpyxl.load_workbook(out / "amendments.xlsx")["变更清单"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0] == ["抽查任务编号", "变更类型", "原内容", "新内容", "变更原因"]
    assert [r[1] for r in rows[1:]] == ["删除任务", "新增任务"]
    assert [r[0] for r in rows[1:]] == list(changes["task_id"])
    assert rows[1][2].startswith(gone) and rows[1][4] == "已注销"
    assert ws.print_title_rows  # the header repeats on every printed page
    _assert_prints_on_a4_at_9_points_or_more_on_one_page_width(ws)
    files = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["files"]
    assert files["amendments.xlsx"]["written_by"] == "planner export"
    assert run("check", out).exit_code == 0


def test_the_amendment_sheet_is_in_english_on_request(tmp_path):
    import datetime as dt

    import openpyxl

    from planner.publish.amendments import write_amendment_workbook

    changes = pd.DataFrame([["T-2", "team", "I1 + I2", "I1 + I3", "I2: ill"]],
                           columns=["task_id", "change", "old", "new", "reason"])
    target = tmp_path / "amendments.xlsx"
    write_amendment_workbook(target, changes, "en", title="P1 Plan",
                             created=dt.datetime(2025, 1, 1))
    first = target.read_bytes()
    ws = openpyxl.load_workbook(target)["Amendments"]
    assert [c.value for c in ws[1]] == ["Task ID", "Change", "Old", "New", "Reason"]
    assert [c.value for c in ws[2]] == ["T-2", "Team changed", "I1 + I2", "I1 + I3", "I2: ill"]
    write_amendment_workbook(target, changes, "en", title="P1 Plan",
                             created=dt.datetime(2025, 1, 1))
    assert target.read_bytes() == first
