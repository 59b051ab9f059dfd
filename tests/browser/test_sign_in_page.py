"""Signing in and out in a real browser: the form, its CSRF token and the session
cookie work together; a wrong password says so without saying which part was wrong."""

from __future__ import annotations

PASSWORD = "correct horse battery"


def test_a_salesperson_signs_in_sees_the_crm_and_signs_out(live_crm, page) -> None:
    crm, base = live_crm
    created = crm.post("/api/users", json={"username": "wang.fang", "name": "王芳",
                                           "password": PASSWORD, "roles": ["salesperson"]})
    assert created.status_code == 201, created.json
    crm.post("/api/customer", json={"name": "上海星河贸易有限公司",
                                    "owner": created.json["id"]})

    page.goto(f"{base}/")
    assert page.url.startswith(f"{base}/login")  # strangers are sent to sign in
    page.fill("#username", "wang.fang")
    page.fill("#password", "not the password")
    page.click("button[type=submit]")
    assert page.locator("[role=alert]").is_visible()
    assert "wang.fang" in page.input_value("#username")

    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    body = page.inner_text("body")
    assert "王芳" in body and "Customers" in body
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["metacrm_session"]["httpOnly"] is True
    assert cookies["metacrm_session"]["sameSite"] == "Lax"

    # the session also signs API calls made from the page; reads need no CSRF token
    me = page.evaluate("fetch('/api/users/me').then(r => r.json())")
    assert me["username"] == "wang.fang"
    # a change without the session's CSRF token is refused
    status = page.evaluate("fetch('/api/customer', {method: 'POST', headers: "
                           "{'Content-Type': 'application/json'}, body: JSON.stringify("
                           "{name: 'x'})}).then(r => r.status)")
    assert status == 403

    page.click("text=Sign out")
    page.wait_for_url(f"{base}/login**")
    page.goto(f"{base}/")
    assert page.url.startswith(f"{base}/login")
