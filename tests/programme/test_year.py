"""Four batches of a year, with each batch's results fed back before the next is planned."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from pathlib import Path

import pandas as pd
import pytest

from planner.draw.verify import verify_draw
from planner.plan.pipeline import load
from planner.programme import files
from planner.programme.batch import run_batch
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
    _, inputs = load(scenario)
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
    _, inputs = load(scenario)
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
