"""A salesperson's day in Chromium, in Chinese: she finds a customer with the global
search, logs a follow-up from the customer's timeline, opens an opportunity whose
"needs" become required once the amount is large (and the API refuses the same
record when the browser is bypassed), moves it on the kanban board, builds a quote
with a line and submits it; her manager approves it from the inbox on a phone."""

from __future__ import annotations

from datetime import date, timedelta

from .test_kanban_board import drag
from .test_pages_journey import PASSWORD, shot, sign_in


def _people(crm) -> dict[str, int]:  # type: ignore[no-untyped-def]
    boss = crm.post("/api/users", json={"username": "li.na", "name": "李娜", "password": PASSWORD,
                                        "roles": ["sales_manager"]}).json
    wang = crm.post("/api/users", json={"username": "wang.fang", "name": "王芳",
                                        "password": PASSWORD, "roles": ["salesperson"],
                                        "language": "zh"}).json
    assert crm.patch(f"/api/users/{wang['id']}", json={"manager": boss["id"]}).status_code == 200
    assert crm.post("/api/teams", json={"code": "east", "name": "华东",
                                        "members": [boss["id"], wang["id"]]}).status_code == 201
    return {"boss": boss["id"], "wang": wang["id"]}


def _choose(page, field: str, typed: str) -> None:  # type: ignore[no-untyped-def]
    """Pick a referenced record as a person does: type part of its name, take the
    offer the list makes."""
    page.fill(f"#f-{field}", typed)
    option = page.locator(f"#f-{field}-choices option").first
    option.wait_for(state="attached")
    title, record_id = option.get_attribute("value"), option.get_attribute("data-id")
    page.fill(f"#f-{field}", title)  # what choosing the offer does
    assert page.input_value(f"#f-{field}-value") == record_id


def test_from_a_customer_to_an_approved_quote(live_crm, page) -> None:
    crm, base = live_crm
    people = _people(crm)
    customer = crm.post("/api/customer", json={"name": "上海星河贸易有限公司", "grade": "A",
                                               "owner": people["wang"]}).json
    assert crm.post("/api/product", json={"name": "RFID 电子标签", "code": "RFID-01"}
                    ).status_code == 201

    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, base, "wang.fang")

    # Finds the customer through the search in the page's header.
    page.fill("#global-q", "星河")
    page.press("#global-q", "Enter")
    page.click("main a:has-text('上海星河贸易有限公司')")
    page.wait_for_url(f"{base}/customer/{customer['id']}")

    # Logs a follow-up from the customer's timeline.
    page.click("section.related a:has-text('新建跟进记录')")
    page.wait_for_url(f"{base}/activity/new?customer={customer['id']}")
    page.fill("#f-subject", "电话沟通 RFID 方案")
    page.fill("#f-content", "客户计划下季度采购 2 万枚标签")
    page.click("button.primary")
    page.wait_for_url(f"{base}/activity/*")
    page.goto(f"{base}/customer/{customer['id']}")
    assert "电话沟通 RFID 方案" in page.inner_text("main")
    shot(page, "customer-360")

    # An opportunity: a large amount makes "needs" required, in the browser at once.
    page.click("section.related a:has-text('新建商机')")
    page.wait_for_url(f"{base}/opportunity/new?customer={customer['id']}")
    page.fill("#f-name", "星河 RFID 标签项目")
    needs = page.locator("#f-needs")
    assert needs.evaluate("e => e.required") is False
    mark = ("e => getComputedStyle(e.closest('.field').querySelector('label'), '::after')"
            ".content")
    assert needs.evaluate(mark) in ("none", "normal")
    page.fill("#f-amount", "1,200,000")
    page.locator("#f-amount").blur()
    assert needs.evaluate("e => e.required") is True
    assert needs.evaluate(mark) == '" *"'  # marked as a required field is
    page.click("button.primary")  # sent without them: refused next to the field, in Chinese
    page.wait_for_selector(".field.invalid #f-needs")
    assert page.url.startswith(f"{base}/opportunity/new")
    assert "必填" in page.inner_text(".field.invalid:has(#f-needs)")
    assert page.input_value("#f-name") == "星河 RFID 标签项目"  # nothing typed is lost
    shot(page, "opportunity-needs-required")
    needs.fill("统一管理仓库标签，要求对接现有 WMS")
    page.click("button.primary")
    page.wait_for_url(f"{base}/opportunity/*")
    deal_id = int(page.url.rsplit("/", 1)[1])
    assert "1,200,000.00" in page.inner_text("main")

    # The same rule holds when the browser is bypassed: the API refuses the record.
    refused = page.request.post(f"{base}/api/opportunity", headers={
        "X-CSRF-Token": page.evaluate("document.body.dataset.csrf")}, data={
        "name": "绕过浏览器", "customer": customer["id"], "amount": "2000000.00"})
    assert refused.status == 422 and "needs" in refused.json()["errors"]

    # Moves it on the kanban board: one stage along the funnel is the transition.
    page.set_viewport_size({"width": 1600, "height": 900})
    page.goto(f"{base}/opportunity/board")
    drag(page, f"li.card[data-id='{deal_id}']", "ol.cards[data-value='needs_analysis']")
    page.wait_for_selector(f"ol.cards[data-value='needs_analysis'] li.card[data-id='{deal_id}']"
                           "[data-version='2']")
    assert crm.get(f"/api/opportunity/{deal_id}").json["stage"] == "needs_analysis"
    page.set_viewport_size({"width": 1280, "height": 900})

    # Builds a quote for it with one line, and submits it for approval.
    page.goto(f"{base}/opportunity/{deal_id}")
    page.click("section.related a:has-text('新建报价')")
    page.wait_for_url(f"{base}/quote/new?opportunity={deal_id}")
    page.fill("#f-name", "星河 RFID 标签报价")
    _choose(page, "customer", "星河")
    # The opportunity's customer is not filled in from the opportunity: she picks it.
    assert page.input_value("#f-opportunity") == "星河 RFID 标签项目"
    page.fill("#f-valid_until", (date.today() + timedelta(days=30)).isoformat())
    page.click("button.primary")
    page.wait_for_url(f"{base}/quote/*")
    quote_id = int(page.url.rsplit("/", 1)[1])
    page.click("section.related a:has-text('新建报价明细')")
    page.wait_for_url(f"{base}/quote_line/new?quote={quote_id}")
    _choose(page, "product", "RFID")
    page.fill("#f-quantity", "20000")
    page.fill("#f-unit_price", "2.35")
    page.click("button.primary")
    page.wait_for_url(f"{base}/quote_line/*")
    page.goto(f"{base}/quote/{quote_id}")
    assert "47,000.00" in page.inner_text("main")  # 20,000 × 2.35, exactly
    page.click("section.transitions button:has-text('提交审批')")
    page.wait_for_selector("section.approval")
    assert "李娜" in page.inner_text("section.approval")
    shot(page, "quote-waiting-for-approval")

    # The manager approves it from her inbox on a phone.
    phone = page.context.browser.new_context(viewport={"width": 375, "height": 740},
                                             locale="en-US")
    manager = phone.new_page()
    sign_in(manager, base, "li.na")
    manager.goto(f"{base}/approvals")
    manager.click("ul.inbox a:has-text('星河 RFID 标签报价')")
    approve = manager.locator("section.approval button.primary")
    assert approve.is_visible()
    assert manager.evaluate("document.documentElement.scrollWidth") <= 375
    approve.click()
    # The decision reloads the page: wait for the panel to go (networkidle may come
    # before the reload starts on a busy machine).
    manager.locator("section.approval").wait_for(state="detached")
    phone.close()
    assert crm.get(f"/api/quote/{quote_id}").json["status"] == "approved"
