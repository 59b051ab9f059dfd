"""Approval chains: steps chosen when the chain starts, approvers by the reporting
line and by role, any-of and all-of steps, rejection back to the submitter or the
previous step, withdrawal; the record is locked while it waits."""

from __future__ import annotations

import threading
from collections import Counter

import sqlalchemy as sa

from .conftest import fire, new_deal


def _pending(crm, deal_id: int) -> dict | None:  # type: ignore[no-untyped-def]
    return crm.get(f"/api/deal/{deal_id}").json["_approval"]


def _tasks(crm, approval_id: int) -> list[tuple[str, int, str]]:  # type: ignore[no-untyped-def]
    platform = crm.application.extensions["metacrm"]
    tasks = platform.compiled.metadata.tables["mc_approval_tasks"]
    with platform.reading() as conn:
        return [tuple(r) for r in conn.execute(
            sa.select(tasks.c.step, tasks.c.user_id, tasks.c.state)
            .where(tasks.c.approval_id == approval_id).order_by(tasks.c.id))]


def test_a_small_deal_needs_the_managers_approval_only(deals) -> None:
    crm, rep, boss = deals["crm"], deals["rep"], deals["boss"]
    deal = new_deal(rep, amount="5000")
    submitted = fire(rep, deal["id"], "submit", comment="请审批")
    assert submitted.status_code == 200, submitted.json
    assert submitted.json["status"] == "pending"
    chain = submitted.json["_approval"]
    assert (chain["approval"], chain["step"], chain["label"]) == (
        "deal_approval", "manager", "Deal approval")
    assert _tasks(crm, chain["id"]) == [("manager", boss.id, "pending")]
    locked = rep.patch(f"/api/deal/{deal['id']}", json={"amount": "1"})
    assert locked.status_code == 409
    assert "waiting for Deal approval" in locked.json["errors"]["_request"][0]

    assert rep.post(f"/api/approvals/{chain['id']}/approve").status_code == 403
    assert boss.post(f"/api/approvals/{chain['id']}/approve",
                     json={"comment": "同意"}).status_code == 200
    record = rep.get(f"/api/deal/{deal['id']}").json
    assert (record["status"], record["_approval"]) == ("approved", None)
    assert record["approved_at"] is not None  # the transition's set action ran
    actions = [h["action"] for h in rep.get(f"/api/deal/{deal['id']}/history").json["items"]]
    assert actions[:3] == ["transition", "approve", "submit"]


def test_a_big_deal_adds_finance_and_all_of_finance_must_approve(deals) -> None:
    crm, rep, boss = deals["crm"], deals["rep"], deals["boss"]
    fin1, fin2 = deals["fin1"], deals["fin2"]
    deal = new_deal(rep, amount="250000")
    chain = fire(rep, deal["id"], "submit").json["_approval"]["id"]
    boss.post(f"/api/approvals/{chain}/approve")
    assert _pending(crm, deal["id"])["step"] == "finance"
    fin1.post(f"/api/approvals/{chain}/approve")
    assert _pending(crm, deal["id"])["step"] == "finance"  # all of them
    fin2.post(f"/api/approvals/{chain}/approve")
    assert crm.get(f"/api/deal/{deal['id']}").json["status"] == "approved"


def test_a_rejection_goes_back_to_the_submitter_who_may_resubmit(deals) -> None:
    _crm, rep, boss = deals["crm"], deals["rep"], deals["boss"]
    deal = new_deal(rep, amount="5000")
    chain = fire(rep, deal["id"], "submit").json["_approval"]["id"]
    assert boss.post(f"/api/approvals/{chain}/reject", json={"comment": "金额有误"}
                     ).status_code == 200
    record = rep.get(f"/api/deal/{deal['id']}").json
    assert (record["status"], record["_approval"]) == ("rejected", None)
    assert rep.patch(f"/api/deal/{deal['id']}", json={"amount": "4800"}).status_code == 200
    again = fire(rep, deal["id"], "submit")
    assert again.status_code == 200 and again.json["status"] == "pending"
    assert again.json["_approval"]["id"] != chain
    decided = boss.post(f"/api/approvals/{chain}/approve")
    assert decided.status_code == 409  # the first chain is over


def test_finance_rejecting_sends_it_back_to_the_manager(deals) -> None:
    crm, rep, boss, fin1 = deals["crm"], deals["rep"], deals["boss"], deals["fin1"]
    deal = new_deal(rep, amount="250000")
    chain = fire(rep, deal["id"], "submit").json["_approval"]["id"]
    boss.post(f"/api/approvals/{chain}/approve")
    fin1.post(f"/api/approvals/{chain}/reject", json={"comment": "折扣过大"})
    assert _pending(crm, deal["id"])["step"] == "manager"
    assert [t for t in _tasks(crm, chain) if t[2] == "pending"] == [
        ("manager", boss.id, "pending")]


def test_the_submitter_may_withdraw(deals) -> None:
    crm, rep, boss, other = deals["crm"], deals["rep"], deals["boss"], deals["other"]
    deal = new_deal(rep, amount="5000")
    chain = fire(rep, deal["id"], "submit").json["_approval"]["id"]
    assert other.post(f"/api/approvals/{chain}/withdraw").status_code == 404  # cannot see it
    assert rep.post(f"/api/approvals/{chain}/withdraw").status_code == 200
    assert crm.get(f"/api/deal/{deal['id']}").json["status"] == "draft"
    assert _tasks(crm, chain) == [("manager", boss.id, "cancelled")]
    assert boss.post(f"/api/approvals/{chain}/approve").status_code == 409


def test_nobody_approves_their_own_request(deals) -> None:
    boss = deals["boss"]  # the manager has no manager: the first step has nobody
    deal = new_deal(boss, amount="5000")
    refused = fire(boss, deal["id"], "submit")
    assert refused.status_code == 409
    assert "Nobody can approve the step 'Manager'" in refused.json["errors"]["_request"][0]
    assert boss.get(f"/api/deal/{deal['id']}").json["status"] == "draft"


def test_a_decision_sent_twice_counts_once(deals) -> None:
    crm, rep, boss = deals["crm"], deals["rep"], deals["boss"]
    deal = new_deal(rep, amount="250000")
    chain = fire(rep, deal["id"], "submit").json["_approval"]["id"]
    assert boss.post(f"/api/approvals/{chain}/approve").status_code == 200
    assert boss.post(f"/api/approvals/{chain}/approve").status_code == 200
    assert Counter(t[2] for t in _tasks(crm, chain)) == {"approved": 1, "pending": 2}
    assert boss.post(f"/api/approvals/{chain}/reject").status_code == 403


def test_two_approvers_of_an_any_step_at_once_give_one_outcome(deals) -> None:
    crm, rep = deals["crm"], deals["rep"]
    from ..access.conftest import person

    second = person(crm, "boss2", roles=("manager",), team="sales")
    # both managers approve the manager step at the same moment
    platform = crm.application.extensions["metacrm"]
    users = platform.compiled.metadata.tables["mc_users"]
    deal = new_deal(rep, amount="5000")
    chain = fire(rep, deal["id"], "submit").json["_approval"]["id"]
    tasks = platform.compiled.metadata.tables["mc_approval_tasks"]
    with platform.writing() as conn:  # give the step a second approver
        conn.execute(tasks.insert().values(approval_id=chain, step="manager", step_index=0,
                                           user_id=second.id, state="pending",
                                           created_at=sa.func.now()))
        assert conn.execute(sa.select(users.c.id).where(users.c.id == second.id)).first()
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def decide(who, verdict: str) -> None:  # type: ignore[no-untyped-def]
        client = crm.application.test_client()
        client.environ_base.update({"HTTP_AUTHORIZATION": who._auth["Authorization"]})
        barrier.wait(timeout=30)
        statuses.append(client.post(f"/api/approvals/{chain}/{verdict}").status_code)

    threads = [threading.Thread(target=decide, args=(deals["boss"], "approve")),
               threading.Thread(target=decide, args=(second, "reject"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) in ([200, 409], [200, 403])  # the second finds it decided
    status = crm.get(f"/api/deal/{deal['id']}").json["status"]
    assert status in ("approved", "rejected")
    decided = [t for t in _tasks(crm, chain) if t[2] in ("approved", "rejected")]
    assert len(decided) == 1


def test_an_approval_of_the_entity_itself(deals) -> None:
    crm, rep, fin1 = deals["crm"], deals["rep"], deals["fin1"]
    deal = new_deal(rep, reviewer=fin1.id)
    submitted = rep.post(f"/api/deal/{deal['id']}/approvals", json={"approval": "deal_review"})
    assert submitted.status_code == 201, submitted.json
    chain = submitted.json["_approval"]["id"]
    assert rep.post(f"/api/deal/{deal['id']}/approvals", json={"approval": "deal_approval"}
                    ).status_code == 409  # started by its transition, not directly
    fin1.post(f"/api/approvals/{chain}/approve")
    assert crm.get(f"/api/deal/{deal['id']}").json["notes"] == "reviewed"
    unknown = rep.post(f"/api/deal/{deal['id']}/approvals", json={"approval": "deal_reviw"})
    assert unknown.status_code == 422
    assert "did you mean 'deal_review'" in unknown.json["errors"]["approval"][0]


def test_a_submission_body_is_read_strictly(deals) -> None:
    rep, fin1 = deals["rep"], deals["fin1"]
    deal = new_deal(rep, reviewer=fin1.id)
    url = f"/api/deal/{deal['id']}/approvals"
    typo = rep.post(url, json={"approval": "deal_review", "coment": "请审"})
    assert typo.status_code == 422, typo.json
    assert "did you mean 'comment'" in typo.json["errors"]["coment"][0]
    odd = rep.post(url, json={"approval": {"<b>x</b>": 1}})
    assert odd.status_code == 422
    assert "<b>" not in str(odd.json)  # a non-text name is not echoed back
    assert rep.post(url, json=["deal_review"]).status_code == 400
    assert rep.post(url, json={"approval": "deal_review", "comment": "请审"}).status_code == 201


def test_a_step_its_approver_already_settled_is_not_asked_again(make_client, tmp_path) -> None:
    from ..access.conftest import person
    from ..conftest import write_bundle
    from .conftest import DEALS

    doubled = dict(DEALS)
    doubled["workflows/deal_flow.yaml"] = DEALS["workflows/deal_flow.yaml"].replace(
        """          - name: finance
            label: {en: Finance, zh: 财务审批}
            approvers: {role: finance}
            when: "amount > 100000.0"
            decide: all
            reject_to: previous""", """          - name: director
            label: {en: Director, zh: 总监审批}
            approvers: {role: manager}""")
    crm = make_client(write_bundle(tmp_path / "doubled", doubled, name="deals"))
    boss = person(crm, "boss", roles=("manager",), team="sales")
    rep = person(crm, "rep", roles=("rep",), team="sales", manager="boss")
    deal = new_deal(rep, amount="5000")
    chain = fire(rep, deal["id"], "submit").json["_approval"]["id"]
    assert boss.post(f"/api/approvals/{chain}/approve").status_code == 200
    # the boss is the only manager: the director step is theirs too, and already settled
    assert crm.get(f"/api/deal/{deal['id']}").json["status"] == "approved"
    detail = crm.get(f"/api/approvals/{chain}").json
    assert [e["kind"] for e in detail["timeline"]][-3:] == ["approve", "skip", "done"]


def test_a_deletion_cannot_cascade_to_a_record_waiting_for_approval(make_client,
                                                                   tmp_path) -> None:
    """Deleting the deal's account would delete the deal under its pending chain, and
    the chain could then never end: the deletion is refused, nothing is deleted."""
    from ..access.conftest import person
    from ..conftest import write_bundle
    from .conftest import DEALS

    with_accounts = dict(DEALS)
    with_accounts["entities/deal.yaml"] = DEALS["entities/deal.yaml"].replace(
        "          notes: {type: text}\n",
        "          notes: {type: text}\n"
        "          account: {type: reference, to: account, on_delete: cascade}\n") + """
        ---
        entity: account
        fields:
          name: {type: string, required: true}
        """
    with_accounts["roles/roles.yaml"] = DEALS["roles/roles.yaml"] + """
        ---
        role: accounts
        permissions:
          account: {operations: [read]}
        """
    crm = make_client(write_bundle(tmp_path / "accounts", with_accounts, name="deals"))
    boss = person(crm, "boss", roles=("manager",), team="sales")
    rep = person(crm, "rep", roles=("rep", "accounts"), team="sales", manager="boss")
    account = crm.post("/api/account", json={"name": "星河集团"}).json["id"]
    deal = new_deal(rep, amount="5000", account=account)
    chain = fire(rep, deal["id"], "submit").json["_approval"]["id"]
    refused = crm.delete(f"/api/account/{account}")
    assert refused.status_code == 409
    assert f"#{chain}" in refused.json["errors"]["_request"][0]
    assert crm.get(f"/api/account/{account}").status_code == 200
    assert boss.post(f"/api/approvals/{chain}/approve").status_code == 200
    assert crm.get(f"/api/deal/{deal['id']}").json["status"] == "approved"
    assert crm.delete(f"/api/account/{account}").status_code == 204
