"""Long steps show progress on a terminal and stay quiet otherwise."""

import io

from click.testing import CliRunner

from planner.cli import cli
from planner.common.progress import make_progress
from planner.plan.inputs import load_inputs
from planner.plan.scenario import load_scenario


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_is_quiet_off_a_terminal():
    assert make_progress(stream=io.StringIO()) is None


def test_progress_lines_on_a_terminal(make_scenario):
    terminal = FakeTerminal()
    progress = make_progress(stream=terminal)
    load_inputs(load_scenario(make_scenario()), progress=progress)
    lines = terminal.getvalue().splitlines()
    assert any("reading enterprises" in line for line in lines)
    assert any("validating" in line for line in lines)
    assert all(line.startswith("[") and "s] " in line for line in lines)


def test_cli_output_has_no_progress_when_piped(make_scenario):
    result = CliRunner().invoke(cli, ["validate", str(make_scenario())])
    assert result.exit_code == 0
    assert "reading enterprises" not in result.output
