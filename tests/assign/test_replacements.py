"""A quarter after the plan is out: replacements on generated instances of every shape.

These instances have rosters larger than the solver's working set (so the one new enterprise
of a replacement is staffed from a few of many inspectors), expired certificates, teams of
two or three, cross-station and rotation: the shapes on which a replacement once crashed the
assignment. Each instance goes through a replaced enterprise, a withdrawn inspector, and a
second replacement after results have come back.
"""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from planner.cli import cli
from tests.support.data import enterprises_frame, inspectors_frame
from tests.support.export import fill_workbooks

INSTANCES = {
    "team of 2, large roster": dict(n_e=240, n_i=70, expired=0, extra="team_size = 2\n"),
    "team of 3, expired certificates": dict(n_e=200, n_i=90, expired=9,
                                            extra="team_size = 3\n"),
    "cross-station and rotation": dict(n_e=240, n_i=80, expired=5,
                                       extra="team_size = 2\ncross_station = true\n"
                                             "rotation = true\n"),
}


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        "".join(__import__("traceback").format_exception(result.exception))
    return result


def teams(frame: pd.DataFrame) -> dict[str, tuple]:
    return {e: (g["task_id"].iloc[0], tuple(sorted(zip(g["inspector_id"], g["role"],
                                                        strict=True))))
            for e, g in frame.groupby("enterprise_id")}


def read(out) -> pd.DataFrame:
    return pd.read_csv(out / "assignments.csv", dtype=str)


@pytest.fixture(params=list(INSTANCES), ids=list(INSTANCES))
def planned(request, make_scenario, tmp_path):
    shape = INSTANCES[request.param]
    roster = inspectors_frame(shape["n_i"])
    roster["capacity"] = 12
    roster.loc[roster.index[-shape["expired"]:] if shape["expired"] else [],
               "certificate_expiry"] = "2020-01-31"
    history = pd.DataFrame({
        "enterprise_id": enterprises_frame(shape["n_e"])["enterprise_id"].iloc[:30],
        "inspector_id": roster["inspector_id"].iloc[:30].to_numpy(),
        "date": "2025-06-01", "result": "未发现问题"})
    path = make_scenario(enterprises=enterprises_frame(shape["n_e"]), inspectors=roster,
                         history=history, extra="[assignment]\n" + shape["extra"])
    out = tmp_path / "out"
    result = run("run", path, "-o", out)
    assert result.exit_code == 0, result.output
    return path, out


def replace(path, out, k: int):
    before = read(out)
    gone = pd.read_csv(out / "sample.csv", dtype=str)["enterprise_id"].iloc[k]
    result = run("draw", path, "-o", out, "--replace", gone, "--reason", "已注销")
    assert result.exit_code == 0, result.output
    result = run("assign", path, "-o", out)
    assert result.exit_code == 0, result.output
    after = read(out)
    old, new = teams(before), teams(after)
    assert gone not in new
    assert all(new[e] == old[e] for e in set(old) - {gone})  # every other team kept
    (added,) = set(new) - set(old)
    assert "staffed 1 replacement(s)" in result.output
    return gone, added


def test_replacing_enterprises_keeps_every_other_team_and_the_plan_checks(planned):
    path, out = planned
    for k in (0, 5, 11):  # several ids, each on the plan as it then stands
        replace(path, out, k)
        assert run("export", path, "-o", out).exit_code == 0
        check = run("check", out)
        assert check.exit_code == 0, check.output
    assert run("verify", out).exit_code == 0


def test_a_withdrawn_inspector_after_a_replacement(planned):
    path, out = planned
    replace(path, out, 2)
    before = read(out)
    ill = before["inspector_id"].value_counts().index[0]
    result = run("assign", path, "-o", out, "--replace-inspector", ill, "--reason", "病假")
    assert result.exit_code == 0, result.output
    after = read(out)
    mine = before["inspector_id"] == ill
    assert ill not in set(after["inspector_id"])
    pd.testing.assert_frame_equal(before[~mine], after[~mine])
    assert run("export", path, "-o", out).exit_code == 0
    check = run("check", out)
    assert check.exit_code == 0, check.output


def test_a_second_replacement_after_results_came_back(planned, tmp_path):
    path, out = planned
    replace(path, out, 1)
    assert run("export", path, "-o", out).exit_code == 0
    tasks = pd.read_csv(out / "tasks.csv", dtype=str)
    books = sorted((out / "teams").glob("*.xlsx"))
    first, rest = books[: len(books) // 2], books[len(books) // 2:]
    returned_dir = tmp_path / "returned"  # the field teams' filled copies of the first half
    returned_dir.mkdir()
    copies = []
    for book in first:
        copies.append(returned_dir / book.name)
        copies[-1].write_bytes(book.read_bytes())
    filled = fill_workbooks(copies)
    result = run("results", out, *filled, "--today", "2026-02-20")
    assert result.exit_code == 0, result.output
    returned = pd.read_csv(out / "results.csv", dtype=str)
    done = set(returned["enterprise_id"])
    # an enterprise of a workbook not yet returned is found closed
    pending = [e for e in pd.read_csv(out / "sample.csv", dtype=str)["enterprise_id"]
               if e not in done]
    k = list(pd.read_csv(out / "sample.csv", dtype=str)["enterprise_id"]).index(pending[3])
    replace(path, out, k)
    result = run("export", path, "-o", out)
    assert result.exit_code == 0, result.output
    assert rest and len(tasks)
    result = run("results", out, *filled, "--today", "2026-02-20")
    assert result.exit_code == 0, result.output
    kept = pd.read_csv(out / "results.csv", dtype=str)
    pd.testing.assert_frame_equal(returned.reset_index(drop=True), kept.reset_index(drop=True))
    check = run("check", out)
    assert check.exit_code == 0, check.output
