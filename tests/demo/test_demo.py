"""planner demo-data: the district preset is valid, realistic and reproducible.

The city and megacity sizes are generated in ``tests/benchmarks/test_bench_demo.py``; here the
city preset's tables are built in memory for the statistics that need a large sample.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from planner.cli import cli
from planner.common.categories import RESULTS
from planner.common.uscc import uscc_problems
from planner.demo import generate as demo
from planner.draw.allocate import by_ratios
from planner.plan.inputs import load_inputs
from planner.plan.scenario import class_table, load_scenario

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "data" / "demo"
NAMES = ["enterprises", "inspectors", "avoidance", "history", "items", "items-by-category",
         "enterprises-shenzhen", "enterprises-three-color", "enterprises-food-score",
         "enterprises-points-12", "enterprises-shaanxi-100", "inspectors-groups", "scenario"]
BAYANNUR = {"A": 0.73, "B": 0.19, "C": 0.05, "D": 0.03}
OUTCOME = {c.zh: c.outcome for c in RESULTS}


@pytest.fixture(scope="module")
def district(tmp_path_factory) -> dict[str, Path]:
    return demo.write_demo(preset="district", seed="demo", out=tmp_path_factory.mktemp("district"))


@pytest.fixture(scope="module")
def loaded(district):
    return load_inputs(load_scenario(district["scenario"]))


@pytest.fixture(scope="module")
def city():
    """The city preset's tables, in memory (43,000 enterprises, 400 inspectors)."""
    spec = demo.PRESETS["city"]
    rng = [np.random.default_rng(s) for s in demo.seed_sequence("test").spawn(4)]
    places = demo.make_places(spec, rng[0])
    ent = demo.make_enterprises(spec, places, rng[1])
    insp = demo.make_inspectors(spec, places, ent, rng[2])
    hist = demo.make_history(spec, places, ent, insp, rng[3])
    return spec, places, ent, insp, hist


def test_write_demo_returns_every_file_in_write_order_scenario_last(district):
    assert list(district) == NAMES
    folder = district["scenario"].parent
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        f"{n}.toml" if n == "scenario" else f"{n}.csv" for n in NAMES)  # no temporary files left
    assert all(p.parent == folder for p in district.values())


def test_district_preset_is_valid_with_only_certificate_warnings(loaded):
    assert len(loaded.enterprises) == 500
    assert len(loaded.inspectors) == 30
    expired = int((~loaded.inspectors["certified"]).sum())
    assert expired >= 1
    assert [w.column for w in loaded.warnings] == ["certificate_expiry"] * expired
    assert len(loaded.avoidance) > 0 and len(loaded.history) > 0 and len(loaded.items) > 0


def test_files_carry_the_chinese_headers_of_bureau_exports(district):
    for name, headers in demo.HEADERS.items():
        with open(district[name], encoding="utf-8") as fh:
            assert fh.readline().rstrip("\n").split(",") == list(headers.values())


def test_class_mix_is_bayannurs(loaded, city):
    for classes in (loaded.enterprises["risk_class"], city[2].frame["risk_grade"]):
        shares = classes.value_counts(normalize=True)
        for grade, share in BAYANNUR.items():
            assert shares[grade] == pytest.approx(share, abs=0.01)


def test_credit_codes_are_valid_unique_and_carry_the_district_division_code(loaded, city):
    ids = loaded.enterprises["enterprise_id"]
    assert uscc_problems(ids.to_numpy(dtype=object)) == [None] * len(ids)
    assert ids.is_unique
    assert set(ids.str.slice(2, 8)) == {"150802"}
    spec, _, ent, _, _ = city
    codes = {d.name: d.code for d in spec.districts}
    frame = ent.frame
    assert frame["enterprise_id"].is_unique
    assert (frame["enterprise_id"].str.slice(2, 8) == frame["district"].map(codes)).all()


def test_names_match_the_kind_of_business(city):
    frame = city[2].frame
    individual = frame["enterprise_id"].str[1] == "2"
    company_form = frame["name"].str.endswith(("有限公司", "有限责任公司"))
    assert company_form[~individual].all()
    assert not company_form[individual].any()
    assert (frame.loc[individual, "status"].isin(["在业", "注销", "吊销", "停业"])).all()
    assert frame["name"].duplicated().mean() < 0.05


def test_a_few_enterprises_are_inactive(loaded, city):
    assert 0.01 <= (~loaded.enterprises["active"]).mean() <= 0.04
    status = city[2].frame["status"].value_counts(normalize=True)
    assert status[["注销", "吊销", "停业"]].sum() == pytest.approx(0.025, abs=0.005)


def test_roster_has_expired_unavailable_and_about_half_leads(loaded, city):
    for insp in (loaded.inspectors, load_roster(city)):
        n = len(insp)
        assert (~insp["certified"]).sum() == max(2, round(0.05 * n))
        assert (~insp["available"]).sum() == max(1, round(0.03 * n))
        assert insp["can_lead"].mean() == pytest.approx(0.5, abs=0.1)
        assert insp["department"].nunique() == 5
        assert insp["certificate_no"].is_unique


def load_roster(city) -> pd.DataFrame:
    """The city roster parsed as load_inputs does, for the same checks as the district one."""
    frame = city[3].frame
    return pd.DataFrame({
        "certified": pd.to_datetime(frame["certificate_expiry"]) >= pd.Timestamp(demo.PLAN_END),
        "available": frame["available"] == "是",
        "can_lead": frame["can_lead"] == "是",
        "department": frame["department"],
        "certificate_no": frame["certificate_no"],
    })


def test_every_district_has_two_stations_each_with_two_eligible_leads(loaded, city):
    insp = loaded.inspectors
    eligible_leads = insp[insp["eligible"] & insp["can_lead"]].groupby("station").size()
    assert eligible_leads.reindex(insp["station"].unique(), fill_value=0).min() >= 2
    spec, places, _, roster, _ = city
    frame = roster.frame
    assert frame.groupby("district")["station"].nunique().min() >= 2
    assert places.station_names.tolist() == list(dict.fromkeys(places.station_names))  # unique
    leads = frame[(frame["can_lead"] == "是") & (frame["available"] == "是")
                  & (frame["certificate_expiry"] >= str(demo.PLAN_END))]
    assert leads.groupby("station").size().reindex(places.station_names, fill_value=0).min() >= 2


def expected_draw(enterprises: pd.DataFrame, ratios: dict[str, float]) -> dict[str, int]:
    eligible = enterprises[enterprises["active"]]["risk_class"].value_counts().to_dict()
    return by_ratios(eligible, ratios)


def test_scenario_ratios_draw_near_the_design_sizes(loaded, city):
    ratios = class_table(loaded.scenario.sampling.ratios, loaded.scheme)
    assert 80 <= sum(expected_draw(loaded.enterprises, ratios).values()) <= 120
    frame = city[2].frame.assign(active=city[2].inactive < 0, risk_class=city[2].frame["risk_grade"])
    assert 4_300 <= sum(expected_draw(frame, demo.PRESETS["city"].ratios).values()) <= 4_900
    # Megacity, from its class counts: 2.23 million enterprises, 2.5 % inactive.
    classes = demo.split_counts(2_230_000, demo.CLASS_MIX)
    eligible = {c: int(n * 0.975) for c, n in zip(demo.CLASSES, classes, strict=True)}
    assert 45_000 <= sum(by_ratios(eligible, demo.PRESETS["megacity"].ratios).values()) <= 55_000


def test_roster_capacity_staffs_each_station_from_the_other_stations(loaded):
    """Cross-station (所所交叉): a station's teams come from the district's other stations."""
    s = loaded.scenario
    ratios = class_table(s.sampling.ratios, loaded.scheme)
    team = s.assignment.team_size
    insp = loaded.inspectors[loaded.inspectors["eligible"]]
    for station, group in loaded.enterprises.groupby("station"):
        drawn = sum(expected_draw(group, ratios).values())
        others = insp[insp["station"] != station]
        assert others["capacity"].sum() >= 2 * team * drawn
        assert others.loc[others["can_lead"], "capacity"].sum() >= 2 * drawn
    total = sum(expected_draw(loaded.enterprises, ratios).values())
    assert insp["capacity"].sum() >= 2 * team * total


def test_history_covers_the_year_before_the_plan_with_official_results(loaded):
    hist = loaded.history
    start = pd.Timestamp(loaded.scenario.plan.start)
    assert hist["date"].min() >= start - pd.Timedelta(days=366)
    assert hist["date"].max() < start
    assert set(hist["result"]) <= set(OUTCOME)
    # Two seats per inspection, two different inspectors from another station of the district.
    station = loaded.inspectors.set_index("inspector_id")["station"]
    home = loaded.enterprises.set_index("enterprise_id")["station"]
    visits = hist.groupby(["enterprise_id", "date"])["inspector_id"]
    assert (visits.size() == 2).all() and (visits.nunique() == 2).all()
    assert (hist["inspector_id"].map(station) != hist["enterprise_id"].map(home)).all()


def test_problem_rates_rise_with_risk_as_generated(city):
    _, _, ent, _, hist = city
    frame = hist.frame.drop_duplicates(["enterprise_id", "date"])
    grade = frame["enterprise_id"].map(ent.frame.set_index("enterprise_id")["risk_grade"])
    outcome = frame["result"].map(OUTCOME)
    inspected = outcome != "not_inspected"
    rates = (outcome[inspected] == "problem").groupby(grade[inspected]).mean()
    assert list(rates.index) == list(demo.CLASSES)
    assert rates.is_monotonic_increasing
    for grade, target in demo.PREVALENCE.items():
        assert rates[grade] == pytest.approx(target, abs=0.02)
    assert (outcome == "not_inspected").any()  # closed since: 注销 / 被吊销 / 已关闭停业...


def test_avoidance_pairs_are_a_few_per_inspector_and_absent_from_history(loaded):
    avoid = loaded.avoidance
    per_inspector = avoid.groupby("inspector_id").size()
    assert per_inspector.max() <= 3
    assert len(per_inspector) >= 0.9 * len(loaded.inspectors)
    assert not avoid.duplicated(["inspector_id", "enterprise_id"]).any()
    assert set(avoid["reason"]) <= {r for r, _ in demo.AVOIDANCE_REASONS}
    pairs = set(zip(loaded.history["inspector_id"], loaded.history["enterprise_id"], strict=True))
    assert not pairs & set(zip(avoid["inspector_id"], avoid["enterprise_id"], strict=True))


def scenario_for(district: dict[str, Path], scheme: str, enterprises: str, ratios: str) -> Path:
    folder = district["scenario"].parent
    path = folder / f"scenario-{scheme}.toml"
    path.write_text(
        '[plan]\nid = "T"\nname = "t"\nauthority = "t"\nseed = "s"\n'
        "start = 2026-10-01\nend = 2026-12-31\n"
        f'[inputs]\nenterprises = "{enterprises}"\ninspectors = "inspectors.csv"\n'
        f'[grading]\nscheme = "{scheme}"\n[sampling]\nratios = {{ {ratios} }}\n',
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    ("scheme", "ratios", "from_abcd"),
    [
        ("shenzhen", '"A+" = 0.01', {"A+": "A", "A": "A", "B": "B", "C": "C", "D": "D", "E": "D"}),
        ("three-color", "green = 0.01", {"green": "A", "yellow": "B", "red": ("C", "D")}),
        ("food-score", "A = 0.01", {"A": "A", "B": "B", "C": "C", "D": "D"}),
        ("points-12", "A1 = 0.01", {f"{t}{k}": t for t in "ABCD" for k in (1, 2, 3)}),
        ("shaanxi-100", "A = 0.01", {"A": "A", "B": "B", "C": "C", "D": "D"}),
    ],
)
def test_graded_variants_load_with_their_scheme(district, loaded, scheme, ratios, from_abcd):
    path = scenario_for(district, scheme, f"enterprises-{scheme}.csv", ratios)
    variant = load_inputs(load_scenario(path))
    classes = variant.enterprises["risk_class"]
    assert set(classes) == set(variant.scheme.classes)  # every class of the scheme occurs
    base = loaded.enterprises.set_index("enterprise_id")["risk_class"]
    origin = variant.enterprises["enterprise_id"].map(base)
    for cls, source in from_abcd.items():
        assert origin[classes == cls].isin(np.atleast_1d(source)).all()
    assert variant.enterprises["name"].tolist() == loaded.enterprises["name"].tolist()


def test_shenzhen_variant_has_scores_and_a_few_grades_e(district):
    frame = pd.read_csv(district["enterprises-shenzhen"], dtype=str, keep_default_na=False)
    graded_e = frame["风险等级"] == "E"
    assert 3 <= graded_e.sum() <= 10
    assert (frame.loc[graded_e, "信用得分"] == "").all()
    scores = frame.loc[~graded_e, "信用得分"].astype(int)
    assert scores.between(300, 900).all() and (scores > 750).any() and (scores < 555).any()
    food = pd.read_csv(district["enterprises-food-score"], dtype=str)
    assert "风险等级" not in food and food["风险得分"].astype(int).between(0, 100).all()


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_same_seed_gives_byte_identical_files_and_another_seed_differs(district, tmp_path):
    first = digest(district["scenario"].parent)
    for name in [p for p in first if p.startswith("scenario-")]:  # written by the tests above
        first.pop(name)
    demo.write_demo(preset="district", seed="demo", out=tmp_path / "again")
    assert digest(tmp_path / "again") == first
    demo.write_demo(preset="district", seed="other", out=tmp_path / "other")
    other = digest(tmp_path / "other")
    assert set(other) == set(first)
    fixed = ("items.csv", "items-by-category.csv")  # the item lists do not depend on the seed
    assert all(other[name] != first[name] for name in first if name not in fixed)


def test_committed_demo_data_equals_a_fresh_generation(district):
    fresh = district["scenario"].parent
    assert sorted(p.name for p in DEMO.iterdir()) == sorted(p.name for p in district.values())
    for path in district.values():
        assert (DEMO / path.name).read_bytes() == (fresh / path.name).read_bytes(), (
            f"data/demo/{path.name} is stale: run planner demo-data --preset district "
            "--seed demo -o data/demo")


def test_scenarios_demo_is_the_generated_scenario_pointing_at_data_demo():
    text = (REPO / "scenarios" / "demo.toml").read_text(encoding="utf-8")
    assert text == demo.scenario_text("district", "demo", data_prefix="../data/demo/")
    scenario = load_scenario(REPO / "scenarios" / "demo.toml")
    assert scenario.inputs.enterprises == (DEMO / "enterprises.csv").resolve()


def test_planner_validate_passes_on_scenarios_demo():
    result = CliRunner().invoke(cli, ["validate", str(REPO / "scenarios" / "demo.toml")])
    assert result.exit_code == 0, result.output
    assert "Enterprises: 500 (" in result.output
    assert "Inspectors: 30 (" in result.output
    assert "error" not in result.output


def test_cli_writes_the_files_and_prints_them_in_order(tmp_path):
    out = tmp_path / "cli"
    result = CliRunner().invoke(
        cli, ["demo-data", "--preset", "district", "--seed", "cli", "-o", str(out)])
    assert result.exit_code == 0, result.output
    ext = {n: ".toml" if n == "scenario" else ".csv" for n in NAMES}
    assert result.output.splitlines() == [f"{n}: {out / (n + ext[n])}" for n in NAMES]
    assert all((out / (n + ext[n])).is_file() for n in NAMES)


def test_cli_rejects_an_unknown_preset(tmp_path):
    result = CliRunner().invoke(cli, ["demo-data", "--preset", "town", "-o", str(tmp_path)])
    assert result.exit_code == 2
    assert "'town' is not one of 'district', 'city', 'megacity'" in result.output


def test_progress_names_each_step_and_library_rejects_unknown_preset(tmp_path):
    messages: list[str] = []
    demo.write_demo(preset="district", seed="p", out=tmp_path, progress=messages.append)
    assert messages[0] == "generating 500 enterprises (district)"
    assert "writing enterprises.csv (500 rows)" in messages
    assert messages[-1] == "writing scenario.toml"
    with pytest.raises(ValueError, match="unknown preset 'town'; use one of district, city"):
        demo.write_demo(preset="town", seed="p", out=tmp_path)


def test_seed_sequence_is_the_sha256_of_the_seed():
    expected = int(hashlib.sha256("演示".encode()).hexdigest(), 16)
    assert demo.seed_sequence("演示").entropy == expected


@pytest.mark.parametrize(("total", "weights"), [(500, demo.CLASS_MIX), (7, [1, 1, 1]), (10, [0, 1])])
def test_split_counts_is_proportional_and_exact(total, weights):
    counts = demo.split_counts(total, weights)
    assert counts.sum() == total
    quota = total * np.asarray(weights) / sum(weights)
    assert (np.abs(counts - quota) < 1).all()
    assert all(math.floor(q) <= c <= math.ceil(q) for q, c in zip(quota, counts, strict=True))
