"""A sales manager opens a report in Chromium on a laptop and a phone: sees its chart,
changes its period with the form, reads the table with its total, and drills down from
a figure or a bar into the list of exactly the records it counts; neither width scrolls
sideways."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qsl, urlencode, urlsplit

from metacrm.runtime.report_drill import drill_query, point_query

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
        page.wait_for_selector(".report-chart[data-rendered] canvas")  # the funnel
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


def test_a_chart_is_drawn_and_a_bar_opens_the_records_it_counts(live_crm, page) -> None:  # type: ignore[no-untyped-def]
    crm, base = live_crm
    customer = create_as_platform(crm, "customer", name="云帆科技", lifecycle="lead")
    deals = [("won", "website", 2), ("won", "website", 3), ("lost", "website", 4),
             ("won", "referral", 5), ("won", "website", 10), ("lost", "referral", 11)]
    for index, (stage, source, month) in enumerate(deals):
        values = {"name": f"赢单{index}", "customer": customer, "stage": stage,
                  "source": source, "amount": "1000.00",
                  "expected_close": f"{NEXT_YEAR}-{month:02d}-10"}
        if stage == "lost":
            values["lost_reason"] = "price"
        create_as_platform(crm, "opportunity", **values)
    token = crm.environ_base["HTTP_AUTHORIZATION"].split()[1]
    page.set_extra_http_headers({"Authorization": f"Bearer {token}"})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{base}/reports/win_loss_by_source?period=all")
    page.wait_for_selector(".report-chart[data-rendered] canvas")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shot(page, "report-chart-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{base}/reports/win_loss_by_source?period=all")
    page.wait_for_selector(".report-chart[data-rendered] canvas")
    page.fill("#p-period-from", f"{NEXT_YEAR}-01-01")
    page.fill("#p-period-to", f"{NEXT_YEAR}-06-30")
    page.select_option("#p-period", "")
    page.click(".report-parameters button[type=submit]")
    page.wait_for_url("**period_from=**")
    page.wait_for_selector(".report-chart[data-rendered] canvas")
    # the table's first row is the website (most closed): 2 won in the first half
    first = page.locator("table.report-table tbody tr").first
    assert first.locator("td").first.inner_text() == "Website"
    won = int(first.locator("td").nth(2).inner_text())
    assert won == 2
    # click the first bar of the "won" series, where ECharts laid it out
    box = page.evaluate("""() => {
        const el = document.querySelector('.report-chart');
        const chart = echarts.getInstanceByDom(el);
        const layout = chart.getModel().getSeriesByIndex(0).getData().getItemLayout(0);
        return {x: layout.x + layout.width / 2, y: layout.y + layout.height / 2};
    }""")
    shot(page, "report-chart")
    asked = urlsplit(page.url).query
    page.locator(".report-chart canvas").first.click(position=box)
    page.wait_for_url("**/opportunity?**")
    # exactly the filters that produced the bar, composed by the chart script as the
    # API's rule says: the run's, the source's, the measure's own (stage=won)
    asked = urlencode([(k, v) for k, v in parse_qsl(asked) if v])  # the form's blanks off
    answer = crm.get(f"/api/reports/win_loss_by_source?{asked}").get_json()
    expected = point_query(answer["series"], 0, 0)
    assert expected is not None and "stage=won" in expected
    assert parse_qsl(urlsplit(page.url).query) == parse_qsl(expected)
    assert expected == drill_query(answer, answer["rows"][0], answer["series"]["series"][0][
        "measure"])
    assert page.locator("table.records tbody tr").count() == won
    listed = page.inner_text("table.records")
    assert "赢单0" in listed and "赢单1" in listed and "赢单4" not in listed
    assert not [p for p in problems if "Content Security Policy" in p], problems
