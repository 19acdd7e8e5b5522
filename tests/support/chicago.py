"""Chicago's 2014 roster log turned into planner inputs: one enterprise per licence (with a
generated credit code), the 36 sanitarians as inspectors, and the log as history."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planner.common import uscc

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
