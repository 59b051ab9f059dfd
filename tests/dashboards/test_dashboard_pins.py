"""A person pins a report (with its parameters) or a list (with its filters) to their
own dashboard: checked as their run of it, private to them, shown after their role's
widgets and run as them; unpinned by them only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ..conftest import create_as_platform, token_for
from .conftest import dashboard_bundle


@pytest.fixture
def people(make_client, tmp_path: Path):  # type: ignore[no-untyped-def]
    client = make_client(dashboard_bundle(tmp_path / "b"))
    app = client.application
    tokens = {name: token_for(app, name, roles=("seller",)) for name in ("ann", "bob")}
    ann = client.get("/api/users/me", headers=_auth(tokens["ann"])).get_json()["id"]
    create_as_platform(client, "deal", name="Ann's", stage="open", amount="5.00", owner=ann)
    create_as_platform(client, "deal", name="Nobody's", stage="open", amount="6.00")
    return client, tokens


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _pin(client, token: str, **body: Any) -> Any:  # type: ignore[no-untyped-def]
    return client.post("/api/dashboards/pins", json=body, headers=_auth(token))


def test_pins_are_per_user_and_run_as_their_owner(people) -> None:  # type: ignore[no-untyped-def]
    client, tokens = people
    made = _pin(client, tokens["ann"], kind="list", target="deal",
                query="stage=open&sort=-amount&cursor=x&lang=zh", title="My open deals")
    assert made.status_code == 201
    pin = made.get_json()
    # What belongs to one page of a list (cursor, language) is not kept.
    assert (pin["kind"], pin["target"], pin["query"], pin["span"]) == (
        "list", "deal", "stage=open&sort=-amount", 2)
    report = _pin(client, tokens["ann"], kind="report", target="won_by_month",
                  query="period=this_year", span=1).get_json()
    mine = client.get("/api/dashboards/pins", headers=_auth(tokens["ann"])).get_json()
    assert [p["id"] for p in mine["items"]] == [pin["id"], report["id"]]
    assert client.get("/api/dashboards/pins", headers=_auth(tokens["bob"])).get_json() == {
        "items": []}
    listed = client.get(f"/api/dashboards/pins/{pin['id']}/widget",
                        headers=_auth(tokens["ann"])).get_json()
    assert [i["name"] for i in listed["items"]] == ["Ann's"]  # her scope, not everyone's
    answer = client.get(f"/api/dashboards/pins/{report['id']}/widget",
                        headers=_auth(tokens["ann"])).get_json()
    assert answer["kind"] == "report" and answer["report"]["parameters"][0]["value"] == \
        "this_year"
    # Bob neither sees nor removes Ann's pin.
    assert client.get(f"/api/dashboards/pins/{pin['id']}/widget",
                      headers=_auth(tokens["bob"])).status_code == 404
    assert client.delete(f"/api/dashboards/pins/{pin['id']}",
                         headers=_auth(tokens["bob"])).status_code == 404
    assert client.delete(f"/api/dashboards/pins/{pin['id']}",
                         headers=_auth(tokens["ann"])).status_code == 204
    mine = client.get("/api/dashboards/pins", headers=_auth(tokens["ann"])).get_json()
    assert [p["id"] for p in mine["items"]] == [report["id"]]


@pytest.mark.parametrize(("body", "key", "text"), [
    ({"kind": "chart", "target": "deal"}, "kind", "What to pin: 'report' or 'list'."),
    ({"kind": "report", "target": "nope"}, "target", "No report 'nope' you may run."),
    ({"kind": "list", "target": "account", "query": "industri=retail"}, "query",
     "In the query, industri: unknown field 'industri' of 'account' (did you mean "
     "'industry'?)"),
    ({"kind": "list", "target": "deal", "query": "secret=x"}, "query",
     "In the query, secret: unknown field 'secret' of 'deal'"),
    ({"kind": "report", "target": "won_by_month", "query": "period=someday"}, "query",
     "In the query, period: 'someday' is not a period: one of this_month, last_month, "
     "this_quarter, last_quarter, this_year, last_year, all, or a range "
     "'2026-01-01..2026-03-31' (period_from, period_to)"),
    ({"kind": "list", "target": "deal", "span": 7}, "span",
     "How many columns the widget spans: 1 to 6."),
])
def test_a_bad_pin_is_refused_saying_why(people, body: dict[str, Any], key: str,
                                         text: str) -> None:  # type: ignore[no-untyped-def]
    client, tokens = people
    response = _pin(client, tokens["ann"], **body)
    assert response.status_code == 422
    assert response.get_json()["errors"] == {key: [text]}


def test_the_same_pin_twice_is_a_conflict(people) -> None:  # type: ignore[no-untyped-def]
    client, tokens = people
    assert _pin(client, tokens["ann"], kind="list", target="deal").status_code == 201
    again = _pin(client, tokens["ann"], kind="list", target="deal")
    assert again.status_code == 409
    assert again.get_json()["errors"] == {"target": ["This is already pinned to your "
                                                     "dashboard."]}


def test_the_openapi_document_describes_the_dashboards_api(people) -> None:  # type: ignore[no-untyped-def]
    client, _ = people
    document = client.get("/api/openapi.json").get_json()
    paths = document["paths"]
    assert set(paths["/api/dashboards/pins"]) >= {"get", "post"}
    assert "delete" in paths["/api/dashboards/pins/{id}"]
    assert "get" in paths["/api/dashboards/{name}/widgets/{index}"]
    assert "DashboardPinCreate" in document["components"]["schemas"]
