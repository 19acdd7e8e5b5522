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

from planner.common import randomness

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
    """The SHA-256 digests of many units, computed by another process while this one goes on.

    ``planner run`` knows the seed before it reads anything and, once the directory is
    checked, every enterprise's canonical id: each ticket is fixed
    (:func:`planner.common.randomness.digests`), though the draw needs the tickets only after
    the other inputs are checked and the quotas fixed. A process hashes them meanwhile on the
    second core and sends back 32 bytes a unit.

    The process is forked when this object is made, before the units are known, so that it
    shares only the little memory this process holds then: forked later, from a process
    holding millions of rows, every page either of them went on to write would be held
    twice (about 0.9 GB for a megacity). :meth:`feed` sends it the units as UTF-8 text. The
    digests are those :func:`~planner.common.randomness.digests` gives here; should the
    process fail, :meth:`result` says so and the caller computes them itself.

    Parameters
    ----------
    seed : str
        The plan's public seed.
    purpose : str
        A purpose of :data:`planner.common.randomness.PURPOSES`.
    """

    def __init__(self, seed: str, purpose: str):
        import multiprocessing

        self.seed, self.purpose, self.count = seed, purpose, None
        context = multiprocessing.get_context("fork")
        units, self._units = context.Pipe(duplex=False)
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(target=_hash_units, args=(seed, purpose, units, send),
                                        daemon=True)
        gc.freeze()  # the child's collector must not touch (and so copy) the parent's pages
        try:
            self._process.start()
        finally:
            gc.unfreeze()
        units.close()
        send.close()

    def feed(self, units: list[str]) -> None:
        """Send the units to hash, as they are hashed (once)."""
        text = "\n".join(units).encode("utf-8")
        if units and text.count(b"\n") != len(units) - 1:  # a unit holds a line break
            self.cancel()
            return
        self.count = len(units)
        try:
            self._units.send_bytes(text)
        except OSError:  # the process is gone: result() says so
            pass
        finally:
            self._units.close()

    def result(self) -> bytes | None:
        """Wait for the digests of the units fed, one after another; None when there are none.

        The digests are handed over once and not kept here (a megacity's are 71 MB): a
        second call returns None, and the caller computes them itself.
        """
        if self._process is None or self.count is None:
            return None
        try:
            blob = self._receive.recv_bytes()
        except (EOFError, OSError):
            blob = None
        finally:
            self._receive.close()
            self._process.join()
            self._process = None
        return blob if blob is not None and len(blob) == 32 * self.count else None

    def cancel(self) -> None:
        """Stop the process (its digests are not needed)."""
        if self._process is not None:
            self._process.kill()
            self._process.join()
            self._units.close()
            self._receive.close()
            self._process = None

    @staticmethod
    def possible() -> bool:
        """Tell whether this platform forks (Linux) and no executor of :func:`running_on` is set."""
        return sys.platform.startswith("linux") and not on_given_executor()


def _hash_units(seed: str, purpose: str, units, send) -> None:
    """Wait for the units (UTF-8 text, a line each), hash them and send the digests back."""
    try:
        text = units.recv_bytes()
    except EOFError:  # not fed: the caller stopped before it knew the units
        return
    lines = text.split(b"\n") if text else []
    del text
    send.send_bytes(b"".join(randomness.encoded_digests(seed, purpose, lines)))
    send.close()
