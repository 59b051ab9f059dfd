"""Reverting an import sends the records it created to the recycle bin and gives
those it updated their earlier values back, except those someone changed since."""

from __future__ import annotations

from pathlib import Path

from metacrm.imports.revert import revert_import

from .conftest import records, write_csv


def test_revert_after_someone_edited_one_record(importer, crm, tmp_path: Path) -> None:
    importer.run(write_csv(tmp_path / "a.csv", [["name", "phone", "employees"],
                                                ["旧甲", "010-6255 0000", "1"],
                                                ["旧乙", "010-6255 0001", "2"]]))
    path = write_csv(tmp_path / "b.csv", [["name", "phone", "employees"],
                                          ["新甲", "010-6255 0000", "10"],
                                          ["新乙", "010-6255 0001", "20"],
                                          ["丙", "010-6255 0002", "3"],
                                          ["丁", "010-6255 0003", "4"]])
    job = importer.run(path, mode="upsert", match=("phone",))
    assert job["counts"] == {"created": 2, "updated": 2, "skipped": 0, "failed": 0}
    log = importer.log(job["id"])
    edited_updated, edited_created = log[1]["record_id"], log[3]["record_id"]
    for record_id in (edited_updated, edited_created):
        response = crm.patch(f"/api/customer/{record_id}", json={"employees": 99})
        assert response.status_code == 200, response.json

    result = revert_import(importer.platform, importer.context(), job["id"])

    assert result["reverted"] == 2
    assert [(r["row"], r["record_id"]) for r in result["refused"]] == [
        (3, edited_updated), (5, edited_created)]
    reasons = [r["reason"] for r in result["refused"]]
    assert reasons[0].startswith("changed since the import (now version 3, last by admin at ")
    assert reasons[1].startswith("changed since the import (now version 2, last by admin at ")
    assert reasons[0].endswith("): left as it is")
    assert [(r["name"], r["employees"]) for r in records(crm)] == [
        ("旧甲", 1), ("新乙", 99), ("丁", 99)]
    deleted = crm.get("/api/customer/deleted").json["items"]
    assert [d["name"] for d in deleted] == ["丙"]  # in the recycle bin, restorable
    history = crm.get(f"/api/customer/{log[0]['record_id']}/history").json["items"]
    assert [h["action"] for h in history] == ["update", "update", "create"]
    assert importer.log(job["id"])[1]["reverted"].startswith("changed since the import")


def test_revert_gives_back_multi_references(importer, crm, tmp_path: Path) -> None:
    importer.run(write_csv(tmp_path / "a.csv", [["name", "合作伙伴"], ["甲", "C-001"]]))
    job = importer.run(write_csv(tmp_path / "b.csv", [["name", "合作伙伴"],
                                                      ["甲", "C-002; 华为技术有限公司"]]),
                       mode="update", match=("name",))
    record_id = importer.log(job["id"])[0]["record_id"]
    assert crm.get(f"/api/customer/{record_id}").json["partners"] == [1, 2]
    assert importer.log(job["id"])[0]["before"] == {"partners": [1]}

    assert revert_import(importer.platform, importer.context(), job["id"])["reverted"] == 1
    assert crm.get(f"/api/customer/{record_id}").json["partners"] == [1]
