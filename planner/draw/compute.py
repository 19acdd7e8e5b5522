"""The first random of 双随机: a risk-weighted draw that anyone can recompute.

:func:`compute_draw` runs the steps in order - eligibility (:mod:`planner.draw.eligibility`),
per-class allocation and per-stratum quotas (:mod:`planner.draw.quotas`), tickets and the
``n`` lowest per stratum (:mod:`planner.draw.tickets`) - and returns a :class:`Draw` in memory.
:mod:`planner.app.draw` writes it into the plan folder (``planner draw``, stage 1 of
``planner run``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from planner.common.errors import InputError, Problem, ScenarioError
from planner.common.io import sha256_file
from planner.draw import targets, tickets
from planner.draw.eligibility import Eligibility, assess, read_inclusions
from planner.draw.quotas import Quotas, plan_quotas, roster_capacity, stratum_labels
from planner.plan import folder
from planner.plan.inputs import Inputs
from planner.plan.items import plan_items
from planner.plan.scenario import Scenario, class_table
from planner.plan.seeds import require_seed
from planner.plan.targets import read_targets, stratum_label

SAMPLE_COLUMNS = ("enterprise_id", "name", "risk_class", "stratum", "ticket", "rank")
WEIGHT_KEY = "weight_key"


@dataclass
class Draw:
    """A computed draw, before or after replacements.

    Attributes
    ----------
    scenario : Scenario
        The plan.
    eligibility : Eligibility
        Per-row eligibility and excluded counts.
    quotas : Quotas
        Per-class allocation and per-stratum quotas.
    pool : pandas.DataFrame
        Every eligible enterprise in draw order: ``enterprise_id``, ``risk_class``,
        ``risk_rank``, ``src`` (its row in the directory), ``stratum`` (categorical),
        ``t0..t3``, ``rank`` (and ``weight_key`` when weighted).
    original : pandas.DataFrame
        The drawn rows (pool rows with ``rank <= quota``) plus ``name``, ``ticket`` and
        ``digest``.
    replacements : list of dict
        Replacements applied, in order.
    files, hashes : dict
        Input name -> path and SHA-256 (the inclusion list included).
    names : numpy.ndarray or pandas.api.extensions.ExtensionArray
        Enterprise names of the directory, by row (``pool["src"]`` points into it); only the
        rows drawn are ever read.
    """

    scenario: Scenario
    eligibility: Eligibility
    quotas: Quotas
    pool: pd.DataFrame
    original: pd.DataFrame
    files: dict[str, Path]
    hashes: dict[str, str]
    names: np.ndarray | pd.api.extensions.ExtensionArray
    replacements: list[dict] = field(default_factory=list)
    scenario_sha256: str = ""
    pool_sha256: str = ""
    commitment: dict | None = None

    def pool_rows(self) -> int:
        """Return how many enterprises were eligible (the rows of ``eligible.csv``)."""
        return len(self.pool)

    def ticket_rule(self) -> str:
        """Return the selection rule, as written in the record."""
        rule = f"ticket = {tickets.TICKET_FORMULA}; the n lowest per stratum"
        w = self.scenario.sampling.weight_by
        if w:
            rule += f", ordered by -log1p(-ticket) / {w} (weighted, Efraimidis-Spirakis)"
            e = self.scenario.sampling.exploration
            if e:
                rule += (f"; the first ceil({e:g} x n) of each stratum by the ticket alone "
                         "(exploration)")
        return rule

    def sample(self) -> pd.DataFrame:
        """Return the current sample: the original draw with the replacements applied."""
        gone = {r["enterprise_id"] for r in self.replacements}
        added = [r["replaced_by"] for r in self.replacements if r["replaced_by"]]
        rows = self.original[~self.original["enterprise_id"].isin(gone)]
        if added:
            extra = self.pool[self.pool["enterprise_id"].isin(added)
                              & ~self.pool["enterprise_id"].isin(gone)]
            rows = pd.concat([rows, self.finish(extra)], ignore_index=True)
        return rows.sort_values(["risk_rank", "stratum", "rank"], kind="stable",
                                ignore_index=True)

    def finish(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Return pool rows with ``name``, ``digest`` (hex) and ``ticket`` (exact float).

        The digest is written out from the words the rows were ordered by (``planner verify``
        hashes every id again on its own).
        """
        rows = rows.copy()
        rows["name"] = np.asarray(self.names.take(rows["src"].to_numpy(dtype=np.int64)),
                                  dtype=object)
        digests = tickets.words_to_hex(rows[list(tickets.WORDS)].to_numpy(dtype=np.uint64))
        rows["digest"] = digests
        rows["ticket"] = [tickets.hex_to_ticket(d) for d in digests]
        rows["stratum"] = rows["stratum"].astype(str)
        return rows


@dataclass
class DrawResult:
    """What the draw stage (:func:`planner.app.draw.draw_stage`) did, for ``planner run`` to print."""

    draw: Draw
    out: Path
    carried: int = 0
    dropped: int = 0
    added: list[dict] = field(default_factory=list)

    def summary_lines(self) -> list[str]:
        """Return the draw's summary for a terminal."""
        return summary_lines(self)


def compute_draw(scenario: Scenario, inputs: Inputs, *, progress=None) -> Draw:
    """Compute the draw in memory: eligibility, allocation, tickets, n lowest per stratum.

    Parameters
    ----------
    scenario : Scenario
        The plan (seed, sampling rules).
    inputs : Inputs
        Validated inputs of the same scenario.
    progress : callable, optional
        Called with a short text before each step.

    Returns
    -------
    Draw
        The draw without replacements.

    Raises
    ------
    InputError
        When the inclusion list or the weight column is wrong.
    ScenarioError
        When a key names something the inputs lack (e.g. a missing weight column).
    InfeasiblePlanError
        When the roster cannot staff the allocation (and scaling down is off).
    """
    require_seed(scenario)
    ent = inputs.enterprises
    elig, quotas, pool, files, hashes = eligible_strata(scenario, inputs, progress=progress)
    keep = elig.eligible
    if progress:
        progress(f"draw: tickets for {len(pool):,} eligible enterprises")
    pool = tickets.add_tickets(pool, scenario.plan.seed, canonical=True,
                               words=_words_ahead(inputs, scenario.plan.seed, pool["src"]))
    key = None
    if scenario.sampling.weight_by:
        weights = _weights(ent, keep, scenario, inputs)
        exact = [tickets.hex_to_ticket(h) for h in tickets.words_to_hex(
            pool[list(tickets.WORDS)].to_numpy())]
        pool[WEIGHT_KEY] = explore_first(tickets.weighted_key(np.array(exact), weights),
                                         np.array(exact), pool["stratum"], quotas, scenario)
        key = WEIGHT_KEY
    if progress:
        progress("draw: n lowest tickets per stratum")
    pool = tickets.order_pool(pool, key)
    limit = tickets.quota_of(pool["stratum"], quotas.quota())
    draw = Draw(scenario, elig, quotas, pool, pool.iloc[:0], files, hashes,
                names=ent["name"].array,
                scenario_sha256=sha256_file(scenario.path))
    draw.original = draw.finish(pool[pool["rank"].to_numpy() <= limit])
    return draw


def _words_ahead(inputs: Inputs, seed: str, rows: pd.Series) -> np.ndarray | None:
    """Return the ticket words of these directory rows, if they were hashed ahead under this seed."""
    ahead = inputs.tickets_ahead
    if ahead is None or ahead.seed != seed or ahead.count != len(inputs.enterprises):
        return None
    digests = ahead.result()
    return None if digests is None else tickets.words_of(digests)[rows.to_numpy(dtype=np.int64)]


def eligible_strata(scenario: Scenario, inputs: Inputs, *, progress=None):
    """Return what the draw fixes before the seed: eligibility, quotas and the strata.

    Nothing here depends on the seed, so ``planner commit`` can fix it before the seed exists.

    Parameters
    ----------
    scenario : Scenario
        The plan (its seed is not used).
    inputs : Inputs
        Validated inputs of the same scenario.
    progress : callable, optional
        Called with a short text before each step.

    Returns
    -------
    tuple
        ``(eligibility, quotas, pool, files, hashes)``: the pool holds every eligible
        enterprise with ``enterprise_id``, ``risk_class``, ``risk_rank``, ``src`` and
        ``stratum``; files and hashes map each input (the inclusion list too) to its path
        and SHA-256.

    Raises
    ------
    InputError
        When the inclusion list is wrong.
    InfeasiblePlanError
        When the roster cannot staff the allocation (and scaling down is off).
    """
    ent = inputs.enterprises
    files = dict(inputs.files)
    hashes = dict(inputs.hashes)
    inclusions = None
    if scenario.sampling.inclusions is not None:
        path = scenario.sampling.inclusions
        files["inclusions"], hashes["inclusions"] = path, sha256_file(path)
        inclusions = read_inclusions(path, ent)
    if progress:
        progress("draw: eligibility")
    items = plan_items(scenario, inputs.items)
    applies = items.applies(ent["category"]) if items.by_category else None
    elig = assess(ent, inputs.history, scenario, inclusions, applies)
    keep = elig.eligible
    columns = ["enterprise_id", "risk_class", "risk_rank", "district"]
    pool = ent.loc[keep, columns].reset_index(drop=True)
    pool["src"] = np.flatnonzero(keep)
    pool["listed"] = elig.listed[keep]
    pool["stratum"] = stratum_labels(pool["risk_class"], pool["district"],
                                     pool["listed"].to_numpy(), scenario.sampling.spread_over)
    capacity = roster_capacity(inputs.inspectors, scenario.assignment.team_size)
    pool, targeted = _targeted(pool, ent, scenario)
    regular = pool if targeted is None else pool[pool["target"] < 0]
    quotas = plan_quotas(regular, scenario, capacity, elig.mandatory_classes, targeted)
    if targeted is not None:
        pool = _target_labels(pool, scenario)
    pool = pool.drop(columns=["district", "listed"])
    return elig, quotas, pool, files, hashes


def _targeted(pool: pd.DataFrame, ent: pd.DataFrame, scenario: Scenario):
    """Mark each pool row with its target (``target``, -1 for none) and return the strata.

    Returns the pool unchanged and None when the plan has no ``[[sampling.targets]]``.
    Enterprises on the inclusion list stay in their ``included`` stratum.
    """
    found = read_targets(scenario.sampling.targets, scenario.scheme(), scenario.label,
                                 scenario.sampling.filter_columns)
    if not found:
        return pool, None
    targets.check_columns(scenario, ent.columns)
    rows = ent.iloc[pool["src"].to_numpy()].reset_index(drop=True)
    which = targets.match(found, rows)
    which[pool["listed"].to_numpy(dtype=bool)] = -1
    pool = pool.assign(target=which)
    hit = which >= 0
    strata = targets.target_strata(found, pool["risk_class"][hit], which[hit],
                                   list(scenario.scheme().classes))
    return pool, strata


def _target_labels(pool: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """Give the targeted rows their ``NAME/CLASS`` strata; drop the ``target`` column."""
    names = [t["name"].strip() for t in scenario.sampling.targets]
    labels = pool["stratum"].astype(str).to_numpy(dtype=object)
    which = pool["target"].to_numpy()
    for k in np.flatnonzero(which >= 0):
        labels[k] = stratum_label(names[which[k]], pool["risk_class"].iat[k])
    pool = pool.drop(columns=["target"])
    pool["stratum"] = pd.Categorical(labels, categories=sorted(set(labels)))
    return pool


def explore_first(key: np.ndarray, exact: np.ndarray, strata: pd.Series, quotas,
                  scenario: Scenario) -> np.ndarray:
    """Return the weighted key with each stratum's exploration share drawn by ticket alone.

    With ``[sampling] exploration = e``, the ``ceil(e * n)`` lowest tickets of a stratum that
    draws ``n`` come first (their key is ``ticket - 1``, below every weighted key, in ticket
    order); the rest of the stratum follows by the weighted key. Every eligible enterprise of
    the stratum is then drawn with probability at least ``ceil(e * n) / eligible``, which
    must reach the class's ``[sampling] floors``.

    Raises
    ------
    ScenarioError
        When that probability is below the class's floor.
    """
    e = scenario.sampling.exploration
    if not e:
        return key
    quota = quotas.quota()
    labels = strata.astype(str).to_numpy(dtype=object)
    order = np.lexsort((exact, labels))
    sorted_labels = labels[order]
    starts = np.r_[0, np.flatnonzero(sorted_labels[1:] != sorted_labels[:-1]) + 1]
    floors = class_table(scenario.sampling.floors, scenario.scheme())
    out = key.copy()
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(order)
        stratum = sorted_labels[start]
        n = int(quota.get(stratum, 0))
        explore = min(math.ceil(e * n - 1e-9), end - start)
        floor = floors.get(quotas.strata[stratum]["class"], 0.0) if stratum in quotas.strata else 0
        if end > start and explore / (end - start) < floor - 1e-12:
            raise ScenarioError(
                f"stratum {stratum}: the exploration share draws {explore} of {end - start} "
                f"eligible at random, a chance of {explore / (end - start):.4f}, below the "
                f"floor {floor:g} of its class; raise exploration or the class's ratio",
                key="sampling.exploration", file=scenario.label)
        first = order[start:start + explore]
        out[first] = exact[first] - 1.0
    return out


def _weights(ent: pd.DataFrame, keep: np.ndarray, scenario: Scenario, inputs: Inputs):
    column = scenario.sampling.weight_by
    if column not in ent.columns:
        raise ScenarioError(
            f"the enterprises file has no column {column!r}; name a numeric column such as "
            "points (积分) or score", key="sampling.weight_by", file=scenario.label)
    raw = ent.loc[keep, column].astype(str)
    values = pd.to_numeric(raw, errors="coerce")
    label = str(inputs.files.get("enterprises", "enterprises"))
    bad = values.isna() | (values < 0)
    if bad.any():
        rows = ent.loc[keep, "row"][bad]
        raise InputError([
            Problem(label, "weight must be a number >= 0 ([sampling] weight_by)", row=int(r),
                    column=column, value=v)
            for r, v in zip(rows, raw[bad], strict=True)
        ])
    return values.to_numpy(dtype=float)


def apply_replacements(draw: Draw, requests: Sequence[tuple[str, str]]) -> list[dict]:
    """Replace drawn enterprises with the next-lowest tickets of their strata.

    Parameters
    ----------
    draw : Draw
        The draw; its ``replacements`` list grows in place.
    requests : sequence of (str, str)
        ``(enterprise_id, reason)`` pairs, applied in order.

    Returns
    -------
    list of dict
        The new replacement entries (``replaced_by`` is None when the stratum has no
        enterprise left).

    Raises
    ------
    InputError
        When an id is not in the current sample.
    """
    pool = draw.pool
    added = []
    for enterprise_id, reason in requests:
        eid = tickets.canonical_id(enterprise_id)
        current = set(draw.sample()["enterprise_id"])
        if eid not in current:
            raise InputError([Problem(
                "--replace", "is not in the current sample; only drawn enterprises can be "
                "replaced (see sample.csv)", value=eid)])
        used = set(draw.original["enterprise_id"]) | {
            r["replaced_by"] for r in draw.replacements if r["replaced_by"]}
        stratum = pool.loc[pool["enterprise_id"] == eid, "stratum"].iloc[0]
        candidates = pool[(pool["stratum"] == stratum) & ~pool["enterprise_id"].isin(used)]
        entry = {"sequence": len(draw.replacements) + 1, "enterprise_id": eid,
                 "stratum": stratum, "reason": reason, "replaced_by": None,
                 "rank": None, "ticket": None, "digest": None}
        if len(candidates):
            first = candidates.iloc[0]
            digest = tickets.digest_hex(draw.scenario.plan.seed, first["enterprise_id"])
            entry.update(replaced_by=first["enterprise_id"], rank=int(first["rank"]),
                         ticket=tickets.hex_to_ticket(digest), digest=digest)
        draw.replacements.append(entry)
        added.append(entry)
    return added


def sample_frame(draw: Draw) -> pd.DataFrame:
    """Return the rows of ``sample.csv``: columns in order, the ticket at full precision.

    Parameters
    ----------
    draw : Draw
        The draw.

    Returns
    -------
    pandas.DataFrame
        enterprise_id, name, risk_class, stratum, ticket (``repr`` of the float), rank;
        sorted by class (lowest risk first), stratum and rank.
    """
    rows = draw.sample()
    out = rows[list(SAMPLE_COLUMNS)].copy()
    out["ticket"] = [repr(float(t)) for t in rows["ticket"].tolist()]
    out["rank"] = rows["rank"].astype(int)
    return out


def pool_csv(pool: pd.DataFrame) -> str:
    """Return ``eligible.csv``: enterprise_id, stratum of every eligible enterprise, in order.

    Parameters
    ----------
    pool : pandas.DataFrame
        The ordered pool of a :class:`Draw`.

    Returns
    -------
    str
        CSV text with Unix line ends (quoted as the csv module would only where needed).
    """
    strata = pool["stratum"]
    labels = [str(c) for c in (strata.cat.categories if isinstance(
        strata.dtype, pd.CategoricalDtype) else strata.unique())]
    if any(ch in label for label in labels for ch in ',"\r\n'):
        return pool[["enterprise_id", "stratum"]].to_csv(index=False, lineterminator="\n")
    ids = pool["enterprise_id"].tolist()  # credit codes: letters and digits only
    codes, names = tickets.stratum_codes(strata)
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if len(codes) else []
    ends = [*starts[1:], len(codes)]
    parts = ["enterprise_id,stratum\n"]
    for a, b in zip(starts, ends, strict=True):  # runs of one stratum: one join each
        suffix = f",{names[codes[a]]}\n"
        parts.append(suffix.join(ids[a:b]) + suffix)
    return "".join(parts)



def summary_lines(result: DrawResult) -> list[str]:
    """Render a draw's summary: eligibility, allocation per class, capacity, files.

    Parameters
    ----------
    result : DrawResult
        What the stage did.

    Returns
    -------
    list of str
        Lines for a terminal.
    """
    draw = result.draw
    s = draw.scenario
    q = draw.quotas
    elig = draw.eligibility
    excluded = ", ".join(f"{r} {n:,}" for r, n in elig.excluded.items()) or "none"
    directory, eligible, _ = elig.totals()
    lines = [
        f"Draw: seed {s.plan.seed!r}, mode {s.sampling.mode}; {eligible:,} of "
        f"{directory:,} enterprises eligible; excluded: {excluded}",
        f"  {'class':<8}{'eligible':>10}{'listed':>8}{'allocated':>11}{'drawn':>8}",
    ]
    for c in q.classes:
        lines.append(f"  {c:<8}{q.eligible[c]:>10,}{q.listed[c]:>8,}{q.allocated[c]:>11,}"
                     f"{q.drawn[c]:>8,}")
    lines.append(f"  {'total':<8}{sum(q.eligible.values()):>10,}{sum(q.listed.values()):>8,}"
                 f"{sum(q.allocated.values()):>11,}{sum(q.drawn.values()):>8,}")
    targeted: dict[str, list[int]] = {}
    for v in q.strata.values():
        if v.get("target"):
            counts = targeted.setdefault(v["target"], [0, 0])
            counts[0] += v["eligible"]
            counts[1] += v["drawn"]
    for name, (eligible, drawn) in targeted.items():
        lines.append(f"  targeted (定向) {name}: {drawn:,} of {eligible:,} drawn "
                     "(included in the classes above)")
    cap = q.capacity
    lines.append(f"Roster: {cap.inspectors:,} eligible inspectors, {cap.seats:,} inspection "
                 f"seats / team of {cap.team_size} = {cap.inspections:,} inspections; the "
                 f"allocation needs {cap.needed:,}")
    if cap.scaled_down:
        cut = ", ".join(f"{c} -{n:,}" for c, n in cap.scaled_down.items())
        lines.append(f"  {cap.short:,} short: scaled down the lowest-risk classes ({cut})")
    if elig.listed_inactive:
        lines.append(f"Warning: {len(elig.listed_inactive)} listed enterprise(s) are inactive "
                     f"and cannot be drawn: {', '.join(elig.listed_inactive)}")
    if result.carried and not result.added:
        lines.append(f"Re-applied {result.carried} recorded replacement(s).")
    if result.dropped:
        lines.append(f"Warning: the draw changed, so {result.dropped} earlier replacement(s) "
                     "were dropped.")
    for r in result.added:
        if r["replaced_by"]:
            lines.append(f"Replaced {r['enterprise_id']} by {r['replaced_by']} (stratum "
                         f"{r['stratum']}, rank {r['rank']}): {r['reason']}")
        else:
            lines.append(f"Removed {r['enterprise_id']}: stratum {r['stratum']} has no "
                         f"enterprise left to replace it ({r['reason']})")
    n = len(draw.sample())
    lines.append(f"Wrote {result.out / folder.SAMPLE} ({n:,} enterprises), "
                 f"{result.out / folder.ELIGIBLE}, {result.out / folder.RECORD}")
    return lines


def partitioned_draw(pool: pd.DataFrame, quotas: dict[str, int], seed: str,
                     partitions: int) -> pd.DataFrame:
    """Draw by partitions and merge, as a distributed engine would (see :mod:`planner.draw.tickets`).

    Parameters
    ----------
    pool : pandas.DataFrame
        Eligible enterprises with ``enterprise_id`` and ``stratum``.
    quotas : dict
        Stratum -> how many to draw.
    seed : str
        The plan's seed.
    partitions : int
        How many contiguous partitions to cut the pool into.

    Returns
    -------
    pandas.DataFrame
        The drawn rows in draw order with ``rank``.
    """
    bounds = np.linspace(0, len(pool), partitions + 1).astype(int)
    parts = [
        tickets.lowest_per_stratum(tickets.add_tickets(pool.iloc[a:b], seed), quotas)
        for a, b in zip(bounds[:-1], bounds[1:], strict=True)
    ]
    return tickets.merge_lowest(parts, quotas)
