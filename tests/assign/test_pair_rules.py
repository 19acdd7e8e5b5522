"""The pair-rule registry: every consumer reads its entries, and each entry's two readings agree."""

from __future__ import annotations

import pandas as pd
import pytest

from planner.assign import candidates
from planner.assign.check import CHECKS
from planner.assign.pair_rules import PAIR_RULES, last_inspectors
from planner.assign.planning import rules_of


def test_every_pair_rule_is_a_candidate_rule_and_a_checker_rule():
    checks = {c.name: c for c in CHECKS}
    for rule in PAIR_RULES:
        assert candidates.RULE_LABELS[rule.name] == rule.label
        assert checks[rule.name].always == (rule.scenario_key is None)


@pytest.mark.parametrize("rotation", [False, True])
def test_a_plan_applies_the_pair_rules_its_scenario_switches_on(make_scenario, rotation):
    from planner.plan.scenario import load_scenario

    scenario = load_scenario(make_scenario(extra=f"[assignment]\nrotation = {str(rotation).lower()}\n"))
    rules = rules_of(scenario)
    on = [r.name for r in PAIR_RULES if r.active(scenario.assignment)]
    assert rules.pair_rules == tuple(on)
    assert rules.active_rules()[-len(on):] == on
    assert ("rotation" in on) == rotation and "avoidance" in on


def test_the_planner_and_the_checker_read_the_last_inspection_alike():
    history = pd.DataFrame({
        "enterprise_id": ["E1", "E1", "E1", "E2", "E3"],
        "inspector_id": ["P1", "P2", "P3", "", "P4"],
        "date": pd.to_datetime(["2025-01-01", "2025-06-01", "2025-06-01", "2025-07-01", None]),
        "result": ["", "", "", "", ""],
    })

    class Inputs:  # the one attribute both readings use
        pass

    inputs = Inputs()
    inputs.history = history
    drawn = pd.Series(["E1", "E2", "E3"])
    rotation = next(r for r in PAIR_RULES if r.name == "rotation")
    omitted = rotation.omit(inputs, drawn)
    assert set(omitted["enterprise_id"] + "\x1f" + omitted["inspector_id"]) == {
        "E1\x1fP2", "E1\x1fP3"}
    assert rotation.violations(inputs, drawn) == {"E1\x1fP2", "E1\x1fP3"}
    assert last_inspectors(history, pd.Series(["E2"])).empty  # the last visit named nobody
