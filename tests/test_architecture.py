"""docs/architecture.md against the code: the files its rule table names, the checker's rules, the layers."""

from __future__ import annotations

import re
import tomllib

from planner.assign.check import CHECKS
from tests.support.data import REPO

DOC = REPO / "docs" / "architecture.md"


def rule_rows() -> list[list[str]]:
    """Return the cells of each row of the table under "Where each rule lives"."""
    text = DOC.read_text(encoding="utf-8").split("## Where each rule lives", 1)[1]
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert rows[0].startswith("| rule |"), rows[0]
    return [[cell.strip() for cell in row.strip("|").split(" | ")] for row in rows[1:]]


def named(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


def test_the_rule_table_names_only_files_that_exist():
    paths = [token for row in rule_rows() for cell in row[1:] for token in named(cell)
             if "/" in token and re.fullmatch(r"[\w./-]+", token)]
    assert len(paths) > 40
    missing = [p for p in paths
               if not (REPO / p if p.startswith("tests/") else REPO / "planner" / p).exists()]
    assert missing == []


def test_the_rule_table_names_every_rule_of_the_checker():
    in_table = {token for row in rule_rows() if "`assign/check.py`" in row[2]
                for token in named(row[2])}
    assert [c.name for c in CHECKS if c.name not in in_table] == []


def test_the_picture_shows_the_layers_that_ci_checks():
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    layers = next(c for c in contracts if c["type"] == "layers")["layers"]
    names = [name.strip() for layer in layers for name in layer.split("|")]
    picture = DOC.read_text(encoding="utf-8").split("```", 2)[1]
    shown = [n for n in re.findall(r"planner/(\w+)", picture)]
    # Every layer appears in the picture, in the contract's order (siblings side by side).
    assert [n.removesuffix(".py") for n in names] == list(dict.fromkeys(
        n for n in shown if n in {m.removesuffix(".py") for m in names}))
