"""Names of the files the task features write into a plan folder, in one place.

Items, qualified teams, targets, joint checks, results per item and experts add these
files (each only when the plan uses the feature); the plan-folder module takes them from
here.
"""

from __future__ import annotations

# planner merge (planner/plan/merge.py), in the merged folder.
VISITS = "visits.csv"
JOINT_SEATS = "joint-assignments.csv"
MERGE_RECORD = "merge.json"
# planner results with an item-results sheet (planner/publish/item_results.py).
ITEM_RESULTS = "item-results.csv"
ITEM_DISCOVERY = "item-discovery.csv"
# [assignment] experts (planner/assign/experts.py).
EXPERTS = "experts.csv"
