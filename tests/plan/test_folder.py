"""The plan folder module: one name, one reader and one writer per file."""

from __future__ import annotations

import json

import pytest

from planner.common.errors import InputError
from planner.plan import folder


def test_every_file_is_registered_once_with_its_stage():
    names = [f.name for f in folder.FILES.values()]
    assert len(names) == len(set(names))
    assert {folder.SAMPLE, folder.ELIGIBLE, folder.RECORD, folder.ASSIGNMENTS, folder.TASKS,
            folder.EXPORT_MANIFEST, folder.PLAN_WORKBOOK, folder.DISCLOSURE, folder.RESULTS,
            folder.MANIFEST} <= set(names)
    assert {f.stage for f in folder.FILES.values()} <= {*folder.STAGES, "folder"}
    assert folder.kind_of("teams/team-P001-张三.xlsx") == "form"
    assert folder.kind_of("notes.txt") == ""


def test_register_extends_the_registry(monkeypatch):
    monkeypatch.setattr(folder, "FILES", dict(folder.FILES))
    name = folder.register("commitment.json", "draw", "data", "the published commitment")
    assert name == "commitment.json"
    assert folder.stage_of("commitment.json") == "draw"


def test_record_sections_are_written_through_the_one_writer(tmp_path):
    record = {"format": folder.RECORD_FORMAT, "seed": "s", "parameters": {}, "inputs": {},
              "drawn": [{"enterprise_id": "A", "rank": 1}], "strata": {}}
    folder.write_record(tmp_path, record)
    folder.set_record_section(tmp_path, "assignment", {"tasks": 1})
    text = (tmp_path / folder.RECORD).read_text(encoding="utf-8")
    assert text == folder.dump_record({**record, "assignment": {"tasks": 1}})
    assert list(json.loads(text))[-1] == "assignment"
    folder.set_record_section(tmp_path, "assignment", {"tasks": 2})  # replaced, still last
    assert folder.read_record(tmp_path)["assignment"] == {"tasks": 2}
    folder.set_record_section(tmp_path, "assignment", None)
    assert (tmp_path / folder.RECORD).read_text(encoding="utf-8") == folder.dump_record(record)
    assert folder.set_record_section(tmp_path, "assignment", None) is None


@pytest.mark.parametrize("layout", ["as written", "compact", "indented"])
def test_a_section_set_gives_the_bytes_of_the_whole_record_written_afresh(tmp_path, layout):
    # Values whose text looks like the record's own layout: a comma, a line break, a quote.
    tricky = 'a,\n "b": [\n ]'
    record = {"format": folder.RECORD_FORMAT, "seed": tricky, "parameters": {"k": [1, tricky]},
              "drawn": [{"enterprise_id": "A", "name": tricky}, {"enterprise_id": "B"}],
              "strata": {}, "assignment": {"tasks": 1}, "export": {"n": 2}}
    where = tmp_path / folder.RECORD
    if layout == "as written":
        folder.write_record(tmp_path, record)
    else:  # a record saved by another tool: set_record_section lays it out afresh
        where.write_text(json.dumps(record, ensure_ascii=False,
                                    indent=None if layout == "compact" else 4), encoding="utf-8")
    for key, section in [("assignment", {"tasks": 3, "note": tricky}), ("seed", "t"),
                         ("export", None), ("new", [tricky])]:
        folder.set_record_section(tmp_path, key, section)
        record = {k: v for k, v in record.items() if k != key}
        if section is not None:
            record[key] = section
        assert where.read_text(encoding="utf-8") == folder.dump_record(record)


def test_reading_a_record_that_is_not_one_names_the_file(tmp_path):
    with pytest.raises(InputError, match="no draw record here"):
        folder.read_record(tmp_path)
    (tmp_path / folder.RECORD).write_text('{"seed": "s"}', encoding="utf-8")
    with pytest.raises(InputError, match=r"draw-record.json: is not a draw record \(missing "
                                         r"parameters, inputs, drawn, strata\)"):
        folder.read_record(tmp_path)
    assert folder.read_record_if_any(tmp_path) == {"seed": "s"}
    (tmp_path / folder.RECORD).write_text("{", encoding="utf-8")
    assert folder.read_record_if_any(tmp_path) == {}


def test_stage_table_reader_names_missing_file_and_columns(tmp_path):
    with pytest.raises(InputError, match="sample.csv: not found; draw first"):
        folder.read_stage_table(tmp_path, folder.SAMPLE, ("enterprise_id",), "draw first")
    (tmp_path / folder.SAMPLE).write_text("id\nA\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        folder.read_stage_table(tmp_path, folder.SAMPLE, ("enterprise_id",), "draw first")
    assert "row 1, column 'enterprise_id': missing required column" in str(err.value)


def test_no_module_spells_a_plan_folder_file_name_but_the_folder_module():
    import pathlib

    import planner

    root = pathlib.Path(planner.__file__).parent
    spelled = []
    for path in root.rglob("*.py"):
        if path.name == "folder.py":
            continue
        text = path.read_text(encoding="utf-8")
        for name in (folder.SAMPLE, folder.ELIGIBLE, folder.RECORD, folder.ASSIGNMENTS,
                     folder.TASKS, folder.EXPORT_MANIFEST, folder.DISCLOSURE):
            if f'"{name}"' in text:
                spelled.append(f"{path.relative_to(root)}: {name}")
    assert spelled == []
