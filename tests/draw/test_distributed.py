"""The draw on Dask equals the single-process draw, byte for byte, on a partitioned directory."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from planner.app.draw import draw_stage
from planner.cli import cli
from planner.common.errors import InputError, ScenarioError
from planner.demo.national import write_national
from planner.draw.distributed import dask_draw_stage
from planner.draw.verify import verify_draw
from planner.plan.inputs import load_inputs
from planner.plan.scenario import load_scenario
from tests.support.optional import need

pytestmark = pytest.mark.dask
FILES = ("sample.csv", "eligible.csv", "draw-record.json")


@pytest.fixture(scope="module")
def client():
    distributed = need("distributed", "dask")
    need("dask.dataframe", "dask")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, memory_limit="1GiB",
                                  processes=True, dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def national(tmp_path_factory) -> Path:
    need("pyarrow", "parquet")
    folder = tmp_path_factory.mktemp("national")
    write_national(out=folder, partitions=3, size=4000, seed="t")
    return folder


def copy_data(national: Path, target: Path) -> Path:
    target.mkdir()
    (target / "enterprises").mkdir()
    for f in (national / "enterprises").iterdir():
        (target / "enterprises" / f.name).write_bytes(f.read_bytes())
    for name in ("inspectors.csv", "items.csv", "scenario.toml"):
        (target / name).write_bytes((national / name).read_bytes())
    return target / "scenario.toml"


def both(scenario_path: Path, out: Path, client) -> tuple[Path, Path]:
    sc = load_scenario(scenario_path)
    draw_stage(sc, load_inputs(sc), out / "single")
    dask_draw_stage(sc, out / "dask", client=client)
    return out / "single", out / "dask"


def test_dask_draw_files_are_the_single_process_files(national, tmp_path, client):
    single, dask = both(national / "scenario.toml", tmp_path, client)
    for name in FILES:
        assert (dask / name).read_bytes() == (single / name).read_bytes(), name
    record = json.loads((dask / "draw-record.json").read_text(encoding="utf-8"))
    assert record["eligibility"]["directory"] == 4000
    assert len(record["strata"]) > 31  # spread over the provinces
    assert verify_draw(dask).draw.original["enterprise_id"].tolist() == [
        d["enterprise_id"] for d in record["drawn"]]


def test_window_inclusions_and_avoidance_give_the_same_draw(national, tmp_path, client):
    scenario = copy_data(national, tmp_path / "data")
    ids = pd.read_parquet(tmp_path / "data" / "enterprises")["统一社会信用代码"].tolist()
    pd.DataFrame({"统一社会信用代码": ids[10:400], "人员编号": "CN000001",
                  "检查日期": "2026-09-01", "检查结果": "未发现问题"}).to_csv(
        tmp_path / "data" / "history.csv", index=False)
    pd.DataFrame({"人员编号": ["CN000002"], "统一社会信用代码": [ids[3000]]}).to_csv(
        tmp_path / "data" / "avoidance.csv", index=False)
    pd.DataFrame({"enterprise_id": [ids[5], ids[2500], ids[3999]]}).to_csv(
        tmp_path / "data" / "inclusions.csv", index=False)
    text = scenario.read_text(encoding="utf-8")
    text = text.replace('items = "items.csv"\n', 'items = "items.csv"\nhistory = "history.csv"\n'
                        'avoidance = "avoidance.csv"\n')
    text = text.replace('spread_over = "district"\n', 'spread_over = "district"\n'
                        'exclusion_days = 90\ninclusions = "inclusions.csv"\n')
    scenario.write_text(text, encoding="utf-8")
    single, dask = both(scenario, tmp_path / "out", client)
    for name in FILES:
        assert (dask / name).read_bytes() == (single / name).read_bytes(), name
    record = json.loads((dask / "draw-record.json").read_text(encoding="utf-8"))
    assert record["eligibility"]["excluded"]["inspected within 90 days"] > 300
    assert record["eligibility"]["listed"] >= 2


def test_problems_name_the_partition_and_match_the_single_process(national, tmp_path, client):
    scenario = copy_data(national, tmp_path / "data")
    parts = sorted((tmp_path / "data" / "enterprises").iterdir())
    first = pd.read_parquet(parts[0])
    second = pd.read_parquet(parts[1])
    second.loc[4, "统一社会信用代码"] = "91110000ABCDEFGHIJ"
    second.loc[9, "统一社会信用代码"] = first.loc[2, "统一社会信用代码"]
    second.loc[11, "风险等级"] = "Z"
    second.to_parquet(parts[1], index=False)
    sc = load_scenario(scenario)
    with pytest.raises(InputError) as on_dask:
        dask_draw_stage(sc, tmp_path / "out", client=client)
    with pytest.raises(InputError) as single:
        load_inputs(sc)
    found = {str(p) for p in on_dask.value.problems if p.severity == "error"}
    assert found == {str(p) for p in single.value.problems if p.severity == "error"}
    where = f"{parts[1]}"
    assert f"{where}, row 5, column 'enterprise_id': bad unified social credit code" in \
        "\n".join(found)
    assert any(p.startswith(f"{where}, row 10, column 'enterprise_id': duplicate enterprise id; "
                            f"first given in {parts[0]}, row 3") for p in found)
    assert any(p.startswith(f"{where}, row 12, column 'risk_grade': grade unknown") for p in found)
    assert not (tmp_path / "out" / "sample.csv").exists()


def test_avoidance_naming_an_unknown_enterprise_is_an_error(national, tmp_path, client):
    scenario = copy_data(national, tmp_path / "data")
    pd.DataFrame({"人员编号": ["CN000002"], "统一社会信用代码": ["91440300MA5XXXXXXA"]}).to_csv(
        tmp_path / "data" / "avoidance.csv", index=False)
    text = scenario.read_text(encoding="utf-8").replace(
        'items = "items.csv"\n', 'items = "items.csv"\navoidance = "avoidance.csv"\n')
    scenario.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=r"avoidance.csv, row 2, column 'enterprise_id': names "
                       "an enterprise not in the enterprises file"):
        dask_draw_stage(load_scenario(scenario), tmp_path / "out", client=client)


def test_cli_draws_on_a_given_scheduler(national, tmp_path, client):
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["draw", str(national / "scenario.toml"), "-o", str(out),
                                      "--engine", "dask", "--scheduler", client.scheduler.address])
    assert result.exit_code == 0, result.output
    assert "Wrote" in result.output
    result = CliRunner().invoke(cli, ["verify", str(out)])
    assert result.exit_code == 0, result.output


def test_csv_directory_is_refused_with_a_hint(make_scenario, tmp_path, client):
    sc = load_scenario(make_scenario())
    with pytest.raises(ScenarioError, match="--engine dask reads the directory from Parquet"):
        dask_draw_stage(sc, tmp_path / "out", client=client)


def test_cli_rejects_replace_and_scheduler_misuse(national, tmp_path):
    base = ["draw", str(national / "scenario.toml"), "-o", str(tmp_path / "o")]
    result = CliRunner().invoke(cli, [*base, "--engine", "dask", "--replace", "X", "--reason", "r"])
    assert result.exit_code == 2
    assert "--replace and committed draws (planner commit) run on the single-process" in result.output
    result = CliRunner().invoke(cli, [*base, "--scheduler", "tcp://127.0.0.1:1"])
    assert result.exit_code == 2
    assert "--scheduler goes with --engine dask" in result.output


def test_run_on_dask_writes_the_single_process_files(national, tmp_path, client):
    from planner.app.pipeline import run_plan

    scenario = copy_data(national, tmp_path / "data")
    text = scenario.read_text(encoding="utf-8").replace(
        "team_size = 2\n", 'team_size = 2\npartition_by = "district"\n')
    scenario.write_text(text, encoding="utf-8")
    quiet = {"echo": lambda _line: None}
    run_plan(scenario, tmp_path / "single", **quiet)
    run_plan(scenario, tmp_path / "dask", engine="dask", scheduler=client.scheduler.address,
             **quiet)
    ran = client.run_on_scheduler(lambda dask_scheduler: sorted(dask_scheduler.task_prefixes))
    single = sorted(p.relative_to(tmp_path / "single") for p in (tmp_path / "single").rglob("*")
                    if p.is_file())
    dask = sorted(p.relative_to(tmp_path / "dask") for p in (tmp_path / "dask").rglob("*")
                  if p.is_file())
    assert "plan_unit" in ran and "write_field_batch" in ran, ran  # the units ran as tasks
    assert single == dask and len(single) > 5
    for name in single:
        assert (tmp_path / "dask" / name).read_bytes() == (tmp_path / "single" / name).read_bytes(), name
