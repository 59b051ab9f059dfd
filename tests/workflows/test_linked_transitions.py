"""A transition may fire a transition on the record a reference points at (an
approved reissue marks its original invoice), and a role named in ``who`` may fire a
transition on a record it only reads; ``owner`` follows ownership through
references."""

from __future__ import annotations

import pytest

from ..access.conftest import person
from ..conftest import write_bundle

BILLING = {
    "entities/billing.yaml": """
        entity: account
        owned_by: owner
        fields:
          name: {type: string}
          owner: {type: user, default: $user}
        ---
        entity: invoice
        owned_by: account
        fields:
          account: {type: reference, to: account}
          number: {type: string}
          status: {type: choice, options: [issued, reissued]}
        ---
        entity: reissue
        owned_by: account
        fields:
          account: {type: reference, to: account}
          invoice: {type: reference, to: invoice, required: true}
          status: {type: choice, options: [draft, done]}
        """,
    "roles/roles.yaml": """
        role: clerk
        permissions:
          account: {operations: [read, create, update], scope: own}
          invoice: {operations: [read, create, update], scope: own}
          reissue: {operations: [read, create, update], scope: own}
        ---
        role: accountant
        permissions:
          invoice: {operations: [read]}
          reissue: {operations: [read]}
        """,
    "workflows/flows.yaml": """
        workflow: invoice_flow
        entity: invoice
        field: status
        final: [reissued]
        transitions:
          - {name: mark_reissued, from: issued, to: reissued}
        ---
        workflow: reissue_flow
        entity: reissue
        field: status
        final: [done]
        transitions:
          - name: complete
            from: draft
            to: done
            who: {roles: [accountant], owner: true}
            actions:
              - fire: {record: invoice, transition: mark_reissued}
              - notify: {to: [owner], message: {en: Reissued, zh: 已重开}}
        """,
}


@pytest.fixture
def billing(make_client, tmp_path):  # type: ignore[no-untyped-def]
    crm = make_client(write_bundle(tmp_path / "billing", BILLING, name="billing"))
    clerk = person(crm, "clerk", roles=("clerk",))
    accountant = person(crm, "accountant", roles=("accountant",))
    account = clerk.post("/api/account", json={"name": "星河"}).json["id"]
    invoice = clerk.post("/api/invoice", json={"account": account, "number": "N1"}).json["id"]
    reissue = clerk.post("/api/reissue", json={"account": account, "invoice": invoice}
                         ).json["id"]
    return {"crm": crm, "clerk": clerk, "accountant": accountant, "invoice": invoice,
            "reissue": reissue}


def test_completing_a_reissue_marks_its_invoice(billing) -> None:
    crm, accountant = billing["crm"], billing["accountant"]
    # the accountant only reads reissues, but the transition names their role
    done = accountant.post(f"/api/reissue/{billing['reissue']}/transitions/complete")
    assert done.status_code == 200, done.json
    assert done.json["status"] == "done"
    invoice = crm.get(f"/api/invoice/{billing['invoice']}").json
    assert invoice["status"] == "reissued"
    assert crm.get(f"/api/invoice/{billing['invoice']}/history").json["items"][0]["note"] == (
        "Mark reissued (Complete)")
    told = crm.get("/api/notifications", headers={
        "Authorization": billing["clerk"]._auth["Authorization"]}).json["items"]
    assert [n["title"] for n in told] == ["Reissued"]  # the owner, through the account


def test_a_linked_transition_that_may_not_happen_stops_both(billing) -> None:
    crm, clerk = billing["crm"], billing["clerk"]
    table = crm.application.extensions["metacrm"].compiled.models["invoice"].table
    with crm.application.extensions["metacrm"].writing() as conn:
        conn.execute(table.update().values(status="reissued"))
    refused = clerk.post(f"/api/reissue/{billing['reissue']}/transitions/complete")
    assert refused.status_code == 409
    assert refused.json["errors"]["_request"] == [
        "Invoice #1: “Mark reissued” is not possible in state 'reissued' (only from: issued)."]
    assert crm.get(f"/api/reissue/{billing['reissue']}").json["status"] == "draft"


def test_the_owner_through_a_reference_may_fire_who_owner(billing) -> None:
    other = person(billing["crm"], "other", roles=("clerk",))
    assert other.post(f"/api/reissue/{billing['reissue']}/transitions/complete"
                      ).status_code == 404  # not theirs: not even visible
    assert billing["clerk"].post(f"/api/reissue/{billing['reissue']}/transitions/complete"
                                 ).status_code == 200
