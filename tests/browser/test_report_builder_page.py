"""A sales-ops user builds a win-rate report in Chromium on a laptop and a phone: picks
the rows, a conditional count and the ratio of two measures, the chart and its target
line, the order and top N; the preview draws the chart; saved, the report opens; on
the report page they subscribe to it by e-mail and unsubscribe. Neither width scrolls
sideways."""

from __future__ import annotations

from datetime import date

from ..conftest import create_as_platform
from .test_pages_journey import shot

NEXT_YEAR = date.today().year + 1


def _deals(crm) -> None:  # type: ignore[no-untyped-def]
    customer = create_as_platform(crm, "customer", name="云帆科技", lifecycle="lead")
    for index, (stage, source) in enumerate([
            ("won", "website"), ("won", "website"), ("lost", "website"),
            ("won", "referral"), ("lost", "referral"), ("lost", "referral"),
            ("qualify", "trade_show")]):
        values = {"name": f"商机{index}", "customer": customer, "stage": stage,
                  "source": source, "amount": "1000.00", "expected_close": f"{NEXT_YEAR}-05-10"}
        if stage == "lost":
            values["lost_reason"] = "price"
        create_as_platform(crm, "opportunity", **values)


def test_a_win_rate_is_built_previewed_saved_and_subscribed(live_crm, page) -> None:  # type: ignore[no-untyped-def]
    crm, base = live_crm
    _deals(crm)
    plat = crm.application.extensions["metacrm"]
    users = plat.compiled.tables.users
    with plat.writing() as conn:
        conn.execute(users.update().values(email="ops@example.com"))
    token = crm.environ_base["HTTP_AUTHORIZATION"].split()[1]
    page.set_extra_http_headers({"Authorization": f"Bearer {token}"})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{base}/reports/build?entity=opportunity")
        page.fill("#b-name", f"win_rate_{width}")
        page.fill("#b-label-en", "Win rate by source")
        page.fill("#b-label-zh", "按来源的赢率")
        page.select_option("#b-rows", "source")
        page.fill("#b-m0-label-en", "Deals")
        page.select_option("#b-m1-aggregate", "count")
        page.fill("#b-m1-filters", "stage=won")
        page.fill("#b-m1-label-en", "Won")
        page.select_option("#b-m2-aggregate", "ratio")
        assert page.is_visible("#b-m2-of") and not page.is_visible("#b-m2-field")
        page.select_option("#b-m2-of", "1")
        page.select_option("#b-m2-over", "0")
        page.fill("#b-m2-label-en", "Win rate")
        page.check("[name=m2_chart]")
        page.select_option("#b-order", "m2")
        page.check("[name=order_desc]")
        page.fill("#b-limit", "2")
        page.fill("#b-target", "0.5")
        page.fill("#b-target-label-en", "Goal")
        page.select_option("#b-presentation", "bar")
        page.click("button[value=preview]")
        page.wait_for_selector(".builder-preview .report-chart[data-rendered] canvas")
        rows = page.locator(".builder-preview table.report-table tbody tr")
        assert rows.count() == 2  # top 2 of three sources
        assert "66.7%" in rows.first.inner_text()  # website: 2 of 3 won
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        shot(page, "report-builder" if width > 375 else "report-builder-phone")
        page.click("button[value=save]")
        page.wait_for_url(f"**/reports/win_rate_{width}")
        page.wait_for_selector(".report-chart[data-rendered] canvas")
        # subscribe to it by e-mail, every Friday
        page.click(".report-subscription summary")
        page.select_option("#s-every", "week")
        assert page.is_visible("#s-weekday") and not page.is_visible("#s-month-day")
        page.select_option("#s-weekday", "friday")
        page.fill("#s-at", "07:30")
        page.click(".subscription-form button[value=subscribe]")
        page.wait_for_selector("text=E-mailed to you every Friday at 07:30")
        page.click(".report-subscription summary")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        shot(page, "report-subscribed" if width > 375 else "report-subscribed-phone")
        page.click(".subscription-form button[value=unsubscribe]")
        page.wait_for_selector("text=E-mail me this report")
    assert problems == []
