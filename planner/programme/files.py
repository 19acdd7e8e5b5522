"""File names the programme writes, in one place.

The programme folder ``OUT`` holds the annual plan and one plan folder per batch::

    OUT/programme.json          the annual plan (batches, seeds, projected counts, conflicts)
    OUT/plan-notice.xlsx        抽查计划公告, the annual plan notice
    OUT/status.xlsx, status.png, status.json    planner programme --status
    OUT/batch-K/                a normal plan folder (planner verify OUT/batch-K)
    OUT/batch-K/batch-scenario.toml   the batch's own scenario, written by the programme
    OUT/batch-K/candidates.csv  the directory rows the batch may draw from
    OUT/batch-K/due.csv         enterprises that must be inspected in this batch
    OUT/batch-K/prior-history.csv     the history of the candidates before the batch
    OUT/batch-K/avoidance.csv   the avoidance pairs (回避) of the candidates
    OUT/batch-K/schedule.csv    per drawn enterprise: the earliest date the gap allows

The batch's own inputs (its scenario, candidates, due list, prior history, avoidance pairs and
schedule) are written before the batch is planned, like inputs a bureau places beside a plan:
the plan folder's manifest (:mod:`planner.plan.manifest`) binds the files the plan stages
write, and keeps these as they are.
"""

from __future__ import annotations

from pathlib import Path

from planner.plan import folder

PROGRAMME_JSON = "programme.json"
NOTICE_XLSX = "plan-notice.xlsx"
STATUS_XLSX = "status.xlsx"
STATUS_PNG = "status.png"
STATUS_JSON = "status.json"
BATCH_SCENARIO = "batch-scenario.toml"
CANDIDATES_CSV = "candidates.csv"
DUE_CSV = "due.csv"
PRIOR_HISTORY_CSV = "prior-history.csv"
AVOIDANCE_CSV = "avoidance.csv"
SCHEDULE_CSV = folder.SCHEDULE
# Written by the plan stages and by `planner results` into each batch folder.
SAMPLE_CSV = folder.SAMPLE
RESULTS_CSV = folder.RESULTS


def batch_dir(out: str | Path, number: int) -> Path:
    """Return the folder of batch ``number`` (1-based) inside the programme folder ``out``."""
    return Path(out) / f"batch-{number}"
