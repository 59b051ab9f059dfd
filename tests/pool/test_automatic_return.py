"""Return rules (自动退回公海): held records left idle past a rule go back to the
pool on their own, all in one set-based change, audited, and only once."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from metacrm.runtime.pool_returns import return_idle

from .conftest import Caller, audit_rows, make_record, owners, pool_customer, set_columns

RULE = "no_followup_30_days"


def _return(app: Any, now: datetime, entity: str = "customer", rule: str = RULE,
            dry_run: bool = False) -> list[int]:
    platform = app.extensions["metacrm"]
    compiled = platform.compiled
    model = compiled.models[entity]
    (found,) = [r for r in model.entity.pool.return_rules if r.name == rule]
    with platform.writing() as conn:
        return return_idle(conn, compiled, model, found, now, dry_run=dry_run)


def _held(crm: Any, who: Caller, name: str, **values: Any) -> dict[str, Any]:
    customer = pool_customer(crm, name, **values)
    response = who.claim("customer", customer["id"])
    assert response.status_code == 200, response.json
    return dict(response.json)


def _follow_up(who: Caller, customer_id: int, occurred_at: datetime) -> None:
    response = who.post("/api/activity", json={
        "customer": customer_id, "subject": "电话回访", "occurred_at": occurred_at.isoformat()})
    assert response.status_code == 201, response.json


def test_idle_customers_go_back_and_the_others_stay(crm, sales, at) -> None:
    wang, liu = sales["wang"], sales["liu"]
    idle = _held(crm, wang, "久未跟进")
    idle_too = _held(crm, liu, "也久未跟进")
    followed = _held(crm, wang, "最近跟进过")
    _follow_up(wang, followed["id"], at(days=10))   # 21 days before the run: not idle
    recent = _held(crm, wang, "刚领取")
    set_columns(crm.application, "customer", recent["id"], owner_since=at(days=25))
    signed = _held(crm, wang, "已成交")
    assert crm.patch(f"/api/customer/{signed['id']}",  # signed (not by wang: his limit)
                     json={"lifecycle": "customer", "phone": "021-55550000"}).status_code == 200
    pooled = pool_customer(crm, "一直在公海")

    returned = _return(crm.application, at(days=31))

    assert returned == sorted([idle["id"], idle_too["id"]])
    assert owners(crm.application, "customer", [
        idle["id"], idle_too["id"], followed["id"], recent["id"], signed["id"], pooled["id"]
    ]) == {idle["id"]: None, idle_too["id"]: None, followed["id"]: wang.id,
           recent["id"]: wang.id, signed["id"]: wang.id, pooled["id"]: None}
    record = crm.get(f"/api/customer/{idle['id']}").json
    assert (record["lifecycle"], record["owner_since"]) == ("public_pool", None)
    assert record["version"] == idle["version"] + 1 and record["updated_by"] is None


def test_nothing_is_returned_before_the_idle_days_are_over(crm, sales, at) -> None:
    _held(crm, sales["wang"], "二十九天")
    assert _return(crm.application, at(days=29)) == []


def test_each_return_is_audited_as_the_system_naming_the_rule(crm, sales, at) -> None:
    wang = sales["wang"]
    first, second = _held(crm, wang, "甲"), _held(crm, wang, "乙")

    moment = at(days=31)
    _return(crm.application, moment)

    for held in (first, second):
        (row,) = audit_rows(crm.application, "customer", held["id"], "return")
        assert row["user_id"] is None
        assert row["note"] == "auto return: no_followup_30_days (idle 30 days)"
        assert row["changes"] == {"owner": [wang.id, None],
                                  "lifecycle": ["lead", "public_pool"],
                                  "owner_since": [held["owner_since"], None],
                                  "returned_to_pool_at": [None, moment.isoformat()]}


def test_a_second_run_finds_nothing_to_do(crm, sales, at) -> None:
    held = _held(crm, sales["wang"], "甲")
    assert _return(crm.application, at(days=31)) == [held["id"]]
    assert _return(crm.application, at(days=31)) == []
    assert _return(crm.application, at(days=60)) == []
    assert len(audit_rows(crm.application, "customer", held["id"], "return")) == 1


def test_a_dry_run_names_the_records_and_changes_nothing(crm, sales, at) -> None:
    held = _held(crm, sales["wang"], "甲")
    assert _return(crm.application, at(days=31), dry_run=True) == [held["id"]]
    assert owners(crm.application, "customer", [held["id"]]) == {held["id"]: sales["wang"].id}
    assert audit_rows(crm.application, "customer", held["id"], "return") == []
    assert crm.get(f"/api/customer/{held['id']}").json["version"] == held["version"]


def test_a_returned_customer_can_be_claimed_again(crm, sales, at) -> None:
    held = _held(crm, sales["wang"], "甲")
    _return(crm.application, at(days=31))
    response = sales["yang"].claim("customer", held["id"])
    assert response.status_code == 200
    assert response.json["owner"] == sales["yang"].id


def test_runs_at_the_same_time_return_each_record_once(crm, sales, at) -> None:
    held = [_held(crm, sales["wang"], f"客户 {i}")["id"] for i in range(6)]
    barrier = threading.Barrier(2)
    results: list[list[int]] = []

    def run() -> None:
        barrier.wait(timeout=30)
        results.append(_return(crm.application, at(days=31)))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(results[0] + results[1]) == held
    for record_id in held:
        assert len(audit_rows(crm.application, "customer", record_id, "return")) == 1


# --- the small leads bundle: where, created_at, several rules -----------------------


def test_without_any_activity_time_a_record_counts_from_its_creation(leads_app, at) -> None:
    app = leads_app.application
    old = make_record(leads_app, "lead", name="旧")
    new = make_record(leads_app, "lead", name="新")
    for lead in (old, new):  # no owner_since, no last contact: creation time decides
        set_columns(app, "lead", lead["id"], owner_since=None, last_contact_at=None)
    set_columns(app, "lead", old["id"], created_at=at(days=-10))

    assert _return(app, at(days=1), "lead", "idle_7_days") == [old["id"]]


def test_the_latest_activity_counts(leads_app, at) -> None:
    app = leads_app.application
    touched = make_record(leads_app, "lead", name="联系过", last_contact_at=at(days=5).isoformat())
    untouched = make_record(leads_app, "lead", name="没联系")
    assert _return(app, at(days=8), "lead", "idle_7_days") == [untouched["id"]]
    assert _return(app, at(days=13), "lead", "idle_7_days") == [touched["id"]]


def test_where_limits_a_rule_and_unless_keeps_records(leads_app, at) -> None:
    app = leads_app.application
    north = make_record(leads_app, "lead", name="北", region="north")
    south = make_record(leads_app, "lead", name="南", region="south")
    won = make_record(leads_app, "lead", name="赢", status="won")
    empty = make_record(leads_app, "lead", name="空")  # region empty: outside "where"

    assert _return(app, at(days=3), "lead", "north_idle_2_days") == [north["id"]]
    assert _return(app, at(days=8), "lead", "idle_7_days") == sorted([south["id"],
                                                                       empty["id"]])
    assert owners(app, "lead", [won["id"]]) != {won["id"]: None}
    back = leads_app.get(f"/api/lead/{north['id']}").json
    assert (back["owner"], back["status"]) == (None, "pooled")


def test_a_record_with_an_empty_unless_field_is_still_returned(leads_app, at) -> None:
    # "unless: {status: won}" must not keep records whose status is empty (SQL NULL).
    app = leads_app.application
    lead = make_record(leads_app, "lead", name="无状态")
    set_columns(app, "lead", lead["id"], status=None)
    assert _return(app, at(days=8), "lead", "idle_7_days") == [lead["id"]]


def test_formulas_follow_the_change_of_hands(leads_app, at) -> None:
    app = leads_app.application
    rep = Caller(app, "rep", roles=("rep",))
    pooled = make_record(leads_app, "lead", name="公海", owner=None)
    assert pooled["in_pool"] is True
    assert rep.claim("lead", pooled["id"]).json["in_pool"] is False
    assert rep.release("lead", pooled["id"]).json["in_pool"] is True
    assert rep.claim("lead", pooled["id"]).json["in_pool"] is False
    held = [make_record(leads_app, "lead", name=f"线索 {i}")["id"] for i in range(3)]

    assert _return(app, at(days=8), "lead", "idle_7_days") == sorted([pooled["id"], *held])
    for record_id in (pooled["id"], *held):
        record = leads_app.get(f"/api/lead/{record_id}").json
        assert (record["owner"], record["in_pool"]) == (None, True)
    (row,) = audit_rows(app, "lead", held[0], "return")
    assert row["changes"]["in_pool"] == [False, True]
