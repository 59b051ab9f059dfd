"""Signing in through the API: a session cookie the browser cannot read, CSRF
tokens on every change, sign-out and disabling the user ending it at once."""

from __future__ import annotations

import sqlalchemy as sa

from .conftest import PASSWORD, add_user, bearer, platform_of, signed_in


def test_sign_in_returns_the_user_and_sets_a_safe_cookie(crm, anonymous) -> None:
    add_user(crm, "wang", name="王芳")
    response = anonymous.post("/api/auth/login", json={"username": "wang",
                                                       "password": PASSWORD})
    assert response.status_code == 200, response.json
    assert response.json["username"] == "wang" and response.json["name"] == "王芳"
    assert response.json["permissions"]["customer"][0] == "read"
    assert len(response.json["csrf_token"]) > 30
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("metacrm_session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie
    with platform_of(crm).reading() as conn:
        stored = conn.execute(sa.text("SELECT digest, csrf, address FROM mc_sessions")).one()
    # Only a digest of the session key is stored, never the key the cookie carries.
    assert stored.csrf == response.json["csrf_token"] and stored.address == "127.0.0.1"


def test_wrong_credentials_are_one_401_that_does_not_say_which(crm, anonymous) -> None:
    add_user(crm, "wang")
    wrong_password = anonymous.post("/api/auth/login",
                                    json={"username": "wang", "password": "nope-nope"})
    unknown_user = anonymous.post("/api/auth/login",
                                  json={"username": "nobody", "password": PASSWORD})
    assert wrong_password.status_code == unknown_user.status_code == 401
    assert wrong_password.json == unknown_user.json == {
        "errors": {"_request": ["Wrong username or password."]}}
    assert "Set-Cookie" not in wrong_password.headers
    zh = anonymous.post("/api/auth/login", json={"username": "wang", "password": "x"},
                        headers={"Accept-Language": "zh"})
    assert zh.json == {"errors": {"_request": ["用户名或密码错误。"]}}


def test_sign_in_takes_json_only(crm, anonymous) -> None:
    add_user(crm, "wang")
    # A form on another site can post this body, but not as application/json.
    form = anonymous.post("/api/auth/login", data='{"username": "wang", "password": "x"}',
                          content_type="text/plain")
    assert form.status_code == 400
    extra = anonymous.post("/api/auth/login", json={"username": "wang", "password": PASSWORD,
                                                    "remember": True})
    assert extra.status_code == 422 and "remember" in extra.json["errors"]
    missing = anonymous.post("/api/auth/login", json={"username": "wang"})
    assert missing.json["errors"] == {"password": ["Missing data for required field."]}


def test_a_session_reads_and_needs_the_csrf_token_to_change(crm) -> None:
    add_user(crm, "wang")
    browser = signed_in(crm, "wang")
    assert browser.get("/api/customer").status_code == 200
    assert browser.get("/api/users/me").json["csrf_token"] == browser.csrf
    refused = browser.post("/api/customer", json={"name": "星河"})
    assert refused.status_code == 403 and "csrf_token" in refused.json["errors"]
    forged = browser.post("/api/customer", json={"name": "星河"},
                          headers={"X-CSRF-Token": "forged"})
    assert forged.status_code == 403
    created = browser.post("/api/customer", json={"name": "星河"},
                           headers={"X-CSRF-Token": browser.csrf})
    assert created.status_code == 201
    assert created.json["owner"] == browser.me["id"]


def test_sign_out_ends_the_session_on_the_server(crm) -> None:
    add_user(crm, "wang")
    browser = signed_in(crm, "wang")
    stolen_cookie = browser.get_cookie("metacrm_session").value
    assert browser.post("/api/auth/logout").status_code == 403  # CSRF token needed
    response = browser.post("/api/auth/logout", headers={"X-CSRF-Token": browser.csrf})
    assert response.status_code == 204
    assert "metacrm_session=;" in response.headers["Set-Cookie"]  # cookie cleared
    assert browser.get("/api/users/me").status_code == 401
    # The old cookie, replayed, no longer works: the server ended the session.
    replay = crm.application.test_client()
    replay.set_cookie("metacrm_session", stolen_cookie)
    assert replay.get("/api/users/me").status_code == 401
    assert browser.post("/api/auth/logout").status_code == 204  # already out: fine


def test_disabling_a_user_stops_sessions_and_tokens_at_once(crm) -> None:
    wang = add_user(crm, "wang")
    browser = signed_in(crm, "wang")
    token = bearer(crm, "wang")
    assert crm.patch(f"/api/users/{wang['id']}", json={"active": False}).status_code == 200
    assert browser.get("/api/users/me").status_code == 401
    assert crm.get("/api/users/me", headers=token).status_code == 401
    anonymous = crm.application.test_client()
    refused = anonymous.post("/api/auth/login", json={"username": "wang",
                                                      "password": PASSWORD})
    assert refused.status_code == 401
    # Enabled again: tokens work again, but the sessions stay ended.
    crm.patch(f"/api/users/{wang['id']}", json={"active": True})
    assert crm.get("/api/users/me", headers=token).status_code == 200
    assert browser.get("/api/users/me").status_code == 401


def test_a_new_password_ends_the_other_sessions_but_not_this_one(crm) -> None:
    wang = add_user(crm, "wang")
    here, elsewhere = signed_in(crm, "wang"), signed_in(crm, "wang")
    changed = here.patch(f"/api/users/{wang['id']}", headers={"X-CSRF-Token": here.csrf},
                         json={"password": "brand-new-pass", "current_password": PASSWORD})
    assert changed.status_code == 200, changed.json
    assert here.get("/api/users/me").status_code == 200
    assert elsewhere.get("/api/users/me").status_code == 401


def test_signing_in_again_rotates_the_session(crm) -> None:
    add_user(crm, "wang")
    add_user(crm, "liu")
    browser = signed_in(crm, "wang")
    first = browser.get_cookie("metacrm_session").value
    again = browser.post("/api/auth/login", json={"username": "liu", "password": PASSWORD})
    assert again.status_code == 200
    assert browser.get_cookie("metacrm_session").value != first
    assert browser.get("/api/users/me").json["username"] == "liu"
    replay = crm.application.test_client()
    replay.set_cookie("metacrm_session", first)
    assert replay.get("/api/users/me").status_code == 401  # the earlier session ended
