"""One plan: its scenario file, its validated inputs, and ``planner run`` stage by stage."""
