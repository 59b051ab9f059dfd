"""Releasing a customer to the pool by hand (退回公海): a reason is required, only
what the caller holds (or their team holds, for a manager) can go back."""

from __future__ import annotations

from .conftest import audit_rows, make_record, owners, pool_customer


def _held_by(who, crm) -> dict:  # type: ignore[no-untyped-def]
    customer = pool_customer(crm)
    response = who.claim("customer", customer["id"])
    assert response.status_code == 200, response.json
    return dict(response.json)


def test_a_salesperson_releases_their_customer_with_a_reason(crm, sales) -> None:
    wang = sales["wang"]
    held = _held_by(wang, crm)

    response = wang.release("customer", held["id"], "客户暂无采购计划")

    assert response.status_code == 200, response.json
    record = response.json
    assert (record["owner"], record["owner_since"]) == (None, None)
    assert record["lifecycle"] == "public_pool"  # on_return applied
    assert record["version"] == held["version"] + 1
    assert response.headers["ETag"] == f'"{record["version"]}"'
    assert owners(crm.application, "customer", [held["id"]]) == {held["id"]: None}
    # Back in the pool: anyone who may claim sees it again.
    assert sales["yang"].get(f"/api/customer/{held['id']}").status_code == 200


def test_the_release_is_audited_with_the_reason_as_its_note(crm, sales) -> None:
    wang = sales["wang"]
    held = _held_by(wang, crm)
    wang.release("customer", held["id"], "  客户暂无采购计划 ")

    (row,) = audit_rows(crm.application, "customer", held["id"], "release")
    assert row["user_id"] == wang.id
    assert row["note"] == "客户暂无采购计划"
    returned = wang.get(f"/api/customer/{held['id']}").json["returned_to_pool_at"]
    assert row["changes"] == {"owner": [wang.id, None],
                              "lifecycle": ["lead", "public_pool"],
                              "owner_since": [held["owner_since"], None],
                              "returned_to_pool_at": [None, returned]}
    assert returned is not None
    history = wang.get(f"/api/customer/{held['id']}/history").json["items"]
    assert history[0]["action"] == "release" and history[0]["note"] == "客户暂无采购计划"


def test_a_reason_is_required_and_at_most_500_characters(crm, sales, subtests) -> None:
    wang = sales["wang"]
    held = _held_by(wang, crm)
    for reason in (None, "", "   ", 42, ["x"], "长" * 501):
        with subtests.test(reason=reason):
            response = wang.release("customer", held["id"], reason)
            assert response.status_code == 422
            assert list(response.json["errors"]) == ["reason"]
    missing = wang.post(f"/api/customer/{held['id']}/release", json={})
    assert missing.json["errors"]["reason"] == [
        "Say why the record goes back to the pool (text, at most 500 characters)."]
    zh = wang.post(f"/api/customer/{held['id']}/release", json={},
                   headers={"Accept-Language": "zh"})
    assert zh.json["errors"]["reason"] == ["请填写退回公海的原因（文本，最多 500 个字符）。"]
    assert wang.release("customer", held["id"], "长" * 500).status_code == 200


def test_a_misspelt_key_or_a_body_that_is_not_an_object_is_refused(crm, sales) -> None:
    wang = sales["wang"]
    held = _held_by(wang, crm)
    typo = wang.post(f"/api/customer/{held['id']}/release", json={"reson": "x"})
    assert typo.status_code == 422 and "reson" in typo.json["errors"]
    assert wang.post(f"/api/customer/{held['id']}/release", json=["x"]).status_code == 400
    assert wang.post(f"/api/customer/{held['id']}/release").status_code == 400
    assert owners(crm.application, "customer", [held["id"]]) == {held["id"]: wang.id}


def test_a_manager_releases_a_customer_of_their_team(crm, sales) -> None:
    held = _held_by(sales["wang"], crm)
    response = sales["east_boss"].release("customer", held["id"], "长期无跟进")
    assert response.status_code == 200
    (row,) = audit_rows(crm.application, "customer", held["id"], "release")
    assert row["user_id"] == sales["east_boss"].id


def test_someone_elses_customer_is_404_and_a_pool_customer_409(crm, sales) -> None:
    held = _held_by(sales["wang"], crm)
    assert sales["liu"].release("customer", held["id"]).status_code == 404  # a team mate
    assert sales["yang"].release("customer", held["id"]).status_code == 404
    assert sales["wang"].release("customer", 999_999).status_code == 404

    pooled = pool_customer(crm, "公海客户")
    response = sales["wang"].release("customer", pooled["id"])
    assert response.status_code == 409
    assert response.json["errors"]["_request"] == [
        f"Customer #{pooled['id']} is not held by anyone: it is already in the Public pool."]
    assert crm.post(f"/api/customer/{pooled['id']}/release",
                    json={"reason": "x"}).status_code == 409


def test_readable_but_out_of_reach_is_403(crm, sales) -> None:
    # The service agent reads every customer but may not release any.
    held = _held_by(sales["wang"], crm)
    response = sales["service"].release("customer", held["id"])
    assert response.status_code == 403
    assert response.json["errors"]["_request"][0].startswith("You may not ")


def test_if_match_guards_a_release(crm, sales) -> None:
    wang = sales["wang"]
    held = _held_by(wang, crm)
    stale = wang.release("customer", held["id"], headers={"If-Match": f'"{held["version"] - 1}"'})
    assert stale.status_code == 412
    assert owners(crm.application, "customer", [held["id"]]) == {held["id"]: wang.id}
    fresh = wang.release("customer", held["id"], headers={"If-Match": f'"{held["version"]}"'})
    assert fresh.status_code == 200


def test_a_role_may_release_where_it_may_update(leads_app) -> None:
    from .conftest import Caller

    south = Caller(leads_app.application, "nan", roles=("south_rep",))  # claim, no release
    lead = make_record(leads_app, "lead", name="南方", region="south", owner=None)
    assert south.claim("lead", lead["id"]).status_code == 200
    assert south.release("lead", lead["id"]).status_code == 403


def test_the_last_return_stays_on_the_record_once_claimed_and_no_one_may_write_it(
        crm, sales) -> None:  # type: ignore[no-untyped-def]
    wang, yang = sales["wang"], sales["yang"]
    held = _held_by(wang, crm)
    returned = wang.release("customer", held["id"], "客户暂无采购计划").json
    assert returned["returned_to_pool_at"] is not None

    claimed = yang.claim("customer", held["id"]).json
    assert claimed["owner"] == yang.id
    assert claimed["returned_to_pool_at"] == returned["returned_to_pool_at"]
    refused = yang.patch(f"/api/customer/{held['id']}",
                         json={"returned_to_pool_at": "2020-01-01T00:00:00+00:00"},
                         headers={"If-Match": str(claimed["version"])})
    assert refused.status_code == 422 and list(refused.json["errors"]) == ["returned_to_pool_at"]
