"""Transfer execution: the customers and what they carry change hands, with the
assignment time, a new version and one audit row each; everything else stays."""

from __future__ import annotations

from datetime import datetime

import pytest

from ..api.conftest import cached_catalogs  # noqa: F401  (a fixture, used by name)
from ..conftest import SHIPPED_BUNDLE, write_bundle
from .sales import audit_trail, book, owners, record, sales_org, transfer

pytestmark = pytest.mark.usefixtures("cached_catalogs")


def test_a_transfer_moves_the_customers_and_what_the_previous_owner_held(crm) -> None:
    org = sales_org(crm)
    b = book(crm, org)
    wang, liu = org["wang"].id, org["liu"].id
    preview = transfer(org["director"], ids=[b.star, b.river], to=liu).json
    response = transfer(org["director"], ids=[b.star, b.river], to=liu, preview=False)
    assert response.status_code == 200, response.json
    done = response.json
    assert done["done"] is True and done["transfer"]
    assert done["records"] == preview["records"]
    assert owners(crm, "customer", [b.star, b.river, b.liu_customer, b.yang_customer]) == {
        b.star: liu, b.river: liu, b.liu_customer: liu, b.yang_customer: org["yang"].id}
    assert owners(crm, "opportunity", [b.open_opp, b.river_opp, b.won_opp, b.liu_opp]) == {
        b.open_opp: liu, b.river_opp: liu,
        b.won_opp: wang,  # closed: not carried
        b.liu_opp: liu}   # already liu's
    assert owners(crm, "activity", [b.planned, b.done]) == {b.planned: liu, b.done: wang}


def test_moved_records_get_a_new_version_and_assignment_time(crm) -> None:
    org = sales_org(crm)
    b = book(crm, org)
    before = record(crm, "customer", b.star)
    untouched = record(crm, "customer", b.yang_customer)
    transfer(org["director"], ids=[b.star], to=org["liu"].id, preview=False)
    after = record(crm, "customer", b.star)
    assert after["version"] == before["version"] + 1
    assert after["updated_by"] == org["director"].id
    moved_at = datetime.fromisoformat(after["owner_since"])
    assert moved_at > datetime.fromisoformat(before["owner_since"])
    assert after["updated_at"] == after["owner_since"]
    assert record(crm, "opportunity", b.open_opp)["version"] == 2
    assert record(crm, "opportunity", b.won_opp)["version"] == 1
    assert record(crm, "customer", b.yang_customer) == untouched


def test_every_moved_record_has_an_audit_row_naming_the_transfer(crm) -> None:
    org = sales_org(crm)
    b = book(crm, org)
    wang, liu = org["wang"].id, org["liu"].id
    done = transfer(org["director"], ids=[b.star], to=liu, preview=False,
                    note="王芳离职交接").json
    rows = audit_trail(crm)
    assert sorted((r["entity"], r["record_id"]) for r in rows) == sorted([
        ("customer", b.star), ("opportunity", b.open_opp), ("activity", b.planned)])
    assert {r["user_id"] for r in rows} == {org["director"].id}
    by_entity = {r["entity"]: r for r in rows}
    customer = by_entity["customer"]
    assert customer["changes"]["owner"] == [wang, liu]
    assert "owner_since" in customer["changes"]
    assert customer["note"] == f"transfer {done['transfer']} to liu (user #{liu}): 王芳离职交接"
    assert by_entity["opportunity"]["changes"] == {"owner": [wang, liu]}
    assert by_entity["opportunity"]["note"].startswith(
        f"transfer {done['transfer']} with customer #{b.star} to liu")
    history = crm.get(f"/api/customer/{b.star}/history").json["items"]
    assert history[0]["action"] == "transfer"


def test_from_owner_moves_all_their_records_and_only_theirs(crm) -> None:
    org = sales_org(crm)
    b = book(crm, org)
    yang = org["yang"].id
    response = transfer(org["director"], from_owner=org["wang"].id, to=yang, preview=False)
    assert response.status_code == 200, response.json
    assert owners(crm, "customer", [b.star, b.river, b.liu_customer]) == {
        b.star: yang, b.river: yang, b.liu_customer: org["liu"].id}
    assert owners(crm, "opportunity", [b.open_opp, b.river_opp, b.liu_opp]) == {
        b.open_opp: yang, b.river_opp: yang, b.liu_opp: org["liu"].id}


def test_transferring_to_the_current_owner_changes_nothing(crm) -> None:
    org = sales_org(crm)
    b = book(crm, org)
    before = record(crm, "customer", b.star)
    done = transfer(org["director"], ids=[b.star], to=org["wang"].id, preview=False).json
    assert done["done"] is True
    assert done["unchanged"] == [b.star]
    assert done["records"]["customer"]["count"] == 0
    assert done["records"]["opportunity"]["count"] == 0
    assert record(crm, "customer", b.star) == before
    assert audit_trail(crm) == []


def test_a_pool_customer_goes_to_the_target(crm) -> None:
    org = sales_org(crm)
    pool = crm.post("/api/customer", json={"name": "公海客户", "owner": None,
                                          "lifecycle": "public_pool"}).json["id"]
    done = transfer(org["director"], ids=[pool], to=org["wang"].id, preview=False).json
    assert done["records"]["customer"]["items"] == [
        {"id": pool, "title": "公海客户", "owner": None}]
    moved = record(crm, "customer", pool)
    assert moved["owner"] == org["wang"].id and moved["owner_since"] is not None


def test_formulas_reading_the_owner_are_recomputed(make_client, tmp_path) -> None:
    bundle = write_bundle(tmp_path / "formula", {"entities/customer.yaml": """
        extend: customer
        fields:
          with_editor:
            type: formula
            label: {en: Held by its last editor, zh: 由最后修改人持有}
            result: boolean
            expression: "owner == user"
        """}, name="formula", requires=("crm",))
    crm = make_client(SHIPPED_BUNDLE, bundle)
    org = sales_org(crm)
    mine = crm.post("/api/customer", json={"name": "自建客户"}).json
    assert mine["with_editor"] is True
    transfer(org["director"], ids=[mine["id"]], to=org["liu"].id, preview=False)
    assert record(crm, "customer", mine["id"])["with_editor"] is False
