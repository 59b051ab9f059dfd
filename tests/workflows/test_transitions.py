"""Transitions: the only way a record's state changes; who may fire them, from which
states, with which fields filled and guards holding; what they do."""

from __future__ import annotations

import sqlalchemy as sa

from .conftest import fire, new_deal


def test_a_record_starts_in_the_initial_state_and_its_state_is_not_writable(deals) -> None:
    rep = deals["rep"]
    deal = new_deal(rep)
    assert deal["status"] == "draft"
    refused = rep.post("/api/deal", json={"name": "x", "status": "won"})
    assert refused.status_code == 422 and list(refused.json["errors"]) == ["status"]
    assert "/api/deal/<id>/transitions/<name>" in refused.json["errors"]["status"][0]
    patched = rep.patch(f"/api/deal/{deal['id']}", json={"status": "won"})
    assert patched.status_code == 422
    assert "only its transitions change it" in patched.json["errors"]["status"][0]
    assert rep.patch(f"/api/deal/{deal['id']}", json={"status": "draft", "notes": "x"}
                     ).status_code == 200  # sending the unchanged state back is fine


def test_get_tells_which_transitions_the_caller_may_fire_and_why_not(deals) -> None:
    rep = deals["rep"]
    deal = new_deal(rep)
    shown = rep.get(f"/api/deal/{deal['id']}").json
    by_name = {t["name"]: t for t in shown["_transitions"]}
    assert set(by_name) == {"submit", "lose"}
    assert by_name["submit"]["allowed"] is False
    assert by_name["submit"]["reason"] == "Fill this in before “Submit for approval”."
    assert by_name["submit"]["approval"] == "deal_approval"
    assert shown["_approval"] is None
    zh = rep.get(f"/api/deal/{deal['id']}", headers={"Accept-Language": "zh"}).json
    assert {t["name"]: t for t in zh["_transitions"]}["submit"]["label"] == "提交审批"


def test_a_transition_from_the_wrong_state_is_409_with_the_reason(deals) -> None:
    rep = deals["rep"]
    deal = new_deal(rep, amount="100")
    response = fire(rep, deal["id"], "win")
    assert response.status_code == 409
    assert response.json["errors"]["_request"] == [
        "“Win” is not possible in state 'draft' (only from: approved)."]
    assert fire(rep, deal["id"], "fly").status_code == 404


def test_required_fields_can_come_with_the_transition(deals) -> None:
    rep = deals["rep"]
    deal = new_deal(rep)
    refused = fire(rep, deal["id"], "lose")
    assert refused.status_code == 409
    assert refused.json["errors"] == {"lost_reason": ["Fill this in before “Lose”."]}
    lost = fire(rep, deal["id"], "lose", values={"lost_reason": "价格太高"}, comment="可惜")
    assert lost.status_code == 200, lost.json
    assert (lost.json["status"], lost.json["lost_reason"]) == ("lost", "价格太高")
    history = rep.get(f"/api/deal/{deal['id']}/history").json["items"]
    assert history[0]["action"] == "transition" and history[0]["note"] == "Lose: 可惜"
    assert history[0]["changes"]["status"] == ["draft", "lost"]


def test_who_may_fire_a_transition(deals) -> None:
    rep, boss, other = deals["rep"], deals["boss"], deals["other"]
    deal = new_deal(rep)
    fire(rep, deal["id"], "lose", values={"lost_reason": "x"})
    refused = fire(boss, deal["id"], "reopen")  # only the owner may reopen
    assert refused.status_code == 403
    assert refused.json["errors"]["_request"] == ["Only the owner may fire “Reopen”."]
    assert fire(other, deal["id"], "reopen").status_code == 404  # not even visible
    assert fire(rep, deal["id"], "reopen").status_code == 200


def test_a_guard_says_why_in_the_callers_language(deals) -> None:
    crm, boss = deals["crm"], deals["boss"]
    deal = new_deal(boss, amount="0")
    _force_state(crm, deal["id"], "approved")
    refused = fire(boss, deal["id"], "win")
    assert refused.status_code == 409
    assert refused.json["errors"]["_request"] == ["A deal is won for some amount"]
    zh = boss.post(f"/api/deal/{deal['id']}/transitions/win",
                   headers={"Accept-Language": "zh"})
    assert zh.json["errors"]["_request"] == ["赢单金额必须大于零"]


def test_actions_create_records_and_notify(deals) -> None:
    crm, boss, rep = deals["crm"], deals["boss"], deals["rep"]
    deal = new_deal(rep, amount="5000")
    _force_state(crm, deal["id"], "approved")
    won = fire(boss, deal["id"], "win")
    assert won.status_code == 200, won.json
    assert won.json["status"] == "won" and won.json["_transitions"] == []
    tasks = crm.get(f"/api/deal_task?deal={deal['id']}").json["items"]
    assert [t["title"] for t in tasks] == ["Kick-off 星河 ERP"]
    assert tasks[0]["created_by"] == boss.id
    platform = crm.application.extensions["metacrm"]
    notifications = platform.compiled.metadata.tables["mc_notifications"]
    with platform.reading() as conn:
        told = conn.execute(sa.select(notifications.c.user_id, notifications.c.title)).all()
    assert (rep.id, "Won!") in told


def _force_state(crm, deal_id: int, state: str) -> None:  # type: ignore[no-untyped-def]
    """Put a record in a state directly, as the platform itself may (a data import)."""
    platform = crm.application.extensions["metacrm"]
    table = platform.compiled.models["deal"].table
    with platform.writing() as conn:
        conn.execute(table.update().where(table.c.id == deal_id).values(status=state))


def test_someone_named_in_who_who_only_reads_may_fill_in_what_it_requires_only(
        make_client, tmp_path) -> None:
    from ..access.conftest import person
    from ..conftest import write_bundle
    from .conftest import DEALS

    reviewed = dict(DEALS)
    reviewed["workflows/deal_flow.yaml"] = DEALS["workflows/deal_flow.yaml"].replace(
        """          - name: reopen
            from: lost""", """          - name: review
            from: approved
            to: won
            who: {roles: [finance]}
            requires: [notes]
          - name: reopen
            from: lost""")
    crm = make_client(write_bundle(tmp_path / "reviewed", reviewed, name="deals"))
    rep = person(crm, "rep", roles=("rep",))
    finance = person(crm, "fin", roles=("finance",))
    deal = new_deal(rep, amount="5000")
    _force_state(crm, deal["id"], "approved")
    edited = fire(finance, deal["id"], "review", values={"notes": "ok", "amount": "1"})
    assert edited.status_code == 403 and "amount" in edited.json["errors"]
    assert crm.get(f"/api/deal/{deal['id']}").json["amount"] == "5000.00"
    done = fire(finance, deal["id"], "review", values={"notes": "核对无误"})
    assert done.status_code == 200 and done.json["status"] == "won"
    assert done.json["notes"] == "核对无误"


def test_a_workflows_help_is_kept(tmp_path) -> None:
    from metacrm.catalog_loader import load_catalog

    from ..conftest import write_bundle
    from .conftest import DEALS

    helped = dict(DEALS)
    helped["workflows/deal_flow.yaml"] = DEALS["workflows/deal_flow.yaml"].replace(
        "        field: status\n",
        "        field: status\n        help: {en: How a deal is won, zh: 商机如何赢单}\n", 1)
    catalog = load_catalog([write_bundle(tmp_path / "helped", helped, name="deals")])
    assert catalog.workflows["deal_flow"].help.get("zh") == "商机如何赢单"
