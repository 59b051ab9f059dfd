"""/api/tokens: a caller's API tokens, the text shown once, revoked at once."""

from __future__ import annotations

import sqlalchemy as sa

from .conftest import add_user, bearer, platform_of, signed_in


def test_issue_list_and_revoke_own_tokens(crm) -> None:
    add_user(crm, "wang")
    browser = signed_in(crm, "wang")
    csrf = {"X-CSRF-Token": browser.csrf}
    issued = browser.post("/api/tokens", json={"name": "laptop"}, headers=csrf)
    assert issued.status_code == 201
    token = issued.json["token"]
    assert token.startswith("mcrm_") and issued.json["name"] == "laptop"
    assert issued.json["revoked_at"] is None
    listed = browser.get("/api/tokens").json["items"]
    assert [(t["id"], t["name"]) for t in listed] == [(issued.json["id"], "laptop")]
    assert all("token" not in t for t in listed)  # the text is never shown again
    with platform_of(crm).reading() as conn:
        stored = conn.execute(sa.text("SELECT digest FROM mc_tokens")).scalars().all()
    assert token not in stored
    auth = {"Authorization": f"Bearer {token}"}
    assert crm.get("/api/users/me", headers=auth).json["username"] == "wang"
    assert browser.delete(f"/api/tokens/{issued.json['id']}").status_code == 403  # no CSRF
    assert browser.delete(f"/api/tokens/{issued.json['id']}", headers=csrf).status_code == 204
    assert crm.get("/api/users/me", headers=auth).status_code == 401
    assert browser.get("/api/tokens").json["items"][0]["revoked_at"] is not None
    again = browser.delete(f"/api/tokens/{issued.json['id']}", headers=csrf)
    assert again.status_code == 404


def test_others_tokens_are_theirs_unless_you_administer(crm) -> None:
    add_user(crm, "wang")
    add_user(crm, "liu")
    wang = bearer(crm, "wang")
    wang_token_id = crm.get("/api/tokens", headers=wang).json["items"][0]["id"]
    liu = bearer(crm, "liu")
    assert crm.get("/api/tokens", headers=liu).json["items"][0]["id"] != wang_token_id
    refused = crm.delete(f"/api/tokens/{wang_token_id}", headers=liu)
    assert refused.status_code == 404  # not even whether it exists
    assert crm.get("/api/users/me", headers=wang).status_code == 200
    assert crm.delete(f"/api/tokens/{wang_token_id}").status_code == 204  # the administrator
    assert crm.get("/api/users/me", headers=wang).status_code == 401


def test_a_token_needs_a_name_and_nothing_else(crm) -> None:
    response = crm.post("/api/tokens", json={"name": "", "scope": "all"})
    assert response.status_code == 422
    assert response.json["errors"] == {"name": ["Missing data for required field."],
                                       "scope": ["Unknown field."]}
    assert crm.post("/api/tokens", json={}).json["errors"] == {
        "name": ["Missing data for required field."]}
