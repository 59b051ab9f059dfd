"""A small sales bundle with a workflow and approval chains, and its people:
reps under a manager, finance, a reviewer."""

from __future__ import annotations

from typing import Any

import pytest

from ..access.conftest import Person, person
from ..api.conftest import cached_catalogs  # noqa: F401 - a fixture, used by name
from ..conftest import write_bundle

DEALS = {
    "entities/deal.yaml": """
        entity: deal
        owned_by: owner
        fields:
          name: {type: string, required: true}
          owner: {type: user, default: $user}
          reviewer: {type: user}
          amount: {type: money}
          lost_reason: {type: string}
          approved_at: {type: datetime}
          notes: {type: text}
          status:
            type: choice
            options: [draft, pending, approved, rejected, won, lost]
            default: draft
        ---
        entity: deal_task
        owned_by: deal
        fields:
          deal: {type: reference, to: deal, required: true, on_delete: cascade}
          title: {type: string, required: true}
        """,
    "roles/roles.yaml": """
        role: rep
        permissions:
          deal: {operations: [read, create, update], scope: own}
          deal_task: {operations: [read], scope: own}
        ---
        role: manager
        permissions:
          deal: {operations: [read, create, update, delete], scope: team}
          deal_task: {operations: [read], scope: team}
        ---
        role: finance
        permissions:
          deal: {operations: [read]}
        """,
    "workflows/deal_flow.yaml": """
        workflow: deal_flow
        entity: deal
        field: status
        final: [won]
        transitions:
          - name: submit
            label: {en: Submit for approval, zh: 提交审批}
            from: [draft, rejected]
            to: approved
            approval: deal_approval
            pending: pending
            rejected: rejected
            requires: [amount]
            actions:
              - set: {approved_at: now}
          - name: win
            label: {en: Win, zh: 赢单}
            from: approved
            to: won
            who: {roles: [manager]}
            when: "amount > 0.0"
            message: {en: A deal is won for some amount, zh: 赢单金额必须大于零}
            actions:
              - create: {entity: deal_task, values: {deal: id, title: "'Kick-off ' + name"}}
              - notify: {to: [owner], message: {en: "Won!", zh: 赢单了}}
          - name: lose
            label: {en: Lose, zh: 输单}
            from: [draft, approved]
            to: lost
            requires: [lost_reason]
          - name: reopen
            from: lost
            to: draft
            who: {owner: true}
        ---
        approval: deal_approval
        entity: deal
        label: {en: Deal approval, zh: 商机审批}
        steps:
          - name: manager
            label: {en: Manager, zh: 经理审批}
            approvers: {manager: 1}
          - name: finance
            label: {en: Finance, zh: 财务审批}
            approvers: {role: finance}
            when: "amount > 100000.0"
            decide: all
            reject_to: previous
        ---
        approval: deal_review
        entity: deal
        label: {en: Review, zh: 复核}
        steps:
          - name: reviewer
            approvers: {field: reviewer}
        on_approve:
          - set: {notes: "'reviewed'"}
        """,
}


@pytest.fixture
def deals(make_client, tmp_path, cached_catalogs) -> dict[str, Any]:  # noqa: F811
    bundle = write_bundle(tmp_path / "deals", DEALS, name="deals")
    crm = make_client(bundle)
    people: dict[str, Any] = {"crm": crm}
    people["boss"] = person(crm, "boss", roles=("manager",), team="sales")
    people["rep"] = person(crm, "rep", roles=("rep",), team="sales", manager="boss")
    people["other"] = person(crm, "other", roles=("rep",), team="sales", manager="boss")
    people["fin1"] = person(crm, "fin1", roles=("finance",))
    people["fin2"] = person(crm, "fin2", roles=("finance",))
    return people


def new_deal(who: Person, **values: Any) -> dict[str, Any]:
    response = who.post("/api/deal", json={"name": "星河 ERP", **values})
    assert response.status_code == 201, response.json
    return response.json


def fire(who: Person, deal_id: int, name: str, **body: Any) -> Any:
    return who.post(f"/api/deal/{deal_id}/transitions/{name}", json=body or None)
