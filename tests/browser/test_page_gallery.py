"""Every main page, as a sales manager who reads Chinese sees it, on a laptop and on
a phone: each shows what it is for, and none scrolls sideways at 375 px.

With METACRM_SCREENSHOTS=<folder> it leaves a picture of each page there
(docs/screenshots is made that way, so the pictures stay true)."""

from __future__ import annotations

from ..identity.conftest import signed_in
from .test_pages_journey import PASSWORD, shot, sign_in


def _data(crm) -> dict[str, int]:  # type: ignore[no-untyped-def]
    boss = crm.post("/api/users", json={"username": "li.na", "name": "李娜", "password": PASSWORD,
                                        "roles": ["sales_manager"], "language": "zh"}).json
    wang = crm.post("/api/users", json={"username": "wang.fang", "name": "王芳",
                                        "password": PASSWORD, "roles": ["salesperson"],
                                        "manager": boss["id"]}).json
    assert crm.post("/api/teams", json={"code": "east", "name": "华东",
                                        "members": [boss["id"], wang["id"]]}).status_code == 201
    customer = crm.post("/api/customer", json={
        "name": "上海星河贸易有限公司", "grade": "A", "city": "上海", "owner": wang["id"],
        "annual_revenue": "12000000.00", "phone": "021-55550101"}).json
    for name, grade in (("杭州云帆科技有限公司", "B"), ("苏州恒达机械制造有限公司", "C")):
        crm.post("/api/customer", json={"name": name, "grade": grade, "owner": wang["id"]})
    crm.post("/api/customer", json={"name": "南京公海客户有限公司", "owner": None})
    gone = crm.post("/api/contact", json={"name": "已删除的联系人",
                                          "customer": customer["id"]}).json
    assert crm.delete(f"/api/contact/{gone['id']}").status_code == 204
    for name in ("星河 ERP 项目", "星河 RFID 标签"):
        crm.post("/api/opportunity", json={"name": name, "customer": customer["id"],
                                           "amount": "300000.00", "owner": wang["id"]})
    # A request waiting for the manager: her inbox has a task, her bell a notification.
    seller = signed_in(crm, "wang.fang", PASSWORD)
    requirement = seller.post("/api/requirement", headers={"X-CSRF-Token": seller.csrf}, json={
        "title": "CRM 报表需求", "customer": customer["id"], "category": "integration",
        "description": "按月汇总新增客户"}).json
    assert seller.post(f"/api/requirement/{requirement['id']}/transitions/submit",
                       headers={"X-CSRF-Token": seller.csrf}).status_code == 200
    return {"customer": customer["id"]}


PAGES = {  # what each page shows, found by its selector
    "start": ("/", "main"),
    "list": ("/customer", "table.records"),
    "record-360": ("/customer/{customer}", "nav.related-jump"),
    "form": ("/customer/{customer}/edit", "form.record-form"),
    "board": ("/opportunity/board", "ol.cards[data-value='qualify'] li.card"),
    "pool": ("/customer/pool", "main"),
    "recycle-bin": ("/contact/deleted", "main"),
    "search": ("/search?q=星河", "main a[href^='/customer/']"),
    "inbox": ("/approvals", "main"),
    "stand-ins": ("/approvals/delegations", "form.api-action"),
    "notifications": ("/notifications", "main"),
}
SHOWN = {  # a text each page must show
    "list": "上海星河贸易有限公司", "pool": "南京公海客户有限公司", "recycle-bin": "已删除的联系人",
    "record-360": "商机", "board": "星河 ERP 项目", "search": "上海星河贸易有限公司",
    "inbox": "CRM 报表需求", "notifications": "CRM 报表需求",
}


def test_every_main_page_fits_a_laptop_and_a_phone(live_crm, page) -> None:
    crm, base = live_crm
    ids = _data(crm)
    for width, suffix in ((1280, ""), (375, "-phone")):
        page.set_viewport_size({"width": width, "height": 800})
        if not suffix:
            sign_in(page, base, "li.na")
        for name, (path, selector) in PAGES.items():
            page.goto(base + path.format(**ids))
            page.wait_for_selector(selector)
            if name in SHOWN:
                assert SHOWN[name] in page.inner_text("main"), name
            wide = page.evaluate("document.documentElement.scrollWidth")
            assert wide <= width, f"{name} scrolls sideways at {width}px ({wide}px)"
            shot(page, f"page-{name}{suffix}")
