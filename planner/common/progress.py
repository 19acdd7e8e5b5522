"""Progress lines for long steps: shown on a terminal, silent otherwise (pipes, CI, tests)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable


def make_progress(enabled: bool | None = None, stream=None) -> Callable[[str], None] | None:
    """Return a callable that prints ``[  1.2s] message`` to stderr, or None when quiet.

    Parameters
    ----------
    enabled : bool, optional
        Force on or off; by default on only when stderr is a terminal.
    stream : file, optional
        Where to write (default ``sys.stderr``).

    Returns
    -------
    callable or None
        The progress function, or None (library functions treat None as "no progress").
    """
    stream = stream or sys.stderr
    if enabled is None:
        enabled = hasattr(stream, "isatty") and stream.isatty()
    if not enabled:
        return None
    start = time.perf_counter()

    def progress(message: str) -> None:
        stream.write(f"[{time.perf_counter() - start:6.1f}s] {message}\n")
        stream.flush()

    return progress
