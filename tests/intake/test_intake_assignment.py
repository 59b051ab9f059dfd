"""Leads are stored as the source's service user with the source's fixed values, nobody
holds them, so the entity's assignment rules give them to a team in turn; on the
shipped CRM, the website form's East China leads go to the east team."""

from __future__ import annotations

from ..conftest import SHIPPED_BUNDLE, token_for
from .conftest import post_lead, records, source_token


def test_ownerless_leads_go_to_the_team_in_turn(intake_client) -> None:
    app = intake_client.application
    for name in ("wang", "zhao"):
        token_for(app, name, team="south", admin=True)
    token = source_token(intake_client, "web_form")
    answer = post_lead(intake_client, token, {"leads": [
        {"company": "S1", "area": "south"}, {"company": "S2", "area": "south"},
        {"company": "N1", "area": "north"}]})
    assert answer.status_code == 201, answer.json
    users = {u["username"]: u["id"] for u in intake_client.get("/api/users").json["items"]}
    stored = {r["name"]: r for r in records(intake_client)}
    assert {stored["S1"]["owner"], stored["S2"]["owner"]} == {users["wang"], users["zhao"]}
    assert stored["N1"]["owner"] is None  # no rule places it: the pool
    assert {r["origin"] for r in stored.values()} == {"web"}  # the source's fixed value
    history = intake_client.get(f"/api/prospect/{stored['S1']['id']}/history").json["items"]
    assert [(h["action"], h["user_id"]) for h in history] == [
        ("create", users["intake.web_form"])]


def test_the_shipped_website_form_feeds_customers(make_client) -> None:
    crm = make_client(SHIPPED_BUNDLE)
    for name in ("east.one", "east.two"):
        token_for(crm.application, name, roles=("salesperson",), team="east")
    token = source_token(crm, "website_form")
    answer = post_lead(crm, token, {"leads": [
        {"submission_id": "w-1", "company": "杭州云帆科技有限公司", "contact_phone": "13900001111",
         "province": "浙江", "city": "杭州", "message": "想了解报价"},
        {"submission_id": "w-2", "company": "成都天府贸易有限公司", "province": "四川"}]},
        source="website_form")
    assert answer.status_code == 201, answer.json
    east, west = (crm.get(f"/api/customer/{r['id']}").json for r in answer.json["results"])
    assert (east["source"], east["lifecycle"]) == ("website", "lead")
    assert east["owner"] is not None and west["owner"] is None
    assert east["description"] == "想了解报价"
