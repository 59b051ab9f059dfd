"""The pages look as designed under the Content-Security-Policy in a real browser:
their stylesheets load and the browser reports no violation."""

from __future__ import annotations

from typing import Any

PASSWORD = "correct horse battery"


def test_the_pages_are_styled_and_break_no_policy(live_crm: Any, page: Any) -> None:
    crm, base = live_crm
    created = crm.post("/api/users", json={"username": "wang.fang", "password": PASSWORD,
                                           "roles": ["salesperson"]})
    assert created.status_code == 201, created.json
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))

    page.goto(f"{base}/login")
    button = page.locator("button[type=submit]")
    # login.css: a green button, the form 24rem wide
    assert button.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(31, 136, 61)"
    assert page.evaluate("getComputedStyle(document.body).maxWidth") == "384px"
    # an injected inline script does not run
    page.evaluate("""() => { const s = document.createElement('script');
                             s.textContent = 'window.injected = 1';
                             document.body.appendChild(s); }""")
    assert page.evaluate("window.injected") is None
    problems[:] = [p for p in problems if "Content Security Policy" not in p
                   or "window.injected" not in p]

    page.fill("#username", "wang.fang")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    # app.css: the start page's tiles are laid out as a grid
    assert page.locator("ul.tiles").first.evaluate("ul => getComputedStyle(ul).display") == "grid"
    violations = [p for p in problems if "Content Security Policy" in p]
    assert len(violations) <= 1 and all("script" in v for v in violations), problems
