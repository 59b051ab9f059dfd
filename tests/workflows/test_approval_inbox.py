"""The approval inbox: my tasks (pending, done, all) and the chains I submitted, newest
first, keyset-paged, each saying what it is about; a page costs the same few queries
however many rows it shows."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from .approvals_support import (
    platform_of,
    submitted_deal,
    timed_fixture,  # noqa: F401 - the fixture "timed"
)
from .conftest import new_deal


def _inbox(who: Any, **params: Any) -> dict[str, Any]:
    response = who.get("/api/approvals", query_string=params)
    assert response.status_code == 200, response.json
    return response.json


def test_my_pending_tasks_newest_first_with_what_each_is_about(timed) -> None:
    rep, other, boss = timed["rep"], timed["other"], timed["boss"]
    first = submitted_deal(rep, name="星河 ERP")
    second = submitted_deal(other, name="Atlas CRM")
    listed = _inbox(boss, assigned="me")
    assert [item["id"] for item in listed["items"]] == [second[1], first[1]]
    assert listed["next_cursor"] is None
    item = listed["items"][1]
    assert {k: item[k] for k in ("approval", "label", "entity", "entity_label", "record_id",
                                 "title", "step", "step_label", "state", "chain_state",
                                 "on_behalf_of")} == {
        "approval": "deal_approval", "label": "Deal approval", "entity": "deal",
        "entity_label": "Deal", "record_id": first[0], "title": "星河 ERP",
        "step": "manager", "step_label": "Manager", "state": "pending",
        "chain_state": "pending", "on_behalf_of": None}
    assert item["submitter"] == {"id": rep.id, "name": "rep"}
    assert item["submitted_at"] and item["assigned_at"] and item["task_id"]
    assert _inbox(boss) == listed  # assigned=me is the default
    chinese = boss.get("/api/approvals", headers={"Accept-Language": "zh-CN"}).json["items"][1]
    assert (chinese["label"], chinese["step_label"], chinese["entity_label"]) == (
        "商机审批", "经理审批", "商机")
    assert _inbox(rep)["items"] == []  # the submitter approves nothing of their own


def test_done_and_all_show_decided_tasks_too(timed) -> None:
    rep, boss, fin1 = timed["rep"], timed["boss"], timed["fin1"]
    small = submitted_deal(rep, amount="5000")
    big = submitted_deal(rep, amount="250000")
    waiting = submitted_deal(rep, amount="7000")
    assert boss.post(f"/api/approvals/{small[1]}/approve").status_code == 200
    assert boss.post(f"/api/approvals/{big[1]}/reject", json={"comment": "no"}
                     ).status_code == 200
    assert [i["id"] for i in _inbox(boss, state="pending")["items"]] == [waiting[1]]
    done = _inbox(boss, state="done")["items"]
    assert [(i["id"], i["state"], i["chain_state"]) for i in done] == [
        (big[1], "rejected", "rejected"), (small[1], "approved", "approved")]
    assert done[0]["decided_at"] is not None
    assert [i["id"] for i in _inbox(boss, state="all")["items"]] == [
        waiting[1], big[1], small[1]]
    assert _inbox(fin1, state="all")["items"] == []  # the big one never reached finance


def test_pages_follow_next_cursor_without_gaps_or_repeats(timed) -> None:
    rep, boss = timed["rep"], timed["boss"]
    chains = [submitted_deal(rep, name=f"deal {n}")[1] for n in range(7)]
    decided = chains[2]
    boss.post(f"/api/approvals/{decided}/approve")
    for state, expected in (("pending", [c for c in chains if c != decided]),
                            ("all", chains)):
        seen, cursor = [], None
        while True:
            params = {"state": state, "limit": 3, **({"cursor": cursor} if cursor else {})}
            page = _inbox(boss, **params)
            assert len(page["items"]) <= 3
            seen += [item["id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == sorted(expected, reverse=True), state
    submitted_page = _inbox(rep, submitted="me", limit=2)
    assert [i["id"] for i in submitted_page["items"]] == sorted(chains, reverse=True)[:2]
    # A cursor belongs to its own list.
    crossed = boss.get("/api/approvals", query_string={"cursor": submitted_page["next_cursor"]})
    assert crossed.status_code == 400 and "cursor" in crossed.json["errors"]


def test_chains_i_submitted_by_state(timed) -> None:
    rep, boss = timed["rep"], timed["boss"]
    approved = submitted_deal(rep)
    pending = submitted_deal(rep, name="Atlas")
    boss.post(f"/api/approvals/{approved[1]}/approve")
    mine = _inbox(rep, submitted="me", state="all")["items"]
    assert [(i["id"], i["state"]) for i in mine] == [(pending[1], "pending"),
                                                     (approved[1], "approved")]
    assert mine[0]["step"] == "manager" and mine[0]["title"] == "Atlas"
    assert mine[1]["finished_at"] is not None
    assert [i["id"] for i in _inbox(rep, submitted="me")["items"]] == [pending[1]]
    assert [i["id"] for i in _inbox(rep, submitted="me", state="done")["items"]] == [
        approved[1]]
    assert _inbox(boss, submitted="me")["items"] == []


def test_malformed_inbox_queries_say_what_is_wrong(timed) -> None:
    boss = timed["boss"]
    for params, key in (({"assigned": "you"}, "assigned"),
                        ({"assigned": "me", "submitted": "me"}, "submitted"),
                        ({"state": "later"}, "state"), ({"limit": "0"}, "limit"),
                        ({"limit": "many"}, "limit"), ({"cursor": "garbage"}, "cursor"),
                        ({"sate": "pending"}, "sate")):
        response = boss.get("/api/approvals", query_string=params)
        assert response.status_code == 400, params
        assert key in response.json["errors"], (params, response.json)
    assert "did you mean 'state'" in boss.get("/api/approvals?sate=done").json[
        "errors"]["sate"][0]


def test_a_page_costs_the_same_queries_for_two_rows_or_forty(timed) -> None:
    """One query for the page, then batched lookups: never one per row."""
    crm, rep, other, boss = timed["crm"], timed["rep"], timed["other"], timed["boss"]
    submitted_deal(rep)
    submitted_deal(other)
    engine = platform_of(crm).engine
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    def cost(**params: Any) -> tuple[int, int]:
        statements.clear()
        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            items = _inbox(boss, **params)["items"]
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
        return len(items), len(statements)

    cost(limit=50)  # the boss's first request reads their token's user and roles once
    few = cost(limit=50)
    mine = cost(submitted="me", limit=50)
    for n in range(19):
        submitted_deal(rep if n % 2 else other, name=f"deal {n}")
    deal_without_chain = new_deal(rep)  # noqa: F841 - not in anyone's inbox
    many = cost(limit=50)
    assert (few[0], many[0]) == (2, 21)
    assert many[1] == few[1], (few, many)
    assert cost(state="all", limit=50)[1] == few[1]
    assert mine[1] <= few[1]
