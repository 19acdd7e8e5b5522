"""Property tests: no input file, however broken, makes the CLI show a traceback."""

import string

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.cli import cli
from tests.support.data import enterprises_frame

FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


def run_validate(scenario):
    result = CliRunner().invoke(cli, ["validate", str(scenario)])
    # A planned exit (sys.exit) is the only exception allowed to escape the command.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 2)
    if result.exit_code == 2:
        assert result.output.startswith("error: ")
    return result


@FUZZ
@given(st.binary(max_size=2000))
def test_random_bytes_as_a_directory(make_scenario, tmp_path, data):
    scenario = make_scenario()
    (tmp_path / "enterprises.csv").write_bytes(data)
    run_validate(scenario)


@FUZZ
@given(st.binary(max_size=2000))
def test_random_bytes_as_a_workbook(make_scenario, tmp_path, data):
    scenario = make_scenario(fmt="xlsx")
    (tmp_path / "inspectors.xlsx").write_bytes(b"PK\x03\x04" + data)
    run_validate(scenario)


cells = st.text(alphabet=string.printable + "统一社会信用代码企业名称风险等级，。\u3000",
                max_size=20)
headers = st.lists(
    st.sampled_from(["enterprise_id", "name", "district", "risk_grade", "station", "统一社会信用代码",
                     "企业名称", "风险等级", "status", "x", ""]),
    min_size=1, max_size=8)


@FUZZ
@given(headers, st.lists(st.lists(cells, max_size=9), max_size=12))
def test_random_csv_tables(make_scenario, tmp_path, header, rows):
    scenario = make_scenario()
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    (tmp_path / "enterprises.csv").write_text(buf.getvalue(), encoding="utf-8")
    run_validate(scenario)


@FUZZ
@given(st.lists(st.tuples(st.integers(0, 39), st.sampled_from(["enterprise_id", "risk_grade",
                                                                "name", "status"]), cells),
                max_size=6))
def test_random_edits_of_a_valid_directory(make_scenario, tmp_path, edits):
    frame = enterprises_frame()
    for row, column, value in edits:
        frame.loc[row, column] = value
    scenario = make_scenario(enterprises=frame)
    run_validate(scenario)
