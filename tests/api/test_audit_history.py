"""The audit trail of a record: who did what and when, with every field's old and
new value, newest first (docs/api.md, GET /api/<entity>/<id>/history)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ..conftest import write_bundle

pytestmark = pytest.mark.usefixtures("cached_catalogs")


def _make(client, entity: str, **values: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = client.post(f"/api/{entity}", json=values)
    assert response.status_code == 201, response.json
    return response.json


def _history(client, entity: str, record_id: int) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    response = client.get(f"/api/{entity}/{record_id}/history")
    assert response.status_code == 200, response.json
    return response.json["items"]


def _audit_rows(db) -> int:  # type: ignore[no-untyped-def]
    with db.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM mc_audit")).scalar_one()


def test_create_is_recorded_with_every_value_given_or_defaulted(crm, admin_id) -> None:
    vip = _make(crm, "tag", name="VIP")["id"]
    key = _make(crm, "tag", name="重点")["id"]
    customer = _make(crm, "customer", name="星河贸易", grade="A", city="上海",
                     tags=[key, vip])

    (entry,) = _history(crm, "customer", customer["id"])

    assert entry["action"] == "create"
    assert entry["user_id"] == admin_id()
    assert entry["note"] is None
    assert datetime.fromisoformat(entry["at"]) == datetime.fromisoformat(customer["created_at"])
    changes = entry["changes"]
    assert changes["name"] == [None, "星河贸易"]
    assert changes["grade"] == [None, "A"]
    assert changes["city"] == [None, "上海"]
    assert changes["code"] == [None, "CUS-000001"]  # autonumber
    assert changes["lifecycle"] == [None, "potential"]  # default
    assert changes["tags"] == [None, sorted([vip, key])]
    assert "phone" not in changes  # empty fields are left out
    assert not {"id", "version", "created_at", "updated_at", "created_by"} & set(changes)


def test_an_update_records_only_what_changed(crm, admin_id) -> None:
    customer = _make(crm, "customer", name="星河贸易", grade="A", city="上海")
    crm.patch(f"/api/customer/{customer['id']}", json={"grade": "B", "city": "上海",
                                                       "phone": "021-5555 0101"})
    latest = _history(crm, "customer", customer["id"])[0]
    assert latest["action"] == "update"
    assert latest["user_id"] == admin_id()
    # The phone as stored: cleaned to E.164 (the shipped customer's clean: steps).
    assert latest["changes"] == {"grade": ["A", "B"], "phone": [None, "+862155550101"]}

    crm.patch(f"/api/customer/{customer['id']}", json={"phone": None})
    assert _history(crm, "customer", customer["id"])[0]["changes"] == {
        "phone": ["+862155550101", None]}


def test_a_formula_recomputed_by_an_update_is_recorded_too(crm) -> None:
    customer = _make(crm, "customer", name="星河贸易")
    opportunity = _make(crm, "opportunity", name="ERP", customer=customer["id"],
                        amount="100000.00", probability="50.00")
    crm.patch(f"/api/opportunity/{opportunity['id']}", json={"probability": "80.00"})
    changes = _history(crm, "opportunity", opportunity["id"])[0]["changes"]
    assert changes == {"probability": ["50.00", "80.00"],
                       "weighted_amount": ["50000.00", "80000.00"]}


def test_an_update_that_changes_nothing_leaves_no_entry(crm, db) -> None:
    customer = _make(crm, "customer", name="星河贸易", grade="A")
    rows = _audit_rows(db)
    response = crm.patch(f"/api/customer/{customer['id']}", json={"grade": "A",
                                                                  "name": "星河贸易"})
    assert response.status_code == 200
    assert response.json["version"] == 1
    assert _audit_rows(db) == rows


def test_the_same_amount_written_differently_is_no_change(crm) -> None:
    customer = _make(crm, "customer", name="星河贸易", annual_revenue="1000.00")
    response = crm.patch(f"/api/customer/{customer['id']}", json={"annual_revenue": 1000})
    assert response.json["version"] == 1
    assert [h["action"] for h in _history(crm, "customer", customer["id"])] == ["create"]


def test_history_shows_amounts_as_the_api_does(crm) -> None:
    customer = _make(crm, "customer", name="星河贸易", annual_revenue=1000)
    assert customer["annual_revenue"] == "1000.00"
    changes = _history(crm, "customer", customer["id"])[0]["changes"]
    assert changes["annual_revenue"] == [None, "1000.00"]


def test_multi_reference_changes_are_recorded_as_sorted_lists(crm) -> None:
    t1, t2, t3 = (_make(crm, "tag", name=n)["id"] for n in ("VIP", "重点", "出口"))
    customer = _make(crm, "customer", name="星河贸易", tags=[t1])

    crm.patch(f"/api/customer/{customer['id']}", json={"tags": [t3, t1, t2]})
    assert _history(crm, "customer", customer["id"])[0]["changes"] == {
        "tags": [[t1], sorted([t1, t2, t3])]}

    same = crm.patch(f"/api/customer/{customer['id']}", json={"tags": [t2, t2, t3, t1]})
    assert same.json["version"] == 2  # the same set: no change
    assert len(_history(crm, "customer", customer["id"])) == 2

    crm.patch(f"/api/customer/{customer['id']}", json={"tags": []})
    assert _history(crm, "customer", customer["id"])[0]["changes"] == {
        "tags": [sorted([t1, t2, t3]), []]}
    assert crm.get(f"/api/customer/{customer['id']}").json["tags"] == []


def test_the_whole_life_of_a_record_newest_first(crm, admin_id) -> None:
    customer = _make(crm, "customer", name="星河贸易")
    crm.patch(f"/api/customer/{customer['id']}", json={"grade": "A"})
    crm.delete(f"/api/customer/{customer['id']}")
    crm.post(f"/api/customer/{customer['id']}/restore")
    crm.patch(f"/api/customer/{customer['id']}", json={"grade": "B"})

    history = _history(crm, "customer", customer["id"])

    assert [h["action"] for h in history] == ["update", "restore", "delete", "update", "create"]
    assert [h["changes"].get("grade") for h in history] == [
        ["A", "B"], None, None, [None, "A"], None]
    assert all(h["user_id"] == admin_id() for h in history)
    assert all(isinstance(h["changes"], dict) for h in history)
    ids = [h["id"] for h in history]
    assert ids == sorted(ids, reverse=True)
    times = [datetime.fromisoformat(h["at"]) for h in history]
    assert times == sorted(times, reverse=True)
    assert all(t.utcoffset() == timedelta(0) for t in times)
    assert abs(times[0] - datetime.now(UTC)) < timedelta(minutes=1)


def test_the_history_of_a_record_in_the_bin_can_still_be_read(crm) -> None:
    customer = _make(crm, "customer", name="星河贸易")
    crm.delete(f"/api/customer/{customer['id']}")
    assert [h["action"] for h in _history(crm, "customer", customer["id"])] == [
        "delete", "create"]


def test_history_of_an_unknown_record_or_entity_is_404(crm) -> None:
    assert crm.get("/api/customer/999/history").status_code == 404
    assert crm.get("/api/custmer/1/history").status_code == 404


def test_cascades_are_noted_in_the_childrens_history(crm) -> None:
    customer = _make(crm, "customer", name="星河贸易")
    contact = _make(crm, "contact", name="王经理", customer=customer["id"])
    crm.delete(f"/api/customer/{customer['id']}")
    crm.post(f"/api/customer/{customer['id']}/restore")

    history = _history(crm, "contact", contact["id"])

    assert [(h["action"], h["note"]) for h in history] == [
        ("restore", f"with Customer #{customer['id']}"),
        ("delete", f"cascade from Customer #{customer['id']}"),
        ("create", None)]
    parent = _history(crm, "customer", customer["id"])
    assert [(h["action"], h["note"]) for h in parent] == [
        ("restore", None), ("delete", None), ("create", None)]


SET_NULL_BUNDLE = {
    "entities/tree.yaml": """
        entity: folder
        fields:
          name: {type: string}
        ---
        entity: page
        fields:
          folder: {type: reference, to: folder, on_delete: cascade}
        ---
        entity: link
        fields:
          page: {type: reference, to: page, on_delete: set_null}
        """,
}


def test_set_null_of_one_record_records_the_old_reference(make_client, tmp_path: Path) -> None:
    client = make_client(write_bundle(tmp_path / "tree", SET_NULL_BUNDLE))
    folder = _make(client, "folder", name="f")["id"]
    page = _make(client, "page", folder=folder)["id"]
    link = _make(client, "link", page=page)["id"]
    client.delete(f"/api/page/{page}")
    latest = _history(client, "link", link)[0]
    assert (latest["action"], latest["changes"], latest["note"]) == (
        "update", {"page": [page, None]}, f"cleared by Page #{page}")


def test_set_null_in_a_cascade_records_each_old_reference(make_client, tmp_path: Path) -> None:
    client = make_client(write_bundle(tmp_path / "tree", SET_NULL_BUNDLE))
    folder = _make(client, "folder", name="f")["id"]
    pages = [_make(client, "page", folder=folder)["id"] for _ in range(2)]
    links = [_make(client, "link", page=p)["id"] for p in pages]
    client.delete(f"/api/folder/{folder}")
    for page, link in zip(pages, links, strict=True):
        assert _history(client, "link", link)[0]["changes"] == {"page": [page, None]}


def test_failed_writes_leave_no_trace(crm, db) -> None:
    customer = _make(crm, "customer", name="星河贸易")
    _make(crm, "opportunity", name="ERP", customer=customer["id"])
    rows = _audit_rows(db)
    assert crm.post("/api/customer", json={"name": "x", "grade": "Z"}).status_code == 422
    assert crm.post("/api/customer/bulk", json={"items": [
        {"name": "ok"}, {"name": "x", "lifecycle": "customer"}]}).status_code == 422
    assert crm.patch(f"/api/customer/{customer['id']}", json={"grade": "A"},
                     headers={"If-Match": '"9"'}).status_code == 412
    assert crm.delete(f"/api/customer/{customer['id']}").status_code == 409  # restricted
    assert crm.post(f"/api/customer/{customer['id']}/restore").status_code == 409
    assert _audit_rows(db) == rows


def test_bulk_create_records_one_entry_per_record(crm) -> None:
    items = crm.post("/api/tag/bulk", json={"items": [{"name": "甲"}, {"name": "乙"}]}).json
    for item in items["items"]:
        (entry,) = _history(crm, "tag", item["id"])
        assert entry["action"] == "create"
        assert entry["changes"]["name"] == [None, item["name"]]


def test_a_rollup_moving_is_not_an_update_of_the_parent(crm) -> None:
    customer = _make(crm, "customer", name="星河贸易")
    _make(crm, "activity", subject="拜访", customer=customer["id"])
    record = crm.get(f"/api/customer/{customer['id']}").json
    assert record["followup_count"] == 1
    assert record["version"] == 1
    assert [h["action"] for h in _history(crm, "customer", customer["id"])] == ["create"]


def test_rollups_never_appear_in_the_history(crm) -> None:
    customer = _make(crm, "customer", name="星河贸易")
    (entry,) = _history(crm, "customer", customer["id"])
    assert not {"last_followup_at", "followup_count", "open_opportunities",
                "won_amount"} & set(entry["changes"])
