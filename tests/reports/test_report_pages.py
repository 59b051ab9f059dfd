"""The report pages: the list of reports the viewer may run, and a report run with the
parameters of its form, as a table with totals whose cells open the entity's list
filtered exactly as the cell was counted."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest

from ..conftest import create_as_platform
from .conftest import sales_bundle


def cells_of(page: str) -> list[str]:
    """The text of each table cell (a figure is a link to its records)."""
    return [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", page)]


@pytest.fixture
def client(make_client, tmp_path: Path):  # type: ignore[no-untyped-def]
    client = make_client(sales_bundle(tmp_path / "b"))
    for index, (day, amount) in enumerate([("2026-01-05", "10.00"), ("2026-01-20", "5.50"),
                                           ("2026-03-02", "1234567.00")]):
        create_as_platform(client, "deal", name=f"D{index}", stage="won", closed_on=day,
                           amount=amount)
    create_as_platform(client, "deal", name="open one", stage="open", closed_on="2026-01-09",
                       amount="99.00")
    return client


def test_the_reports_page_lists_what_the_viewer_may_run(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/reports?lang=zh").get_data(as_text=True)
    assert "按月成交" in page and 'href="/reports/won_by_month"' in page
    assert 'href="/reports"' in client.get("/deal").get_data(as_text=True)


def test_a_report_page_shows_rows_totals_and_drills_down(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/reports/won_by_month").get_data(as_text=True)
    cells = cells_of(page)
    # Money reads with grouped digits, every decimal kept.
    assert cells[:3] == ["2026-01", "2", "15.50"]
    assert cells[3:6] == ["2026-03", "1", "1,234,567.00"]
    assert cells[6:8] == ["3", "1,234,582.50"]  # the totals
    links = [unescape(h) for h in re.findall(r'href="(/deal\?[^"]+)"', page)]
    assert len(links) == 6  # every figure, totals too
    listed = client.get(links[0]).get_data(as_text=True)
    assert "D0" in listed and "D1" in listed and "D2" not in listed and "open one" not in listed


def test_the_form_sets_a_period_and_a_bad_one_is_said(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/reports/won_by_month?period_from=2026-03-01&period_to=2026-03-31"
                      ).get_data(as_text=True)
    assert cells_of(page)[:3] == ["2026-03", "1", "1,234,567.00"]
    assert 'value="2026-03-01"' in page
    page = client.get("/reports/won_by_month?period=someday").get_data(as_text=True)
    assert "period: &#39;someday&#39; is not a period" in page


def test_the_owner_is_picked_by_name(client) -> None:  # type: ignore[no-untyped-def]
    me = client.get("/api/users/me").get_json()
    page = client.get(f"/reports/won_by_month?owner={me['id']}").get_data(as_text=True)
    # A picker: the name shows, the id is what the form sends back.
    assert f'<input type="hidden" id="p-owner-value" name="owner" value="{me["id"]}">' in page
    assert re.search(r'<input id="p-owner" data-pick="p-owner-value" name="q" '
                     r'form="p-owner-lookup" value="([^"]+)"', page).group(1) == me["name"]
    assert "<td" in page and "No records match." in page  # none of the deals is the admin's
