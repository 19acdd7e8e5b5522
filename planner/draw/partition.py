"""The draw's per-partition steps, for an engine that runs them where the data is.

A national directory (tens of millions of enterprises, handed over as Parquet partitions)
need not sit in one process. Each step below takes one partition and small broadcast
values, and returns something small, or something that adds up across partitions:

1. :func:`survey`: check the partition (:func:`planner.plan.inputs.check_enterprises`),
   decide eligibility (:func:`planner.draw.eligibility.assess`), label strata
   (:func:`planner.draw.quotas.stratum_labels`) and count them
   (:func:`planner.draw.quotas.stratum_counts`); also hash every id for the directory-wide
   duplicate check, and note which ids named by the other inputs it holds.
2. :func:`draw_part`: after the quotas are planned from the summed counts, ticket and order
   the partition's eligible enterprises (:func:`planner.draw.tickets.add_tickets`,
   :func:`~planner.draw.tickets.order_pool`) and keep each stratum's quota of lowest tickets
   (:func:`~planner.draw.tickets.quota_of`), exactly as the single-process draw does; the
   engine merges them with :func:`~planner.draw.tickets.merge_lowest`. The partition's
   ordered pool is kept compact (:class:`Run`) for ``eligible.csv``.

A problem's row is the record's position in its partition file, counting from 1 (see
:mod:`planner.common.parquet`). :mod:`planner.draw.distributed` runs these on Dask.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from planner.common import schema
from planner.common.errors import Problem
from planner.common.parquet import read_partition
from planner.draw import tickets
from planner.draw.eligibility import assess
from planner.draw.quotas import stratum_counts, stratum_labels
from planner.plan.inputs import check_enterprises
from planner.plan.scenario import Scenario

DUPLICATE = "duplicate enterprise id"


@dataclass
class Context:
    """What every partition task needs besides its partition: broadcast once.

    Attributes
    ----------
    scenario : Scenario
        The plan.
    columns : list of str
        The Parquet columns to read (as the first partition spells them).
    history : pandas.DataFrame
        Validated history (``enterprise_id``, ``date``), for the exclusion window and cap.
    inclusions : list of str
        Canonical ids of the mandatory-inclusion list.
    watched : frozenset of str
        Ids the other inputs name (avoidance, history, inclusions), to be found.
    """

    scenario: Scenario
    columns: list[str]
    history: pd.DataFrame
    inclusions: list[str] = field(default_factory=list)
    watched: frozenset = frozenset()


@dataclass
class Survey:
    """What :func:`survey` learns from one partition.

    Attributes
    ----------
    index, label : int, str
        The partition's position and its file's label.
    rows : int
        Records in the partition.
    problems : list of Problem
        Problems found (rows relative to the partition file), duplicates left out.
    excluded : dict
        Reason -> enterprises excluded.
    listed, eligible : int
        Eligible enterprises on the inclusion list; eligible enterprises.
    listed_inactive : list of str
        Inactive ids on the inclusion list.
    counts : pandas.DataFrame
        :func:`planner.draw.quotas.stratum_counts` of the eligible enterprises.
    hashes : numpy.ndarray
        64-bit hash of each non-empty id, for the duplicate check.
    found : list of str
        The watched ids present.
    """

    index: int
    label: str
    rows: int
    problems: list[Problem]
    excluded: dict[str, int]
    listed: int
    eligible: int
    listed_inactive: list[str]
    counts: pd.DataFrame
    hashes: np.ndarray
    found: list[str]


@dataclass
class Run:
    """A partition's eligible enterprises in draw order, compact: stratum code, t0, id.

    ``code`` indexes the directory-wide sorted list of stratum labels; rows are sorted by
    (code, full digest), so that ``t0`` ties are already in exact order within the run.
    """

    code: np.ndarray
    t0: np.ndarray
    ids: np.ndarray

    def slice(self, lo: int, hi: int) -> Run:
        """Return the rows whose stratum code is in ``[lo, hi)``."""
        a, b = np.searchsorted(self.code, [lo, hi], side="left")
        return Run(self.code[a:b], self.t0[a:b], self.ids[a:b])


def load_part(file: str | Path, label: str, ctx: Context) -> pd.DataFrame:
    """Read one partition file and check it: the frame of :func:`check_enterprises`.

    Returns the checked frame with its problems in ``frame.attrs["problems"]``.
    """
    raw = read_partition(file, label, columns=ctx.columns)
    frame, problems = schema.map_headers(raw, schema.ENTERPRISE_COLUMNS, label)
    frame["row"] = np.arange(2, len(frame) + 2)
    checked, found = check_enterprises(frame, ctx.scenario.scheme(), label,
                                       ctx.scenario.inputs.accept_legacy_ids)
    problems = [p for p in problems + found if p.row != 1]  # headers: checked once
    checked.attrs["problems"] = [_record_row(p) for p in problems
                                 if not p.message.startswith(DUPLICATE)]
    return checked


def eligible_pool(checked: pd.DataFrame, ctx: Context):
    """Return the partition's eligibility and eligible enterprises with their strata."""
    elig = assess(checked, ctx.history, ctx.scenario, ctx.inclusions)
    keep = elig.eligible
    pool = checked.loc[keep, ["enterprise_id", "name", "risk_class", "risk_rank",
                              "district"]].reset_index(drop=True)
    pool["listed"] = elig.listed[keep]
    pool["stratum"] = stratum_labels(pool["risk_class"], pool["district"],
                                     pool["listed"].to_numpy(), ctx.scenario.sampling.spread_over)
    return elig, pool


def survey(checked: pd.DataFrame, index: int, label: str, ctx: Context) -> Survey:
    """Survey one checked partition (step 1; see the module's description).

    Parameters
    ----------
    checked : pandas.DataFrame
        From :func:`load_part`.
    index : int
        The partition's position.
    label : str
        Its file's label.
    ctx : Context
        Broadcast values.

    Returns
    -------
    Survey
        Counts, problems, id hashes and the watched ids found.
    """
    problems = checked.attrs.get("problems", [])
    ids = checked["enterprise_id"]
    nonempty = ids.to_numpy(dtype=object)[(ids != "").to_numpy()]
    hashes = pd.util.hash_array(nonempty) if len(nonempty) else np.array([], np.uint64)
    found = ids[ids.isin(ctx.watched)].tolist() if ctx.watched else []
    if any(p.severity == "error" for p in problems):
        counts = pd.DataFrame(columns=["risk_class", "stratum", "district", "listed", "n"])
        return Survey(index, label, len(checked), problems, {}, 0, 0, [], counts, hashes, found)
    elig, pool = eligible_pool(checked, ctx)
    return Survey(index, label, len(checked), problems, dict(elig.excluded),
                  int(elig.listed.sum()), int(elig.eligible.sum()), list(elig.listed_inactive),
                  stratum_counts(pool), hashes, found)


def duplicate_rows(checked: pd.DataFrame, label: str, hashes: set) -> list[tuple[str, str, int]]:
    """Return ``(id, label, record row)`` of the partition's ids whose hash is in ``hashes``."""
    ids = checked["enterprise_id"].to_numpy(dtype=object)
    if not len(ids) or not hashes:
        return []
    hit = np.isin(pd.util.hash_array(ids), np.fromiter(hashes, dtype=np.uint64)) & (ids != "")
    return [(ids[p], label, int(p) + 1) for p in np.flatnonzero(hit)]


def draw_part(
    checked: pd.DataFrame, ctx: Context, quotas: dict[str, int], strata: list[str]
) -> tuple[pd.DataFrame, Run]:
    """Ticket, order and cut one partition (step 2; see the module's description).

    Parameters
    ----------
    checked : pandas.DataFrame
        From :func:`load_part`.
    ctx : Context
        Broadcast values.
    quotas : dict
        Stratum -> how many to draw, planned from the summed counts.
    strata : list of str
        Every stratum label of the directory, sorted (the codes of :class:`Run`).

    Returns
    -------
    tuple
        The partition's lowest tickets per stratum (pool columns, ``t0..t3``, ``rank``
        within the partition), and its :class:`Run`.
    """
    _, pool = eligible_pool(checked, ctx)
    pool = pool.drop(columns=["district", "listed"])
    pool = tickets.add_tickets(pool, ctx.scenario.plan.seed, canonical=True)
    ordered = tickets.order_pool(pool)
    lowest = ordered[ordered["rank"].to_numpy() <= tickets.quota_of(ordered["stratum"], quotas)]
    lowest = lowest.assign(stratum=lowest["stratum"].astype(str)).reset_index(drop=True)
    position = {label: i for i, label in enumerate(strata)}
    codes, labels = tickets.stratum_codes(ordered["stratum"])
    code = np.array([position[label] for label in labels], dtype=np.int32)[codes] \
        if len(codes) else np.array([], np.int32)
    ids = ordered["enterprise_id"].to_numpy(dtype=object)  # canonical since load_part
    try:
        packed = ids.astype("S") if len(ids) else np.array([], "S1")
    except UnicodeEncodeError:  # not a credit code; kept as text
        packed = ids
    return lowest, Run(code, ordered["t0"].to_numpy(dtype=np.uint64), packed)


def _record_row(problem: Problem) -> Problem:
    """Renumber a partition problem's row from ``record + 2`` to the record's position."""
    if problem.row is None or problem.row < 2:
        return problem
    return replace(problem, row=problem.row - 1)
