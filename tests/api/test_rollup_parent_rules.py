"""A child's write that changes a rollup of its parent runs the parent's validation
rules too: one the change would break refuses the child's write (422, naming the
parent record and the rule's message) and nothing is written. Before, the parent was
left breaking its own rule, and every later edit of it was refused."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from ..conftest import write_bundle

BUDGETS = {
    "entities/budgets.yaml": """
        entity: budget
        label: {en: Budget, zh: 预算}
        fields:
          name: {type: string}
          cap: {type: money, required: true}
          spent: {type: rollup, from: expense.budget, aggregate: sum, of: amount}
          items: {type: rollup, from: expense.budget, aggregate: count}
          left: {type: formula, result: money, expression: "cap - spent"}
          region: {type: reference, to: region}
        rules:
          - name: within_cap
            check: "left >= 0.0"
            field: spent
            message: {en: Spending exceeds the budget, zh: 支出超出预算}
          - name: named
            check: "name != null"
            message: {en: A budget has a name, zh: 预算须有名称}
        ---
        entity: expense
        fields:
          budget: {type: reference, to: budget, required: true, on_delete: cascade}
          amount: {type: money, required: true}
        ---
        entity: region
        label: {en: Region, zh: 区域}
        fields:
          name: {type: string}
          cap: {type: money, required: true}
          spent: {type: rollup, from: budget.region, aggregate: sum, of: spent}
        rules:
          - name: region_cap
            check: "spent <= cap"
            message: {en: The region is over its cap, zh: 区域超支}
        """,
}


@pytest.fixture
def budget(make_client, tmp_path) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    crm = make_client(write_bundle(tmp_path / "budgets", BUDGETS, name="budgets"))
    region = crm.post("/api/region", json={"name": "华东", "cap": "1000"}).json["id"]
    made = crm.post("/api/budget", json={"name": "Q1 市场", "cap": "500", "region": region})
    assert made.status_code == 201, made.json
    expense = crm.post("/api/expense", json={"budget": made.json["id"], "amount": "300"})
    assert expense.status_code == 201, expense.json
    return {"crm": crm, "budget": made.json["id"], "expense": expense.json["id"],
            "region": region}


def _spent(crm: Any, budget_id: int) -> str:
    return crm.get(f"/api/budget/{budget_id}").json["spent"]


def test_a_child_that_would_break_its_parents_rule_is_refused(budget) -> None:  # type: ignore[no-untyped-def]
    crm, bid = budget["crm"], budget["budget"]
    refused = crm.post("/api/expense", json={"budget": bid, "amount": "250"})
    assert refused.status_code == 422, refused.json
    assert refused.json["errors"] == {"budget": [f"Budget #{bid}: Spending exceeds the budget"]}
    assert _spent(crm, bid) == "300.00"
    assert crm.get("/api/expense").json["items"][0]["id"] == budget["expense"]
    assert len(crm.get("/api/expense").json["items"]) == 1
    zh = crm.post("/api/expense", json={"budget": bid, "amount": "250"},
                  headers={"Accept-Language": "zh"})
    assert zh.json["errors"] == {"budget": [f"预算 #{bid}：支出超出预算"]}


def test_changing_or_moving_a_child_is_checked_the_same_way(budget) -> None:  # type: ignore[no-untyped-def]
    crm, bid = budget["crm"], budget["budget"]
    raised = crm.patch(f"/api/expense/{budget['expense']}", json={"amount": "501"})
    assert raised.status_code == 422, raised.json
    assert raised.json["errors"]["budget"] == [f"Budget #{bid}: Spending exceeds the budget"]
    small = crm.post("/api/budget", json={"name": "小预算", "cap": "10"}).json["id"]
    moved = crm.patch(f"/api/expense/{budget['expense']}", json={"budget": small})
    assert moved.status_code == 422, moved.json
    assert moved.json["errors"]["budget"] == [f"Budget #{small}: Spending exceeds the budget"]
    assert _spent(crm, bid) == "300.00"
    assert crm.patch(f"/api/expense/{budget['expense']}", json={"amount": "500"}
                     ).status_code == 200


def test_the_parent_stays_editable(budget) -> None:  # type: ignore[no-untyped-def]
    crm, bid = budget["crm"], budget["budget"]
    crm.post("/api/expense", json={"budget": bid, "amount": "900"})
    edited = crm.patch(f"/api/budget/{bid}", json={"name": "Q1 市场（调整）"})
    assert edited.status_code == 200, edited.json


def test_a_rule_two_rollups_up_is_checked_too(budget) -> None:  # type: ignore[no-untyped-def]
    crm = budget["crm"]
    bigger = crm.post("/api/budget", json={"name": "Q2", "cap": "5000",
                                           "region": budget["region"]}).json["id"]
    refused = crm.post("/api/expense", json={"budget": bigger, "amount": "800"})
    assert refused.status_code == 422, refused.json
    assert refused.json["errors"] == {
        "budget": [f"Region #{budget['region']}: The region is over its cap"]}


def test_a_rule_the_parent_already_broke_does_not_refuse_its_children(budget, db) -> None:  # type: ignore[no-untyped-def]
    crm, bid = budget["crm"], budget["budget"]
    with db.begin() as conn:  # data from before the rule existed
        conn.execute(sa.text("UPDATE budget SET name = NULL WHERE id = :id"), {"id": bid})
    added = crm.post("/api/expense", json={"budget": bid, "amount": "50"})
    assert added.status_code == 201, added.json
    assert crm.delete(f"/api/expense/{added.json['id']}").status_code == 204
    # only what the change breaks is said
    refused = crm.post("/api/expense", json={"budget": bid, "amount": "300"})
    assert refused.status_code == 422, refused.json
    assert refused.json["errors"] == {"budget": [f"Budget #{bid}: Spending exceeds the budget"]}
