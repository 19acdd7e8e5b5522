"""Every chart is Chinese in the bundled CJK font by default, and English (ASCII) on request."""

from __future__ import annotations

import logging

import matplotlib.figure
import pandas as pd
import pytest
from click.testing import CliRunner
from matplotlib.text import Text

from planner.cli import cli
from planner.common.charts import CJK_FAMILY
from planner.programme.status import write_status_chart
from planner.regrade.report import write_matrix_chart

STATUS = {"programme": "FOOD-2027", "classes": [
    {"class": c, "done": d, "planned": 2, "owed": 6, "projected_owed": s}
    for c, d, s in (("A", 3, 0), ("B", 1, 2), ("C", 0, 1), ("D", 0, 0))]}
MATRIX = pd.DataFrame([[5, 1, 0, 0], [0, 3, 2, 0], [0, 1, 2, 1], [0, 0, 0, 4]],
                      index=list("ABCD"), columns=list("ABCD"))


@pytest.fixture
def drawn(monkeypatch):
    """Record every figure saved, with its text as drawn."""
    figures = []
    save = matplotlib.figure.Figure.savefig

    def record(fig, *args, **kwargs):
        figures.append(fig)
        return save(fig, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", record)
    return figures


def _texts(fig) -> list[Text]:
    return [t for t in fig.findobj(Text) if t.get_text().strip()]


def _draw(kind: str, language: str, tmp_path, make_scenario) -> None:
    if kind == "status":
        write_status_chart(tmp_path / "status.png", STATUS, language)
    elif kind == "transitions":
        write_matrix_chart(MATRIX, tmp_path / "transitions.png", language)
    else:
        extra = ("[simulation]\nprevalence = { A = 0.02, B = 0.05, C = 0.12, D = 0.25 }\n"
                 f'[export]\nlanguage = "{language}"\n')
        path = make_scenario(extra=extra)
        r = CliRunner().invoke(cli, ["simulate", str(path), "-o", str(tmp_path / "loop"),
                                     "--quarters", "2", "--reps", "20"])
        assert r.exit_code == 0, r.output


@pytest.mark.parametrize("kind", ["status", "transitions", "loop"])
def test_chinese_charts_use_the_bundled_cjk_font(kind, tmp_path, make_scenario, drawn, caplog):
    with caplog.at_level(logging.WARNING, logger="matplotlib.font_manager"):
        _draw(kind, "zh", tmp_path, make_scenario)
    (fig,) = drawn
    chinese = [t for t in _texts(fig) if not t.get_text().isascii()]
    assert chinese, "no Chinese label"
    for t in chinese:
        assert t.get_fontfamily() == [CJK_FAMILY], (t.get_text(), t.get_fontfamily())
    assert not [r for r in caplog.records if "findfont" in r.getMessage()]


@pytest.mark.parametrize("kind", ["status", "transitions", "loop"])
def test_english_charts_are_ascii(kind, tmp_path, make_scenario, drawn):
    _draw(kind, "en", tmp_path, make_scenario)
    (fig,) = drawn
    # DejaVu Sans draws matplotlib's minus sign (U+2212) of negative ticks.
    texts = [t.get_text().replace("\u2212", "-") for t in _texts(fig)]
    assert texts and all(text.isascii() for text in texts), texts
    assert all(t.get_fontfamily() != [CJK_FAMILY] for t in _texts(fig))


def test_status_chart_in_chinese_keeps_chinese_class_names(tmp_path, drawn):
    status = {"programme": "食品年度计划", "classes": [
        {**row, "class": name} for row, name in zip(STATUS["classes"], ("低", "较低", "较高", "高"),
                                                     strict=True)]}
    write_status_chart(tmp_path / "zh.png", status, "zh")
    write_status_chart(tmp_path / "en.png", status, "en")
    zh, en = ([t.get_text() for t in _texts(fig)] for fig in drawn)
    assert {"低", "较低", "较高", "高"} <= set(zh)
    assert any("食品年度计划" in text for text in zh)
    assert {"class 1", "class 4", "Programme: inspections by class"} <= set(en)
