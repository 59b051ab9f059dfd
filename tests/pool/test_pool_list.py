"""GET /api/<entity>/pool: the records nobody holds, with the list's parameters."""

from __future__ import annotations

from .conftest import pool_customer


def _ids(response) -> list[int]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.json
    return sorted(item["id"] for item in response.json["items"])


def test_the_pool_lists_only_records_nobody_holds(crm, sales) -> None:
    wang = sales["wang"]
    pooled = [pool_customer(crm, f"公海 {i}")["id"] for i in range(3)]
    mine = wang.post("/api/customer", json={"name": "自己的"}).json["id"]
    wang.claim("customer", pooled[0])

    assert _ids(wang.get("/api/customer/pool")) == pooled[1:]
    assert mine in _ids(wang.get("/api/customer"))  # the plain list has both
    assert _ids(crm.get("/api/customer/pool")) == pooled[1:]


def test_the_pool_takes_the_lists_parameters(crm, sales) -> None:
    a = pool_customer(crm, "甲", grade="A", annual_revenue="3000000")["id"]
    b = pool_customer(crm, "乙", grade="A", annual_revenue="5000000")["id"]
    pool_customer(crm, "丙", grade="C")
    response = sales["wang"].get("/api/customer/pool?grade=A&sort=-annual_revenue&count=true"
                                 "&fields=name")
    assert response.status_code == 200
    assert [item["id"] for item in response.json["items"]] == [b, a]
    assert response.json["count"] == 2
    assert set(response.json["items"][0]) == {"id", "version", "name"}
    bad = sales["wang"].get("/api/customer/pool?grade__nope=A")
    assert bad.status_code == 400


def test_the_pool_needs_the_claim_operation(crm, sales) -> None:
    pool_customer(crm)
    response = sales["service"].get("/api/customer/pool")
    assert response.status_code == 403
    assert response.json["errors"]["_request"] == ["You may not claim Customers."]


def test_the_pool_list_is_translated_and_unknown_entities_are_404(crm) -> None:
    response = crm.get("/api/tag/pool", headers={"Accept-Language": "zh"})
    assert response.status_code == 404
    assert response.json["errors"]["entity"] == ["标签没有公海：其记录不能领取或退回。"]
    assert crm.get("/api/custmer/pool").status_code == 404
