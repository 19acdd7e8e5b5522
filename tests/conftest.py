"""Shared fixtures: tiny scenarios built in ``tmp_path``, and the real Chicago data when present."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.support.data import CHICAGO, enterprises_frame, inspectors_frame


@pytest.fixture
def chicago_dir() -> Path:
    """The real Chicago inspection data beside the checkout; the test skips when absent."""
    if not (CHICAGO / "canvass_history_2011_2013.csv").is_file():
        pytest.skip(f"real data not found at {CHICAGO}")
    return CHICAGO


SCENARIO_TEMPLATE = """\
[plan]
id = "T-2026-Q1"
name = "测试抽查计划"
authority = "测试市场监督管理局"
seed = "test-seed"
start = 2026-01-01
end = 2026-03-31

[inputs]
{inputs}

[grading]
scheme = "{scheme}"

[sampling]
ratios = {{ A = 0.1, B = 0.2, C = 0.5, D = 1.0 }}
{extra}
"""


@pytest.fixture
def make_scenario(tmp_path: Path):
    """Build a scenario in ``tmp_path`` from DataFrames; returns the scenario path.

    Call as ``make_scenario(enterprises=df, inspectors=df, avoidance=df, history=df,
    scheme="abcd", extra="[assignment]\\nteam_size = 2")``. Frames default to the small
    valid ones above; ``fmt="xlsx"`` writes XLSX, ``encoding="gbk"`` writes GBK CSV.
    """

    def build(
        enterprises: pd.DataFrame | None = None,
        inspectors: pd.DataFrame | None = None,
        avoidance: pd.DataFrame | None = None,
        history: pd.DataFrame | None = None,
        items: pd.DataFrame | None = None,
        scheme: str = "abcd",
        extra: str = "",
        fmt: str = "csv",
        encoding: str = "utf-8",
        name: str = "scenario.toml",
    ) -> Path:
        frames = {
            "enterprises": enterprises_frame() if enterprises is None else enterprises,
            "inspectors": inspectors_frame() if inspectors is None else inspectors,
            "avoidance": avoidance,
            "history": history,
            "items": items,
        }
        lines = []
        for key, frame in frames.items():
            if frame is None:
                continue
            path = tmp_path / f"{key}.{fmt}"
            if fmt == "xlsx":
                frame.to_excel(path, index=False)
            else:
                path.write_bytes(frame.to_csv(index=False).encode(encoding))
            lines.append(f'{key} = "{path.name}"')
        text = SCENARIO_TEMPLATE.format(inputs="\n".join(lines), scheme=scheme, extra=extra)
        scenario = tmp_path / name
        scenario.write_text(text, encoding="utf-8")
        return scenario

    return build
