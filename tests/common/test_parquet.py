"""Parquet inputs: a file or a folder of partitions, read as text; problems name the partition."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from planner.cli import cli
from planner.common.errors import InputError
from planner.common.io import read_table, sha256_file
from planner.common.parquet import partition_files, read_parquet_table
from planner.draw.compute import compute_draw
from planner.plan.inputs import load_inputs
from planner.plan.scenario import load_scenario
from tests.support.data import enterprises_frame
from tests.support.optional import need

pytestmark = pytest.mark.parquet


def write_parts(frame: pd.DataFrame, folder: Path, sizes: list[int]) -> Path:
    """Write ``frame`` as consecutive partition files of the given sizes."""
    pa = need("pyarrow", "parquet")
    pq = need("pyarrow.parquet", "parquet")
    folder.mkdir(parents=True, exist_ok=True)
    start = 0
    for k, size in enumerate(sizes):
        part = frame.iloc[start:start + size]
        pq.write_table(pa.Table.from_pandas(part, preserve_index=False),
                       folder / f"part-{k:05d}.parquet")
        start += size
    return folder


def parquet_scenario(make_scenario, tmp_path: Path, frame: pd.DataFrame, sizes: list[int]) -> Path:
    path = make_scenario(enterprises=frame)
    write_parts(frame, tmp_path / "directory", sizes)
    text = path.read_text(encoding="utf-8").replace('enterprises = "enterprises.csv"',
                                                    'enterprises = "directory"')
    target = tmp_path / "parquet.toml"
    target.write_text(text, encoding="utf-8")
    return target


def test_folder_reads_as_the_csv_reads(tmp_path):
    frame = enterprises_frame(25)
    frame["capital"] = [1.5 * i for i in range(25)]  # a number column comes back as text
    write_parts(frame, tmp_path / "d", [10, 0, 15])
    got = read_parquet_table(tmp_path / "d")
    assert list(got.columns) == list(frame.columns)
    assert got["enterprise_id"].tolist() == frame["enterprise_id"].tolist()
    assert got["capital"].iloc[3] == "4.5"
    assert [p.rows for p in got.attrs["parts"]] == [10, 0, 15]
    assert got.attrs["parts"][2].label.endswith("d/part-00002.parquet")


def test_only_the_wanted_columns_are_read(tmp_path):
    frame = enterprises_frame(5)
    frame["secret"] = "x"
    write_parts(frame, tmp_path / "d", [5])
    got = read_table(tmp_path / "d", keep=lambda c: c != "secret")
    assert "secret" not in got.columns and "name" in got.columns


def test_folder_digest_covers_every_partition(tmp_path):
    folder = write_parts(enterprises_frame(12), tmp_path / "d", [6, 6])
    before = sha256_file(folder)
    assert before == sha256_file(folder)
    partition_files(folder)[1].write_bytes(partition_files(folder)[0].read_bytes())
    assert sha256_file(folder) != before


def test_draw_from_partitions_equals_the_draw_from_csv(make_scenario, tmp_path):
    frame = enterprises_frame(60)
    csv_sc = load_scenario(make_scenario(enterprises=frame))
    pq_sc = load_scenario(parquet_scenario(make_scenario, tmp_path, frame, [20, 25, 15]))
    a = compute_draw(csv_sc, load_inputs(csv_sc))
    b = compute_draw(pq_sc, load_inputs(pq_sc))
    assert a.original["enterprise_id"].tolist() == b.original["enterprise_id"].tolist()
    assert len(b.original) > 0


def test_problems_name_the_partition_file_and_record(make_scenario, tmp_path):
    frame = enterprises_frame(30)
    frame.loc[23, "enterprise_id"] = "91110000ABCDEFGHIJ"  # 4th record of part 2
    frame.loc[27, "enterprise_id"] = frame.loc[2, "enterprise_id"]  # repeats part 0's 3rd record
    sc = load_scenario(parquet_scenario(make_scenario, tmp_path, frame, [10, 10, 10]))
    with pytest.raises(InputError) as caught:
        load_inputs(sc)
    text = str(caught.value)
    assert "directory/part-00002.parquet, row 4, column 'enterprise_id': bad unified social " \
           "credit code" in text
    first = tmp_path / "directory" / "part-00000.parquet"
    assert ("directory/part-00002.parquet, row 8, column 'enterprise_id': duplicate enterprise "
            f"id; first given in {first}, row 3") in text


def test_cli_reports_partition_problem_without_traceback(make_scenario, tmp_path):
    frame = enterprises_frame(12)
    frame.loc[7, "risk_grade"] = "Z"
    path = parquet_scenario(make_scenario, tmp_path, frame, [5, 7])
    result = CliRunner().invoke(cli, ["draw", str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "directory/part-00001.parquet, row 3, column 'risk_grade': grade unknown" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out" / "sample.csv").exists()


def test_folder_without_parquet_is_a_scenario_error(make_scenario, tmp_path):
    path = make_scenario()
    (tmp_path / "empty").mkdir()
    text = path.read_text(encoding="utf-8").replace('"enterprises.csv"', '"empty"')
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["draw", str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code != 0
    assert "inputs.enterprises: folder empty holds no .parquet file" in result.output


def test_partition_missing_a_column_is_named(tmp_path):
    need("pyarrow", "parquet")
    frame = enterprises_frame(6)
    write_parts(frame, tmp_path / "d", [3])
    write_parts(frame.drop(columns=["district"]).iloc[3:], tmp_path / "d2", [3])
    (tmp_path / "d2" / "part-00000.parquet").rename(tmp_path / "d" / "part-00001.parquet")
    with pytest.raises(InputError, match=r"part-00001.parquet, column 'district': column missing"):
        read_parquet_table(tmp_path / "d")


def test_not_parquet_is_an_input_error(tmp_path):
    need("pyarrow", "parquet")
    bad = tmp_path / "x.parquet"
    bad.write_bytes(b"not parquet at all")
    with pytest.raises(InputError, match="x.parquet: is not a readable Parquet file"):
        read_parquet_table(bad)
