"""The ``planner`` command: a thin click layer over the library's plain functions.

Every command loads its inputs through the library, makes one or two calls and prints.
:class:`~planner.common.errors.PlannerError` subclasses become a clean message on stderr and a
non-zero exit (2 input or scenario, 3 infeasible plan, 4 verification failed); bad input
never shows a traceback.
"""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path

import click

from planner import __version__
from planner.common.errors import InputError, PlannerError
from planner.common.progress import make_progress

MAX_PROBLEMS_SHOWN = 200


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
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except OSError as exc:  # e.g. an output folder that cannot be written
            click.echo(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), err=True)
            sys.exit(2)

    return wrapper


def scenario_argument(func):
    """Add the SCENARIO argument shared by the planning commands."""
    return click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))(func)


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


def engine_options(func):
    """Add ``--engine`` and ``--scheduler``: run on one process or on a Dask cluster."""
    func = click.option(
        "--scheduler", default=None, metavar="ADDRESS",
        help="With --engine dask: the Dask scheduler to use (e.g. tcp://10.0.0.5:8786); "
        "a local cluster of 2 workers when omitted.")(func)
    return click.option(
        "--engine", type=click.Choice(["single", "dask"]), default="single", show_default=True,
        help='Where to compute: this process, or Dask (pip install "planner[dask]"; the '
        "directory as Parquet).")(func)


def echo_warnings(warnings) -> None:
    """Print input warnings to stderr, at most MAX_PROBLEMS_SHOWN of them."""
    for w in warnings[:MAX_PROBLEMS_SHOWN]:
        click.echo(f"warning: {w}", err=True)
    if len(warnings) > MAX_PROBLEMS_SHOWN:
        click.echo(f"... and {len(warnings) - MAX_PROBLEMS_SHOWN} more warnings", err=True)


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
    from planner.plan.pipeline import load
    from planner.plan.summary import format_summary, summarise

    _, inputs = load(scenario, encoding=encoding, progress=make_progress())
    summary = summarise(inputs)
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        echo_warnings(inputs.warnings)
        click.echo(format_summary(summary))


@cli.command()
@scenario_argument
@out_option
@encoding_option
@engine_options
@handle_errors
def run(scenario: Path, out: Path, encoding: str | None, engine: str, scheduler: str | None):
    """Run the whole plan: validate, draw, assign and export.

    With --engine dask the draw runs on Dask (when the directory is Parquet) and the
    assignment's planning units and the field workbooks are Dask tasks; the files are the
    same, byte for byte.

    Example: planner run scenarios/demo.toml -o out/demo

    Dask example: planner run /data/province/scenario.toml -o out/province --engine dask
    """
    from planner.plan.pipeline import run_plan

    if scheduler is not None and engine != "dask":
        raise click.UsageError("--scheduler goes with --engine dask")
    run_plan(scenario, out, encoding=encoding, progress=make_progress(), echo=click.echo,
             warn=echo_warnings, engine=engine, scheduler=scheduler)


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
@engine_options
@handle_errors
def draw(scenario: Path, out: Path, encoding: str | None, replace_ids: str | None,
         reason: str | None, scale_down: bool, engine: str, scheduler: str | None):
    """Draw the enterprises to inspect: the n lowest tickets of each stratum.

    Writes OUT/sample.csv, OUT/eligible.csv and OUT/draw-record.json. Each enterprise's
    ticket is int(sha256(f"{seed}:{enterprise_id}").hexdigest(), 16) / 2**256, so anyone
    with the seed and the directory can recompute the draw (planner verify OUT).

    With --replace and --reason, the draw already in OUT is kept and the named enterprises
    are replaced by the next-lowest tickets of their strata; the record says why.

    With --engine dask the directory (a Parquet folder) is read, checked and drawn
    partition by partition on a Dask cluster (--scheduler ADDRESS, or a local one); the
    files are the same, byte for byte.

    Example: planner draw scenarios/yancheng-abcd.toml -o out/yancheng

    Replacement example: planner draw scenarios/yancheng-abcd.toml -o out/yancheng
    --replace 91320900MA1XXXXXXX --reason "已注销 (deregistered)"

    Dask example: planner draw /data/national/scenario.toml -o out/national --engine dask
    --scheduler tcp://10.0.0.5:8786
    """
    from planner.draw.stage import draw_stage, replace_stage, with_scale_down
    from planner.plan.pipeline import load

    if (replace_ids is None) != (reason is None):
        raise click.UsageError("--replace and --reason go together: say which enterprises "
                               "to replace and why")
    if engine == "dask":
        if replace_ids is not None:
            raise click.UsageError("--replace runs on the single-process engine: leave out "
                                   "--engine dask")
        from planner.draw.distributed import dask_draw_stage
        from planner.plan.scenario import load_scenario

        loaded = load_scenario(scenario)
        if scale_down:
            loaded = with_scale_down(loaded)
        result = dask_draw_stage(loaded, out, scheduler=scheduler, encoding=encoding,
                                 progress=make_progress(), warn=echo_warnings)
        for line in result.summary_lines():
            click.echo(line)
        return
    if scheduler is not None:
        raise click.UsageError("--scheduler goes with --engine dask")
    loaded, inputs = load(scenario, encoding=encoding, progress=make_progress())
    if scale_down:
        loaded = with_scale_down(loaded)
    echo_warnings(inputs.warnings)
    if replace_ids is not None:
        ids = [i.strip() for i in replace_ids.split(",")]
        result = replace_stage(loaded, inputs, out, ids, reason, progress=make_progress())
    else:
        result = draw_stage(loaded, inputs, out, progress=make_progress())
    for line in result.summary_lines():
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
    from planner.draw.verify import verify_draw

    report = verify_draw(out, scenario=scenario_path, encoding=encoding,
                         progress=make_progress())
    for line in report.lines():
        click.echo(line)


@cli.command()
@scenario_argument
@out_option
@encoding_option
@handle_errors
def assign(scenario: Path, out: Path, encoding: str | None):
    """Assign a random team of inspectors to every drawn enterprise (the second random).

    Reads OUT/sample.csv (drawing it first when absent) and writes OUT/assignments.csv:
    task_id, enterprise_id, inspector_id, role (lead or member), one row per seat, under
    the [assignment] rules (team size, lead, certificate, availability, avoidance,
    capacity, cross-station, rotation, joint departments, separate pairs,
    max_pair_probability). When no plan exists it exits 3, writes nothing, and says which
    enterprises cannot be staffed (and which rule removed their candidates) or which
    district or station is short of capacity or leads, by how much.

    Example: planner assign scenarios/demo.toml -o out/demo
    """
    from planner.assign.stage import assign_stage
    from planner.plan.pipeline import load

    loaded, inputs = load(scenario, encoding=encoding, progress=make_progress())
    echo_warnings(inputs.warnings)
    result = assign_stage(loaded, inputs, out, progress=make_progress())
    for line in result.summary_lines():
        click.echo(line)


@cli.command()
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option("--scenario", "scenario_path", default=None,
              type=click.Path(dir_okay=False, path_type=Path),
              help="The scenario file (default: the one named in OUT/draw-record.json).")
@encoding_option
@handle_errors
def check(out: Path, scenario_path: Path | None, encoding: str | None):
    """Re-validate OUT/assignments.csv against every assignment rule, from the inputs.

    Independent of the planner's solver: reads the scenario, its inputs, OUT/sample.csv and
    OUT/assignments.csv again and tests each rule seat by seat. Prints "OK" and exits 0
    when every rule holds; otherwise lists each violation and exits 4.

    Example: planner check out/demo
    """
    from planner.assign.check import check_plan, scenario_path_from_record
    from planner.common.errors import VerificationError
    from planner.plan.pipeline import load

    path = scenario_path or scenario_path_from_record(out)
    loaded, inputs = load(path, encoding=encoding, progress=make_progress())
    report = check_plan(loaded, inputs, out)
    if not report.ok:
        raise VerificationError(report.summary_lines()[0], report.violations)
    for line in report.summary_lines():
        click.echo(line)


@cli.command()
@scenario_argument
@out_option
@encoding_option
@handle_errors
def export(scenario: Path, out: Path, encoding: str | None):
    """Write the Excel plans from the draw and assignment already in OUT.

    Writes OUT/plan.xlsx for the bureau (summary and whole plan) and the field workbooks
    OUT/teams/*.xlsx, split as [export] split_by says: team (the tasks of one lead
    inspector, 主检), district or none. Result columns are drop-down lists; plan columns are
    locked. planner run does this after the draw and the assignment.

    Example: planner export scenarios/demo.toml -o out/demo
    """
    from planner.plan.pipeline import load
    from planner.publish.export import export_stage

    loaded, inputs = load(scenario, encoding=encoding, progress=make_progress())
    result = export_stage(loaded, inputs, out, progress=make_progress())
    for line in result.summary_lines():
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
@handle_errors
def results(out: Path, filled: tuple[Path, ...], scenario_path: Path | None, today,
            holidays: Path | None, warn_days: int | None):
    """Check the filled field workbooks and write the disclosure (公示) and history.

    Every problem (unknown category, completion date outside the plan period, a plan column
    changed, a row missing or duplicated) is listed with workbook, sheet and row, and then
    nothing is written (exit 2). Otherwise writes OUT/disclosure.xlsx (抽查结果公告 and
    抽查任务公告), OUT/results.csv, OUT/discovery.csv (problems found / inspected per class)
    and OUT/history.csv (for next quarter's [inputs] history), and warns when the
    20-working-day publication deadline is near or past.

    Example: planner results out/demo filled/*.xlsx --today 2026-04-10
    """
    from planner.publish.results import import_results

    result = import_results(
        out, list(filled), scenario=scenario_path,
        today=today.date() if today else None, holidays=holidays, warn_days=warn_days,
        progress=make_progress(),
    )
    for line in result.summary_lines():
        click.echo(line)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)


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
@out_option
@handle_errors
def demo_data(preset: str, seed: str, partitions: int | None, size: int | None, out: Path):
    """Write a realistic synthetic directory, roster, avoidance list, history and scenario.

    The national preset writes the directory as a folder of Parquet partitions, one
    partition at a time (memory stays that of one partition), for planner draw
    --engine dask.

    Example: planner demo-data --preset city --seed 7 -o /tmp/city

    National example: planner demo-data --preset national --size 5000000 --partitions 10
    -o /data/national
    """
    if preset == "national":
        from planner.common.parquet import require_pyarrow
        from planner.demo.national import SIZE, write_national

        require_pyarrow()
        size = size or SIZE
        partitions = partitions or max(1, round(size / 1_000_000))
        if partitions > size:
            raise click.UsageError("--partitions must not exceed --size")
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
@encoding_option
@handle_errors
def simulate(scenario: Path, out: Path, ratios: tuple[str, ...], reps: int | None,
             optimise: bool, budget: int | None, floors: tuple[str, ...], encoding: str | None):
    """Simulate what candidate ratio sets (抽查比例) would find, before choosing one.

    For each ratio set and strategy - risk-weighted (the set itself), uniform (the same
    total drawn without regard to class) and optimised (the same total split to find the
    most problems) - prints and writes the expected problems found, the discovery rate
    (problems / inspections) with an interval, the share of all violators found and the
    inspections of compliant enterprises: OUT/simulation.csv, OUT/simulation.xlsx,
    OUT/simulation.png and OUT/prevalence.csv. Problem rates come from [simulation]
    prevalence or are estimated from a history with results.

    Example: planner simulate scenarios/chicago-replay.toml -o out/chicago
    --ratios 'strict: low=0.05,medium=0.2,high=0.6' --optimise --budget 3000
    --floor low=0.05,medium=0.05
    """
    from planner.simulate.stage import simulate_scenario

    result = simulate_scenario(scenario, out, ratios=ratios, reps=reps, optimise=optimise,
                               budget=budget, floors=floors, encoding=encoding,
                               progress=make_progress())
    echo_warnings(result.warnings)
    for line in result.summary_lines():
        click.echo(line)


def main() -> None:
    """Entry point of the ``planner`` console script."""
    cli(prog_name="planner")
