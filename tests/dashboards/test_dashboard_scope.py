"""Every widget runs as its viewer, through the API's own calls: a seller's number card,
report and list count only their deals and show no field hidden from them; the
director's, the team's. A number card compares with the period before."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from metacrm.runtime.dashboards import change, previous_period

from ..conftest import create_as_platform, token_for
from .conftest import dashboard_bundle

TODAY = datetime.now(UTC).date()
LAST_MONTH = TODAY.replace(day=1) - timedelta(days=1)


@pytest.fixture
def people(make_client, tmp_path: Path):  # type: ignore[no-untyped-def]
    client = make_client(dashboard_bundle(tmp_path / "b"))
    app = client.application
    tokens = {name: token_for(app, name, roles=(role,))
              for name, role in (("ann", "seller"), ("bob", "seller"), ("dora", "director"))}
    ids = {name: client.get("/api/users/me", headers=_auth(token)).get_json()["id"]
           for name, token in tokens.items()}
    for name, owner, stage, day, amount in [
            ("A1", "ann", "won", TODAY, "100.00"), ("A2", "ann", "won", TODAY, "50.50"),
            ("A3", "ann", "won", LAST_MONTH, "100.00"), ("A4", "ann", "open", TODAY, "7.00"),
            ("A5", "ann", "open", TODAY, "9.00"), ("B1", "bob", "won", TODAY, "5000.00"),
            ("B2", "bob", "open", TODAY, "800.00")]:
        create_as_platform(client, "deal", name=name, stage=stage, closed_on=day.isoformat(),
                           amount=amount, owner=ids[owner], secret=f"secret of {name}")
    return client, tokens


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _get(client, token: str, url: str) -> Any:  # type: ignore[no-untyped-def]
    response = client.get(url, headers=_auth(token))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_each_role_has_its_start(people) -> None:  # type: ignore[no-untyped-def]
    client, tokens = people
    assert _get(client, tokens["ann"], "/api/dashboards") == {"default": "selling", "items": [
        {"name": "selling", "label": "My selling", "description": None,
         "roles": ["seller"], "default": True}]}
    assert _get(client, tokens["dora"], "/api/dashboards")["default"] == "directing"
    assert client.get("/api/dashboards/directing",
                      headers=_auth(tokens["ann"])).status_code == 404
    widgets = _get(client, tokens["ann"], "/api/dashboards/selling")["widgets"]
    assert [(w["index"], w["kind"], w["span"]) for w in widgets] == [
        (0, "number", 1), (1, "report", 2), (2, "list", 2), (3, "approvals", 1)]


def test_a_sellers_number_card_counts_their_deals_against_last_month(people) -> None:  # type: ignore[no-untyped-def]
    client, tokens = people
    card = _get(client, tokens["ann"], "/api/dashboards/selling/widgets/0")
    assert (card["kind"], card["value"], card["previous"]) == ("number", "150.50", "100.00")
    assert card["change"] == "0.5050"  # +50.5 %
    assert card["period"]["from"] == TODAY.replace(day=1).isoformat()
    assert card["previous_period"] == {"from": LAST_MONTH.replace(day=1).isoformat(),
                                       "to": LAST_MONTH.isoformat()}
    assert _get(client, tokens["bob"], "/api/dashboards/selling/widgets/0")["value"] == "5000.00"


def test_a_report_widget_is_the_reports_api_answer(people) -> None:  # type: ignore[no-untyped-def]
    client, tokens = people
    widget = _get(client, tokens["ann"], "/api/dashboards/selling/widgets/1")
    api = _get(client, tokens["ann"], "/api/reports/won_by_month")
    assert widget == {"kind": "report", "report": api}
    assert api["totals"]["all"] == {"deals": 3, "amount": "250.50"}
    director = _get(client, tokens["dora"], "/api/dashboards/directing/widgets/0")
    assert director["value"] == 4 and director["previous"] is None  # no period: all time


def test_a_list_widget_lists_only_the_viewers_records_without_hidden_fields(people) -> None:  # type: ignore[no-untyped-def]
    client, tokens = people
    listed = _get(client, tokens["ann"], "/api/dashboards/selling/widgets/2")
    assert [c["name"] for c in listed["columns"]] == ["name", "amount"]  # secret: hidden
    assert [i["name"] for i in listed["items"]] == ["A5", "A4"]  # sorted by -amount
    assert all("secret" not in item for item in listed["items"])
    team = _get(client, tokens["dora"], "/api/dashboards/directing/widgets/1")
    assert sorted(i["name"] for i in team["items"]) == ["A4", "A5", "B2"]


def test_the_inbox_widget_holds_the_viewers_tasks(people) -> None:  # type: ignore[no-untyped-def]
    client, tokens = people
    assert _get(client, tokens["ann"], "/api/dashboards/selling/widgets/3") == {
        "kind": "approvals", "items": [], "more": False}


def test_the_period_before_and_the_change() -> None:
    assert previous_period(date(2026, 3, 1), date(2026, 3, 31)) == (date(2026, 2, 1),
                                                                     date(2026, 2, 28))
    assert previous_period(date(2026, 1, 1), date(2026, 3, 31)) == (date(2025, 10, 1),
                                                                     date(2025, 12, 31))
    assert previous_period(date(2026, 3, 10), date(2026, 3, 19)) == (date(2026, 2, 28),
                                                                     date(2026, 3, 9))
    assert change("150", "100", ratio=False) == "0.5000"
    assert change("0.30", "0.25", ratio=True) == "0.0500"
    assert change(5, 0, ratio=False) is None  # no base to compare with
