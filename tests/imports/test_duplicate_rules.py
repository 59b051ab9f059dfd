"""With the platform's cleaning and duplicate rules (the shipped customer: phone
cleaned to E.164, a warning for the same phone or a similar name, a block for the
same credit code), an import cleans every row, logs the likely duplicates of a row
it creates, and refuses a row a blocking rule matches — also when the twin is an
earlier row of the same file, still to be written."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import Importer, records, write_csv

pytest.importorskip("metacrm.runtime.duplicates", reason="no duplicate rules in this "
                    "platform yet")


def test_rows_are_cleaned_and_checked_for_duplicates(make_client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    crm = make_client()  # the shipped CRM
    importer = Importer(crm, None)
    job = importer.run(write_csv(tmp_path / "c.csv", [
        ["公司名称", "电话", "统一社会信用代码"],
        ["北京华为技术有限公司", "１３８ ００１３ ８０００", "91110000802100433B"],
        ["华为技术（北京）有限公司", "138-0013-8000", ""],
        ["星河", "", "91110000802100433B"]], encoding="gbk"))

    log = importer.log(job["id"])
    assert [(r["row"], r["action"]) for r in log] == [(2, "created"), (3, "created"),
                                                      (4, "failed")]
    assert {d["rule"] for d in log[1]["errors"]["_duplicates"]} == {"same_phone",
                                                                    "similar_name"}
    assert list(log[2]["errors"]) == ["credit_code"]
    assert [(r["name"], r["phone"]) for r in records(crm)] == [
        ("北京华为技术有限公司", "+8613800138000"), ("华为技术（北京）有限公司", "+8613800138000")]
