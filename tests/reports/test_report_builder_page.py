"""The report builder's page: a business user picks what to count and how to group
it, previews it in their own scope, saves it, and finds it among the reports; a
shipped report opens in the builder with its own settings; mistakes are said on the
page and nothing is saved; those who may not design get no builder."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ..conftest import create_as_platform, token_for
from .conftest import sales_bundle

FORM = {"entity": "deal", "name": "deals_by_source", "label_en": "Deals by source",
        "label_zh": "按来源的商机", "presentation": "bar", "rows_field": "source",
        "m0_aggregate": "count", "m1_aggregate": "sum", "m1_field": "amount",
        "m1_label": "Amount", "filters": "stage=won", "period_field": "closed_on",
        "period_default": "all"}


@pytest.fixture
def client(make_client, tmp_path: Path):  # type: ignore[no-untyped-def]
    client = make_client(sales_bundle(tmp_path / "b"))
    for index, (source, stage, amount) in enumerate([("web", "won", "10.00"),
                                                     ("web", "won", "5.50"),
                                                     ("fair", "won", "1000.00"),
                                                     ("web", "open", "99.00")]):
        create_as_platform(client, "deal", name=f"D{index}", stage=stage, source=source,
                           closed_on="2026-01-05", amount=amount)
    return client


def _cells(page: str) -> list[str]:
    """Each table cell's text (a report's figures are links to their records)."""
    return [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", page)]


def test_a_preview_shows_the_figures_and_saves_nothing(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/reports/build?entity=deal").get_data(as_text=True)
    assert '<select id="b-rows" name="rows_field">' in page and 'value="closed_on"' in page
    shown = client.post("/reports/build", data={**FORM, "action": "preview"})
    assert shown.status_code == 200, shown.get_data(as_text=True)[:500]
    cells = _cells(shown.get_data(as_text=True))
    assert ["web", "2", "15.50"] == cells[:3] or ["web", "2", "15.50"] == cells[3:6]
    # the preview draws the chart the report page will (the same data and script)
    assert 'data-report-chart="builder-chart-data"' in shown.get_data(as_text=True)
    assert "vendor/echarts.min.js" in shown.get_data(as_text=True)
    assert client.get("/reports/deals_by_source").status_code == 404


def test_a_saved_report_is_listed_and_runs(client) -> None:  # type: ignore[no-untyped-def]
    saved = client.post("/reports/build", data={**FORM, "action": "save"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith(
        "/reports/deals_by_source")
    listing = client.get("/reports").get_data(as_text=True)
    assert "Deals by source" in listing and 'href="/reports/deals_by_source/build"' in listing
    cells = _cells(client.get("/reports/deals_by_source").get_data(as_text=True))
    assert "1,000.00" in cells and "15.50" in cells
    answer = client.get("/api/reports/deals_by_source").get_json()
    assert answer["totals"]["all"]["sum_amount"] == "1015.50"


def test_a_shipped_report_opens_with_its_settings_and_keeps_what_the_form_omits(
        client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/reports/won_by_month/build").get_data(as_text=True)
    assert re.search(r'name="rows_bucket">.*?<option value="month" selected>', page, re.S)
    assert 'value="stage=won"' in page
    form = {"entity": "deal", "label_en": "Won by month (ours)", "rows_field": "closed_on",
            "rows_bucket": "quarter", "m0_aggregate": "count", "m0_name": "deals",
            "filters": "stage=won", "period_field": "closed_on", "period_default": "all",
            "presentation": "line", "action": "save"}
    assert client.post("/reports/won_by_month/build", data=form).status_code == 302
    document = client.get("/api/meta/reports/won_by_month").get_json()["document"]
    assert document["rows"] == {"field": "closed_on", "bucket": "quarter"}
    assert document["parameters"]["owner"] == {"field": "owner"}  # kept


def test_mistakes_are_said_on_the_page_and_nothing_is_saved(client) -> None:  # type: ignore[no-untyped-def]
    for change, words in [({"rows_field": "nothing"}, "nothing"),
                          ({"m0_aggregate": "sum", "m0_field": ""}, "needs a"),
                          ({"name": "Bad Name"}, "Bad Name"),
                          ({"filters": "amount__gte=lots"}, "lots")]:
        answer = client.post("/reports/build", data={**FORM, **change, "action": "save"})
        assert answer.status_code == 422, change
        assert words in answer.get_data(as_text=True), (words, change)
    assert client.get("/api/meta/customizations").get_json()["items"] == []


def test_no_builder_for_those_who_may_not_design(client) -> None:  # type: ignore[no-untyped-def]
    seller = client.application.test_client()
    token = token_for(client.application, "li", roles=("seller",))
    seller.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    assert seller.get("/reports/build").status_code == 403
    assert seller.post("/reports/build", data={**FORM, "action": "save"}).status_code == 403
    assert "/reports/build" not in seller.get("/reports").get_data(as_text=True)
