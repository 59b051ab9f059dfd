"""Reference pickers in Chromium: a person types part of a name and picks the record
(the form sends its id); records of a many-reference field become chips, removed
with their ×; what is saved is what the chips said."""

from __future__ import annotations

from .test_pages_journey import PASSWORD, sign_in


def test_picking_a_customer_and_tagging_it(live_crm, page) -> None:
    crm, base = live_crm
    crm.post("/api/users", json={"username": "wang.fang", "name": "王芳", "password": PASSWORD,
                                 "roles": ["salesperson"], "language": "zh"})
    tags = {name: crm.post("/api/tag", json={"name": name}).json["id"]
            for name in ("重点客户", "老客户", "渠道伙伴")}
    sign_in(page, base, "wang.fang")
    page.goto(f"{base}/customer/new")
    page.fill("#f-name", "上海星河贸易有限公司")
    for typed, name in (("重点", "重点客户"), ("渠道", "渠道伙伴"), ("老", "老客户")):
        page.fill("#f-tags", typed)
        page.locator(f"#f-tags-choices option[value='{name}']").wait_for(state="attached")
        page.fill("#f-tags", name)  # what choosing the offer does
        page.wait_for_selector(f".many-pick .chip:has-text('{name}')")
    assert page.input_value("#f-tags") == ""
    page.click(".many-pick .chip:has-text('老客户') [data-unpick]")
    assert page.locator(".many-pick .chip").count() == 2
    page.click("button.primary")
    page.wait_for_url(f"{base}/customer/*")
    customer = crm.get(f"/api/customer/{page.url.rsplit('/', 1)[1]}").json
    assert sorted(customer["tags"]) == sorted([tags["重点客户"], tags["渠道伙伴"]])

    # A contact for it: the customer is picked by name, the form sends its id.
    page.goto(f"{base}/contact/new")
    page.fill("#f-name", "张伟")
    page.fill("#f-customer", "星河")
    page.locator("#f-customer-choices option").first.wait_for(state="attached")
    page.fill("#f-customer", "上海星河贸易有限公司")
    assert page.input_value("#f-customer-value") == str(customer["id"])
    page.click("button.primary")
    page.wait_for_url(f"{base}/contact/*")
    assert "上海星河贸易有限公司" in page.inner_text("main")
