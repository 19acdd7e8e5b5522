"""The first random of 双随机: who is drawn, and proof that the draw was fair.

Eligibility, per-stratum quotas, the verifiable ticket draw, its record and ``planner verify``.
"""
