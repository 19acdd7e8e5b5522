"""The plan folder through the quarter: whole or not at all, one writer, returned work kept."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.app import pipeline
from planner.cli import cli
from planner.plan import folder
from planner.plan import manifest as mf
from planner.plan import transaction as tx
from tests.support.data import enterprises_frame
from tests.support.export import fill_workbooks


def run(*args) -> object:
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def plans(make_scenario, tmp_path):
    """Two scenarios of two plans over the same inputs, and an output folder."""
    first = make_scenario(enterprises=enterprises_frame(30))
    text = first.read_text(encoding="utf-8")
    second = tmp_path / "second.toml"
    second.write_text(text.replace('id = "T-2026-Q1"', 'id = "T-2026-Q2"')
                      .replace('seed = "test-seed"', 'seed = "second-seed"'), encoding="utf-8")
    return first, second, tmp_path / "out"


def snapshot(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file()}


# --- 1. whole or not at all ------------------------------------------------------------


def test_run_binds_every_file_to_the_plan_in_the_manifest(plans):
    first, _, out = plans
    result = run("run", first, "-o", out)
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / folder.MANIFEST).read_text(encoding="utf-8"))
    assert manifest["plan"] == {"id": "T-2026-Q1", "seed": "test-seed"}
    assert manifest["draw"] == mf.sha256_file(out / folder.SAMPLE)
    files = manifest["files"]
    assert set(files) == set(mf.planner_files(out))
    assert {folder.SAMPLE, folder.RECORD, folder.ASSIGNMENTS, folder.TASKS,
            folder.PLAN_WORKBOOK} <= set(files)
    assert any(folder.is_form(n) for n in files)
    for name, entry in files.items():
        assert entry["sha256"] == mf.sha256_file(out / name)
        assert entry["written_by"] == "planner run"
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".out.")]
    check = run("check", out)
    assert check.exit_code == 0, check.output
    assert check.output.startswith(f"OK: {out} holds one whole plan\n")
    for part in ("folder:", "draw: verified", "assignments: OK", "tasks:", "workbooks:"):
        assert f"\n  {part}" in check.output


def test_a_second_run_is_byte_identical_and_a_stage_keeps_other_entries(plans):
    first, _, out = plans
    assert run("run", first, "-o", out).exit_code == 0
    before = snapshot(out)
    assert run("run", first, "-o", out).exit_code == 0
    assert snapshot(out) == before
    assert run("assign", first, "-o", out).exit_code == 0
    files = json.loads((out / folder.MANIFEST).read_text(encoding="utf-8"))["files"]
    assert files[folder.ASSIGNMENTS]["written_by"] == "planner assign"
    assert files[folder.SAMPLE]["written_by"] == "planner run"


def test_a_folder_mixing_two_plans_is_refused_naming_the_files(plans, tmp_path):
    first, second, out = plans
    other = tmp_path / "other"
    assert run("run", first, "-o", out).exit_code == 0
    assert run("run", second, "-o", other).exit_code == 0
    shutil.copy(other / folder.SAMPLE, out / folder.SAMPLE)
    shutil.copy(other / folder.TASKS, out / folder.TASKS)
    for command in (["export", first, "-o", out], ["assign", first, "-o", out],
                    ["run", first, "-o", out], ["results", out, out / "teams" / "x.xlsx"]):
        result = run(*command)
        assert result.exit_code == 2, (command, result.output)
        assert f"error: {out} does not hold one whole plan; its files do not belong " \
               "together:\n" in result.output
        assert "  - sample.csv changed after planner run wrote it" in result.output
        assert "  - tasks.csv changed after planner run wrote it" in result.output
    verify = run("verify", out)
    assert verify.exit_code == 4
    assert "sample.csv changed after planner run wrote it" in verify.output
    check = run("check", out)
    assert check.exit_code == 4
    assert "  - folder: sample.csv changed after planner run wrote it" in check.output


def test_a_planner_file_the_manifest_does_not_list_is_named(plans):
    first, _, out = plans
    assert run("run", first, "-o", out).exit_code == 0
    (out / folder.RESULTS).write_text("task_id\nX\n", encoding="utf-8")
    result = run("verify", out)
    assert result.exit_code == 4
    assert "results.csv is not part of plan T-2026-Q1 (seed 'test-seed')" in result.output
    (out / folder.RESULTS).unlink()
    (out / folder.ASSIGNMENTS).unlink()
    result = run("export", first, "-o", out)
    assert result.exit_code == 2
    assert "  - assignments.csv is missing" in result.output


def test_a_failing_stage_leaves_the_folder_as_it_was(plans):
    first, _, out = plans
    assert run("run", first, "-o", out).exit_code == 0
    before = snapshot(out)
    text = first.read_text(encoding="utf-8")
    first.write_text(text + "\n[assignment]\nteam_size = 40\n", encoding="utf-8")
    result = run("run", first, "-o", out)
    assert result.exit_code != 0
    assert snapshot(out) == before
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".out.")]


# --- 2. one writer at a time -----------------------------------------------------------


def test_a_second_writer_is_refused_naming_the_first(plans):
    first, _, out = plans
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        lock = tx.lock_path(out)
        lock.write_text(json.dumps({"pid": sleeper.pid, "host": socket.gethostname(),
                                    "command": "planner run", "since": "2026-01-05 09:00:00 UTC"}),
                        encoding="utf-8")
        for command in (["run", first, "-o", out], ["verify", out], ["check", out]):
            result = run(*command)
            assert result.exit_code == 5, result.output
            assert result.output == (
                f"error: {out} is being written by planner run (process {sleeper.pid} on "
                f"{socket.gethostname()}, since 2026-01-05 09:00:00 UTC); wait for it to "
                f"finish, or stop that process (its lock: {lock})\n")
    finally:
        sleeper.kill()
        sleeper.wait()
    result = run("run", first, "-o", out)  # the holder is dead: its lock is cleared
    assert result.exit_code == 0, result.output
    assert not tx.lock_path(out).exists()


def test_a_dead_process_leaves_no_trace_after_the_next_writer(plans):
    first, _, out = plans
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stage = out.parent / f".out{tx.STAGING_MARK}{dead.pid}"
    stage.mkdir()
    (stage / "sample.csv").write_text("half", encoding="utf-8")
    tx.lock_path(out).write_text(json.dumps({"pid": dead.pid, "host": socket.gethostname()}),
                                 encoding="utf-8")
    result = run("run", first, "-o", out)
    assert result.exit_code == 0, result.output
    assert not stage.exists() and not tx.lock_path(out).exists()


def test_ctrl_c_says_what_the_folder_still_holds(plans, monkeypatch):
    first, _, out = plans
    assert run("run", first, "-o", out).exit_code == 0
    before = snapshot(out)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    draw, assign, _ = pipeline.STAGES
    monkeypatch.setattr(pipeline, "STAGES", (draw, assign, pipeline.Stage("export", interrupted)))
    result = run("run", first, "-o", out)
    assert result.exit_code == 130
    assert result.output.endswith(f"\ninterrupted: {out} still holds plan T-2026-Q1 (seed "
                                  "'test-seed'); nothing of this run was kept\n")
    assert "Aborted" not in result.output
    assert snapshot(out) == before
    assert not tx.lock_path(out).exists()
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".out.")]


def _whole(out: Path) -> str:
    """Return "" when ``out`` is absent or one whole plan, else why not."""
    if not out.exists():
        return ""
    state = mf.folder_state(out)
    if state.manifest is None:
        return "" if not mf.planner_files(out) else f"files without a manifest: {list(out.iterdir())}"
    if state.problems:
        return "; ".join(state.problems)
    if set(state.manifest["files"]) != set(mf.planner_files(out)):
        return "manifest and files differ"
    record = folder.read_record(out)
    if (record["plan"]["id"], record["seed"]) != (state.plan_id, state.seed):
        return "record of another plan"
    return ""


def test_sigkill_at_any_moment_leaves_a_whole_folder(plans):
    first, second, out = plans
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    command = [sys.executable, "-m", "planner", "run", "-o", str(out)]
    started = time.monotonic()
    done = subprocess.run([*command, str(first)], env=env, capture_output=True, text=True)
    full = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    plans_seen = set()
    for i, fraction in enumerate((0.15, 0.3, 0.45, 0.55, 0.65, 0.72, 0.8, 0.87, 0.93, 0.98)):
        scenario = second if i % 2 == 0 else first
        proc = subprocess.Popen([*command, str(scenario)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(full * fraction)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        problem = _whole(out)
        assert problem == "", f"killed after {full * fraction:.2f} s: {problem}"
        plans_seen.add(mf.folder_state(out).plan_id)
    assert plans_seen <= {"T-2026-Q1", "T-2026-Q2"}
    finish = subprocess.run([*command, str(first)], env=env, capture_output=True, text=True)
    assert finish.returncode == 0, finish.stderr  # stale lock and staging cleared
    assert _whole(out) == ""
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".out.")]


def test_two_interleaved_runs_leave_one_whole_plan(plans):
    first, second, out = plans
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    procs = [subprocess.Popen([sys.executable, "-m", "planner", "run", str(s), "-o", str(out)],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
             for s in (first, second)]
    outcomes = [(p.wait(), p.communicate()[1], p.pid) for p in procs]
    codes = sorted(code for code, _, _ in outcomes)
    assert codes in ([0, 0], [0, 5]), outcomes
    for (code, err, _), (_, _, other_pid) in zip(outcomes, outcomes[::-1], strict=True):
        if code == 5:
            assert f"is being written by planner run (process {other_pid} on" in err
    assert _whole(out) == ""


# --- 3. returned work is never lost ----------------------------------------------------


def test_another_plan_over_returned_work_is_refused_or_archived_with_force(plans):
    first, second, out = plans
    assert run("run", first, "-o", out).exit_code == 0
    book = sorted((out / "teams").glob("*.xlsx"))[0]
    fill_workbooks([book])
    filled = book.read_bytes()
    before = snapshot(out)
    result = run("run", second, "-o", out)
    assert result.exit_code == 2
    assert result.output.splitlines()[-3:] == [
        f"error: {out} holds returned work of plan T-2026-Q1 (seed 'test-seed'), not of plan "
        "T-2026-Q2 (seed 'second-seed'):",
        f"  - teams/{book.name}",
        f"use another output folder, or pass --force to move the old plan whole into "
        f"{out / 'archive'}/ first"]
    assert snapshot(out) == before
    assert run("draw", second, "-o", out).exit_code == 2
    result = run("run", second, "-o", out, "--force")
    assert result.exit_code == 0, result.output
    archives = list((out / "archive").iterdir())
    assert len(archives) == 1 and archives[0].name.startswith("T-2026-Q1-")
    assert f"moved plan T-2026-Q1 (seed 'test-seed') to {archives[0]}" in result.output
    assert (archives[0] / "teams" / book.name).read_bytes() == filled
    old = json.loads((archives[0] / folder.MANIFEST).read_text(encoding="utf-8"))
    assert old["plan"]["id"] == "T-2026-Q1"
    assert set(old["files"]) <= {p.relative_to(archives[0]).as_posix()
                                 for p in archives[0].rglob("*") if p.is_file()}
    assert mf.folder_state(out).plan_id == "T-2026-Q2"
    assert run("check", out).exit_code == 0


def test_another_plan_without_returned_work_replaces_the_old_one_whole(plans):
    first, second, out = plans
    assert run("run", first, "-o", out).exit_code == 0
    (out / "notes.txt").write_text("ours", encoding="utf-8")
    assert run("run", second, "-o", out).exit_code == 0
    assert (out / "notes.txt").read_text(encoding="utf-8") == "ours"
    state = mf.folder_state(out)
    assert state.plan_id == "T-2026-Q2" and state.problems == [] and state.returned_work == []


def test_export_keeps_filled_workbooks_and_files_it_did_not_write(plans):
    first, _, out = plans
    assert run("run", first, "-o", out).exit_code == 0
    books = sorted((out / "teams").glob("*.xlsx"))
    fill_workbooks([books[0]])
    filled = books[0].read_bytes()
    mine = out / "teams" / f"{books[1].stem} (已填).xlsx"
    shutil.copy(books[1], mine)
    stray = out / "teams" / "team-ZZZ-不是计划的.xlsx"
    stray.write_bytes(b"not a workbook of the plan")
    for command in (["export", first, "-o", out], ["run", first, "-o", out]):
        result = run(*command)
        assert result.exit_code == 0, result.output
        assert books[0].read_bytes() == filled
        assert mine.is_file() and stray.read_bytes() == b"not a workbook of the plan"
    state = mf.folder_state(out)
    assert state.filled == [f"teams/{books[0].name}"]
    assert sorted(state.foreign) == sorted([f"teams/{mine.name}", f"teams/{stray.name}"])


def test_export_that_would_replace_a_filled_workbook_is_refused_or_archives(plans):
    first, _, out = plans
    assert run("run", first, "-o", out).exit_code == 0
    book = sorted((out / "teams").glob("*.xlsx"))[0]
    fill_workbooks([book])
    filled = book.read_bytes()
    text = first.read_text(encoding="utf-8")
    first.write_text(text.replace('name = "测试抽查计划"', 'name = "测试抽查计划(修订)"'),
                     encoding="utf-8")
    result = run("export", first, "-o", out)
    assert result.exit_code == 2
    assert f"  - teams/{book.name}\n" in result.output
    assert book.read_bytes() == filled
    result = run("export", first, "-o", out, "--force")
    assert result.exit_code == 0, result.output
    archived = list((out / "archive").glob("T-2026-Q1-*/teams/" + book.name))
    assert len(archived) == 1 and archived[0].read_bytes() == filled


# --- 8. the record agrees with itself; a moved folder still checks ----------------------


def test_verify_refuses_a_record_whose_seed_was_changed(plans):
    first, _, out = plans
    assert run("draw", first, "-o", out).exit_code == 0
    (out / folder.MANIFEST).unlink()  # only the record is in question here
    path = out / folder.RECORD
    record = json.loads(path.read_text(encoding="utf-8"))
    record["seed"] = "another-seed"
    path.write_text(folder.dump_record(record), encoding="utf-8")
    result = run("verify", out)
    assert result.exit_code == 4
    assert ("draw-record.json: seed is 'another-seed' but parameters.plan.seed is "
            "'test-seed'; the record contradicts itself") in result.output
    assert "missing from the record's draw" in result.output or \
        "added in" in result.output  # the draw was recomputed with the top-level seed


def test_a_copied_project_still_verifies_and_checks(plans, tmp_path):
    first, _, out = plans
    assert run("run", first, "-o", out).exit_code == 0
    copy = tmp_path.parent / f"{tmp_path.name}-copy"
    shutil.copytree(tmp_path, copy, symlinks=True)
    moved = copy / "out"
    assert run("verify", moved).exit_code == 0
    result = run("check", moved)
    assert result.exit_code == 0, result.output
    alone = tmp_path.parent / f"{tmp_path.name}-alone"
    shutil.copytree(out, alone)
    result = run("check", alone)
    assert result.exit_code == 2
    assert result.output == (
        f"error: {alone / folder.RECORD}: scenario.path '../scenario.toml' (relative to "
        f"{alone}) is not a file here: the folder was moved away from its scenario; pass "
        "--scenario PATH\n")
    result = run("check", alone, "--scenario", first)
    assert result.exit_code == 0, result.output


def test_commands_writing_into_a_plan_folder_take_its_lock(plans):
    first, _, out = plans
    assert run("run", first, "-o", out).exit_code == 0
    before = snapshot(out)
    rates = first.parent / "rates.toml"
    rates.write_text(first.read_text(encoding="utf-8") + "\n[simulation]\nprevalence = "
                     "{ A = 0.05, B = 0.1, C = 0.2, D = 0.4 }\n", encoding="utf-8")
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        lock = tx.lock_path(out)
        lock.write_text(json.dumps({"pid": sleeper.pid, "host": socket.gethostname(),
                                    "command": "planner run", "since": "2026-01-05 09:00:00 UTC"}),
                        encoding="utf-8")
        for command in (["simulate", first, "-o", out / "simulation", "--reps", "20"],
                        ["simulate", first, "-o", out, "--quarters", "1", "--reps", "5"],
                        ["merge", out, out.parent / "other", "-o", out]):
            result = run(*command)
            assert result.exit_code == 5, (command, result.output)
            assert result.output == (
                f"error: {out} is being written by planner run (process {sleeper.pid} on "
                f"{socket.gethostname()}, since 2026-01-05 09:00:00 UTC); wait for it to "
                f"finish, or stop that process (its lock: {lock})\n")
        assert snapshot(out) == before and not (out / "simulation").exists()
        elsewhere = out.parent / "simulation"  # not in a plan folder: nothing to lock
        result = run("simulate", rates, "-o", elsewhere, "--quarters", "1", "--reps", "5")
        assert result.exit_code == 0, result.output
    finally:
        sleeper.kill()
        sleeper.wait()
    result = run("simulate", rates, "-o", out / "simulation", "--quarters", "1", "--reps", "5")
    assert result.exit_code == 0, result.output
    assert (out / "simulation" / "loop.csv").is_file() and not lock.exists()


def test_the_plan_folder_of_a_path_is_found_above_it(plans, tmp_path):
    first, _, out = plans
    assert tx.plan_folder_of(out / "simulation") is None  # no plan yet
    assert run("run", first, "-o", out).exit_code == 0
    assert tx.plan_folder_of(out / "simulation" / "deep") == out.absolute()
    assert tx.plan_folder_of(out) == out.absolute()
    assert tx.plan_folder_of(tmp_path / "elsewhere") is None
