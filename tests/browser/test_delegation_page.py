"""A manager names a stand-in for her holiday on the delegations page: the period is
the approvals API's (local times sent in UTC), listed, and ended again."""

from __future__ import annotations

PASSWORD = "correct horse battery"


def test_a_manager_adds_and_ends_a_stand_in_period(live_crm, page) -> None:
    crm, base = live_crm
    crm.post("/api/users", json={"username": "li.na", "name": "李娜", "password": PASSWORD,
                                 "roles": ["sales_manager"]})
    deputy = crm.post("/api/users", json={"username": "chen.jing", "name": "陈静",
                                          "password": PASSWORD,
                                          "roles": ["sales_manager"]}).json
    page.goto(f"{base}/login")
    page.fill("#username", "li.na")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")

    page.goto(f"{base}/approvals/delegations")
    page.fill("#delegate", str(deputy["id"]))
    page.fill("#ends_at", "2099-01-31T18:00")
    with page.expect_navigation():
        page.click("button.primary")
    assert "陈静" in page.inner_text("ul.inbox")
    (period,) = page.evaluate("fetch('/api/approvals/delegations').then(r => r.json())")["items"]
    assert period["delegate"]["id"] == deputy["id"] and period["ends_at"].startswith("2099-01-31")

    # An end before the start is the API's refusal, shown on the page.
    page.fill("#delegate", str(deputy["id"]))
    page.fill("#starts_at", "2099-02-10T09:00")
    page.fill("#ends_at", "2099-02-01T09:00")
    page.click("button.primary")
    page.wait_for_selector("form.record-form output.error:not(:empty)")

    with page.expect_navigation():
        page.click("ul.inbox button")
    ended = page.evaluate("fetch('/api/approvals/delegations').then(r => r.json())")["items"]
    assert ended[0]["revoked_at"] is not None
