"""Filtering a list in Chromium: the builder offers the operators the field's type
takes, sends the API's filter parameter, shows it as a chip that removes it."""

from __future__ import annotations

PASSWORD = "correct horse battery"


def test_a_salesperson_filters_customers_by_grade_and_revenue(live_crm, page) -> None:
    crm, base = live_crm
    wang = crm.post("/api/users", json={"username": "wang.fang", "name": "王芳",
                                        "password": PASSWORD, "roles": ["salesperson"]}).json
    for name, grade, revenue in (("甲公司", "A", "5000000"), ("乙公司", "A", "100"),
                                 ("丙公司", "B", "9000000")):
        crm.post("/api/customer", json={"name": name, "grade": grade, "owner": wang["id"],
                                        "annual_revenue": revenue})
    page.goto(f"{base}/login")
    page.fill("#username", "wang.fang")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/customer")

    page.click(".filter-builder summary")
    page.select_option("#filter-field", "tags")
    offered = page.eval_on_selector_all("#filter-operator option:not([hidden])",
                                        "options => options.map(o => o.value)")
    assert "gt" not in offered and "contains" in offered  # a list of tags has no order
    page.select_option("#filter-field", "grade")
    page.select_option("#filter-operator", "eq")
    page.fill("#filter-value", "A")
    page.click("form[data-filter-builder] button[type=submit]")
    page.wait_for_url("**grade=A**")

    page.click(".filter-builder summary")
    page.select_option("#filter-field", "annual_revenue")
    page.select_option("#filter-operator", "gte")
    page.fill("#filter-value", "1000000")
    page.click("form[data-filter-builder] button[type=submit]")
    page.wait_for_url("**annual_revenue__gte=1000000**")
    assert page.locator("table.records tbody tr").count() == 1
    assert "甲公司" in page.inner_text("table.records")
    assert page.locator("ul.chips li").count() == 2

    page.click("ul.chips li:first-child a")  # remove the grade filter
    page.wait_for_load_state()
    assert "grade=A" not in page.url and page.locator("ul.chips li").count() == 1
    assert page.locator("table.records tbody tr").count() == 2  # 甲 and 丙
