"""Hold limits (销售保有量) on claims: a role's hold_limit bounds what a user holds,
records matching the pool's hold_limit_excludes do not count."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from .conftest import Caller, make_record, owners, pool_customer


def _hold(app: Any, owner: int, count: int, lifecycle: str) -> None:
    """``count`` customers held by ``owner``, inserted directly (fast)."""
    from metacrm.base.context import utcnow

    platform = app.extensions["metacrm"]
    table = platform.compiled.metadata.tables["customer"]
    now = utcnow()
    rows = [{"name": f"客户 {lifecycle} {i}", "code": f"T-{lifecycle}-{owner}-{i}",
             "lifecycle": lifecycle, "owner": owner, "owner_since": now, "version": 1,
             "created_at": now, "updated_at": now} for i in range(count)]
    with platform.writing() as conn:
        conn.execute(sa.insert(table), rows)


def test_a_salesperson_at_the_limit_cannot_claim_409_naming_held_and_limit(crm, sales
                                                                           ) -> None:
    wang = sales["wang"]
    _hold(crm.application, wang.id, 100, "lead")  # the salesperson role: hold_limit 100
    customer = pool_customer(crm)

    response = wang.claim("customer", customer["id"])

    assert response.status_code == 409
    assert response.json["errors"]["_request"] == [
        "Would hold more than the limit: 100 Customers held, at most 100 allowed."]
    zh = wang.claim("customer", customer["id"], headers={"Accept-Language": "zh"})
    assert zh.json["errors"]["_request"] == ["超出保有上限：已持有 100 个客户，最多允许 100 个。"]
    assert owners(crm.application, "customer", [customer["id"]]) == {customer["id"]: None}


def test_signed_customers_do_not_count_towards_the_limit(crm, sales) -> None:
    wang = sales["wang"]
    _hold(crm.application, wang.id, 99, "lead")
    _hold(crm.application, wang.id, 5, "customer")  # hold_limit_excludes: {lifecycle: customer}
    first, second = pool_customer(crm, "甲"), pool_customer(crm, "乙")

    assert wang.claim("customer", first["id"]).status_code == 200  # 99 + 1 = 100
    refused = wang.claim("customer", second["id"])
    assert refused.status_code == 409
    assert "100 Customers held, at most 100" in refused.json["errors"]["_request"][0]


def test_the_limit_belongs_to_the_claimer_not_their_team(crm, sales) -> None:
    _hold(crm.application, sales["wang"].id, 100, "lead")
    customer = pool_customer(crm)
    assert sales["liu"].claim("customer", customer["id"]).status_code == 200


def test_records_created_and_claimed_count_alike(leads_app) -> None:
    rep = Caller(leads_app.application, "rep", roles=("rep",))  # hold_limit: 3
    assert rep.post("/api/lead", json={"name": "自建 1"}).status_code == 201
    assert rep.post("/api/lead", json={"name": "自建 2"}).status_code == 201
    pooled = [make_record(leads_app, "lead", name=f"公海 {i}", owner=None)["id"]
              for i in range(2)]

    assert rep.claim("lead", pooled[0]).status_code == 200
    refused = rep.claim("lead", pooled[1])
    assert refused.status_code == 409
    assert refused.json["errors"]["_request"] == [
        "Would hold more than the limit: 3 Leads held, at most 3 allowed."]


def test_won_leads_are_excluded_in_a_small_bundle_too(leads_app) -> None:
    app = leads_app.application
    rep = Caller(app, "rep", roles=("rep",))
    for i in range(3):
        make_record(leads_app, "lead", name=f"赢单 {i}", owner=rep.id, status="won")
    pooled = make_record(leads_app, "lead", name="公海", owner=None)

    assert rep.claim("lead", pooled["id"]).status_code == 200


def test_releasing_makes_room_under_the_limit(leads_app) -> None:
    rep = Caller(leads_app.application, "rep", roles=("rep",))
    pooled = [make_record(leads_app, "lead", name=f"公海 {i}", owner=None)["id"]
              for i in range(4)]
    for record_id in pooled[:3]:
        assert rep.claim("lead", record_id).status_code == 200
    assert rep.claim("lead", pooled[3]).status_code == 409

    assert rep.release("lead", pooled[0], "客户无意向").status_code == 200
    assert rep.claim("lead", pooled[3]).status_code == 200
