"""Standing inspection groups (检查小组): teams drawn as whole groups.

With ``[assignment] standing_groups = true`` every team is one whole group of the roster's
``group`` column: all the group's eligible members (certified, available, of the unit),
led by one of its lead-capable members. The rules stay the rules of pairs: a group may
inspect an enterprise only if every member may, so the group candidates are the
inspector candidates of :func:`planner.assign.candidates.build_unit`, taken by omission
member by member. A group's capacity is its smallest member capacity.

The enterprises are matched to groups by the same min-cost flow as inspectors, with a
team of one seat, after the same thinning (:mod:`planner.assign.thinning`): a group is
admitted for an enterprise with probability at most ``max_pair_probability``, so every
member's pair with the enterprise is bounded too (a member sits only through its group).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.assign import candidates as cand
from planner.assign import thinning
from planner.assign.flow import solve_flow
from planner.assign.slots import SlotTree
from planner.common import randomness

# One seat per team: the group.
GROUP_TREE = SlotTree(1, (-1,), (1,), (0,), ("groups",), (0,), (), False)


def unit_groups(cands: cand.UnitCandidates, eligible_groups: pd.Series, team_size: int
                ) -> tuple[list[str], list[np.ndarray]]:
    """Return the unit's whole groups and their members (local inspector indices).

    A group is whole in the unit when each of its eligible members (``eligible_groups``:
    inspector id -> group, over the whole roster) is among the unit's candidates, and
    they are at least ``team_size`` with one lead-capable member among them (a group whose
    lead or members are unavailable or uncertified is not drawn).

    Parameters
    ----------
    cands : UnitCandidates
        The unit's inspector candidates.
    eligible_groups : pandas.Series
        Group of every eligible roster inspector who belongs to one, by inspector id.
    team_size : int
        The least team.

    Returns
    -------
    tuple
        Group names (sorted) and, per group, its members' local indices.
    """
    ids = cands.inspectors["inspector_id"].astype(str)
    local = pd.Series(np.arange(len(ids)), index=ids.to_numpy())
    can_lead = cands.inspectors["can_lead"].to_numpy(dtype=bool)
    names, members = [], []
    here = set(eligible_groups.reindex(ids.to_numpy()).dropna())
    for name, who in eligible_groups.groupby(eligible_groups, sort=True):
        if name not in here or not who.index.isin(local.index).all():
            continue
        at = np.sort(local.loc[who.index].to_numpy(dtype=np.int64))
        if len(at) < team_size or not can_lead[at].any():
            continue  # too few eligible members left, or none of them may lead
        names.append(str(name))
        members.append(at)
    return names, members


def group_mask(mask: np.ndarray, members: list[np.ndarray]) -> np.ndarray:
    """Return enterprises x groups: the group may inspect when every member may."""
    out = np.zeros((mask.shape[0], len(members)), dtype=bool)
    for g, who in enumerate(members):
        out[:, g] = mask[:, who].all(axis=1)
    return out


def solve_groups(cands: cand.UnitCandidates, rules: cand.Rules, seed: str,
                 eligible_groups: pd.Series, why: dict[str, set[tuple[str, str]]]):
    """Match one unit's enterprises to whole groups.

    Parameters
    ----------
    cands : UnitCandidates
        The unit's inspector candidates.
    rules : Rules
        The plan's rules.
    seed : str
        The plan's seed.
    eligible_groups : pandas.Series
        Group of every eligible roster inspector who belongs to one, by inspector id.
    why : dict
        Rule name -> forbidden (enterprise id, inspector id) pairs, to explain a failure.

    Returns
    -------
    tuple or list of str
        (teams, leads, groups, loads): enterprise -> member indices, enterprise -> lead
        index, enterprise -> group name, and the load of each member of a group that may
        be drawn (by inspector id); or the reasons there is none.
    """
    unit = cands.unit
    names, members = unit_groups(cands, eligible_groups, rules.tree.team_size)
    n_e = len(cands.enterprises)
    gmask = group_mask(cands.mask, members)
    capacity = cands.inspectors["capacity"].to_numpy(dtype=np.int64)
    gcap = np.array([int(capacity[who].min()) for who in members], dtype=np.int64)
    cls = np.zeros(len(members), dtype=np.int64)
    th = thinning.thin(gmask, cls, GROUP_TREE, rules.max_pair_probability,
                       randomness.generator(seed, "thin", unit),
                       randomness.generator(seed, "costs", unit), 1000)
    arcs = th.arcs(th.admitted, cls)
    sol = solve_flow(GROUP_TREE, n_e, arcs, gcap)
    if not sol.complete:
        return _reasons(cands, rules, names, members, gmask, gcap, th.admitted, why)
    chosen = {int(e): int(g) for e, g in zip(arcs.e[sol.chosen], arcs.i[sol.chosen],
                                             strict=True)}
    lead_rng = randomness.generator(seed, "leads", unit)
    can_lead = cands.inspectors["can_lead"].to_numpy(dtype=bool)
    teams, leads, groups = {}, {}, {}
    loads = np.zeros(len(cands.inspectors), dtype=np.int64)
    for e in range(n_e):
        who = members[chosen[e]]
        teams[e] = who.tolist()
        capable = who[can_lead[who]]
        leads[e] = int(capable[lead_rng.integers(len(capable))])
        groups[e] = names[chosen[e]]
        loads[who] += 1
    drawable = np.sort(np.concatenate(members))
    ids = cands.inspectors["inspector_id"].to_numpy()
    return teams, leads, groups, pd.Series(loads[drawable], index=ids[drawable])


def _unit_label(unit: str, rules: cand.Rules) -> str:
    return f"{rules.partition_by} {unit}" if rules.partition_by else "the plan"


def _reasons(cands, rules, names, members, gmask, gcap, admitted, why) -> list[str]:
    """Say in data terms why no enterprise -> group matching exists."""
    ids = cands.inspectors["inspector_id"].astype(str).to_numpy()
    stations = cands.inspectors["station"].astype(str).to_numpy()
    reasons = []
    if not names:
        return [f"{_unit_label(cands.unit, rules)}: no standing group (检查小组) has "
                f"{rules.tree.team_size} or more eligible members with a lead-capable one"]
    for e in np.flatnonzero(~gmask.any(axis=1)):
        eid = str(cands.enterprises["enterprise_id"].iloc[e])
        station = str(cands.enterprises["station"].iloc[e])
        parts = []
        for name, who in zip(names, members, strict=True):
            blocked = [i for i in who if not cands.mask[e, i]]
            said = []
            for i in blocked:
                rule = next((r for r, pairs in why.items() if (eid, ids[i]) in pairs), None)
                if rule is None and rules.cross_station and stations[i] == station:
                    rule = "cross_station"
                said.append(f"{ids[i]} ({rules.rule_label(rule) if rule else 'excluded'})")
            parts.append(f"group {name} has {', '.join(said)}")
        reasons.append(f"no group may inspect enterprise {eid}: " + "; ".join(parts))
    if reasons:
        return reasons
    n_e = len(cands.enterprises)
    if int(gcap.sum()) < n_e:
        return [f"{_unit_label(cands.unit, rules)}: {n_e:,} drawn enterprises but the "
                f"{len(names)} groups may take only {int(gcap.sum()):,} (each group its "
                "smallest member capacity)"]
    bare = np.flatnonzero(~admitted.any(axis=1))
    if rules.max_pair_probability is not None and len(bare):
        e = int(bare[0])
        eid = cands.enterprises["enterprise_id"].iloc[e]
        return [f"{_unit_label(cands.unit, rules)}: max_pair_probability "
                f"{rules.max_pair_probability:g} admits no group for {len(bare):,} drawn "
                f"enterprise(s), e.g. {eid}, which only {int(gmask[e].sum())} group(s) may "
                "inspect; raise max_pair_probability or form more groups"]
    return [f"{_unit_label(cands.unit, rules)}: the groups' capacities cannot cover every "
            "drawn enterprise with the groups each may take; raise capacity or form more "
            "groups"]
