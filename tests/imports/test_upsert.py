"""Update and upsert find their record by --match fields (or an id column); rows
repeating a key inside the file update the record the earlier row created."""

from __future__ import annotations

from pathlib import Path

from .conftest import records, write_csv


def test_duplicate_rows_inside_the_file_in_upsert_mode(importer, crm, tmp_path: Path) -> None:
    write_csv(tmp_path / "old.csv", [["name", "phone", "employees"],
                                     ["老客户", "010-6255 0001", "5"]])
    importer.run(tmp_path / "old.csv")
    path = write_csv(tmp_path / "c.csv", [
        ["name", "phone", "employees"],
        ["甲", "010-6255 0000", "1"],
        ["乙", "010-6255 0002", "2"],
        ["甲（更正）", "010-6255 0000", "10"],   # same phone as row 2: updates it
        ["老客户", "010-6255 0001", "6"],       # in the database already
        ["老客户", "010-6255 0001", "6"],       # the same again: nothing to change
    ])

    job = importer.run(path, mode="upsert", match=("phone",), batch_size=2)

    assert job["counts"] == {"created": 2, "updated": 2, "skipped": 1, "failed": 0}
    log = importer.log(job["id"])
    assert [(r["row"], r["action"]) for r in log] == [
        (2, "created"), (3, "created"), (4, "updated"), (5, "updated"), (6, "skipped")]
    assert log[2]["before"] == {"name": "甲", "employees": 1}
    assert log[2]["record_id"] == log[0]["record_id"]
    assert [(r["name"], r["phone"], r["employees"]) for r in records(crm)] == [
        ("老客户", "010-6255 0001", 6), ("甲（更正）", "010-6255 0000", 10),
        ("乙", "010-6255 0002", 2)]


def test_update_mode_and_create_mode_with_match(importer, crm, tmp_path: Path) -> None:
    importer.run(write_csv(tmp_path / "a.csv", [["name", "phone"], ["甲", "010-6255 0000"]]))
    path = write_csv(tmp_path / "b.csv", [["name", "phone", "employees"],
                                          ["甲", "010-6255 0000", "7"],
                                          ["无此人", "010-6255 9999", "1"]])
    updated = importer.run(path, mode="update", match=("phone",))
    assert updated["counts"] == {"created": 0, "updated": 1, "skipped": 0, "failed": 1}
    assert importer.log(updated["id"])[1]["errors"] == {
        "_row": ["no record matches phone = 010-6255 9999"]}
    created = importer.run(path, mode="create", match=("phone",))
    assert created["counts"] == {"created": 1, "updated": 0, "skipped": 1, "failed": 0}
    assert [(r["name"], r["employees"]) for r in records(crm)] == [("甲", 7), ("无此人", 1)]


def test_update_by_id_column(importer, crm, tmp_path: Path) -> None:
    importer.run(write_csv(tmp_path / "a.csv", [["name"], ["甲"], ["乙"]]))
    ids = [r["id"] for r in records(crm)]
    path = write_csv(tmp_path / "b.csv", [["ID", "员工人数"], [str(ids[1]), "9"], ["999", "1"]])
    job = importer.run(path, mode="update")
    assert job["counts"]["updated"] == 1 and job["counts"]["failed"] == 1
    assert [r["employees"] for r in records(crm)] == [None, 9]
