"""Input validation: one test per rule, through the CLI, asserting exit code and message."""

import pandas as pd
import pytest
from click.testing import CliRunner

from planner.cli import cli
from planner.common.errors import InputError
from planner.plan.inputs import load_inputs
from planner.plan.scenario import load_scenario
from tests.support.data import credit_codes, enterprises_frame, inspectors_frame


def validate(path, *args):
    return CliRunner().invoke(cli, ["validate", str(path), *args])


def assert_error(result, *messages, code=2):
    assert result.exit_code == code, result.output
    for message in messages:
        assert message in result.output
    assert "Traceback" not in result.output


def test_valid_inputs_summarise(make_scenario):
    result = validate(make_scenario())
    assert result.exit_code == 0, result.output
    assert "Enterprises: 40 (40 active, 0 inactive)" in result.output
    assert "by class:    A 10  B 10  C 10  D 10" in result.output
    assert "Inspectors: 12 (12 eligible, 6 eligible and lead-capable" in result.output


def test_json_summary(make_scenario):
    import json

    result = validate(make_scenario(), "--json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["enterprises"]["by_class"] == {"A": 10, "B": 10, "C": 10, "D": 10}
    assert data["inspectors"]["lead_capable"] == 6
    assert len(data["inputs"]["enterprises"]["sha256"]) == 64


def test_missing_column_lists_accepted_spellings(make_scenario):
    path = make_scenario(enterprises=enterprises_frame().drop(columns=["district"]))
    assert_error(validate(path), "enterprises.csv, row 1, column 'district': missing required column;"
                 " accepted headers: district / 所属区域 / 区域")


def test_empty_file(make_scenario, tmp_path):
    path = make_scenario()
    (tmp_path / "inspectors.csv").write_bytes(b"")
    assert_error(validate(path), "inspectors.csv: file is empty; expected a header row and records")


def test_header_only_file_is_read_as_empty_table(make_scenario, tmp_path):
    path = make_scenario()
    (tmp_path / "avoidance.csv").write_text("inspector_id,enterprise_id\n", encoding="utf-8")
    edit = path.read_text(encoding="utf-8").replace(
        'inspectors = "inspectors.csv"', 'inspectors = "inspectors.csv"\navoidance = "avoidance.csv"')
    path.write_text(edit, encoding="utf-8")
    result = validate(path)
    assert result.exit_code == 0, result.output
    assert "Avoidance pairs: 0" in result.output


def test_binary_file_is_unreadable(make_scenario, tmp_path):
    path = make_scenario()
    (tmp_path / "enterprises.csv").write_bytes(bytes(range(256)) * 4)
    assert_error(validate(path), "enterprises.csv:")


def test_malformed_workbook(make_scenario, tmp_path):
    path = make_scenario(fmt="xlsx")
    (tmp_path / "inspectors.xlsx").write_bytes(b"PK\x03\x04 this is not a zip")
    assert_error(validate(path), "inspectors.xlsx: is not a readable XLSX workbook")


def test_duplicate_enterprise_id(make_scenario):
    ent = enterprises_frame()
    ent.loc[5, "enterprise_id"] = ent.loc[2, "enterprise_id"].lower()
    assert_error(validate(make_scenario(enterprises=ent)),
                 "enterprises.csv, row 7, column 'enterprise_id': duplicate enterprise id; "
                 "first given in row 4")


def test_duplicate_inspector_id(make_scenario):
    insp = inspectors_frame()
    insp.loc[3, "inspector_id"] = "P000"
    assert_error(validate(make_scenario(inspectors=insp)),
                 "inspectors.csv, row 5, column 'inspector_id': duplicate inspector id; "
                 "first given in row 2 (value 'P000')")


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("91350100M000100Y4", "has 17 characters, a unified social credit code has 18"),
        ("91350100M000100I43", "character 16 ('I') is outside the credit-code alphabet"),
        ("91350100M000100Y44", "check character is '4', GB 32100-2015 gives '3'"),
    ],
)
def test_bad_credit_code(make_scenario, code, message):
    ent = enterprises_frame()
    ent.loc[0, "enterprise_id"] = code
    assert_error(validate(make_scenario(enterprises=ent)),
                 f"enterprises.csv, row 2, column 'enterprise_id': bad unified social credit code: "
                 f"{message}")


def test_legacy_registration_number_is_an_error_unless_accepted(make_scenario):
    ent = enterprises_frame()
    ent.loc[0, "enterprise_id"] = "110108000000016"
    path = make_scenario(enterprises=ent)
    assert_error(validate(path), "legacy 15-digit registration number; set [inputs] "
                 "accept_legacy_ids = true to accept it")
    text = path.read_text(encoding="utf-8").replace("[inputs]", "[inputs]\naccept_legacy_ids = true")
    path.write_text(text, encoding="utf-8")
    result = validate(path)
    assert result.exit_code == 0, result.output
    assert "warning: " in result.output and "legacy 15-digit registration number accepted" in result.output


def test_unknown_grade(make_scenario):
    ent = enterprises_frame()
    ent.loc[3, "risk_grade"] = "Z"
    assert_error(validate(make_scenario(enterprises=ent)),
                 "enterprises.csv, row 5, column 'risk_grade': grade unknown to scheme 'abcd' "
                 "(classes: A, B, C, D) (value 'Z')")


def test_bad_date(make_scenario):
    insp = inspectors_frame()
    insp.loc[1, "certificate_expiry"] = "31/12/2030x"
    assert_error(validate(make_scenario(inspectors=insp)),
                 "inspectors.csv, row 3, column 'certificate_expiry': not a date; write it as "
                 "YYYY-MM-DD (value '31/12/2030x')")


def test_dates_in_chinese_and_compact_forms_parse(make_scenario):
    insp = inspectors_frame()
    insp.loc[0, "certificate_expiry"] = "2030年6月1日"
    insp.loc[1, "certificate_expiry"] = "20300601"
    insp.loc[2, "certificate_expiry"] = "2030/6/1"
    inputs = load_inputs(load_scenario(make_scenario(inspectors=insp)))
    assert inputs.inspectors["certificate_expiry"].iloc[:3].dt.strftime("%Y-%m-%d").tolist() == [
        "2030-06-01"] * 3


def test_expired_certificate_is_a_warning_and_not_eligible(make_scenario):
    insp = inspectors_frame()
    insp.loc[4, "certificate_expiry"] = "2026-02-28"
    path = make_scenario(inspectors=insp)
    result = validate(path)
    assert result.exit_code == 0
    assert ("warning: " in result.output and "inspectors.csv, row 6, column 'certificate_expiry': "
            "enforcement certificate (执法证) expires 2026-02-28, before the plan ends 2026-03-31: "
            "this inspector is not eligible" in result.output)
    inputs = load_inputs(load_scenario(path))
    assert not inputs.inspectors.set_index("inspector_id").loc["P004", "eligible"]
    assert "1 expired certificates" in result.output


def test_avoidance_naming_unknown_inspector_or_enterprise(make_scenario):
    ent = enterprises_frame()
    avoid = pd.DataFrame({"inspector_id": ["P001", "P999"],
                          "enterprise_id": [credit_codes(1, seed=99)[0], ent.enterprise_id[0]],
                          "reason": ["亲属关系", "曾在该企业任职"]})
    result = validate(make_scenario(enterprises=ent, avoidance=avoid))
    assert_error(result,
                 "avoidance.csv, row 2, column 'enterprise_id': names an enterprise not in the "
                 "enterprises file",
                 "avoidance.csv, row 3, column 'inspector_id': names an inspector not in the "
                 "inspectors file (value 'P999')")


def test_history_naming_unknown_ids_is_only_a_warning(make_scenario):
    ent = enterprises_frame()
    hist = pd.DataFrame({"enterprise_id": [credit_codes(1, seed=99)[0]], "inspector_id": ["P001"],
                         "date": ["2025-10-01"], "result": ["未发现问题"]})
    result = validate(make_scenario(enterprises=ent, history=hist))
    assert result.exit_code == 0, result.output
    assert "history.csv, row 2, column 'enterprise_id': names an enterprise not in the" in result.output


def test_inspector_without_station_under_cross_station(make_scenario):
    insp = inspectors_frame()
    insp.loc[2, "station"] = ""
    path = make_scenario(inspectors=insp, extra="[assignment]\ncross_station = true")
    assert_error(validate(path), "inspectors.csv, row 4, column 'station': no station: cross-station"
                 " avoidance ([assignment] cross_station = true) needs every inspector's station")
    assert validate(make_scenario(inspectors=insp, name="other.toml")).exit_code == 0


def test_bad_yes_no_and_capacity(make_scenario):
    insp = inspectors_frame().astype(str)
    insp.loc[0, "can_lead"] = "maybe"
    insp.loc[1, "capacity"] = "-3"
    assert_error(validate(make_scenario(inspectors=insp)),
                 "inspectors.csv, row 2, column 'can_lead': not yes/no",
                 "inspectors.csv, row 3, column 'capacity': not a whole number >= 0 (value '-3')")


def test_every_problem_of_every_file_is_reported_at_once(make_scenario):
    ent = enterprises_frame()
    ent.loc[0, "risk_grade"] = "Q"
    ent.loc[1, "enterprise_id"] = "123"
    ent.loc[2, "name"] = ""
    insp = inspectors_frame()
    insp.loc[0, "certificate_expiry"] = "never"
    result = validate(make_scenario(enterprises=ent, inspectors=insp))
    assert_error(result, "row 2, column 'risk_grade'", "row 3, column 'enterprise_id'",
                 "row 4, column 'name': empty cell", "inspectors.csv, row 2, column "
                 "'certificate_expiry'", "4 error(s) in the inputs; nothing was written.")


def test_gbk_utf8_bom_and_xlsx_read_alike(make_scenario):
    loaded = []
    for fmt, encoding in [("csv", "utf-8"), ("csv", "gbk"), ("csv", "utf-8-sig"), ("xlsx", "")]:
        path = make_scenario(fmt=fmt, encoding=encoding or "utf-8")
        inputs = load_inputs(load_scenario(path))
        loaded.append(inputs.enterprises[["enterprise_id", "name", "risk_class", "district"]])
    for frame in loaded[1:]:
        pd.testing.assert_frame_equal(frame, loaded[0])


def test_explicit_wrong_encoding_is_reported(make_scenario):
    path = make_scenario(encoding="gbk")
    assert_error(validate(path, "--encoding", "utf-8"), "enterprises.csv, row 2: cannot be decoded "
                 "as utf-8 at byte")


def test_chinese_headers_are_accepted(make_scenario):
    ent = enterprises_frame().rename(columns={
        "enterprise_id": "统一社会信用代码", "name": "企业名称", "district": "所属区域",
        "station": "管辖单位", "risk_grade": "风险等级", "category": "行业类别", "address": "地址",
        "status": "经营状态"})
    ent["备注"] = "extra column kept"
    inputs = load_inputs(load_scenario(make_scenario(enterprises=ent)))
    assert inputs.enterprises["risk_class"].tolist()[:4] == ["A", "A", "B", "B"]
    assert inputs.enterprises["备注"].iloc[0] == "extra column kept"


def test_ids_are_canonical_and_values_trimmed(make_scenario):
    ent = enterprises_frame()
    ent.loc[0, "enterprise_id"] = "  " + ent.loc[0, "enterprise_id"].lower() + " "
    ent.loc[0, "name"] = "  空格公司  "
    inputs = load_inputs(load_scenario(make_scenario(enterprises=ent)))
    assert inputs.enterprises["enterprise_id"].iloc[0] == enterprises_frame().enterprise_id[0]
    assert inputs.enterprises["name"].iloc[0] == "空格公司"


def test_inactive_status_is_not_active(make_scenario):
    ent = enterprises_frame()
    ent.loc[[0, 1, 2], "status"] = ["注销", "吊销", "停业"]
    inputs = load_inputs(load_scenario(make_scenario(enterprises=ent)))
    assert inputs.enterprises["active"].tolist()[:4] == [False, False, False, True]


def test_load_inputs_raises_input_error_with_all_problems(make_scenario):
    ent = enterprises_frame()
    ent.loc[[0, 1], "risk_grade"] = ["Q", "R"]
    with pytest.raises(InputError) as err:
        load_inputs(load_scenario(make_scenario(enterprises=ent)))
    assert [p.row for p in err.value.problems] == [2, 3]


def test_cells_padded_with_spaces_tabs_or_ideographic_spaces_are_trimmed(make_scenario, tmp_path):
    from planner.common.io import read_table

    for pad in (" ", "\t", "\u3000"):
        path = tmp_path / "t.csv"
        path.write_text(f"a,b\nx{pad},{pad}y\n\"{pad}z\",w{pad}\n", encoding="utf-8")
        assert read_table(path).values.tolist() == [["x", "y"], ["z", "w"]]
    path.write_text("a,b\nx y,z\n", encoding="utf-8")
    assert read_table(path).values.tolist() == [["x y", "z"]]


def test_record_with_more_fields_than_the_header_is_an_error(make_scenario, tmp_path):
    path = make_scenario()
    lines = (tmp_path / "enterprises.csv").read_text(encoding="utf-8").splitlines()
    lines[1] += ",深圳市,福田区"  # an unquoted comma in an address
    (tmp_path / "enterprises.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert_error(validate(path), "enterprises.csv: is not a well-formed CSV table: a record has more "
                 "fields than the header")


@pytest.mark.parametrize("ids, expected", [
    (["91440300MA5F00001A", "91440300MA5F00002B"], ["91440300MA5F00001A", "91440300MA5F00002B"]),
    (["91440300ma5f00001a", "91440300MA5F00002B"], ["91440300MA5F00001A", "91440300MA5F00002B"]),
    ([" 91440300MA5F00001A", "91440300MA5F00002B "], ["91440300MA5F00001A", "91440300MA5F00002B"]),
    (["9144０300MA5F00001A", "ｍa5"], ["9144０300MA5F00001A", "ＭA5"]),  # non-ASCII text
    (["", "a-1"], ["", "A-1"]),
])
def test_canonical_ids_are_stripped_and_upper_case(ids, expected):
    from planner.plan.inputs import canonical_ids

    got = canonical_ids(pd.Series(ids, dtype=object))
    assert got.tolist() == expected


def test_a_misspelt_key_column_is_one_message_with_the_nearest_header(make_scenario, tmp_path):
    from click.testing import CliRunner

    from planner.cli import cli
    from tests.support.data import enterprises_frame, inspectors_frame

    ent = enterprises_frame(30).rename(columns={"enterprise_id": "信用代码"})
    ids = enterprises_frame(30)["enterprise_id"]
    avoid = pd.DataFrame({"inspector_id": ["P001", "P002"], "enterprise_id": ids[:2]})
    path = make_scenario(enterprises=ent, inspectors=inspectors_frame(12), avoidance=avoid)
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.output  # not one more per avoidance row
    assert ("column 'enterprise_id': missing required column (the file has '信用代码': did "
            "you mean 统一社会信用代码?)") in errors[0]


def test_a_title_row_above_the_header_is_named_once(make_scenario, tmp_path):
    from click.testing import CliRunner

    from planner.cli import cli
    from tests.support.data import enterprises_frame

    path = make_scenario(enterprises=enterprises_frame(30))
    directory = path.parent / "enterprises.csv"
    directory.write_text("临河区检查对象名录库（导出）,,,,,,,\n"
                         + directory.read_text(encoding="utf-8"), encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert errors == [f"error: {directory}, row 1: the header seems to be on row 2, "
                      "below a title row: delete the row(s) above it (1-1), so that row 1 "
                      "holds the column names"], result.output
