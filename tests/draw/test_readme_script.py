"""The README's five-line script recomputes a published draw: the docs cannot drift."""

import csv
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from planner.cli import cli
from planner.draw.tickets import TICKET_FORMULA
from tests.support.data import enterprises_frame, inspectors_frame

README = Path(__file__).resolve().parents[2] / "README.md"


def draw_section():
    text = README.read_text(encoding="utf-8")
    start = text.index("## The draw")
    end = text.index("\n## ", start + 1) if "\n## " in text[start + 1:] else len(text)
    return text[start:end]


def readme_script():
    (code,) = re.findall(r"```python\n(.*?)```", draw_section(), flags=re.S)
    return code


def recompute(tmp_path, out):
    script = tmp_path / "recompute.py"
    script.write_text(readme_script(), encoding="utf-8")
    done = subprocess.run([sys.executable, str(script), str(out)], capture_output=True,
                          text=True, encoding="utf-8", check=True)
    return sorted(done.stdout.splitlines())


def published(out):
    with open(out / "sample.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return sorted(f"{r['enterprise_id']},{r['stratum']},{r['ticket']},{r['rank']}" for r in rows)


def test_the_readme_states_the_ticket_formula_and_a_five_line_script():
    section = draw_section()
    assert f"ticket = {TICKET_FORMULA}" in section
    assert len(readme_script().strip().splitlines()) == 5


def test_the_readme_script_recomputes_the_published_draw(make_scenario, tmp_path):
    path = make_scenario(enterprises=enterprises_frame(300), inspectors=inspectors_frame(40))
    out = tmp_path / "out"
    assert CliRunner().invoke(cli, ["draw", str(path), "-o", str(out)]).exit_code == 0
    lines = recompute(tmp_path, out)
    # 300 rows cycle A A B B C C D D: 76 A, 76 B, 74 C, 74 D -> 8 + 16 + 37 + 74 drawn
    assert len(lines) == 135
    assert lines == published(out)


def test_the_readme_script_handles_districts_and_inclusion_lists(make_scenario, tmp_path):
    ent = enterprises_frame(200)
    listed = tmp_path / "listed.csv"
    pd.DataFrame({"enterprise_id": ent["enterprise_id"][:3]}).to_csv(listed, index=False)
    path = make_scenario(enterprises=ent, extra='spread_over = "district"\n'
                         'inclusions = "listed.csv"\nexclusion_days = 30')
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["draw", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    lines = recompute(tmp_path, out)
    assert any("/included," in line for line in lines)
    assert any("/东区," in line for line in lines)
    assert lines == published(out)
