"""Learning problem risk from the random inspections' results (``planner learn``)."""
