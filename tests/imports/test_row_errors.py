"""Ragged, empty and wrong rows fail one by one with a clear error; the others go
in. The failed rows come back as a CSV file (the file's columns and an error
column) that, fixed, imports as it is."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from metacrm.imports.revert import ERROR_COLUMN, failed_rows_csv

from .conftest import records, write_csv


def test_ragged_and_empty_rows(importer, crm, tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("name,employees,revenue\n"
                    "甲,1,100\n"
                    ",,\n"                       # blank: an error of its own
                    "乙,2,3,多出来的\n"            # one cell too many
                    "丙\n"                        # short: the missing cells are empty
                    "丁,-5,1\n"                   # below the field's min
                    "戊,3,-1\n"                   # against a rule (found by the write)
                    "己,3,100\n", encoding="utf-8")

    job = importer.run(path)

    assert job["counts"] == {"created": 3, "updated": 0, "skipped": 0, "failed": 4}
    failed = {r["row"]: r["errors"] for r in importer.log(job["id"])
              if r["action"] == "failed"}
    assert failed == {
        3: {"_row": ["the row is empty"]},
        4: {"_row": ["the row has 4 cells, the header 3: a value has a comma or a quote "
                     "too many?"]},
        6: {"employees": ["Must be greater than or equal to 0."]},
        7: {"_record": ["Revenue cannot be negative"]},
    }
    assert [r["name"] for r in records(crm)] == ["甲", "丙", "己"]


def test_failed_rows_download_and_import_again(importer, crm, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [["公司名称", "员工人数"], ["甲", "1"], ["乙", "很多"],
                                          ["", "3"]])
    job = importer.run(path)
    assert job["counts"]["failed"] == 2

    text = b"".join(failed_rows_csv(importer.platform, job["id"])).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["公司名称", "员工人数", ERROR_COLUMN]
    assert rows[1][:2] == ["乙", "很多"] and "employees: '很多'" in rows[1][2]
    assert rows[2][:2] == ["", "3"] and "name:" in rows[2][2]

    fixed = write_csv(tmp_path / "fixed.csv", [rows[0], ["乙", "20", rows[1][2]],
                                               ["丙", "3", rows[2][2]]])
    again = importer.run(fixed)  # the error column maps to nothing
    assert again["counts"]["created"] == 2
    assert [(r["name"], r["employees"]) for r in records(crm)] == [("甲", 1), ("乙", 20),
                                                                     ("丙", 3)]


def test_a_choice_cell_no_option_has_is_quoted_with_what_would_do(importer, crm,
                                                                   tmp_path: Path) -> None:
    path = write_csv(tmp_path / "g.csv", [["公司名称", "等级"], ["甲", "重点客户"], ["乙", "a"],
                                          ["丙", "重要客户"]])
    job = importer.run(path)
    assert job["counts"]["created"] == 2  # a label in any language, or the value
    failed = {r["row"]: r["errors"] for r in importer.log(job["id"])
              if r["action"] == "failed"}
    assert failed == {4: {"grade": ["'重要客户' is not an option; write one of: "
                                    "a / Key account / 重点客户, b / Normal / 普通客户"]}}


def test_a_superscript_digit_is_not_a_number_or_an_id(importer, crm, tmp_path: Path) -> None:
    """'²' passes str.isdigit() but int() refuses it: a cell error, never a crash."""
    path = write_csv(tmp_path / "s.csv", [["公司名称", "员工人数", "所属公司"], ["甲", "²", "#²"],
                                          ["乙", "2", ""]])
    job = importer.run(path)
    assert job["counts"]["created"] == 1 and job["counts"]["failed"] == 1
