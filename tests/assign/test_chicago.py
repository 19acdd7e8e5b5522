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

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planner.common import uscc
from planner.plan.inputs import load_inputs
from planner.plan.scenario import load_scenario
from tests.support.assign import assign_and_check, write_sample

LOG = "inspector_assignments_2014.csv"


def chicago_log(chicago_dir: Path) -> pd.DataFrame:
    path = chicago_dir / LOG
    if not path.is_file():
        pytest.skip(f"{path} not found")
    log = pd.read_csv(path, dtype=str, keep_default_na=False)
    return log[~log["licensenumber"].str.strip().isin(["", "0"])]


def chicago_scenario(chicago_dir: Path, folder: Path, *, drawn: int, capacity: int,
                     seed: str = "chicago-2014") -> tuple:
    """Write the directory, roster, history and scenario; return (scenario path, sample)."""
    log = chicago_log(chicago_dir)
    licences = np.sort(log["licensenumber"].str.strip().unique())
    codes = uscc.generate(np.random.default_rng(2014), len(licences))
    code_of = dict(zip(licences, codes, strict=True))
    names = log.drop_duplicates("licensenumber").set_index("licensenumber")["dba"]
    ent = pd.DataFrame({"enterprise_id": codes, "name": names.reindex(licences).to_numpy(),
                        "district": "Chicago", "risk_grade": "B", "licence": licences})
    inspectors = sorted(log["inspector"].unique())
    insp = pd.DataFrame({"inspector_id": inspectors, "name": inspectors,
                         "department": "Food Protection", "district": "Chicago",
                         "certificate_no": [f"C{k:04d}" for k in range(len(inspectors))],
                         "certificate_expiry": "2030-12-31", "can_lead": "yes",
                         "capacity": capacity})
    history = pd.DataFrame({"enterprise_id": log["licensenumber"].str.strip().map(code_of),
                            "inspector_id": log["inspector"], "date": log["inspectiondate"]})
    for name, frame in (("enterprises", ent), ("inspectors", insp), ("history", history)):
        frame.to_csv(folder / f"{name}.csv", index=False)
    (folder / "scenario.toml").write_text(
        f'[plan]\nid = "CHI-2014"\nname = "Chicago replay"\nauthority = "CDPH"\n'
        f'seed = "{seed}"\nstart = 2014-11-01\nend = 2014-12-31\n\n[inputs]\n'
        'enterprises = "enterprises.csv"\ninspectors = "inspectors.csv"\n'
        'history = "history.csv"\n\n[sampling]\nratios = { B = 1.0 }\n\n'
        '[assignment]\nteam_size = 2\nrotation = true\n', encoding="utf-8")
    sample = ent.sample(n=drawn, random_state=7) if drawn < len(ent) else ent
    return folder / "scenario.toml", sample, log


def real_loads(log: pd.DataFrame) -> pd.Series:
    return log.groupby("inspector").size()


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
