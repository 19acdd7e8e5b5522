"""Benchmark: the assignment core against a dense CP-SAT model of the same instance.

Run with ``python -m pytest tests/benchmarks/test_bench_assign.py -s -p no:cacheprovider``.

One instance, 2,000 drawn enterprises x 150 inspectors (5 stations, half lead-capable,
capacity 30, 400 avoidance pairs, each enterprise's last inspector in the history), with
cross-station, rotation, a lead per team and teams of two. It is solved

- by the planner's core (:func:`planner.assign.planning.plan_assignment`: candidates by omission,
  thinning, min-cost flow, pricing), and
- by a dense CP-SAT model: one boolean per enterprise-inspector pair (300,000), forbidden
  pairs fixed to 0, the same team, lead and capacity constraints, and the same balance
  objective, ``sum over inspectors of L(L+1)/2`` (the flow's convex load cost), solved with
  every core and a time limit of :data:`CP_SAT_LIMIT` seconds.

It prints both times, both objective values (and CP-SAT's bound and status), when CP-SAT
first reached the core's objective, and the speed-up, beside the target (at least 100x
faster, same optimum). The core's objective is optimal by construction (a min-cost flow
with pricing), so CP-SAT can match it but not beat it. The core's plan is
checked with ``planner.assign.check``. Asserts correctness only, never time.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from planner.assign.check import check_plan
from planner.assign.planning import plan_assignment
from planner.plan.inputs import load_inputs
from planner.plan.scenario import load_scenario
from tests.support.data import credit_codes

N_ENTERPRISES = 2_000
N_INSPECTORS = 150
CP_SAT_LIMIT = 300.0


def write_instance(folder) -> tuple:
    rng = np.random.default_rng(2020)
    stations = [f"第{k}所" for k in range(1, 6)]
    ids = credit_codes(N_ENTERPRISES, seed=7)
    ent = pd.DataFrame({
        "enterprise_id": ids,
        "name": [f"基准企业{k:04d}有限公司" for k in range(N_ENTERPRISES)],
        "district": "基准区",
        "station": rng.choice(stations, N_ENTERPRISES),
        "risk_grade": "D",
    })
    insp = pd.DataFrame({
        "inspector_id": [f"B{k:03d}" for k in range(N_INSPECTORS)],
        "name": [f"检查员{k}" for k in range(N_INSPECTORS)],
        "department": "市场监管",
        "district": "基准区",
        "station": [stations[k % 5] for k in range(N_INSPECTORS)],
        "certificate_no": [f"ZF{k:06d}" for k in range(N_INSPECTORS)],
        "certificate_expiry": "2030-12-31",
        "can_lead": ["是" if k % 2 else "否" for k in range(N_INSPECTORS)],
        "capacity": 30,
    })
    avoid = pd.DataFrame({"inspector_id": insp["inspector_id"].to_numpy()[
                              rng.integers(0, N_INSPECTORS, 400)],
                          "enterprise_id": np.array(ids)[rng.integers(0, N_ENTERPRISES, 400)]})
    avoid = avoid.drop_duplicates()
    history = pd.DataFrame({"enterprise_id": ids,
                            "inspector_id": insp["inspector_id"].to_numpy()[
                                rng.integers(0, N_INSPECTORS, N_ENTERPRISES)],
                            "date": "2025-06-30"})
    for name, frame in (("enterprises", ent), ("inspectors", insp), ("avoidance", avoid),
                        ("history", history)):
        frame.to_csv(folder / f"{name}.csv", index=False)
    (folder / "scenario.toml").write_text(
        '[plan]\nid = "BENCH"\nname = "基准"\nauthority = "基准局"\nseed = "bench-2000x150"\n'
        'start = 2026-01-01\nend = 2026-03-31\n\n[inputs]\nenterprises = "enterprises.csv"\n'
        'inspectors = "inspectors.csv"\navoidance = "avoidance.csv"\nhistory = "history.csv"\n\n'
        '[sampling]\nratios = { A = 1.0, B = 1.0, C = 1.0, D = 1.0 }\n\n'
        '[assignment]\nteam_size = 2\ncross_station = true\nrotation = true\n',
        encoding="utf-8")
    out = folder / "out"
    out.mkdir()
    pd.DataFrame({"enterprise_id": ids, "name": ent["name"], "risk_class": "D",
                  "stratum": "D", "ticket": "0.5", "rank": range(1, N_ENTERPRISES + 1)}
                 ).to_csv(out / "sample.csv", index=False)
    return ent, insp, avoid, history, out


def balance(loads) -> int:
    loads = np.asarray(loads, dtype=np.int64)
    return int((loads * (loads + 1) // 2).sum())


def dense_cp_sat(ent, insp, avoid, history):
    from ortools.sat.python import cp_model

    n_e, n_i = len(ent), len(insp)
    station_e = ent["station"].to_numpy()
    station_i = insp["station"].to_numpy()
    lead = (insp["can_lead"] == "是").to_numpy()
    e_index = {e: k for k, e in enumerate(ent["enterprise_id"])}
    i_index = {i: k for k, i in enumerate(insp["inspector_id"])}
    forbidden = station_e[:, None] == station_i[None, :]
    for frame in (avoid, history):
        forbidden[[e_index[e] for e in frame["enterprise_id"]],
                  [i_index[i] for i in frame["inspector_id"]]] = True
    model = cp_model.CpModel()
    x = [[model.new_bool_var(f"assign[{e},{i}]") for i in range(n_i)] for e in range(n_e)]
    for e in range(n_e):
        model.add(sum(x[e]) == 2)
        model.add(sum(x[e][i] for i in range(n_i) if lead[i]) >= 1)
        for i in np.flatnonzero(forbidden[e]):
            model.add(x[e][i] == 0)
    objective = []
    for i in range(n_i):
        cap = int(insp["capacity"].iloc[i])
        units = [model.new_bool_var(f"load[{i},{k}]") for k in range(cap)]
        model.add(sum(x[e][i] for e in range(n_e)) == sum(units))
        for k in range(cap - 1):
            model.add_implication(units[k + 1], units[k])
        objective += [(k + 1) * units[k] for k in range(cap)]
    model.minimize(sum(objective))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = CP_SAT_LIMIT
    found: list[tuple[float, float]] = []

    class Progress(cp_model.CpSolverSolutionCallback):
        def on_solution_callback(self):
            found.append((time.perf_counter() - start, self.objective_value))

    start = time.perf_counter()
    status = solver.solve(model, Progress())
    seconds = time.perf_counter() - start
    loads = [sum(solver.value(x[e][i]) for e in range(n_e)) for i in range(n_i)] \
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else []
    return (solver.status_name(status), seconds, solver.objective_value,
            solver.best_objective_bound, loads, found)


def test_bench_core_against_dense_cp_sat(tmp_path):
    ent, insp, avoid, history, out = write_instance(tmp_path)
    scenario = load_scenario(tmp_path / "scenario.toml")
    inputs = load_inputs(scenario)
    sample = pd.read_csv(out / "sample.csv", dtype=str)
    plan_assignment(scenario, inputs, sample.head(50))  # warm up imports
    start = time.perf_counter()
    plan = plan_assignment(scenario, inputs, sample)
    core_seconds = time.perf_counter() - start
    loads = plan.loads
    core_objective = balance(loads)
    plan.assignments.to_csv(out / "assignments.csv", index=False)
    assert check_plan(scenario, inputs, out).ok

    status, cp_seconds, cp_objective, cp_bound, cp_loads, found = dense_cp_sat(
        ent, insp, avoid, history)
    reached = next((t for t, value in found if round(value) <= core_objective), None)
    print(f"\n{N_ENTERPRISES:,} enterprises x {N_INSPECTORS} inspectors, cross-station, "
          f"rotation, lead, capacity 30")
    print(f"core (candidates + thinning + min-cost flow + pricing): {core_seconds:.3f} s, "
          f"balance objective sum L(L+1)/2 = {core_objective:,}, loads "
          f"{loads.min()}-{loads.max()}")
    spread = f", loads {min(cp_loads)}-{max(cp_loads)}" if cp_loads else ""
    print(f"dense CP-SAT ({N_ENTERPRISES * N_INSPECTORS:,} booleans, all cores, limit "
          f"{CP_SAT_LIMIT:.0f} s): {status} in {cp_seconds:.1f} s, objective "
          f"{cp_objective:,.0f}, bound {cp_bound:,.0f}{spread}")
    if reached is not None:
        print(f"CP-SAT first reached the core's objective after {reached:.1f} s"
              + ("" if status == "OPTIMAL" else " and could not prove it optimal in the limit"))
    first = reached if reached is not None else cp_seconds
    print(f"speed-up {first / core_seconds:,.0f}x to the same objective"
          f"{'' if reached is not None else ' (not reached: at least this much)'}, "
          f"{cp_seconds / core_seconds:,.0f}x to CP-SAT's end (target >= 100x, same optimum); "
          f"objectives {'equal' if round(cp_objective) == core_objective else 'differ'}")
    assert core_objective <= cp_objective + 1e-9 or status != "OPTIMAL"
    assert core_objective >= cp_bound - 1e-9
