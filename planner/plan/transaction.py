"""Writing the plan folder whole or not at all, one writer at a time.

:func:`writing` is how every command that writes a plan folder ``OUT`` does it:

1. it takes the folder's lock, ``.OUT.planner-lock`` beside the folder, naming the process;
   a second writer is refused at once, naming the first; a lock left by a dead process is
   cleared (so is the staging folder it left);
2. it checks the manifest (:func:`planner.plan.manifest.require_whole`) and refuses a folder
   whose files do not belong together; a folder holding returned work of another plan is
   refused too, or with ``force`` that plan is moved whole into ``OUT/archive/<id>-<time>/``;
3. it builds the new folder beside ``OUT`` (``.OUT.planner-<pid>``): the planner's files are
   copied, other files hard-linked (never written), and the command writes into the copy;
4. it writes the manifest into the copy and swaps the copy in with one atomic exchange of the
   two directories (``renameat2(RENAME_EXCHANGE)`` on Linux), then removes the old one.

Killed at any moment, ``OUT`` is the complete previous folder or the complete new one.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import errno
import functools
import inspect
import json
import os
import shutil
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from planner.common.errors import InputError, PlannerError, Problem, VerificationError
from planner.plan import folder
from planner.plan import manifest as mf

LOCK_SUFFIX = ".planner-lock"
STAGING_MARK = ".planner-"


class FolderBusyError(PlannerError):
    """Another process is writing the plan folder."""

    exit_code = 5


class InterruptedRun(PlannerError):
    """The command was interrupted (Ctrl-C); the message says what the folder holds."""

    exit_code = 130


class ReturnedWorkError(PlannerError):
    """The folder holds returned work of another plan and ``--force`` was not given."""

    exit_code = 2


# --- the lock --------------------------------------------------------------------------


def lock_path(out: Path) -> Path:
    """Return the lock file of the plan folder ``out`` (beside it, hidden)."""
    out = Path(out).absolute()
    return out.parent / f".{out.name}{LOCK_SUFFIX}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_lock(out: Path) -> dict | None:
    """Return the holder of the folder's lock, or ``None`` when it is free or stale.

    A lock whose process is gone (on this host) is stale: it is removed here.

    Parameters
    ----------
    out : pathlib.Path
        The plan folder.

    Returns
    -------
    dict or None
        ``{"pid", "host", "command", "since"}`` of a live holder.
    """
    path = lock_path(out)
    try:
        holder = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        holder = {}
    if not isinstance(holder, dict):
        holder = {}
    pid = holder.get("pid")
    if holder.get("host") == socket.gethostname() and isinstance(pid, int) and _alive(pid):
        return holder
    if holder.get("host") not in (None, socket.gethostname()):
        return holder  # another machine's process: cannot tell, so respect it
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    return None


def _busy_message(out: Path, holder: dict) -> str:
    return (f"{out} is being written by {holder.get('command', 'planner')} (process "
            f"{holder.get('pid')} on {holder.get('host')}, since {holder.get('since')}); wait "
            f"for it to finish, or stop that process (its lock: {lock_path(out)})")


def refuse_if_busy(out: Path) -> None:
    """Raise when another process is writing ``out`` (for commands that only read it).

    Parameters
    ----------
    out : pathlib.Path
        The plan folder.

    Raises
    ------
    FolderBusyError
        Naming the writing process.
    """
    holder = read_lock(out)
    if holder is not None and holder.get("pid") != os.getpid():
        raise FolderBusyError(_busy_message(out, holder))


@contextlib.contextmanager
def folder_lock(out: Path, command: str) -> Iterator[None]:
    """Hold the plan folder's lock for the block.

    Parameters
    ----------
    out : pathlib.Path
        The plan folder.
    command : str
        What is writing, for the message another writer sees.

    Raises
    ------
    FolderBusyError
        When a live process holds the lock.
    """
    path = lock_path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    me = {"pid": os.getpid(), "host": socket.gethostname(), "command": command,
          "since": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")}
    for _ in range(3):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = read_lock(out)
            if holder is not None:
                raise FolderBusyError(_busy_message(out, holder)) from None
            continue  # the stale lock was cleared: try again
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(me, fh)
        break
    else:
        raise FolderBusyError(f"cannot take the lock {path}; remove it if no planner is running")
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def plan_folder_of(target: str | Path) -> Path | None:
    """Return the plan folder that ``target`` is or lies inside, or ``None``.

    A folder is a plan folder when it holds a manifest or a draw record, or when its lock is
    held (a first ``planner run`` is building it beside it right now).

    Parameters
    ----------
    target : str or pathlib.Path
        A folder a command is about to write (it need not exist yet).

    Returns
    -------
    pathlib.Path or None
        The nearest plan folder at or above ``target``.
    """
    target = Path(target).absolute()
    for candidate in (target, *target.parents):
        if ((candidate / folder.MANIFEST).is_file() or (candidate / folder.RECORD).is_file()
                or lock_path(candidate).is_file()):
            return candidate
    return None


@contextlib.contextmanager
def output_lock(target: str | Path, command: str, *, plan_folder: bool = False
                ) -> Iterator[Path | None]:
    """Hold the lock of the plan folder a command writes into, if it writes into one.

    For commands that write files of their own rather than a plan (``simulate``,
    ``regrade``, ``proof``, ``publish``, ...): when ``target`` is a plan folder or lies
    inside one, that folder's lock is held for the block, so the command neither writes into
    a folder another command is swapping (its files would be lost with the old folder) nor
    lets one start meanwhile. Elsewhere nothing is locked.

    Parameters
    ----------
    target : str or pathlib.Path
        The folder the command writes.
    command : str
        The command, for the message another writer sees.
    plan_folder : bool
        ``target`` is a plan folder even before it holds one (``commit``, ``merge``): lock
        it whatever it holds.

    Yields
    ------
    pathlib.Path or None
        The plan folder locked, or ``None``.

    Raises
    ------
    FolderBusyError
        When another live process writes that plan folder.
    """
    locked = Path(target).absolute() if plan_folder else plan_folder_of(target)
    if locked is None:
        yield None
        return
    with folder_lock(locked, command):
        yield locked


def locks_output(argument: str, command: str, *, plan_folder: bool = False) -> Callable:
    """Decorate a library function so that it runs under :func:`output_lock`.

    Parameters
    ----------
    argument : str
        The name of the function's parameter that holds the folder it writes.
    command : str
        The command, for the message another writer sees.
    plan_folder : bool
        As in :func:`output_lock`.

    Returns
    -------
    callable
        The decorator.
    """
    def decorate(func: Callable) -> Callable:
        signature = inspect.signature(func)

        @functools.wraps(func)
        def locked(*args, **kwargs):
            target = signature.bind(*args, **kwargs).arguments[argument]
            with output_lock(target, command, plan_folder=plan_folder):
                return func(*args, **kwargs)

        return locked

    return decorate


# --- staging and the swap --------------------------------------------------------------


def staging_path(out: Path) -> Path:
    """Return where this process builds the new folder: beside ``out``, hidden."""
    out = Path(out).absolute()
    return out.parent / f".{out.name}{STAGING_MARK}{os.getpid()}"


def clear_leftovers(out: Path) -> list[Path]:
    """Remove staging folders that dead processes left beside ``out`` (call under the lock).

    Parameters
    ----------
    out : pathlib.Path
        The plan folder.

    Returns
    -------
    list of pathlib.Path
        The folders removed.
    """
    out = Path(out).absolute()
    removed = []
    if not out.parent.is_dir():
        return removed
    for path in out.parent.glob(f".{out.name}{STAGING_MARK}*"):
        tail = path.name[len(f".{out.name}{STAGING_MARK}"):]
        if path.is_dir() and tail.isdigit() and not _alive(int(tail)):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _copy_folder(out: Path, staging: Path, ours: set[str], skip: set[str]) -> None:
    """Fill ``staging`` from ``out``: copy the planner's files, hard-link the others."""
    staging.mkdir()
    if not out.is_dir():
        return
    shutil.copystat(out, staging)
    for root, dirs, files in os.walk(out):
        rel_root = Path(root).relative_to(out)
        dirs.sort()
        for d in dirs:
            (staging / rel_root / d).mkdir(exist_ok=True)
        for name in sorted(files):
            rel = (rel_root / name).as_posix()
            if rel in skip or rel == folder.MANIFEST:
                continue
            source, target = Path(root) / name, staging / rel_root / name
            if rel in ours:
                shutil.copy2(source, target)  # the command may rewrite it
                continue
            try:
                os.link(source, target)  # not ours: never written, so share it
            except OSError:
                shutil.copy2(source, target)


_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories atomically (Linux ``renameat2``); False when unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    rc = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def swap_in(staging: Path, out: Path) -> None:
    """Make ``staging`` the folder ``out`` in one step; the old folder is removed after.

    Parameters
    ----------
    staging : pathlib.Path
        The new folder, complete.
    out : pathlib.Path
        The plan folder.
    """
    if not out.exists():
        os.rename(staging, out)
        return
    if not _exchange(staging, out):  # no atomic exchange here: two renames
        old = out.parent / f".{out.name}{STAGING_MARK}old-{os.getpid()}"
        os.rename(out, old)
        os.rename(staging, out)
        shutil.rmtree(old, ignore_errors=True)
        return
    shutil.rmtree(staging, ignore_errors=True)  # now the old folder


def _written(out: Path, staging: Path) -> set[str]:
    """Return the planner files in ``staging`` that differ in time or size from ``out``'s."""
    written = set()
    for name in mf.planner_files(staging):
        new, old = staging / name, out / name
        if not old.is_file():
            written.add(name)
            continue
        a, b = new.stat(), old.stat()
        if (a.st_mtime_ns, a.st_size) != (b.st_mtime_ns, b.st_size):
            written.add(name)
    return written


def _translate(exc: BaseException, staging: Path, out: Path) -> None:
    """Name ``out`` instead of the staging folder in an error's text."""
    a, b = str(staging), str(out)
    if isinstance(exc, InputError):
        exc.problems = [Problem(p.file.replace(a, b), p.message.replace(a, b), p.row,
                                p.column, p.value, p.severity) for p in exc.problems]
    exc.args = tuple(x.replace(a, b) if isinstance(x, str) else x for x in exc.args)
    for attr in ("reasons", "differences"):
        values = getattr(exc, attr, None)
        if isinstance(values, list):
            setattr(exc, attr, [v.replace(a, b) if isinstance(v, str) else v for v in values])


@dataclass
class Writing:
    """A command's write into the plan folder, in progress (see :func:`writing`).

    Attributes
    ----------
    out : pathlib.Path
        The plan folder.
    path : pathlib.Path
        Where the command writes (the staging copy).
    before : FolderState
        The folder's state before the command.
    archived : pathlib.Path or None
        Where the old plan was moved, with ``force``.
    notes : list of str
        What the folder machinery did, for the terminal.
    """

    out: Path
    path: Path
    before: mf.FolderState
    archived: Path | None = None
    notes: list[str] = field(default_factory=list)

    def lines(self, lines: list[str]) -> list[str]:
        """Return summary lines with the staging folder's name replaced by ``out``."""
        a, b = str(self.path), str(self.out)
        return [line.replace(a, b) for line in lines]


def archive_plan(staging: Path, state: mf.FolderState, when: dt.datetime | None = None) -> Path:
    """Move the plan's files (and the field workbooks' folder) into ``archive/<id>-<time>/``.

    Parameters
    ----------
    staging : pathlib.Path
        The folder being built (a copy of the plan folder).
    state : FolderState
        The plan folder's state before the command.
    when : datetime.datetime, optional
        The archive's time (default: now, UTC).

    Returns
    -------
    pathlib.Path
        The archive folder, relative to the plan folder.
    """
    when = when or dt.datetime.now(dt.UTC)
    name = f"{state.plan_id or 'plan'}-{when.strftime('%Y%m%dT%H%M%SZ')}"
    rel = Path(folder.ARCHIVE) / name
    target = staging / rel
    target.mkdir(parents=True)
    names = list((state.manifest or {}).get("files", {})) + [folder.MANIFEST]
    for name in names:
        source = staging / name
        if source.is_file() and not name.startswith(folder.TEAMS + "/"):
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            os.rename(source, target / name)
    teams = staging / folder.TEAMS
    if teams.is_dir():
        os.rename(teams, target / folder.TEAMS)
    if state.manifest is not None:
        mf.write_manifest(target, state.manifest)
    return rel


def _refuse_another_seed(out: Path, before: mf.FolderState,
                         plan: tuple[str, str] | None) -> None:
    """Refuse to draw a committed plan again with another seed.

    A committed plan is drawn once, with the seed its announced source gave. Were another
    seed accepted in the same folder, whoever draws could try seeds until one pleased them,
    and the commitment would prove nothing; ``--force`` does not lift this.
    """
    if (plan is None or plan[1] is None or before.seed is None or before.seed == plan[1]
            or not (out / folder.COMMITMENT).is_file()):
        return
    raise VerificationError(
        f"{out} holds the draw of its commitment ({folder.COMMITMENT}) with seed "
        f"{before.seed!r}; a committed plan is drawn once, with the seed its source gave, so "
        f"seed {plan[1]!r} is refused (a new seed needs a new commitment in a new folder)",
        [f"seed {before.seed!r} drawn; seed {plan[1]!r} asked"])


@contextlib.contextmanager
def writing(out: str | Path, command: str, *, plan: tuple[str, str] | None = None,
            starts_plan: bool = False, force: bool = False) -> Iterator[Writing]:
    """Write the plan folder ``out`` whole or not at all, as the only writer.

    Parameters
    ----------
    out : str or pathlib.Path
        The plan folder (created when absent).
    command : str
        The command, e.g. ``"planner run"`` (recorded in the manifest).
    plan : tuple of str, optional
        ``(plan id, seed)`` the command writes.
    starts_plan : bool
        The command starts a plan (``run``, ``draw``): another plan in the folder is
        replaced - unless it holds returned work, which refuses the command. Other commands
        leave another plan's files for the stage to refuse.
    force : bool
        Archive an old plan with returned work instead of refusing.

    Yields
    ------
    Writing
        ``.path`` is where to write.

    Raises
    ------
    FolderBusyError
        When another process is writing the folder.
    FolderError
        When the folder's files do not belong together.
    ReturnedWorkError
        When the folder holds another plan's returned work and ``force`` is not given.
    InterruptedRun
        On Ctrl-C, saying what the folder holds.
    """
    out = Path(out).absolute()
    with folder_lock(out, command):
        clear_leftovers(out)
        before = mf.require_whole(out)
        staging = staging_path(out)
        other = (plan is not None and before.manifest is not None
                 and (before.plan_id, before.seed) != tuple(plan)
                 and (starts_plan or force))
        _refuse_another_seed(out, before, plan)
        if other and before.returned_work and not force:
            lines = "\n".join(f"  - {n}" for n in before.returned_work)
            raise ReturnedWorkError(
                f"{out} holds returned work of {before.describe()}, not of plan {plan[0]} "
                f"(seed {plan[1]!r}):\n{lines}\nuse another output folder, or pass --force "
                f"to move the old plan whole into {out / folder.ARCHIVE}/ first")
        ours = set(mf.planner_files(out)) if out.is_dir() else set()
        skip = ours if other and not before.returned_work else set()
        done = False
        try:
            _copy_folder(out, staging, ours, skip)
            job = Writing(out, staging, before)
            if other and before.returned_work:
                job.archived = archive_plan(staging, before)
                job.notes.append(f"moved {before.describe()} to {out / job.archived}")
            yield job
            written = _written(out, staging)
            mf.write_manifest(staging, mf.build_manifest(staging, command, before.manifest,
                                                         written))
            swap_in(staging, out)
            done = True
        except KeyboardInterrupt:
            shutil.rmtree(staging, ignore_errors=True)
            held = mf.folder_state(out).describe() if out.is_dir() else "nothing"
            raise InterruptedRun(f"interrupted: {out} still holds {held}"
                                 + ("" if done else "; nothing of this run was kept")) from None
        except PlannerError as exc:
            _translate(exc, staging, out)
            shutil.rmtree(staging, ignore_errors=True)
            raise
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
