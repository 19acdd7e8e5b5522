"""Every random number of a plan, from one rule: (seed, purpose, unit) -> SHA-256 -> stream.

The rule
--------
1. The *message* is the purpose's layout (table below) with ``{seed}`` (the scenario's public
   seed, a string), ``{unit}`` and ``{purpose}`` filled in.
2. Its *digest* is the SHA-256 of the message's UTF-8 bytes, read as a 256-bit big-endian
   integer ``d``.
3. The purpose's *kind* says what ``d`` becomes:

   - ``number``: the ticket ``d / 2**256``, in [0, 1) (the draw: the n lowest per stratum);
   - ``stream``: a numpy ``Generator(PCG64(SeedSequence(d)))`` for the named unit;
   - ``spawned``: the ``unit``-th child of ``SeedSequence(d)``, i.e.
     ``SeedSequence(d, spawn_key=(unit,))``, which is exactly what
     ``SeedSequence(d).spawn(n)[unit]`` gives, as a ``Generator(PCG64(...))``;
   - ``seed``: no hash - the message itself is a derived public seed (a programme's batch
     seed), whose tickets are the ``ticket`` purpose under it, so ``planner verify`` checks a
     batch like any plan (:func:`derived_seed`).

========  ===================================  ==========================================
purpose   layout (message)                     unit
========  ===================================  ==========================================
ticket    ``{seed}:{unit}``                    enterprise id, stripped and upper case
thin      ``{seed}:assign:{unit}:{purpose}``   planning unit (the thinning's offsets)
costs     ``{seed}:assign:{unit}:{purpose}``   planning unit (random arc costs)
leads     ``{seed}:assign:{unit}:{purpose}``   planning unit (who leads each team)
repair    ``{seed}:assign:{unit}:{purpose}``   planning unit (order of pair repair)
experts   ``{seed}:experts:{unit}``            ``plan`` (one expert per team, 专家库)
replace-  ``{seed}:assign:replace-inspector:   ``{inspector}:{task}``: who takes a withdrawn
inspector {unit}``                             inspector's seat in that task
simulate  ``simulate:{seed}``                  stream: 0 prevalence, 1..K class c-1, K+1
                                               the uniform draws (Monte-Carlo)
demo      ``{seed}``                           stream: index in ``demo.generate.STREAMS``
loop      ``simulate-loop:{seed}``             quarter (0-based) of ``simulate --quarters``;
                                               its own children: 0 unused, 1..K class c-1,
                                               K+1 the uniform draw (as ``simulate``), then
                                               K+2 split, K+3 uniform split, K+4 drift
batch     ``{seed}/batch-{unit}``              batch K (1-based) of a programme: the batch's
                                               public seed (kind ``seed``), unless
                                               ``[programme] batch_seeds`` lists it
extra     ``{seed}/extra``                     none: the seed (kind ``seed``) whose tickets
                                               draw the fractional part of a frequency
learn     ``learn:{seed}``                     stream: 0 the schedules' tie-break, 1 the
                                               random ordering, 2 the AUC bootstrap
========  ===================================  ==========================================

The layouts differ by purpose because each is fixed by what was published with it: the ticket
layout is the formula anyone can recompute from the seed and the directory, and the others keep
every plan, simulation and demo data set made so far reproducible byte for byte. Distinct
layouts keep the streams apart: no two purposes hash the same message for a seed.

Nothing else in the program makes random numbers: no global RNG, no solver randomness (CP-SAT
runs with one worker and no time limit).

numpy is imported inside the functions that make streams, so that ``planner --help`` can show
the ticket formula (:func:`ticket_formula`) without loading it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

#: The message layout shared by the assignment's streams.
ASSIGN_LAYOUT = "{seed}:assign:{unit}:{purpose}"


@dataclass(frozen=True)
class Purpose:
    """How one purpose turns (seed, unit) into randomness.

    Attributes
    ----------
    layout : str
        The message, with ``{seed}``, ``{unit}`` and ``{purpose}`` placeholders.
    kind : str
        ``number`` (a ticket), ``stream`` (a Generator per unit), ``spawned`` (the unit-th
        child of the purpose's root ``SeedSequence``) or ``seed`` (the message is a derived
        public seed, not hashed).
    unit_name : str
        What a unit is, as the published formula names it.
    """

    layout: str
    kind: str
    unit_name: str


PURPOSES: dict[str, Purpose] = {
    "ticket": Purpose("{seed}:{unit}", "number", "enterprise_id"),
    "thin": Purpose(ASSIGN_LAYOUT, "stream", "unit"),
    "costs": Purpose(ASSIGN_LAYOUT, "stream", "unit"),
    "leads": Purpose(ASSIGN_LAYOUT, "stream", "unit"),
    "repair": Purpose(ASSIGN_LAYOUT, "stream", "unit"),
    "experts": Purpose("{seed}:experts:{unit}", "stream", "unit"),
    "replace-inspector": Purpose("{seed}:assign:replace-inspector:{unit}", "stream", "unit"),
    "simulate": Purpose("simulate:{seed}", "spawned", "stream"),
    "demo": Purpose("{seed}", "spawned", "stream"),
    "loop": Purpose("simulate-loop:{seed}", "spawned", "quarter"),
    "batch": Purpose("{seed}/batch-{unit}", "seed", "batch"),
    "extra": Purpose("{seed}/extra", "seed", ""),
    "learn": Purpose("learn:{seed}", "spawned", "stream"),
}
#: The assignment's purposes, in the order the record lists them.
ASSIGN_PURPOSES = ("thin", "costs", "leads", "repair")


def _purpose(purpose: str) -> Purpose:
    try:
        return PURPOSES[purpose]
    except KeyError:
        raise ValueError(f"unknown purpose of randomness {purpose!r}: one of "
                         f"{', '.join(PURPOSES)}") from None


def message(seed: str, purpose: str, unit: str = "") -> str:
    """Return the text whose SHA-256 seeds the stream (for ``spawned`` purposes, the root's).

    Parameters
    ----------
    seed : str
        The plan's public seed.
    purpose : str
        A key of :data:`PURPOSES`.
    unit : str
        The unit (enterprise id, planning unit); ignored by ``spawned`` purposes.

    Returns
    -------
    str
        The layout filled in.
    """
    return _purpose(purpose).layout.format(seed=seed, unit=unit, purpose=purpose)


def digests(seed: str, purpose: str, units: Iterable[str]) -> list[bytes]:
    """Return the 32-byte SHA-256 digest of each unit's message (the vectorised rule).

    Parameters
    ----------
    seed : str
        The plan's public seed.
    purpose : str
        A key of :data:`PURPOSES` whose layout holds ``{unit}``.
    units : iterable of str
        The units, as they are hashed (tickets: already stripped and upper case).

    Returns
    -------
    list of bytes
        One digest per unit, in order.
    """
    head, tail = _around_unit(seed, purpose)
    sha = hashlib.sha256
    return [sha(f"{head}{u}{tail}".encode()).digest() for u in units]


def _around_unit(seed: str, purpose: str) -> tuple[str, str]:
    """Return the message's text before and after ``{unit}``."""
    head, tail = _purpose(purpose).layout.split("{unit}")
    return head.format(seed=seed, purpose=purpose), tail.format(seed=seed, purpose=purpose)


def encoded_digests(seed: str, purpose: str, units: Iterable[bytes]) -> list[bytes]:
    """Return :func:`digests` of units given as their UTF-8 encodings (bytes).

    The same digests, ``digests(seed, purpose, [u.decode() for u in units])``, for a process
    that is sent the units as text (:class:`planner.common.parallel.DigestsAhead`).
    """
    head, tail = (part.encode() for part in _around_unit(seed, purpose))
    sha = hashlib.sha256
    return [sha(head + u + tail).digest() for u in units]


def entropy(seed: str, purpose: str, unit: str = "") -> int:
    """Return the message's SHA-256 as a 256-bit big-endian integer.

    Parameters
    ----------
    seed : str
        The plan's public seed.
    purpose : str
        A key of :data:`PURPOSES`.
    unit : str
        The unit (see :func:`message`).

    Returns
    -------
    int
        ``int(sha256(message.encode("utf-8")).hexdigest(), 16)``.
    """
    digest = hashlib.sha256(message(seed, purpose, unit).encode("utf-8")).digest()
    return int.from_bytes(digest, "big")


def child(root: np.random.SeedSequence, index: int) -> np.random.SeedSequence:
    """Return ``root.spawn(n)[index]`` for any ``n > index``, without spawning.

    Parameters
    ----------
    root : numpy.random.SeedSequence
        A purpose's root sequence.
    index : int
        The stream's number.

    Returns
    -------
    numpy.random.SeedSequence
        The child with spawn key ``root.spawn_key + (index,)``.
    """
    import numpy as np

    return np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, int(index)),
                                  pool_size=root.pool_size)


def seed_sequence(seed: str, purpose: str, unit: str | int | None = None) -> np.random.SeedSequence:
    """Return the ``SeedSequence`` of one stream (the root of a ``spawned`` purpose without unit).

    Parameters
    ----------
    seed : str
        The plan's public seed.
    purpose : str
        A key of :data:`PURPOSES` of kind ``stream`` or ``spawned``.
    unit : str or int, optional
        ``stream``: the unit's name; ``spawned``: the stream's index (None: the root).

    Returns
    -------
    numpy.random.SeedSequence
        The stream's seed sequence.

    Raises
    ------
    ValueError
        For an unknown purpose, or the ticket (a number, not a stream).
    """
    import numpy as np

    kind = _purpose(purpose).kind
    if kind == "number":
        raise ValueError("the ticket is a number, not a stream: use planner.draw.tickets")
    if kind == "seed":
        raise ValueError(f"{purpose!r} is a derived seed, not a stream: use derived_seed")
    if kind == "stream":
        return np.random.SeedSequence(entropy(seed, purpose, str(unit)))
    root = np.random.SeedSequence(entropy(seed, purpose))
    return root if unit is None else child(root, int(unit))


def generator(seed: str, purpose: str, unit: str | int) -> np.random.Generator:
    """Return the PCG64 ``Generator`` of one stream: the same arguments, the same numbers.

    Parameters
    ----------
    seed : str
        The plan's public seed.
    purpose : str
        A key of :data:`PURPOSES` of kind ``stream`` or ``spawned``.
    unit : str or int
        The unit's name, or the spawned stream's index.

    Returns
    -------
    numpy.random.Generator
        ``Generator(PCG64(seed_sequence(seed, purpose, unit)))``.
    """
    import numpy as np

    return np.random.Generator(np.random.PCG64(seed_sequence(seed, purpose, unit)))


def derived_seed(seed: str, purpose: str, unit: str | int = "") -> str:
    """Return a derived public seed (a purpose of kind ``seed``): the message, not hashed.

    Parameters
    ----------
    seed : str
        The plan's public seed.
    purpose : str
        A key of :data:`PURPOSES` of kind ``seed`` (``batch``, ``extra``).
    unit : str or int
        The batch number for ``batch``; ignored by ``extra``.

    Returns
    -------
    str
        The seed, e.g. ``"2027-food/batch-1"``; its tickets are the ``ticket`` purpose under it.

    Raises
    ------
    ValueError
        For an unknown purpose, or one that makes numbers or streams.
    """
    if _purpose(purpose).kind != "seed":
        raise ValueError(f"{purpose!r} makes random numbers, not a derived seed")
    return message(seed, purpose, str(unit))


def ticket_formula() -> str:
    """Return the ticket formula as published (help text, record), generated from the layout.

    Returns
    -------
    str
        A Python expression in ``seed`` and ``enterprise_id`` that evaluates (with
        ``sha256 = hashlib.sha256``) to the ticket the draw uses.
    """
    p = PURPOSES["ticket"]
    text = p.layout.format(seed="{seed}", unit="{" + p.unit_name + "}", purpose="ticket")
    return f'int(sha256(f"{text}".encode("utf-8")).hexdigest(), 16) / 2**256'


def assign_streams_description() -> str:
    """Return the assignment's streams as the draw record describes them.

    Returns
    -------
    str
        The layout and the purposes, generated from :data:`PURPOSES`.
    """
    layouts = {PURPOSES[p].layout for p in ASSIGN_PURPOSES}
    (layout,) = layouts
    return (f"numpy PCG64 seeded by SeedSequence(int(sha256(f'{layout}'))) for purpose in "
            f"{', '.join(ASSIGN_PURPOSES)}")
