"""The national demo preset: a partitioned Parquet directory of 50 million enterprises.

``planner demo-data --preset national --partitions N -o DIR`` writes what a data centre hands
over for a national (or provincial) plan:

========================== =============================================================
file                       content
========================== =============================================================
enterprises/part-*.parquet the directory (检查对象名录库) in ``N`` partition files, with the
                           Chinese headers of the other presets: valid credit codes of the
                           31 provincial divisions, company and shop names, province
                           (所属区域), station, risk grade A-D in Bayannur's mix, industry,
                           status (about 2.5 % inactive)
inspectors.csv             a roster large enough to staff the plan, in every province
items.csv                  spot-check items (随机抽查事项清单)
scenario.toml              a draw spread over the provinces, written last
========================== =============================================================

The directory is generated and written one partition at a time, so memory stays that of one
partition whatever ``--size``. Partition ``k`` takes its randomness from child ``k`` of the
seed's :class:`numpy.random.SeedSequence` and its credit codes from its own rows' serial
numbers, so the files depend only on the seed, the size and the partition count, and no
credit code repeats across partitions.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from planner.common import uscc
from planner.common.io import atomic_path, write_text_atomic
from planner.demo.generate import (
    BRAND_CHARS,
    CATEGORIES,
    CLASS_MIX,
    CLASSES,
    COMPANY_FORMS,
    HEADERS,
    INACTIVE_SHARES,
    PLAN_END,
    PLAN_START,
    _join,
    _pick,
    _text,
    _toml,
    _words,
    make_items,
    seed_sequence,
)

SIZE = 50_000_000
# Provincial divisions (GB/T 2260), with rough shares of the country's enterprises.
PROVINCES = (
    ("北京市", "110000", 3.0), ("天津市", "120000", 1.4), ("河北省", "130000", 5.0),
    ("山西省", "140000", 2.2), ("内蒙古自治区", "150000", 1.6), ("辽宁省", "210000", 3.2),
    ("吉林省", "220000", 1.6), ("黑龙江省", "230000", 1.8), ("上海市", "310000", 3.0),
    ("江苏省", "320000", 8.0), ("浙江省", "330000", 7.0), ("安徽省", "340000", 4.0),
    ("福建省", "350000", 4.0), ("江西省", "360000", 2.8), ("山东省", "370000", 7.5),
    ("河南省", "410000", 6.0), ("湖北省", "420000", 4.0), ("湖南省", "430000", 3.6),
    ("广东省", "440000", 11.0), ("广西壮族自治区", "450000", 2.6), ("海南省", "460000", 0.8),
    ("重庆市", "500000", 2.4), ("四川省", "510000", 5.0), ("贵州省", "520000", 2.0),
    ("云南省", "530000", 2.6), ("西藏自治区", "540000", 0.2), ("陕西省", "610000", 2.6),
    ("甘肃省", "620000", 1.2), ("青海省", "630000", 0.3), ("宁夏回族自治区", "640000", 0.4),
    ("新疆维吾尔自治区", "650000", 1.2),
)
STATIONS_PER_PROVINCE = 8
RATIOS = {"A": 0.002, "B": 0.01, "C": 0.05, "D": 0.1}
CAPACITY = 60
SERIAL_STEP = 48_271_229  # odd and not a multiple of 5: row -> serial is one-to-one below 10**8


def write_national(
    *,
    out: str | Path,
    partitions: int,
    size: int = SIZE,
    seed: str = "demo",
    progress: Callable[[str], None] | None = None,
) -> dict[str, Path]:
    """Write the national preset: a partitioned Parquet directory, roster, items, scenario.

    Parameters
    ----------
    out : str or pathlib.Path
        Output folder (created if needed); ``out/enterprises`` is replaced.
    partitions : int
        How many partition files (each about ``size / partitions`` enterprises).
    size : int
        Enterprises in the directory (at most 10**8).
    seed : str
        Seed of the synthetic data.
    progress : callable, optional
        Called with a short text before each partition.

    Returns
    -------
    dict
        ``enterprises`` (the folder), ``inspectors``, ``items``, ``scenario`` -> path.

    Raises
    ------
    ValueError
        When ``partitions`` or ``size`` is out of range.
    """
    if partitions < 1 or size < partitions or size > 10**8:
        raise ValueError("--partitions must be at least 1 and at most --size, and --size at "
                         "most 100,000,000")
    import pyarrow as pa
    import pyarrow.parquet as pq

    say = progress or (lambda _message: None)
    out = Path(out)
    folder = out / "enterprises"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("part-*.parquet"):
        old.unlink()
    children = seed_sequence(f"national:{seed}").spawn(partitions + 1)
    bounds = np.linspace(0, size, partitions + 1).astype(np.int64)
    headers = HEADERS["enterprises"]
    for k in range(partitions):
        lo, hi = int(bounds[k]), int(bounds[k + 1])
        say(f"partition {k + 1} of {partitions}: enterprises {lo + 1:,} to {hi:,}")
        rng = np.random.default_rng(children[k])
        frame = national_enterprises(rng, lo, hi)
        table = pa.Table.from_pandas(frame.rename(columns=headers), preserve_index=False)
        target = folder / f"part-{k:05d}.parquet"
        with atomic_path(target) as tmp:
            pq.write_table(table, tmp)
        del frame, table
    written = {"enterprises": folder}
    inspectors = national_inspectors(size, np.random.default_rng(children[-1]))
    written["inspectors"] = _write_csv(out / "inspectors.csv", inspectors, HEADERS["inspectors"])
    written["items"] = _write_csv(out / "items.csv", make_items(), HEADERS["items"])
    written["scenario"] = out / "scenario.toml"
    write_text_atomic(written["scenario"], national_scenario(seed, size))
    return written


def national_enterprises(rng: np.random.Generator, lo: int, hi: int) -> pd.DataFrame:
    """Generate rows ``lo`` to ``hi - 1`` of the national directory.

    Parameters
    ----------
    rng : numpy.random.Generator
        This partition's randomness.
    lo, hi : int
        The rows' range in the whole directory (their credit codes' serial numbers).

    Returns
    -------
    pandas.DataFrame
        Canonical columns: enterprise_id, name, district, station, risk_grade, category,
        address, status.
    """
    n = hi - lo
    weights = np.array([p[2] for p in PROVINCES])
    province = rng.choice(len(PROVINCES), size=n, p=weights / weights.sum())
    codes = _text([p[1] for p in PROVINCES])[province]
    serials = (np.arange(lo, hi, dtype=np.int64) * SERIAL_STEP + 12_345_679) % 10**8
    ids = uscc.generate(rng, n, codes.astype(object), serials=serials)
    individual = np.frombuffer("".join(ids).encode("ascii"), dtype=np.uint8)[1::18] == ord("2")
    names = _text([p[0] for p in PROVINCES])
    category = _pick(rng, n, CATEGORIES)
    brand_chars = _text(BRAND_CHARS)
    brand = _join(brand_chars[rng.integers(0, len(brand_chars), n)],
                  brand_chars[rng.integers(0, len(brand_chars), n)])
    company = _join(names[province], brand,
                    _words(rng, [c[2].split() for c in CATEGORIES], category),
                    _text([f for f, _ in COMPANY_FORMS])[_pick(rng, n, COMPANY_FORMS)])
    shop = _join(brand, _words(rng, [c[3].split() for c in CATEGORIES], category))
    station = rng.integers(1, STATIONS_PER_PROVINCE + 1, n)
    stations = _join(names[province], _text([f"第{i}市场监管所" for i in range(
        STATIONS_PER_PROVINCE + 1)])[station])
    risk = _pick(rng, n, [(c, share) for c, share in zip(CLASSES, CLASS_MIX, strict=True)])
    status = np.where(individual, "在业", "存续").astype(object)
    u = rng.random(n)
    edges = np.cumsum([share for _, share in INACTIVE_SHARES])
    for i in range(len(INACTIVE_SHARES) - 1, -1, -1):
        status[u < edges[i]] = INACTIVE_SHARES[i][0]
    return pd.DataFrame({
        "enterprise_id": ids,
        "name": np.where(individual, shop, company).astype(object),
        "district": names[province].astype(object),
        "station": stations.astype(object),
        "risk_grade": np.array(CLASSES, dtype=object)[risk],
        "category": np.array([c[0] for c in CATEGORIES], dtype=object)[category],
        "status": status,
    })


def national_inspectors(size: int, rng: np.random.Generator) -> pd.DataFrame:
    """Generate a roster that can staff the national plan in every province: 60 each, +25 %.

    Parameters
    ----------
    size : int
        Enterprises in the directory.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    pandas.DataFrame
        Canonical roster columns.
    """
    needed = size * sum(r * m for r, m in zip(RATIOS.values(), CLASS_MIX, strict=True))
    weights = np.array([p[2] for p in PROVINCES])
    # Each province staffs its own share (spread over the provinces), with a margin and at
    # least two teams' worth of leads.
    per_province = np.maximum(4, np.ceil(needed * weights / weights.sum() * 2 / CAPACITY * 1.25))
    province = np.repeat(np.arange(len(PROVINCES)), per_province.astype(np.int64))
    n = len(province)
    names = _text([p[0] for p in PROVINCES])
    station = rng.integers(1, STATIONS_PER_PROVINCE + 1, n)
    return pd.DataFrame({
        "inspector_id": [f"CN{i:06d}" for i in range(1, n + 1)],
        "name": [f"检查员{i:06d}" for i in range(1, n + 1)],
        "department": "市场监管",
        "district": names[province],
        "station": _join(names[province], _text([f"第{i}市场监管所" for i in range(
            STATIONS_PER_PROVINCE + 1)])[station]),
        "certificate_no": [f"ZF{i:08d}" for i in range(1, n + 1)],
        "certificate_expiry": str(PLAN_END.replace(year=PLAN_END.year + 2)),
        "can_lead": np.where(np.arange(n) % 2 == 0, "是", "否"),
        "capacity": CAPACITY,
        "available": "是",
        "qualifications": "综合执法",
    })


def national_scenario(seed: str, size: int) -> str:
    """Return the national preset's scenario TOML (beside its files).

    Parameters
    ----------
    seed : str
        The demo data's seed; the plan's public seed is derived from it.
    size : int
        Enterprises in the directory (named in a comment).

    Returns
    -------
    str
        The TOML text.
    """
    plan_id = f"DEMO-CN-{PLAN_START.year}Q{(PLAN_START.month - 1) // 3 + 1}"
    lines = [
        f"# Synthetic national plan: planner demo-data --preset national --size {size} "
        f"--seed {seed}",
        "# The enterprises and inspectors are invented; the credit codes pass GB 32100-2015",
        "# but belong to no real enterprise. Draw it on Dask: planner draw scenario.toml",
        "# -o out --engine dask",
        "",
        "[plan]",
        f"id = {_toml(plan_id)}",
        f"name = {_toml(f'{PLAN_START.year}年全国双随机抽查计划（演示）')}",
        'authority = "国家市场监督管理总局（演示）"',
        f"seed = {_toml(f'{plan_id}:{seed}')}",
        f"start = {PLAN_START}",
        f"end = {PLAN_END}",
        'items = ["GS001"]',
        "",
        "[inputs]",
        'enterprises = "enterprises"',
        'inspectors = "inspectors.csv"',
        'items = "items.csv"',
        "",
        "[grading]",
        'scheme = "abcd"',
        "",
        "[sampling]",
        f"ratios = {_toml(RATIOS)}",
        'spread_over = "district"',
        "",
        "[assignment]",
        "team_size = 2",
        f"capacity = {CAPACITY}",
        "",
    ]
    return "\n".join(lines)


def _write_csv(path: Path, frame: pd.DataFrame, headers: dict[str, str]) -> Path:
    write_text_atomic(path, frame.rename(columns=headers).to_csv(index=False, lineterminator="\n"))
    return path
