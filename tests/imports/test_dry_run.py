"""A dry run checks every row as the write would (types, required fields, rules,
references, unique values) and writes nothing: no record, no audit row, no number
taken; its log says what would happen."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from .conftest import audit_count, records, write_csv


def test_dry_run_writes_nothing(importer, crm, tmp_path: Path) -> None:
    importer.run(write_csv(tmp_path / "a.csv", [["name", "phone"], ["甲", "010-6255 0000"]]))
    before_records, before_audit = records(crm), audit_count(crm)
    before_counters = _counters(importer.platform)
    path = write_csv(tmp_path / "b.csv", [["name", "phone", "employees", "所属公司", "年营业额"],
                                          ["甲改", "010-6255 0000", "3", "", ""],
                                          ["乙", "010-6255 0001", "2", "C-001", ""],
                                          ["丙", "", "", "没有这家", ""],
                                          ["丁", "", "", "", "-5"],
                                          ["乙又一次", "010-6255 0001", "4", "", ""]])

    job = importer.run(path, mode="upsert", match=("phone",), dry_run=True)

    assert job["status"] == "done"
    assert job["counts"] == {"created": 1, "updated": 2, "skipped": 0, "failed": 2}
    assert [(r["row"], r["action"]) for r in importer.log(job["id"])] == [
        (2, "updated"), (3, "created"), (4, "failed"), (5, "failed"), (6, "updated")]
    assert records(crm) == before_records
    assert audit_count(crm) == before_audit
    assert _counters(importer.platform) == before_counters


def _counters(platform) -> list:  # type: ignore[no-untyped-def]
    with platform.reading() as conn:
        return [tuple(r) for r in conn.execute(sa.select(platform.compiled.tables.sequences))]


def test_a_dry_run_cannot_be_reverted(importer, tmp_path: Path) -> None:
    import pytest

    from metacrm.base.problems import Conflict
    from metacrm.imports.revert import revert_import

    job = importer.run(write_csv(tmp_path / "a.csv", [["name"], ["甲"]]), dry_run=True)
    with pytest.raises(Conflict, match="nothing to revert"):
        revert_import(importer.platform, importer.context(), job["id"])
