"""`metacrm export ENTITY`: every record, as the platform itself, to a file or
standard output, with the list's filters given as key=value."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from metacrm.cli import main

from ..access.conftest import create
from ..api.conftest import cached_catalogs  # noqa: F401  (a fixture, used by name)
from ..conftest import SHIPPED_BUNDLE

pytestmark = pytest.mark.usefixtures("cached_catalogs")


@pytest.fixture
def export(crm, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    settings = crm.application.extensions["metacrm"].settings
    monkeypatch.setenv("METACRM_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("METACRM_BUNDLES", SHIPPED_BUNDLE)
    monkeypatch.setenv("METACRM_INSTANCE_PATH", str(tmp_path / "instance"))

    def run(*args: str) -> Any:
        return CliRunner().invoke(main, ["export", *args])
    return run


def _customers(crm: Any) -> dict[str, int]:
    return {"star": create(crm, "customer", name="上海星河贸易有限公司", grade="A",
                           annual_revenue="12000000", owner=None),
            "wall": create(crm, "customer", name="Great Wall Machinery", grade="C")}


def test_export_writes_a_csv_file_with_every_field(crm, export, tmp_path: Path) -> None:
    c = _customers(crm)
    target = tmp_path / "customers.csv"
    result = export("customer", "--output", str(target))
    assert result.exit_code == 0, result.output
    assert f"exported 2 customer record(s) to {target}" in result.output
    data = target.read_bytes()
    assert data.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert sorted(int(r["id"]) for r in rows) == sorted(c.values())
    star = next(r for r in rows if int(r["id"]) == c["star"])
    # the platform itself: the pool and fields some roles may not see are all there
    assert star["name"] == "上海星河贸易有限公司"
    assert star["annual_revenue"] == "12000000.00"
    assert not (tmp_path / "customers.csv.part").exists()


def test_filters_and_json_to_standard_output(crm, export) -> None:
    c = _customers(crm)
    result = export("customer", "--format", "json", "grade=A", "fields=id,name")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert [json.loads(line) for line in lines] == [
        {"id": c["star"], "name": "上海星河贸易有限公司"}]


def test_mistakes_are_reported_and_nothing_is_written(crm, export, tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    unknown = export("custmer", "--output", str(target))
    assert unknown.exit_code == 1
    assert "unknown entity 'custmer' (did you mean 'customer'?)" in unknown.output
    bad = export("customer", "grade__like=A", "--output", str(target))
    assert bad.exit_code == 1
    assert "grade__like: unknown operator 'like'" in bad.output
    assert not target.exists()
    malformed = export("customer", "grade")
    assert malformed.exit_code == 2
    assert "'grade' is not key=value" in malformed.output


def test_xlsx_to_a_file(crm, export, tmp_path: Path) -> None:
    from python_calamine import CalamineWorkbook

    c = _customers(crm)
    target = tmp_path / "customers.xlsx"
    result = export("customer", "--format", "xlsx", "fields=id,name,grade,annual_revenue",
                    "sort=id", "--output", str(target))
    assert result.exit_code == 0, result.output
    header, *rows = CalamineWorkbook.from_path(str(target)).get_sheet_by_index(0).to_python()
    assert header[0] == "ID" and len(header) == 4
    assert rows[0][:2] == [c["star"], "上海星河贸易有限公司"]
    assert rows[0][3] == 12000000
