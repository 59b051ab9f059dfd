"""What docs/definitions.md ("Approvals") says of the edges of a chain: when no step
applies the transition completes at once, and an approver needs no permission on
the entity to decide (but does to open the record)."""

from __future__ import annotations

from pathlib import Path

from ..conftest import token_for, write_bundle

EXPENSES = {"entities/expense.yaml": """
    entity: expense
    fields:
      title: {type: string, required: true}
      amount: {type: money, required: true}
      status: {type: choice, options: [draft, pending, approved], default: draft}
      approved_at: {type: datetime, readonly: true}
    """, "workflows/expense.yaml": """
    workflow: expense_flow
    entity: expense
    field: status
    final: [approved]
    transitions:
      - name: submit
        from: draft
        to: approved
        pending: pending
        approval: expense_approval
        actions:
          - set: {approved_at: now}
    ---
    approval: expense_approval
    entity: expense
    steps:
      - name: controller
        approvers: {role: controller}
        when: "amount > 1000.0"
    """, "roles/controller.yaml": """
    role: controller
    permissions: {}
    """}


def test_when_no_step_applies_the_transition_completes_at_once(make_client,
                                                               tmp_path: Path) -> None:
    admin = make_client(write_bundle(tmp_path / "b", EXPENSES))
    small = admin.post("/api/expense", json={"title": "Taxi", "amount": "35.00"}).json["id"]
    done = admin.post(f"/api/expense/{small}/transitions/submit")
    assert done.status_code == 200, done.json
    assert done.json["status"] == "approved" and done.json["approved_at"]  # actions ran
    assert admin.get(f"/api/expense/{small}").json["_approval"] is None
    assert admin.get("/api/approvals?submitted=me&state=all").json["items"] == []


def test_an_approver_needs_no_permission_on_the_entity_to_decide(make_client,
                                                                 tmp_path: Path) -> None:
    admin = make_client(write_bundle(tmp_path / "b", EXPENSES))
    token = token_for(admin.application, "boss", roles=("controller",))
    boss = {"Authorization": f"Bearer {token}"}
    big = admin.post("/api/expense", json={"title": "Laptop", "amount": "9000.00"}).json["id"]
    chain = admin.post(f"/api/expense/{big}/transitions/submit").json["_approval"]["id"]
    assert admin.get(f"/api/approvals/{chain}", headers=boss).status_code == 200
    assert admin.get(f"/api/expense/{big}", headers=boss).status_code == 403
    decided = admin.post(f"/api/approvals/{chain}/approve", headers=boss)
    assert decided.status_code == 200, decided.json
    assert decided.json["state"] == "approved"
    assert admin.get(f"/api/expense/{big}").json["status"] == "approved"
