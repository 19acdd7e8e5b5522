"""Why no plan exists, in data terms (for :class:`~planner.common.errors.InfeasiblePlanError`).

Three kinds of reason, from the most specific to the most general:

1. an enterprise that cannot be staffed at all: how many candidates each rule removed and
   which lower bound of the team (seats, a lead, a department) is left unmet - or unmet
   once ``max_pair_probability`` spreads each seat over enough candidates;
2. a unit (district, station or the whole plan) short of capacity or of leads, by how much;
   with cross-station checks, each station whose enterprises need more seats than the
   *other* stations' inspectors can give;
3. failing both, the minimum cut of the flow: the set of enterprises whose candidates are
   all at capacity, and how many seats that leaves empty (Hall's condition).

Reasons 1 and 2 are necessary conditions checked by counting; reason 3 is exact for the
flow (max-flow = min-cut), so a unit the flow cannot staff always gets at least one reason.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from planner.assign.candidates import Rules, UnitCandidates
from planner.assign.flow import FlowSolution
from planner.assign.slots import SlotTree
from planner.assign.thinning import SCALE, quantised

MAX_LISTED = 8


def describe_enterprise(row: pd.Series) -> str:
    """``91440300... (某某公司, station X)`` for messages."""
    where = f"station {row['station']}" if row.get("station") else f"district {row['district']}"
    return f"{row['enterprise_id']} ({row['name']}, {where})"


def enterprise_reasons(cands: UnitCandidates, rules: Rules) -> list[str]:
    """Name each enterprise that cannot be staffed from its candidates.

    Parameters
    ----------
    cands : UnitCandidates
        The unit's candidate pairs (after the rules, before any thinning).
    rules : Rules
        The plan's rules.

    Returns
    -------
    list of str
        One reason per enterprise that fails, in local order.
    """
    tree = rules.tree
    avail = cands.available_by_node(tree)
    need = np.asarray(tree.need, dtype=np.int64)
    width = quantised(rules.max_pair_probability)
    short_rules = avail < need[None, :]
    short_q = (avail * width < need[None, :] * SCALE) & ~short_rules
    bad = np.flatnonzero(short_rules.any(axis=1) | short_q.any(axis=1))
    out = []
    names = rules.active_rules()
    for e in bad:
        row = cands.enterprises.iloc[e]
        removed = cands.removed.iloc[e]
        counts = ", ".join(f"{rules.rule_label(n)} {int(removed[n])}" for n in names)
        head = f"{describe_enterprise(row)}: {int(removed['left'])} candidate" \
               f"{'s' if removed['left'] != 1 else ''} left of {int(removed['roster'])}: {counts}"
        needs = []
        for node in np.flatnonzero(short_rules[e]):
            needs.append(f"needs {need[node]} {_group(tree, node, need[node])}, "
                         f"has {avail[e, node]}")
        for node in np.flatnonzero(short_q[e]):
            least = math.ceil(need[node] * SCALE / width)
            needs.append(
                f"max_pair_probability {rules.max_pair_probability:g} needs at least {least} "
                f"{_group(tree, node, least)} to fill {need[node]} seat{'s' if need[node] > 1 else ''} "
                f"(each chosen with probability at most {rules.max_pair_probability:g}), "
                f"has {avail[e, node]}")
        out.append(f"{head} - " + "; ".join(needs))
    return out


def _group(tree: SlotTree, node: int, n: int) -> str:
    noun = "candidate" if n == 1 else "candidates"
    if node == 0:
        return noun
    leaves = [c for c, k in enumerate(tree.leaf_node) if k == node]
    if leaves and tree.require_lead and leaves[0] in tree.lead_classes:
        dept = f" of department {tree.departments[0]}" if tree.departments else ""
        return f"lead-capable {noun}{dept}"
    if tree.departments:
        return f"{noun} of department {tree.departments[node - 1]}"
    return noun


def unit_reasons(cands: UnitCandidates, rules: Rules) -> list[str]:
    """Capacity and lead shortfalls of a unit, and of its stations under cross-station.

    Parameters
    ----------
    cands : UnitCandidates
        The unit's candidates (its ``inspectors`` passed the per-inspector rules).
    rules : Rules
        The plan's rules.

    Returns
    -------
    list of str
        One line per shortfall found.
    """
    tree = rules.tree
    n_teams = len(cands.enterprises)
    insp = cands.inspectors
    cap = insp["capacity"].to_numpy(dtype=np.int64)
    cls = insp["cls"].to_numpy()
    unit = _unit_name(cands.unit, rules)
    out = []
    parts = []
    seats = n_teams * tree.team_size
    if seats > cap.sum():
        parts.append(f"{seats} seats needed, capacity {int(cap.sum())} of {len(insp)} eligible "
                     f"inspectors (short by {seats - int(cap.sum())})")
    lead_mask = np.isin(cls, tree.lead_classes)
    if tree.require_lead:
        lead_cap = int(np.minimum(cap[lead_mask], n_teams).sum())
        if n_teams > lead_cap:
            parts.append(f"{_count(int(lead_mask.sum()), 'lead-capable inspector')} for "
                         f"{_count(n_teams, 'team')} "
                         f"(capacity {lead_cap}, short by {n_teams - lead_cap})")
    subtree = tree.subtree_classes()
    for j, dept in enumerate(tree.departments, start=1):
        d_cap = int(np.minimum(cap[np.isin(cls, subtree[j])], n_teams).sum())
        if n_teams > d_cap:
            parts.append(f"department {dept} can staff {d_cap} of {n_teams} teams "
                         f"(short by {n_teams - d_cap})")
    if parts:
        out.append(f"{unit}: " + "; ".join(parts))
    if rules.cross_station and n_teams:
        station_e = cands.enterprises["station"].to_numpy(dtype=object)
        station_i = insp["station"].to_numpy(dtype=object)
        for station in sorted(set(station_e) - {""}):
            k = int((station_e == station).sum())
            other = station_i != station
            need_seats = k * tree.team_size
            have = int(np.minimum(cap[other], k).sum())
            parts = []
            if need_seats > have:
                parts.append(f"{need_seats} seats needed from other stations' inspectors, who "
                             f"can give {have} (short by {need_seats - have})")
            if tree.require_lead:
                lead_have = int(np.minimum(cap[other & lead_mask], k).sum())
                if k > lead_have:
                    n_lead = _count(int((other & lead_mask).sum()), "lead-capable inspector")
                    parts.append(f"{_count(k, 'team')} need a lead from another station, "
                                 f"{n_lead} there can lead {lead_have} (short by "
                                 f"{k - lead_have})")
            if parts:
                out.append(f"station {station} ({unit}): " + "; ".join(parts))
    return out


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _unit_name(unit: str, rules: Rules) -> str:
    if rules.partition_by is None:
        return "the plan"
    return f"{rules.partition_by} {unit}"


def cut_reason(cands: UnitCandidates, rules: Rules, solution: FlowSolution) -> str | None:
    """Describe the minimum cut of a flow that left seats empty.

    The nodes reachable from the source in the residual network are the enterprises
    competing for the same full inspectors; all their candidates who could still help are
    at capacity, so the empty seats cannot be filled by any plan under these candidates.

    Parameters
    ----------
    cands : UnitCandidates
        The unit's candidates.
    rules : Rules
        The plan's rules.
    solution : FlowSolution
        A flow with ``network`` kept (seats short).

    Returns
    -------
    str or None
        One line, or None when the flow is complete.
    """
    net = solution.network
    if net is None:
        return None
    # Imported here: only a plan without a solution needs it, and SciPy takes a quarter
    # second to import, which every run would otherwise pay.
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import breadth_first_order

    tails, heads, caps, flows = net["tails"], net["heads"], net["caps"], net["flows"]
    n = int(net["node_count"])
    fwd = flows < caps
    back = flows > 0
    rows = np.concatenate([tails[fwd], heads[back]])
    cols = np.concatenate([heads[fwd], tails[back]])
    graph = csr_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n, n))
    reached = breadth_first_order(graph, 0, directed=True, return_predecessors=False)
    first_tree, n_nodes, first_insp = net["first_tree"], net["n_nodes"], net["first_insp"]
    tree_nodes = reached[(reached >= first_tree) & (reached < first_insp)]
    ents = np.unique((tree_nodes - first_tree) // n_nodes)
    insp = np.unique(reached[reached >= first_insp] - first_insp)
    short = solution.short_by_node.sum(axis=1)
    empty = int(short.sum())
    short_e = np.flatnonzero(short)
    others = len(np.setdiff1d(ents, short_e))
    e_rows = cands.enterprises.iloc[short_e]
    groups = (e_rows["station"].where(e_rows["station"] != "", e_rows["district"])
              .value_counts().sort_index())
    where = ", ".join(f"{g} {c}" for g, c in groups.items())
    i_rows = cands.inspectors.iloc[insp]
    ids = ", ".join(i_rows["inspector_id"].astype(str).head(MAX_LISTED))
    if len(i_rows) > MAX_LISTED:
        ids += f", ... ({len(i_rows)} in all)"
    cap = int(i_rows["capacity"].sum())
    head = (f"{_unit_name(cands.unit, rules)}: {_count(empty, 'seat')} stay empty in "
            f"{_count(len(short_e), 'enterprise')} ({where})")
    if not len(i_rows):
        return f"{head}: every candidate of theirs is already on their team"
    they = f"they and {_count(others, 'other enterprise')}" if others else "they"
    return (f"{head}; {they} compete for the same {_count(len(i_rows), 'inspector')} ({ids}), "
            f"who are all at capacity ({cap} seats)")
