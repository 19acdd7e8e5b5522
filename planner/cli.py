"""The ``planner`` command: a thin click layer over the library's plain functions.

Every command loads its inputs through the library, makes one or two calls and prints.
:class:`~planner.common.errors.PlannerError` subclasses become a clean message on stderr and a
non-zero exit (2 input or scenario, 3 infeasible plan, 4 verification failed); bad input
never shows a traceback.
"""

from __future__ import annotations

import functools
import gc
import json
import re
import sys
from pathlib import Path

import click

from planner import __version__
from planner.common.errors import InputError, PlannerError
from planner.common.progress import make_progress

MAX_PROBLEMS_SHOWN = 200
INTERRUPTED = 130  # exit code after Ctrl-C, as a shell reports SIGINT


def handle_errors(func):
    """Turn planner errors into a message and an exit code, with every input problem listed."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except InputError as exc:
            errors = [p for p in exc.problems if p.severity == "error"]
            warnings = [p for p in exc.problems if p.severity != "error"]
            for p in errors[:MAX_PROBLEMS_SHOWN]:
                click.echo(f"error: {p}", err=True)
            if len(errors) > MAX_PROBLEMS_SHOWN:
                click.echo(f"... and {len(errors) - MAX_PROBLEMS_SHOWN} more errors", err=True)
            for p in warnings[:MAX_PROBLEMS_SHOWN]:
                click.echo(f"warning: {p}", err=True)
            click.echo(f"{len(errors)} error(s) in the inputs; nothing was written.", err=True)
            sys.exit(exc.exit_code)
        except PlannerError as exc:
            interrupted = exc.exit_code == INTERRUPTED
            click.echo(f"{'' if interrupted else 'error: '}{exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted: nothing was written", err=True)
            sys.exit(INTERRUPTED)
        except OSError as exc:  # e.g. an output folder that cannot be written
            click.echo(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), err=True)
            sys.exit(2)

    return wrapper


def scenario_argument(func):
    """Add the SCENARIO argument shared by the planning commands."""
    return click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))(func)


def with_ticket_formula(func):
    r"""Put the ticket formula, generated from the code that computes tickets, into the help.

    The formula stands in a paragraph of its own that click prints unwrapped (a "\b" block).
    """
    from planner.common.randomness import ticket_formula

    func.__doc__ = func.__doc__.replace("TICKET_FORMULA", "\b\n      " + ticket_formula())
    return func


def encoding_option(func):
    """Add ``--encoding``: force the CSV encoding instead of detecting it."""
    return click.option(
        "--encoding",
        default=None,
        metavar="NAME",
        help="CSV encoding of the inputs (e.g. gbk, utf-8); detected when omitted.",
    )(func)


def out_option(func):
    """``-o/--out``: the output folder."""
    return click.option(
        "-o",
        "--out",
        required=True,
        type=click.Path(file_okay=False, path_type=Path),
        help="Output folder (created if needed).",
    )(func)


def force_option(func):
    """``--force``: archive an old plan holding returned work instead of refusing."""
    return click.option(
        "--force", is_flag=True,
        help="When OUT holds returned work (filled workbooks, results) that this command "
        "would replace, move the old plan whole into OUT/archive/<plan id>-<time>/ first "
        "instead of refusing.",
    )(func)


def engine_options(func):
    """Add ``--engine`` and ``--scheduler``: run on one process or on a Dask cluster."""
    func = click.option(
        "--scheduler", default=None, metavar="ADDRESS",
        help="With --engine dask: the Dask scheduler to use (e.g. tcp://10.0.0.5:8786); "
        "a local cluster of 2 workers when omitted.")(func)
    return click.option(
        "--engine", type=click.Choice(["single", "dask"]), default="single", show_default=True,
        help='Where to compute: this process, or Dask (the dask extra: pip install -e ".[dask]" '
        "in a checkout; the directory as Parquet).")(func)


GROUPED_FROM = 3  # warnings of one rule in one column, beyond which they print as one group


def _rule_of(w) -> tuple:
    """Return what makes warnings alike: file, column, message with its values taken out."""
    message = re.sub(r"\d{4}-\d{2}-\d{2}|'[^']*'|\d+", "#", getattr(w, "message", str(w)))
    return getattr(w, "file", None), getattr(w, "column", None), message


def echo_warnings(warnings, *, every: bool = False) -> None:
    """Print input warnings to stderr, alike ones grouped (``every``: one line each).

    Warnings of one rule in one column (the same certificates expiring, history rows
    naming retired inspectors) repeat on every command; past :data:`GROUPED_FROM` the
    first is printed with the count and rows of the rest, and ``planner validate`` lists
    them all. At most MAX_PROBLEMS_SHOWN lines are printed.
    """
    groups: dict[tuple, list] = {}
    for w in warnings:
        groups.setdefault(_rule_of(w), []).append(w)
    lines = []
    for alike in groups.values():
        if every or len(alike) <= GROUPED_FROM:
            lines += [f"warning: {w}" for w in alike]
            continue
        rows = [str(w.row) for w in alike[1:] if getattr(w, "row", None) is not None]
        shown = ", ".join(rows[:8]) + (", ..." if len(rows) > 8 else "")
        lines.append(f"warning: {alike[0]}\n  ... and {len(alike) - 1} more like it"
                     + (f" (rows {shown})" if rows else "")
                     + "; planner validate SCENARIO lists each")
    for line in lines[:MAX_PROBLEMS_SHOWN]:
        click.echo(line, err=True)
    if len(lines) > MAX_PROBLEMS_SHOWN:
        click.echo(f"... and {len(lines) - MAX_PROBLEMS_SHOWN} more warnings", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="planner")
def cli():
    """Plan "double random, one public" (双随机、一公开) spot checks.

    Draw enterprises at random with higher ratios for riskier classes, assign random teams
    of certified inspectors under avoidance (回避) rules, write Excel plans, read results
    back and publish the disclosure (公示) sheet - all reproducible from a public seed.

    Start with:  planner run scenarios/demo.toml -o out/demo
    """


@cli.command()
@scenario_argument
@encoding_option
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@handle_errors
def validate(scenario: Path, encoding: str | None, as_json: bool):
    """Check a scenario and its input files, and summarise them.

    Every problem of every file is reported at once, each with file, row and column;
    the exit code is non-zero when there is any error.

    Example: planner validate scenarios/demo.toml --json
    """
    from planner.plan.inputs import load_plan
    from planner.plan.summary import format_summary, summarise

    _, inputs = load_plan(scenario, encoding=encoding, progress=make_progress())
    summary = summarise(inputs)
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        echo_warnings(inputs.warnings, every=True)
        click.echo(format_summary(summary))


@cli.command()
@scenario_argument
@out_option
@encoding_option
@click.option("--batch", "batch", type=int, default=None, metavar="K",
              help="Plan batch K of the scenario's [programme] into OUT/batch-K.")
@click.option("--seed", default=None, metavar="TEXT",
              help="The public seed, when the scenario does not name it ([plan] seed): "
              "after planner commit, the value that [plan] seed_source announced.")
@force_option
@engine_options
@handle_errors
def run(scenario: Path, out: Path, encoding: str | None, batch: int | None, seed: str | None,
        force: bool, engine: str, scheduler: str | None):
    """Run the whole plan: validate, draw, assign and export.

    OUT is written whole or not at all: the new files are built beside it and swapped in
    when all are written, with OUT/manifest.json binding them to the plan. Only one command
    writes OUT at a time.

    With --batch K the scenario's [programme] plans its batch K into OUT/batch-K (a normal
    plan folder that planner verify checks), taking the earlier batches in OUT, their
    returned results and the full history into account.

    With --engine dask the draw runs on Dask (when the directory is Parquet) and the
    assignment's planning units and the field workbooks are Dask tasks; the files are the
    same, byte for byte.

    With --seed (after planner commit, once the seed's public source has spoken) the
    draw uses that seed, checked against the commitment in OUT.

    Example: planner run scenarios/demo.toml -o out/demo

    Committed example: planner run scenarios/committed-draw.toml -o out/q4 --seed 3-8-1

    Batch example: planner run scenarios/programme/food-2016.toml --batch 1 -o out/food-2027

    Dask example: planner run out/national/scenario.toml -o out/national/plan --engine dask
    """
    if scheduler is not None and engine != "dask":
        raise click.UsageError("--scheduler goes with --engine dask")
    if batch is not None:
        if engine != "single":
            raise click.UsageError("--batch runs on the single-process engine: leave out "
                                   "--engine dask")
        if seed is not None:
            raise click.UsageError("--batch takes each batch's seed from the programme: "
                                   "leave out --seed")
        from planner.app.batch import run_batch

        run_batch(scenario, out, batch, encoding=encoding, progress=make_progress(),
                  echo=click.echo, warn=echo_warnings)
        return
    from planner.app.pipeline import run_plan

    run_plan(scenario, out, encoding=encoding, force=force, progress=make_progress(),
             echo=click.echo, warn=echo_warnings, engine=engine, scheduler=scheduler,
             seed=seed)


@cli.command()
@scenario_argument
@out_option
@encoding_option
@click.option("--replace", "replace_ids", metavar="ID[,ID...]", default=None,
              help="Replace these drawn enterprises (e.g. found closed) by the next-lowest "
              "tickets of their strata; needs --reason.")
@click.option("--reason", default=None, metavar="TEXT",
              help="Why the enterprises are replaced (recorded); needs --replace.")
@click.option("--scale-down", is_flag=True,
              help="When the roster cannot staff the allocation, draw fewer from the "
              'lowest-risk classes first (as [sampling] on_short_capacity = "scale-down").')
@click.option("--seed", default=None, metavar="TEXT",
              help="The public seed, when the scenario does not name it ([plan] seed); "
              "e.g. the lottery numbers that [plan] seed_source announced.")
@force_option
@engine_options
@handle_errors
@with_ticket_formula
def draw(scenario: Path, out: Path, encoding: str | None, replace_ids: str | None,
         reason: str | None, scale_down: bool, seed: str | None, force: bool, engine: str,
         scheduler: str | None):
    """Draw the enterprises to inspect: the n lowest tickets of each stratum.

    Writes OUT/sample.csv, OUT/eligible.csv and OUT/draw-record.json. Each enterprise's
    ticket, its id stripped and upper case, is

      TICKET_FORMULA

    so anyone with the seed and the directory can recompute the draw (planner verify OUT).

    With --replace and --reason, the draw already in OUT is kept and the named enterprises
    are replaced by the next-lowest tickets of their strata; the record says why.

    When OUT holds a commitment (planner commit), the draw refuses, naming each difference,
    unless the inputs still give the committed eligible list.

    With --engine dask the directory (a Parquet folder) is read, checked and drawn
    partition by partition on a Dask cluster (--scheduler ADDRESS, or a local one); the
    files are the same, byte for byte.

    Example: planner draw scenarios/yancheng-abcd.toml -o out/yancheng

    Committed example (after planner commit): planner draw scenarios/committed-draw.toml
    -o out/q4 --seed 3-8-1

    Replacement example: planner draw scenarios/yancheng-abcd.toml -o out/yancheng
    --replace 9115080204254433XG --reason "已注销 (deregistered)"

    Dask example: planner draw out/national/scenario.toml -o out/national/draw --engine dask
    """
    from planner.app.draw import draw_stage, replace_stage, with_scale_down
    from planner.app.pipeline import run_stage
    from planner.plan.inputs import load_plan
    from planner.plan.seeds import with_seed
    from planner.plan.transaction import refuse_if_busy

    if (replace_ids is None) != (reason is None):
        raise click.UsageError("--replace and --reason go together: say which enterprises "
                               "to replace and why")
    if scheduler is not None and engine != "dask":
        raise click.UsageError("--scheduler goes with --engine dask")
    refuse_if_busy(out)
    if engine == "dask":
        from planner.draw.commit import COMMITMENT_NAME

        if replace_ids is not None or (out / COMMITMENT_NAME).is_file():
            raise click.UsageError("--replace and committed draws (planner commit) run on the "
                                   "single-process engine: leave out --engine dask")
        from planner.draw.distributed import dask_draw_stage
        from planner.plan.scenario import load_scenario
        from planner.plan.transaction import writing

        loaded = with_seed(load_scenario(scenario), seed)
        if scale_down:
            loaded = with_scale_down(loaded)
        with writing(out, "planner draw --engine dask", starts_plan=True, force=force,
                     plan=(loaded.plan.id, loaded.plan.seed)) as job:
            result = dask_draw_stage(loaded, job.path, scheduler=scheduler, encoding=encoding,
                                     progress=make_progress(), warn=echo_warnings)
            lines = result.summary_lines()
        for line in job.lines(job.notes + lines):
            click.echo(line)
        return
    loaded, inputs = load_plan(scenario, encoding=encoding, progress=make_progress())
    if scale_down:
        loaded = with_scale_down(loaded)
    loaded = with_seed(loaded, seed)
    echo_warnings(inputs.warnings)
    if replace_ids is not None:
        from planner.plan.seeds import seed_from_record

        loaded = seed_from_record(loaded, out)
        ids = [i.strip() for i in replace_ids.split(",")]
        lines = run_stage("planner draw --replace", replace_stage, loaded, inputs, out,
                          force=force, progress=make_progress(), ids=ids, reason=reason)
    else:
        lines = run_stage("planner draw", draw_stage, loaded, inputs, out, force=force,
                          starts_plan=True, progress=make_progress())
    for line in lines:
        click.echo(line)


@cli.command()
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option("--scenario", "scenario_path", default=None,
              type=click.Path(dir_okay=False, path_type=Path),
              help="The scenario file, when it is no longer where the record says.")
@encoding_option
@handle_errors
def verify(out: Path, scenario_path: Path | None, encoding: str | None):
    """Recompute the draw in OUT from its record and the inputs, and compare.

    Prints "verified" and exits 0 when the draw, the replacements and every input's SHA-256
    are as recorded; otherwise exits 4 naming each enterprise added or missing and each
    input that changed.

    Example: planner verify out/yancheng
    """
    from planner.app.check_folder import verify_folder
    from planner.plan.transaction import refuse_if_busy

    refuse_if_busy(out)
    report = verify_folder(out, scenario=scenario_path, encoding=encoding,
                         progress=make_progress())
    for line in report.lines():
        click.echo(line)


@cli.command()
@scenario_argument
@out_option
@encoding_option
@click.option("--replace-inspector", "inspector_id", default=None, metavar="ID",
              help="An inspector who withdraws (ill, conflict): refill only their seats at "
              "random under every rule, keeping the rest of each team; needs --reason.")
@click.option("--reason", default=None, metavar="TEXT",
              help="Why the inspector withdraws (recorded); with --replace-inspector.")
@force_option
@handle_errors
def assign(scenario: Path, out: Path, encoding: str | None, inspector_id: str | None,
           reason: str | None, force: bool):
    """Assign a random team of inspectors to every drawn enterprise (the second random).

    Reads OUT/sample.csv (drawing it first when absent) and writes OUT/assignments.csv:
    task_id, enterprise_id, inspector_id, role (lead or member), one row per seat, under
    the [assignment] rules (team size, lead, certificate, availability, avoidance,
    capacity, cross-station, rotation, joint departments, separate pairs,
    max_pair_probability). When no plan exists it exits 3, writes nothing, and says which
    enterprises cannot be staffed (and which rule removed their candidates) or which
    district or station is short of capacity or leads, by how much.

    After planner draw --replace, every team whose enterprise is still drawn is kept (same
    task id, inspectors and roles) and only the replacements are staffed; when a rule
    forces a wider change, the summary says which teams changed and why.

    Example: planner assign scenarios/demo.toml -o out/demo

    Withdrawal example: planner assign scenarios/demo.toml -o out/demo
    --replace-inspector LH00012 --reason "病假 (sick leave)"
    """
    from planner.app.assign import assign_stage
    from planner.app.pipeline import run_stage
    from planner.plan.inputs import load_plan
    from planner.plan.transaction import refuse_if_busy

    if (inspector_id is None) != (reason is None):
        raise click.UsageError("--replace-inspector and --reason go together: say who "
                               "withdraws and why")
    refuse_if_busy(out)
    loaded, inputs = load_plan(scenario, encoding=encoding, progress=make_progress())
    echo_warnings(inputs.warnings)
    if inspector_id is not None:
        from planner.assign.withdraw import replace_inspector
        from planner.plan import folder

        lines = run_stage("planner assign --replace-inspector", replace_inspector, loaded,
                          inputs, out, force=force, needs_current=(folder.ASSIGNMENTS,),
                          progress=make_progress(), inspector_id=inspector_id, reason=reason)
    else:
        lines = run_stage("planner assign", assign_stage, loaded, inputs, out, force=force,
                          progress=make_progress())
    for line in lines:
        click.echo(line)


@cli.command()
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option("--scenario", "scenario_path", default=None,
              type=click.Path(dir_okay=False, path_type=Path),
              help="The scenario file (default: the one named in OUT/draw-record.json).")
@encoding_option
@handle_errors
def check(out: Path, scenario_path: Path | None, encoding: str | None):
    """Check the whole plan folder OUT: files, draw, assignments, tasks, workbooks, results.

    The manifest first (every file present, unchanged and of one plan); then the draw is
    recomputed as planner verify does; OUT/assignments.csv is re-validated against every
    assignment rule seat by seat, independently of the planner's solver; the task table
    must hold one task per drawn enterprise with the teams assigned; the field workbooks
    export.json lists must be there; results may name only tasks of the plan. Prints "OK"
    and exits 0 when all holds; otherwise lists each problem and exits 4.

    Example: planner check out/demo
    """
    from planner.app.check_folder import check_folder
    from planner.common.errors import VerificationError
    from planner.plan.transaction import refuse_if_busy

    refuse_if_busy(out)
    report = check_folder(out, scenario=scenario_path, encoding=encoding,
                          progress=make_progress())
    if not report.ok:
        raise VerificationError(report.lines()[0], report.problems)
    for line in report.lines():
        click.echo(line)


@cli.command()
@scenario_argument
@out_option
@encoding_option
@force_option
@handle_errors
def export(scenario: Path, out: Path, encoding: str | None, force: bool):
    """Write the Excel plans from the draw and assignment already in OUT.

    Writes OUT/plan.xlsx for the bureau (summary and whole plan) and the field workbooks
    OUT/teams/*.xlsx, split as [export] split_by says: team (the tasks of one lead
    inspector, 主检), district or none. Result columns are drop-down lists; plan columns are
    locked. planner run does this after the draw and the assignment.

    Example: planner export scenarios/demo.toml -o out/demo
    """
    from planner.app.pipeline import run_stage
    from planner.plan import folder
    from planner.plan.inputs import load_plan
    from planner.plan.transaction import refuse_if_busy
    from planner.publish.export import export_stage

    refuse_if_busy(out)
    loaded, inputs = load_plan(scenario, encoding=encoding, progress=make_progress())
    stage = functools.partial(export_stage, force=force)
    for line in run_stage("planner export", stage, loaded, inputs, out, force=force,
                          needs_current=(folder.ASSIGNMENTS,), progress=make_progress()):
        click.echo(line)


@cli.command()
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.argument("filled", nargs=-1, required=True,
                type=click.Path(dir_okay=False, path_type=Path))
@click.option("--scenario", "scenario_path", default=None,
              type=click.Path(dir_okay=False, path_type=Path),
              help="The plan's scenario (default: the one export.json names).")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              metavar="YYYY-MM-DD", help="Measure the publication deadline from this date "
              "(default: today).")
@click.option("--holidays", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="CSV/XLSX of public holidays and make-up working days (columns date, "
              "kind = holiday|workday); default [export] holidays, else Monday-Friday.")
@click.option("--warn-days", default=None, type=click.IntRange(min=0), metavar="N",
              help="Warn when results are due within N working days (default: [export] "
              "deadline_warning_days, 5).")
@click.option("--amend", is_flag=True,
              help="Correct rows published before (needs --reason); they show 更正 in the "
              "notice.")
@click.option("--reason", default=None, metavar="TEXT",
              help="Why published rows are corrected (with --amend; shown in the notice).")
@handle_errors
def results(out: Path, filled: tuple[Path, ...], scenario_path: Path | None, today,
            holidays: Path | None, warn_days: int | None, amend: bool, reason: str | None):
    """Check the filled field workbooks and publish the completed rows (公示) and history.

    Results arrive in parts: a row left blank, and every task of a workbook not passed,
    is pending - listed with its deadline, not an error - and the command can be run again
    as more workbooks return. Rows published before are kept; one that now reads
    differently is refused unless --amend --reason TEXT, and then shows 更正 in the notice.
    Excel lock files (~$*.xlsx) are skipped with a note. Every problem (unknown category,
    completion date outside the plan period, a plan column changed, a row deleted or
    duplicated, a damaged workbook) is listed with workbook, sheet and row, and then
    nothing is written (exit 2). Otherwise writes OUT/disclosure.xlsx (抽查结果公告 and
    抽查任务公告), OUT/results.csv, OUT/discovery.csv (problems found / inspected per class)
    and OUT/history.csv (for next quarter's [inputs] history), and warns when the
    20-working-day publication deadline is near or past.

    Example: planner results out/q4 out/q4-returned/*.xlsx --today 2026-12-31

    Correction example: planner results out/q4 out/q4-returned/team-LH00001-白刚新.xlsx
    --today 2026-12-31 --amend --reason "检查日期录入错误"
    """
    if amend != (reason is not None):
        raise click.UsageError("--amend and --reason go together: say why the published "
                               "rows are corrected")
    from planner.app.pipeline import publish_results

    lines, warnings = publish_results(
        out, list(filled), scenario=scenario_path,
        today=today.date() if today else None, holidays=holidays, warn_days=warn_days,
        amend=reason if amend else None, progress=make_progress(),
    )
    for line in lines:
        click.echo(line)
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)


@cli.command()
@click.argument("plan_out", nargs=-1, required=True,
                type=click.Path(file_okay=False, path_type=Path))
@out_option
@handle_errors
def merge(plan_out: tuple[Path, ...], out: Path):
    """Merge several departments' plans for one period into one visit per enterprise.

    PLAN_OUT are the output folders of each department's planner run, the lead
    department's (牵头部门) first. Writes OUT/visits.csv (one row per enterprise: the plans
    and tasks it unites, the joint team's lead and members), OUT/joint-assignments.csv
    (every seat with its plan and role) and OUT/merge.json (each plan's folder and the
    SHA-256 of its files), OUT/tasks.csv (one row per visit), OUT/plan.xlsx and one field
    workbook per visit team in OUT/teams/ (each department's inspectors, each plan's
    items), and prints how many visits the merge saved. Each plan's draw
    stays verifiable in its own folder (planner verify PLAN_OUT), and each department
    enters and publishes its results from its own folder. OUT's lock is held while writing.

    Example: planner merge out/market out/food out/quality -o out/joint
    """
    from planner.app.merge import merge_plans

    result = merge_plans(list(plan_out), out)
    for line in result.summary_lines():
        click.echo(line)


@cli.command("demo-data")
@click.option(
    "--preset",
    type=click.Choice(["district", "city", "megacity", "national"]),
    default="district",
    show_default=True,
    help="Size: district 500 enterprises / 30 inspectors; city 43,000 / 400; "
    "megacity 2,230,000 / 5,000; national 50,000,000 as partitioned Parquet.",
)
@click.option("--seed", default="demo", show_default=True, help="Seed of the synthetic data.")
@click.option("--partitions", type=click.IntRange(min=1), default=None, metavar="N",
              help="national only: how many Parquet partition files [default: one per "
              "million enterprises].")
@click.option("--size", type=click.IntRange(min=1, max=10**8), default=None, metavar="N",
              help="national only: enterprises in the directory [default: 50,000,000].")
@click.option("--returns", "returns", type=click.Path(path_type=Path, file_okay=False),
              default=None, metavar="PLAN_OUT",
              help="Instead: write filled copies of PLAN_OUT's field workbooks into OUT, with "
              "invented results, as the field teams would return them.")
@out_option
@handle_errors
def demo_data(preset: str, seed: str, partitions: int | None, size: int | None,
              returns: Path | None, out: Path):
    """Write a realistic synthetic directory, roster, avoidance list, history and scenario.

    The national preset writes the directory as a folder of Parquet partitions, one
    partition at a time (memory stays that of one partition), for planner draw
    --engine dask.

    With --returns PLAN_OUT it writes instead what the field teams would bring back: a
    filled copy of each field workbook of the plan folder PLAN_OUT, each task with a result
    (a problem found at the demo's rate for its risk class), a follow-up and a completion
    date within the plan's period, ready for planner results. PLAN_OUT is not changed.

    Example: planner demo-data --preset city --seed 7 -o out/city

    Returns example: planner demo-data --returns out/q4 -o out/q4-returned

    National example: planner demo-data --preset national --size 200000 --partitions 2
    -o out/national
    """
    if returns is not None:
        if partitions is not None or size is not None:
            raise click.UsageError("--partitions and --size go with --preset national, not "
                                   "--returns")
        from planner.demo.returns import write_returns

        books = write_returns(returns, out, seed, progress=make_progress())
        click.echo(f"Wrote {len(books):,} filled field workbook(s) to {out} (invented "
                   f"results); read them back with planner results {returns} {out}/*.xlsx")
        return
    if preset == "national":
        from planner.common.parquet import require_pyarrow
        from planner.demo.national import SIZE, write_national

        size = size or SIZE
        partitions = partitions or max(1, round(size / 1_000_000))
        if partitions > size:
            raise click.UsageError("--partitions must not exceed --size")
        require_pyarrow()
        paths = write_national(out=out, partitions=partitions, size=size, seed=seed,
                               progress=make_progress())
        for name, path in paths.items():
            click.echo(f"{name}: {path}")
        return
    if partitions is not None or size is not None:
        raise click.UsageError("--partitions and --size go with --preset national")
    from planner.demo.generate import write_demo

    paths = write_demo(preset=preset, seed=seed, out=out, progress=make_progress())
    for name, path in paths.items():
        click.echo(f"{name}: {path}")


@cli.command()
@scenario_argument
@out_option
@click.option("--ratios", "ratios", multiple=True, metavar="SET",
              help="A ratio set to compare, e.g. 'A=0.03,B=0.1,C=0.3,D=0.8' (every class); "
              "'strict: A=0.03,...' names it; 'C=0.2|0.3' or 'D=0.5:1:0.25' makes a grid. "
              "Repeat to compare several. Default: [simulation] ratio_sets, else "
              "[sampling] ratios.")
@click.option("--reps", type=click.IntRange(min=1), default=None, metavar="N",
              help="Monte-Carlo replications (default: [simulation] reps, 10,000).")
@click.option("--optimise", "--optimize", "optimise", is_flag=True,
              help="Recommend per-class ratios that find the most problems within --budget "
              "and the floors, and state the gain over uniform sampling.")
@click.option("--budget", type=click.IntRange(min=0), default=None, metavar="N",
              help="Inspections available, for --optimise (default: [sampling] budget).")
@click.option("--floor", "floors", multiple=True, metavar="CLASS=RATIO",
              help="Minimum ratio of a class in optimised allocations, e.g. A=0.01 (repeat, or "
              "separate with commas; default: [sampling] floors).")
@click.option("--quarters", type=click.IntRange(min=1), default=None, metavar="N",
              help="Simulate N quarters of draw -> inspection -> regrade instead, with "
              "[sampling] ratios against a uniform draw of the same total; writes "
              "OUT/loop.csv, loop.xlsx and loop.png.")
@click.option("--regrade/--no-regrade", default=True, show_default=True,
              help="With --quarters: regrade after each quarter ([regrade] levels), or "
              "keep the classes fixed.")
@click.option("--drift", type=click.FloatRange(0, 1), default=0.05, show_default=True,
              metavar="P", help="With --quarters: probability per quarter that an "
              "enterprise's hidden risk moves one level.")
@click.option("--trend", type=float, default=0.0, show_default=True, metavar="X",
              help="With --quarters: relative change of every problem rate per quarter "
              "(-0.02 = 2 % fewer).")
@click.option("--item-discovery", "item_discovery", multiple=True, metavar="FILE",
              type=click.Path(dir_okay=False, path_type=Path),
              help="An item-discovery.csv of planner results (repeat the option for several "
              "plans): "
              "per-item problem rates, pooled, give the expected problems per item; "
              "writes OUT/item-simulation.csv.")
@click.option("--scores", default=None, type=click.Path(dir_okay=False, path_type=Path),
              metavar="FILE",
              help="A risk-scores.csv of planner learn (default: [inputs] scores): adds the "
              "strategy 'learned score with floor' at each ratio set's total, within the "
              "floors and [simulation] exploration.")
@click.option("--allow-zero", is_flag=True,
              help="With --optimise: accept a recommendation that gives a class no "
              "inspection (refused by default: every class keeps a chance).")
@encoding_option
@handle_errors
def simulate(scenario: Path, out: Path, ratios: tuple[str, ...], reps: int | None,
             optimise: bool, budget: int | None, floors: tuple[str, ...], quarters: int | None,
             regrade: bool, drift: float, trend: float, encoding: str | None,
             item_discovery: tuple[Path, ...], scores: Path | None, allow_zero: bool):
    """Simulate what candidate ratio sets (抽查比例) would find, before choosing one.

    For each ratio set and strategy - risk-weighted (the set itself), uniform (the same
    total drawn without regard to class) and optimised (the same total split to find the
    most problems) - prints and writes the expected problems found, the discovery rate
    (problems / inspections) with an interval, the share of all violators found and the
    inspections of compliant enterprises: OUT/simulation.csv, OUT/simulation.xlsx,
    OUT/simulation.png and OUT/prevalence.csv. Problem rates come from [simulation]
    prevalence or are estimated from a history with results.

    With --quarters N, simulates instead N quarters of the loop draw -> inspection ->
    regrade on a synthetic population whose hidden risk drifts, and reports per quarter the
    discovery rate, the share of true violators found, the compliant enterprises inspected
    and the share of true violators in the top classes, risk-weighted against uniform.

    OUT is a folder of its own; when it is (or lies inside) a plan folder, that folder's
    lock is held while writing, so no run swaps the folder meanwhile.

    Example: planner simulate scenarios/demo.toml -o out/demo-sim
    --ratios 'strict: A=0.05,B=0.2,C=0.6,D=1' --optimise --budget 100 --floor A=0.05

    Chicago example (the real records in ../shared/data/chicago): planner simulate
    scenarios/chicago-replay.toml -o out/chicago --ratios 'strict: low=0.05,medium=0.2,high=0.6'
    --optimise --budget 3000 --floor low=0.05,medium=0.05

    With --item-discovery FILE..., the item-discovery.csv files of past plans (planner
    results) give a problem rate per item (problems / checked, pooled), and the expected
    problems per item of each ratio set and strategy are printed and written to
    OUT/item-simulation.csv.

    Loop example: planner simulate scenarios/demo.toml -o out/loop --quarters 8 --reps 1000

    Items example: planner simulate scenarios/demo.toml -o out/sim --item-discovery
    scenarios/simulation-demo/item-discovery-2026q3.csv --item-discovery
    scenarios/simulation-demo/item-discovery-2026q4.csv

    With --scores FILE (a risk-scores.csv of planner learn), also the strategy "learned
    score with floor": the same total, each class's floor drawn at random, an exploration
    share ([simulation] exploration) drawn at random from everyone, the rest to the highest
    predicted probabilities.

    Scores example: planner simulate scenarios/demo.toml -o out/sim-scores
    --scores out/learn/risk-scores.csv --floor A=0.05,B=0.05
    """
    if quarters is not None:
        if ratios or optimise or budget is not None or floors or item_discovery or scores:
            raise click.UsageError("--quarters draws with [sampling] ratios; it does not "
                                   "take --ratios, --optimise, --budget, --floor, "
                                   "--item-discovery or --scores")
        from planner.simulate.loopstage import simulate_loop_scenario

        run = simulate_loop_scenario(scenario, out, quarters=quarters, regrade=regrade,
                                     drift=drift, trend=trend, reps=reps, encoding=encoding,
                                     progress=make_progress())
        for line in run.summary_lines():
            click.echo(line)
        return
    from planner.simulate.stage import simulate_scenario

    result = simulate_scenario(scenario, out, ratios=ratios, reps=reps, optimise=optimise,
                               budget=budget, floors=floors, encoding=encoding,
                               progress=make_progress(), item_discovery=item_discovery,
                               scores=scores, allow_zero=allow_zero)
    echo_warnings(result.warnings)
    for line in result.summary_lines():
        click.echo(line)


@cli.command()
@scenario_argument
@out_option
@click.option("--holdout-from", "holdout_from", type=click.DateTime(formats=["%Y-%m-%d"]),
              default=None, metavar="DATE",
              help="Fit on the inspections before DATE and compare the class, the model and a "
              "random order on DATE and after (default: [learn] holdout_from; without either, "
              "no evaluation).")
@encoding_option
@handle_errors
def learn(scenario: Path, out: Path, holdout_from, encoding: str | None):
    """Learn problem risk from the history with results, and test it against the classes.

    Reads the history the simulation reads ([simulation] history, class_column,
    problem_column, id_column), derives for each inspection what was known before it
    (inspections so far, past problems and their kinds, days since the last visit, first
    visit, class, category, district, [learn] features), weights each inspection by the
    inverse of its inclusion probability when [learn] draw_records name the plans it came
    from, and fits a regularised logistic model. Writes OUT/risk-scores.csv (every
    enterprise's score, probability and rank), OUT/risk-model.json (coefficients to apply
    by hand) and OUT/risk-rates.csv (per-class rates with intervals); with a holdout also
    OUT/risk-evaluation.json, .xlsx and .png: AUC with a bootstrap interval, the share of
    problems found in the first half of the schedule, the top-decile hit rate and the
    problems found at the plan's budget, for the class, the model and a random order.

    The scores are internal, like the classes: never publish them.

    Example: planner learn scenarios/demo.toml -o out/learn

    Chicago example (the real records in ../shared/data/chicago): planner learn
    scenarios/chicago-replay.toml -o out/chicago-learn --holdout-from 2013-01-01
    """
    from planner.learn.stage import learn_scenario

    result = learn_scenario(scenario, out, encoding=encoding, progress=make_progress(),
                            holdout_from=holdout_from.date() if holdout_from else None)
    echo_warnings(result.warnings)
    for line in result.summary_lines():
        click.echo(line)


@cli.command()
@scenario_argument
@click.option("--results", "results_files", multiple=True,
              type=click.Path(dir_okay=False, path_type=Path), metavar="RESULTS_CSV",
              help="A results.csv written by planner results (or a history.csv with "
              "results); repeat for several.")
@click.option("--events", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="Events file: enterprise_id, date, event (a name in [regrade] events), "
              "note.")
@out_option
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              metavar="YYYY-MM-DD", help="Regrading date that locks are measured against "
              "(default: the latest date of the results and events).")
@click.option("--holidays", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="Holidays file for the 10-working-day deadline (default [export] "
              "holidays, else Monday-Friday).")
@encoding_option
@handle_errors
def regrade(scenario: Path, results_files: tuple[Path, ...], events: Path | None, out: Path,
            as_of, holidays: Path | None, encoding: str | None):
    """Move enterprises between risk classes from results and events (进退级).

    Applies the scenario's [regrade] rules (levels per result category and follow-up for
    grade-only schemes, points for points schemes, events that add or send straight to a
    class and lock it) and writes OUT/enterprises.csv (the new directory, same format and
    encoding as the input), OUT/enterprises.applied.csv (records applied, so a second run
    counts nothing twice), OUT/changes.csv (each rule fired, with file and row),
    OUT/transitions.xlsx and .png, OUT/abnormal-operations.csv (经营异常名录 candidates and
    their 10-working-day deadline) and OUT/unmatched.csv. When OUT is (or lies inside) a
    plan folder, that folder's lock is held while writing.

    Example: planner regrade scenarios/yuhang-points-12.toml
    --results scenarios/regrade-demo/yuhang-results.csv
    --events scenarios/regrade-demo/events.csv -o out/yuhang-regraded
    """
    from planner.regrade.stage import regrade_scenario

    result = regrade_scenario(scenario, list(results_files), out, events=events,
                              as_of=as_of.date() if as_of else None, encoding=encoding,
                              holidays=holidays, progress=make_progress())
    echo_warnings(result.warnings)
    for line in result.summary_lines():
        click.echo(line)


@cli.command()
@scenario_argument
@out_option
@encoding_option
@handle_errors
def commit(scenario: Path, out: Path, encoding: str | None):
    """Fix the eligible list before the seed exists: write OUT/commitment.json.

    Run it before the seed is drawn, with [plan] seed_source saying how the seed will be
    produced and no [plan] seed. Writes OUT/commitment.json (publish it at once: the plan,
    the SHA-256 of every input, each stratum's eligible and drawn counts under neutral
    labels S1, S2, ..., and the Merkle root of the eligible (stratum, enterprise) pairs),
    and, kept private, OUT/commitment-key.json (what each label stands for) and
    OUT/eligible-audit.csv (the eligible list for auditors). planner draw into OUT then
    refuses inputs that no longer give this list. OUT's lock is held while writing.

    Example: planner commit scenarios/committed-draw.toml -o out/q4
    """
    from planner.draw.commit import commit_stage, commit_summary
    from planner.plan.inputs import load_plan

    loaded, inputs = load_plan(scenario, encoding=encoding, progress=make_progress())
    echo_warnings(inputs.warnings)
    commitment = commit_stage(loaded, inputs, out, progress=make_progress())
    for line in commit_summary(commitment, out):
        click.echo(line)


@cli.command()
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.argument("enterprise_id")
@click.option("-o", "--output", "target", default=None,
              type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the proof (default: OUT/proofs/proof-ID.json).")
@handle_errors
def proof(out: Path, enterprise_id: str, target: Path | None):
    """Write the proof of why an enterprise was drawn, or why not.

    The proof holds the enterprise's stratum (neutral label), ticket, digest and rank, its
    stratum's eligible and drawn counts and threshold ticket, the replacements that touched
    it, and its Merkle path to the committed root. Check it in verify.html (file picker)
    or with the README's script. The plan folder's lock is held while the proof is written
    into it.

    Example: planner proof out/q4 91150802644493832N
    """
    from planner.draw.proof import write_proof

    path = write_proof(out, enterprise_id, target)
    data = json.loads(path.read_text(encoding="utf-8"))
    click.echo(f"{data['enterprise_id']}: {data['outcome']} (stratum {data['stratum']}, rank "
               f"{data['rank']} of {data['stratum_eligible']}, {data['stratum_drawn']} drawn)")
    click.echo(f"Wrote {path}")


@cli.command()
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option("-o", "--public", "public", required=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="The bundle folder to write (replaced whole).")
@handle_errors
def publish(out: Path, public: Path):
    """Write the public bundle (一公开) of the committed plan in OUT.

    PUBLIC gets the task notice (抽查任务公告), the result notice (抽查结果公告) once results
    exist, commitment.json, draw-record-public.json (seed and its source, counts per
    stratum under neutral labels, each drawn enterprise with ticket and rank, replacements
    and reasons) and verify.html, which checks the draw in a browser, offline. No risk
    class, no inspector data; free text only when it passes the privacy check. PUBLIC is a
    folder of its own (it takes a plan folder's lock only if it lies inside one).

    Example: planner publish out/q4 -o out/q4-public
    """
    from planner.publish.bundle import publish_bundle

    result = publish_bundle(out, public, progress=make_progress())
    for line in result.summary_lines():
        click.echo(line)


# Container allocations between two young-generation collections in the command's process
# (Python's default is 700). Importing pandas and loading a plan allocate objects that live
# until the command ends; scanning them again and again took 0.04 s of the district demo and
# 0.11 s of the city preset, 0.02 s and 0.04 s with this threshold. Cyclic garbage still
# goes, in bigger batches (the megacity's peak memory is unchanged).
GC_THRESHOLD = (50_000, 20, 20)


def main() -> None:
    """Entry point of the ``planner`` console script.

    A command is one short process, so its garbage collection is tuned for that: collections
    are rarer (:data:`GC_THRESHOLD`), and when the command ends, every object still alive is
    frozen (``gc.freeze``) so that the interpreter's exit does not walk the whole heap once
    more only to free memory the operating system takes back anyway (about 0.08 s after a
    plan). Files are closed and output flushed by then; exit handlers still run.
    """
    gc.set_threshold(*GC_THRESHOLD)
    try:
        cli(prog_name="planner")
    finally:
        gc.freeze()


@cli.command()
@click.argument("scenario", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Programme folder for the annual plan (created if needed).")
@click.option("--status", "status", type=click.Path(file_okay=False, path_type=Path),
              default=None, metavar="OUT",
              help="Report where the year in OUT stands instead of writing the annual plan.")
@encoding_option
@handle_errors
def programme(scenario: Path | None, out: Path | None, status: Path | None,
              encoding: str | None):
    """Write the year's programme, or report where it stands.

    The scenario's [programme] table cuts the plan's year into batches; OUT receives
    programme.json (each batch's dates, seed and projected count per class, the roster's
    capacity per batch, conflicts between minimums and caps) and plan-notice.xlsx
    (抽查计划公告). Plan each batch with planner run SCENARIO --batch K -o OUT.

    With --status OUT: per class the share inspected so far, the inspections still owed, the
    projection to the end of the year and every enterprise at risk of missing its minimum
    (status.json, status.xlsx, status.png in OUT); SCENARIO, when given, overrides the one
    programme.json names.

    OUT is a programme folder, not a plan folder: each batch's plan folder OUT/batch-K is
    written under its own lock by planner run --batch, so programme locks nothing unless
    OUT lies inside a plan folder.

    Example: planner programme scenarios/programme/food-2016.toml -o out/food-2027

    Example: planner programme --status out/food-2027
    """
    if status is not None:
        if out is not None:
            raise click.UsageError("give either -o OUT (write the annual plan) or --status OUT")
        from planner.programme.status import programme_status, status_lines

        report = programme_status(status, scenario=scenario, encoding=encoding,
                                  progress=make_progress())
        for line in status_lines(report, status):
            click.echo(line)
        return
    if scenario is None or out is None:
        raise click.UsageError("give SCENARIO and -o OUT (or --status OUT)")
    from planner.programme.annual import plan_programme, summary_lines

    summary = plan_programme(scenario, out, encoding=encoding, progress=make_progress())
    for line in summary_lines(summary, out):
        click.echo(line)
