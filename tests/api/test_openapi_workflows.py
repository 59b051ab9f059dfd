"""The OpenAPI document of workflows and approval chains: the state only transitions
change, `_transitions` and `_approval`, the approvals API and notifications, checked
against a small bundle's running API (the shipped CRM's: test_openapi_document.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate

from metacrm.catalog_loader import load_catalog
from metacrm.web.openapi import build_openapi

from ..access.conftest import person
from ..conftest import write_bundle
from .openapi_checks import FORMATS, declared_answer, is_valid, request_validator, schema_of

DEALS = {
    "entities/deal.yaml": """
        entity: deal
        label: {en: Deal, zh: 商机}
        owned_by: owner
        title: name
        fields:
          name: {type: string, required: true}
          owner: {type: user, default: $user}
          reviewer: {type: user}
          amount: {type: money}
          notes: {type: text}
          status:
            type: choice
            options: [draft, pending, approved, rejected]
            default: draft
            required: true
        ---
        entity: expense
        fields:
          purpose: {type: string, required: true}
          approved: {type: boolean, default: false}
        ---
        entity: approval
        label: {en: Approval note, zh: 批注}
        fields:
          note: {type: string}
        """,
    "roles/roles.yaml": """
        role: rep
        permissions:
          deal: {operations: [read, create, update], scope: own}
        ---
        role: manager
        permissions:
          deal: {operations: [read, create, update], scope: team}
        """,
    "workflows/deal.yaml": """
        workflow: deal_flow
        entity: deal
        field: status
        final: [approved]
        transitions:
          - name: submit
            label: {en: Submit for approval, zh: 提交审批}
            from: [draft, rejected]
            to: approved
            approval: deal_approval
            pending: pending
            rejected: rejected
            requires: [amount]
        ---
        approval: deal_approval
        entity: deal
        label: {en: Deal approval, zh: 商机审批}
        steps:
          - name: manager
            label: {en: Manager, zh: 经理审批}
            approvers: {manager: 1}
        ---
        approval: deal_review
        entity: deal
        label: {en: Review, zh: 复核}
        steps:
          - name: reviewer
            approvers: {field: reviewer}
        on_approve:
          - set: {notes: "'reviewed'"}
        ---
        approval: expense_check
        entity: expense
        steps:
          - name: finance
            approvers: {users: [boss]}
        on_approve:
          - set: {approved: "true"}
        """,
}


def test_workflow_and_approval_paths_of_a_small_bundle(tmp_path: Path) -> None:
    catalog = load_catalog([write_bundle(tmp_path / "deals", DEALS, name="deals")])
    doc = build_openapi(catalog, lang="zh")
    validate(doc)
    paths, schemas = doc["paths"], doc["components"]["schemas"]
    # the entity 'approval' does not replace the approvals API's chain
    assert schema_of(doc, "approval") == "Approval_" and "timeline" in schemas[
        "Approval"]["properties"]
    assert schemas["DealCreate"]["required"] == ["name"]  # not the required state
    assert "status" not in schemas["DealUpdate"]["properties"]
    # a chain a transition starts is submitted by firing it; the others on their own
    submit = "/api/deal/{id}/approvals"
    assert request_validator(doc, submit, "post").is_valid({"approval": "deal_review"})
    for wrong in ({"approval": "deal_approval"}, {"comment": "x"},
                  {"approval": "deal_review", "values": {}}):
        assert not request_validator(doc, submit, "post").is_valid(wrong), wrong
    assert set(paths[submit]["post"]["responses"]) == {"201", "400", "401", "403", "404", "409",
                                                     "412", "413", "422"}
    assert "/api/expense/{id}/approvals" in paths
    assert "/api/expense/{id}/transitions/{name}" not in paths
    expense = paths["/api/expense/{id}"]["get"]["responses"]["200"]["content"]
    assert expense["application/json"]["schema"]["allOf"][1] == {"required": ["_approval"]}
    assert "_transitions" not in schemas["Expense"]["properties"]
    waiting = schemas["Deal"]["properties"]["_approval"]["oneOf"][1]["properties"]
    assert waiting["approval"]["enum"] == ["deal_approval", "deal_review"]
    assert waiting["step"]["enum"] == ["manager", "reviewer"]
    assert not [p for p in paths if p.startswith("/api/approval/") and "transitions" in p]
    assert {"approvals", "notifications"} <= {t["name"] for t in doc["tags"]}


@pytest.fixture
def deals(make_client, tmp_path: Path) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    crm = make_client(write_bundle(tmp_path / "deals", DEALS, name="deals"))
    boss = person(crm, "boss", roles=("manager",), team="sales")
    return {"boss": boss, "rep": person(crm, "rep", roles=("rep",), team="sales",
                                        manager="boss"),
            "other": person(crm, "other", roles=("manager",), team="sales"),
            "outsider": person(crm, "outsider")}


def test_live_workflow_and_approval_answers_match_the_served_document(
        deals: dict[str, Any]) -> None:
    boss, rep, other, outsider = (deals[k] for k in ("boss", "rep", "other", "outsider"))
    docs = {who.username: who.get("/api/openapi.json").json for who in deals.values()}
    for served in docs.values():
        validate(served)

    def call(who, method: str, template: str, *values: object, **kw):  # type: ignore[no-untyped-def]
        given = iter(values)  # fill in the template's {id} and {name}
        url = re.sub(r"\{\w+\}", lambda _: str(next(given)), template)
        response = getattr(who, method)(url, **kw)
        return response.status_code, declared_answer(docs[who.username], template, method,
                                                      response, FORMATS)

    # the state is the workflow's: a record starts in it, only transitions move it
    record, one, fire = "/api/deal", "/api/deal/{id}", "/api/deal/{id}/transitions/{name}"
    assert not is_valid(docs["rep"], "DealCreate", {"name": "星河 ERP", "status": "approved"})
    assert call(rep, "post", record, json={"name": "星河 ERP", "status": "approved"})[0] == 422
    status, deal = call(rep, "post", record, json={"name": "星河 ERP"})
    assert status == 201 and deal["status"] == "draft"
    assert call(rep, "patch", one, deal["id"], json={"status": "approved"})[0] == 422
    shown = call(rep, "get", one, deal["id"])[1]
    assert shown["_approval"] is None
    assert [(t["name"], t["allowed"]) for t in shown["_transitions"]] == [("submit", False)]
    assert call(rep, "post", fire, deal["id"], "submit")[0] == 409  # it requires an amount
    assert call(rep, "post", fire, deal["id"], "sbumit")[0] == 404
    assert call(rep, "post", fire, deal["id"], "submit",
                json={"values": {"status": "approved"}})[0] == 422
    assert call(rep, "post", fire, deal["id"], "submit", json={"values": {"amount": "8"}},
                headers={"If-Match": '"99"'})[0] == 412
    status, waiting = call(rep, "post", fire, deal["id"], "submit",
                           json={"values": {"amount": "88000"}, "comment": "请审批"})
    assert status == 200 and waiting["status"] == "pending"
    assert waiting["_approval"]["step"] == "manager" and waiting["_transitions"] == []
    chain = waiting["_approval"]["id"]
    assert call(rep, "patch", one, deal["id"], json={"notes": "x"})[0] == 409  # it waits

    # the inbox, one chain, comments and decisions
    inbox = call(boss, "get", "/api/approvals", query_string={"assigned": "me"})[1]
    assert [(item["id"], item["state"]) for item in inbox["items"]] == [(chain, "pending")]
    mine = call(rep, "get", "/api/approvals", query_string={"submitted": "me", "limit": 1})[1]
    assert [item["id"] for item in mine["items"]] == [chain] and mine["next_cursor"] is None
    assert call(rep, "get", "/api/approvals", query_string={"assigned": "me",
                                                           "submitted": "me"})[0] == 400
    assert call(boss, "get", "/api/approvals/{id}", chain)[1]["may"]["approve"] is True
    assert call(outsider, "get", "/api/approvals/{id}", chain)[0] == 404
    assert call(rep, "post", "/api/approvals/{id}/approve", chain)[0] == 403  # the submitter
    assert call(boss, "post", "/api/approvals/{id}/comment", chain,
                json={"comment": " "})[0] == 422
    assert call(boss, "post", "/api/approvals/{id}/comment", chain,
                json={"comment": "金额再确认"})[0] == 200
    status, rejected = call(boss, "post", "/api/approvals/{id}/reject", chain,
                            json={"comment": "折扣过大"})
    assert status == 200 and rejected["state"] == "rejected"
    assert call(boss, "post", "/api/approvals/{id}/approve", chain)[0] == 409  # it has ended
    assert call(rep, "get", one, deal["id"])[1]["status"] == "rejected"

    # resubmitted (no body at all), handed on, approved: the transition completes
    again = call(rep, "post", fire, deal["id"], "submit")[1]["_approval"]["id"]
    assert call(boss, "post", "/api/approvals/{id}/delegate", again, json={"to": rep.id})[0] \
        == 422  # not to the submitter
    status, handed = call(boss, "post", "/api/approvals/{id}/delegate", again,
                          json={"to": other.id, "comment": "出差中"})
    assert status == 200 and handed["may"]["approve"] is False
    assert call(other, "post", "/api/approvals/{id}/approve", again)[1]["state"] == "approved"
    done = call(rep, "get", one, deal["id"])[1]
    assert (done["status"], done["_approval"], done["_transitions"]) == ("approved", None, [])
    assert call(boss, "get", "/api/approvals", query_string={"state": "done"})[0] == 200

    # a chain of its own: submitted, withdrawn, submitted again, approved
    submit = "/api/deal/{id}/approvals"
    status, reviewed = call(rep, "post", record, json={"name": "复核", "reviewer": other.id})
    assert call(rep, "post", submit, reviewed["id"], json={"approval": "deal_approval"})[0] \
        == 409  # the transition starts that one
    assert call(rep, "post", submit, reviewed["id"], json={"approval": "nope"})[0] == 422
    status, submitted = call(rep, "post", submit, reviewed["id"],
                             json={"approval": "deal_review", "comment": "请复核"})
    assert status == 201 and submitted["_approval"]["approval"] == "deal_review"
    review = submitted["_approval"]["id"]
    assert call(other, "post", "/api/approvals/{id}/withdraw", review)[0] == 403
    status, withdrawn = call(rep, "post", "/api/approvals/{id}/withdraw", review,
                             json={"comment": "改一下"})
    assert status == 200 and withdrawn["state"] == "withdrawn"
    review = call(rep, "post", submit, reviewed["id"], json={"approval": "deal_review"}
                  )[1]["_approval"]["id"]
    assert call(other, "post", "/api/approvals/{id}/approve", review,
                json={"comment": "好"})[1]["state"] == "approved"
    assert call(rep, "get", one, reviewed["id"])[1]["notes"] == "reviewed"

    # every action the engine wrote into the histories is one the document names
    actions = set()
    for each in (deal, reviewed):
        actions |= {e["action"] for e in call(rep, "get", "/api/deal/{id}/history",
                                              each["id"])[1]["items"]}
    assert {"create", "submit", "reject", "rejected", "approve", "transition",
            "approved"} <= actions

    # delegation periods
    week = {"delegate": other.id, "ends_at": (datetime.now(UTC) + timedelta(days=7)).isoformat()}
    status, period = call(boss, "post", "/api/approvals/delegations", json=week)
    assert status == 201 and period["running"] is True
    assert call(boss, "post", "/api/approvals/delegations", json=week)[0] == 409  # overlaps
    assert call(boss, "post", "/api/approvals/delegations",
                json={**week, "delegate": boss.id})[0] == 422
    assert [p["id"] for p in call(boss, "get", "/api/approvals/delegations")[1]["items"]] == [
        period["id"]]
    assert call(rep, "get", "/api/approvals/delegations",
                query_string={"user": boss.id})[0] == 403
    assert call(rep, "delete", "/api/approvals/delegations/{id}", period["id"])[0] == 404
    assert call(boss, "delete", "/api/approvals/delegations/{id}", period["id"])[0] == 204

    # notifications
    news = call(rep, "get", "/api/notifications")[1]
    assert {"approval_rejected", "approval_approved", "approval_comment"} <= {
        n["kind"] for n in news["items"]}
    assert news["unread"] == len(news["items"]) > 1
    page = call(rep, "get", "/api/notifications", query_string={"limit": 1})[1]
    assert call(rep, "get", "/api/notifications",
                query_string={"cursor": page["next_cursor"]})[1]["items"] == news["items"][1:]
    assert call(rep, "get", "/api/notifications", query_string={"unread": "maybe"})[0] == 400
    oldest = news["items"][-1]["id"]
    assert call(boss, "post", "/api/notifications/{id}/read", oldest)[0] == 404
    status, read = call(rep, "post", "/api/notifications/{id}/read", oldest)
    assert status == 200 and read["read_at"] and read["unread"] == news["unread"] - 1
    assert call(rep, "post", "/api/notifications/read", json={"up_to": "x"})[0] == 422
    status, marked = call(rep, "post", "/api/notifications/read")
    assert status == 200 and marked == {"marked": news["unread"] - 1, "unread": 0}
    assert call(rep, "get", "/api/notifications",
                query_string={"unread": "true"})[1]["items"] == []


def test_approval_times_carry_their_offset(deals: dict[str, Any]) -> None:
    boss, rep = deals["boss"], deals["rep"]
    doc = rep.get("/api/openapi.json").json
    deal = rep.post("/api/deal", json={"name": "星河 ERP", "amount": "88000"}).json
    fired = rep.post(f"/api/deal/{deal['id']}/transitions/submit")
    assert declared_answer(doc, "/api/deal/{id}/transitions/{name}", "post", fired)
    ends = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    period = boss.post("/api/approvals/delegations", json={"delegate": rep.id, "ends_at": ends})
    assert declared_answer(doc, "/api/approvals/delegations", "post", period)
    waiting = boss.get("/api/notifications")
    assert declared_answer(doc, "/api/notifications", "get", waiting)["items"]
