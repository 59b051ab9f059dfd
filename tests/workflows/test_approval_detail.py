"""One approval chain in full: steps with their approvers and status, tasks, the
timeline, what the caller may do now; shown to its submitter, its approvers,
administrators and whoever may read the record, and to nobody else (404)."""

from __future__ import annotations

from .approvals_support import (
    submitted_deal,
    timed_fixture,  # noqa: F401 - the fixture "timed"
)


def test_the_chain_shows_steps_tasks_timeline_and_what_i_may_do(timed) -> None:
    rep, boss, fin1, fin2 = timed["rep"], timed["boss"], timed["fin1"], timed["fin2"]
    deal, chain = submitted_deal(rep, amount="250000", name="星河 ERP")
    decided = boss.post(f"/api/approvals/{chain}/approve", json={"comment": "同意"})
    assert decided.status_code == 200
    shown = decided.json  # a decision answers with the chain as it now stands
    assert (shown["id"], shown["state"], shown["step"], shown["title"], shown["record_id"]) == (
        chain, "pending", "finance", "星河 ERP", deal)
    assert shown["submitter"] == {"id": rep.id, "name": "rep"}
    assert [(s["name"], s["label"], s["decide"], s["status"]) for s in shown["steps"]] == [
        ("manager", "Manager", "any", "done"), ("finance", "Finance", "all", "current")]
    assert shown["steps"][1]["approvers"] == [{"id": fin1.id, "name": "fin1"},
                                              {"id": fin2.id, "name": "fin2"}]
    assert [(t["user"]["name"], t["step"], t["state"], t["comment"]) for t in shown["tasks"]] == [
        ("boss", "manager", "approved", "同意"), ("fin1", "finance", "pending", None),
        ("fin2", "finance", "pending", None)]
    assert [(e["kind"], e["user"]["name"], e["comment"]) for e in shown["timeline"]] == [
        ("submit", "rep", None), ("step", "rep", None), ("approve", "boss", "同意"),
        ("step", "boss", None)]
    assert shown["may"] == {"approve": False, "reject": False, "delegate": False,
                            "withdraw": False, "comment": True}
    assert fin1.get(f"/api/approvals/{chain}").json["may"] == {
        "approve": True, "reject": True, "delegate": True, "withdraw": False, "comment": True}
    assert rep.get(f"/api/approvals/{chain}").json["may"]["withdraw"] is True
    assert timed["crm"].get(f"/api/approvals/{chain}").json["may"]["withdraw"] is True
    chinese = rep.get(f"/api/approvals/{chain}", headers={"Accept-Language": "zh"}).json
    assert [s["label"] for s in chinese["steps"]] == ["经理审批", "财务审批"]


def test_who_may_see_a_chain(timed) -> None:
    crm, rep, boss = timed["crm"], timed["rep"], timed["boss"]
    _, chain = submitted_deal(rep)
    seen = {"rep (submitter)": rep, "boss (approver, and reads the team's deals)": boss,
            "admin": crm, "fin1 (reads every deal)": timed["fin1"]}
    for who, client in seen.items():
        assert client.get(f"/api/approvals/{chain}").status_code == 200, who
    unseen = {"other (reads own deals only)": timed["other"], "outsider": timed["outsider"],
              "director (reads own deals only)": timed["director"]}
    for who, client in unseen.items():
        response = client.get(f"/api/approvals/{chain}")
        assert response.status_code == 404, who
        missing = client.get("/api/approvals/999999").json  # answers as a missing one
        assert response.json == {"errors": {"id": [f"No approval with id {chain}."]}}
        assert missing == {"errors": {"id": ["No approval with id 999999."]}}
        for action in ("approve", "reject", "withdraw", "comment", "delegate"):
            body = {"to": boss.id} if action == "delegate" else {"comment": "x"}
            assert client.post(f"/api/approvals/{chain}/{action}", json=body
                               ).status_code == 404, (who, action)


def test_a_finished_chain_says_where_it_ended(timed) -> None:
    rep, boss = timed["rep"], timed["boss"]
    _, rejected = submitted_deal(rep, amount="250000")
    shown = boss.post(f"/api/approvals/{rejected}/reject", json={"comment": "金额有误"}).json
    assert (shown["state"], shown["step"]) == ("rejected", None)
    assert [s["status"] for s in shown["steps"]] == ["rejected", "not_reached"]
    assert shown["finished_at"] is not None
    assert shown["timeline"][-1]["kind"] == "done"
    _, withdrawn = submitted_deal(rep, amount="250000", name="second")
    shown = rep.post(f"/api/approvals/{withdrawn}/withdraw", json={"comment": "wrong amount"})
    assert shown.status_code == 200
    assert shown.json["state"] == "withdrawn"
    assert [s["status"] for s in shown.json["steps"]] == ["withdrawn", "not_reached"]
    assert [t["state"] for t in shown.json["tasks"]] == ["cancelled"]
    assert shown.json["may"] == {"approve": False, "reject": False, "delegate": False,
                                 "withdraw": False, "comment": True}
    _, approved = submitted_deal(rep, name="third")
    shown = boss.post(f"/api/approvals/{approved}/approve").json
    assert [s["status"] for s in shown["steps"]] == ["done"]
