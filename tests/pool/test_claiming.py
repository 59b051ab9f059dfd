"""Claiming a customer from the pool (公海领取): who may, what it changes, and what it
refuses (docs/pool.md, "Claim")."""

from __future__ import annotations

from .conftest import audit_rows, make_record, owners, pool_customer


def test_a_salesperson_claims_a_pool_customer(crm, sales, at) -> None:
    customer = pool_customer(crm)
    wang = sales["wang"]

    response = wang.claim("customer", customer["id"])

    assert response.status_code == 200, response.json
    record = response.json
    assert (record["owner"], record["lifecycle"]) == (wang.id, "lead")  # on_claim applied
    assert record["version"] == customer["version"] + 1
    assert response.headers["ETag"] == f'"{record["version"]}"'
    assert record["owner_since"] is not None  # assigned_at set to now
    assert record["updated_by"] == wang.id
    assert wang.get(f"/api/customer/{customer['id']}").json == record
    assert owners(crm.application, "customer", [customer["id"]]) == {customer["id"]: wang.id}


def test_a_claim_is_audited_with_its_changes(crm, sales) -> None:
    customer = pool_customer(crm)
    wang = sales["wang"]
    claimed = wang.claim("customer", customer["id"]).json

    (row,) = audit_rows(crm.application, "customer", customer["id"], "claim")
    assert row["user_id"] == wang.id and row["note"] is None
    assert row["changes"] == {"owner": [None, wang.id], "lifecycle": ["public_pool", "lead"],
                              "owner_since": [None, claimed["owner_since"]]}
    history = wang.get(f"/api/customer/{customer['id']}/history").json["items"]
    assert [h["action"] for h in history] == ["claim", "create"]


def test_the_pool_is_visible_to_claimers_and_leaves_their_sight_once_claimed(crm, sales
                                                                             ) -> None:
    customer = pool_customer(crm)
    for name in ("wang", "liu", "yang"):
        assert sales[name].get(f"/api/customer/{customer['id']}").status_code == 200
    sales["wang"].claim("customer", customer["id"])
    assert sales["yang"].get(f"/api/customer/{customer['id']}").status_code == 404
    assert sales["east_boss"].get(f"/api/customer/{customer['id']}").status_code == 200


def test_claiming_a_held_customer_one_can_see_is_409(crm, sales) -> None:
    customer = pool_customer(crm)
    assert sales["wang"].claim("customer", customer["id"]).status_code == 200

    again = sales["wang"].claim("customer", customer["id"])
    assert again.status_code == 409
    assert again.json["errors"]["_request"] == [f"You already hold Customer #{customer['id']}."]
    boss = sales["east_boss"].claim("customer", customer["id"])  # sees the team's customers
    assert boss.status_code == 409
    assert boss.json["errors"]["_request"] == [
        (f"Customer #{customer['id']} is already held by someone; only records in the "
         "Public pool can be claimed.")]
    zh = sales["east_boss"].claim("customer", customer["id"], headers={"Accept-Language": "zh"})
    assert zh.json["errors"]["_request"] == [
        f"客户 #{customer['id']} 已有负责人；只能领取公海中的记录。"]
    assert owners(crm.application, "customer", [customer["id"]]) == {
        customer["id"]: sales["wang"].id}


def test_a_customer_out_of_scope_is_404_and_its_existence_is_not_revealed(crm, sales) -> None:
    customer = crm.post("/api/customer", json={"name": "王的老客户",
                                               "owner": sales["wang"].id}).json

    for record_id in (customer["id"], 999_999):
        response = sales["yang"].claim("customer", record_id)
        assert response.status_code == 404
        assert response.json == {"errors": {"id": [f"No Customer with id {record_id}."]}}


def test_a_deleted_customer_cannot_be_claimed(crm, sales) -> None:
    customer = pool_customer(crm)
    assert crm.delete(f"/api/customer/{customer['id']}").status_code == 204
    assert sales["wang"].claim("customer", customer["id"]).status_code == 404


def test_a_role_without_the_claim_operation_is_403(crm, sales) -> None:
    customer = pool_customer(crm)
    response = sales["service"].claim("customer", customer["id"])
    assert response.status_code == 403
    assert response.json["errors"]["_request"] == ["You may not claim Customers."]
    zh = sales["service"].claim("customer", customer["id"], headers={"Accept-Language": "zh"})
    assert zh.json["errors"]["_request"] == ["您没有领取客户的权限。"]
    assert owners(crm.application, "customer", [customer["id"]]) == {customer["id"]: None}


def test_an_entity_without_a_pool_is_404_with_a_clear_message(crm, sales) -> None:
    tag = make_record(crm, "tag", name="重点")
    for url in (f"/api/tag/{tag['id']}/claim", "/api/tag/pool"):
        response = crm.post(url) if url.endswith("claim") else crm.get(url)
        assert response.status_code == 404, url
        assert response.json["errors"]["entity"] == [
            "Tags have no public pool: their records are not claimed or returned."]
    assert crm.post("/api/nonsense/1/claim").status_code == 404


def test_if_match_guards_a_claim(crm, sales) -> None:
    customer = pool_customer(crm)
    stale = sales["wang"].claim("customer", customer["id"], headers={"If-Match": '"7"'})
    assert stale.status_code == 412
    assert owners(crm.application, "customer", [customer["id"]]) == {customer["id"]: None}
    fresh = sales["wang"].claim("customer", customer["id"],
                                headers={"If-Match": f'"{customer["version"]}"'})
    assert fresh.status_code == 200


def test_the_administrator_may_claim_too(crm) -> None:
    customer = pool_customer(crm)
    response = crm.post(f"/api/customer/{customer['id']}/claim")
    assert response.status_code == 200
    assert response.json["owner"] is not None and response.json["lifecycle"] == "lead"


def test_a_claim_grant_with_where_claims_only_those_records(leads_app) -> None:
    from .conftest import Caller

    south = Caller(leads_app.application, "nan", roles=("south_rep",))
    north_lead = make_record(leads_app, "lead", name="北方", region="north", owner=None)
    south_lead = make_record(leads_app, "lead", name="南方", region="south", owner=None)

    assert south.claim("lead", north_lead["id"]).status_code == 404  # not readable at all
    assert south.claim("lead", south_lead["id"]).status_code == 200
