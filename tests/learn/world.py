"""A generated world with a known true risk, drawn quarter by quarter as planner draws."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

CLASSES = ("low", "medium", "high")
SIZES = {"low": 3000, "medium": 1000, "high": 300}
RATES = {"low": 0.04, "medium": 0.10, "high": 0.30}
RATIOS = {"low": 0.02, "medium": 0.10, "high": 0.50}
QUARTERS = (("2025-01-01", "2025-03-31"), ("2025-04-01", "2025-06-30"),
            ("2025-07-01", "2025-09-30"), ("2025-10-01", "2025-12-31"))

SCENARIO = """\
[plan]
id = "LEARN-T"
name = "learning test"
authority = "test bureau"
seed = "learn-test"
start = 2026-01-01
end = 2026-03-31

[grading]
scheme = "custom"
classes = ["low", "medium", "high"]

[sampling]
ratios = {{ low = 0.02, medium = 0.1, high = 0.5 }}

[export]
language = "{language}"

[simulation]
history = "history.csv"
class_column = "risk"
problem_column = "problems"
id_column = "enterprise_id"

[learn]
{learn}
"""


def true_rate() -> float:
    return sum(SIZES[c] * RATES[c] for c in CLASSES) / sum(SIZES.values())


def write_world(folder: Path, *, seed: int = 1, complaints: int = 200, learn: str = "",
                language: str = "en") -> Path:
    """Write four quarters' draw records, the history of their inspections, and a scenario."""
    rng = np.random.default_rng(seed)
    ids = {c: [f"{c[0].upper()}{i:05d}" for i in range(SIZES[c])] for c in CLASSES}
    rows, records = [], []
    for q, (start, end) in enumerate(QUARTERS, start=1):
        drawn, strata = [], {}
        days = pd.date_range(start, end).strftime("%Y-%m-%d")
        for c in CLASSES:
            n = int(np.ceil(RATIOS[c] * SIZES[c]))
            chosen = rng.choice(SIZES[c], n, replace=False)
            strata[c] = {"class": c, "district": None, "eligible": SIZES[c], "drawn": n}
            for rank, i in enumerate(sorted(chosen), start=1):
                eid = ids[c][i]
                drawn.append({"enterprise_id": eid, "stratum": c, "rank": rank})
                rows.append((eid, rng.choice(days), c, int(rng.random() < RATES[c])))
        record = {"format": "planner-draw-record/1", "plan": {"id": f"Q{q}", "start": start,
                                                               "end": end},
                  "seed": f"q{q}", "inputs": {}, "parameters": {}, "strata": strata,
                  "drawn": drawn, "replacements": []}
        path = folder / f"q{q}" / "draw-record.json"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(record), encoding="utf-8")
        records.append(path)
    second = {r[0] for r in rows if "2025-04-01" <= r[1] <= "2025-06-30"}
    for _ in range(complaints):  # not drawn: complaints, nearly always a problem
        c = CLASSES[int(rng.integers(3))]
        eid = ids[c][int(rng.integers(SIZES[c]))]
        while eid in second:
            eid = ids[c][int(rng.integers(SIZES[c]))]
        rows.append((eid, "2025-05-15", c, int(rng.random() < 0.9)))
    pd.DataFrame(rows, columns=["enterprise_id", "date", "risk", "problems"]).to_csv(
        folder / "history.csv", index=False)
    listed = ", ".join(f'"{p.relative_to(folder).as_posix()}"' for p in records)
    text = SCENARIO.format(language=language, learn=learn.replace("RECORDS", f"[{listed}]"))
    (folder / "scenario.toml").write_text(text, encoding="utf-8")
    return folder / "scenario.toml"
