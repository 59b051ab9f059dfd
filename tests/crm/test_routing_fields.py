"""The fields that decide hold counts, the pool's return and approval routing are not
written by the people those rules hold to account: a salesperson marking their own
leads as signed customers took them out of the hold limit and the automatic return
(135 of 100 held became 210), and an invoice request declared "paid" skipped the
finance manager. The sales director marks customers as signed; finance says whether
an invoice comes before payment."""

from __future__ import annotations

from typing import Any

from ..access.conftest import create, org, person  # noqa: F401 - org is a fixture
from ..workflows.quotes_support import NEXT_MONTH, customer


def test_salespeople_and_managers_do_not_sign_their_own_customers(crm, org) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    wang, boss = org["wang"], org["east_boss"]
    lead = customer(wang)
    for who in (wang, boss):
        refused = who.patch(f"/api/customer/{lead}", json={"lifecycle": "customer",
                                                           "phone": "021-5555 0100"})
        assert refused.status_code == 422, refused.json
        assert refused.json["errors"] == {"lifecycle": ["This field is read-only."]}
        made = who.post("/api/customer", json={"name": "新客户", "lifecycle": "customer"})
        assert made.status_code == 422, made.json
    assert wang.get(f"/api/customer/{lead}").json["lifecycle"] == "potential"
    signed = org["director"].patch(f"/api/customer/{lead}", json={
        "lifecycle": "customer", "phone": "021-5555 0100"})
    assert signed.status_code == 200, signed.json  # the director marks it as signed
    assert wang.get(f"/api/customer/{lead}").json["lifecycle"] == "customer"


def _invoice_request(people: Any, **values: Any) -> Any:
    wang = people["wang"]
    cid = customer(wang)
    contract = create(wang, "contract", name="星河 CRM 合同", customer=cid, amount="20000",
                      signed_on="2025-01-02", start_date="2025-01-02", end_date=NEXT_MONTH)
    return wang.post("/api/invoice", json={
        "contract": contract, "customer": cid, "title": "上海星河贸易有限公司",
        "amount": "20000", "invoice_type": "vat_normal", "receiver_email": "ap@xinghe.cn",
        **values})


def test_an_invoice_request_is_before_payment_until_finance_says(crm, org) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    declared = _invoice_request(org, before_payment=False)
    assert declared.status_code == 422, declared.json
    assert list(declared.json["errors"]) == ["before_payment"]
    made = _invoice_request(org)
    assert made.status_code == 201, made.json
    invoice = made.json["id"]
    assert made.json["before_payment"] is True
    assert org["wang"].patch(f"/api/invoice/{invoice}", json={"before_payment": False}
                             ).status_code == 422
    person(crm, "cfo", roles=("finance_manager",))
    submitted = org["wang"].post(f"/api/invoice/{invoice}/transitions/submit")
    assert submitted.status_code == 200, submitted.json
    chain = org["wang"].get(f"/api/approvals/{submitted.json['_approval']['id']}").json
    assert [s["name"] for s in chain["steps"]] == ["finance", "finance_manager"]
    # finance clears it once the money is in
    invoice = _invoice_request(org).json["id"]
    cleared = org["finance"].patch(f"/api/invoice/{invoice}", json={"before_payment": False})
    assert cleared.status_code == 200, cleared.json
    submitted = org["wang"].post(f"/api/invoice/{invoice}/transitions/submit")
    assert submitted.status_code == 200, submitted.json
    chain = org["wang"].get(f"/api/approvals/{submitted.json['_approval']['id']}").json
    assert [s["name"] for s in chain["steps"]] == ["finance"]
