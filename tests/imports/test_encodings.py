"""CSV files as Chinese Excel and others save them: GBK with full-width digits and
phone numbers written every which way, UTF-8 with a byte order mark, UTF-16."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from .conftest import records, write_csv

HEADER = ["公司名称", "电话", "员工人数", "年营业额", "签约日期", "等级"]


def test_gbk_csv_with_full_width_digits_and_mixed_phones(importer, crm, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "客户.csv", [
        HEADER,
        ["北京华为技术有限公司", "+86 138 0013 8000", "１２０", "１，２００，０００．５０",
         "２０２４－０３－０１", "重点客户"],
        ["上海星河贸易有限公司", "021-5555 0000", "35", "980000", "2024/3/2", "普通客户"],
        ["深圳北辰科技", "(0755) 8888-6666", "8", "", "2024-03-03", "b"],
    ], encoding="gbk")

    job = importer.run(path)

    assert job["status"] == "done", job
    # A phone number the field's type cannot read fails its row, saying why.
    assert job["counts"] == {"created": 2, "updated": 0, "skipped": 0, "failed": 1}
    failed = [r for r in importer.log(job["id"]) if r["action"] == "failed"]
    assert [(r["row"], r["errors"]) for r in failed] == [
        (4, {"phone": ["Not a valid phone number."]})]
    rows = records(crm)
    assert [r["name"] for r in rows] == ["北京华为技术有限公司", "上海星河贸易有限公司"]
    assert rows[0]["employees"] == 120
    assert rows[0]["revenue"] == Decimal("1200000.50")
    assert rows[0]["signed_on"] == date(2024, 3, 1)
    assert rows[1]["signed_on"] == date(2024, 3, 2)  # as Chinese Excel writes a day
    assert [r["grade"] for r in rows] == ["a", "b"]  # by label (any language) or value
    assert [r["phone"] for r in rows] == ["+86 138 0013 8000", "021-5555 0000"]


def test_utf8_with_bom_and_utf16(importer, crm, tmp_path: Path) -> None:
    bom = write_csv(tmp_path / "bom.csv", [["Company name", "Phone"],
                                           ["Acme 公司", "010-6255 0000"]], encoding="utf-8-sig")
    assert importer.run(bom)["counts"]["created"] == 1
    wide = write_csv(tmp_path / "wide.csv", [["name"], ["宽字符公司"]], encoding="utf-16")
    assert importer.run(wide)["counts"]["created"] == 1
    assert [r["name"] for r in records(crm)] == ["Acme 公司", "宽字符公司"]


def test_an_unreadable_file_is_refused_before_it_starts(importer, tmp_path: Path) -> None:
    import pytest

    from metacrm.base.problems import Invalid

    path = tmp_path / "latin.csv"
    path.write_bytes(b"name\n\x81\xff\xfe\x80\n")
    with pytest.raises(Invalid) as caught:
        importer.start(path)
    assert "not UTF-8, UTF-16 or GBK/GB18030" in caught.value.errors["file"][0]
