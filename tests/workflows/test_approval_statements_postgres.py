"""On PostgreSQL a decision's writes go together: the tasks it settles in the chain's
UPDATE, and both in front of the read (or lock) of the chain's record that follows;
everything it adds (tasks, events, audit rows, notifications) in one statement. A
two-step chain approved through (its second step by both finance users), its
statements counted as test_approval_statements.py counts them (without
authentication)."""

from __future__ import annotations

import pytest

from .conftest import fire, new_deal
from .test_approval_statements import statements


def test_each_approve_of_a_two_step_chain_in_at_most_five(deals) -> None:
    crm, rep, boss, fin1 = deals["crm"], deals["rep"], deals["boss"], deals["fin1"]
    if crm.application.extensions["metacrm"].engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL runs an INSERT or UPDATE inside a WITH; SQLite does not")
    deal = new_deal(rep, amount="250000")["id"]
    chain = fire(rep, deal, "submit").json["_approval"]["id"]
    counted = []
    for who, comment in ((boss, "同意"), (fin1, "可以"), (deals["fin2"], None)):
        with statements(crm) as seen:
            answer = who.post(f"/api/approvals/{chain}/approve", json={"comment": comment})
        assert answer.status_code == 200, answer.json
        counted.append(len(seen))
        if who is boss:
            waiting = [t for t in answer.json["tasks"] if t["state"] == "pending"]
            assert len(waiting) == 2 and all(isinstance(t["id"], int) for t in waiting)
            assert [n["approval_id"] for n in fin1.get("/api/notifications").json["items"]
                    ] == [chain]
    assert counted[0] <= 4 and counted[1] <= 5 and counted[2] <= 5, counted
    assert answer.json["state"] == "approved"
    assert [t["comment"] for t in answer.json["tasks"] if t["state"] == "approved"] == [
        "同意", "可以", None]
    assert [e["kind"] for e in answer.json["timeline"]] == [
        "submit", "step", "approve", "step", "approve", "approve", "done"]
    history = rep.get(f"/api/deal/{deal}/history").json["items"]
    assert [entry["action"] for entry in history[:4]] == [
        "transition", "approve", "approve", "approve"]
    told = rep.get("/api/notifications").json["items"]
    assert [n["kind"] for n in told][:1] == ["approval_approved"]
