"""Nothing private reaches the public notice: a corpus of leaking and innocent remarks."""

from __future__ import annotations

import datetime as dt
import shutil

import openpyxl
import pandas as pd
import pytest

from planner.common.errors import InputError
from planner.plan.inputs import load_plan
from planner.publish.export import export_stage
from planner.publish.privacy import PrivacyCheck, Roster, redact, valid_resident_id
from planner.publish.results import import_results
from tests.support.export import fill_workbooks, write_stage_files

ROSTER = Roster(ids=("LH00012", "P001"), names=("欧阳明", "李秀英", "张伟"),
                certificates=("44030012345",))
CHECK = PrivacyCheck(ROSTER, ["A", "B", "C", "D"])

LEAKING = [
    ("联系电话13800138000", "phone number"),
    ("负责人电话 138 0013 8000", "phone number"),
    ("电话：138-0013-8000", "phone number"),
    ("手机+86 13912345678，已告知", "phone number"),
    ("联系人 15012345678", "phone number"),
    ("固话0755-83451234", "phone number"),
    ("座机 010 62345678", "phone number"),
    ("法人身份证11010519491231002X", "resident identity number"),
    ("身份证号 440308198506123012 已核验", "resident identity number"),
    ("证件 320502 19920229 4568", "resident identity number"),
    ("经营者510107197803158883在场", "resident identity number"),
    ("执法证号：44030012345", "certificate number"),
    ("检查证 GD-2026-00871", "certificate number"),
    ("证书编号A1234567", "certificate number"),
    ("出示44030012345后进入", "certificate number"),
    ("张伟现场检查", "inspector name"),
    ("张 伟 在场", "inspector name"),
    ("由李秀英复核", "inspector name"),
    ("欧阳明陪同检查", "inspector name"),
    ("检查人员P001签字", "inspector id"),
    ("P 001 已确认", "inspector id"),
    ("LH00012参与检查", "inspector id"),
    ("lh00012 补充", "inspector id"),
    ("该企业为D类高风险", "internal class word"),
    ("D类企业，重点检查", "internal class word"),
    ("属于C类", "internal class word"),
    ("信用A级", "internal class word"),
    ("高风险企业", "internal class word"),
    ("红码企业", "internal class word"),
    ("标记为黄码", "internal class word"),
    ("风险等级较高", "internal class word"),
    ("列为重点监管对象", "internal class word"),
    ("较高风险，需复查", "internal class word"),
    ("中风险", "internal class word"),
]

INNOCENT = [
    "已责令整改", "未发现问题", "现场检查未发现违法行为", "企业已停业，门店关闭",
    "责令改正，限期7日内整改完毕", "抽查日期2026-02-10", "整改期限至2026年3月31日",
    "统一社会信用代码91440300065045927A", "第2号仓库", "共检查15批次产品", "抽检样品3批",
    "库存120箱", "面积约300平方米", "已下达责令改正通知书", "发现标签不规范2处", "复查合格",
    "企业负责人在场", "检查人员2名", "温度记录完整", "消毒记录缺失3天", "已移交稽查部门",
    "拒绝检查，已记录", "营业时间9:00-18:00", "证照齐全", "执法人员出示证件",
    "食品经营许可证在有效期内", "许可证编号已核对", "罚款5000元", "批号20260101",
    "房间号1308", "A区货架", "B栋二楼", "C型冷柜", "风险点已排查", "低温储存正常",
    "红色标识已张贴", "信用承诺书已签署", "2026年第1季度抽查", "电话已核实",
]


def test_the_corpora_are_large_enough():
    assert len(LEAKING) >= 30 and len(INNOCENT) >= 30


@pytest.mark.parametrize("text,kind", LEAKING)
def test_every_leaking_remark_is_found(text, kind):
    hits = CHECK.find(text)
    assert kind in [h.kind for h in hits], (text, hits)
    masked = redact(text, hits)
    assert "＊" in masked and len(masked) == len(text)


@pytest.mark.parametrize("text", INNOCENT)
def test_no_innocent_remark_is_flagged(text):
    assert CHECK.find(text) == []


def test_resident_id_needs_its_check_digit_and_a_birth_date():
    assert valid_resident_id("11010519491231002X")
    assert not valid_resident_id("110105194912310021")  # wrong check digit
    assert not valid_resident_id("110105194913310025")  # month 13
    assert CHECK.find("编号110105194912310021") == []


def test_the_message_does_not_repeat_the_private_text():
    (hit,) = CHECK.find("电话13800138000")
    assert hit.describe("电话13800138000") == "phone number '1＊＊＊＊＊＊＊＊＊0'"


@pytest.fixture
def planned(make_scenario, tmp_path):
    def build(extra=""):
        scenario_path = make_scenario(extra=extra)
        out = tmp_path / "out"
        write_stage_files(scenario_path, out, n=12)
        scenario, inputs = load_plan(scenario_path)
        export_stage(scenario, inputs, out)
        filled = tmp_path / "filled"
        shutil.copytree(out / "teams", filled)
        return out, sorted(filled.glob("*.xlsx")), inputs
    return build


def test_a_leak_is_an_error_naming_workbook_sheet_row_and_column(planned):
    out, paths, inputs = planned()
    other = inputs.inspectors["name"].iloc[-1]  # on the roster, not necessarily in the team
    remarks = {"0003": "联系电话13800138000", "0005": f"{other[0]} {other[1:]}到场",
               "0007": "该企业为D类高风险"}
    fill_workbooks(paths, remark=lambda t: remarks.get(t[-4:], "已责令整改"),
                   date=dt.date(2026, 2, 10))
    with pytest.raises(InputError) as info:
        import_results(out, paths, today=dt.date(2026, 3, 2))
    found = info.value.problems
    assert len(found) == 3
    for p in found:
        assert p.column == "备注" and ", sheet '检查计划'" in p.file and p.row >= 2
    text = "\n".join(str(p) for p in found)
    assert "remark holds phone number '1＊＊＊＊＊＊＊＊＊0'" in text
    assert "remark holds inspector name" in text or "remark names inspector" in text
    assert "internal class word" in text
    assert "13800138000" not in text
    assert not (out / "disclosure.xlsx").exists()


def test_redact_masks_the_notice_and_lists_each_cell(planned):
    out, paths, _ = planned('\n[export]\nremarks = "redact"\n')
    fill_workbooks(paths, remark=lambda t: "电话13800138000，D类" if t.endswith("0002") else
                   "已责令整改", date=dt.date(2026, 2, 10))
    import_results(out, paths, today=dt.date(2026, 3, 2))
    report = pd.read_csv(out / "redactions.csv", dtype=str)
    assert list(report["task_id"]) == ["T-2026-Q1-0002"]
    assert report["kinds"].iloc[0] == "phone number; internal class word"
    assert report["column"].iloc[0] == "备注"
    notice = openpyxl.load_workbook(out / "disclosure.xlsx").worksheets[0]
    cells = [str(c.value) for row in notice.iter_rows() for c in row if c.value]
    assert "电话＊＊＊＊＊＊＊＊＊＊＊，＊＊" in cells
    assert not any("13800138000" in c or "D类" in c for c in cells)
    published = pd.read_csv(out / "results.csv", dtype=str, keep_default_na=False)
    assert "13800138000" not in "".join(published["remark"])
