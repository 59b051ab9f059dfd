"""Columns find their fields by the entity's names and labels in any language, the
last mapping used for the entity, or a mapping file (YAML or JSON) with defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from metacrm.base.problems import Invalid
from metacrm.imports.mapping import BadMapping, ColumnMapping, load_mapping_file, suggest

from .conftest import records, write_csv


def test_suggested_from_names_and_labels_in_every_language(crm) -> None:
    model = crm.application.extensions["metacrm"].compiled.models["customer"]
    mapping = suggest(model, ["公司名称", "Phone", "employees", "*签约 日期", "备注", "ID"])
    assert mapping.columns == {"公司名称": "name", "Phone": "phone", "employees": "employees",
                               "*签约 日期": "signed_on", "备注": None, "ID": "id"}


def test_a_previous_mapping_is_suggested_again(importer, crm, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", [["客户", "备注"], ["甲", "x"]])
    importer.run(path, mapping=ColumnMapping({"客户": "name"}, {"kind": "lead"}))
    again = write_csv(tmp_path / "b.csv", [["客户", "备注"], ["乙", "y"]])
    job = importer.run(again)  # no mapping given: the last one is
    assert job["mapping"] == {"columns": {"客户": "name", "备注": None},
                              "defaults": {"kind": "lead"}}
    assert [(r["name"], r["kind"]) for r in records(crm)] == [("甲", "lead"), ("乙", "lead")]


def test_mapping_file_with_defaults(importer, crm, tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("columns:\n  客户全称: name\n  联系电话: phone\n  内部备注: null\n"
                       "defaults:\n  grade: a\n", encoding="utf-8")
    path = write_csv(tmp_path / "c.csv", [["客户全称", "联系电话", "内部备注", "等级"],
                                          ["甲", "010-6255 0000", "秘密", ""],
                                          ["乙", "", "", "b"]])
    job = importer.run(path, mapping=load_mapping_file(mapping))
    assert job["counts"]["created"] == 2
    assert [(r["name"], r["phone"], r["grade"]) for r in records(crm)] == [
        ("甲", "010-6255 0000", "a"), ("乙", None, "b")]


def test_a_bad_mapping_says_what_is_wrong(importer, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [["name", "x"], ["甲", "1"]])
    with pytest.raises(Invalid) as caught:
        importer.start(path, mapping=ColumnMapping({"x": "nmae", "y": "phone"}))
    text = caught.value.errors["mapping"][0]
    assert "column(s) not in the file: y (the file's columns: name, x)" in text
    assert "unknown or computed field(s) of customer: nmae" in text
    bad = tmp_path / "m.json"
    bad.write_text('{"columns": {"a": "name"}, "default": {}}')
    with pytest.raises(BadMapping, match="unknown key.*default"):
        load_mapping_file(bad)
