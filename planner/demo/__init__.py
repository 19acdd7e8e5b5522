"""Synthetic demo data (``planner demo-data``): directory, roster and scenario of any preset."""
