"""A read-only field with a default takes only its default when a record is created,
unless a role grants it (``set_on_create``): a salesperson created an invoice with
``applicant`` = the sales director, and a booking with ``requested_by`` = someone
else, and those fields decide who may fire transitions and who is told."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..conftest import write_bundle
from ..workflows.quotes_support import NEXT_MONTH, customer
from .conftest import create, org, person  # noqa: F401 - org is a fixture, used by name


def _invoice(who, contract: int, customer_id: int, **values):  # type: ignore[no-untyped-def]
    return who.post("/api/invoice", json={
        "contract": contract, "customer": customer_id, "title": "上海星河贸易有限公司",
        "amount": "1000", "invoice_type": "vat_normal", "receiver_email": "ap@xinghe.cn",
        **values})


def test_an_invoice_request_is_made_by_whoever_makes_it(crm, org) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    wang, director = org["wang"], org["director"]
    cid = customer(wang)
    contract = create(wang, "contract", name="合同", customer=cid, amount="1000",
                      end_date=NEXT_MONTH)
    refused = _invoice(wang, contract, cid, applicant=director.id)
    assert refused.status_code == 422, refused.json
    assert refused.json["errors"] == {"applicant": [
        "This field takes its default when a record is created; your role may not choose it."]}
    same = _invoice(wang, contract, cid, applicant=wang.id)  # the default itself is fine
    assert same.status_code == 201, same.json
    made = _invoice(wang, contract, cid)
    assert made.status_code == 201 and made.json["applicant"] == wang.id
    by_admin = _invoice(crm, contract, cid, applicant=wang.id)  # administrators may
    assert by_admin.status_code == 201 and by_admin.json["applicant"] == wang.id


def test_a_booking_is_requested_by_its_creator_unless_the_desk_records_it(crm, org) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    wang, liu, desk = org["wang"], org["liu"], org["service"]
    cid = customer(wang)
    booking = {"subject": "产品演示", "customer": cid, "mode": "remote"}
    refused = wang.post("/api/service_booking", json={**booking, "requested_by": liu.id})
    assert refused.status_code == 422, refused.json
    assert list(refused.json["errors"]) == ["requested_by"]
    zh = wang.post("/api/service_booking", json={**booking, "requested_by": liu.id},
                   headers={"Accept-Language": "zh"})
    assert zh.json["errors"]["requested_by"] == ["该字段在新建记录时取默认值，您的角色不能指定。"]
    # the service desk takes bookings on the phone: its role may say who asked
    recorded = desk.post("/api/service_booking", json={**booking, "requested_by": wang.id})
    assert recorded.status_code == 201, recorded.json
    assert recorded.json["requested_by"] == wang.id


def test_a_counter_starts_at_its_default(crm, org) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    wang = org["wang"]
    cid = customer(wang)
    refused = wang.post("/api/ticket", json={"subject": "无法登录", "customer": cid,
                                             "description": "登录报错", "reopened": 7})
    assert refused.status_code == 422
    assert list(refused.json["errors"]) == ["reopened"]


GRANTED = {
    "entities/claim.yaml": """
        entity: expense_claim
        fields:
          title: {type: string}
          claimant: {type: user, default: $user, readonly: true}
          approved_on: {type: date, readonly: true}
        """,
    "roles/roles.yaml": """
        role: staff
        permissions:
          expense_claim: {operations: [read, create, update]}
        ---
        role: assistant
        permissions:
          expense_claim:
            operations: [read, create]
            fields: {claimant: set_on_create}    # files claims for their boss
        """,
}


@pytest.fixture
def claims(make_client, tmp_path: Path):  # type: ignore[no-untyped-def]
    crm = make_client(write_bundle(tmp_path / "claims", GRANTED, name="claims"))
    return crm, person(crm, "staff", roles=("staff",)), person(crm, "assistant",
                                                                roles=("assistant",))


def test_a_role_granted_set_on_create_may_choose_it_once(claims) -> None:  # type: ignore[no-untyped-def]
    crm, staff, assistant = claims
    filed = assistant.post("/api/expense_claim", json={"title": "差旅", "claimant": staff.id})
    assert filed.status_code == 201, filed.json
    assert filed.json["claimant"] == staff.id
    refused = staff.post("/api/expense_claim", json={"title": "差旅", "claimant": assistant.id})
    assert refused.status_code == 422
    changed = crm.patch(f"/api/expense_claim/{filed.json['id']}", json={"claimant": 1})
    assert changed.status_code == 422  # read-only afterwards, whoever asks
    # a read-only field without a default is still set on create, as before
    dated = staff.post("/api/expense_claim", json={"title": "x", "approved_on": "2025-01-02"})
    assert dated.status_code == 201, dated.json
