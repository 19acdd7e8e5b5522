"""Candidate (enterprise, inspector) pairs, built by omission, with what each rule removed.

For one planning unit (a district, a station, or the whole plan) the pairs are the drawn
enterprises crossed with the unit's inspectors, minus every pair a rule forbids. Rules are
applied in a fixed order and each removed pair is counted against the *first* rule that
removes it, so the counts per enterprise add up to the roster size:

==================  =====================================================================
rule                removes
==================  =====================================================================
other district      inspectors outside the enterprise's unit (``partition_by``)
certificate         inspectors whose enforcement certificate (执法证) ends before the plan
unavailable         inspectors marked not available
department          inspectors of no joint-check department (``joint_departments``)
cross-station       inspectors of the enterprise's own station (``cross_station``, 所所交叉)
avoidance           pairs in the avoidance list (回避)
rotation            the inspectors of the enterprise's last inspection (``rotation``)
==================  =====================================================================

The first four depend on the inspector alone, so they are counted once per unit; the
cross-station count is a per-station count; only the avoidance and rotation pairs (short
lists) are matched pair by pair. The only arrays of the size of the unit's
enterprises x inspectors are the boolean mask of the surviving pairs and, while thinning,
a random key per pair; a plan without
``partition_by`` whose cross product would exceed :data:`MAX_PAIRS` is refused with a
message saying to partition it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.assign.pair_rules import PAIR_RULES
from planner.assign.slots import SlotTree
from planner.common.errors import ScenarioError

MAX_PAIRS = 25_000_000

RULE_LABELS = {
    "unit": "other {unit}",
    "certificate": "certificate",
    "unavailable": "unavailable",
    "department": "other department",
    "cross_station": "cross-station",
    **{rule.name: rule.label for rule in PAIR_RULES},
}


# Rules of the whole team rather than of one pair: the slot tree (team size, one lead,
# lead-capable, joint departments) and the flow carry them, CP-SAT the separate pairs;
# capacity is each inspector's arc count to the sink; CP-SAT also gives each team its
# qualified inspectors (planner.assign.quals). With RULE_LABELS these are every rule
# the planner enforces, and ``planner check`` (planner.assign.check.CHECKS) re-checks the
# same set by name.
TEAM_RULES = ("team_size", "one_lead", "lead_capable", "capacity", "separate_pairs",
              "qualification", "experts", "standing_groups")
# What ``planner check`` verifies beyond the rules: that the files fit together.
FILE_RULES = ("shape", "one_task", "directory")

@dataclass(frozen=True)
class Rules:
    """The assignment rules of a plan, as switched in ``[assignment]``.

    Attributes
    ----------
    tree : SlotTree
        Team seats and their lower bounds (team size, lead, joint departments).
    cross_station : bool
        No inspector of the enterprise's own station.
    pair_rules : tuple of str
        The pair rules that apply (:data:`planner.assign.pair_rules.PAIR_RULES`), in their
        order.
    partition_by : str or None
        ``"district"`` or ``"station"``: the inspecting unit; None for one unit.
    max_pair_probability : float or None
        Upper bound on any inspector-enterprise pair's probability over seeds.
    """

    tree: SlotTree
    cross_station: bool
    pair_rules: tuple[str, ...]
    partition_by: str | None
    max_pair_probability: float | None

    @property
    def rotation(self) -> bool:
        """Whether the rotation rule applies."""
        return "rotation" in self.pair_rules

    def active_rules(self) -> list[str]:
        """Return the names of the rules that remove candidates, in attribution order."""
        names = ["unit"] if self.partition_by else []
        names += ["certificate", "unavailable"]
        if self.tree.departments:
            names.append("department")
        if self.cross_station:
            names.append("cross_station")
        return names + list(self.pair_rules)

    def rule_label(self, name: str) -> str:
        """Return a rule's name as printed in messages."""
        return RULE_LABELS[name].format(unit=self.partition_by or "unit")


@dataclass
class UnitCandidates:
    """The candidate pairs of one planning unit.

    Attributes
    ----------
    unit : str
        The unit's name (a district, a station, or ``"all"``).
    enterprises : pandas.DataFrame
        The unit's drawn enterprises, local order: ``enterprise_id``, ``name``, ``district``,
        ``station``, ``position`` (row in the sample).
    inspectors : pandas.DataFrame
        The unit's inspectors who pass the per-inspector rules (local order): roster columns
        plus ``cls`` (leaf class of the slot tree) and ``roster_pos``.
    mask : numpy.ndarray of bool
        Enterprises x inspectors: whether the pair is a candidate.
    removed : pandas.DataFrame
        Per enterprise (local order), the pairs each active rule removed, plus ``roster``
        (the whole roster's size) and ``left``.
    """

    unit: str
    enterprises: pd.DataFrame
    inspectors: pd.DataFrame
    mask: np.ndarray
    removed: pd.DataFrame

    @property
    def cls(self) -> np.ndarray:
        """Leaf class of each inspector."""
        return self.inspectors["cls"].to_numpy()

    def available_by_node(self, tree: SlotTree) -> np.ndarray:
        """Return candidates per enterprise under each slot-tree node (enterprises x nodes)."""
        cls = self.cls
        by_cls = np.stack([self.mask[:, cls == c].sum(axis=1) for c in range(tree.n_classes)],
                          axis=1).reshape(len(self.enterprises), tree.n_classes)
        return np.stack([by_cls[:, c].sum(axis=1) for c in tree.subtree_classes()], axis=1)


def build_unit(
    unit: str,
    enterprises: pd.DataFrame,
    pool: pd.DataFrame,
    rules: Rules,
    forbidden: dict[str, pd.DataFrame],
    roster_size: int,
) -> UnitCandidates:
    """Build one unit's candidate pairs by omission, counting what each rule removed.

    Parameters
    ----------
    unit : str
        The unit's name.
    enterprises : pandas.DataFrame
        The unit's drawn enterprises (``enterprise_id``, ``name``, ``district``,
        ``station``, ``position``).
    pool : pandas.DataFrame
        The unit's roster rows (``inspector_id``, ``department``, ``station``, ``can_lead``,
        ``certified``, ``available``, ``capacity``, ``roster_pos``).
    rules : Rules
        The plan's rules.
    forbidden : dict
        Pair rule name -> the (``enterprise_id``, ``inspector_id``) pairs it forbids
        (:data:`planner.assign.pair_rules.PAIR_RULES`).
    roster_size : int
        Inspectors in the whole roster (for the "other unit" count).

    Returns
    -------
    UnitCandidates
        The pairs and the per-enterprise removal counts.

    Raises
    ------
    ScenarioError
        When the unit's cross product would exceed :data:`MAX_PAIRS` pairs.
    """
    ent = enterprises.reset_index(drop=True)
    n_e = len(ent)
    removed: dict[str, np.ndarray | int] = {}
    if rules.partition_by:
        removed["unit"] = roster_size - len(pool)
    certified = pool["certified"].to_numpy(dtype=bool)
    available = pool["available"].to_numpy(dtype=bool)
    removed["certificate"] = int((~certified).sum())
    removed["unavailable"] = int((certified & ~available).sum())
    keep = certified & available
    cls = rules.tree.classify(pool["can_lead"].to_numpy(dtype=bool),
                              pool["department"].to_numpy(dtype=object))
    if rules.tree.departments:
        removed["department"] = int((keep & (cls < 0)).sum())
        keep &= cls >= 0
    insp = pool[keep].reset_index(drop=True)
    insp["cls"] = cls[keep]
    n_i = len(insp)
    if n_e * n_i > MAX_PAIRS:
        raise ScenarioError(
            f"{n_e:,} drawn enterprises x {n_i:,} inspectors in one planning unit is too many "
            f"pairs to plan together; set partition_by = \"district\" so that each district's "
            "inspectors plan its enterprises",
            key="assignment.partition_by",
        )

    mask = np.ones((n_e, n_i), dtype=bool)
    if rules.cross_station:
        codes = pd.Index(pd.unique(np.concatenate(
            [ent["station"].to_numpy(dtype=object), insp["station"].to_numpy(dtype=object)])))
        e_station = codes.get_indexer(ent["station"].to_numpy(dtype=object))
        i_station = codes.get_indexer(insp["station"].to_numpy(dtype=object))
        same = (e_station[:, None] == i_station[None, :]) & (ent["station"].to_numpy() != "")[
            :, None]
        removed["cross_station"] = same.sum(axis=1)
        mask &= ~same
    e_index = pd.Index(ent["enterprise_id"])
    i_index = pd.Index(insp["inspector_id"])
    for name in rules.pair_rules:
        pairs = forbidden.get(name)
        count = np.zeros(n_e, dtype=np.int64)
        if pairs is not None and len(pairs):
            pe = e_index.get_indexer(pairs["enterprise_id"])
            pi = i_index.get_indexer(pairs["inspector_id"])
            ok = (pe >= 0) & (pi >= 0)
            pe, pi = pe[ok], pi[ok]
            hit = mask[pe, pi]
            pe, pi = pe[hit], pi[hit]
            flat = np.unique(pe.astype(np.int64) * max(n_i, 1) + pi)
            pe, pi = flat // max(n_i, 1), flat % max(n_i, 1)
            mask[pe, pi] = False
            count = np.bincount(pe, minlength=n_e)
        removed[name] = count
    table = pd.DataFrame(
        {name: np.broadcast_to(np.asarray(removed[name]), (n_e,)).astype(np.int64)
         for name in rules.active_rules()}
    )
    table["roster"] = roster_size
    table["left"] = mask.sum(axis=1)
    return UnitCandidates(
        unit=unit,
        enterprises=ent,
        inspectors=insp,
        mask=mask,
        removed=table,
    )
