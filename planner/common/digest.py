"""The SHA-256 of one file's bytes, read in blocks (below both the CSV and the Parquet readers)."""

from __future__ import annotations

import hashlib
from pathlib import Path


def sha256_bytes(path: str | Path) -> str:
    """Return the hex SHA-256 of one file's bytes.

    Parameters
    ----------
    path : str or pathlib.Path
        The file.

    Returns
    -------
    str
        64 lower-case hex digits.
    """
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
