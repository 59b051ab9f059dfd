"""XLSX workbooks read with python-calamine: dates as the field's type reads them,
numbers as numbers, references by code or by name among the records the importer
may read."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import xlsxwriter

from .conftest import records


def _workbook(path: Path, rows: list[list[object]]) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("客户")
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, datetime):
                sheet.write_datetime(r, c, value, day)
            elif value is not None:
                sheet.write(r, c, value)
    book.close()
    return path


def test_dates_numbers_and_references_from_xlsx(importer, crm, tmp_path: Path) -> None:
    path = _workbook(tmp_path / "customers.xlsx", [
        ["公司名称", "签约日期", "员工人数", "年营业额", "所属公司"],
        ["甲公司", datetime(2024, 3, 1), 120, 1200000.5, "C-001"],     # company by code
        ["乙公司", datetime(2023, 12, 31, 15, 30), 8.0, 99, "星河贸易"],  # by name
        ["丙公司", "2024-01-05", 3, None, "#2"],                         # by id
        ["丁公司", datetime(2024, 1, 6), 1.5, None, "不存在的公司"],
    ])

    job = importer.run(path)

    log = importer.log(job["id"])
    assert job["counts"]["created"] == 3, log
    assert [(r["row"], r["errors"]) for r in log if r["action"] == "failed"] == [
        (5, {"employees": ["'1.5' is not a whole number (digits, a leading '-' for "
                           "negative ones)"],
             "company": ["no company with code or name '不存在的公司' that you may read"]})]
    rows = records(crm)
    assert [r["signed_on"] for r in rows] == [date(2024, 3, 1), date(2023, 12, 31),
                                              date(2024, 1, 5)]
    assert [r["employees"] for r in rows] == [120, 8, 3]
    assert rows[0]["revenue"] == Decimal("1200000.50")
    assert [r["company"] for r in rows] == [1, 2, 2]


def test_a_reference_names_only_records_the_importer_may_read(crm, tmp_path: Path) -> None:
    from .conftest import Importer

    # A seller may read customers but no companies: the name finds nothing for them.
    seller = Importer(crm, "sel", roles=("importer", "seller"))
    path = _workbook(tmp_path / "c.xlsx", [["name", "company"], ["甲", "C-001"]])
    assert seller.run(path)["counts"]["created"] == 1  # importer's role reads companies
