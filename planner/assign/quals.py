"""Qualified teams: for each item of a task, a member who holds the item's qualification.

An item of the plan may need a qualification (``items.csv`` ``qualification``, 所需资质, e.g.
特种设备); a team then holds, for each such item of its task, at least one inspector whose
roster ``qualifications`` (检查资质) include it (:mod:`planner.plan.items`). "At least one of
the team is qualified" overlaps the lead rule (a lead-capable inspector may or may not be
qualified), so it is not laminar with the slot tree and a flow cannot carry both. It is
enforced like the separate pairs: the flow staffs every team, the teams it left without a
qualified member are re-staffed by CP-SAT on small sub-problems
(:func:`planner.assign.repair.repair_teams`, :func:`planner.assign.sidecp.solve_subproblem`), and
an enterprise none of whose candidates is qualified, or a qualification whose holders cannot
take all the tasks needing it, is reported before any solving (:func:`shortfalls`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.plan.items import holds


@dataclass(frozen=True)
class Needs:
    """The qualifications a unit's teams need.

    Attributes
    ----------
    names : tuple of str
        The distinct qualifications, in the plan's item order.
    holders : numpy.ndarray of bool
        Qualifications x the unit's inspectors: who holds each.
    by_enterprise : tuple of tuple of int
        Per enterprise of the unit (local order), the qualifications it needs.
    """

    names: tuple[str, ...]
    holders: np.ndarray
    by_enterprise: tuple[tuple[int, ...], ...]

    def __bool__(self) -> bool:
        """Whether any enterprise of the unit needs a qualification."""
        return any(self.by_enterprise)

    def masks(self, enterprise: int) -> list[np.ndarray]:
        """Return, for each qualification an enterprise needs, who holds it."""
        return [self.holders[q] for q in self.by_enterprise[enterprise]]


def unit_needs(names: tuple[str, ...], needed: pd.Series, qualifications: pd.Series) -> Needs:
    """Build a unit's :class:`Needs`.

    Parameters
    ----------
    names : tuple of str
        The plan's qualifications.
    needed : pandas.Series
        Per enterprise of the unit, the tuple of qualifications its items need.
    qualifications : pandas.Series
        Per inspector of the unit, the roster's ``qualifications`` cell.

    Returns
    -------
    Needs
        Holders and needs as indices.
    """
    index = {q: k for k, q in enumerate(names)}
    holders = np.array([holds(qualifications, q) for q in names], dtype=bool).reshape(
        len(names), len(qualifications))
    return Needs(names, holders, tuple(tuple(index[q] for q in n) for n in needed))


def unqualified_teams(teams: dict[int, list[int]], needs: Needs) -> list[int]:
    """Return the enterprises whose team lacks a holder of a qualification it needs.

    Parameters
    ----------
    teams : dict
        Enterprise -> its inspectors (local indices).
    needs : Needs
        The unit's needs.

    Returns
    -------
    list of int
        Enterprises in ascending order.
    """
    if not needs:
        return []
    return sorted(e for e, members in teams.items()
                  if any(not needs.holders[q, members].any() for q in needs.by_enterprise[e]))


def reserve(needs: Needs, capacity: np.ndarray) -> np.ndarray:
    """Seats each qualified inspector is expected to give to the teams needing them.

    The flow starts these inspectors' loads at this figure, so it leaves them room for
    the qualified seats the repair gives them and the final loads stay balanced.

    Parameters
    ----------
    needs : Needs
        The unit's needs.
    capacity : numpy.ndarray
        Each inspector's capacity.

    Returns
    -------
    numpy.ndarray of int64
        ``floor(sum over qualifications held of tasks needing it / its holders)``, at most
        the capacity.
    """
    share = np.zeros(needs.holders.shape[1], dtype=float)
    for q in range(len(needs.names)):
        holders = needs.holders[q]
        tasks = sum(q in n for n in needs.by_enterprise)
        if holders.any():
            share[holders] += tasks / holders.sum()
    return np.minimum(np.floor(share).astype(np.int64), capacity)


def arc_qualifies(needs: Needs, arc_e: np.ndarray, arc_i: np.ndarray) -> np.ndarray:
    """Return, per arc, whether its inspector holds a qualification its enterprise needs."""
    need = np.zeros((len(needs.by_enterprise), len(needs.names)), dtype=bool)
    for e, qs in enumerate(needs.by_enterprise):
        need[e, list(qs)] = True
    return (need[arc_e] & needs.holders.T[arc_i]).any(axis=1)


def shortfalls(needs: Needs, mask: np.ndarray, enterprises: pd.DataFrame,
               inspectors: pd.DataFrame, cross_station: bool, unit: str) -> list[str]:
    """Say in data terms which qualification needs no plan can meet.

    Two counts: enterprises none of whose candidates holds a qualification they need
    (grouped by qualification and station), and qualifications whose holders' capacity
    is below the number of tasks needing them.

    Parameters
    ----------
    needs : Needs
        The unit's needs.
    mask : numpy.ndarray of bool
        Enterprises x inspectors: the candidate pairs.
    enterprises, inspectors : pandas.DataFrame
        The unit's enterprises (``station``) and candidate inspectors (``station``,
        ``capacity``, ``inspector_id``).
    cross_station : bool
        Whether the plan forbids the enterprise's own station (for the wording).
    unit : str
        The unit's name for messages (e.g. ``"the plan"``).

    Returns
    -------
    list of str
        One line per shortfall.
    """
    out = []
    station_e = enterprises["station"].astype(str).to_numpy(dtype=object)
    station_i = inspectors["station"].astype(str).to_numpy(dtype=object)
    cap = inspectors["capacity"].to_numpy(dtype=np.int64)
    for q, name in enumerate(needs.names):
        wanting = np.array([q in n for n in needs.by_enterprise], dtype=bool)
        if not wanting.any():
            continue
        holder = needs.holders[q]
        if not holder.any():
            out.append(f"{unit}: no eligible inspector is qualified for {name}: "
                       f"{_tasks(int(wanting.sum()))} short")
            continue
        none = wanting & ~(mask & holder[None, :]).any(axis=1)
        for station in sorted(set(station_e[none])):
            tasks = f"{_tasks(int((none & (station_e == station)).sum()))} short"
            in_station = holder & (station_i == station)
            if cross_station and station and not (holder & ~in_station).any():
                out.append(f"{unit}: no inspector qualified for {name} outside station "
                           f"{station}: {tasks}")
            else:
                ids = ", ".join(inspectors["inspector_id"].astype(str)[holder].head(8))
                where = f" of station {station}" if station else ""
                out.append(f"{unit}: every inspector qualified for {name} ({ids}) is excluded "
                           f"from the enterprises{where} (avoidance, rotation or "
                           f"cross-station): {tasks}")
        n_tasks = int(wanting.sum())
        room = int(np.minimum(cap[holder], n_tasks).sum())
        if room < n_tasks:
            out.append(f"{unit}: {n_tasks} tasks need an inspector qualified for {name}; the "
                       f"{int(holder.sum())} qualified can take {room} (short by "
                       f"{n_tasks - room})")
    return out


def _tasks(n: int) -> str:
    return f"{n} task{'s' if n != 1 else ''}"
