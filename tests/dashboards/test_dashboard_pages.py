"""The dashboard page and the start page show the viewer's dashboard: every widget a
fragment of its own, loaded after the page (htmx), in the viewer's language; a
seller's widgets count only their deals and leave out a field hidden from them, the
director's are the team's."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest

from ..conftest import create_as_platform, token_for
from .conftest import dashboard_bundle


@pytest.fixture
def people(make_client, tmp_path: Path):  # type: ignore[no-untyped-def]
    client = make_client(dashboard_bundle(tmp_path / "b"))
    app = client.application
    tokens = {name: token_for(app, name, roles=(role,))
              for name, role in (("ann", "seller"), ("dora", "director"))}
    ann = client.get("/api/users/me", headers=_auth(tokens["ann"])).get_json()["id"]
    create_as_platform(client, "deal", name="Ann's deal", stage="open", amount="1234.50",
                       owner=ann, secret="hush")
    create_as_platform(client, "deal", name="Team deal", stage="open", amount="99.00")
    return client, tokens


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _page(client, token: str, url: str) -> str:  # type: ignore[no-untyped-def]
    response = client.get(url, headers=_auth(token))
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _widgets(client, token: str, page: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Every widget's body, fetched as the browser would (hx-get)."""
    urls = [unescape(u) for u in re.findall(r'hx-get="(/dashboard/[^"]+)"', page)]
    return [_page(client, token, url) for url in urls]


def test_a_sellers_dashboard_shows_their_deals_only(people) -> None:  # type: ignore[no-untyped-def]
    client, tokens = people
    page = _page(client, tokens["ann"], "/dashboard")
    assert "<h1>My selling</h1>" in page
    titles = re.findall(r'<h2 id="widget-\d+">([^<]+)</h2>', page)
    assert titles == ["Won this month", "Won by month", "Open deals", "Waiting for me"]
    assert 'class="widget widget-report span-2"' in page
    assert "Ann&#39;s deal" not in page  # the widgets' bodies load afterwards
    number, report, listed, inbox = _widgets(client, tokens["ann"], page)
    assert 'class="figure">—<' in number  # nothing won this month
    assert "No records match." in report
    # a bar report draws the report page's chart (report-chart.js), its table folded
    assert 'data-report-chart="chart-selling-1-data"' in report
    assert '<div hidden id="chart-selling-1-data">' in report
    assert "Ann&#39;s deal" in listed and "1,234.50" in listed
    assert "Team deal" not in listed and "hush" not in listed and "Secret" not in listed
    assert 'href="/deal?stage=open&amp;sort=-amount"' in listed
    assert "Nothing waits for you." in inbox


def test_a_directors_dashboard_counts_the_team(people) -> None:  # type: ignore[no-untyped-def]
    client, tokens = people
    page = _page(client, tokens["dora"], "/dashboard?lang=zh")
    assert "<h1>团队</h1>" in page and "全部在跟商机" in page
    number, listed = _widgets(client, tokens["dora"], page)
    assert 'class="figure">0<' in number  # no deal is won
    assert "Ann&#39;s deal" in listed and "Team deal" in listed
    assert "打开列表" in listed  # the fragment speaks the page's language


def test_the_start_page_shows_the_dashboard_above_the_tiles(people) -> None:  # type: ignore[no-untyped-def]
    client, tokens = people
    page = _page(client, tokens["ann"], "/")
    assert page.index('class="dashboard-grid') < page.index('class="tiles"')
    assert 'hx-get="/dashboard/selling/widgets/0?lang=en"' in page
    # An administrator without a dashboard keeps the start page as it was.
    assert "dashboard-grid" not in client.get("/").get_data(as_text=True)


def test_a_pin_shows_on_the_dashboard_and_a_page_offers_to_pin(people) -> None:  # type: ignore[no-untyped-def]
    client, tokens = people
    report_page = _page(client, tokens["ann"], "/reports/won_by_month?period=this_year")
    assert 'data-api="/api/dashboards/pins"' in report_page
    assert 'name="query" value="period=this_year"' in report_page
    list_page = _page(client, tokens["ann"], "/deal?stage=open")
    assert 'name="target" value="deal"' in list_page
    pin = client.post("/api/dashboards/pins", headers=_auth(tokens["ann"]), json={
        "kind": "report", "target": "won_by_month", "query": "period=this_year"}).get_json()
    page = _page(client, tokens["ann"], "/dashboard")
    assert f'hx-get="/dashboard/pins/{pin["id"]}?lang=en"' in page
    assert f'data-api="/api/dashboards/pins/{pin["id"]}" data-method="DELETE"' in page
    assert "Won deals by month" in page  # the report's label titles the pin
    body = _page(client, tokens["ann"], f"/dashboard/pins/{pin['id']}")
    assert 'href="/reports/won_by_month?period=this_year"' in body


def test_a_dashboard_of_another_role_is_not_found(people) -> None:  # type: ignore[no-untyped-def]
    client, tokens = people
    response = client.get("/dashboard/directing", headers=_auth(tokens["ann"]))
    assert response.status_code == 404
    assert client.get("/dashboard/directing/widgets/0",
                      headers=_auth(tokens["ann"])).status_code == 404
