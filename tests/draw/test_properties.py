"""Properties of the draw (hypothesis): it depends on (seed, directory) and nothing else."""

import itertools
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.app.draw import draw_stage
from planner.draw.compute import compute_draw
from planner.plan.inputs import load_inputs
from planner.plan.scenario import load_scenario
from tests.support.data import enterprises_frame, inspectors_frame


def fixture_ok(examples):
    """Settings for tests that reuse ``make_scenario``'s folder (every example rewrites it)."""
    return settings(max_examples=examples, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


COUNTER = itertools.count()


def loaded(path):
    scenario = load_scenario(path)
    return scenario, load_inputs(scenario)


def sample_bytes(make_scenario, tmp_path, frame, **kwargs):
    path = make_scenario(enterprises=frame, **kwargs)
    out = tmp_path / f"out{next(COUNTER)}"
    draw_stage(*loaded(path), out)
    return (out / "sample.csv").read_bytes()


@fixture_ok(12)
@given(shuffle=st.integers(0, 2**32 - 1),
       form=st.sampled_from([("csv", "utf-8"), ("csv", "utf-8-sig"), ("csv", "gbk"),
                             ("xlsx", "utf-8")]),
       lower=st.booleans())
def test_sample_does_not_depend_on_row_order_format_or_encoding(
        make_scenario, tmp_path, shuffle, form, lower):
    base = enterprises_frame(120, seed=3)
    reference = sample_bytes(make_scenario, tmp_path, base)
    frame = base.sample(frac=1, random_state=shuffle).reset_index(drop=True)
    if lower:  # ids written in lower case with spaces are the same enterprises
        frame["enterprise_id"] = " " + frame["enterprise_id"].str.lower() + " "
    fmt, encoding = form
    assert sample_bytes(make_scenario, tmp_path, frame, fmt=fmt, encoding=encoding) == reference


@fixture_ok(25)
@given(sizes=st.tuples(*[st.integers(0, 30)] * 4),
       ratios=st.tuples(*[st.integers(0, 100)] * 4))
def test_per_class_counts_equal_the_allocation(make_scenario, sizes, ratios):
    grades = [g for g, n in zip("ABCD", sizes, strict=True) for _ in range(n)]
    if not grades:
        return
    frame = enterprises_frame(len(grades), seed=5)
    frame["risk_grade"] = grades
    table = ", ".join(f"{g} = {r / 100}" for g, r in zip("ABCD", ratios, strict=True))
    path = make_scenario(enterprises=frame, inspectors=inspectors_frame(20))
    path.write_text(path.read_text(encoding="utf-8").replace(
        "ratios = { A = 0.1, B = 0.2, C = 0.5, D = 1.0 }", f"ratios = {{ {table} }}"),
        encoding="utf-8")
    draw = compute_draw(*loaded(path))
    expected = {g: min(n, math.ceil(n * r / 100))
                for g, n, r in zip("ABCD", sizes, ratios, strict=True)}
    assert draw.quotas.drawn == expected
    got = draw.original.groupby("risk_class").size().to_dict()
    assert {g: got.get(g, 0) for g in "ABCD"} == expected
    assert set(draw.original["rank"]) <= set(range(1, max(expected.values()) + 1))


@fixture_ok(10)
@given(seeds=st.tuples(st.text(min_size=1, max_size=10).filter(str.strip),
                       st.text(min_size=1, max_size=10).filter(str.strip)).filter(
    lambda s: s[0] != s[1]))
def test_another_seed_gives_another_sample(make_scenario, seeds):
    frame = enterprises_frame(200, seed=9)
    samples = []
    for seed in seeds:
        path = make_scenario(enterprises=frame)
        text = path.read_text(encoding="utf-8").replace('seed = "test-seed"',
                                                        f"seed = {toml_string(seed)}")
        path.write_text(text, encoding="utf-8")
        draw = compute_draw(*loaded(path))
        samples.append(set(draw.original.loc[draw.original["risk_class"] != "D",
                                             "enterprise_id"]))
    # 5 of 50 in A, 10 of 50 in B, 25 of 50 in C: equal samples have odds below 1e-30
    assert samples[0] != samples[1]


def toml_string(text):
    return '"' + "".join(f"\\u{ord(c):04x}" if ord(c) < 0x10000 else f"\\U{ord(c):08x}"
                         for c in text) + '"'
