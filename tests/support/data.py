"""Small valid inputs shared by the tests: credit codes, a directory and a roster, and where the
real Chicago data lives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from planner.common import uscc

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
CHICAGO = SHARED / "data" / "chicago"


def credit_codes(n: int, seed: int = 0) -> list[str]:
    """``n`` distinct valid unified social credit codes."""
    return list(uscc.generate(np.random.default_rng(seed), n))


def enterprises_frame(n: int = 40, seed: int = 0, grades: str = "ABCD") -> pd.DataFrame:
    """A small valid directory: two districts, two stations each, grades cycling."""
    ids = credit_codes(n, seed)
    districts = ["东区", "西区"]
    return pd.DataFrame(
        {
            "enterprise_id": ids,
            "name": [f"测试企业{i:03d}有限公司" for i in range(n)],
            "district": [districts[i % 2] for i in range(n)],
            "station": [f"{districts[i % 2]}{(i // 2) % 2 + 1}所" for i in range(n)],
            "risk_grade": [grades[(i // 2) % len(grades)] for i in range(n)],
            "category": ["食品生产"] * n,
            "address": [f"测试路{i}号" for i in range(n)],
            "status": ["存续"] * n,
        }
    )


def inspectors_frame(n: int = 12) -> pd.DataFrame:
    """A small valid roster over the same districts and stations, every other one lead-capable."""
    districts = ["东区", "西区"]
    return pd.DataFrame(
        {
            "inspector_id": [f"P{i:03d}" for i in range(n)],
            "name": [f"检查员{i}" for i in range(n)],
            "department": ["市场监管" if i % 3 else "食品安全" for i in range(n)],
            "district": [districts[i % 2] for i in range(n)],
            "station": [f"{districts[i % 2]}{(i // 2) % 2 + 1}所" for i in range(n)],
            "certificate_no": [f"ZF{i:06d}" for i in range(n)],
            "certificate_expiry": ["2030-12-31"] * n,
            "can_lead": ["是" if i % 2 == 0 else "否" for i in range(n)],
            "capacity": [20] * n,
        }
    )
