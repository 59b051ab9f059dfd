"""The sign-in page and the sign-out form: CSRF tokens on both, no open
redirect, and a landing page that needs a signed-in user."""

from __future__ import annotations

import re
from typing import Any

import pytest

from .conftest import PASSWORD, add_user


def form_token(page: Any) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.data.decode())
    assert found, page.data.decode()
    return found.group(1)


def sign_in_by_form(client: Any, username: str, password: str = PASSWORD,
                    next_path: str | None = None) -> Any:
    token = form_token(client.get("/login"))
    data = {"username": username, "password": password, "csrf_token": token}
    if next_path is not None:
        data["next"] = next_path
    return client.post("/login", data=data)


def test_the_landing_page_sends_strangers_to_sign_in(anonymous) -> None:
    response = anonymous.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/"
    zh = anonymous.get("/?lang=zh")
    assert zh.headers["Location"] == "/login?next=/?lang%3Dzh"


def test_the_sign_in_page_is_a_form_in_the_readers_language(anonymous) -> None:
    page = anonymous.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert page.status_code == 200
    html = page.data.decode()
    assert "登录" in html and "用户名" in html and 'type="password"' in html
    assert form_token(page)
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "Username" in anonymous.get("/login?lang=en").data.decode()


def test_signing_in_by_form_opens_the_landing_page(crm, anonymous) -> None:
    add_user(crm, "wang", name="王芳")
    response = sign_in_by_form(anonymous, "wang", next_path="/")
    assert response.status_code == 303 and response.headers["Location"] == "/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    home = anonymous.get("/?lang=en")
    assert home.status_code == 200
    html = home.data.decode()
    assert "王芳" in html and "Salesperson" in html and "Sign out" in html
    assert 'action="/logout"' in html


def test_wrong_credentials_show_the_form_again(crm, anonymous) -> None:
    add_user(crm, "wang")
    response = sign_in_by_form(anonymous, "wang", "wrong-password")
    assert response.status_code == 401
    html = response.data.decode()
    assert "Wrong username or password." in html and 'value="wang"' in html
    assert anonymous.get("/").status_code == 302  # still not signed in


def test_the_sign_in_form_needs_its_csrf_token(crm, anonymous) -> None:
    add_user(crm, "wang")
    anonymous.get("/login")
    missing = anonymous.post("/login", data={"username": "wang", "password": PASSWORD})
    assert missing.status_code == 403
    forged = anonymous.post("/login", data={"username": "wang", "password": PASSWORD,
                                            "csrf_token": "forged"})
    assert forged.status_code == 403
    assert "expired" in forged.data.decode()
    # Another browser's token is no good either: it is tied to the cookie.
    other = crm.application.test_client()
    token = form_token(other.get("/login"))
    stolen = anonymous.post("/login", data={"username": "wang", "password": PASSWORD,
                                            "csrf_token": token})
    assert stolen.status_code == 403


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/x", "/\\evil.example", "\\\\evil.example",
    "javascript:alert(1)", "http:/evil.example", "/ok\r\nLocation: https://evil.example",
    " /x", "",
])
def test_next_never_leaves_the_site(crm, target: str) -> None:
    add_user(crm, "wang")
    client = crm.application.test_client()
    response = sign_in_by_form(client, "wang", next_path=target)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_next_keeps_a_local_path(crm, anonymous) -> None:
    add_user(crm, "wang")
    response = sign_in_by_form(anonymous, "wang", next_path="/api/customer?sort=-name")
    assert response.headers["Location"] == "/api/customer?sort=-name"
    assert anonymous.get("/login?next=/api/users/me").headers["Location"] == "/api/users/me"


def test_sign_out_needs_the_sessions_csrf_token(crm, anonymous) -> None:
    add_user(crm, "wang")
    sign_in_by_form(anonymous, "wang")
    refused = anonymous.post("/logout", data={"csrf_token": "forged"})
    assert refused.status_code == 403
    assert anonymous.get("/").status_code == 200  # still signed in
    token = form_token(anonymous.get("/"))
    response = anonymous.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert anonymous.get("/").status_code == 302
    assert anonymous.get("/api/users/me").status_code == 401


def test_the_landing_page_counts_only_what_the_user_may_read(crm, anonymous) -> None:
    wang, liu = add_user(crm, "wang"), add_user(crm, "liu")
    add_user(crm, "finance", roles=("finance",))
    for name, owner in (("王的客户", wang["id"]), ("刘的客户", liu["id"]), ("第三个", liu["id"])):
        assert crm.post("/api/customer", json={"name": name, "owner": owner,
                                               "lifecycle": "lead"}).status_code == 201
    sign_in_by_form(anonymous, "wang")
    html = anonymous.get("/?lang=en").data.decode()
    assert 'href="/customer"' in html and 'href="/product"' in html
    assert _count(html, "customer") == 1  # their own, not liu's two
    finance = crm.application.test_client()
    sign_in_by_form(finance, "finance")
    page = finance.get("/?lang=en").data.decode()
    assert _count(page, "customer") == 0  # leads are not finance's
    assert 'href="/activity"' not in page and 'href="/tag"' not in page
    # The administrator (a token, so no sign-out form) sees all three.
    admin = crm.get("/?lang=en").data.decode()
    assert _count(admin, "customer") == 3 and 'action="/logout"' not in admin


def _count(html: str, entity: str) -> int:
    """The record count on the start page's tile of ``entity``."""
    tile = re.search(rf'<a href="/{entity}"><span class="tile-label">[^<]*</span>\s*'
                     r'<span class="tile-count">(\d+)</span>', html)
    assert tile, html
    return int(tile.group(1))
