"""/api/tokens: a caller's API tokens, the text shown once, revoked at once."""

from __future__ import annotations

import sqlalchemy as sa

from .conftest import PASSWORD, add_user, bearer, platform_of, signed_in


def test_issue_list_and_revoke_own_tokens(crm) -> None:
    add_user(crm, "wang")
    browser = signed_in(crm, "wang")
    csrf = {"X-CSRF-Token": browser.csrf}
    issued = browser.post("/api/tokens", json={"name": "laptop", "current_password": PASSWORD},
                          headers=csrf)
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


def test_a_browser_session_mints_a_token_only_with_the_current_password(crm) -> None:
    """A token outlives the session: a stolen session cookie must not be enough."""
    add_user(crm, "wang")
    browser = signed_in(crm, "wang")
    csrf = {"X-CSRF-Token": browser.csrf}
    missing = browser.post("/api/tokens", json={"name": "laptop"}, headers=csrf)
    assert missing.status_code == 422
    assert missing.json["errors"] == {"current_password": [
        ("Give your current password to create a token while signed in with a browser "
         "session.")]}
    wrong = browser.post("/api/tokens", json={"name": "laptop", "current_password": "guess"},
                         headers=csrf)
    assert wrong.status_code == 422
    assert wrong.json["errors"] == {"current_password": ["This is not the current password."]}
    assert browser.get("/api/tokens").json["items"] == []
    right = browser.post("/api/tokens", json={"name": "laptop", "current_password": PASSWORD},
                         headers=csrf)
    assert right.status_code == 201


def test_a_token_mints_a_token_without_a_password(crm) -> None:
    add_user(crm, "wang")
    response = crm.post("/api/tokens", json={"name": "ci"}, headers=bearer(crm, "wang"))
    assert response.status_code == 201


def test_guessing_the_password_to_mint_a_token_counts_as_failed_sign_ins(crm) -> None:
    add_user(crm, "wang")
    browser = signed_in(crm, "wang")
    csrf = {"X-CSRF-Token": browser.csrf}
    for _ in range(5):
        guess = browser.post("/api/tokens", json={"name": "x", "current_password": "guess"},
                             headers=csrf)
        assert guess.status_code == 422
    locked = browser.post("/api/tokens", json={"name": "x", "current_password": PASSWORD},
                          headers=csrf)
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    signing_in = crm.application.test_client().post(
        "/api/auth/login", json={"username": "wang", "password": PASSWORD})
    assert signing_in.status_code == 429
