"""Synthetic demo data for ``planner demo-data``: a bureau's five inputs and a scenario using them.

:func:`write_demo` writes, at one of the sizes of :data:`PRESETS` (district, city, megacity),
files shaped like a market supervision bureau's exports, with the Chinese headers those exports carry:

========================== =============================================================
file                       content
========================== =============================================================
enterprises.csv            directory (检查对象名录库): valid credit codes whose division code
                           is the district's, company and shop names, districts, stations
                           (市场监管所, 2-6 per district), risk grades A-D in Bayannur's mix
                           (A 73 %, B 19 %, C 5 %, D 3 %), industry, address, registration
                           authority, status (about 2.5 % deregistered, revoked or suspended)
inspectors.csv             roster (执法检查人员名录库): five departments, stations, enforcement
                           certificates (about 5 % expiring before the plan ends), lead
                           ability (about half), capacity, a few unavailable
avoidance.csv              one to three avoidance (回避) pairs per inspector, in their district
history.csv                the year before the plan: one row per team seat, official result
                           categories, problem rates rising with risk (A 2 % ... D 25 %)
items.csv                  spot-check items (随机抽查事项清单) with their legal basis
items-by-category.csv      the same items with the enterprise categories each applies to
                           (适用行业类别) and the qualification its inspector needs (所需资质)
enterprises-<scheme>.csv   district preset only: the same directory graded for each other
                           built-in scheme (shenzhen, three-color, food-score, points-12,
                           shaanxi-100)
inspectors-groups.csv      district preset only: the roster with standing groups (检查小组)
                           of three, for ``[assignment] standing_groups``
scenario.toml              a plan over those files (relative paths), written last
========================== =============================================================

Every station has at least two certified, available, lead-capable inspectors and every district
at least two stations, so cross-station avoidance (所所交叉) can always staff a team. Names,
places and people are invented; the credit codes pass GB 32100-2015 but belong to no one.

All randomness comes from the ``demo`` streams of :mod:`planner.common.randomness` (children of
one :class:`numpy.random.SeedSequence` made from the SHA-256 of the seed string), one stream per
file, so the same preset and seed give byte-identical
files. Generation is vectorised: the megacity preset (2.23 million enterprises) takes well
under a minute.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from planner.common import randomness, uscc
from planner.common.io import atomic_path, write_text_atomic

PLAN_START = dt.date(2026, 10, 1)
PLAN_END = dt.date(2026, 12, 31)

CLASSES = ("A", "B", "C", "D")
CLASS_MIX = (0.73, 0.19, 0.05, 0.03)  # Bayannur: low, general, higher, high risk
PROBLEM_RATE = (0.02, 0.05, 0.12, 0.25)  # share of inspections finding a problem, per class

# Chinese headers written to the files, keyed by the canonical column names of planner.common.schema.
HEADERS = {
    "enterprises": {
        "enterprise_id": "统一社会信用代码", "name": "企业名称", "district": "所属区域",
        "station": "管辖单位", "risk_grade": "风险等级", "category": "行业类别",
        "address": "地址", "status": "经营状态", "registration_authority": "登记机关",
    },
    "inspectors": {
        "inspector_id": "人员编号", "name": "姓名", "department": "所属部门",
        "district": "所属区域", "station": "管辖单位", "certificate_no": "执法证号",
        "certificate_expiry": "执法证有效期", "can_lead": "可任主检", "capacity": "最大检查户数",
        "available": "是否可用", "qualifications": "检查资质",
    },
    "avoidance": {"inspector_id": "人员编号", "enterprise_id": "统一社会信用代码",
                  "reason": "回避原因"},
    "history": {"enterprise_id": "统一社会信用代码", "inspector_id": "人员编号",
                "date": "检查日期", "result": "检查结果"},
    "items": {"item_code": "事项编码", "item_name": "事项名称", "department": "所属部门",
              "legal_basis": "法律依据", "method": "检查方式"},
}
# The tables the generated scenario names in [inputs].
INPUT_TABLES = tuple(HEADERS)
HEADERS["items-by-category"] = {**HEADERS["items"], "categories": "适用行业类别",
                                "qualification": "所需资质"}


@dataclass(frozen=True)
class District:
    """A county-level district: name (所属区域), division code, share of enterprises, streets."""

    name: str
    code: str
    weight: float
    streets: tuple[str, ...]


@dataclass(frozen=True)
class Preset:
    """One size of demo data (district, city or megacity) and the plan written for it."""

    name: str
    enterprises: int
    inspectors: int
    city: str
    districts: tuple[District, ...]
    stations: tuple[int, int]  # fewest and most stations per district
    code: str  # short code: inspector ids, plan id
    authority: str
    registrar: str  # 登记机关, formatted with {city}, {district}, {short}
    ratios: dict[str, float]
    ratio_note: str
    capacities: tuple[int, ...]
    plan_items: tuple[str, ...]
    split_by: str
    partition_by: str | None = None
    spread_over: str | None = None
    variants: bool = False
    split_note: str = ""


def _d(name: str, code: str, weight: float, streets: str) -> District:
    return District(name, code, weight, tuple(streets.split()))


PRESETS: dict[str, Preset] = {
    "district": Preset(
        name="district",
        enterprises=500,
        inspectors=30,
        city="巴彦淖尔市",
        districts=(_d("临河区", "150802", 1.0, "车站 解放 新华 铁南 团结 汇丰 城关 干召庙"),),
        stations=(4, 6),
        code="LH",
        authority="巴彦淖尔市临河区市场监督管理局",
        registrar="{city}{district}市场监督管理局",
        ratios={"A": 0.125, "B": 0.25, "C": 0.5, "D": 1.0},
        ratio_note=(
            "# A district's few hundred food businesses. Yancheng's upper bounds (A 3 %, B 20 %,\n"
            "# C 50 %, D 100 %) would draw only about 57 of 500, short of the ~100 a district\n"
            "# plans in a quarter. So A and B take one quarter of the food 2022 draft\n"
            "# frequencies (A 0.5 and B 1 inspection a year: 12.5 % and 25 %), C takes Yancheng's\n"
            "# upper bound (50 %) and D Bayannur's 100 %: about 96 enterprises are drawn.\n"
        ),
        capacities=(15, 20, 25, 30),
        plan_items=("GS001", "SP001", "SP002"),
        split_by="team",
        variants=True,
    ),
    "city": Preset(
        name="city",
        enterprises=43_000,
        inspectors=400,
        city="汉中市",
        districts=(
            _d("汉台区", "610702", 16, "北关 东大街 汉中路 中山街 东关 龙江 铺镇 七里"),
            _d("南郑区", "610703", 14, "汉山 梁山 大河坎 协税 圣水 濂水"),
            _d("城固县", "610722", 14, "博望 龙头 沙河营 文川 柳林 原公"),
            _d("洋县", "610723", 10, "洋州 戚氏 龙亭 谢村 马畅 槐树关"),
            _d("西乡县", "610724", 10, "城北 城南 杨河 柳树 沙河 堰口"),
            _d("勉县", "610725", 11, "勉阳 武侯 周家山 同沟寺 老道寺 定军山"),
            _d("宁强县", "610726", 8, "汉源 高寨子 大安 代家坝 阳平关 燕子砭"),
            _d("略阳县", "610727", 5, "兴州 横现河 接官亭 硖口驿 徐家坪 白水江"),
            _d("镇巴县", "610728", 7, "泾洋 渔渡 盐场 长岭 三元 简池"),
            _d("留坝县", "610729", 2, "紫柏 马道 武关驿 留侯 江口 火烧店"),
            _d("佛坪县", "610730", 1.5, "袁家庄 陈家坝 大河坝 西岔河 岳坝 长角坝"),
        ),
        stations=(2, 6),
        code="HZ",
        authority="汉中市市场监督管理局",
        registrar="{city}{district}市场监督管理局",
        ratios={"A": 0.03, "B": 0.2, "C": 0.5, "D": 0.85},
        ratio_note=(
            "# Within Yancheng's published ranges (A <= 3 %, B 3-20 %, C 30-50 %, D >= 80 %):\n"
            "# about 4,600 of 43,000 enterprises are drawn, a city's quarter.\n"
        ),
        capacities=(30, 40, 50, 60),
        plan_items=("GS001", "SP001", "SP002", "TS001"),
        split_by="district",
        spread_over="district",
        split_note="# One workbook per district: hundreds of per-team workbooks would be slow.",
    ),
    "megacity": Preset(
        name="megacity",
        enterprises=2_230_000,
        inspectors=5_000,
        city="深圳市",
        districts=(
            _d("罗湖区", "440303", 8, "桂园 黄贝 东门 翠竹 南湖 笋岗 东湖 莲塘 东晓 清水河"),
            _d("福田区", "440304", 13, "园岭 南园 福田 沙头 香蜜湖 梅林 莲花 华富 福保 华强北"),
            _d("南山区", "440305", 14, "南头 南山 沙河 蛇口 招商 粤海 桃源 西丽"),
            _d("宝安区", "440306", 23, "新安 西乡 航城 福永 福海 沙井 新桥 松岗 燕罗 石岩"),
            _d("龙岗区", "440307", 21, "平湖 布吉 吉华 坂田 南湾 横岗 龙城 坪地 宝龙 园山"),
            _d("盐田区", "440308", 2, "梅沙 盐田 沙头角 海山"),
            _d("龙华区", "440309", 12, "观湖 民治 龙华 大浪 福城 观澜"),
            _d("坪山区", "440310", 3, "坪山 马峦 碧岭 石井 坑梓 龙田"),
            _d("光明区", "440311", 4, "光明 公明 新湖 凤凰 玉塘 马田"),
        ),
        stations=(2, 6),
        code="SZ",
        authority="深圳市市场监督管理局",
        registrar="{city}市场监督管理局{short}监管局",
        ratios={"A": 0.01, "B": 0.025, "C": 0.1, "D": 0.2},
        ratio_note=(
            "# No published ratio set reaches a megacity's ~50,000 a quarter here:\n"
            "# Yancheng's lowest ratios (A 0 %, B 3 %, C 30 %, D 80 %) would draw about 97,000 of\n"
            "# 2.23 million enterprises and Bayannur's (2 %, 5 %, 100 %, 100 %) about 226,000.\n"
            "# These keep the risk order A < B < C < D and draw about 50,000 (2.3 %).\n"
        ),
        capacities=(30, 40, 50, 60),
        plan_items=("GS001", "SP001", "SP002", "TS001", "YP001", "ZL001"),
        split_by="district",
        partition_by="district",
        spread_over="district",
        split_note="# One workbook per district: thousands of per-team workbooks would be slow.",
    ),
}

# --- vocabulary ---------------------------------------------------------------------------

BRAND_CHARS = tuple(
    "鑫盛华泰隆源丰瑞祥恒兴达宏昌福康佳美鸿金安和顺利通嘉裕汇新明德信诚旺天宇博润海永"
    "富君益乐凯晟晨欣盈荣祺聚众创捷宝辉锦宁远志合力长青正"
)
# (category, share, words before 有限公司 for companies, names of shops for individual businesses)
CATEGORIES = (
    ("食品销售", 0.22, "商贸 食品销售 超市管理 贸易", "便利店 超市 副食店 食品商行 烟酒商行 粮油店 水果店"),
    ("餐饮服务", 0.20, "餐饮管理 餐饮服务 餐饮文化 餐饮连锁",
     "饭店 小吃店 面馆 火锅店 餐厅 烧烤店 快餐店 奶茶店"),
    ("食品生产", 0.03, "食品 粮油食品 乳业 饮品 肉制品", "食品加工坊 糕点坊 豆制品加工坊 面食加工店"),
    ("药品零售", 0.03, "医药连锁 大药房连锁 医药", "大药房 药店 医药商店"),
    ("医疗器械经营", 0.02, "医疗器械 医疗科技", "医疗器械经营部 保健用品店"),
    ("化妆品经营", 0.02, "化妆品 日化", "化妆品店 美妆店"),
    ("批发零售", 0.15, "贸易 商贸 实业 五金机电", "商行 经营部 五金店 日用百货店 服装店"),
    ("工业产品生产", 0.06, "机械制造 电子科技 塑胶制品 建材 包装材料 新材料",
     "塑料制品厂 五金加工厂 家具厂"),
    ("特种设备使用", 0.03, "物业管理 电梯工程 燃气 锅炉安装", "加气站 物业服务部"),
    ("住宿服务", 0.04, "酒店管理 宾馆", "宾馆 旅馆 招待所 民宿"),
    ("居民服务", 0.08, "家政服务 美容美发 洗涤服务", "美容美发店 理发店 洗衣店 家电维修部 摄影店"),
    ("信息技术服务", 0.07, "网络科技 信息技术 软件 电子商务", "电脑经营部 手机维修店"),
    ("建筑装饰", 0.05, "建筑工程 装饰工程 建材贸易", "装饰材料店 建材经营部"),
)
COMPANY_FORMS = (("有限公司", 0.86), ("有限责任公司", 0.11), ("股份有限公司", 0.03))
ROADS = tuple(
    "人民路 建设路 解放路 中山路 胜利路 新华路 团结路 文化路 和平路 光明路 朝阳路 育才路 工业路 "
    "滨河路 迎宾大道 站前街 商业街 友谊路 东风路 健康路 振兴路 金融街 创业路 科技路 园林路 "
    "幸福路 长安路 青年路 北京路 前进路".split()
)
ADDRESS_TAILS = ("", "", "", "", "1栋", "2栋", "A座", "B座", "一楼", "二楼", "临街商铺",
                 "101室", "201室", "附1号", "3单元")
SURNAMES = tuple(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
)
GIVEN_CHARS = tuple(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞辉建国文斌宇浩凯健俊帆旭宁"
    "龙林欣婷雪慧颖琳晶倩佳梅蕾晨阳亮波峰鑫志海东岩春晓庆立新光"
)
# department, share of the roster, its own qualification (检查资质)
DEPARTMENTS = (
    ("市场监管", 0.40, "综合执法"),
    ("食品安全", 0.30, "食品安全"),
    ("特种设备", 0.10, "特种设备"),
    ("药品", 0.10, "药品"),
    ("质量监督", 0.10, "产品质量"),
)
AVOIDANCE_REASONS = (
    ("亲属关系", 0.45), ("曾在该企业任职", 0.20), ("持有该企业股份", 0.10), ("其他利害关系", 0.25),
)
# Official result categories (planner/common/categories.py); shares among inspections with /
# without a problem.
PROBLEM_RESULTS = (
    ("发现问题经责令已改正", 0.50), ("发现问题待后续处理", 0.20), ("未按规定公示应当公示的信息", 0.12),
    ("违反食品药品管理相关规定", 0.08), ("通过登记的住所（经营场所）无法联系", 0.06),
    ("违反其他部门相关规定", 0.02), ("不配合检查情节严重", 0.02),
)
CLEAN_RESULTS = (("未发现问题", 0.96), ("未发现开展本次抽查涉及的经营活动", 0.04))
# Result recorded for an enterprise that is no longer active, by its present status.
CLOSED_RESULTS = {"注销": "注销", "吊销": "被吊销", "停业": "已关闭停业或正在组织清算"}
INACTIVE_SHARES = (("注销", 0.008), ("吊销", 0.007), ("停业", 0.010))
ITEMS = (
    ("GS001", "企业公示信息的检查", "市场监管", "《企业信息公示暂行条例》第十四条", "书面检查;网络监测"),
    ("GS002", "市场主体登记事项的检查", "市场监管", "《中华人民共和国市场主体登记管理条例》第三十八条",
     "实地核查"),
    ("SP001", "食品销售者经营活动的检查", "食品安全", "《中华人民共和国食品安全法》第一百一十条", "实地核查"),
    ("SP002", "餐饮服务提供者经营活动的检查", "食品安全", "《中华人民共和国食品安全法》第一百一十条",
     "实地核查"),
    ("SP003", "食品生产者生产活动的检查", "食品安全", "《中华人民共和国食品安全法》第一百一十条", "实地核查"),
    ("TS001", "特种设备使用单位的检查", "特种设备", "《中华人民共和国特种设备安全法》第五十七条", "实地核查"),
    ("YP001", "药品零售企业的检查", "药品", "《中华人民共和国药品管理法》第九十九条", "实地核查"),
    ("ZL001", "产品质量的监督抽查", "质量监督", "《中华人民共和国产品质量法》第十五条", "抽样检测"),
    ("GG001", "广告发布活动的检查", "市场监管", "《中华人民共和国广告法》第四十九条", "网络监测;实地核查"),
)
# Item code -> (enterprise categories it applies to, ";"-separated, empty for all;
# the qualification (检查资质) its inspector must hold, empty for none).
ITEM_SCOPE = {
    "GS001": ("", ""),
    "GS002": ("", ""),
    "SP001": ("食品销售", "食品安全"),
    "SP002": ("餐饮服务", "食品安全"),
    "SP003": ("食品生产", "食品安全"),
    "TS001": ("特种设备使用;住宿服务", "特种设备"),
    "YP001": ("药品零售;医疗器械经营", "药品"),
    "ZL001": ("工业产品生产", "产品质量"),
    "GG001": ("", ""),
}

PREVALENCE = dict(zip(CLASSES, PROBLEM_RATE, strict=True))
# The demo's random streams, by index; "returns" fills copies of a plan's field workbooks
# (planner.demo.returns), under the plan's seed joined to the demo seed.
STREAMS = ("places", "enterprises", "inspectors", "history", "avoidance", "variants", "returns")


# --- the command ---------------------------------------------------------------------------


def write_demo(
    *,
    preset: str,
    seed: str,
    out: str | Path,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Path]:
    """Write a synthetic directory, roster, avoidance list, history, items and scenario.

    Parameters
    ----------
    preset : str
        ``district`` (500 enterprises, 30 inspectors), ``city`` (43,000 / 400) or
        ``megacity`` (2,230,000 / 5,000).
    seed : str
        Seed of the synthetic data; the same preset and seed give byte-identical files.
    out : str or pathlib.Path
        Output folder (created if needed). Files of the same names are replaced.
    progress : callable, optional
        Called with a short text before each long step.

    Returns
    -------
    dict
        File name without extension -> path written, in the order written (scenario last).

    Raises
    ------
    ValueError
        For an unknown preset.
    """
    spec = _preset(preset)
    say = progress or (lambda _message: None)
    rng = {name: randomness.generator(seed, "demo", i) for i, name in enumerate(STREAMS)}
    out = Path(out)

    places = make_places(spec, rng["places"])
    say(f"generating {spec.enterprises:,} enterprises ({spec.name})")
    ent = make_enterprises(spec, places, rng["enterprises"])
    say(f"generating {spec.inspectors:,} inspectors")
    insp = make_inspectors(spec, places, ent, rng["inspectors"])
    say("generating a year of inspection history")
    hist = make_history(spec, places, ent, insp, rng["history"])
    avoid = make_avoidance(ent, insp, hist, rng["avoidance"])

    tables = {
        "enterprises": ent.frame,
        "inspectors": insp.frame,
        "avoidance": avoid,
        "history": hist.frame,
        "items": make_items(),
        "items-by-category": make_items(by_category=True),
    }
    written: dict[str, Path] = {}
    for name, frame in tables.items():
        written[name] = _write_table(out / f"{name}.csv", frame, HEADERS[name], say)
    if spec.variants:
        for scheme, frame in grade_variants(ent, rng["variants"]).items():
            name = f"enterprises-{scheme}"
            headers = {**HEADERS["enterprises"], "score": SCORE_HEADERS.get(scheme, ""),
                       "points": "积分"}
            written[name] = _write_table(out / f"{name}.csv", frame, headers, say)
        written["inspectors-groups"] = _write_table(
            out / "inspectors-groups.csv", standing_groups(insp.frame),
            {**HEADERS["inspectors"], "group": "检查小组"}, say)
    say("writing scenario.toml")
    written["scenario"] = out / "scenario.toml"
    write_text_atomic(written["scenario"], scenario_text(preset, seed))
    return written


def standing_groups(roster: pd.DataFrame, size: int = 3) -> pd.DataFrame:
    """Return the roster with a ``group`` column: standing groups (检查小组) of about ``size``.

    Inspector ``i`` of ``n`` joins group ``i % (n // size) + 1`` (第1组, 第2组, ...), so each
    group mixes stations; no random stream is used, so the other files keep their bytes.

    Parameters
    ----------
    roster : pandas.DataFrame
        The generated roster.
    size : int
        Members per group (the last groups may have one more).

    Returns
    -------
    pandas.DataFrame
        A copy of the roster with ``group``.
    """
    n_groups = max(len(roster) // size, 1)
    return roster.assign(group=[f"第{i % n_groups + 1}组" for i in range(len(roster))])


def seed_sequence(seed: str) -> np.random.SeedSequence:
    """Return the seed sequence of a seed string: the SHA-256 of its UTF-8 bytes as entropy.

    Parameters
    ----------
    seed : str
        Any text.

    Returns
    -------
    numpy.random.SeedSequence
        The root of every random stream of the demo data.
    """
    return randomness.seed_sequence(seed, "demo")


def _preset(name: str) -> Preset:
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; use one of {', '.join(PRESETS)}")
    return PRESETS[name]


def _write_table(path: Path, frame: pd.DataFrame, headers: dict[str, str], say) -> Path:
    """Write a frame as UTF-8 CSV with Chinese headers, whole or not at all."""
    say(f"writing {path.name} ({len(frame):,} rows)")
    with atomic_path(path) as tmp:
        frame.rename(columns=headers).to_csv(tmp, index=False, lineterminator="\n",
                                             encoding="utf-8")
    return path


# --- places ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Places:
    """Districts and stations; stations are numbered district by district."""

    district_names: np.ndarray  # per district
    district_codes: np.ndarray
    registrars: np.ndarray
    station_names: np.ndarray  # per station
    station_district: np.ndarray  # district index of each station
    station_weight: np.ndarray  # share of its district's enterprises


def make_places(spec: Preset, rng: np.random.Generator) -> Places:
    """Choose 2-6 stations (市场监管所) per district, named after its streets and towns.

    Parameters
    ----------
    spec : Preset
        The preset.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    Places
        Districts and stations.
    """
    names, district_of, weights = [], [], []
    low, high = spec.stations
    for i, district in enumerate(spec.districts):
        k = min(int(rng.integers(low, high + 1)), len(district.streets))
        streets = rng.choice(np.array(district.streets, dtype=object), size=k, replace=False)
        names += [f"{s}市场监管所" for s in streets]
        district_of += [i] * k
        # Balanced stations (+-15 %), so cross-station avoidance leaves each enough inspectors.
        share = 1 + 0.3 * (rng.random(k) - 0.5)
        weights += list(share / share.sum())
    short = [d.name[:-1] if len(d.name) > 2 else d.name for d in spec.districts]
    return Places(
        district_names=np.array([d.name for d in spec.districts], dtype=object),
        district_codes=np.array([d.code for d in spec.districts], dtype=object),
        registrars=np.array(
            [spec.registrar.format(city=spec.city, district=d.name, short=s)
             for d, s in zip(spec.districts, short, strict=True)], dtype=object),
        station_names=np.array(names, dtype=object),
        station_district=np.array(district_of, dtype=np.int64),
        station_weight=np.array(weights),
    )


def split_counts(total: int, weights) -> np.ndarray:
    """Split ``total`` in proportion to ``weights`` by largest remainder (ties: first wins).

    Parameters
    ----------
    total : int
        What to split.
    weights : array-like
        Non-negative weights, not all zero.

    Returns
    -------
    numpy.ndarray
        Integer counts summing to ``total``.
    """
    w = np.asarray(weights, dtype=float)
    quota = total * w / w.sum()
    counts = np.floor(quota).astype(np.int64)
    order = np.argsort(-(quota - counts), kind="stable")
    counts[order[: total - counts.sum()]] += 1
    return counts


def _pick(rng: np.random.Generator, n: int, table) -> np.ndarray:
    """Draw ``n`` indices into a table of ``(value, share, ...)`` rows by their shares."""
    shares = np.array([row[1] for row in table], dtype=float)
    return rng.choice(len(table), size=n, p=shares / shares.sum())


def _words(rng: np.random.Generator, lists: list[list[str]], which: np.ndarray) -> np.ndarray:
    """For each row, a uniformly chosen word from the list ``which`` selects."""
    flat = _text([w for words in lists for w in words])
    lengths = np.array([len(words) for words in lists])
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    pick = np.floor(rng.random(len(which)) * lengths[which]).astype(np.int64)
    return flat[offsets[which] + pick]


def _text(values) -> np.ndarray:
    """Return a fixed-width unicode array (``np.strings.add`` joins it far faster than objects)."""
    return np.array(values, dtype=str)


def _join(*parts: np.ndarray) -> np.ndarray:
    """Concatenate unicode arrays element by element."""
    out = parts[0]
    for part in parts[1:]:
        out = np.strings.add(out, part)
    return out


def _block_starts(sorted_keys: np.ndarray, n_keys: int) -> tuple[np.ndarray, np.ndarray]:
    """First position and size of each key's block in a sorted key array."""
    starts = np.searchsorted(sorted_keys, np.arange(n_keys), side="left")
    ends = np.searchsorted(sorted_keys, np.arange(n_keys), side="right")
    return starts, ends - starts


def _dates(first: dt.date, offsets: np.ndarray) -> np.ndarray:
    """ISO date strings ``first + offsets`` days, as an object array."""
    days = np.datetime64(first, "D") + offsets.astype("timedelta64[D]")
    return np.datetime_as_string(days, unit="D").astype(object)


# --- enterprises ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Directory:
    """The generated directory: the frame to write and index arrays for the other tables.

    Rows are grouped by district (in district order) and shuffled within it.
    """

    frame: pd.DataFrame
    district: np.ndarray
    station: np.ndarray
    risk: np.ndarray  # class index into CLASSES
    inactive: np.ndarray  # present status: index into INACTIVE_SHARES, or -1 when active


def make_enterprises(spec: Preset, places: Places, rng: np.random.Generator) -> Directory:
    """Generate the directory (检查对象名录库).

    Parameters
    ----------
    spec : Preset
        The preset (size, districts, city).
    places : Places
        Districts and stations.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    Directory
        The frame (canonical column names) and index arrays.
    """
    n = spec.enterprises
    per_district = split_counts(n, [d.weight for d in spec.districts])
    per_station = np.concatenate([
        split_counts(count, places.station_weight[places.station_district == i])
        for i, count in enumerate(per_district)
    ])
    station = np.repeat(np.arange(len(per_station)), per_station)
    district = places.station_district[station]
    station = station[np.lexsort((rng.random(n), district))]  # shuffle within each district

    codes = uscc.generate(rng, n, places.district_codes[district])
    individual = np.frombuffer("".join(codes).encode("ascii"), dtype=np.uint8)[1::18] == ord("2")
    risk = rng.permutation(np.repeat(np.arange(len(CLASSES)), split_counts(n, CLASS_MIX)))
    category = _pick(rng, n, CATEGORIES)
    names = _enterprise_names(spec, places, district, category, individual, rng)

    roads = _text(ROADS)[rng.integers(0, len(ROADS), n)]
    numbers = _text([f"{i}号" for i in range(1, 400)])[rng.integers(0, 399, n)]
    tails = _text(ADDRESS_TAILS)[rng.integers(0, len(ADDRESS_TAILS), n)]
    towns = _text([spec.city + name for name in places.district_names])
    address = _join(towns[district], roads, numbers, tails)

    status = np.where(individual, "在业", "存续").astype(object)
    u = rng.random(n)
    inactive = np.full(n, -1, dtype=np.int64)
    edges = np.cumsum([share for _, share in INACTIVE_SHARES])
    for i, (word, _) in enumerate(INACTIVE_SHARES):
        hit = (u < edges[i]) & (inactive < 0)
        inactive[hit] = i
        status[hit] = word

    frame = pd.DataFrame({
        "enterprise_id": codes,
        "name": names,
        "district": places.district_names[district],
        "station": places.station_names[station],
        "risk_grade": np.array(CLASSES, dtype=object)[risk],
        "category": np.array([c[0] for c in CATEGORIES], dtype=object)[category],
        "address": address,
        "status": status,
        "registration_authority": places.registrars[district],
    })
    return Directory(frame, district, station, risk, inactive)


def _enterprise_names(spec, places, district, category, individual, rng) -> np.ndarray:
    """Company names (place + brand + trade + 有限公司) and shop names (place + brand + shop)."""
    n = len(district)
    brand_chars = _text(BRAND_CHARS)
    brand = _join(brand_chars[rng.integers(0, len(brand_chars), n)],
                  brand_chars[rng.integers(0, len(brand_chars), n)])
    company_word = _words(rng, [c[2].split() for c in CATEGORIES], category)
    shop_word = _words(rng, [c[3].split() for c in CATEGORIES], category)
    forms = _text([f for f, _ in COMPANY_FORMS])[_pick(rng, n, COMPANY_FORMS)]
    # Place prefix: none, the district, or the city (companies only).
    u = rng.random(n)
    place = np.where(u < 0.35, 0, 1 + district)
    place[(u >= 0.65) & ~individual] = len(places.district_names) + 1
    place = _text(["", *places.district_names, spec.city])[place]
    return np.where(individual, _join(place, brand, shop_word),
                    _join(place, brand, company_word, forms))


# --- inspectors ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Roster:
    """The generated roster: the frame to write and index arrays (rows in id order)."""

    frame: pd.DataFrame
    district: np.ndarray
    station: np.ndarray


def make_inspectors(
    spec: Preset, places: Places, directory: Directory, rng: np.random.Generator
) -> Roster:
    """Generate the roster (执法检查人员名录库).

    Each station gets at least three inspectors, the rest in proportion to its enterprises.
    The first two of each station are certified, available and lead-capable; about half of the
    roster can lead; about 5 % hold a certificate expiring before the plan ends (half of them
    already expired) and about 3 % are unavailable, none of them among those first two.

    Parameters
    ----------
    spec : Preset
        The preset.
    places : Places
        Districts and stations.
    directory : Directory
        The enterprises (for the stations' sizes and division codes).
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    Roster
        The frame (canonical column names) and index arrays.
    """
    n = spec.inspectors
    n_stations = len(places.station_names)
    floor = 3
    if n < floor * n_stations:
        raise ValueError(f"{n} inspectors cannot give {n_stations} stations {floor} each")
    load = np.bincount(directory.station, minlength=n_stations)
    station = np.repeat(np.arange(n_stations), floor + split_counts(n - floor * n_stations, load))
    district = places.station_district[station]
    station = station[np.lexsort((rng.random(n), district))]

    order = np.argsort(station, kind="stable")
    starts, _ = _block_starts(station[order], n_stations)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - starts[station[order]]
    core = rank < 2  # certified, available, lead-capable

    others = np.flatnonzero(~core)
    n_expired = max(2, round(0.05 * n))
    n_away = max(1, round(0.03 * n))
    picked = rng.choice(others, size=n_expired + n_away, replace=False)
    expired_before, expired_during = picked[: n_expired // 2], picked[n_expired // 2 : n_expired]
    away = picked[n_expired:]

    days = (PLAN_END - PLAN_START).days
    expiry = _dates(PLAN_END, rng.integers(1, 5 * 365, n))
    expiry[expired_before] = _dates(PLAN_START, -rng.integers(1, 400, len(expired_before)))
    expiry[expired_during] = _dates(PLAN_START, rng.integers(0, days, len(expired_during)))
    available = np.full(n, "是", dtype=object)
    available[away] = "否"
    # About half can lead (可任主检), counting the two per station that always can.
    lead_share = max(0.0, (0.5 * n - core.sum()) / (n - core.sum()))
    can_lead = np.where((rng.random(n) < lead_share) | core, "是", "否").astype(object)

    capacity = np.array(spec.capacities, dtype=np.int64)[rng.integers(0, len(spec.capacities), n)]
    capacity = capacity.astype(str).astype(object)
    capacity[rng.random(n) < 0.1] = ""  # blank: the scenario's default capacity applies

    department = _pick(rng, n, DEPARTMENTS)
    quals = np.array([q for _, _, q in DEPARTMENTS], dtype=object)
    extra = (department + rng.integers(1, len(DEPARTMENTS), n)) % len(DEPARTMENTS)
    qualifications = np.where(rng.random(n) < 0.3, quals[department] + ";" + quals[extra],
                              quals[department])

    surnames = np.array(SURNAMES, dtype=object)[rng.integers(0, len(SURNAMES), n)]
    given_chars = np.array(GIVEN_CHARS, dtype=object)
    given = given_chars[rng.integers(0, len(given_chars), n)]
    two = rng.random(n) < 0.7
    given[two] = given[two] + given_chars[rng.integers(0, len(given_chars), int(two.sum()))]

    issued = rng.integers(15, 26, n)
    serial = rng.permutation(n) + 1
    codes = places.district_codes[district]
    certificate = [f"{c}{y:02d}{s:05d}" for c, y, s in zip(codes, issued, serial, strict=True)]

    frame = pd.DataFrame({
        "inspector_id": [f"{spec.code}{i:05d}" for i in range(1, n + 1)],
        "name": surnames + given,
        "department": np.array([d for d, _, _ in DEPARTMENTS], dtype=object)[department],
        "district": places.district_names[district],
        "station": places.station_names[station],
        "certificate_no": certificate,
        "certificate_expiry": expiry,
        "can_lead": can_lead,
        "capacity": capacity,
        "available": available,
        "qualifications": qualifications,
    })
    return Roster(frame, district, station)


# --- history and avoidance -----------------------------------------------------------------------


@dataclass(frozen=True)
class History:
    """Past inspections: the frame to write (one row per team seat) and the pairs it holds."""

    frame: pd.DataFrame
    pairs: np.ndarray  # enterprise index * inspectors + inspector index, per row


def _quarter_starts(before: dt.date, count: int) -> list[dt.date]:
    """Return the first days of the ``count`` calendar quarters before the one starting ``before``."""
    starts = []
    year, month = before.year, before.month
    for _ in range(count):
        month -= 3
        if month < 1:
            month += 12
            year -= 1
        starts.append(dt.date(year, month, 1))
    return starts[::-1]


def make_history(
    spec: Preset, places: Places, directory: Directory, roster: Roster, rng: np.random.Generator
) -> History:
    """Generate the four quarters before the plan: draws at the plan's ratios, teams, results.

    Each quarter draws ``ceil(ratio * size)`` enterprises of every class; each inspection gets
    two inspectors of the enterprise's district from other stations, and one result: a problem
    category with the class's problem rate (A 2 %, B 5 %, C 12 %, D 25 %), else a clean one.
    An enterprise deregistered, revoked or suspended since then may show that instead.

    Parameters
    ----------
    spec : Preset
        The preset (its ratios).
    places : Places
        Districts and stations.
    directory : Directory
        The enterprises.
    roster : Roster
        The inspectors.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    History
        The frame (canonical column names) and the (enterprise, inspector) pairs.
    """
    ent_rows, dates = [], []
    by_class = [np.flatnonzero(directory.risk == c) for c in range(len(CLASSES))]
    quarters = _quarter_starts(PLAN_START, 4) + [PLAN_START]
    for first, nxt in zip(quarters[:-1], quarters[1:], strict=True):
        for c, members in enumerate(by_class):
            k = min(len(members), int(np.ceil(spec.ratios[CLASSES[c]] * len(members) - 1e-9)))
            chosen = rng.choice(members, size=k, replace=False)
            ent_rows.append(chosen)
            dates.append((first - PLAN_START).days + rng.integers(0, (nxt - first).days, k))
    ent = np.concatenate(ent_rows)
    offset = np.concatenate(dates)
    order = np.lexsort((ent, offset))
    ent, offset = ent[order], offset[order]
    m = len(ent)

    first, second = _teams(places, directory.station[ent], roster, rng)
    problem = rng.random(m) < np.array(PROBLEM_RATE)[directory.risk[ent]]
    result = np.where(
        problem,
        np.array([r for r, _ in PROBLEM_RESULTS], dtype=object)[_pick(rng, m, PROBLEM_RESULTS)],
        np.array([r for r, _ in CLEAN_RESULTS], dtype=object)[_pick(rng, m, CLEAN_RESULTS)],
    )
    state = directory.inactive[ent]
    closed = (state >= 0) & (rng.random(m) < 0.6)
    closed_text = np.array([CLOSED_RESULTS[w] for w, _ in INACTIVE_SHARES], dtype=object)
    result[closed] = closed_text[state[closed]]

    ids = directory.frame["enterprise_id"].to_numpy(dtype=object)
    staff = roster.frame["inspector_id"].to_numpy(dtype=object)
    seat_ent = np.repeat(ent, 2)
    seat_insp = np.column_stack([first, second]).ravel()
    frame = pd.DataFrame({
        "enterprise_id": ids[seat_ent],
        "inspector_id": staff[seat_insp],
        "date": np.repeat(_dates(PLAN_START, offset), 2),
        "result": np.repeat(result, 2),
    })
    return History(frame, seat_ent * len(staff) + seat_insp)


def _teams(
    places: Places, station: np.ndarray, roster: Roster, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Two distinct inspectors per enterprise, from its district but not its station."""
    n_stations = len(places.station_names)
    by_station = np.argsort(roster.station, kind="stable")  # stations are in district order
    s_start, s_size = _block_starts(roster.station[by_station], n_stations)
    district = places.station_district
    d_start = np.array([s_start[district == d].min() for d in range(len(places.district_names))])
    d_size = np.bincount(district, weights=s_size, minlength=len(d_start)).astype(np.int64)

    d = district[station]
    pool = d_size[d] - s_size[station]  # inspectors of the district outside the station
    own = s_start[station] - d_start[d]  # where the station's block sits inside the district's
    r1 = np.floor(rng.random(len(station)) * pool).astype(np.int64)
    r2 = (r1 + 1 + np.floor(rng.random(len(station)) * (pool - 1)).astype(np.int64)) % pool

    def member(r: np.ndarray) -> np.ndarray:
        return by_station[d_start[d] + r + (r >= own) * s_size[station]]

    return member(r1), member(r2)


def make_avoidance(
    directory: Directory, roster: Roster, history: History, rng: np.random.Generator
) -> pd.DataFrame:
    """Generate one to three avoidance (回避) pairs per inspector, in the inspector's district.

    Pairs that the history shows inspected together are left out, so the past stays
    consistent with the rule.

    Parameters
    ----------
    directory : Directory
        The enterprises (grouped by district).
    roster : Roster
        The inspectors.
    history : History
        Past inspections.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    pandas.DataFrame
        ``inspector_id``, ``enterprise_id``, ``reason``, by inspector.
    """
    n_insp = len(roster.frame)
    insp = np.repeat(np.arange(n_insp), rng.integers(1, 4, n_insp))
    n_districts = int(roster.district.max()) + 1
    start, size = _block_starts(directory.district, n_districts)
    d = roster.district[insp]
    ent = start[d] + np.floor(rng.random(len(insp)) * size[d]).astype(np.int64)
    reason = np.array([r for r, _ in AVOIDANCE_REASONS], dtype=object)[
        _pick(rng, len(insp), AVOIDANCE_REASONS)]
    key = ent * n_insp + insp
    _, first = np.unique(key, return_index=True)
    keep = np.zeros(len(key), dtype=bool)
    keep[first] = True
    keep &= ~np.isin(key, history.pairs)
    keep = np.flatnonzero(keep)
    keep = keep[np.lexsort((ent[keep], insp[keep]))]
    return pd.DataFrame({
        "inspector_id": roster.frame["inspector_id"].to_numpy(dtype=object)[insp[keep]],
        "enterprise_id": directory.frame["enterprise_id"].to_numpy(dtype=object)[ent[keep]],
        "reason": reason[keep],
    })


def make_items(by_category: bool = False) -> pd.DataFrame:
    """Return the spot-check item list (随机抽查事项清单).

    Parameters
    ----------
    by_category : bool
        Add the categories each item applies to and the qualification it needs
        (:data:`ITEM_SCOPE`).

    Returns
    -------
    pandas.DataFrame
        ``item_code``, ``item_name``, ``department``, ``legal_basis``, ``method`` (and
        ``categories``, ``qualification``).
    """
    frame = pd.DataFrame(list(ITEMS), columns=list(HEADERS["items"]))
    if by_category:
        frame["categories"] = [ITEM_SCOPE[c][0] for c in frame["item_code"]]
        frame["qualification"] = [ITEM_SCOPE[c][1] for c in frame["item_code"]]
    return frame


# --- the directory graded by the other schemes ------------------------------------------------

SCORE_HEADERS = {"shenzhen": "信用得分", "food-score": "风险得分"}


def grade_variants(directory: Directory, rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """Grade the same directory for each other built-in scheme, class by class.

    - ``shenzhen``: a 信用得分 credit score; A becomes A+ (751-900) or A (671-750), B 601-670,
      C 555-600, D 300-554; a few D enterprises are graded E directly (风险等级 E, no score).
    - ``three-color``: 绿 (A), 黄 (B), 红 (C and D).
    - ``food-score``: a 100-point 风险得分 risk score: A 0-30, B 31-45, C 46-60, D 61-100.
    - ``points-12``: A1-A3, B1-B3, ... by level within the class.
    - ``shaanxi-100``: 积分 points, more is better: A 100-110, B 80-99, C 60-79, D 40-59.

    Parameters
    ----------
    directory : Directory
        The directory graded A-D.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    dict
        Scheme name -> frame with canonical column names (``score`` for the scores).
    """
    base = directory.frame
    risk = directory.risk
    n = len(base)
    at = list(base.columns).index("risk_grade") + 1

    low, high = np.array([671, 601, 555, 300]), np.array([750, 670, 600, 554])
    score = rng.integers(low[risk], high[risk] + 1)
    plus = (risk == 0) & (rng.random(n) < 0.35)
    score[plus] = rng.integers(751, 901, int(plus.sum()))
    e_rows = rng.choice(np.flatnonzero(risk == 3), size=max(3, round(0.005 * n)), replace=False)
    grade = np.full(n, "", dtype=object)
    grade[e_rows] = "E"
    text = score.astype(str).astype(object)
    text[e_rows] = ""
    shenzhen = base.assign(risk_grade=grade)
    shenzhen.insert(at, "score", text)

    three = base.assign(risk_grade=np.array(["绿", "黄", "红", "红"], dtype=object)[risk])

    food_low, food_high = np.array([0, 31, 46, 61]), np.array([30, 45, 60, 100])
    food = base.drop(columns="risk_grade")
    food.insert(at - 1, "score", rng.integers(food_low[risk], food_high[risk] + 1).astype(str))

    level = rng.choice(3, size=n, p=[0.4, 0.35, 0.25]) + 1
    points = base.assign(risk_grade=np.array(CLASSES, dtype=object)[risk] + level.astype(str))
    sx_low, sx_high = np.array([100, 80, 60, 40]), np.array([110, 99, 79, 59])
    shaanxi = base.drop(columns="risk_grade")
    shaanxi.insert(at - 1, "points", rng.integers(sx_low[risk], sx_high[risk] + 1).astype(str))
    return {"shenzhen": shenzhen, "three-color": three, "food-score": food, "points-12": points,
            "shaanxi-100": shaanxi}


# --- the scenario --------------------------------------------------------------------------------


def _toml(value) -> str:
    """Render a TOML value: strings as basic strings, tables inline, lists as arrays."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, dt.date)):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def scenario_text(preset: str, seed: str, *, data_prefix: str = "") -> str:
    """Return the scenario TOML that :func:`write_demo` writes for a preset and seed.

    Parameters
    ----------
    preset : str
        The preset name.
    seed : str
        The demo data's seed; the plan's public seed is derived from it.
    data_prefix : str
        Prepended to every input path (e.g. ``"../data/demo/"`` for a scenario kept in
        ``scenarios/``); empty when the scenario sits beside the files.

    Returns
    -------
    str
        The TOML text.

    Raises
    ------
    ValueError
        For an unknown preset.
    """
    spec = _preset(preset)
    plan_id = f"DEMO-{spec.code}-{PLAN_START.year}Q{(PLAN_START.month - 1) // 3 + 1}"
    quarter = "一二三四"[(PLAN_START.month - 1) // 3]
    place = spec.districts[0].name if len(spec.districts) == 1 else spec.city
    lines = [
        f"# Synthetic demo plan: planner demo-data --preset {preset} --seed {seed}",
        "# The enterprises, inspectors and history are invented; the credit codes pass",
        "# GB 32100-2015 but belong to no real enterprise.",
        "",
        "[plan]",
        f"id = {_toml(plan_id)}",
        f"name = {_toml(f'{place}{PLAN_START.year}年第{quarter}季度双随机抽查计划（演示）')}",
        f"authority = {_toml(spec.authority)}",
        f"seed = {_toml(f'{plan_id}:{seed}')}",
        f"start = {PLAN_START}",
        f"end = {PLAN_END}",
        f"items = {_toml(list(spec.plan_items))}",
        "",
        "[inputs]",
        *(f"{name} = {_toml(data_prefix + name + '.csv')}" for name in INPUT_TABLES),
        "",
        "[grading]",
        'scheme = "abcd"',
        "",
        "[sampling]",
        spec.ratio_note.rstrip("\n"),
        f"ratios = {_toml(spec.ratios)}",
    ]
    if spec.spread_over:
        lines.append(f"spread_over = {_toml(spec.spread_over)}")
    lines += [
        "",
        "[assignment]",
        "team_size = 2",
        "cross_station = true",
        "rotation = true",
        "capacity = 30",
    ]
    if spec.partition_by:
        lines.append(f"partition_by = {_toml(spec.partition_by)}")
    lines += ["", "[export]", 'language = "zh"']
    if spec.split_note:
        lines.append(spec.split_note)
    lines += [
        f"split_by = {_toml(spec.split_by)}",
        "",
        "[simulation]",
        "# The problem rates the demo history was generated with.",
        f"prevalence = {_toml(PREVALENCE)}",
        f"history = {_toml(data_prefix + 'history.csv')}",
        "",
    ]
    return "\n".join(lines)
