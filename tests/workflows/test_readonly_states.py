"""A workflow may declare states in which its record is read-only (an approved quote,
a signed contract, an issued invoice), together with the records named in its
``with`` (the quote's lines): a PATCH or DELETE is 409 naming the state; transitions
still fire from it, and one out of it (revise) reopens the record."""

from __future__ import annotations

from typing import Any

import pytest

from ..access.conftest import org, person  # noqa: F401 - org is a fixture, used by name
from ..conftest import create_as_platform, write_bundle
from .quotes_support import customer, error_text, figures, line, product, quote, submit


@pytest.fixture
def approved(crm, org) -> dict[str, Any]:  # type: ignore[no-untyped-def]  # noqa: F811
    """wang's quote, approved by his manager."""
    wang = org["wang"]
    pid = product(crm)
    qid = quote(wang, customer(wang))
    first = line(wang, qid, pid, discount="10")
    chain = submit(wang, qid)
    decided = org["east_boss"].post(f"/api/approvals/{chain}/approve")
    assert decided.status_code == 200, decided.json
    assert figures(wang, qid)["status"] == "approved"
    return {"crm": crm, "wang": wang, "quote": qid, "line": first, "product": pid}


def test_an_approved_quote_is_read_only(approved) -> None:  # type: ignore[no-untyped-def]
    wang, qid = approved["wang"], approved["quote"]
    edited = wang.patch(f"/api/quote/{qid}", json={"notes": "加送一年维护"})
    assert edited.status_code == 409, edited.json
    text = error_text(edited)
    assert "Approved" in text and "Revise" in text
    assert wang.delete(f"/api/quote/{qid}").status_code == 409
    zh = wang.patch(f"/api/quote/{qid}", json={"notes": "x"}, headers={"Accept-Language": "zh"})
    assert "审批通过" in error_text(zh)


def test_its_lines_are_read_only_with_it(approved) -> None:  # type: ignore[no-untyped-def]
    wang, qid = approved["wang"], approved["quote"]
    before = figures(wang, qid)
    raised = wang.patch(f"/api/quote_line/{approved['line']}", json={"discount": "60"})
    assert raised.status_code == 409, raised.json
    assert "Quote lines" in error_text(raised)
    added = wang.post("/api/quote_line", json={"quote": qid, "product": approved["product"],
                                               "unit_price": "400000"})
    assert added.status_code == 409, added.json
    assert wang.delete(f"/api/quote_line/{approved['line']}").status_code == 409
    assert approved["crm"].patch(f"/api/quote_line/{approved['line']}",
                                 json={"discount": "60"}).status_code == 409
    assert figures(wang, qid) == before


def test_a_transition_brings_only_the_fields_it_requires(approved) -> None:  # type: ignore[no-untyped-def]
    wang, qid = approved["wang"], approved["quote"]
    smuggled = wang.post(f"/api/quote/{qid}/transitions/send",
                         json={"values": {"payment_terms": "货到付款"}})
    assert smuggled.status_code == 409, smuggled.json
    assert smuggled.json["errors"] == {"payment_terms": [
        f"Quote #{qid} is Approved, and read-only in that state: only the fields “Mark as "
        "sent” requires (-) may come with it."]}
    assert figures(wang, qid)["status"] == "approved"


def test_transitions_still_fire_and_revise_reopens_it(approved) -> None:  # type: ignore[no-untyped-def]
    wang, qid = approved["wang"], approved["quote"]
    sent = wang.post(f"/api/quote/{qid}/transitions/send")
    assert sent.status_code == 200, sent.json
    assert wang.patch(f"/api/quote/{qid}", json={"notes": "x"}).status_code == 409
    declined = wang.post(f"/api/quote/{qid}/transitions/decline",
                         json={"values": {"decline_reason": "预算冻结"}})
    assert declined.status_code == 200, declined.json  # its required field comes with it
    revised = wang.post(f"/api/quote/{qid}/transitions/revise")
    assert revised.status_code == 200, revised.json
    assert wang.patch(f"/api/quote_line/{approved['line']}",
                      json={"discount": "20"}).status_code == 200
    assert wang.patch(f"/api/quote/{qid}", json={"notes": "改价"}).status_code == 200


# --- a bundle of its own --------------------------------------------------------------

ORDERS = {
    "entities/orders.yaml": """
        entity: order
        label: {en: Order, zh: 订单}
        fields:
          name: {type: string}
          status:
            type: choice
            options:
              - {value: draft, label: {en: Draft, zh: 草稿}}
              - {value: signed, label: {en: Signed, zh: 已签署}}
          total: {type: rollup, from: order_line.order, aggregate: sum, of: amount}
        ---
        entity: order_line
        label: {en: Order line, zh: 订单行}
        plural: {en: Order lines, zh: 订单行}
        fields:
          order: {type: reference, to: order, required: true, on_delete: cascade}
          amount: {type: money}
        ---
        entity: note
        fields:
          order: {type: reference, to: order, required: true}
          text: {type: string}
        """,
    "workflows/orders.yaml": """
        workflow: order_flow
        entity: order
        field: status
        read_only:
          states: [signed]
          with: [order_line.order]
        transitions:
          - name: sign
            label: {en: Sign, zh: 签署}
            from: draft
            to: signed
            actions:
              - create: {entity: order_line, values: {order: id, amount: "0.0"}}
          - name: reopen
            label: {en: Reopen, zh: 重新打开}
            from: signed
            to: draft
            who: {roles: [chief]}
        """,
    "roles/roles.yaml": """
        role: clerk
        permissions:
          order: {operations: [read, create, update, delete]}
          order_line: {operations: [read, create, update, delete]}
          note: {operations: [read, create, update]}
        ---
        role: chief
        permissions:
          order: {operations: [read, update]}
        """,
}


@pytest.fixture
def signed(make_client, tmp_path) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    crm = make_client(write_bundle(tmp_path / "orders", ORDERS, name="orders"))
    clerk = person(crm, "clerk", roles=("clerk",))
    chief = person(crm, "chief", roles=("chief",))
    order = clerk.post("/api/order", json={"name": "PO-1"}).json["id"]
    first = clerk.post("/api/order_line", json={"order": order, "amount": "100"}).json["id"]
    assert clerk.post(f"/api/order/{order}/transitions/sign").status_code == 200
    return {"crm": crm, "clerk": clerk, "chief": chief, "order": order, "line": first}


def test_the_workflows_own_actions_and_the_platform_still_write(signed) -> None:  # type: ignore[no-untyped-def]
    crm = signed["crm"]
    shown = crm.get(f"/api/order/{signed['order']}").json
    assert shown["status"] == "signed"
    lines = crm.get(f"/api/order_line?order={signed['order']}").json["items"]
    assert len(lines) == 2  # the sign transition created one in the read-only state
    create_as_platform(crm, "order_line", order=signed["order"], amount="5")  # an import


def test_only_what_with_names_is_locked_with_the_record(signed) -> None:  # type: ignore[no-untyped-def]
    clerk = signed["clerk"]
    refused = clerk.patch(f"/api/order_line/{signed['line']}", json={"amount": "1"})
    assert refused.status_code == 409, refused.json
    assert error_text(refused) == ("Order #1 is Signed, and read-only in that state, as are "
                                   "its Order lines; a transition out of it (Reopen) changes "
                                   "that.")
    note = clerk.post("/api/note", json={"order": signed["order"], "text": "客户已付定金"})
    assert note.status_code == 201, note.json


def test_a_transition_out_of_the_state_reopens_it(signed) -> None:  # type: ignore[no-untyped-def]
    clerk, chief, order = signed["clerk"], signed["chief"], signed["order"]
    refused = clerk.patch(f"/api/order/{order}", json={"name": "PO-2"})
    assert refused.status_code == 409
    assert error_text(refused) == ("Order #1 is Signed, and read-only in that state; a "
                                   "transition out of it (Reopen) changes that.")
    assert clerk.post(f"/api/order/{order}/transitions/reopen").status_code == 403
    assert chief.post(f"/api/order/{order}/transitions/reopen").status_code == 200
    assert clerk.patch(f"/api/order/{order}", json={"name": "PO-2"}).status_code == 200
    assert clerk.patch(f"/api/order_line/{signed['line']}", json={"amount": "1"}
                       ).status_code == 200


def test_its_page_offers_no_edit_nor_new_line_and_says_why(approved) -> None:  # type: ignore[no-untyped-def]
    wang, qid = approved["wang"], approved["quote"]
    page = wang.get(f"/quote/{qid}").get_data(as_text=True)
    assert f'/quote/{qid}/edit"' not in page
    assert f"Quote #{qid} is Approved, and read-only in that state" in page
    assert "/quote_line/new?quote=" not in page  # its lines are locked with it
    edit = wang.get(f"/quote/{qid}/edit")
    assert edit.status_code == 409 and "read-only" in edit.get_data(as_text=True)
    revised = wang.post(f"/api/quote/{qid}/transitions/revise")
    assert revised.status_code == 200, revised.json
    page = wang.get(f"/quote/{qid}").get_data(as_text=True)
    assert f'/quote/{qid}/edit"' in page and "/quote_line/new?quote=" in page
    assert wang.get(f"/quote/{qid}/edit").status_code == 200


def test_a_quote_waiting_for_its_approval_offers_no_edit(crm, org) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    wang = org["wang"]
    qid = quote(wang, customer(wang))
    line(wang, qid, product(crm))
    submit(wang, qid)
    page = wang.get(f"/quote/{qid}").get_data(as_text=True)
    assert f'/quote/{qid}/edit"' not in page and "waiting for" in page.lower()
    assert wang.get(f"/quote/{qid}/edit").status_code == 409
