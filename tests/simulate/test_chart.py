"""The simulation chart: a reproducible PNG, rows for a few sets, a scatter for many."""

from __future__ import annotations

import struct

import pandas as pd

from planner.common.grading import get_scheme
from planner.plan.ratiosets import parse_ratio_text
from planner.simulate.chart import write_chart
from planner.simulate.montecarlo import PrevalenceModel
from planner.simulate.stage import compare_ratio_sets

POPULATION = {"A": 2000, "B": 1500, "C": 600, "D": 200}
MODEL = PrevalenceModel.fixed("ABCD", [0.02, 0.05, 0.12, 0.25])


def _summary(text: str) -> pd.DataFrame:
    sets = parse_ratio_text(text, get_scheme("abcd"))
    return compare_ratio_sets(POPULATION, MODEL, sets, reps=300, seed="chart").summary


def _png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_a_few_sets_one_row_each_same_bytes_every_time(tmp_path):
    summary = _summary("A=0.03,B=0.1,C=0.2|0.3|0.5,D=0.8")
    write_chart(summary, tmp_path / "one.png", title="t", footnote="note", interval=0.9)
    write_chart(summary, tmp_path / "two.png", title="t", footnote="note", interval=0.9)
    assert (tmp_path / "one.png").read_bytes() == (tmp_path / "two.png").read_bytes()
    # 11 inches wide, 2 + 0.62 inch per set high, at 100 dpi
    assert _png_size(tmp_path / "one.png") == (1100, round((2.0 + 0.62 * 3) * 100))
    assert b"Software" not in (tmp_path / "one.png").read_bytes()


def test_many_sets_are_drawn_against_inspections(tmp_path):
    summary = _summary("A=0.03,B=0.1,C=0.1:0.5:0.1,D=0.2:1:0.2")  # 25 sets
    write_chart(summary, tmp_path / "many.png", title="t", interval=0.9)
    assert _png_size(tmp_path / "many.png") == (1100, 650)


def test_chinese_text_does_not_break_the_chart(tmp_path):
    summary = _summary("严格: A=0.03,B=0.1,C=0.3,D=0.8")
    write_chart(summary, tmp_path / "zh.png", title="计划 P-1", footnote="甲类", interval=0.9)
    assert _png_size(tmp_path / "zh.png")[0] == 1100


def test_chinese_chart_uses_the_bundled_cjk_font_and_is_reproducible(tmp_path):
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    from planner.common.charts import cjk_font_path, font_context
    from planner.simulate.chart import TEXT

    font = cjk_font_path()
    assert "mplfonts" in font.parts  # the dependency's file, not one found on the system
    family = font_context("zh")["font.family"]
    found = font_manager.findfont(font_manager.FontProperties(family=family),
                                  fallback_to_default=False)
    assert found == str(font)
    charmap = FT2Font(str(font)).get_charmap()
    for label in TEXT["zh"].values():
        missing = [ch for ch in label if not ch.isascii() and ord(ch) not in charmap]
        assert not missing, (label, missing)
    summary = _summary("A=0.03,B=0.1,C=0.3|0.5,D=0.8")
    for name in ("zh-1.png", "zh-2.png"):
        write_chart(summary, tmp_path / name, title="问题发现率模拟 - 抽查计划 P-1",
                    footnote="A：2,000 户，发生率 2.0%", interval=0.9, language="zh")
    write_chart(summary, tmp_path / "en.png", title="t", footnote="note", interval=0.9)
    zh = (tmp_path / "zh-1.png").read_bytes()
    assert zh == (tmp_path / "zh-2.png").read_bytes()
    assert zh != (tmp_path / "en.png").read_bytes()
    assert _png_size(tmp_path / "zh-1.png") == (1100, round((2.0 + 0.62 * 2) * 100))


def test_many_sets_in_chinese(tmp_path):
    summary = _summary("A=0.03,B=0.1,C=0.1:0.5:0.1,D=0.2:1:0.2")  # 25 sets
    write_chart(summary, tmp_path / "many.png", title="模拟", interval=0.9, language="zh")
    assert _png_size(tmp_path / "many.png") == (1100, 650)
