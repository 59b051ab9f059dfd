"""Hostile query strings: every list parameter refuses or neutralises SQL, and a
scoped caller never sees more than their records whatever they send."""

from __future__ import annotations

from urllib.parse import quote

import pytest
import sqlalchemy as sa

from ..access.conftest import create

PAYLOADS = [
    "' OR '1'='1",
    "1 OR 1=1",
    "1; DROP TABLE customer; --",
    "x') UNION SELECT password_hash FROM mc_users --",
    "%' OR owner IS NOT NULL OR name LIKE '%",
    "\\' OR 1=1 #",
    "1)) OR ((1=1",
    "owner",
    "*",
    "-1 UNION ALL SELECT NULL",
    "'; UPDATE customer SET owner = NULL; --",
]
PARAMETERS = ["name", "name__contains", "name__startswith", "grade__in", "owner", "owner__ne",
              "id__gt", "annual_revenue__lte", "customer.owner", "tags__contains", "q",
              "sort", "fields", "expand", "cursor", "limit", "count", "created_at__gte",
              "owner__isnull"]


@pytest.fixture
def planted(crm, org):  # type: ignore[no-untyped-def]
    mine = create(org["wang"], "customer", name="王的客户")
    create(org["liu"], "customer", name="刘的客户")
    create(org["liu"], "customer", name="刘的第二个客户")
    return mine


@pytest.mark.parametrize("parameter", PARAMETERS)
def test_no_parameter_lets_sql_through(crm, org, planted, db, parameter) -> None:
    entity = "contact" if parameter == "customer.owner" else "customer"
    for payload in PAYLOADS:
        response = org["wang"].get(f"/api/{entity}?{quote(parameter)}={quote(payload)}")
        assert response.status_code in (200, 400), (parameter, payload, response.json)
        if response.status_code == 400:
            assert "errors" in response.json  # a clear refusal, never a 500
            continue
        items = response.json["items"]
        if entity == "customer":
            # whatever the filter, the salesperson sees at most their own customer
            assert {item["id"] for item in items} <= {planted}, (parameter, payload)
    with db.connect() as conn:
        names = sorted(conn.execute(sa.text("SELECT name FROM customer")).scalars())
        owners = conn.execute(sa.text("SELECT count(*) FROM customer WHERE owner IS NOT NULL")
                              ).scalar_one()
    assert names == sorted(["刘的第二个客户", "刘的客户", "王的客户"]) and owners == 3


@pytest.mark.parametrize("payload", [p for p in PAYLOADS if p != "owner"])
def test_hostile_parameter_names_are_unknown_fields(crm, org, planted, payload) -> None:
    response = org["wang"].get(f"/api/customer?{quote(payload)}=1")
    assert response.status_code == 400
    assert "errors" in response.json


def test_a_text_filter_matches_the_text_literally(crm, org, planted) -> None:
    create(org["wang"], "customer", name="100% 纯净 O'Brien_贸易")
    assert len(org["wang"].ids("/api/customer?name__contains=" + quote("100%"))) == 1
    assert len(org["wang"].ids("/api/customer?name__contains=" + quote("O'Brien_"))) == 1
    assert org["wang"].ids("/api/customer?name__contains=" + quote("%")) != []
    assert org["wang"].ids("/api/customer?name__contains=" + quote("_贸易x")) == []


def test_the_path_and_the_body_are_no_way_in_either(crm, org, planted) -> None:
    assert org["wang"].get("/api/customer%3B%20DROP%20TABLE%20customer").status_code == 404
    assert org["wang"].get("/api/customer/1%20OR%201=1").status_code == 404
    response = org["wang"].post("/api/customer", json={"name": "x'); DROP TABLE customer;--"})
    assert response.status_code == 201
    assert response.json["name"] == "x'); DROP TABLE customer;--"
    assert len(org["wang"].ids("/api/customer")) == 2
