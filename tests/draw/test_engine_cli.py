"""--engine dask without the dask extra: a clean message naming the extra, nothing written."""

from __future__ import annotations

import sys

from click.testing import CliRunner

from planner.cli import cli


def test_missing_dask_extra_is_a_clean_error(make_scenario, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    path = make_scenario()
    result = CliRunner().invoke(cli, ["draw", str(path), "-o", str(tmp_path / "out"),
                                      "--engine", "dask"])
    assert result.exit_code == 1
    assert ('error: --engine dask needs the dask extra: pip install -e ".[dask]" in a planner '
            'checkout, or pip install "spotcheck-planner[dask]"') in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()
