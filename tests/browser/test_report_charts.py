"""static/report-chart.js draws every kind of chart a report has (bar, stacked bar with
a target line, line, area of a ratio, pie, funnel) with the vendored ECharts build, in
Chinese, under the pages' Content-Security-Policy (no inline script or style), shows a
tooltip, and a click opens the list with the point's filters."""

from __future__ import annotations

import time
from typing import Any

from .test_pages_journey import shot

KINDS = ("bar", "stacked_bar", "line", "area", "pie", "funnel")


def test_every_kind_of_chart_is_drawn_and_answers_a_click(live_test_pages: str,
                                                          page: Any) -> None:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning")
            else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.set_viewport_size({"width": 900, "height": 900})
    page.goto(f"{live_test_pages}/_test/report_charts.html")
    for kind in KINDS:
        page.wait_for_selector(f"#chart-{kind}[data-rendered] canvas")
        # ECharts describes the chart for screen readers (its aria component)
        assert page.get_attribute(f"#chart-{kind}", "aria-label")
    shot(page, "report-chart-kinds")
    options = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll(
        '.report-chart')].map(el => [el.id, echarts.getInstanceByDom(el).getOption()]))""")
    assert options["chart-stacked_bar"]["series"][0]["stack"] == "total"
    assert options["chart-stacked_bar"]["series"][0]["markLine"]["data"][0]["yAxis"] == 12
    assert options["chart-area"]["series"][0]["areaStyle"] is not None
    assert options["chart-funnel"]["series"][0]["type"] == "funnel"
    assert options["chart-pie"]["series"][0]["data"][2] == {"name": "(empty)", "value": 1}
    # a chart follows its box
    width = "echarts.getInstanceByDom(document.getElementById('chart-line')).getWidth()"
    assert page.evaluate(width) > 800
    page.set_viewport_size({"width": 420, "height": 900})
    _until(lambda: page.evaluate(width) <= 420)  # (wait_for_function evals: the CSP refuses)
    page.set_viewport_size({"width": 900, "height": 900})
    _until(lambda: page.evaluate(width) > 800)
    # the first bar: hovered (a tooltip drawn on the canvas), then clicked
    box = page.evaluate("""() => {
        const chart = echarts.getInstanceByDom(document.getElementById('chart-bar'));
        const l = chart.getModel().getSeriesByIndex(0).getData().getItemLayout(0);
        return {x: l.x + l.width / 2, y: l.y + l.height / 2};
    }""")
    canvas = page.locator("#chart-bar canvas").first
    canvas.hover(position=box)
    page.wait_for_timeout(300)
    canvas.click(position=box)
    # the chart's filters, then the category's, then the series' (runtime/report_drill.py)
    page.wait_for_url("**/_test/report_charts.html?period=this+year&m=1&stage=won")
    assert problems == []


def _until(condition: Any, seconds: float = 5) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
