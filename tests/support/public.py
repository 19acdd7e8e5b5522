"""A committed plan built through the CLI, for the commitment, proof and public-bundle tests.

The directory uses a custom scheme whose class labels (LOWRISK, MIDRISK, HIGHRISK) occur
nowhere else, so a scan of the public bundle for them means something.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from planner.cli import cli
from tests.support.data import enterprises_frame, inspectors_frame
from tests.support.export import fill_workbooks

CLASSES = ("LOWRISK", "MIDRISK", "HIGHRISK")
SEED = "07-19-23-28-31+05"
SEED_SOURCE = "the numbers of the public lottery draw 2026001 on 2026-01-05, joined as printed"
SCENARIO = """\
[plan]
id = "PUB-2026-Q1"
name = "公开抽查测试计划"
authority = "测试市场监督管理局"
seed_source = "{seed_source}"
start = 2026-01-01
end = 2026-03-31
{seed_line}
[inputs]
enterprises = "enterprises.csv"
inspectors = "inspectors.csv"

[grading]
scheme = "custom"
classes = ["LOWRISK", "MIDRISK", "HIGHRISK"]

[sampling]
ratios = {{ LOWRISK = 0.1, MIDRISK = 0.25, HIGHRISK = 0.6 }}
{sampling}
{publish}
"""


@dataclass
class Plan:
    """Paths of a committed plan."""

    scenario: Path
    out: Path
    enterprises: pd.DataFrame
    inspectors: pd.DataFrame


def write_plan(tmp_path: Path, n: int = 90, *, seed_line: str = "", sampling: str = "",
               publish: str = "") -> Plan:
    """Write the inputs and a committed-style scenario (no seed) into ``tmp_path``."""
    ent = enterprises_frame(n, grades="LMH")
    ent["risk_grade"] = ent["risk_grade"].map({"L": CLASSES[0], "M": CLASSES[1], "H": CLASSES[2]})
    insp = inspectors_frame(16)
    ent.to_csv(tmp_path / "enterprises.csv", index=False)
    insp.to_csv(tmp_path / "inspectors.csv", index=False)
    path = tmp_path / "scenario.toml"
    path.write_text(SCENARIO.format(seed_source=SEED_SOURCE, seed_line=seed_line,
                                    sampling=sampling, publish=publish), encoding="utf-8")
    return Plan(path, tmp_path / "out", ent, insp)


def invoke(*args: object) -> str:
    """Run the CLI; fail with its output when it does not exit 0."""
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


def committed_draw(tmp_path: Path, *, replace: int = 1, **kwargs) -> Plan:
    """Commit, draw with the seed, replace ``replace`` enterprises, assign and export."""
    plan = write_plan(tmp_path, **kwargs)
    invoke("commit", plan.scenario, "-o", plan.out)
    invoke("draw", plan.scenario, "-o", plan.out, "--seed", SEED)
    sample = pd.read_csv(plan.out / "sample.csv", dtype=str)
    for eid in sample["enterprise_id"][:replace]:
        invoke("draw", plan.scenario, "-o", plan.out, "--replace", eid, "--reason", "已注销")
    invoke("assign", plan.scenario, "-o", plan.out)
    invoke("export", plan.scenario, "-o", plan.out)
    return plan


def add_results(plan: Plan, tmp_path: Path, remark=None) -> None:
    """Fill the field workbooks and read them back (``planner results``)."""
    filled = tmp_path / "filled"
    shutil.copytree(plan.out / "teams", filled)
    paths = sorted(filled.glob("*.xlsx"))
    fill_workbooks(paths, date=dt.date(2026, 2, 10), remark=remark or "")
    invoke("results", plan.out, *paths, "--today", "2026-02-20")
