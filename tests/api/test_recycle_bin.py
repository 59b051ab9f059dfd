"""Deleting moves records to the recycle bin; restore brings them back; references
decide what happens to the records that point at a deleted one (restrict,
cascade, set_null); unique values are free again while their holder is in the
bin (docs/api.md, "Deleting"; docs/definitions.md, "References")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ..conftest import write_bundle

pytestmark = pytest.mark.usefixtures("cached_catalogs")

TREE_BUNDLE = {
    "entities/tree.yaml": """
        entity: parent
        fields:
          name: {type: string, required: true, unique: true}
        ---
        entity: child
        fields:
          name: {type: string}
          parent: {type: reference, to: parent, on_delete: cascade}
        ---
        entity: grandchild
        fields:
          name: {type: string}
          child: {type: reference, to: child, on_delete: cascade}
        ---
        entity: note
        fields:
          text: {type: string}
          parent: {type: reference, to: parent, on_delete: set_null}
          child: {type: reference, to: child, on_delete: set_null}
        ---
        entity: lock
        fields:
          parent: {type: reference, to: parent}
          child: {type: reference, to: child, on_delete: restrict}
        """,
}


@pytest.fixture
def tree(make_client, tmp_path: Path):  # type: ignore[no-untyped-def]
    return make_client(write_bundle(tmp_path / "tree", TREE_BUNDLE))


def _make(client, entity: str, **values: Any) -> int:  # type: ignore[no-untyped-def]
    response = client.post(f"/api/{entity}", json=values)
    assert response.status_code == 201, response.json
    return response.json["id"]


def _live(client, entity: str) -> list[int]:  # type: ignore[no-untyped-def]
    return sorted(i["id"] for i in client.get(f"/api/{entity}?limit=500").json["items"])


def _bin(client, entity: str) -> list[int]:  # type: ignore[no-untyped-def]
    response = client.get(f"/api/{entity}/deleted?limit=500")
    assert response.status_code == 200, response.json
    return sorted(i["id"] for i in response.json["items"])


def _version(client, entity: str, record_id: int) -> int:  # type: ignore[no-untyped-def]
    return client.get(f"/api/{entity}/{record_id}").json["version"]


# --- delete and restore -----------------------------------------------------------------


def test_delete_moves_the_record_to_the_bin(crm, db) -> None:
    kept = _make(crm, "customer", name="北辰科技")
    doomed = _make(crm, "customer", name="星河贸易", city="上海")

    assert crm.delete(f"/api/customer/{doomed}").status_code == 204

    assert crm.get(f"/api/customer/{doomed}").status_code == 404
    assert _live(crm, "customer") == [kept]
    binned = crm.get("/api/customer/deleted").json["items"]
    assert [(c["id"], c["name"], c["city"], c["version"]) for c in binned] == [
        (doomed, "星河贸易", "上海", 2)]
    with db.connect() as conn:  # still in the table, marked
        deleted_at = conn.execute(sa.text("SELECT deleted_at FROM customer WHERE id = :id"),
                                  {"id": doomed}).scalar_one()
    assert deleted_at is not None
    # The bin says when: the same instant as the record's last change.
    assert binned[0]["deleted_at"] == binned[0]["updated_at"]
    assert binned[0]["deleted_at"].startswith(str(deleted_at)[:10])


def test_the_bin_says_when_each_record_was_deleted_even_with_fields(crm) -> None:
    _make(crm, "customer", name="北辰科技")
    doomed = _make(crm, "customer", name="星河贸易")
    crm.delete(f"/api/customer/{doomed}")
    item = crm.get("/api/customer/deleted?fields=name").json["items"][0]
    assert set(item) == {"id", "version", "name", "deleted_at"}
    assert item["deleted_at"]
    [live] = crm.get("/api/customer").json["items"]
    assert "deleted_at" not in live  # a live record has none to tell


def test_the_bin_takes_the_list_query_parameters(crm) -> None:
    ids = [_make(crm, "customer", name=f"客户{i}", grade="AB"[i % 2]) for i in range(5)]
    for record_id in ids:
        crm.delete(f"/api/customer/{record_id}")
    page = crm.get("/api/customer/deleted?grade=A&fields=name&count=true&sort=name").json
    assert page["count"] == 3
    assert [c["name"] for c in page["items"]] == ["客户0", "客户2", "客户4"]
    assert crm.get("/api/customer/deleted?name=无此客户").json["items"] == []
    assert crm.get("/api/customer/deleted?grade=Z").status_code == 400  # no such option
    assert crm.get("/api/customer/deleted?nam=x").status_code == 400


def test_restore_brings_the_record_back_with_a_new_version(crm) -> None:
    tag = _make(crm, "tag", name="VIP")
    customer = crm.post("/api/customer", json={"name": "星河贸易", "tags": [tag]}).json
    crm.delete(f"/api/customer/{customer['id']}")

    response = crm.post(f"/api/customer/{customer['id']}/restore")

    assert response.status_code == 200, response.json
    assert response.headers["ETag"] == '"3"'
    restored = response.json
    assert restored["version"] == 3  # created 1, deleted 2, restored 3
    assert {k: v for k, v in restored.items() if k not in ("version", "updated_at")} == {
        k: v for k, v in customer.items() if k not in ("version", "updated_at")}
    assert crm.get(f"/api/customer/{customer['id']}").status_code == 200
    assert _live(crm, "customer") == [customer["id"]]
    assert _bin(crm, "customer") == []


def test_restore_only_applies_to_records_in_the_bin(crm) -> None:
    customer = _make(crm, "customer", name="星河贸易")
    live = crm.post(f"/api/customer/{customer}/restore")
    assert live.status_code == 409
    assert live.json == {"errors": {"_request": ["This record is not in the recycle bin."]}}
    assert _version(crm, "customer", customer) == 1
    assert crm.post("/api/customer/999/restore").status_code == 404
    assert crm.post("/api/custmer/1/restore").status_code == 404


def test_a_record_in_the_bin_cannot_be_changed_or_deleted_again(crm) -> None:
    customer = _make(crm, "customer", name="星河贸易")
    crm.delete(f"/api/customer/{customer}")
    assert crm.patch(f"/api/customer/{customer}", json={"city": "上海"}).status_code == 404
    assert crm.delete(f"/api/customer/{customer}").status_code == 404
    binned = crm.get("/api/customer/deleted").json["items"][0]
    assert (binned["city"], binned["version"]) == (None, 2)


# --- restrict -----------------------------------------------------------------------------


def test_restrict_refuses_the_delete_naming_the_referrers_and_nothing_changes(crm) -> None:
    customer = _make(crm, "customer", name="星河贸易")
    contact = _make(crm, "contact", name="王经理", customer=customer)
    activity = _make(crm, "activity", subject="拜访", customer=customer)
    opportunity = _make(crm, "opportunity", name="ERP", customer=customer)

    response = crm.delete(f"/api/customer/{customer}")

    assert response.status_code == 409
    expected = ("Cannot delete: 1 Opportunity record(s) still refer to it through "
                f"'customer' (ids {opportunity}).")
    assert response.json == {"errors": {"_request": [expected]}}
    # nothing changed, not even the cascades that would have run first
    assert _version(crm, "customer", customer) == 1
    assert _live(crm, "contact") == [contact] and _version(crm, "contact", contact) == 1
    assert _live(crm, "activity") == [activity]
    assert _bin(crm, "customer") == _bin(crm, "contact") == _bin(crm, "activity") == []
    history = crm.get(f"/api/customer/{customer}/history").json["items"]
    assert [h["action"] for h in history] == ["create"]

    zh = crm.delete(f"/api/customer/{customer}", headers={"Accept-Language": "zh"})
    assert "商机" in zh.json["errors"]["_request"][0]

    crm.delete(f"/api/opportunity/{opportunity}")  # once the referrer is gone
    assert crm.delete(f"/api/customer/{customer}").status_code == 204


def test_restrict_counts_only_live_referrers_and_lists_a_few(tree) -> None:
    parent = _make(tree, "parent", name="p")
    locks = [_make(tree, "lock", parent=parent) for _ in range(7)]
    response = tree.delete(f"/api/parent/{parent}")
    assert response.status_code == 409
    message = response.json["errors"]["_request"][0]
    assert "7 Lock record(s)" in message and "'parent'" in message
    assert ", ".join(map(str, locks[:5])) + "…" in message
    for lock in locks:
        tree.delete(f"/api/lock/{lock}")
    assert tree.delete(f"/api/parent/{parent}").status_code == 204


def test_a_restrict_below_a_cascade_refuses_the_whole_delete(tree) -> None:
    parent = _make(tree, "parent", name="p")
    child = _make(tree, "child", name="c", parent=parent)
    _make(tree, "lock", child=child)
    response = tree.delete(f"/api/parent/{parent}")
    assert response.status_code == 409
    assert "'child'" in response.json["errors"]["_request"][0]
    assert _live(tree, "parent") == [parent] and _live(tree, "child") == [child]
    assert _bin(tree, "child") == []


# --- cascade ------------------------------------------------------------------------------


def test_cascade_moves_the_children_to_the_bin_and_restore_brings_them_back(crm) -> None:
    customer = _make(crm, "customer", name="星河贸易")
    contacts = [_make(crm, "contact", name=n, customer=customer) for n in ("王经理", "李总")]
    activities = [_make(crm, "activity", subject=s, customer=customer) for s in ("拜访", "电话")]
    other = _make(crm, "customer", name="北辰科技")
    unrelated = _make(crm, "contact", name="赵工", customer=other)

    assert crm.delete(f"/api/customer/{customer}").status_code == 204

    assert _bin(crm, "contact") == contacts
    assert _bin(crm, "activity") == activities
    assert _live(crm, "contact") == [unrelated]
    for contact in contacts:
        history = crm.get(f"/api/contact/{contact}/history").json["items"]
        assert (history[0]["action"], history[0]["note"]) == (
            "delete", f"cascade from Customer #{customer}")

    assert crm.post(f"/api/customer/{customer}/restore").status_code == 200
    assert _live(crm, "contact") == sorted(contacts + [unrelated])
    assert _live(crm, "activity") == activities
    assert _bin(crm, "contact") == _bin(crm, "activity") == []
    assert [_version(crm, "contact", c) for c in contacts] == [3, 3]


def test_restore_leaves_children_deleted_on_their_own_in_the_bin(crm) -> None:
    customer = _make(crm, "customer", name="星河贸易")
    first = _make(crm, "contact", name="王经理", customer=customer)
    second = _make(crm, "contact", name="李总", customer=customer)
    crm.delete(f"/api/contact/{first}")  # deleted by hand, before the customer
    crm.delete(f"/api/customer/{customer}")
    crm.post(f"/api/customer/{customer}/restore")
    assert _live(crm, "contact") == [second]
    assert _bin(crm, "contact") == [first]


def test_cascade_goes_down_every_level(tree) -> None:
    parent = _make(tree, "parent", name="p")
    child = _make(tree, "child", name="c", parent=parent)
    grandchildren = [_make(tree, "grandchild", name=f"g{i}", child=child) for i in range(2)]
    tree.delete(f"/api/parent/{parent}")
    assert _bin(tree, "child") == [child] and _bin(tree, "grandchild") == grandchildren
    tree.post(f"/api/parent/{parent}/restore")
    assert _live(tree, "child") == [child] and _live(tree, "grandchild") == grandchildren


def test_restoring_a_customer_restores_followups_that_name_its_contacts(crm) -> None:
    customer = _make(crm, "customer", name="星河贸易")
    contact = _make(crm, "contact", name="王经理", customer=customer)
    activity = _make(crm, "activity", subject="拜访王经理", customer=customer, contact=contact)
    crm.delete(f"/api/customer/{customer}")
    assert _bin(crm, "activity") == [activity]

    response = crm.post(f"/api/customer/{customer}/restore")

    assert response.status_code == 200, response.json
    assert _live(crm, "contact") == [contact]
    assert crm.get(f"/api/activity/{activity}").json["contact"] == contact


# --- set_null -----------------------------------------------------------------------------


def test_set_null_clears_the_reference_and_records_it(crm) -> None:
    customer = _make(crm, "customer", name="星河贸易")
    contact = _make(crm, "contact", name="王经理", customer=customer)
    opportunity = _make(crm, "opportunity", name="ERP", customer=customer, contact=contact)

    assert crm.delete(f"/api/contact/{contact}").status_code == 204

    record = crm.get(f"/api/opportunity/{opportunity}").json
    assert (record["contact"], record["version"]) == (None, 2)
    latest = crm.get(f"/api/opportunity/{opportunity}/history").json["items"][0]
    assert latest["action"] == "update"
    assert latest["changes"] == {"contact": [contact, None]}
    assert latest["note"] == f"cleared by Contact #{contact}"


def test_set_null_and_cascade_together(tree) -> None:
    parent = _make(tree, "parent", name="p")
    child = _make(tree, "child", name="c", parent=parent)
    on_parent = _make(tree, "note", text="about p", parent=parent)
    on_child = _make(tree, "note", text="about c", child=child)
    tree.delete(f"/api/parent/{parent}")
    assert _live(tree, "note") == [on_parent, on_child]  # notes stay, unlinked
    assert tree.get(f"/api/note/{on_parent}").json["parent"] is None
    assert tree.get(f"/api/note/{on_child}").json["child"] is None


# --- restoring under a deleted parent, unique values -----------------------------------------


def test_a_record_cannot_be_restored_while_its_parent_is_in_the_bin(crm) -> None:
    customer = _make(crm, "customer", name="星河贸易")
    opportunity = _make(crm, "opportunity", name="ERP", customer=customer)
    crm.delete(f"/api/opportunity/{opportunity}")
    crm.delete(f"/api/customer/{customer}")

    response = crm.post(f"/api/opportunity/{opportunity}/restore")

    assert response.status_code == 409
    assert response.json == {"errors": {"_request": [
        f"Restore Customer #{customer} first: this record refers to it through 'customer'."]}}
    assert _bin(crm, "opportunity") == [opportunity]

    assert crm.post(f"/api/customer/{customer}/restore").status_code == 200
    assert crm.post(f"/api/opportunity/{opportunity}/restore").status_code == 200
    assert _live(crm, "opportunity") == [opportunity]


def test_a_child_deleted_alone_waits_for_its_parent(crm) -> None:
    customer = _make(crm, "customer", name="星河贸易")
    contact = _make(crm, "contact", name="王经理", customer=customer)
    crm.delete(f"/api/contact/{contact}")
    crm.delete(f"/api/customer/{customer}")
    response = crm.post(f"/api/contact/{contact}/restore", headers={"Accept-Language": "zh"})
    assert response.status_code == 409
    assert response.json["errors"]["_request"][0].startswith(f"请先恢复客户 #{customer}")


def test_a_unique_value_is_free_while_its_holder_is_in_the_bin(crm) -> None:
    old = _make(crm, "tag", name="VIP")
    crm.delete(f"/api/tag/{old}")
    new = crm.post("/api/tag", json={"name": "VIP"})
    assert new.status_code == 201

    response = crm.post(f"/api/tag/{old}/restore")

    assert response.status_code == 409
    assert response.json == {"errors": {"name": ["This value is already used by another record."]}}
    assert _bin(crm, "tag") == [old]
    assert _live(crm, "tag") == [new.json["id"]]

    crm.patch(f"/api/tag/{new.json['id']}", json={"name": "VIP 2"})
    assert crm.post(f"/api/tag/{old}/restore").status_code == 200


def test_autonumbers_are_never_reused(crm) -> None:
    first = crm.post("/api/customer", json={"name": "甲"}).json
    crm.delete(f"/api/customer/{first['id']}")
    second = crm.post("/api/customer", json={"name": "乙"}).json
    assert (first["code"], second["code"]) == ("CUS-000001", "CUS-000002")
    assert crm.post(f"/api/customer/{first['id']}/restore").json["code"] == "CUS-000001"
