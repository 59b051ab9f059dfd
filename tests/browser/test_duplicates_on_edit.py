"""Editing a customer into a duplicate, in the browser: a phone changed to another
customer's saves and the record page lists that customer with a merge; a credit code
changed to another's brings the form back with the existing customer as a link."""

from __future__ import annotations

from typing import Any

from .test_pages_journey import PASSWORD, shot, sign_in


def test_an_edit_that_makes_a_duplicate_is_warned_or_refused(live_crm, page: Any) -> None:  # type: ignore[no-untyped-def]
    crm, base = live_crm
    assert crm.post("/api/users", json={"username": "li.na", "name": "李娜",
                                        "password": PASSWORD, "roles": ["admin"]}
                    ).status_code == 201
    huawei = crm.post("/api/customer", json={
        "name": "北京华为技术有限公司", "phone": "010-12345678",
        "credit_code": "91110000802100433B"}).json
    other = crm.post("/api/customer", json={"name": "星河贸易有限公司"}).json
    sign_in(page, base, "li.na")

    page.goto(f"{base}/customer/{other['id']}/edit")
    page.fill("#f-phone", "(010) 1234 5678")
    page.click("button.primary")
    page.wait_for_url(f"{base}/customer/{other['id']}?duplicates=1")
    warning = page.locator("section.duplicates")
    assert "北京华为技术有限公司" in warning.inner_text()
    assert warning.locator(f"a[href='/customer/{huawei['id']}']").count() == 1
    assert warning.locator(
        f"a[href='/customer/merge?ids={other['id']},{huawei['id']}']").count() == 1
    shot(page, "duplicates-on-edit-warned")

    page.goto(f"{base}/customer/{other['id']}/edit")
    page.fill("#f-credit_code", "91110000802100433b")  # cleaned: upper case
    page.click("button.primary")
    refused = page.locator("section.duplicates")
    refused.wait_for()
    assert page.url == f"{base}/customer/{other['id']}/edit"
    assert refused.locator(f"a[href='/customer/{huawei['id']}']").count() == 1
    assert "Same unified social credit code" in page.inner_text("main")
    shot(page, "duplicates-on-edit-refused")
    assert crm.get(f"/api/customer/{other['id']}").json["credit_code"] is None
