"""Rollup fields follow the records that refer to them: created, changed, deleted, restored."""

from __future__ import annotations

from ..conftest import create_as_platform


def customer_view(crm, cid: int) -> dict:
    record = crm.get(f"/api/customer/{cid}").json
    return {k: record[k] for k in ("last_followup_at", "followup_count", "open_opportunities",
                                   "won_amount", "version")}


def test_follow_up_activities_set_the_customers_last_follow_up_time(crm) -> None:
    cid = crm.post("/api/customer", json={"name": "星河贸易"}).json["id"]
    assert customer_view(crm, cid) == {"last_followup_at": None, "followup_count": 0,
                                       "open_opportunities": 0, "won_amount": "0.00",
                                       "version": 1}
    first = crm.post("/api/activity", json={"customer": cid, "type": "call", "subject": "电话",
                                            "occurred_at": "2026-11-01T10:00:00Z"}).json["id"]
    second = crm.post("/api/activity", json={"customer": cid, "type": "visit", "subject": "拜访",
                                             "occurred_at": "2026-11-05T02:00:00Z"}).json["id"]
    view = customer_view(crm, cid)
    assert view["last_followup_at"] == "2026-11-05T02:00:00+00:00"
    assert view["followup_count"] == 2
    assert view["version"] == 1  # derived data does not make a colleague's edit stale

    crm.patch(f"/api/activity/{first}", json={"occurred_at": "2026-11-20T09:00:00Z"})
    assert customer_view(crm, cid)["last_followup_at"] == "2026-11-20T09:00:00+00:00"
    assert crm.delete(f"/api/activity/{first}").status_code == 204
    assert customer_view(crm, cid)["last_followup_at"] == "2026-11-05T02:00:00+00:00"
    crm.post(f"/api/activity/{first}/restore")
    assert customer_view(crm, cid)["followup_count"] == 2
    assert second


def test_moving_an_activity_to_another_customer_updates_both(crm) -> None:
    a = crm.post("/api/customer", json={"name": "A"}).json["id"]
    b = crm.post("/api/customer", json={"name": "B"}).json["id"]
    act = crm.post("/api/activity", json={"customer": a, "type": "call", "subject": "x"}).json
    crm.patch(f"/api/activity/{act['id']}", json={"customer": b})
    assert customer_view(crm, a)["followup_count"] == 0
    assert customer_view(crm, b)["followup_count"] == 1


def test_opportunity_counts_and_won_totals_follow_stages(crm) -> None:
    cid = crm.post("/api/customer", json={"name": "C"}).json["id"]
    deal = create_as_platform(crm, "opportunity", name="ERP", customer=cid, amount="12000.50",
                              stage="negotiation", expected_close="2099-01-01")
    assert customer_view(crm, cid)["open_opportunities"] == 1
    won = crm.post(f"/api/opportunity/{deal}/transitions/win")
    assert won.status_code == 200, won.json
    view = customer_view(crm, cid)
    assert (view["open_opportunities"], view["won_amount"]) == (0, "12000.50")
    assert crm.get("/api/customer?won_amount__gte=10000").json["items"][0]["id"] == cid


def test_rollups_cannot_be_written(crm) -> None:
    cid = crm.post("/api/customer", json={"name": "D"}).json["id"]
    response = crm.patch(f"/api/customer/{cid}", json={"followup_count": 99})
    assert response.status_code == 422
    assert response.json["errors"] == {"followup_count": ["This field is read-only."]}


def test_a_rollup_of_a_rollup_has_its_sources_type_whatever_the_file_order(tmp_path) -> None:
    from metacrm.catalog_loader import load_catalog

    from ..conftest import write_bundle

    bundle = write_bundle(tmp_path / "b", {
        "entities/a_order.yaml": """
            entity: a_order
            fields:
              total: {type: rollup, from: section.a_order, aggregate: sum, of: subtotal}
        """,
        "entities/section.yaml": """
            entity: section
            fields:
              a_order: {type: reference, to: a_order}
              subtotal: {type: rollup, from: line.section, aggregate: sum, of: amount}
        """,
        "entities/z_line.yaml": """
            entity: line
            fields:
              section: {type: reference, to: section}
              amount: {type: money}
        """})
    entities = load_catalog([str(bundle)]).entities
    assert entities["a_order"].fields["total"].value_type == "money"
    assert entities["section"].fields["subtotal"].value_type == "money"
