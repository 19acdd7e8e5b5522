"""running_on: a stage's independent pieces go to the given executor, with the same result."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from planner.common.parallel import fork_pool, running_on, worker_count


class Counting(ThreadPoolExecutor):
    def __init__(self):
        super().__init__(max_workers=2)
        self.calls = []

    def submit(self, fn, *args, **kwargs):
        self.calls.append(fn.__name__)
        return super().submit(fn, *args, **kwargs)


def square(x: int) -> int:
    return x * x


def test_pieces_go_to_the_given_executor_whatever_the_size():
    executor = Counting()
    with running_on(executor, 3):
        assert worker_count(1, threshold=10**9) == 3
        with fork_pool(3) as pool:
            assert pool is executor
            assert [pool.submit(square, i).result() for i in range(4)] == [0, 1, 4, 9]
    assert executor.calls == ["square"] * 4
    assert worker_count(1, threshold=10**9) == 1  # outside the block: the plan's own choice
    executor.shutdown()


def test_run_plan_pieces_on_an_executor_give_the_same_files(make_scenario, tmp_path):
    from planner.app.pipeline import _run
    from planner.plan.scenario import load_scenario
    from tests.support.data import enterprises_frame, inspectors_frame

    ent = enterprises_frame(80)  # two districts
    insp = inspectors_frame(12)
    insp["can_lead"] = "是"
    path = make_scenario(enterprises=ent, inspectors=insp,
                         extra='[assignment]\nteam_size = 2\npartition_by = "district"\n'
                               '[export]\nsplit_by = "district"\n')
    quiet = lambda _line: None  # noqa: E731
    _run(load_scenario(path), tmp_path / "here", None, False, None, quiet, None, None)
    executor = Counting()
    with running_on(executor, 2):
        _run(load_scenario(path), tmp_path / "there", None, False, None, quiet, None, None)
    executor.shutdown()
    assert "plan_unit" in executor.calls and "write_field_batch" in executor.calls
    here = sorted(p.relative_to(tmp_path / "here") for p in (tmp_path / "here").rglob("*")
                  if p.is_file())
    assert here == sorted(p.relative_to(tmp_path / "there")
                          for p in (tmp_path / "there").rglob("*") if p.is_file())
    for name in here:
        assert (tmp_path / "here" / name).read_bytes() == (tmp_path / "there" / name).read_bytes()


def test_digests_ahead_are_those_computed_here():
    from planner.common import randomness
    from planner.common.parallel import DigestsAhead

    units = [f"91440300MA5F{i:06d}" for i in range(2000)] + ["", "企业 ü"]
    ahead = DigestsAhead("S", "ticket")
    ahead.feed(units)
    assert ahead.result() == b"".join(randomness.digests("S", "ticket", units))
    assert ahead.result() is None  # handed over once, not kept
    stopped = DigestsAhead("S", "ticket")
    stopped.feed(units * 200)
    stopped.cancel()
    assert stopped.result() is None
    unfed = DigestsAhead("S", "ticket")
    unfed.cancel()
    assert unfed.result() is None
    broken = DigestsAhead("S", "ticket")
    broken.feed(["A", "B\nC"])  # a unit the text cannot carry: nothing is hashed
    assert broken.result() is None


def test_a_run_with_tickets_hashed_ahead_writes_the_same_plan(make_scenario, tmp_path,
                                                                monkeypatch):
    from planner.app.pipeline import _run
    from planner.plan import inputs as plan_inputs
    from planner.plan.scenario import load_scenario
    from tests.support.data import enterprises_frame

    path = make_scenario(enterprises=enterprises_frame(120))
    quiet = lambda _line: None  # noqa: E731
    _run(load_scenario(path), tmp_path / "here", None, False, None, quiet, None, None)
    started, handed = [], []
    real = plan_inputs.DigestsAhead

    def spy(*args):
        ahead = real(*args)
        result = ahead.result
        ahead.result = lambda: handed.append(result()) or handed[-1]
        started.append(ahead)
        return ahead

    monkeypatch.setattr(plan_inputs, "TICKETS_AHEAD_BYTES", 1)
    monkeypatch.setattr(plan_inputs, "DigestsAhead", spy)
    spy.possible = real.possible
    _run(load_scenario(path), tmp_path / "ahead", None, False, None, quiet, None, None)
    assert len(started) == 1 and len(handed) == 1 and handed[0] is not None  # the draw took them
    here = sorted(p.relative_to(tmp_path / "here") for p in (tmp_path / "here").rglob("*")
                  if p.is_file())
    for name in here:
        assert (tmp_path / "here" / name).read_bytes() == (tmp_path / "ahead" / name).read_bytes()


@pytest.mark.parametrize("fault", ["bad id", "bad roster"])
def test_inputs_that_fail_stop_the_hashing_process(make_scenario, monkeypatch, fault):
    from planner.common.errors import InputError
    from planner.plan import inputs as plan_inputs
    from planner.plan.scenario import load_scenario
    from tests.support.data import enterprises_frame, inspectors_frame

    ent, insp = enterprises_frame(60), inspectors_frame()
    if fault == "bad id":  # found with the directory: the ids are never sent
        ent.loc[3, "enterprise_id"] = "91440300MA5F00000!"
    else:  # found after the ids were sent
        insp.loc[2, "certificate_expiry"] = "not a date"
    started = []
    real = plan_inputs.DigestsAhead

    def spy(*args):
        started.append(real(*args))
        return started[-1]

    monkeypatch.setattr(plan_inputs, "TICKETS_AHEAD_BYTES", 1)
    monkeypatch.setattr(plan_inputs, "DigestsAhead", spy)
    spy.possible = real.possible
    scenario = load_scenario(make_scenario(enterprises=ent, inspectors=insp))
    with pytest.raises(InputError):
        plan_inputs.load_inputs(scenario, seed="S")
    assert len(started) == 1
    assert started[0]._process is None  # ended and reaped, not left waiting
    assert (started[0].count is None) == (fault == "bad id")


def test_a_small_directory_starts_no_hashing_process(make_scenario, monkeypatch):
    from planner.plan import inputs as plan_inputs
    from planner.plan.scenario import load_scenario

    class NotToStart:
        possible = staticmethod(lambda: True)

        def __init__(self, *args):
            raise AssertionError("a hashing process was started for a small directory")

    monkeypatch.setattr(plan_inputs, "DigestsAhead", NotToStart)
    inputs = plan_inputs.load_inputs(load_scenario(make_scenario()), seed="S")
    assert inputs.tickets_ahead is None
