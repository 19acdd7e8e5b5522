"""Planning over a real roster's shape: Chicago's 36 sanitarians and their establishments.

``../shared/data/chicago/inspector_assignments_2014.csv`` lists which sanitarian (SAN01..
SAN36) inspected which establishment (by licence number) in September-October 2014. The
test turns it into a directory (one enterprise per licence, with a generated credit code),
a roster of the 36 inspectors and a history (the log itself, so rotation keeps each
establishment away from its last inspector), plans teams of two for a sample of
establishments, checks the plan independently, and compares the loads with the log's.
Skipped when the data is absent.
"""

from __future__ import annotations

import pytest

from planner.plan.inputs import load_inputs
from planner.plan.scenario import load_scenario
from tests.support.assign import assign_and_check, write_sample
from tests.support.chicago import chicago_scenario, real_loads


@pytest.mark.chicago
def test_plan_over_chicagos_roster_is_balanced_and_keeps_rotation(chicago_dir, tmp_path):
    path, sample, log = chicago_scenario(chicago_dir, tmp_path, drawn=900, capacity=60)
    scenario = load_scenario(path)
    inputs = load_inputs(scenario)
    out = tmp_path / "out"
    write_sample(out, sample)
    result = assign_and_check(scenario, inputs, out)  # the checker tests rotation too
    loads = result.plan.loads
    assert len(loads) == 36 and loads.sum() == 1800
    assert loads.max() - loads.min() == 0  # 1,800 seats over 36 inspectors: 50 each
    real = real_loads(log)
    assert real.max() - real.min() > 100  # the log's own loads were far from even
    print(f"\nChicago roster: planned loads {loads.min()}-{loads.max()} for 900 "
          f"establishments; the 2014 log: {real.min()}-{real.max()} inspections per sanitarian")
