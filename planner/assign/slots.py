"""The seats of one inspection team as a small tree of slot groups.

A team needs ``team_size`` distinct inspectors; exactly one of them leads (主检) and, when
required, must be lead-capable; in a joint check (联合抽查) every named department supplies at
least one inspector, the first named department is the lead department (牵头部门) and the
lead comes from it. All of these are *laminar* lower bounds on groups of inspectors, so they
fit one tree per enterprise, the same shape for every enterprise:

- plain team, lead required:   root (team_size) -> lead-capable (>= 1), others
- plain team, no lead rule:    root (team_size) -> everyone
- joint check, lead required:  root -> dept 1 (>= 1) -> dept 1 lead-capable (>= 1), dept 1 others;
                               root -> dept 2 (>= 1); ...
- joint check, no lead rule:   root -> dept 1 (>= 1); dept 2 (>= 1); ...

Every inspector falls in exactly one leaf ("class"); an inspector of no joint department
falls in none and is not a candidate. Because each subtree's lower bound is a node supply in
a flow network (see :mod:`planner.assign.flow`), the whole team rule is carried by the flow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SlotTree:
    """The slot tree shared by every team of a plan.

    Attributes
    ----------
    team_size : int
        Inspectors per team.
    parent : tuple of int
        Parent node of each node (-1 for the root, node 0).
    need : tuple of int
        The least number of team seats each node's subtree must fill (root: team_size).
    leaf_node : tuple of int
        The tree node of each leaf class.
    leaf_label : tuple of str
        A readable name of each leaf class, for messages.
    lead_classes : tuple of int
        The leaf classes whose inspectors may lead.
    departments : tuple of str
        The joint-check departments (empty for a plain team).
    require_lead : bool
        Whether the lead must be lead-capable.
    """

    team_size: int
    parent: tuple[int, ...]
    need: tuple[int, ...]
    leaf_node: tuple[int, ...]
    leaf_label: tuple[str, ...]
    lead_classes: tuple[int, ...]
    departments: tuple[str, ...]
    require_lead: bool

    @property
    def n_nodes(self) -> int:
        """Number of tree nodes per enterprise."""
        return len(self.parent)

    @property
    def n_classes(self) -> int:
        """Number of leaf classes."""
        return len(self.leaf_node)

    def supply(self) -> np.ndarray:
        """Seats each node receives directly from the source (its need not met by children).

        Returns
        -------
        numpy.ndarray
            One integer per node; they sum to ``team_size``.
        """
        need = np.array(self.need, dtype=np.int64)
        children_need = np.zeros(self.n_nodes, dtype=np.int64)
        for node, par in enumerate(self.parent):
            if par >= 0:
                children_need[par] += need[node]
        return need - children_need

    def subtree_classes(self) -> list[np.ndarray]:
        """Return the leaf classes under each node (a node's own class included).

        Returns
        -------
        list of numpy.ndarray
            For each node, the sorted class ids in its subtree.
        """
        out: list[list[int]] = [[] for _ in range(self.n_nodes)]
        for cls, node in enumerate(self.leaf_node):
            n = node
            while n >= 0:
                out[n].append(cls)
                n = self.parent[n]
        return [np.array(sorted(c), dtype=np.int64) for c in out]

    def classify(self, can_lead: np.ndarray, department: np.ndarray) -> np.ndarray:
        """Return each inspector's leaf class, or -1 for an inspector who may not join.

        Parameters
        ----------
        can_lead : numpy.ndarray of bool
            Lead-capable (可任主检) flags.
        department : numpy.ndarray of str
            Departments (所属部门).

        Returns
        -------
        numpy.ndarray of int64
            Leaf class per inspector; -1 when the inspector is in no joint department.
        """
        can_lead = np.asarray(can_lead, dtype=bool)
        n = len(can_lead)
        if not self.departments:
            if self.require_lead:
                return np.where(can_lead, 0, 1).astype(np.int64)
            return np.zeros(n, dtype=np.int64)
        department = np.asarray(department, dtype=object)
        out = np.full(n, -1, dtype=np.int64)
        first = department == self.departments[0]
        if self.require_lead:
            out[first & can_lead] = 0
            out[first & ~can_lead] = 1
            offset = 1
        else:
            out[first] = 0
            offset = 0
        for j, dept in enumerate(self.departments[1:], start=1):
            out[department == dept] = j + offset
        return out


def slot_tree(team_size: int, require_lead: bool, departments: list[str] | tuple[str, ...]
              ) -> SlotTree:
    """Build the slot tree for a team rule.

    Parameters
    ----------
    team_size : int
        Inspectors per team (>= 2, and >= the number of departments).
    require_lead : bool
        Whether one member must be lead-capable (and lead).
    departments : sequence of str
        Joint-check departments, lead department first; empty for a plain team.

    Returns
    -------
    SlotTree
        The tree.
    """
    departments = tuple(departments)
    if not departments:
        if require_lead:
            return SlotTree(team_size, (-1, 0, 0), (team_size, 1, 0), (1, 2),
                            ("lead-capable", "not lead-capable"), (0,), (), True)
        return SlotTree(team_size, (-1,), (team_size,), (0,), ("candidates",), (0,), (), False)
    parent = [-1] + [0] * len(departments)
    need = [team_size] + [1] * len(departments)
    if require_lead:
        parent += [1, 1]
        need += [1, 0]
        leaf_node = [len(departments) + 1, len(departments) + 2]
        labels = [f"lead-capable of {departments[0]}", f"others of {departments[0]}"]
        leaf_node += list(range(2, len(departments) + 1))
        labels += list(departments[1:])
        lead = (0,)
    else:
        leaf_node = list(range(1, len(departments) + 1))
        labels = list(departments)
        lead = tuple(range(len(leaf_node)))
    return SlotTree(team_size, tuple(parent), tuple(need), tuple(leaf_node), tuple(labels),
                    lead, departments, require_lead)
