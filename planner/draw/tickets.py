"""The publicly verifiable ticket and the per-stratum "n lowest" selection (the first random of 双随机).

Each enterprise gets the ticket (:data:`TICKET_FORMULA`, generated from the ``ticket`` purpose of
:mod:`planner.common.randomness`)::

    ticket = int(sha256(f"{seed}:{enterprise_id}".encode("utf-8")).hexdigest(), 16) / 2**256

with ``enterprise_id`` upper-cased and stripped. In each stratum the ``n`` lowest tickets are
drawn. Order is decided by the full 256-bit digest, so it is exact even where two tickets
round to the same float.

A ticket depends on (seed, id) alone, so the draw is embarrassingly parallel: every function
here takes one DataFrame *partition* and returns a frame, and
``lowest_per_stratum(concat(lowest_per_stratum(p) for p in parts)) == lowest_per_stratum(whole)``
(:func:`merge_lowest`). A distributed dataframe engine can run the same two functions per
partition and once more on the union of the results.

Internally a digest is held as four big-endian 64-bit words ``t0`` (most significant) to
``t3``; sorting by ``(t0, t1, t2, t3)`` is sorting by the digest.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from planner.common import randomness

WORDS = ("t0", "t1", "t2", "t3")
#: The published formula, generated from the code's rule, so help text and record cannot drift.
TICKET_FORMULA = randomness.ticket_formula()


def canonical_id(enterprise_id: str) -> str:
    """Return the id as the ticket hashes it: stripped and upper case."""
    return str(enterprise_id).strip().upper()


def digest_hex(seed: str, enterprise_id: str) -> str:
    """Return the hex SHA-256 of ``f"{seed}:{id}"`` (id canonicalised).

    Parameters
    ----------
    seed : str
        The plan's public seed.
    enterprise_id : str
        A unified social credit code (any case, surrounding spaces allowed).

    Returns
    -------
    str
        64 lower-case hex digits.
    """
    return randomness.digests(seed, "ticket", [canonical_id(enterprise_id)])[0].hex()


def ticket(seed: str, enterprise_id: str) -> float:
    """Return the enterprise's ticket, exactly as the published formula computes it.

    Parameters
    ----------
    seed : str
        The plan's public seed.
    enterprise_id : str
        A unified social credit code (canonicalised before hashing).

    Returns
    -------
    float
        ``int(digest, 16) / 2**256``, in [0, 1).
    """
    return int(digest_hex(seed, enterprise_id), 16) / 2**256


def ticket_words(enterprise_ids: Iterable[str], seed: str, *, canonical: bool = False) -> np.ndarray:
    """Return each id's digest as four big-endian uint64 words, shape ``(n, 4)``.

    Parameters
    ----------
    enterprise_ids : iterable of str
        Ids (canonicalised before hashing unless ``canonical``).
    seed : str
        The plan's public seed.
    canonical : bool
        The ids are already stripped and upper case (as :func:`planner.plan.inputs.load_inputs`
        gives them); skips that step.

    Returns
    -------
    numpy.ndarray
        ``uint64`` array; column 0 holds the most significant 64 bits.
    """
    if not canonical:
        enterprise_ids = (str(i).strip().upper() for i in enterprise_ids)
    return words_of(b"".join(randomness.digests(seed, "ticket", enterprise_ids)))


def words_of(digests: bytes) -> np.ndarray:
    """Turn 32-byte digests, one after another, into ``(n, 4)`` uint64 words (see :func:`ticket_words`)."""
    return np.frombuffer(digests, dtype=">u8").reshape(-1, 4).astype(np.uint64)


def words_to_hex(words: np.ndarray) -> list[str]:
    """Turn ``(n, 4)`` digest words back into 64-digit hex strings."""
    return [bytes(row).hex() for row in np.asarray(words, dtype=">u8")]


def hex_to_ticket(digest: str) -> float:
    """Return the ticket of a hex digest: ``int(digest, 16) / 2**256`` (correctly rounded)."""
    return int(digest, 16) / 2**256


def add_tickets(
    part: pd.DataFrame, seed: str, id_column: str = "enterprise_id", *, canonical: bool = False,
    words: np.ndarray | None = None,
) -> pd.DataFrame:
    """Return the partition with its digest words ``t0..t3`` added (a per-partition map).

    Parameters
    ----------
    part : pandas.DataFrame
        Any rows of the directory; needs ``id_column``.
    seed : str
        The plan's public seed.
    id_column : str
        The column holding enterprise ids.
    canonical : bool
        The ids are already stripped and upper case.
    words : numpy.ndarray, optional
        The rows' :func:`ticket_words`, when already hashed (e.g. ahead, by
        :class:`planner.common.parallel.DigestsAhead`).

    Returns
    -------
    pandas.DataFrame
        A copy with uint64 columns ``t0``, ``t1``, ``t2``, ``t3``.
    """
    if words is None:
        words = ticket_words(part[id_column].tolist(), seed, canonical=canonical)
    out = part.copy()
    for j, name in enumerate(WORDS):
        out[name] = words[:, j] if len(out) else np.array([], dtype=np.uint64)
    return out


def weighted_key(tickets: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Return the weighted ordering key ``-log1p(-ticket) / weight`` (lower is drawn first).

    Taking the ``n`` lowest keys is weighted sampling without replacement (Efraimidis and
    Spirakis 2006): ``-log(1 - ticket)`` is an exponential variable, and dividing by the weight
    makes an enterprise of weight ``w`` win a race against others in proportion to ``w``. With
    equal weights the order is the ticket order. A weight of 0 is drawn last.

    Parameters
    ----------
    tickets : numpy.ndarray
        Tickets in [0, 1).
    weights : numpy.ndarray
        Non-negative weights.

    Returns
    -------
    numpy.ndarray
        float64 keys (``inf`` for weight 0).
    """
    tickets = np.asarray(tickets, dtype=float)
    weights = np.asarray(weights, dtype=float)
    with np.errstate(divide="ignore"):
        return -np.log1p(-tickets) / weights


def order_pool(part: pd.DataFrame, key: str | None = None) -> pd.DataFrame:
    """Sort a ticketed partition by (stratum, key, digest) and number each stratum's rows.

    Parameters
    ----------
    part : pandas.DataFrame
        Rows with ``stratum`` and ``t0..t3`` (see :func:`add_tickets`).
    key : str, optional
        A float column ordering rows within a stratum before the digest (weighted selection).

    Returns
    -------
    pandas.DataFrame
        The rows in draw order with ``rank`` (1-based position within the stratum). Strata
        appear in sorted order of their labels.
    """
    order, position, _, _ = _order(part, key)
    out = part.iloc[order].reset_index(drop=True)
    out["rank"] = position + 1
    return out


def quota_of(strata: pd.Series, quotas: Mapping[str, int]) -> np.ndarray:
    """Return each row's stratum quota (0 for strata not in ``quotas``).

    Parameters
    ----------
    strata : pandas.Series
        Stratum label per row (object or categorical).
    quotas : mapping
        Stratum -> how many to draw.

    Returns
    -------
    numpy.ndarray
        int64 quota per row.
    """
    codes, labels = stratum_codes(strata)
    per_code = np.array([quotas.get(label, 0) for label in labels], dtype=np.int64)
    return per_code[codes] if len(codes) else np.array([], dtype=np.int64)


def lowest_per_stratum(
    part: pd.DataFrame, quotas: Mapping[str, int], key: str | None = None
) -> pd.DataFrame:
    """Keep the ``quotas[stratum]`` lowest-ticket rows of each stratum in a partition.

    Parameters
    ----------
    part : pandas.DataFrame
        Ticketed rows with ``stratum`` (see :func:`add_tickets`).
    quotas : mapping
        Stratum -> how many to draw (strata not listed draw none).
    key : str, optional
        Weighted ordering column (see :func:`order_pool`).

    Returns
    -------
    pandas.DataFrame
        The kept rows in draw order, with ``rank`` within the partition's stratum.
    """
    order, position, codes, labels = _order(part, key)
    per_code = np.array([quotas.get(label, 0) for label in labels], dtype=np.int64)
    keep = position < (per_code[codes] if len(codes) else position)
    out = part.iloc[order[keep]].reset_index(drop=True)
    out["rank"] = position[keep] + 1
    return out


def merge_lowest(
    parts: Sequence[pd.DataFrame], quotas: Mapping[str, int], key: str | None = None
) -> pd.DataFrame:
    """Merge per-partition results: the ``n`` lowest of the partitions' ``n`` lowest.

    Parameters
    ----------
    parts : sequence of pandas.DataFrame
        Outputs of :func:`lowest_per_stratum` on disjoint partitions.
    quotas : mapping
        Stratum -> how many to draw.
    key : str, optional
        Weighted ordering column.

    Returns
    -------
    pandas.DataFrame
        The same rows, ranks and order :func:`lowest_per_stratum` gives on the whole.
    """
    frames = [p for p in parts if len(p)]
    if not frames:
        return lowest_per_stratum(parts[0] if parts else _empty(), quotas, key)
    whole = pd.concat(frames, ignore_index=True).drop(columns="rank", errors="ignore")
    return lowest_per_stratum(whole, quotas, key)


def stratum_codes(strata: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Integer codes of the stratum labels, numbered in sorted label order.

    Parameters
    ----------
    strata : pandas.Series
        Labels (object or categorical; a categorical's codes are used directly).

    Returns
    -------
    tuple
        Code per row, and the label of each code.
    """
    if isinstance(strata.dtype, pd.CategoricalDtype):
        categories = [str(c) for c in strata.cat.categories]
        if categories != sorted(categories):
            strata = strata.cat.reorder_categories(sorted(strata.cat.categories, key=str))
            categories = [str(c) for c in strata.cat.categories]
        return strata.cat.codes.to_numpy(dtype=np.int64), categories
    codes, uniques = pd.factorize(strata.astype(str), sort=True)
    return codes.astype(np.int64), [str(u) for u in uniques]


def _empty() -> pd.DataFrame:
    cols = {"stratum": pd.Series(dtype=object)}
    cols.update({w: pd.Series(dtype=np.uint64) for w in WORDS})
    return pd.DataFrame(cols)


def _order(
    part: pd.DataFrame, key: str | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Order rows by (stratum label, key, t0..t3).

    Returns the order, each sorted row's 0-based position in its stratum, the sorted rows'
    stratum codes, and the label of each code.
    """
    n = len(part)
    if n == 0:
        empty = np.array([], dtype=np.int64)
        return empty, empty, empty, []
    codes, labels = stratum_codes(part["stratum"])
    t0 = part["t0"].to_numpy(dtype=np.uint64)
    primary = [t0] if key is None else [t0, part[key].to_numpy(dtype=float)]
    if key is None and len(labels) < 2**15:
        # the same order as lexsort((t0, codes)), faster: a stable radix sort on small codes
        order = np.argsort(t0, kind="stable")
        order = order[np.argsort(codes.astype(np.int16)[order], kind="stable")]
    else:
        order = np.lexsort((*primary, codes))
    # Exact tie-break on the rest of the digest: needed only where (stratum, key, t0) repeat,
    # which for 64 random bits practically never happens; then sort on every word.
    same = codes[order][1:] == codes[order][:-1]
    for column in primary:
        same &= column[order][1:] == column[order][:-1]
    if same.any():
        rest = [part[w].to_numpy(dtype=np.uint64) for w in reversed(WORDS[1:])]
        order = np.lexsort((*rest, *primary, codes))
    sorted_codes = codes[order]
    starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
    group_start = np.repeat(starts, np.diff(np.r_[starts, n]))
    return order, np.arange(n) - group_start, sorted_codes, labels
