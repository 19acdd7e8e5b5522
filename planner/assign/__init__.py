"""The second random of 双随机: a random team of inspectors for every drawn enterprise.

Candidate pairs under the avoidance rules, the min-cost flow that staffs the teams, CP-SAT for the
pairs a flow cannot carry, the explanation when no plan exists, and ``planner check``.
"""
