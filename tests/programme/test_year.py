"""Four batches of a year, with each batch's results fed back before the next is planned."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from pathlib import Path

import pandas as pd
import pytest

from planner.app.batch import run_batch
from planner.draw.verify import verify_draw
from planner.plan.inputs import load_plan
from planner.programme import files
from planner.publish.results import import_results
from tests.support.export import fill_workbooks

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"
GAP = 30
CAP = 4


def _scenario(folder: Path) -> Path:
    text = (ROOT / "scenarios" / "programme" / "food-2016.toml").read_text(encoding="utf-8")
    text = text.replace("\"../../data/demo/", f"\"{DEMO.as_posix()}/")
    path = folder / "year.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _return_results(folder: Path) -> None:
    """Fill every field workbook of a batch, each inspection on its earliest allowed day."""
    schedule = pd.read_csv(folder / files.SCHEDULE_CSV, dtype=str)
    when = dict(zip(schedule["enterprise_id"], schedule["not_before"], strict=True))
    tasks = pd.read_csv(folder / "tasks.csv", dtype=str)
    task_day = {t: dt.date.fromisoformat(when[e])
                for t, e in zip(tasks["task_id"], tasks["enterprise_id"], strict=True)}
    workbooks = sorted((folder / "teams").glob("*.xlsx"))
    fill_workbooks(workbooks, date=lambda task: task_day[task])
    import_results(folder, workbooks, today=dt.date(2028, 1, 31))


def _digests(out: Path) -> dict[str, str]:
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file()}


def _run_year(scenario: Path, out: Path, silent=lambda _line: None) -> dict[str, str]:
    """Plan and return four batches; the digests of every file the planner wrote.

    The field workbooks are digested as planned, before the (simulated) field fills them.
    """
    written = {}
    for k in range(1, 5):
        folder = run_batch(scenario, out, k, echo=silent)
        written.update({f"{folder.name}/{n}": d for n, d in _digests(folder).items()})
        _return_results(folder)
    written.update({n: d for n, d in _digests(out).items() if "/teams/" not in n})
    return written


@pytest.fixture(scope="module")
def year(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("year")
    scenario = _scenario(folder)
    out = folder / "out"
    return scenario, out, _run_year(scenario, out)


def _inspections(out: Path) -> pd.DataFrame:
    frames = [pd.read_csv(files.batch_dir(out, k) / files.RESULTS_CSV, dtype=str)
              .assign(batch=k) for k in range(1, 5)]
    frame = pd.concat(frames, ignore_index=True)
    frame["completed"] = pd.to_datetime(frame["completed"])
    return frame


def test_every_class_d_enterprise_gets_three_inspections_spaced_by_the_gap(year):
    scenario, out, _ = year
    _, inputs = load_plan(scenario)
    ent = inputs.enterprises
    class_d = set(ent.loc[ent["active"] & (ent["risk_class"] == "D"), "enterprise_id"])
    assert len(class_d) >= 10
    done = _inspections(out)
    for eid in class_d:
        dates = sorted(done.loc[done["enterprise_id"] == eid, "completed"])
        assert len(dates) >= 3, eid
        gaps = [(b - a).days for a, b in zip(dates, dates[1:], strict=False)]
        assert min(gaps) >= GAP, (eid, gaps)
    # Every class meets its minimum (A, B once; C twice).
    counts = done.groupby("enterprise_id").size()
    for grade, minimum in (("A", 1), ("B", 1), ("C", 2)):
        members = ent.loc[ent["active"] & (ent["risk_class"] == grade), "enterprise_id"]
        assert (members.map(counts).fillna(0) >= minimum).all(), grade


def test_no_enterprise_exceeds_its_cap_and_the_gap_holds_across_the_history(year):
    scenario, out, _ = year
    _, inputs = load_plan(scenario)
    done = _inspections(out)
    assert done.groupby("enterprise_id").size().max() <= CAP
    history = inputs.history.drop_duplicates(["enterprise_id", "date"])
    last = history.groupby("enterprise_id")["date"].max()
    first = done.groupby("enterprise_id")["completed"].min()
    common = first.index.intersection(last.index)
    assert ((first[common] - last[common]).dt.days >= GAP).all()


def test_every_batch_verifies_alone(year):
    _, out, _ = year
    for k in range(1, 5):
        verified = verify_draw(files.batch_dir(out, k))
        assert verified.lines()[0].startswith("verified")


def test_the_whole_year_is_byte_identical_on_a_rerun(year, tmp_path):
    scenario, _, written = year
    again = _run_year(scenario, tmp_path / "out")
    assert any(n.endswith("/results.csv") for n in written)
    assert again == written


def test_a_batch_with_results_is_not_planned_again(year, tmp_path):
    scenario, out, _ = year
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    from planner.common.errors import InputError

    with pytest.raises(InputError, match="the results of batch 2 are back"):
        run_batch(scenario, copy, 2, echo=lambda _l: None)


def test_the_status_after_the_year_shows_every_minimum_met(year):
    from planner.programme.annual import plan_programme
    from planner.programme.status import programme_status

    scenario, out, _ = year
    plan_programme(scenario, out)
    status = programme_status(out)
    assert status["batches"] == {"returned": [1, 2, 3, 4], "planned": [], "next": None}
    for row in status["classes"]:
        assert row["owed"] == 0 and row["projected_owed"] == 0, row
        assert row["share"] == 1.0, row
    assert status["at_risk"] == [] and status["owed"] == []


def _earliest_header_column(ws) -> int:
    headers = [c.value for c in next(ws.iter_rows(max_row=1))]
    return headers.index("最早检查日期")


def test_the_earliest_date_is_shown_in_every_workbook_of_a_batch(year):
    import openpyxl

    _, out, _ = year
    for k in range(1, 5):
        folder = files.batch_dir(out, k)
        schedule = pd.read_csv(folder / files.SCHEDULE_CSV, dtype=str)
        when = dict(zip(schedule["enterprise_id"], schedule["not_before"], strict=True))
        tasks = pd.read_csv(folder / "tasks.csv", dtype=str)
        assert list(tasks["not_before"]) == [when[e] for e in tasks["enterprise_id"]]
        by_task = dict(zip(tasks["task_id"], tasks["not_before"], strict=True))
        plan = openpyxl.load_workbook(folder / "plan.xlsx", read_only=True)["检查计划"]
        books = [plan] + [openpyxl.load_workbook(p, read_only=True)["检查计划"]
                          for p in sorted((folder / "teams").glob("*.xlsx"))]
        for ws in books:
            at = _earliest_header_column(ws)
            rows = list(ws.iter_rows(min_row=2, values_only=True))
            assert rows and all(r[at] == by_task[r[1]] for r in rows)
    later = pd.read_csv(files.batch_dir(out, 2) / "tasks.csv", dtype=str)
    assert (later["not_before"] > "2027-04-01").any()  # the gap pushes some past the start


def test_results_refuse_a_completion_date_before_the_earliest_date(tmp_path):
    import json

    import openpyxl
    from click.testing import CliRunner

    from planner.cli import cli

    scenario, out = _scenario(tmp_path), tmp_path / "out"
    first = run_batch(scenario, out, 1, echo=lambda _line: None)
    end = json.loads((first / "export.json").read_text(encoding="utf-8"))["plan"]["end"]
    books = sorted((first / "teams").glob("*.xlsx"))
    fill_workbooks(books, date=dt.date.fromisoformat(end))  # all on batch 1's last day
    import_results(first, books, today=dt.date(2028, 1, 31))
    second = run_batch(scenario, out, 2, echo=lambda _line: None)
    tasks = pd.read_csv(second / "tasks.csv", dtype=str)
    earliest = dt.date.fromisoformat(end) + dt.timedelta(days=GAP)
    late = tasks[tasks["not_before"] == earliest.isoformat()]
    assert len(late), "the gap should push some enterprises past the batch's start"
    late = late.iloc[0]
    path = second / late["workbook"]
    books = sorted((second / "teams").glob("*.xlsx"))
    fill_workbooks(books, date=lambda _task: earliest)
    wb = openpyxl.load_workbook(path)
    ws = wb["检查计划"]
    headers = [c.value for c in ws[1]]
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 2).value == late["task_id"])
    ws.cell(row, headers.index("检查完成日期") + 1).value = earliest - dt.timedelta(days=1)
    wb.save(path)
    args = ["results", str(second), *map(str, books), "--today", "2028-01-31"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert (f"{path}, sheet '检查计划', row {row}, column '检查完成日期': completion date before "
            f"the earliest date allowed for this enterprise ({earliest}, 最早检查日期: "
            f"the minimum gap since its last inspection)") in result.output
    assert result.output.count("earliest date allowed") == 1
    ws.cell(row, headers.index("检查完成日期") + 1).value = earliest  # on the day: accepted
    wb.save(path)
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
