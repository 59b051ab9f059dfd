"""Comments on a chain (on its timeline, told to the submitter and the current step's
approvers) and handing one's task to someone else (the task becomes "delegated", the
new holder acts on one's behalf); also when a decision arrives at the same moment."""

from __future__ import annotations

import threading
from typing import Any

from .approvals_support import (
    kinds,
    set_user,
    submitted_deal,
    tasks_of,
    timed_fixture,  # noqa: F401 - the fixture "timed"
    told,
)


def test_a_comment_goes_on_the_timeline_and_to_the_others(timed) -> None:
    rep, boss, fin1 = timed["rep"], timed["boss"], timed["fin1"]
    _, chain = submitted_deal(rep, name="星河 ERP")
    asked = rep.post(f"/api/approvals/{chain}/comment", json={"comment": "  急，请今天审批  "})
    assert asked.status_code == 200
    assert asked.json["timeline"][-1] | {"at": None, "id": None} == {
        "id": None, "kind": "comment", "step": None, "step_label": None,
        "user": {"id": rep.id, "name": "rep"}, "comment": "急，请今天审批", "at": None}
    news = told(boss)[0]
    assert (news["kind"], news["title"], news["body"], news["approval_id"]) == (
        "approval_comment", "rep commented on Deal approval — 星河 ERP", "rep: 急，请今天审批",
        chain)
    assert "approval_comment" not in kinds(rep)  # not told of one's own comment
    boss.post(f"/api/approvals/{chain}/comment", json={"comment": "金额是否含税？"})
    assert told(rep)[0]["body"] == "boss: 金额是否含税？"
    fin1.post(f"/api/approvals/{chain}/comment", json={"comment": "finance looked"})
    assert told(rep)[0]["kind"] == told(boss)[0]["kind"] == "approval_comment"
    assert "approval_comment" not in kinds(fin1)


def test_a_comment_needs_text(timed) -> None:
    rep = timed["rep"]
    _, chain = submitted_deal(rep)
    for body in ({}, {"comment": "   "}, {"comment": 5}, {"comment": "x" * 2001}):
        response = rep.post(f"/api/approvals/{chain}/comment", json=body)
        assert response.status_code == 422 and "comment" in response.json["errors"], body
    response = rep.post(f"/api/approvals/{chain}/comment", json={"coment": "typo"})
    assert response.status_code == 422
    assert "did you mean 'comment'" in response.json["errors"]["coment"][0]


def test_handing_my_task_to_someone_else(timed) -> None:
    rep, boss, director = timed["rep"], timed["boss"], timed["director"]
    _, chain = submitted_deal(rep, name="星河 ERP")
    handed = boss.post(f"/api/approvals/{chain}/delegate",
                       json={"to": director.id, "comment": "I am travelling"})
    assert handed.status_code == 200, handed.json
    assert [(t["user"]["name"], t["state"], (t["on_behalf_of"] or {}).get("name"), t["comment"])
            for t in handed.json["tasks"]] == [
        ("boss", "delegated", None, "I am travelling"), ("director", "pending", "boss", None)]
    event = handed.json["timeline"][-1]
    assert (event["kind"], event["user"]["name"], event["comment"], event["to"]) == (
        "delegate", "boss", "I am travelling", [{"id": director.id, "name": "director"}])
    assert handed.json["may"]["approve"] is False  # boss handed it on
    news = told(director)[0]
    assert (news["kind"], news["title"], news["body"]) == (
        "approval_delegated", "boss handed you an approval: Deal approval (Manager) — 星河 ERP",
        "boss: I am travelling")
    inbox = director.get("/api/approvals").json["items"]
    assert [(i["id"], i["on_behalf_of"]) for i in inbox] == [
        (chain, {"id": boss.id, "name": "boss"})]
    assert boss.get("/api/approvals").json["items"] == []
    assert [i["state"] for i in boss.get("/api/approvals?state=done").json["items"]] == [
        "delegated"]
    # The tasks I handed on are a list of their own; requests I submitted have none.
    assert [i["id"] for i in boss.get("/api/approvals?state=delegated").json["items"]] == [
        chain]
    assert director.get("/api/approvals?state=delegated").json["items"] == []
    assert rep.get("/api/approvals?submitted=me&state=delegated").status_code == 400
    assert boss.post(f"/api/approvals/{chain}/approve").status_code == 403
    decided = director.post(f"/api/approvals/{chain}/approve")
    assert decided.status_code == 200 and decided.json["state"] == "approved"
    assert "approval_approved" in kinds(rep)


def test_a_task_goes_only_to_someone_who_may_take_it(timed) -> None:
    crm, rep, boss, fin1, fin2 = (timed[k] for k in ("crm", "rep", "boss", "fin1", "fin2"))
    _, chain = submitted_deal(rep, amount="250000")
    set_user(crm, timed["other"], active=False)
    for to, status, key in ((boss.id, 422, "to"), (rep.id, 422, "to"),
                            (timed["other"].id, 422, "to"), (999999, 422, "to"),
                            ("boss", 422, "to"), (None, 422, "to")):
        response = boss.post(f"/api/approvals/{chain}/delegate", json={"to": to})
        assert (response.status_code, key in response.json["errors"]) == (status, True), to
    assert "submitted this request" in boss.post(
        f"/api/approvals/{chain}/delegate", json={"to": rep.id}).json["errors"]["to"][0]
    assert rep.post(f"/api/approvals/{chain}/delegate",
                    json={"to": fin1.id}).status_code == 403  # rep holds no task
    boss.post(f"/api/approvals/{chain}/approve")
    both = fin1.post(f"/api/approvals/{chain}/delegate", json={"to": fin2.id})
    assert both.status_code == 409  # fin2 has a task of this step already
    assert "fin2 already has a task" in both.json["errors"]["_request"][0]
    lead = timed["lead"]
    assert fin1.post(f"/api/approvals/{chain}/delegate", json={"to": lead.id}).status_code == 200
    # All of finance must approve: the delegate approves fin1's share.
    assert lead.post(f"/api/approvals/{chain}/approve").json["state"] == "pending"
    assert fin2.post(f"/api/approvals/{chain}/approve").json["state"] == "approved"
    assert fin2.post(f"/api/approvals/{chain}/delegate", json={"to": lead.id}).status_code == 409


def test_handing_on_and_deciding_at_the_same_moment_give_one_outcome(timed) -> None:
    crm, rep, boss, director = timed["crm"], timed["rep"], timed["boss"], timed["director"]
    for _ in range(3):
        _, chain = submitted_deal(rep)
        barrier = threading.Barrier(2)
        statuses: dict[str, int] = {}

        def act(name: str, url: str, body: dict[str, Any], barrier: threading.Barrier,
                statuses: dict[str, int]) -> None:
            client = crm.application.test_client()
            barrier.wait(timeout=30)
            statuses[name] = client.post(url, json=body, headers=boss._auth).status_code

        threads = [threading.Thread(target=act, args=(
                       "delegate", f"/api/approvals/{chain}/delegate", {"to": director.id},
                       barrier, statuses)),
                   threading.Thread(target=act, args=(
                       "approve", f"/api/approvals/{chain}/approve", {}, barrier, statuses))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        states = [t["state"] for t in tasks_of(crm, chain)]
        if statuses["approve"] == 200 and statuses["delegate"] != 200:
            assert states == ["approved"] and statuses["delegate"] in (403, 409)
        else:
            assert (statuses["delegate"], statuses["approve"]) == (200, 403), statuses
            assert states == ["delegated", "pending"]
