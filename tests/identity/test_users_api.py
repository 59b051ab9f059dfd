"""/api/users: a directory for everyone signed in; administrators create and
change users, everyone else only their own details and password."""

from __future__ import annotations

import sqlalchemy as sa

from .conftest import PASSWORD, add_user, bearer, platform_of, signed_in


def test_the_directory_needs_credentials(anonymous) -> None:
    response = anonymous.get("/api/users")
    assert response.status_code == 401
    assert "Authorization" in response.json["errors"]
    assert anonymous.get("/api/users/me").status_code == 401


def test_an_administrator_creates_a_user_with_roles_teams_and_manager(crm) -> None:
    crm.post("/api/teams", json={"code": "east", "name": "华东"})
    boss = add_user(crm, "zhang.wei", roles=("sales_manager",))
    created = crm.post("/api/users", json={
        "username": "li.na", "name": "李娜", "email": "li.na@example.com",
        "phone": "+86 138 0013 8000", "language": "zh", "password": "s3cret-pass",
        "roles": ["salesperson"], "teams": ["east"], "manager": boss["id"]})
    assert created.status_code == 201, created.json
    body = created.json
    assert created.headers["Location"].endswith(f"/api/users/{body['id']}")
    assert {k: body[k] for k in ("username", "name", "email", "phone", "language", "active",
                                 "manager", "teams", "roles", "is_admin")} == {
        "username": "li.na", "name": "李娜", "email": "li.na@example.com",
        "phone": "+86 138 0013 8000", "language": "zh", "active": True,
        "manager": boss["id"], "teams": ["east"], "roles": ["salesperson"], "is_admin": False}
    assert "password" not in body and "password_hash" not in body
    with platform_of(crm).reading() as conn:
        stored = conn.execute(sa.text("SELECT password_hash FROM mc_users "
                                      "WHERE username = 'li.na'")).scalar_one()
    assert stored.startswith("$argon2id$")
    assert crm.get(f"/api/users/{body['id']}").json == body


def test_everyone_signed_in_reads_the_directory_admins_see_more(crm) -> None:
    crm.post("/api/teams", json={"code": "east", "name": "East"})
    add_user(crm, "wang", name="王芳", teams=["east"])
    add_user(crm, "zhao", name="赵敏", roles=("service_agent",))
    as_wang = bearer(crm, "wang")
    listed = crm.get("/api/users", headers=as_wang)
    assert listed.status_code == 200
    wang = next(u for u in listed.json["items"] if u["username"] == "wang")
    assert wang["teams"] == ["east"] and wang["roles"] == ["salesperson"]
    assert "is_admin" not in wang and "created_at" not in wang
    as_admin = next(u for u in crm.get("/api/users").json["items"] if u["username"] == "wang")
    assert as_admin["is_admin"] is False and as_admin["created_at"]


def test_the_directory_filters_by_text_team_role_and_active(crm) -> None:
    crm.post("/api/teams", json={"code": "east", "name": "East"})
    wang = add_user(crm, "wang.fang", name="王芳", teams=["east"])
    add_user(crm, "liu.yang", name="刘洋 50%_off")
    zhao = add_user(crm, "zhao.min", name="赵敏", roles=("service_agent",))

    def names(query: str) -> list[str]:
        response = crm.get(f"/api/users?{query}")
        assert response.status_code == 200, response.json
        return [u["username"] for u in response.json["items"]]

    assert names("q=王") == ["wang.fang"]
    assert names("q=FANG") == ["wang.fang"]
    assert names("q=50%25_") == ["liu.yang"]  # % and _ are text, not wildcards
    assert names("q=%25") == ["liu.yang"]
    assert names("team=east") == ["wang.fang"]
    assert names("role=service_agent") == ["zhao.min"]
    crm.patch(f"/api/users/{zhao['id']}", json={"active": False})
    assert names("active=false") == ["zhao.min"]
    assert "zhao.min" not in names("active=true") and wang["username"] in names("active=true")


def test_bad_directory_parameters_are_400(crm) -> None:
    response = crm.get("/api/users?activ=true&active=yes")
    assert response.status_code == 400
    assert response.json["errors"] == {
        "activ": ["Unknown parameter (did you mean 'active'?)."],
        "active": ["Must be one of: true, false."]}


def test_me_tells_the_caller_who_they_are_and_what_they_may_do(crm) -> None:
    add_user(crm, "wang", name="王芳")
    me = crm.get("/api/users/me", headers=bearer(crm, "wang")).json
    assert me["username"] == "wang" and me["roles"] == ["salesperson"]
    assert me["administrator"] is False and me["is_admin"] is False
    assert me["permissions"]["customer"] == ["read", "create", "update", "claim", "release"]
    assert me["permissions"]["product"] == ["read"]
    assert "csrf_token" not in me  # a token needs none
    admin = crm.get("/api/users/me").json
    assert admin["administrator"] is True and "transfer" in admin["permissions"]["customer"]


def test_only_administrators_create_and_change_others(crm) -> None:
    wang = add_user(crm, "wang")
    liu = add_user(crm, "liu")
    as_wang = bearer(crm, "wang")
    refused = crm.post("/api/users", json={"username": "x"}, headers=as_wang)
    assert refused.status_code == 403
    assert refused.json == {"errors": {"_request": ["Only an administrator may do this."]}}
    other = crm.patch(f"/api/users/{liu['id']}", json={"name": "x"}, headers=as_wang)
    assert other.status_code == 403
    own_roles = crm.patch(f"/api/users/{wang['id']}",
                          json={"roles": ["sales_director"], "is_admin": True}, headers=as_wang)
    assert own_roles.status_code == 403
    assert set(own_roles.json["errors"]) == {"roles", "is_admin"}
    own = crm.patch(f"/api/users/{wang['id']}", headers=as_wang,
                    json={"name": "王芳", "email": "wang@example.com", "language": "zh"})
    assert own.status_code == 200, own.json
    assert (own.json["name"], own.json["language"]) == ("王芳", "zh")
    assert crm.get(f"/api/users/{wang['id']}").json["roles"] == ["salesperson"]


def test_unknown_keys_roles_and_teams_are_422_with_suggestions(crm) -> None:
    crm.post("/api/teams", json={"code": "east", "name": "East"})
    response = crm.post("/api/users", json={
        "username": "li.na", "emial": "x@example.com", "roles": ["salesperso"],
        "teams": ["eats"], "language": "fr", "password": "short", "active": "yes"})
    assert response.status_code == 422
    assert response.json["errors"] == {
        "emial": ["Unknown field (did you mean 'email'?)."],
        "language": ["Must be one of: en, zh."],
        "password": ["A password needs at least 10 characters."],
        "active": ["Not a valid boolean."]}
    references = crm.post("/api/users", json={"username": "li.na", "roles": ["salesperso"],
                                              "teams": ["eats"], "manager": 999999})
    assert references.status_code == 422
    assert references.json["errors"] == {
        "roles": ["Unknown role 'salesperso' (did you mean 'salesperson'?)."],
        "teams": ["Unknown team 'eats' (did you mean 'east'?)."],
        "manager": ["No user with id 999999."]}
    assert crm.get("/api/users?q=li.na").json["items"] == []  # nothing half-created


def test_messages_follow_the_request_language(crm) -> None:
    response = crm.post("/api/users", json={"username": "li.na", "roles": ["salesperso"]},
                        headers={"Accept-Language": "zh-CN"})
    assert response.json["errors"] == {
        "roles": ["未知角色 'salesperso'（您是否想输入 'salesperson'？）。"]}


def test_a_taken_username_is_409(crm) -> None:
    add_user(crm, "li.na")
    response = crm.post("/api/users", json={"username": "li.na"})
    assert response.status_code == 409
    assert response.json == {"errors": {"username": ["The username 'li.na' is already taken."]}}
    other = add_user(crm, "wang")
    renamed = crm.patch(f"/api/users/{other['id']}", json={"username": "li.na"})
    assert renamed.status_code == 409


def test_the_reporting_line_may_not_loop(crm) -> None:
    boss = add_user(crm, "boss", roles=("sales_director",))
    mid = add_user(crm, "mid", roles=("sales_manager",), manager=boss["id"])
    low = add_user(crm, "low", manager=mid["id"])
    loop = crm.patch(f"/api/users/{boss['id']}", json={"manager": low["id"]})
    assert loop.status_code == 422
    assert "circle" in loop.json["errors"]["manager"][0]
    own = crm.patch(f"/api/users/{boss['id']}", json={"manager": boss["id"]})
    assert own.json["errors"] == {"manager": ["A user cannot be their own manager."]}
    top = crm.patch(f"/api/users/{low['id']}", json={"manager": None})
    assert top.status_code == 200 and top.json["manager"] is None


def test_changing_roles_changes_what_the_user_may_do_at_once(crm) -> None:
    wang = add_user(crm, "wang", roles=())
    headers = bearer(crm, "wang")
    assert crm.get("/api/customer", headers=headers).status_code == 403
    crm.patch(f"/api/users/{wang['id']}", json={"roles": ["auditor"]})
    assert crm.get("/api/customer", headers=headers).status_code == 200
    assert crm.post("/api/customer", json={"name": "x"}, headers=headers).status_code == 403


def test_a_new_password_needs_the_current_one(crm) -> None:
    wang = add_user(crm, "wang")
    headers = bearer(crm, "wang")
    url = f"/api/users/{wang['id']}"
    missing = crm.patch(url, json={"password": "new-password"}, headers=headers)
    assert missing.status_code == 422
    assert missing.json["errors"] == {
        "current_password": ["Give your current password to set a new one."]}
    wrong = crm.patch(url, json={"password": "new-password", "current_password": "nope"},
                      headers=headers)
    assert wrong.json["errors"] == {"current_password": ["This is not the current password."]}
    alone = crm.patch(url, json={"current_password": PASSWORD}, headers=headers)
    assert alone.status_code == 422
    changed = crm.patch(url, json={"password": "new-password", "current_password": PASSWORD},
                        headers=headers)
    assert changed.status_code == 200, changed.json
    assert signed_in(crm, "wang", "new-password").me["username"] == "wang"
    # An administrator resets someone else's password without knowing it.
    assert crm.patch(url, json={"password": "reset-by-admin"}).status_code == 200
    assert signed_in(crm, "wang", "reset-by-admin").me["username"] == "wang"


def test_unknown_users_are_404(crm) -> None:
    assert crm.get("/api/users/999999").status_code == 404
    assert crm.patch("/api/users/999999", json={"name": "x"}).status_code == 404
