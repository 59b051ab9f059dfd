"""A report counts only the records its viewer may read, and refuses to group or sum
by a field hidden from them: a seller's "my won deals by month" and the director's
"the team's" are the same definition."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from metacrm.runtime.report_answer import named_rows
from metacrm.runtime.report_drill import drill_query

from ..conftest import create_as_platform, token_for
from .conftest import sales_bundle

BY_SECRET = """
report: by_secret
entity: deal
rows: secret
measures: [{name: deals, aggregate: count}]
"""
BY_INDUSTRY = """
report: by_industry
entity: deal
rows: account.industry
measures: [{name: deals, aggregate: count}]
"""
BY_OWNER = """
report: by_owner
entity: deal
rows: owner
measures: [{name: deals, aggregate: count}]
"""
DIRECTORS_ONLY = """
report: directors_only
entity: deal
roles: [director]
measures: [{name: deals, aggregate: count}]
"""


@pytest.fixture
def people(make_client, tmp_path: Path):  # type: ignore[no-untyped-def]
    client = make_client(sales_bundle(tmp_path / "b", **{
        "reports/secret.yaml": BY_SECRET, "reports/industry.yaml": BY_INDUSTRY,
        "reports/directors.yaml": DIRECTORS_ONLY, "reports/owner.yaml": BY_OWNER}))
    app = client.application
    tokens = {name: token_for(app, name, roles=(role,))
              for name, role in (("ann", "seller"), ("bob", "seller"), ("dora", "director"))}
    ids = {name: client.get("/api/users/me", headers=_auth(token)).get_json()["id"]
           for name, token in tokens.items()}
    account = create_as_platform(client, "account", name="Ann's", industry="retail",
                                 owner=ids["ann"])
    for index, (owner, amount) in enumerate([("ann", "100.10"), ("ann", "200.20"),
                                             ("bob", "5000.00")]):
        create_as_platform(client, "deal", name=f"D{index}", stage="won", amount=amount,
                           closed_on="2026-03-0" + str(index + 1), owner=ids[owner],
                           account=account, secret="x")
    return client, tokens, ids


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _get(client, token: str, url: str, **params: str) -> Any:  # type: ignore[no-untyped-def]
    return client.get(url, headers=_auth(token), query_string=params)


def test_a_seller_counts_only_their_deals_and_the_director_all(people) -> None:  # type: ignore[no-untyped-def]
    client, tokens, _ = people
    mine = _get(client, tokens["ann"], "/api/reports/won_by_month").get_json()
    assert mine["totals"]["all"] == {"deals": 2, "amount": "300.30"}
    theirs = _get(client, tokens["bob"], "/api/reports/won_by_month").get_json()
    assert theirs["totals"]["all"] == {"deals": 1, "amount": "5000.00"}
    everyone = _get(client, tokens["dora"], "/api/reports/won_by_month").get_json()
    assert everyone["totals"]["all"] == {"deals": 3, "amount": "5300.30"}


def test_the_owner_parameter_me_is_the_viewer(people) -> None:  # type: ignore[no-untyped-def]
    client, tokens, ids = people
    answer = _get(client, tokens["dora"], "/api/reports/won_by_month", owner="me").get_json()
    assert answer["totals"]["all"]["deals"] == 0
    answer = _get(client, tokens["dora"], "/api/reports/won_by_month",
                  owner=str(ids["bob"])).get_json()
    assert answer["totals"]["all"] == {"deals": 1, "amount": "5000.00"}
    assert ["owner", str(ids["bob"])] in answer["filters"]  # the run's, every row's too
    assert f"owner={ids['bob']}" in drill_query(answer, answer["rows"][0], "deals")


def test_a_field_hidden_from_the_viewer_refuses_the_report(people) -> None:  # type: ignore[no-untyped-def]
    client, tokens, _ = people
    response = _get(client, tokens["ann"], "/api/reports/by_secret")
    assert response.status_code == 403
    assert "secret" in str(response.get_json()["errors"])
    names = [r["name"] for r in _get(client, tokens["ann"], "/api/reports").get_json()["items"]]
    assert "by_secret" not in names and "won_by_month" in names
    assert _get(client, tokens["dora"], "/api/reports/by_secret").status_code == 200


def test_a_dimension_through_a_reference_reads_only_readable_records(people) -> None:  # type: ignore[no-untyped-def]
    client, tokens, _ = people
    # bob's deal is of ann's account, which bob may not read: it counts as no industry
    answer = _get(client, tokens["bob"], "/api/reports/by_industry").get_json()
    assert [(r["rows"]["value"], r["values"]["deals"]) for r in named_rows(answer)] == [(None, 1)]
    answer = _get(client, tokens["ann"], "/api/reports/by_industry").get_json()
    assert [(r["rows"]["value"], r["values"]["deals"]) for r in named_rows(answer)] == [
        ("retail", 2)]


def test_a_report_for_some_roles_is_theirs(people) -> None:  # type: ignore[no-untyped-def]
    client, tokens, _ = people
    assert _get(client, tokens["ann"], "/api/reports/directors_only").status_code == 403
    names = [r["name"] for r in _get(client, tokens["ann"], "/api/reports").get_json()["items"]]
    assert "directors_only" not in names
    assert _get(client, tokens["dora"], "/api/reports/directors_only").get_json()[
        "totals"]["all"] == {"deals": 3}


def test_a_renamed_salesperson_is_named_anew_in_the_next_run(people) -> None:  # type: ignore[no-untyped-def]
    """Names of people are kept between runs while the credentials version holds; a
    change of name moves it, so no run shows the old name after the change."""
    client, tokens, ids = people
    labels = {r["rows"]["value"]: r["rows"]["label"] for r in named_rows(
        _get(client, tokens["dora"], "/api/reports/by_owner").get_json())}
    assert labels == {ids["ann"]: "ann", ids["bob"]: "bob"}
    admin = token_for(client.application, "root", admin=True)
    changed = client.patch(f"/api/users/{ids['bob']}", headers=_auth(admin),
                           json={"name": "Robert"})
    assert changed.status_code == 200, changed.get_json()
    labels = {r["rows"]["value"]: r["rows"]["label"] for r in named_rows(
        _get(client, tokens["dora"], "/api/reports/by_owner").get_json())}
    assert labels == {ids["ann"]: "ann", ids["bob"]: "Robert"}
