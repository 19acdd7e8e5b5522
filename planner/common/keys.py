"""Exact joins and duplicate checks on id columns, fast enough for millions of credit codes.

Hashing millions of Python strings is the slowest part of loading a city's directory. Ids
here are short ASCII text (an 18-character credit code, an inspector number), so each is
packed into 24 bytes, read as three 64-bit words and mixed into one 64-bit key; pandas then
hashes integers, many times faster. A key is a function of the text, so equal ids have equal
keys; different ids may, very rarely, share a key, so every answer is confirmed on the text
and the functions fall back to plain string hashing whenever the keys cannot decide:

- an id that is not ASCII, or longer than 24 bytes, makes the whole column fall back;
- a shared key among the known ids (a repeated id, or a collision) falls back;
- a key match whose text differs (a collision) is no match.

So the results are exactly those of the string operations they replace.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

WIDTH = 24  # bytes per packed id: three 64-bit words


def packed_keys(values: pd.Series | np.ndarray) -> np.ndarray | None:
    """Return one 64-bit key per id, or None when an id is not ASCII or is too long to pack.

    Parameters
    ----------
    values : pandas.Series or numpy.ndarray
        Ids as ``str``.

    Returns
    -------
    numpy.ndarray of uint64, or None
        Equal ids give equal keys.
    """
    text = np.asarray(values, dtype=object)
    words = _fixed_width_words(text)
    if words is None:
        try:
            raw = text.astype(f"S{WIDTH + 1}")
        except (UnicodeEncodeError, ValueError, TypeError):
            return None
        if len(raw) and (np.char.str_len(raw) > WIDTH).any():
            return None
        words = raw.astype(f"S{WIDTH}").view(np.uint64).reshape(-1, 3)
    return (words[:, 0] * np.uint64(0x9E3779B97F4A7C15)
            ^ words[:, 1] * np.uint64(0xC2B2AE3D27D4EB4F)
            ^ words[:, 2] * np.uint64(0x165667B19E3779F9))


def positions(known: pd.Series, wanted: pd.Series) -> np.ndarray:
    """Position in ``known`` of each of ``wanted``, -1 where absent.

    Like ``pd.Index(known).get_indexer(wanted)``; when ``known`` repeats an id, the position
    of its first occurrence. To look up in the same ids many times, build an
    :class:`IdIndex` once.

    Parameters
    ----------
    known : pandas.Series
        The ids to look in (e.g. a directory's credit codes).
    wanted : pandas.Series
        The ids to find; may repeat.

    Returns
    -------
    numpy.ndarray of int64
        One position per wanted id.
    """
    return IdIndex(known).positions(wanted)


class IdIndex:
    """Ids to look up in many times: packed and hashed once (see :func:`positions`).

    Parameters
    ----------
    known : pandas.Series
        The ids to look in.
    """

    def __init__(self, known: pd.Series):
        self._text = known.to_numpy(dtype=object)
        keys = packed_keys(self._text)
        index = None if keys is None else pd.Index(keys)
        self._keys = index if index is not None and index.is_unique else None
        self._strings: tuple[pd.Index, np.ndarray] | None = None

    def repeated(self) -> np.ndarray:
        """Mark every known id that an earlier one already had (:func:`repeated` of them).

        Distinct keys mean distinct ids, so a directory without repeats is answered by the
        hashing the index already did.
        """
        if self._keys is not None:
            return np.zeros(len(self._text), dtype=bool)
        return repeated(pd.Series(self._text, dtype=object))

    def positions(self, wanted: pd.Series) -> np.ndarray:
        """Position of each of ``wanted`` in the known ids, -1 where absent."""
        wanted_text = wanted.to_numpy(dtype=object)
        wanted_keys = None if self._keys is None else packed_keys(wanted_text)
        if wanted_keys is not None:
            at = self._keys.get_indexer(wanted_keys).astype(np.int64)
            hit = np.flatnonzero(at >= 0)
            differs = self._text[at[hit]] != wanted_text[hit]
            at[hit[differs]] = -1  # a shared key, not the same id
            return at
        if self._strings is None:
            first = np.flatnonzero(~pd.Series(self._text).duplicated(keep="first").to_numpy())
            self._strings = (pd.Index(self._text[first]), first)
        index, first = self._strings
        at = index.get_indexer(wanted_text)
        return np.where(at >= 0, first[np.maximum(at, 0)] if len(first) else -1,
                        -1).astype(np.int64)


def repeated(values: pd.Series) -> np.ndarray:
    """Mark every id that an earlier row already had (``Series.duplicated(keep="first")``).

    Parameters
    ----------
    values : pandas.Series
        Ids as ``str``.

    Returns
    -------
    numpy.ndarray of bool
        True for the second and later occurrences of an id.
    """
    text = values.to_numpy(dtype=object)
    keys = packed_keys(text)
    if keys is None:
        return pd.Series(text).duplicated(keep="first").to_numpy()
    out = np.zeros(len(text), dtype=bool)
    shared = np.flatnonzero(pd.Series(keys).duplicated(keep=False).to_numpy())
    if len(shared):  # only rows whose key repeats can repeat an id; decide them on the text
        out[shared] = pd.Series(text[shared]).duplicated(keep="first").to_numpy()
    return out


def _fixed_width_words(text: np.ndarray) -> np.ndarray | None:
    """Pack ids that all have one length the quick way: one join, one buffer; else None."""
    if not len(text) or not all(isinstance(t, str) for t in text[:1]):
        return None
    width = len(text[0])
    try:
        lengths = np.fromiter(map(len, text), dtype=np.int64, count=len(text))
    except TypeError:
        return None
    joined = "".join(text) if (lengths == width).all() and 0 < width <= WIDTH else ""
    if not joined or not joined.isascii():
        return None
    raw = np.zeros((len(text), WIDTH), dtype=np.uint8)
    raw[:, :width] = np.frombuffer(joined.encode("ascii"), dtype=np.uint8).reshape(-1, width)
    return raw.view(np.uint64).reshape(-1, 3)
