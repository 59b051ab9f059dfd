"""Delegation periods: while one runs, tasks given to its user go to the delegate (on
their behalf); created, listed and revoked by the user (or an administrator for
anyone); periods of one user never overlap, even when asked for at the same moment."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from .approvals_support import (
    set_user,
    submitted_deal,
    tasks_of,
    timed_fixture,  # noqa: F401 - the fixture "timed"
    told,
)


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _period(days_from: float = 0, days_to: float = 7) -> dict[str, str]:
    now = datetime.now(UTC)
    return {"starts_at": _iso(now + timedelta(days=days_from)),
            "ends_at": _iso(now + timedelta(days=days_to))}


def test_while_a_delegation_runs_new_tasks_go_to_the_delegate(timed) -> None:
    crm, rep, boss, director = timed["crm"], timed["rep"], timed["boss"], timed["director"]
    made = boss.post("/api/approvals/delegations", json={"delegate": director.id, **_period()})
    assert made.status_code == 201, made.json
    assert (made.json["user"], made.json["delegate"], made.json["running"]) == (
        {"id": boss.id, "name": "boss"}, {"id": director.id, "name": "director"}, True)
    _, chain = submitted_deal(rep)
    assert [(t["user_id"], t["on_behalf_of"]) for t in tasks_of(crm, chain)] == [
        (director.id, boss.id)]
    assert told(director)[0]["kind"] == "approval_waiting"
    assert [i["on_behalf_of"]["name"] for i in director.get("/api/approvals").json["items"]] == [
        "boss"]
    assert boss.get(f"/api/approvals/{chain}").status_code == 200  # it was given for them
    listed = boss.get("/api/approvals/delegations").json["items"]
    assert [d["id"] for d in listed] == [made.json["id"]]
    assert boss.delete(f"/api/approvals/delegations/{made.json['id']}").status_code == 204
    assert boss.get("/api/approvals/delegations").json["items"][0]["revoked_at"] is not None
    _, after = submitted_deal(rep, name="after the revocation")
    assert [t["user_id"] for t in tasks_of(crm, after)] == [boss.id]
    # Tasks handed over while it ran stay with the delegate.
    assert [t["user_id"] for t in tasks_of(crm, chain)] == [director.id]


def test_a_planned_delegation_changes_nothing_before_it_starts(timed) -> None:
    crm, rep, boss, director = timed["crm"], timed["rep"], timed["boss"], timed["director"]
    made = boss.post("/api/approvals/delegations",
                     json={"delegate": director.id, **_period(days_from=1, days_to=3)})
    assert made.status_code == 201 and made.json["running"] is False
    _, chain = submitted_deal(rep)
    assert [t["user_id"] for t in tasks_of(crm, chain)] == [boss.id]


def test_a_delegation_never_hands_the_submitter_their_own_request(timed) -> None:
    """The submitter's manager away, delegating to the submitter: the manager keeps the
    task (otherwise the submitter would approve their own request)."""
    crm, rep, boss, fin1, fin2 = (timed[k] for k in ("crm", "rep", "boss", "fin1", "fin2"))
    assert boss.post("/api/approvals/delegations",
                     json={"delegate": rep.id, **_period()}).status_code == 201
    _, chain = submitted_deal(rep, amount="250000")
    assert [(t["user_id"], t["on_behalf_of"]) for t in tasks_of(crm, chain)] == [(boss.id, None)]
    assert rep.post(f"/api/approvals/{chain}/approve").status_code == 403
    # Nor gives anyone a second task of one step: fin1 keeps theirs.
    assert fin1.post("/api/approvals/delegations",
                     json={"delegate": fin2.id, **_period()}).status_code == 201
    boss.post(f"/api/approvals/{chain}/approve")
    finance = [(t["user_id"], t["on_behalf_of"]) for t in tasks_of(crm, chain)
               if t["step"] == "finance"]
    assert finance == [(fin1.id, None), (fin2.id, None)]


def test_what_a_delegation_must_say(timed) -> None:
    crm, boss, director = timed["crm"], timed["boss"], timed["director"]
    set_user(crm, timed["other"], active=False)
    now = datetime.now(UTC)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"delegate": director.id, "starts_at": _iso(now), "ends_at": _iso(now)}, "ends_at"),
        ({"delegate": director.id, "starts_at": _iso(now - timedelta(days=3)),
          "ends_at": _iso(now - timedelta(days=1))}, "ends_at"),
        ({"delegate": boss.id, **_period()}, "delegate"),
        ({"delegate": timed["other"].id, **_period()}, "delegate"),
        ({"delegate": 999999, **_period()}, "delegate"),
        ({"delegate": director.id}, "ends_at"),
        ({"delegate": director.id, "ends_at": "next week"}, "ends_at"),
        ({"delegate": True, **_period()}, "delegate"),
        ({"delegate": "²", **_period()}, "delegate"),
        ({"delegate": "9" * 5000, **_period()}, "delegate"),
        ({"delegate": director.id, "until": "2030-01-01", **_period()}, "until"),
    ]
    for body, key in cases:
        response = boss.post("/api/approvals/delegations", json=body)
        assert response.status_code == 422, body
        assert key in response.json["errors"], (body, response.json)
    assert boss.get("/api/approvals/delegations").json["items"] == []


def test_periods_of_one_user_do_not_overlap(timed) -> None:
    boss, director, fin1 = timed["boss"], timed["director"], timed["fin1"]
    first = boss.post("/api/approvals/delegations",
                      json={"delegate": director.id, **_period(days_from=0, days_to=7)})
    assert first.status_code == 201
    clash = boss.post("/api/approvals/delegations",
                      json={"delegate": fin1.id, **_period(days_from=6, days_to=10)})
    assert clash.status_code == 409
    assert f"delegation #{first.json['id']}" in clash.json["errors"]["_request"][0]
    after = boss.post("/api/approvals/delegations",
                      json={"delegate": fin1.id, "starts_at": first.json["ends_at"],
                            "ends_at": _period(days_to=10)["ends_at"]})
    assert after.status_code == 201  # back to back is fine
    boss.delete(f"/api/approvals/delegations/{first.json['id']}")
    assert boss.post("/api/approvals/delegations",
                     json={"delegate": fin1.id, **_period(days_from=1, days_to=2)}
                     ).status_code == 201  # the revoked one no longer counts


def test_two_overlapping_periods_asked_for_at_once_give_one(timed) -> None:
    crm, boss, director, fin1 = timed["crm"], timed["boss"], timed["director"], timed["fin1"]
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def ask(delegate: int) -> None:
        client = crm.application.test_client()
        barrier.wait(timeout=30)
        statuses.append(client.post("/api/approvals/delegations", headers=boss._auth,
                                    json={"delegate": delegate, **_period()}).status_code)

    threads = [threading.Thread(target=ask, args=(uid,)) for uid in (director.id, fin1.id)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [201, 409]
    assert len(boss.get("/api/approvals/delegations").json["items"]) == 1


def test_administrators_manage_anyones_delegations_others_only_their_own(timed) -> None:
    crm, boss, director, rep = timed["crm"], timed["boss"], timed["director"], timed["rep"]
    body = {"user": boss.id, "delegate": director.id, **_period()}
    assert rep.post("/api/approvals/delegations", json=body).status_code == 403
    made = crm.post("/api/approvals/delegations", json=body)
    assert made.status_code == 201 and made.json["user"]["id"] == boss.id
    assert rep.get(f"/api/approvals/delegations?user={boss.id}").status_code == 403
    assert [d["id"] for d in crm.get(f"/api/approvals/delegations?user={boss.id}").json[
        "items"]] == [made.json["id"]]
    assert rep.get("/api/approvals/delegations").json["items"] == []
    assert rep.delete(f"/api/approvals/delegations/{made.json['id']}").status_code == 404
    assert boss.delete("/api/approvals/delegations/999999").status_code == 404
    assert crm.delete(f"/api/approvals/delegations/{made.json['id']}").status_code == 204
