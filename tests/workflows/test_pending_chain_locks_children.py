"""While an approval chain runs, the records its figures come from are locked too: a
child whose reference points (before or after the change) at a record waiting for a
chain, and that feeds a rollup of it, cannot be created, changed, deleted, restored or
moved (409 naming the chain). Otherwise a quote submitted at 15 % (the manager alone
approves) could be raised to 45 % while it waits, and the manager would approve that."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from ..access.conftest import org, person  # noqa: F401 - org is a fixture, used by name
from ..conftest import write_bundle
from .quotes_support import customer, error_text, figures, line, product, quote, submit


@pytest.fixture
def pending(crm, org) -> dict[str, Any]:  # type: ignore[no-untyped-def]  # noqa: F811
    """wang's quote of one line at 15 % off, submitted: only his manager approves it."""
    wang = org["wang"]
    pid = product(crm)
    cid = customer(wang)
    qid = quote(wang, cid)
    first = line(wang, qid, pid, unit_price="1000", discount="15")
    chain = submit(wang, qid)
    return {"crm": crm, "org": org, "wang": wang, "product": pid, "customer": cid,
            "quote": qid, "line": first, "chain": chain}


def test_a_line_of_a_waiting_quote_cannot_be_raised(pending) -> None:  # type: ignore[no-untyped-def]
    wang = pending["wang"]
    before = figures(wang, pending["quote"])
    raised = wang.patch(f"/api/quote_line/{pending['line']}", json={"discount": "45"})
    assert raised.status_code == 409, raised.json
    assert "Quote approval" in error_text(raised)
    assert f"#{pending['chain']}" in error_text(raised)
    assert figures(wang, pending["quote"]) == before
    assert before["discount_rate"] == "15.00"


def test_no_line_is_added_to_or_deleted_from_a_waiting_quote(pending) -> None:  # type: ignore[no-untyped-def]
    wang, qid = pending["wang"], pending["quote"]
    before = figures(wang, qid)
    added = wang.post("/api/quote_line", json={
        "quote": qid, "product": pending["product"], "unit_price": "400000",
        "discount": "40"})
    assert added.status_code == 409, added.json
    assert "Quote approval" in error_text(added)
    deleted = wang.delete(f"/api/quote_line/{pending['line']}")
    assert deleted.status_code == 409, deleted.json
    assert figures(wang, qid) == before


def test_the_administrator_is_held_to_it_as_well(pending) -> None:  # type: ignore[no-untyped-def]
    crm = pending["crm"]
    assert crm.patch(f"/api/quote_line/{pending['line']}",
                     json={"unit_price": "401000"}).status_code == 409
    assert crm.post("/api/quote_line", json={"quote": pending["quote"],
                                             "product": pending["product"],
                                             "unit_price": "400000"}).status_code == 409


def test_a_line_cannot_move_into_or_out_of_a_waiting_quote(pending) -> None:  # type: ignore[no-untyped-def]
    wang = pending["wang"]
    draft = quote(wang, pending["customer"], name="另一份报价")
    other = line(wang, draft, pending["product"], unit_price="400000", discount="60")
    moved_in = wang.patch(f"/api/quote_line/{other}", json={"quote": pending["quote"]})
    assert moved_in.status_code == 409, moved_in.json
    moved_out = wang.patch(f"/api/quote_line/{pending['line']}", json={"quote": draft})
    assert moved_out.status_code == 409, moved_out.json
    assert figures(wang, pending["quote"])["line_count"] == 1
    # lines of a quote nobody is approving change as before
    assert wang.patch(f"/api/quote_line/{other}", json={"discount": "10"}).status_code == 200


def test_a_deleted_line_is_not_restored_into_a_waiting_quote(crm, org) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    wang = org["wang"]
    pid = product(crm)
    qid = quote(wang, customer(wang))
    line(wang, qid, pid, discount="15")
    spare = line(wang, qid, pid, unit_price="400000", discount="60")
    assert wang.delete(f"/api/quote_line/{spare}").status_code == 204
    submit(wang, qid)
    restored = crm.post(f"/api/quote_line/{spare}/restore")
    assert restored.status_code == 409, restored.json
    assert figures(wang, qid)["line_count"] == 1


def test_lines_change_again_once_the_chain_is_withdrawn(pending) -> None:  # type: ignore[no-untyped-def]
    wang = pending["wang"]
    taken_back = wang.post(f"/api/approvals/{pending['chain']}/withdraw")
    assert taken_back.status_code == 200, taken_back.json
    raised = wang.patch(f"/api/quote_line/{pending['line']}", json={"discount": "45"})
    assert raised.status_code == 200, raised.json
    assert figures(wang, pending["quote"])["discount_rate"] == "45.00"


# --- a bundle of its own: two levels, and what does not feed a rollup -------------------

ORDERS = {
    "entities/orders.yaml": """
        entity: order
        label: {en: Order, zh: 订单}
        fields:
          name: {type: string}
          total: {type: rollup, from: section.order, aggregate: sum, of: subtotal}
          sections: {type: rollup, from: section.order, aggregate: count}
          status: {type: choice, options: [draft, pending, approved]}
        ---
        entity: section
        fields:
          order: {type: reference, to: order, required: true, on_delete: cascade}
          subtotal: {type: rollup, from: item.section, aggregate: sum, of: amount}
          notes: {type: rollup, from: remark.section, aggregate: count}
        ---
        entity: item
        fields:
          section: {type: reference, to: section, required: true, on_delete: cascade}
          amount: {type: money}
        ---
        entity: remark
        fields:
          section: {type: reference, to: section, required: true, on_delete: cascade}
          text: {type: string}
        ---
        entity: attachment
        fields:
          order: {type: reference, to: order, required: true, on_delete: cascade}
          name: {type: string}
        """,
    "workflows/orders.yaml": """
        workflow: order_flow
        entity: order
        field: status
        final: [approved]
        transitions:
          - name: submit
            from: draft
            to: approved
            approval: order_approval
            pending: pending
        ---
        approval: order_approval
        entity: order
        label: {en: Order approval, zh: 订单审批}
        steps:
          - name: boss
            approvers: {users: [boss]}
        """,
}


@pytest.fixture
def orders(make_client, tmp_path) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    crm = make_client(write_bundle(tmp_path / "orders", ORDERS, name="orders"))
    person(crm, "boss")
    order = crm.post("/api/order", json={"name": "PO-1"}).json["id"]
    section = crm.post("/api/section", json={"order": order}).json["id"]
    item = crm.post("/api/item", json={"section": section, "amount": "100"}).json["id"]
    fired = crm.post(f"/api/order/{order}/transitions/submit")
    assert fired.status_code == 200, fired.json
    return {"crm": crm, "order": order, "section": section, "item": item}


def test_a_grandchild_feeding_a_rollup_of_a_rollup_is_locked(orders) -> None:  # type: ignore[no-untyped-def]
    crm = orders["crm"]
    changed = crm.patch(f"/api/item/{orders['item']}", json={"amount": "900"})
    assert changed.status_code == 409, changed.json
    assert "Order approval" in error_text(changed)
    added = crm.post("/api/item", json={"section": orders["section"], "amount": "1"})
    assert added.status_code == 409, added.json
    assert Decimal(crm.get(f"/api/order/{orders['order']}").json["total"]) == 100


def test_records_that_feed_nothing_the_chain_sees_stay_free(orders) -> None:  # type: ignore[no-untyped-def]
    crm = orders["crm"]
    # a remark counts into the section, but the order's rollups do not read that count
    remark = crm.post("/api/remark", json={"section": orders["section"], "text": "ok"})
    assert remark.status_code == 201, remark.json
    # an attachment points at the order without feeding any rollup of it
    attachment = crm.post("/api/attachment", json={"order": orders["order"], "name": "PO.pdf"})
    assert attachment.status_code == 201, attachment.json
    # a section is counted by the order: locked
    assert crm.post("/api/section", json={"order": orders["order"]}).status_code == 409
