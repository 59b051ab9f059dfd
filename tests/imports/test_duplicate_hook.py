"""Every row to create passes the entity's duplicate check (imports/run.py
``duplicate_check``, the one call the duplicate rules plug into): a blocking match
fails the row with its message, a warning is logged with the created row."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from metacrm.base.problems import Conflict
from metacrm.imports import run

from .conftest import records, write_csv


def test_blocking_and_warning_duplicates(importer, crm, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def check(op: Any, model: Any, values: dict[str, Any]) -> list[dict[str, Any]]:
        if values["name"] == "华为技术有限公司":
            raise Conflict({"name": ["A customer like this exists: same name."]})
        if values["name"].startswith("华为"):
            return [{"rule": "similar_name", "id": 1, "title": "华为技术有限公司"}]
        return []

    monkeypatch.setattr(run, "duplicate_check", check)
    job = importer.run(write_csv(tmp_path / "c.csv", [["name"], ["华为技术有限公司"],
                                                      ["华为技术（北京）有限公司"], ["星河"]]))

    log = importer.log(job["id"])
    assert [(r["row"], r["action"], r["errors"]) for r in log] == [
        (2, "failed", {"name": ["A customer like this exists: same name."]}),
        (3, "created", {"_duplicates": [{"rule": "similar_name", "id": 1,
                                         "title": "华为技术有限公司"}]}),
        (4, "created", None)]
    assert [r["name"] for r in records(crm)] == ["华为技术（北京）有限公司", "星河"]


def test_without_duplicate_rules_the_check_finds_nothing(importer, crm) -> None:  # type: ignore[no-untyped-def]
    from metacrm.base.context import Context
    from metacrm.runtime.operation import Operation

    platform = importer.platform
    with platform.reading() as conn:
        op = Operation(conn, platform.compiled, Context.system())
        assert run.duplicate_check(op, platform.compiled.models["customer"],
                                   {"name": "x"}) == []
