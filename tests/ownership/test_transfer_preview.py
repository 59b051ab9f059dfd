"""Transfer preview: what would move (the customers and, carried with them, their
open opportunities and planned follow-ups held by the same owner), the target's
holdings, and nothing changed."""

from __future__ import annotations

import pytest

from ..api.conftest import cached_catalogs  # noqa: F401  (a fixture, used by name)
from .sales import audit_trail, book, record, sales_org, transfer

pytestmark = pytest.mark.usefixtures("cached_catalogs")


def test_a_preview_lists_the_records_and_what_they_carry(crm) -> None:
    org = sales_org(crm)
    b = book(crm, org)
    wang, liu = org["wang"], org["liu"]
    response = transfer(org["director"], ids=[b.star, b.river], to=liu.id)
    assert response.status_code == 200, response.json
    answer = response.json
    assert answer["done"] is False
    assert answer["to"] == {"id": liu.id, "username": "liu", "name": "liu"}
    records = answer["records"]
    assert records["customer"] == {"count": 2, "items": [
        {"id": b.star, "title": "上海星河贸易有限公司", "owner": wang.id},
        {"id": b.river, "title": "杭州江南丝绸有限公司", "owner": wang.id}]}
    # only wang's open opportunities and planned follow-ups go along: not the won
    # deal, not the done call, not what liu already holds on the same customer
    assert records["opportunity"]["count"] == 2
    assert records["opportunity"]["items"] == [
        {"id": b.open_opp, "title": "商机 qualify", "owner": wang.id, "with": b.star},
        {"id": b.river_opp, "title": "商机 negotiation", "owner": wang.id, "with": b.river}]
    assert records["activity"] == {"count": 1, "items": [
        {"id": b.planned, "title": "电话回访 planned", "owner": wang.id, "with": b.star}]}
    assert answer["unchanged"] == []
    assert answer["owners"] == {str(wang.id): {"id": wang.id, "username": "wang",
                                               "name": "wang"}}


def test_a_preview_changes_nothing(crm) -> None:
    org = sales_org(crm)
    b = book(crm, org)
    before = {(e, i): record(crm, e, i) for e, i in (
        ("customer", b.star), ("opportunity", b.open_opp), ("activity", b.planned))}
    response = transfer(org["director"], ids=[b.star], to=org["liu"].id, note="只是看看")
    assert response.status_code == 200, response.json
    after = {key: record(crm, *key) for key in before}
    assert after == before
    assert audit_trail(crm) == []


def test_a_preview_shows_the_target_against_their_hold_limit(crm) -> None:
    org = sales_org(crm)
    b = book(crm, org)
    answer = transfer(org["director"], ids=[b.star, b.river], to=org["liu"].id).json
    # liu holds one customer; a salesperson may hold 100 (shipped role)
    assert answer["holdings"]["customer"] == {"held": 1, "gaining": 2, "limit": 100,
                                              "over_limit": False}
    assert answer["holdings"]["opportunity"] == {"held": 1, "gaining": 2, "limit": None,
                                                 "over_limit": False}


def test_signed_customers_do_not_count_towards_the_limit(crm) -> None:
    org = sales_org(crm)
    b = book(crm, org)
    crm.patch(f"/api/customer/{b.river}", json={"lifecycle": "customer",
                                                "phone": "021-5555 0100"})
    answer = transfer(org["director"], ids=[b.star, b.river], to=org["liu"].id).json
    assert answer["records"]["customer"]["count"] == 2
    assert answer["holdings"]["customer"]["gaining"] == 1


def test_records_the_target_already_holds_are_left_out(crm) -> None:
    org = sales_org(crm)
    b = book(crm, org)
    answer = transfer(org["director"], ids=[b.star, b.liu_customer], to=org["liu"].id).json
    assert [i["id"] for i in answer["records"]["customer"]["items"]] == [b.star]
    assert answer["unchanged"] == [b.liu_customer]


def test_from_owner_takes_everything_that_user_holds(crm) -> None:
    org = sales_org(crm)
    b = book(crm, org)
    answer = transfer(org["director"], from_owner=org["wang"].id, to=org["yang"].id).json
    assert [i["id"] for i in answer["records"]["customer"]["items"]] == [b.star, b.river]
    assert answer["records"]["opportunity"]["count"] == 2
    assert answer["records"]["activity"]["count"] == 1
