"""The draw on Dask (``planner draw --engine dask``): a national directory, partition by partition.

The directory is a Parquet folder; Dask reads it as a ``dask.dataframe`` (one partition per
file, only the columns the plan uses) and runs the per-partition steps of
:mod:`planner.draw.partition` on a ``dask.distributed`` cluster:

1. every partition is checked, its eligibility decided and its strata counted; the id hashes
   of all partitions are compared for duplicates, and the other inputs' enterprise ids are
   looked up; any error stops here, naming the partition file and record;
2. the quotas are planned once from the summed counts, exactly as the single-process draw
   plans them;
3. every partition is ticketed and ordered, and keeps each stratum's quota of lowest
   tickets; those are merged ("the n lowest of the partitions' n lowest");
4. ``eligible.csv`` is written in draw order, a few strata at a time, from the compact
   ordered runs the workers keep.

A partition is read again for step 3 rather than kept, so a worker's memory depends on the
partition size, not on the directory size. The files written (``sample.csv``,
``eligible.csv``, ``draw-record.json``) are byte for byte those of the single-process draw
on the same data, and ``planner verify`` checks them the same way.

Without a scheduler address a local cluster is started (:data:`LOCAL_WORKERS` workers of one
thread each, :data:`LOCAL_MEMORY` each).
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from planner.common import schema
from planner.common.errors import InputError, PlannerError, Problem, ScenarioError
from planner.common.io import atomic_path, read_table, sha256_file, write_csv_atomic
from planner.common.keys import IdIndex
from planner.common.parquet import is_parquet, part_label, partition_files, read_partition
from planner.draw import partition as part
from planner.draw import record as rec
from planner.draw import tickets
from planner.draw.compute import Draw, DrawResult, sample_frame
from planner.draw.eligibility import (
    INACTIVE,
    INCLUSION_COLUMNS,
    cap_reason,
    read_inclusions,
    window_reason,
)
from planner.draw.quotas import add_counts, quotas_from_counts, roster_capacity
from planner.plan.inputs import (
    Inputs,
    canonical_ids,
    check_refs,
    load_inputs,
    needed_columns,
    relative_label,
)
from planner.plan.scenario import Scenario, class_table

LOCAL_WORKERS = 2
LOCAL_MEMORY = "3GiB"
BATCH_ROWS = 2_000_000  # eligible.csv is assembled this many rows at a time
INSTALL_HINT = ('--engine dask needs the dask extra: pip install -e ".[dask]" in a planner '
                'checkout, or pip install "spotcheck-planner[dask]"')


@dataclass
class CountedEligibility:
    """The eligibility of a distributed draw: the counts, not a row per enterprise.

    Offers what the record and the summary read from
    :class:`planner.draw.eligibility.Eligibility`.
    """

    directory: int
    eligible_count: int
    listed_count: int
    mandatory_classes: list[str] = field(default_factory=list)
    excluded: dict[str, int] = field(default_factory=dict)
    listed_inactive: list[str] = field(default_factory=list)

    def totals(self) -> tuple[int, int, int]:
        """Return the directory size, the eligible and the listed counts."""
        return self.directory, self.eligible_count, self.listed_count


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, *, workers: int = LOCAL_WORKERS,
                memory_limit: str = LOCAL_MEMORY) -> Iterator:
    """Yield a ``distributed.Client``: to ``scheduler``, or to a new local cluster.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler (``tcp://host:8786``); a local cluster when omitted.
    workers : int
        Workers of a local cluster (one thread each).
    memory_limit : str
        Memory limit of each local worker (Dask spills, then pauses, near it).

    Yields
    ------
    distributed.Client
        The client; closed (and the local cluster stopped) on exit.

    Raises
    ------
    PlannerError
        When dask is not installed or the scheduler cannot be reached.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise PlannerError(INSTALL_HINT) from None
    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except OSError as exc:
            raise PlannerError(f"--scheduler {scheduler}: cannot reach the Dask scheduler "
                               f"({exc}); start one with `dask scheduler`") from None
        with client:
            yield client
        return
    with LocalCluster(n_workers=workers, threads_per_worker=1, memory_limit=memory_limit,
                      processes=True, dashboard_address=":0") as cluster, Client(cluster) as client:
        yield client


def dask_draw_stage(
    scenario: Scenario,
    out: Path,
    *,
    scheduler: str | None = None,
    encoding: str | None = None,
    progress=None,
    warn=None,
    client=None,
) -> DrawResult:
    """Draw on Dask and write the draw's files (see the module's description).

    Parameters
    ----------
    scenario : Scenario
        The plan; ``[inputs] enterprises`` must be a Parquet file or folder.
    out : pathlib.Path
        Output folder.
    scheduler : str, optional
        Dask scheduler address; a local cluster when omitted.
    encoding : str, optional
        CSV encoding of the other inputs.
    progress : callable, optional
        Progress reporter.
    warn : callable, optional
        Called with the input warnings (problems that do not stop the draw).
    client : distributed.Client, optional
        Use this client instead of connecting (``scheduler`` is then ignored).

    Returns
    -------
    DrawResult
        With ``summary_lines()``, as :func:`planner.app.draw.draw_stage` returns.

    Raises
    ------
    InputError
        With every problem of every partition and input, when there is an error.
    ScenarioError
        When the directory is not Parquet, or the scenario asks for what this engine does
        not do (weighted selection).
    InfeasiblePlanError
        When the roster cannot staff the allocation.
    """
    if client is None:
        with dask_client(scheduler) as own:
            return dask_draw_stage(scenario, out, encoding=encoding, progress=progress,
                                   warn=warn, client=own)
    say = progress or (lambda _message: None)
    out = Path(out)
    _check_engine_fits(scenario, out)
    side = load_inputs(scenario, encoding=encoding, progress=progress, directory=False)
    root = scenario.inputs.enterprises
    label = relative_label(root)
    files = partition_files(root)
    labels = [part_label(root, f, label) for f in files]
    columns = _columns(scenario, files[0], labels[0])
    inclusions = _inclusion_ids(scenario)
    watched = frozenset(side.avoidance["enterprise_id"]) | frozenset(side.history["enterprise_id"]) \
        | frozenset(inclusions)
    ctx = part.Context(scenario, columns, side.history[["enterprise_id", "date"]], inclusions,
                       watched)
    [ctx_future] = client.scatter([ctx], broadcast=True)
    checked = _checked_partitions(files, labels, ctx_future)

    say(f"draw on dask: checking {len(files)} partition(s)")
    surveys = client.gather(client.compute([_delayed(part.survey)(c, i, lab, ctx_future)
                                            for i, (c, lab) in enumerate(zip(checked, labels,
                                                                             strict=True))]))
    problems = [p for s in surveys for p in s.problems]
    problems += _duplicates(client, surveys, checked)
    problems += _references(side, surveys, scenario, inclusions)
    warnings = side.warnings + [p for p in problems if p.severity != "error"]
    if any(p.severity == "error" for p in problems):
        raise InputError(side.warnings + problems)

    say("draw on dask: quotas")
    elig = _eligibility(surveys, scenario)
    counts = add_counts([s.counts for s in surveys])
    capacity = roster_capacity(side.inspectors, scenario.assignment.team_size)
    quotas = quotas_from_counts(counts, scenario, capacity, elig.mandatory_classes)
    strata = sorted(set(counts["stratum"]))

    say(f"draw on dask: tickets for {elig.eligible_count:,} eligible enterprises")
    results = client.compute([_delayed(part.draw_part)(c, ctx_future, quotas.quota(), strata)
                              for c in checked])
    lowest = client.gather([client.submit(_first, r, pure=False) for r in results])
    runs = [client.submit(_second, r, pure=False) for r in results]
    merged = tickets.merge_lowest(lowest, quotas.quota())
    original = _finish(merged, scenario.plan.seed)

    draw = Draw(scenario, elig, quotas, pd.DataFrame(index=pd.RangeIndex(elig.eligible_count)),
                original, dict(side.files) | {"enterprises": root},
                dict(side.hashes) | {"enterprises": sha256_file(root)},
                names=np.array([], dtype=object), scenario_sha256=sha256_file(scenario.path))
    if scenario.sampling.inclusions is not None:
        draw.files["inclusions"] = scenario.sampling.inclusions
        draw.hashes["inclusions"] = sha256_file(scenario.sampling.inclusions)
    draw.files = {k: draw.files[k] for k in [*_INPUT_ORDER, "inclusions"] if k in draw.files}
    say("draw on dask: writing eligible.csv")
    out.mkdir(parents=True, exist_ok=True)
    draw.pool_sha256 = _write_pool(client, runs, strata, counts, scenario.plan.seed,
                                   out / rec.POOL_NAME)
    write_csv_atomic(out / rec.SAMPLE_NAME, sample_frame(draw))
    rec.write_record(rec.build_record(draw, out), out)
    if warn is not None:
        warn(warnings)
    return DrawResult(draw, out)


_INPUT_ORDER = ("enterprises", "inspectors", "avoidance", "history", "items")


def _delayed(func):
    import dask

    return dask.delayed(func, pure=True)


def _first(pair):
    return pair[0]


def _second(pair):
    return pair[1]


def _check_engine_fits(scenario: Scenario, out: Path) -> None:
    root = scenario.inputs.enterprises
    if root is None or not is_parquet(root):
        raise ScenarioError("--engine dask reads the directory from Parquet: give a .parquet "
                            "file or a folder of partitions (planner demo-data --preset national "
                            "writes one)", key="inputs.enterprises", file=scenario.label)
    if scenario.sampling.weight_by:
        raise ScenarioError("weighted selection is drawn by the single-process engine only; "
                            "run without --engine dask", key="sampling.weight_by",
                            file=scenario.label)
    if scenario.inputs.scores is not None:
        raise ScenarioError("learned scores are joined by the single-process engine only; "
                            "run without --engine dask", key="inputs.scores",
                            file=scenario.label)
    if scenario.sampling.targets:
        raise ScenarioError("targeted draws (定向抽查) are drawn by the single-process engine "
                            "only; run without --engine dask", key="sampling.targets",
                            file=scenario.label)
    try:
        previous = rec.read_record(out)
    except InputError:
        return
    if previous.get("replacements"):
        raise InputError(f"{out} holds a draw with replacements, which --engine dask does not "
                         "carry over; draw into a new folder, or run without --engine dask",
                         file=str(out / rec.RECORD_NAME))


def _columns(scenario: Scenario, first: Path, label: str) -> list[str]:
    """Return the columns to read, checking the first partition's header once."""
    keep = needed_columns(scenario, "enterprises")
    raw = read_partition(first, label, keep=keep).iloc[:0]
    _, problems = schema.map_headers(raw, schema.ENTERPRISE_COLUMNS, label)
    if any(p.severity == "error" for p in problems):
        raise InputError(problems)
    return list(raw.columns)


def _checked_partitions(files: list[Path], labels: list[str], ctx) -> list:
    """Return the directory as a dask DataFrame of checked partitions, one delayed per file."""
    import dask.dataframe as dd

    frame = dd.from_map(part.load_part, [str(f) for f in files], labels, args=[ctx],
                        enforce_metadata=False, meta=_meta())
    return frame.to_delayed()


def _meta() -> pd.DataFrame:
    columns = [c.name for c in schema.ENTERPRISE_COLUMNS] + ["row", "risk_class", "risk_rank",
                                                              "active"]
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def _inclusion_ids(scenario: Scenario) -> list[str]:
    path = scenario.sampling.inclusions
    if path is None:
        return []

    label = relative_label(path)
    frame, problems = schema.map_headers(read_table(path, label=label), INCLUSION_COLUMNS, label)
    if any(p.severity == "error" for p in problems):
        raise InputError(problems)
    ids = canonical_ids(frame["enterprise_id"])
    return list(dict.fromkeys(i for i in ids if i))


def _duplicates(client, surveys: list[part.Survey], checked: list) -> list[Problem]:
    """Report every repeated id across the directory, naming where it was first given."""
    hashes = np.concatenate([s.hashes for s in surveys]) if surveys else np.array([], np.uint64)
    for s in surveys:
        s.hashes = np.array([], np.uint64)  # 8 bytes an enterprise: kept once, here
    if len(hashes) < 2:
        return []
    hashes.sort()
    repeated = set(np.unique(hashes[1:][hashes[1:] == hashes[:-1]]).tolist())
    if not repeated:
        return []
    found = client.gather(client.compute([
        _delayed(part.duplicate_rows)(c, s.label, repeated) for c, s in zip(checked, surveys,
                                                                             strict=True)]))
    first: dict[str, tuple[str, int]] = {}
    problems = []
    for rows in found:
        for value, label, row in rows:
            if value not in first:
                first[value] = (label, row)
                continue
            where, at = first[value]
            place = f"row {at}" if where == label else f"{where}, row {at}"
            problems.append(Problem(label, f"{part.DUPLICATE}; first given in {place}", row=row,
                                    column="enterprise_id", value=value))
    return problems


def _references(side: Inputs, surveys: list[part.Survey], scenario: Scenario,
                inclusions: list[str]) -> list[Problem]:
    """Check the avoidance list, history and inclusion list against the whole directory."""
    found = sorted({i for s in surveys for i in s.found})
    known = {"enterprise_id": IdIndex(pd.Series(found, dtype=object)), "inspector_id": None}
    problems: list[Problem] = []
    for name, severity in (("avoidance", "error"), ("history", "warning")):
        if name in side.files:
            _, p = check_refs(getattr(side, name), known, relative_label(side.files[name]),
                              severity=severity)
            problems += [q for q in p if q.column == "enterprise_id"
                         and q.message.startswith("names an")]
    if scenario.sampling.inclusions is not None:
        try:
            read_inclusions(scenario.sampling.inclusions, pd.DataFrame({"enterprise_id": found}),
                            label=relative_label(scenario.sampling.inclusions))
        except InputError as exc:
            problems += exc.problems
    return problems


def _eligibility(surveys: list[part.Survey], scenario: Scenario) -> CountedEligibility:
    sampling = scenario.sampling
    order = [INACTIVE]
    if sampling.exclusion_days is not None:
        order.append(window_reason(sampling.exclusion_days))
    order.append(cap_reason())
    totals: dict[str, int] = {}
    for s in surveys:
        for reason, n in s.excluded.items():
            totals[reason] = totals.get(reason, 0) + n
    mandatory = []
    if sampling.mode == "ratios":
        ratios = class_table(sampling.ratios, scenario.scheme())
        mandatory = [c for c, r in ratios.items() if r >= 1.0]
    return CountedEligibility(
        directory=sum(s.rows for s in surveys),
        eligible_count=sum(s.eligible for s in surveys),
        listed_count=sum(s.listed for s in surveys),
        mandatory_classes=mandatory,
        excluded={r: totals[r] for r in order if totals.get(r)},
        listed_inactive=[i for s in surveys for i in s.listed_inactive],
    )


def _finish(rows: pd.DataFrame, seed: str) -> pd.DataFrame:
    """Add ``digest`` and ``ticket`` to the drawn rows (as :meth:`Draw.finish` does)."""
    rows = rows.copy()
    digests = [tickets.digest_hex(seed, e) for e in rows["enterprise_id"]]
    rows["digest"] = digests
    rows["ticket"] = [tickets.hex_to_ticket(d) for d in digests]
    rows["stratum"] = rows["stratum"].astype(str)
    return rows


def _batches(strata: list[str], counts: pd.DataFrame) -> list[tuple[int, int]]:
    """Cut the stratum codes into ranges of at most about :data:`BATCH_ROWS` enterprises."""
    sizes = counts.groupby("stratum")["n"].sum()
    batches, lo, rows = [], 0, 0
    for code, label in enumerate(strata):
        n = int(sizes.get(label, 0))
        if rows and rows + n > BATCH_ROWS:
            batches.append((lo, code))
            lo, rows = code, 0
        rows += n
    if lo < len(strata):
        batches.append((lo, len(strata)))
    return batches


def _write_pool(client, runs: list, strata: list[str], counts: pd.DataFrame, seed: str,
                target: Path) -> str:
    """Write ``eligible.csv`` from the workers' runs, a batch of strata at a time.

    Returns the file's SHA-256. The text is what :func:`planner.draw.compute.pool_csv` gives.
    """
    digest = hashlib.sha256()
    names = [_csv_field(s) for s in strata]
    with atomic_path(target) as tmp, open(tmp, "wb") as fh:
        def emit(text: str) -> None:
            data = text.encode("utf-8")
            digest.update(data)
            fh.write(data)

        emit("enterprise_id,stratum\n")
        for lo, hi in _batches(strata, counts):
            pieces = client.gather([client.submit(part.Run.slice, r, lo, hi, pure=False)
                                    for r in runs])
            code = np.concatenate([p.code for p in pieces])
            t0 = np.concatenate([p.t0 for p in pieces])
            ids = np.concatenate([p.ids.astype("U") for p in pieces]).astype(object)
            order = _exact_order(code, t0, ids, seed)
            code, ids = code[order], ids[order]
            starts = np.flatnonzero(np.r_[True, code[1:] != code[:-1]]) if len(code) else []
            ends = [*starts[1:], len(code)]
            for a, b in zip(starts, ends, strict=True):
                suffix = f",{names[code[a]]}\n"
                emit(suffix.join(ids[a:b].tolist()) + suffix)
    return digest.hexdigest()


def _exact_order(code: np.ndarray, t0: np.ndarray, ids: np.ndarray, seed: str) -> np.ndarray:
    """Order rows by (stratum code, full digest); the digest's other words only on t0 ties."""
    order = np.lexsort((t0, code))
    c, t = code[order], t0[order]
    if len(order) > 1 and ((c[1:] == c[:-1]) & (t[1:] == t[:-1])).any():
        words = tickets.ticket_words(ids.tolist(), seed, canonical=True)
        order = np.lexsort((words[:, 3], words[:, 2], words[:, 1], words[:, 0], code))
    return order


def _csv_field(text: str) -> str:
    """Quote a CSV field as pandas' ``to_csv`` does (only where needed)."""
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text
