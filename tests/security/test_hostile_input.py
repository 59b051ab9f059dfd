"""Hostile input outside the list queries: secrets that are not ASCII, ids past 64
bits, NUL characters and bodies that are not JSON objects are refused with a
clear 4xx, on every endpoint, never a 500; so are filter and cursor values past
what their column holds."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest

from ..identity.conftest import PASSWORD, add_user, signed_in

HUGE = "99999999999999999999"


def _login_token(client: Any) -> str:
    page = client.get("/login").get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def test_a_csrf_token_that_is_not_ascii_is_403(crm) -> None:
    add_user(crm, "wang")
    browser = signed_in(crm, "wang")
    for headers, data in (({"X-CSRF-Token": "é"}, None), ({}, {"csrf_token": "中"})):
        response = browser.post("/api/customer", headers=headers, data=data,
                                json=None if data else {"name": "x"})
        assert response.status_code == 403, response.data
    page = crm.application.test_client()
    page.get("/login")
    refused = page.post("/login", data={"username": "wang", "password": PASSWORD,
                                         "csrf_token": "中"})
    assert refused.status_code == 403


@pytest.mark.parametrize("url", [f"/api/users/{HUGE}", f"/api/teams/{HUGE}"])
def test_an_id_past_64_bits_is_404(crm, url: str) -> None:
    assert crm.get(url).status_code == 404
    # not 405, as Werkzeug's int converter made it where GET has the same path
    assert crm.patch(url, json={"name": "x"}).status_code == 404


def test_a_token_id_past_64_bits_is_404(crm) -> None:
    assert crm.delete(f"/api/tokens/{HUGE}").status_code == 404


def test_an_id_past_64_bits_or_not_in_ascii_digits_is_404_for_every_method(crm) -> None:
    for path in (f"/api/customer/{HUGE}", f"/api/customer/{'9' * 5000}",
                 "/api/customer/%D9%A3"):  # an Arabic-Indic 3
        for method in ("GET", "PATCH", "DELETE"):
            answer = crm.open(path, method=method, json={} if method == "PATCH" else None)
            assert answer.status_code == 404, (method, path[:40], answer.status_code)
        answer = crm.post(path + "/restore")
        assert answer.status_code == 404, answer.json


def test_a_nul_character_in_any_body_is_400(crm, org) -> None:
    director, wang = org["director"], org["wang"]
    customer = director.post("/api/customer", json={"name": "c", "owner": wang.id}).json["id"]
    sent = {
        "transfer note": director.post("/api/customer/transfer", json={
            "ids": [customer], "to": org["liu"].id, "preview": True, "note": "a\x00b"}),
        "release reason": wang.post(f"/api/customer/{customer}/release",
                                    json={"reason": "a\x00b"}),
        "login username": crm.application.test_client().post(
            "/api/auth/login", json={"username": "wang\x00", "password": "x"}),
        "login password": crm.application.test_client().post(
            "/api/auth/login", json={"username": "wang", "password": "\x00"}),
        "token name": crm.post("/api/tokens", json={"name": "a\x00b"}),
        "user": crm.post("/api/users", json={"username": "li", "name": "a\x00"}),
        "team": crm.post("/api/teams", json={"code": "t1", "name": "a\x00"}),
        "nested, as a key": crm.post("/api/meta/customizations", json={
            "role": "z", "permissions": {"customer\x00": {}}}),
        "record": crm.post("/api/customer", json={"name": "星河\x00贸易"}),
    }
    for what, response in sent.items():
        assert response.status_code == 400, (what, response.json)
        assert response.json["errors"]["_request"] == [
            "Text may not contain NUL characters (\\u0000)."], what


def test_a_nul_character_in_a_query_or_form_value_is_400(crm, org) -> None:
    for url in ["/api/users?q=%00", "/api/users?team=%00", "/api/users?role=a%00",
                "/api/customer/pool?name=%00", "/api/customer/export?q=%00",
                "/api/customer/export?name=x%00", "/api/tokens?x%00=1"]:
        response = crm.get(url)
        assert response.status_code == 400, (url, response.json)
    browser = crm.application.test_client()
    response = browser.post("/login", data={"username": "bob\x00", "password": "x",
                                            "csrf_token": _login_token(browser)})
    assert response.status_code == 400
    assert "NUL" in response.get_data(as_text=True)


def test_a_body_that_is_not_a_json_object_is_400(crm, org) -> None:
    wang = org["wang"]
    customer = org["director"].post("/api/customer",
                                    json={"name": "c", "owner": wang.id}).json["id"]
    for body in ([], ["x"], "x", 3, None):
        for method, url in [("post", "/api/tokens"), ("post", "/api/customer/transfer"),
                            ("post", "/api/users"), ("patch", f"/api/users/{wang.id}"),
                            ("post", "/api/teams"), ("post", "/api/customer"),
                            ("post", "/api/customer/bulk"),
                            ("post", f"/api/customer/{customer}/release"),
                            ("post", "/api/meta/customizations")]:
            response = getattr(crm, method)(url, json=body)
            assert response.status_code == 400, (method, url, body, response.json)
            assert response.json["errors"]["_request"] == [
                "The body must be a JSON object."], (url, body)
    login = crm.application.test_client().post("/api/auth/login", json=["wang", PASSWORD])
    assert login.status_code == 400


def test_a_bulk_body_with_unknown_keys_is_422(crm) -> None:
    response = crm.post("/api/customer/bulk", json={"items": [{"name": "x"}], "itmes": []})
    assert response.status_code == 422
    assert response.json["errors"] == {"itmes": ["Unknown field (did you mean 'items'?)."]}
    assert crm.get("/api/customer").json["items"] == []


def test_a_version_past_32_bits_in_a_filter_or_cursor_is_400(crm) -> None:
    # A record's version is a 32-bit column: PostgreSQL refused the comparison (a 500).
    for query in ("version=96896142847", "version__in=1,96896142847", "version__gte=-2147483649"):
        for path in ("/api/customer", "/api/customer/export"):
            answer = crm.get(f"{path}?{query}")
            assert answer.status_code == 400, (path, query, answer.status_code)
            assert "out of range (a 32-bit whole number)" in str(answer.json["errors"])
    assert crm.get("/api/customer?version=2147483647").status_code == 200
    cursor = base64.urlsafe_b64encode(json.dumps(
        {"s": ["version", "id"], "v": [96896142847, 1]}).encode()).decode().rstrip("=")
    answer = crm.get(f"/api/customer?sort=version&cursor={cursor}")
    assert answer.status_code == 400, answer.json
