"""A salesperson signs in and finds their dashboard in Chromium, on a laptop and on a
phone: every widget loads after the page by a request of its own, counts only their
records (a colleague's won deal is not in their figure), and the widgets stack on the
phone with nothing scrolling sideways. They pin a report from its page and unpin it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ..conftest import create_as_platform
from .test_pages_journey import PASSWORD, shot, sign_in

expect = pytest.importorskip("playwright.sync_api").expect
THIS_MONTH = datetime.now(UTC).date().replace(day=15).isoformat()


def test_a_salesperson_sees_their_dashboard_on_a_laptop_and_a_phone(live_crm, page) -> None:  # type: ignore[no-untyped-def]
    crm, base = live_crm
    people = {}
    for username, name in (("wang.fang", "王芳"), ("zhao.lei", "赵磊")):
        people[username] = crm.post("/api/users", json={
            "username": username, "name": name, "password": PASSWORD,
            "roles": ["salesperson"]}).json["id"]
    wang = people["wang.fang"]
    customer = create_as_platform(crm, "customer", name="星河贸易", lifecycle="lead",
                                  owner=wang)
    for index, (stage, amount, owner, chance) in enumerate([
            ("won", "120000.00", wang, 100), ("won", "30000.50", wang, 100),
            ("proposal", "80000.00", wang, 50), ("negotiation", "45000.00", wang, 80),
            ("won", "999999.00", people["zhao.lei"], 100)]):
        create_as_platform(crm, "opportunity", name=f"商机{index}", customer=customer,
                           stage=stage, amount=amount, expected_close=THIS_MONTH,
                           owner=owner, probability=chance)
    create_as_platform(crm, "activity", customer=customer, subject="回访报价",
                       status="planned", type="call", owner=wang,
                       next_followup_date=THIS_MONTH)

    sign_in(page, base, "wang.fang")
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{base}/dashboard")
        widgets = page.locator(".dashboard-grid .widget")
        assert widgets.count() == 8
        # every body replaced its "Loading…" by what its own request answered
        expect(page.locator(".widget-body", has_text="Loading")).to_have_count(0)
        # the pipeline's funnel is drawn by the report page's chart code (its animation over)
        expect(page.locator(".widget .report-chart[data-rendered=true]")).to_have_count(1)
        won = page.locator(".widget").filter(has_text="Won this month")
        assert won.locator(".figure").inner_text() == "150,000.50"  # not her colleague's
        weighted = page.locator(".widget").filter(has_text="Weighted pipeline")
        assert weighted.locator(".figure").inner_text() == "76,000.00"  # 40,000 + 36,000
        listed = page.locator(".widget").filter(has_text="My open opportunities")
        assert "商机2" in listed.inner_text() and "商机3" in listed.inner_text()
        assert "商机4" not in page.inner_text("main")
        assert "回访报价" in page.locator(".widget").filter(
            has_text="My planned follow-ups").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        boxes = [widgets.nth(i).bounding_box() for i in range(widgets.count())]
        if width == 375:  # stacked: one widget per row, each as wide as the next
            assert len({round(b["x"]) for b in boxes}) == 1
        else:  # the number cards share the first row
            assert len({round(b["y"]) for b in boxes[:4]}) == 1
        shot(page, "dashboard" if width > 375 else "dashboard-phone")

    # Pin a report from its page; it joins the dashboard, and goes again when unpinned.
    page.goto(f"{base}/reports/won_opportunities?period=this_year")
    page.click("form.pin button[type=submit]")
    page.wait_for_url(f"{base}/dashboard")
    pinned = page.locator(".widget").filter(has_text="Won opportunities by month and owner")
    assert pinned.count() == 1
    pinned.locator("button.unpin").click()
    expect(page.locator(".dashboard-grid .widget")).to_have_count(8)
