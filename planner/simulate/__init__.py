"""``planner simulate``: what candidate ratio sets would find, from per-class problem rates."""
