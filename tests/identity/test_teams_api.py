"""/api/teams: everyone reads teams; administrators create, rename, choose the
members of and delete them."""

from __future__ import annotations

from .conftest import add_user, bearer


def test_an_administrator_manages_a_team_and_its_members(crm) -> None:
    wang, liu = add_user(crm, "wang"), add_user(crm, "liu")
    created = crm.post("/api/teams", json={"code": "east", "name": "华东销售部",
                                           "members": [wang["id"]]})
    assert created.status_code == 201, created.json
    team = created.json
    assert team == {"id": team["id"], "code": "east", "name": "华东销售部",
                    "members": [wang["id"]]}
    assert created.headers["Location"].endswith(f"/api/teams/{team['id']}")
    changed = crm.patch(f"/api/teams/{team['id']}", json={"name": "East",
                                                          "members": [liu["id"], wang["id"]]})
    assert changed.status_code == 200
    assert changed.json["name"] == "East" and changed.json["members"] == sorted(
        [wang["id"], liu["id"]])
    assert crm.get(f"/api/users/{liu['id']}").json["teams"] == ["east"]
    assert crm.get("/api/teams").json["items"] == [changed.json]
    assert crm.delete(f"/api/teams/{team['id']}").status_code == 204
    assert crm.get("/api/teams").json["items"] == []
    assert crm.get(f"/api/users/{liu['id']}").json["teams"] == []
    assert crm.delete(f"/api/teams/{team['id']}").status_code == 404


def test_everyone_reads_teams_only_administrators_change_them(crm, anonymous) -> None:
    add_user(crm, "wang")
    team = crm.post("/api/teams", json={"code": "east"}).json
    assert team["name"] == "east"
    as_wang = bearer(crm, "wang")
    assert crm.get("/api/teams", headers=as_wang).json["items"][0]["code"] == "east"
    assert crm.post("/api/teams", json={"code": "west"}, headers=as_wang).status_code == 403
    assert crm.patch(f"/api/teams/{team['id']}", json={"name": "x"},
                     headers=as_wang).status_code == 403
    assert crm.delete(f"/api/teams/{team['id']}", headers=as_wang).status_code == 403
    assert anonymous.get("/api/teams").status_code == 401


def test_team_mistakes_are_reported(crm) -> None:
    crm.post("/api/teams", json={"code": "east"})
    taken = crm.post("/api/teams", json={"code": "east"})
    assert taken.status_code == 409
    assert taken.json == {"errors": {"code": ["A team with code 'east' already exists."]}}
    bad = crm.post("/api/teams", json={"code": "East Team", "members": [999999], "nmae": "x"})
    assert bad.status_code == 422
    assert set(bad.json["errors"]) == {"code", "nmae"}
    assert bad.json["errors"]["nmae"] == ["Unknown field (did you mean 'name'?)."]
    members = crm.post("/api/teams", json={"code": "west", "members": [999999]})
    assert members.status_code == 422
    assert members.json == {"errors": {"members": ["No user with id 999999."]}}
    assert [t["code"] for t in crm.get("/api/teams").json["items"]] == ["east"]
    team = crm.get("/api/teams").json["items"][0]
    renamed = crm.patch(f"/api/teams/{team['id']}", json={"code": "north"})
    assert renamed.status_code == 422
    assert renamed.json == {"errors": {"code": ["This cannot be changed."]}}
