"""The pages as people use them, in Chromium: a salesperson (who reads Chinese)
creates a customer and a requirement from the generated forms and submits the
requirement for approval; their manager approves it on a phone from the inbox.

With METACRM_SCREENSHOTS=<folder> the journey leaves a screenshot of each page
there (docs/screenshots is made that way, so the pictures stay true)."""

from __future__ import annotations

import os
from pathlib import Path

PASSWORD = "correct horse battery"
SHOTS = os.environ.get("METACRM_SCREENSHOTS")


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def sign_in(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_a_requirement_goes_from_a_form_to_an_approval_on_a_phone(live_crm, page) -> None:
    crm, base = live_crm
    boss = crm.post("/api/users", json={"username": "li.na", "name": "李娜", "password": PASSWORD,
                                        "roles": ["sales_manager"]}).json
    wang = crm.post("/api/users", json={"username": "wang.fang", "name": "王芳",
                                        "password": PASSWORD, "roles": ["salesperson"],
                                        "language": "zh"}).json
    assert crm.patch(f"/api/users/{wang['id']}", json={"manager": boss["id"]}).status_code == 200
    # The manager's role reaches her team's records: the one she approves among them.
    assert crm.post("/api/teams", json={"code": "east", "name": "华东",
                                        "members": [boss["id"], wang["id"]]}).status_code == 201

    # The salesperson, in Chinese, creates a customer from the generated form.
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, base, "wang.fang")
    page.goto(f"{base}/customer/new")
    assert page.locator("label[for=f-name]").inner_text().startswith("公司名称")
    page.click("button.primary")  # nothing filled in: the engine's refusal, by the field
    assert page.locator(".field.invalid #f-name").count() == 1
    shot(page, "form-refused")
    page.fill("#f-name", "上海星河贸易有限公司")
    page.fill("#f-annual_revenue", "12,000,000.50")
    page.click("button.primary")
    page.wait_for_url(f"{base}/customer/*")
    assert "12,000,000.50" in page.inner_text("main")
    customer_id = int(page.url.rsplit("/", 1)[1])
    shot(page, "record")

    # A requirement for it, then "submit for approval" (a transition with a chain).
    page.goto(f"{base}/requirement/new?customer={customer_id}")
    page.fill("#f-title", "CRM 报表需求")
    page.select_option("#f-category", index=1)
    page.fill("#f-description", "按月汇总新增客户")
    page.click("button.primary")
    page.wait_for_url(f"{base}/requirement/*")
    page.click("section.transitions button:has-text('提交审批')")
    page.wait_for_selector("section.approval")
    assert "李娜" in page.inner_text("section.approval")
    shot(page, "waiting-for-approval")
    page.goto(f"{base}/customer")
    assert "上海星河贸易有限公司" in page.inner_text("table.records")
    shot(page, "list")

    # The manager, on a phone, approves from the inbox.
    phone = page.context.browser.new_context(viewport={"width": 375, "height": 740},
                                             locale="en-US")
    manager = phone.new_page()
    sign_in(manager, base, "li.na")
    manager.goto(f"{base}/approvals")
    shot(manager, "inbox-phone")
    manager.click("ul.inbox a")
    approve = manager.locator("section.approval button.primary")
    assert approve.is_visible()
    width = manager.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page scrolls sideways on a phone ({width}px)"
    shot(manager, "approve-phone")
    manager.fill("section.approval textarea", "同意")
    approve.click()
    # The decision reloads the page: wait for the panel to go (networkidle may come
    # before the reload starts on a busy machine).
    manager.locator("section.approval").wait_for(state="detached")
    history = manager.inner_text("section.history")
    assert "approved" in history or "moved on" in history
    phone.close()

    requirement = crm.get("/api/requirement").json["items"][0]
    assert requirement["status"] == "approved"
