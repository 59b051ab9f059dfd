"""On PostgreSQL a decision's writes go together: the tasks it settles in the chain's
UPDATE, everything it adds (tasks, events, audit rows, notifications) in one
statement; the statements an approve runs, counted as test_approval_statements.py
counts them (without authentication)."""

from __future__ import annotations

import pytest

from .conftest import fire, new_deal
from .test_approval_statements import statements


@pytest.fixture
def on_postgres(deals):
    engine = deals["crm"].application.extensions["metacrm"].engine
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL runs an INSERT or UPDATE inside a WITH; SQLite does not")
    return deals


def test_an_approve_moving_the_chain_on_in_five(on_postgres) -> None:
    crm, rep, boss = on_postgres["crm"], on_postgres["rep"], on_postgres["boss"]
    chain = fire(rep, new_deal(rep, amount="250000")["id"], "submit").json["_approval"]["id"]
    with statements(crm) as seen:
        response = boss.post(f"/api/approvals/{chain}/approve", json={"comment": "同意"})
    assert response.status_code == 200, response.json
    assert response.json["step"] == "finance"
    assert len(seen) <= 5, "\n\n".join(seen)
    approved = [t for t in response.json["tasks"] if t["state"] == "approved"]
    assert [t["comment"] for t in approved] == ["同意"]
    waiting = [t for t in response.json["tasks"] if t["state"] == "pending"]
    assert all(isinstance(t["id"], int) for t in waiting) and len(waiting) == 2
    told = on_postgres["fin1"].get("/api/notifications").json["items"]
    assert [n["approval_id"] for n in told] == [chain]


def test_an_approve_ending_the_chain_in_six(on_postgres) -> None:
    crm, rep, boss = on_postgres["crm"], on_postgres["rep"], on_postgres["boss"]
    deal = new_deal(rep, amount="5000")
    chain = fire(rep, deal["id"], "submit").json["_approval"]["id"]
    with statements(crm) as seen:
        response = boss.post(f"/api/approvals/{chain}/approve")
    assert response.status_code == 200, response.json
    assert response.json["state"] == "approved"
    assert len(seen) <= 6, "\n\n".join(seen)
    history = rep.get(f"/api/deal/{deal['id']}/history").json
    assert [entry["action"] for entry in history["items"][:2]] == ["transition", "approve"]
