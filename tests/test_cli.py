"""The command line: help for every command, the README's set-up commands, clean failures."""

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.cli import cli

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")


def all_commands():
    return sorted(cli.commands)


@pytest.mark.parametrize("name", all_commands())
def test_every_command_has_help_with_an_example(name):
    command = cli.commands[name]
    assert command.help and len(command.help.strip()) > 20
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output
    for param in command.params:
        if param.param_type_name == "option":
            assert param.help, f"{name} {param.name} has no help text"


def test_group_help_lists_every_command():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in all_commands():
        assert name in result.output


def test_every_command_is_in_the_readme_table():
    for name in all_commands():
        assert f"`planner {name}" in README, f"README's command table lacks {name}"


def readme_setup_commands():
    blocks = re.findall(r"```bash\n(.*?)\n```", README, flags=re.S)
    return blocks[0].strip(), blocks[1].strip()


def test_readme_opens_with_the_two_setup_commands():
    demo, tests = readme_setup_commands()
    venv = "python3 -m venv .venv && . .venv/bin/activate && "
    assert demo == venv + "python3 -m pip install -e . && planner run scenarios/demo.toml -o out/demo"
    assert tests == venv + 'python3 -m pip install -e ".[test]" && python3 -m pytest -q'
    assert README.index(demo) < README.index("## ")


def test_ci_runs_the_readmes_test_command():
    _, tests = readme_setup_commands()
    assert tests in (REPO / ".ci" / "run").read_text(encoding="utf-8")


def test_readme_demo_command_runs(tmp_path, monkeypatch):
    demo, _ = readme_setup_commands()
    args = demo.split("&& ")[-1].split()[1:]  # drop the set-up steps and the program name
    args[args.index("-o") + 1] = str(tmp_path / "out")
    monkeypatch.chdir(REPO)
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "Plan " in result.output


def test_version():
    from planner import __version__

    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def test_python_dash_m_entry_point():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "planner", "--help"], capture_output=True,
                          text=True, cwd=REPO, check=False)
    assert done.returncode == 0 and "validate" in done.stdout


def test_alike_warnings_print_as_one_group_and_validate_lists_each(make_scenario):
    from tests.support.data import enterprises_frame, inspectors_frame

    roster = inspectors_frame(20)
    roster.loc[[3, 5, 7, 9, 11], "certificate_expiry"] = "2026-01-15"
    path = make_scenario(enterprises=enterprises_frame(40), inspectors=roster)
    runner = CliRunner()
    ran = runner.invoke(cli, ["draw", str(path), "-o", str(path.parent / "out")])
    assert ran.exit_code == 0, ran.output
    expiring = [line for line in ran.output.splitlines() if "expires 2026-01-15" in line]
    assert len(expiring) == 1
    assert "  ... and 4 more like it (rows 7, 9, 11, 13); planner validate SCENARIO lists each" \
        in ran.output
    listed = runner.invoke(cli, ["validate", str(path)])
    assert sum("expires 2026-01-15" in line for line in listed.output.splitlines()) == 5
