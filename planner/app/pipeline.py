"""``planner run``: validate, then each stage of the plan in order.

Each stage is a plain function ``stage(scenario, inputs, out, *, progress=None)`` that writes
its files into ``out`` and returns an object with ``summary_lines() -> list[str]``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from planner.app.assign import assign_stage
from planner.app.draw import draw_stage
from planner.common.errors import ScenarioError
from planner.common.parallel import running_on
from planner.common.parquet import is_parquet
from planner.draw.distributed import dask_client, dask_draw_stage
from planner.plan import folder
from planner.plan.inputs import Inputs, load_inputs
from planner.plan.manifest import FolderError
from planner.plan.scenario import Scenario, load_scenario
from planner.plan.seeds import seed_from_record, with_seed
from planner.plan.summary import format_summary, summarise
from planner.plan.transaction import refuse_if_busy, writing
from planner.publish.export import export_stage
from planner.publish.results import import_results


@dataclass(frozen=True)
class Stage:
    """One stage of ``planner run``: its name, its function, whether it takes ``force``."""

    name: str
    run: Callable
    takes_force: bool = False


# In the order `planner run` performs them.
STAGES: tuple[Stage, ...] = (
    Stage("draw", draw_stage),
    Stage("assign", assign_stage),
    Stage("export", export_stage, takes_force=True),
)


def run_plan(
    scenario_path: str | Path,
    out: str | Path,
    *,
    encoding: str | None = None,
    force: bool = False,
    progress=None,
    echo: Callable[[str], None] = print,
    warn: Callable[[list], None] | None = None,
    engine: str = "single",
    scheduler: str | None = None,
    seed: str | None = None,
) -> None:
    """Validate the inputs and run every stage of the plan into ``out``, whole or not at all.

    Parameters
    ----------
    scenario_path : str or pathlib.Path
        The scenario TOML file.
    out : str or pathlib.Path
        Output folder (created if needed).
    encoding : str, optional
        CSV encoding for every input.
    force : bool
        When ``out`` holds returned work of another plan, move that plan into
        ``out/archive/`` instead of refusing.
    progress : callable, optional
        Progress reporter.
    echo : callable
        Where summary lines go.
    warn : callable, optional
        Called with the list of input warnings (problems that do not stop the run).
    engine : str
        ``"single"`` (this process, with forked workers for large stages) or ``"dask"``:
        the draw on Dask when the directory is Parquet (:mod:`planner.draw.distributed`),
        and the assignment's planning units and the export's workbooks as Dask tasks. The
        files are the same either way.
    scheduler : str, optional
        With ``engine="dask"``: the scheduler's address; a local cluster when omitted.
    seed : str, optional
        The public seed when the scenario names none (``--seed``, after ``planner commit``).
    """
    refuse_if_busy(Path(out))  # at once, before reading the inputs
    scenario = with_seed(load_scenario(scenario_path), seed)
    refuse_whole_year(scenario, scenario_path)
    if engine == "dask":
        with dask_client(scheduler) as client:
            client.wait_for_workers(1, timeout=60)
            workers = sum(client.nthreads().values())
            with running_on(client.get_executor(), workers):
                _run(scenario, out, encoding, force, progress, echo, warn, client)
        return
    _run(scenario, out, encoding, force, progress, echo, warn, None)


def _run(scenario, out, encoding, force, progress, echo, warn, client) -> None:
    # With the seed known, the directory's tickets are hashed ahead while the inputs are checked.
    inputs = load_inputs(scenario, encoding=encoding, progress=progress,
                         seed=scenario.plan.seed or None)
    scenario = seed_from_record(scenario, Path(out))  # after planner draw --seed
    if warn is not None:
        warn(inputs.warnings)
    echo(format_summary(summarise(inputs)))
    with writing(out, "planner run", plan=_plan_of(scenario), starts_plan=True,
                 force=force) as job:
        lines = run_stages(scenario, inputs, job.path, force=force, progress=progress,
                           draw=_dask_draw(client, encoding) if client is not None else None)
    for line in job.lines(job.notes + lines):
        echo(line)


def refuse_whole_year(scenario: Scenario, scenario_path: str | Path) -> None:
    """Stop ``planner run`` without ``--batch`` on a programme's scenario.

    Parameters
    ----------
    scenario : Scenario
        The scenario read from ``scenario_path``.
    scenario_path : str or pathlib.Path
        The scenario file, as the user named it.

    Raises
    ------
    ScenarioError
        When the scenario has a ``[programme]`` table: its year is planned batch by batch.
    """
    if scenario.programme is not None:
        raise ScenarioError(
            f"plans a programme of batches: plan one with planner run {scenario_path} --batch K "
            f"-o OUT (planner programme {scenario_path} -o OUT writes the annual plan)",
            file=scenario.label)


def run_stages(scenario: Scenario, inputs: Inputs, path: Path, *, force: bool = False,
               progress=None, draw: Callable | None = None) -> list[str]:
    """Run every stage of the plan (:data:`STAGES`) into ``path``, a folder being written.

    Parameters
    ----------
    scenario : Scenario
        The plan.
    inputs : Inputs
        Its validated inputs.
    path : pathlib.Path
        Where the stages write: the staging copy of :func:`~planner.plan.transaction.writing`.
    force : bool
        Passed to the stages that take it (the export).
    progress : callable, optional
        Progress reporter.
    draw : callable, optional
        The draw stage to use instead of the single-process one (the Dask draw).

    Returns
    -------
    list of str
        The stages' summary lines.
    """
    lines: list[str] = []
    for stage in STAGES:
        run = draw if draw is not None and stage.name == "draw" else stage.run
        options = {"force": force} if stage.takes_force else {}
        # Only the lines are kept: a stage's result (the draw's pool of millions of rows) is
        # let go before the next stage runs.
        lines += run(scenario, inputs, path, progress=progress, **options).summary_lines()
    return lines


def _dask_draw(client, encoding: str | None) -> Callable:
    """Return a draw stage running on ``client`` when the directory is Parquet."""
    def stage(scenario: Scenario, inputs: Inputs, out: Path, *, progress=None):
        if scenario.inputs.enterprises is None or not is_parquet(scenario.inputs.enterprises):
            return draw_stage(scenario, inputs, out, progress=progress)
        return dask_draw_stage(scenario, out, encoding=encoding, progress=progress,
                               client=client)

    return stage


def _plan_of(scenario: Scenario) -> tuple[str, str]:
    return scenario.plan.id, scenario.plan.seed


def run_stage(
    command: str,
    stage: Callable,
    scenario: Scenario,
    inputs: Inputs,
    out: str | Path,
    *,
    force: bool = False,
    starts_plan: bool = False,
    needs_current: tuple[str, ...] = (),
    progress=None,
    **options,
) -> list[str]:
    """Run one stage of the plan into ``out`` whole or not at all, as the only writer.

    Parameters
    ----------
    command : str
        The command, e.g. ``"planner draw"`` (recorded in the manifest).
    stage : callable
        ``stage(scenario, inputs, out, *, progress=None, **options)`` returning an object
        with ``summary_lines()``.
    scenario : Scenario
        The plan.
    inputs : Inputs
        Its validated inputs.
    out : str or pathlib.Path
        The plan folder.
    force : bool
        Archive an old plan with returned work instead of refusing (a stage that takes
        ``force`` itself, such as the export, is given it among ``options``).
    starts_plan : bool
        The stage starts a plan (the draw): it may replace another plan without returned
        work.
    needs_current : tuple of str
        Files the stage reads that must belong to the folder's current draw.
    progress : callable, optional
        Progress reporter.
    **options
        Passed on to the stage.

    Returns
    -------
    list of str
        The stage's summary lines, naming ``out``.

    Raises
    ------
    FolderError
        When a file in ``needs_current`` was made from an earlier draw.
    """
    with writing(out, command, plan=_plan_of(scenario), starts_plan=starts_plan,
                 force=force) as job:
        stale = job.before.stale(needs_current)
        if stale:
            raise FolderError(f"{job.out} holds files of an earlier draw:\n"
                              + "\n".join(f"  - {s}" for s in stale))
        result = stage(scenario, inputs, job.path, progress=progress, **options)
        lines = job.notes + result.summary_lines()
    return job.lines(lines)


def publish_results(out: str | Path, filled: list, **options) -> tuple[list[str], list[str]]:
    """Read the filled workbooks back and publish into ``out``, whole or not at all.

    Parameters
    ----------
    out : str or pathlib.Path
        The plan folder.
    filled : list of path
        The filled field workbooks.
    **options
        Passed on to :func:`planner.publish.results.import_results`.

    Returns
    -------
    tuple
        The summary lines (naming ``out``) and the deadline warnings.

    Raises
    ------
    FolderError
        When the task table was made from an earlier draw.
    """
    with writing(out, "planner results") as job:
        stale = job.before.stale((folder.TASKS, folder.EXPORT_MANIFEST))
        if stale:
            raise FolderError(f"{job.out} holds files of an earlier draw:\n"
                              + "\n".join(f"  - {s}" for s in stale))
        result = import_results(job.path, [Path(p).absolute() for p in filled], **options)
        lines = result.summary_lines()
    return job.lines(lines), job.lines(result.warnings)
