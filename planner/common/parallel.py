"""Forked worker processes for the independent pieces of a stage.

Two stages split into pieces that do not depend on each other: the assignment into planning
units (each district's teams are a separate problem, seeded by its own name) and the export
into workbooks. A large plan runs the pieces in worker processes; a small one runs them one
after another, where starting processes would cost more than it saves. The results are the
same either way, byte for byte, because every piece depends only on its own inputs and the
caller puts the results together in a fixed order.

Workers are forked, so they inherit the loaded inputs instead of reading them again and
need not re-import the caller's script. Where fork is not the safe choice (Windows, macOS)
everything runs in one process. At most :data:`MAX_WORKERS` run at once, which keeps the
memory of a city-sized plan well inside the 4 GB the megacity benchmark allows.

Inside :func:`running_on`, the pieces go to the given executor instead (``planner run
--engine dask`` passes a Dask client's), whatever the plan's size.
"""

from __future__ import annotations

import contextlib
import contextvars
import gc
import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

MAX_WORKERS = 2
_EXECUTOR: contextvars.ContextVar = contextvars.ContextVar("executor", default=None)


@contextlib.contextmanager
def running_on(executor, workers: int) -> Iterator[None]:
    """Send the stages' independent pieces to ``executor`` inside the ``with`` block.

    Parameters
    ----------
    executor : concurrent.futures.Executor
        Any executor whose ``submit`` returns futures with ``result()``, such as
        ``distributed.Client.get_executor()``.
    workers : int
        How many pieces to cut a stage into (the executor's workers).
    """
    token = _EXECUTOR.set((executor, max(1, workers)))
    try:
        yield
    finally:
        _EXECUTOR.reset(token)


def on_given_executor() -> bool:
    """Return whether the pieces go to an executor given by :func:`running_on`.

    Returns
    -------
    bool
        False when :func:`fork_pool` forks this machine's processes (or none are used).
    """
    return _EXECUTOR.get() is not None


def worker_count(size: int, threshold: int) -> int:
    """Return how many worker processes a job of ``size`` should use (1: none).

    Parameters
    ----------
    size : int
        How big the job is (rows, enterprises).
    threshold : int
        The size from which workers pay off.

    Returns
    -------
    int
        1 below ``threshold`` or where fork is not available; else up to :data:`MAX_WORKERS`,
        at most the number of cores.
    """
    given = _EXECUTOR.get()
    if given is not None:
        return given[1]
    if size < threshold or not sys.platform.startswith("linux"):
        return 1
    return max(1, min(MAX_WORKERS, os.cpu_count() or 1))


@contextlib.contextmanager
def fork_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """Open a pool of ``workers`` forked processes for the ``with`` block.

    The objects alive at the fork are frozen out of garbage collection meanwhile
    (``gc.freeze``), so that a worker's collector does not touch, and so copy, the pages of
    the parent's inputs it inherited. Inside :func:`running_on`, yields that executor instead.
    """
    given = _EXECUTOR.get()
    if given is not None:
        yield given[0]
        return
    # Imported here: most plans are small enough to need no worker process.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    gc.freeze()
    try:
        with ProcessPoolExecutor(max_workers=workers,
                                 mp_context=multiprocessing.get_context("fork")) as pool:
            yield pool
    finally:
        gc.unfreeze()


class DigestsAhead:
    """The SHA-256 digests of many units, computed by a forked process while this one goes on.

    ``planner run`` knows the seed and, once the directory is checked, every enterprise's
    canonical id: each ticket is fixed (:func:`planner.common.randomness.digests`), though
    the draw needs the tickets only after the other inputs are checked and the quotas fixed.
    A forked process hashes them meanwhile on the second core; it inherits the ids, so
    nothing is sent to it, and sends back 32 bytes a unit. The digests are those
    :func:`~planner.common.randomness.digests` gives here; should the process fail, the
    caller computes them itself.

    Parameters
    ----------
    seed : str
        The plan's public seed.
    purpose : str
        A purpose of :data:`planner.common.randomness.PURPOSES`.
    units : list of str
        The units, as they are hashed.
    """

    def __init__(self, seed: str, purpose: str, units: list[str]):
        import multiprocessing

        self.seed, self.purpose, self.count = seed, purpose, len(units)
        self._blob: bytes | None = None
        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(target=_send_digests, args=(seed, purpose, units, send),
                                        daemon=True)
        gc.freeze()  # the child's collector must not touch (and so copy) the parent's pages
        try:
            self._process.start()
        finally:
            gc.unfreeze()
        send.close()

    def result(self) -> bytes | None:
        """Wait for the digests, one after another; None when the process failed."""
        if self._process is not None:
            try:
                blob = self._receive.recv_bytes()
            except (EOFError, OSError):
                blob = None
            finally:
                self._receive.close()
                self._process.join()
                self._process = None
            self._blob = blob if blob is not None and len(blob) == 32 * self.count else None
        return self._blob

    def cancel(self) -> None:
        """Stop the process (its digests are not needed)."""
        if self._process is not None:
            self._process.kill()
            self._process.join()
            self._receive.close()
            self._process = None
        self._blob = None

    @staticmethod
    def possible() -> bool:
        """Tell whether this platform forks (Linux) and no executor of :func:`running_on` is set."""
        return sys.platform.startswith("linux") and not on_given_executor()


def _send_digests(seed: str, purpose: str, units: list[str], send) -> None:
    from planner.common import randomness

    send.send_bytes(b"".join(randomness.digests(seed, purpose, units)))
    send.close()
