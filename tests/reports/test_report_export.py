"""A report as a file: ``GET /api/reports/<name>/export?format=csv|xlsx`` runs the report
as the API does (same parameters, same scope) and writes its table: labels in the
viewer's language, money exact, shares as percentages, formula-looking text inert."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import UTC, datetime
from decimal import Decimal
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from python_calamine import CalamineWorkbook

from ..conftest import create_as_platform, token_for
from .conftest import sales_bundle

BY_SOURCE = """
report: by_source
entity: deal
label: {en: Deals by source, zh: 按来源统计商机}
rows: {field: source, label: {en: Source, zh: 来源}}
measures:
  - {name: deals, aggregate: count, label: {en: Deals, zh: 商机数}}
  - {name: amount, aggregate: sum, field: amount, label: {en: Amount, zh: 金额}}
  - {name: won, aggregate: count, filters: {stage: won}, label: {en: Won, zh: 赢单数}}
  - {name: win_rate, ratio: [won, deals], label: {en: Win rate, zh: 赢单率}}
  - {name: first, aggregate: min, field: closed_on, label: {en: First close, zh: 最早成交}}
parameters:
  owner: {field: owner}
"""
BY_ACCOUNT = """
report: by_account
entity: deal
label: {en: Deals by account, zh: 按客户统计}
rows: account
measures: [{name: amount, aggregate: sum, field: amount, label: {en: Amount, zh: 金额}}]
"""
# What a lead typed into a web form may hold.
HOSTILE = ['=cmd|"/c calc"!A1', "+SUM(1,2)", "-2+3", "@SUM(A1)"]


@pytest.fixture
def sales(make_client, tmp_path: Path):  # type: ignore[no-untyped-def]
    client = make_client(sales_bundle(tmp_path / "b", **{
        "reports/by_source.yaml": BY_SOURCE, "reports/by_account.yaml": BY_ACCOUNT}))
    app = client.application
    tokens = {name: token_for(app, name, roles=(role,))
              for name, role in (("ann", "seller"), ("bob", "seller"), ("dora", "director"))}
    ids = {name: client.get("/api/users/me", headers=_auth(t)).get_json()["id"]
           for name, t in tokens.items()}
    accounts = [create_as_platform(client, "account", name=name, industry="retail")
                for name in HOSTILE]
    deals = [("ann", "web", "won", "1250000.10", "2026-03-02", 0),
             ("ann", "web", "open", "0.20", "2026-04-05", 1),
             ("ann", "fair", "won", "99999999999.99", "2026-05-06", 2),
             ("bob", "web", "lost", "5000.00", "2026-02-01", 3)]
    for index, (owner, source, stage, amount, closed, account) in enumerate(deals):
        create_as_platform(client, "deal", name=f"D{index}", stage=stage, source=source,
                           amount=amount, closed_on=closed, owner=ids[owner],
                           account=accounts[account])
    return client, tokens, ids


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _sheet(data: bytes) -> list[list[Any]]:
    return CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()


def _table(sheet: list[list[Any]]) -> list[list[Any]]:
    """The sheet below its title, settings and time rows and the blank one."""
    return sheet[4:]


def test_xlsx_holds_the_answer_with_exact_money_and_real_dates(sales) -> None:
    client, tokens, _ = sales
    response = client.get("/api/reports/by_source/export?format=xlsx",
                          headers=_auth(tokens["dora"]))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    sheet = _sheet(response.data)
    assert sheet[0][0] == "Deals by source"
    header, *rows, total = _table(sheet)
    assert header[:6] == ["Source", "Deals", "Amount", "Won", "Win rate", "First close"]
    by_source = {row[0]: row for row in rows}
    # the choice's option label, the sum exact to the cent (read back as written)
    assert by_source["web"][1] == 3
    assert Decimal(str(by_source["web"][2])) == Decimal("1255000.30")
    assert Decimal(str(by_source["fair"][2])) == Decimal("99999999999.99")
    assert by_source["web"][4] == pytest.approx(1 / 3, abs=1e-4)  # a share, shown as %
    assert by_source["web"][5] == datetime(2026, 2, 1).date()  # a real date cell
    assert total[0] == "Total" and Decimal(str(total[2])) == Decimal("100001255000.29")
    # the cell's own text in the file is the decimal, not a float's rounding
    xml = zipfile.ZipFile(io.BytesIO(response.data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<v>99999999999.99</v>" in xml and "<v>100001255000.29</v>" in xml


def test_csv_is_the_same_table_with_exact_decimal_text(sales) -> None:
    client, tokens, _ = sales
    response = client.get("/api/reports/by_source/export", headers=_auth(tokens["dora"]))
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")
    lines = text[1:].splitlines()
    assert lines[0] == "Source,Deals,Amount,Won,Win rate,First close"
    assert "web,3,1255000.30,1,0.3333,2026-02-01" in lines
    assert lines[-1] == "Total,4,100001255000.29,2,0.5000,2026-02-01"


def test_a_seller_exports_their_rows_only(sales) -> None:
    client, tokens, _ = sales
    ann = client.get("/api/reports/by_source/export?format=xlsx", headers=_auth(tokens["ann"]))
    header, *rows, total = _table(_sheet(ann.data))
    assert {row[0]: row[1] for row in rows} == {"web": 2, "fair": 1}
    assert Decimal(str(total[2])) == Decimal("100001250000.29")  # not bob's 5000.00
    bob = client.get("/api/reports/by_source/export", headers=_auth(tokens["bob"]))
    assert bob.data.decode("utf-8-sig").splitlines()[1:] == [
        "web,1,5000.00,0,0.0000,2026-02-01", "Total,1,5000.00,0,0.0000,2026-02-01"]


def test_parameters_are_those_of_the_report(sales) -> None:
    client, tokens, ids = sales
    response = client.get(f"/api/reports/by_source/export?owner={ids['bob']}",
                          headers=_auth(tokens["dora"]))
    assert response.data.decode("utf-8-sig").splitlines()[-1].startswith("Total,1,5000.00")
    bad = client.get("/api/reports/by_source/export?colour=red", headers=_auth(tokens["dora"]))
    assert bad.status_code == 400 and "colour" in bad.get_data(as_text=True)
    fmt = client.get("/api/reports/by_source/export?format=pdf", headers=_auth(tokens["dora"]))
    assert fmt.status_code == 400 and "csv or xlsx" in fmt.get_data(as_text=True)
    assert client.get("/api/reports/nope/export").status_code == 404


def test_labels_and_the_file_name_are_in_the_viewers_language(sales) -> None:
    client, tokens, _ = sales
    response = client.get("/api/reports/by_source/export?format=xlsx",
                          headers={**_auth(tokens["dora"]), "Accept-Language": "zh"})
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith(f"attachment; filename=by_source-{today}.xlsx; ")
    assert disposition.endswith("filename*=UTF-8''" + quote(f"按来源统计商机-{today}.xlsx"))
    sheet = _sheet(response.data)
    assert sheet[0][0] == "按来源统计商机" and sheet[1][0] == "Owner: —"
    header, *_, total = _table(sheet)
    assert header[:2] == ["来源", "商机数"] and total[0] == "合计"
    # a page's link says its language (lang=), whatever the browser's
    chosen = client.get("/api/reports/by_source/export?format=xlsx&lang=zh",
                        headers=_auth(tokens["dora"]))
    assert _table(_sheet(chosen.data))[0][:2] == ["来源", "商机数"]


def test_formula_looking_labels_are_inert_in_both_formats(sales) -> None:
    client, tokens, _ = sales
    csv_text = client.get("/api/reports/by_account/export",
                          headers=_auth(tokens["dora"])).data.decode("utf-8-sig")
    cells = [row[0] for row in csv.reader(io.StringIO(csv_text))][1:-1]
    assert cells == ["'" + HOSTILE[0], "'" + HOSTILE[1], "-2+3", "'" + HOSTILE[3]]
    data = client.get("/api/reports/by_account/export?format=xlsx",
                      headers=_auth(tokens["dora"])).data
    labels = [row[0] for row in _table(_sheet(data))[1:-1]]
    assert sorted(labels) == sorted(HOSTILE)  # the text itself is kept …
    book = zipfile.ZipFile(io.BytesIO(data))
    xml = book.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml  # … never a formula …
    quoted = _quoted_styles(book.read("xl/styles.xml").decode())
    for name in HOSTILE[:2] + HOSTILE[3:]:  # … and marked as text ("-2+3" is a number)
        style = re.search(r'<c r="A\d+" s="(\d+)" t="inlineStr"><is><t[^>]*>'
                          + re.escape(name), xml)
        assert style and int(style.group(1)) in quoted, name


def _quoted_styles(styles: str) -> set[int]:
    """The cell formats (cellXfs indexes) with Excel's quote prefix."""
    cell_xfs = re.search(r"<cellXfs[^>]*>(.*?)</cellXfs>", styles, re.S)
    assert cell_xfs
    formats = re.findall(r"<xf [^>]*?(?:/>|>.*?</xf>)", cell_xfs.group(1), re.S)
    return {i for i, xf in enumerate(formats) if 'quotePrefix="1"' in xf}


def test_the_report_page_offers_the_export_with_its_parameters(sales) -> None:
    client, _, ids = sales
    page = client.get(f"/reports/by_source?owner={ids['bob']}").get_data(as_text=True)
    assert "Excel (XLSX)" in page
    links = [unescape(h) for h in re.findall(r'href="(/api/reports/by_source/export\?[^"]+)"'
                                             r" download>", page)]
    assert [link.rsplit("format=", 1)[1] for link in links] == ["csv&lang=en",
                                                                 "xlsx&lang=en"]
    assert all(f"owner={ids['bob']}" in link for link in links)
    *_, total = _table(_sheet(client.get(links[1]).data))
    assert total[:3] == ["Total", 1, 5000]
    zh = client.get("/reports/by_source?lang=zh").get_data(as_text=True)
    assert "导出" in zh and "format=xlsx&amp;lang=zh" in zh  # the file in the page's language


FUNNEL = """
report: deal_funnel
entity: deal
label: {en: Deal funnel, zh: 商机漏斗}
funnel:
  - {name: opened, filters: {}, label: {en: All deals, zh: 全部}}
  - {name: won, filters: {stage: won}, label: {en: Won, zh: 赢单}}
measures:
  - {name: deals, aggregate: count, label: {en: Deals, zh: 商机数}}
  - {name: amount, aggregate: sum, field: amount, label: {en: Amount, zh: 金额}}
presentation: funnel
"""
PIVOT = """
report: source_by_stage
entity: deal
label: Source by stage
rows: source
columns: stage
measures: [{name: amount, aggregate: sum, field: amount, label: Amount}]
presentation: pivot
"""


def test_a_funnel_and_a_pivot_export_as_flat_tables(make_client, tmp_path: Path) -> None:
    client = make_client(sales_bundle(tmp_path / "b", **{
        "reports/funnel.yaml": FUNNEL, "reports/pivot.yaml": PIVOT}))
    for stage, source, amount in (("won", "web", "10.10"), ("open", "web", "0.05"),
                                  ("won", "fair", "2.00")):
        create_as_platform(client, "deal", name=stage, stage=stage, source=source,
                           amount=amount)
    header, *rows = _table(_sheet(client.get("/api/reports/deal_funnel/export?format=xlsx")
                                  .data))
    assert header == ["Step", "Deals", "Amount", "Conversion from the step before",
                      "Conversion from the first step"]
    assert rows[0][:3] == ["All deals", 3, 12.15] and rows[1][:3] == ["Won", 2, 12.1]
    assert rows[1][3] == pytest.approx(2 / 3, abs=1e-4)
    text = client.get("/api/reports/source_by_stage/export").data.decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0] == "Source,Stage,Amount"
    assert "web,won,10.10" in lines and "web,open,0.05" in lines
    assert lines[-1] == "Total,,12.15"
