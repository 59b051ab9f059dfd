"""Notifications: submitting tells the approvers, a decision tells the submitter, a
withdrawal tells the approvers, each in the reader's own language; listed newest
first with the unread count, keyset-paged, marked read one by one or all at once."""

from __future__ import annotations

from .approvals_support import (
    set_user,
    submitted_deal,
    timed_fixture,  # noqa: F401 - the fixture "timed"
    told,
)


def test_each_step_of_a_chain_tells_whom_it_concerns_in_their_language(timed) -> None:
    crm, rep, boss, fin1 = timed["crm"], timed["rep"], timed["boss"], timed["fin1"]
    set_user(crm, rep, language="zh")
    _, chain = submitted_deal(rep, amount="250000", name="星河 ERP")
    waiting = told(boss)[0]
    assert (waiting["kind"], waiting["title"], waiting["entity"], waiting["approval_id"]) == (
        "approval_waiting", "Please approve: Deal approval (Manager) — 星河 ERP", "deal", chain)
    assert waiting["read_at"] is None and waiting["record_id"] is not None
    boss.post(f"/api/approvals/{chain}/approve")
    assert told(fin1)[0]["title"] == "Please approve: Deal approval (Finance) — 星河 ERP"
    fin1.post(f"/api/approvals/{chain}/reject", json={"comment": "折扣过大"})
    # Rejected back to the manager: asked again, the submitter not told yet.
    assert [n["kind"] for n in told(boss)] == ["approval_waiting", "approval_waiting"]
    assert told(rep) == []
    boss.post(f"/api/approvals/{chain}/reject", json={"comment": "please rework"})
    rejected = told(rep)[0]
    assert (rejected["kind"], rejected["title"], rejected["body"]) == (
        "approval_rejected", "审批驳回：商机审批 — 星河 ERP", "boss：please rework")

    _, second = submitted_deal(rep, name="Atlas")
    rep.post(f"/api/approvals/{second}/withdraw", json={"comment": "不需要了"})
    withdrawn = told(boss)[0]
    assert (withdrawn["kind"], withdrawn["title"], withdrawn["body"]) == (
        "approval_withdrawn", "Withdrawn by the submitter: Deal approval — Atlas", "rep: 不需要了")
    _, third = submitted_deal(rep, name="Zeus")
    boss.post(f"/api/approvals/{third}/approve")
    approved = told(rep)[0]
    assert (approved["kind"], approved["title"], approved["body"]) == (
        "approval_approved", "审批通过：商机审批 — Zeus", None)


def test_listing_unread_paging_and_marking_read(timed) -> None:
    rep, boss, other = timed["rep"], timed["boss"], timed["other"]
    chains = [submitted_deal(rep, name=f"deal {n}")[1] for n in range(5)]
    listed = boss.get("/api/notifications").json
    assert listed["unread"] == 5 and listed["next_cursor"] is None
    assert [n["approval_id"] for n in listed["items"]] == chains[::-1]
    first = listed["items"][-1]
    read = boss.post(f"/api/notifications/{first['id']}/read")
    assert read.status_code == 200
    assert read.json["read_at"] is not None and read.json["unread"] == 4
    again = boss.post(f"/api/notifications/{first['id']}/read").json
    assert again["read_at"] == read.json["read_at"]  # read once, when first read
    unread = boss.get("/api/notifications?unread=true").json
    assert [n["approval_id"] for n in unread["items"]] == chains[:0:-1]
    page = boss.get("/api/notifications?limit=2").json
    rest = boss.get(f"/api/notifications?limit=2&cursor={page['next_cursor']}").json
    last = boss.get(f"/api/notifications?limit=2&cursor={rest['next_cursor']}").json
    assert [n["id"] for n in page["items"] + rest["items"] + last["items"]] == [
        n["id"] for n in listed["items"]]
    assert last["next_cursor"] is None
    # Someone else's notification is not found; nor is a missing one.
    assert other.post(f"/api/notifications/{first['id']}/read").status_code == 404
    assert other.post("/api/notifications/999999/read").status_code == 404
    newest = listed["items"][0]["id"]
    partly = boss.post("/api/notifications/read", json={"up_to": newest - 1})
    assert partly.json == {"marked": 3, "unread": 1}
    everything = boss.post("/api/notifications/read")
    assert everything.status_code == 200 and everything.json == {"marked": 1, "unread": 0}
    assert boss.get("/api/notifications?unread=true").json["items"] == []


def test_malformed_notification_requests(timed) -> None:
    boss = timed["boss"]
    for query, key in (("unread=maybe", "unread"), ("limit=501", "limit"),
                       ("cursor=abc", "cursor"), ("unred=true", "unred")):
        response = boss.get(f"/api/notifications?{query}")
        assert response.status_code == 400 and key in response.json["errors"], query
    assert boss.post("/api/notifications/read", json={"up_to": "all"}).status_code == 422
    assert boss.post("/api/notifications/read", json={"all": True}).status_code == 422
    assert boss.get("/api/notifications", headers={"Authorization": "Bearer nope"}
                    ).status_code == 401
