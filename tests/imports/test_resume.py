"""An import killed between batches resumes after its last committed row: every row
is imported once, the log holds each row once."""

from __future__ import annotations

from pathlib import Path

import pytest

from metacrm.imports.run import ImportStopped, run_import

from .conftest import records, write_csv


def test_a_killed_import_resumes_without_importing_a_row_twice(importer, crm,
                                                                tmp_path: Path) -> None:
    rows = [["name", "employees"]] + [[f"客户{i:03}", str(i)] for i in range(1, 26)]
    rows[13] = ["", "13"]  # one bad row on the way
    import_id = importer.start(write_csv(tmp_path / "c.csv", rows))

    with pytest.raises(ImportStopped):
        run_import(importer.platform, import_id, batch_size=10, stop_after=2)
    assert len(records(crm)) == 19  # two batches of ten rows, one of them failed
    with importer.platform.reading() as conn:
        from metacrm.imports.store import read_import

        job = read_import(conn, importer.platform.compiled.tables, import_id)
    assert job is not None and job["status"] == "running" and job["last_row"] == 21

    done = run_import(importer.platform, import_id, batch_size=10)

    assert done["status"] == "done"
    assert done["counts"] == {"created": 24, "updated": 0, "skipped": 0, "failed": 1}
    names = [r["name"] for r in records(crm)]
    assert len(names) == len(set(names)) == 24
    log = importer.log(import_id)
    assert [r["row"] for r in log] == list(range(2, 27))
    # Resuming a finished import does nothing.
    assert run_import(importer.platform, import_id)["counts"] == done["counts"]
    assert len(records(crm)) == 24
