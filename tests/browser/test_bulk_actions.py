"""Acting on ticked rows of a list in Chromium: a sales director previews and then
makes a transfer (the API's, with its preview), and deletes a record (to the
recycle bin); a salesperson, whose role transfers nothing, gets no transfer bar."""

from __future__ import annotations

PASSWORD = "correct horse battery"


def sign_in(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_a_director_transfers_and_deletes_ticked_customers(live_crm, page) -> None:
    crm, base = live_crm
    director = crm.post("/api/users", json={"username": "zhang.wei", "name": "张伟",
                                            "password": PASSWORD,
                                            "roles": ["sales_director"]}).json
    wang = crm.post("/api/users", json={"username": "wang.fang", "name": "王芳",
                                        "password": PASSWORD, "roles": ["salesperson"],
                                        "manager": director["id"]}).json
    ids = [crm.post("/api/customer", json={"name": f"客户{n}", "owner": director["id"]}).json["id"]
           for n in range(3)]
    sign_in(page, base, "zhang.wei")
    page.goto(f"{base}/customer?sort=name")
    for record_id in ids[:2]:
        page.check(f"input[name=ids][value='{record_id}']")
    page.fill("#bulk-to", str(wang["id"]))
    page.click("[data-bulk=preview]")
    page.wait_for_selector("[data-bulk=transfer]:not([hidden])")
    assert "王芳" in page.inner_text("[data-result]")
    assert all(crm.get(f"/api/customer/{i}").json["owner"] == director["id"] for i in ids)
    with page.expect_navigation():  # done: the list reloads
        page.click("[data-bulk=transfer]")
    owners = [crm.get(f"/api/customer/{i}").json["owner"] for i in ids]
    assert owners == [wang["id"], wang["id"], director["id"]]

    page.goto(f"{base}/customer?sort=name")
    page.check(f"input[name=ids][value='{ids[2]}']")
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("[data-bulk=delete]")
    assert crm.get(f"/api/customer/{ids[2]}").status_code == 404
    assert ids[2] in [r["id"] for r in crm.get("/api/customer/deleted").json["items"]]

    salesperson = page.context.browser.new_context().new_page()
    sign_in(salesperson, base, "wang.fang")
    salesperson.goto(f"{base}/customer")
    assert salesperson.locator("table.records").count() == 1
    assert salesperson.locator("#bulk-to").count() == 0
