"""Every answer carries the browser's defences: a Content-Security-Policy that runs
no inline script or style and lets no other site frame a page, nosniff and a
Referrer-Policy; and the pages still work under that policy (their styles are
files served by the application, not inline)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import metacrm.web

from ..identity.conftest import add_user, signed_in

PACKAGE = Path(metacrm.web.__file__).parent.parent
TEMPLATE_FOLDERS = (PACKAGE / "web" / "templates", PACKAGE / "ui" / "templates")


def directives(response: Any) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.strip() for part in policy.split(";") if part.strip()}


def assert_defended(response: Any) -> None:
    csp = directives(response)
    assert csp["frame-ancestors"] == "frame-ancestors 'none'"
    scripts = csp.get("script-src", csp["default-src"])
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
    assert "'unsafe-inline'" not in csp.get("style-src", csp["default-src"])
    assert csp["object-src"] == "object-src 'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_pages_api_answers_errors_and_static_files_carry_the_headers(crm, anonymous) -> None:
    add_user(crm, "wang")
    session = signed_in(crm, "wang")
    answers = {
        "sign-in page": anonymous.get("/login"),
        "redirect to sign in": anonymous.get("/"),
        "landing page": session.get("/"),
        "a list": crm.get("/api/customer"),
        "the OpenAPI document": crm.get("/api/openapi.json"),
        "no credentials": anonymous.get("/api/customer"),
        "forbidden": session.post("/api/users", json={"username": "x"},
                                  headers={"X-CSRF-Token": session.csrf}),
        "not found": crm.get("/api/customer/999999"),
        "no such path": anonymous.get("/no/such/path"),
        # A stranger is sent to sign in whatever the page (nothing says what exists).
        "a page, to a stranger": anonymous.get("/nowhere"),
        "an unknown entity's page": session.get("/nowhere"),
        "a malformed body": crm.post("/api/customer", data=b"{",
                                     content_type="application/json"),
        "a stylesheet": anonymous.get("/static/login.css"),
    }
    statuses = {name: r.status_code for name, r in answers.items()}
    assert statuses == {"sign-in page": 200, "redirect to sign in": 302, "landing page": 200,
                        "a list": 200, "the OpenAPI document": 200, "no credentials": 401,
                        "forbidden": 403, "not found": 404, "no such path": 404,
                        "a page, to a stranger": 302, "an unknown entity's page": 404,
                        "a malformed body": 400, "a stylesheet": 200}
    for response in answers.values():
        assert_defended(response)


def test_the_stylesheets_are_served_as_css(anonymous) -> None:
    for name in ("login.css", "app.css"):
        response = anonymous.get(f"/static/{name}")
        assert response.status_code == 200 and response.mimetype == "text/css"
        assert b"font:" in response.data


INLINE = (r"<style|<script(?![^>]*\b(?:src=|type=\"application/json\"))"
          r"|\sstyle=|\son[a-z]+=")


def test_no_page_has_inline_script_or_style(crm, anonymous) -> None:
    """What the policy would block: <script> or <style> blocks, style attributes and
    event handler attributes (onclick=...), in the templates and the pages. A JSON data
    block (<script type="application/json">, a chart's data) runs nothing: allowed."""
    add_user(crm, "wang")
    pages = [anonymous.get("/login").data.decode(), signed_in(crm, "wang").get("/").data.decode()]
    pages += [path.read_text() for folder in TEMPLATE_FOLDERS for path in folder.rglob("*.html")]
    for html in pages:
        assert not re.search(INLINE, html), html
    assert 'rel="stylesheet" href="/static/login.css"' in pages[0]
    assert 'rel="stylesheet" href="/static/app.css"' in pages[1]
