"""A sales manager opens a report in Chromium on a laptop and a phone: changes its
period with the form, reads the table with its total, and drills down from a row into
the list of exactly the records it counts; neither width scrolls sideways."""

from __future__ import annotations

from datetime import date

from ..conftest import create_as_platform
from .test_pages_journey import shot

NEXT_YEAR = date.today().year + 1


def test_a_report_is_run_narrowed_and_drilled_into(live_crm, page) -> None:  # type: ignore[no-untyped-def]
    crm, base = live_crm
    customer = create_as_platform(crm, "customer", name="星河贸易", lifecycle="lead")
    for index, (stage, month) in enumerate([("qualify", 2), ("proposal", 2),
                                            ("proposal", 5), ("negotiation", 9)]):
        create_as_platform(crm, "opportunity", name=f"商机{index}", customer=customer,
                           stage=stage, amount=f"{(index + 1) * 1000}.00",
                           expected_close=f"{NEXT_YEAR}-{month:02d}-10")
    token = crm.environ_base["HTTP_AUTHORIZATION"].split()[1]
    page.set_extra_http_headers({"Authorization": f"Bearer {token}"})
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{base}/reports")
        page.click("a[href='/reports/sales_funnel']")
        page.wait_for_url("**/reports/sales_funnel")
        page.fill("#p-period-from", f"{NEXT_YEAR}-01-01")
        page.fill("#p-period-to", f"{NEXT_YEAR}-06-30")
        page.click(".report-parameters button[type=submit]")
        page.wait_for_url("**period_from=**")
        rows = page.locator("table.report-table tbody tr")
        assert rows.count() == 2  # qualify, proposal (the September one is outside)
        assert "6,000.00" in page.inner_text("tfoot")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        shot(page, "report" if width > 375 else "report-phone")
    page.click("table.report-table tbody tr:nth-child(2) a")  # proposal
    page.wait_for_url("**/opportunity?**")
    listed = page.inner_text("table.records")
    assert "商机1" in listed and "商机2" in listed  # both proposals of the period
    assert "商机0" not in listed and "商机3" not in listed
