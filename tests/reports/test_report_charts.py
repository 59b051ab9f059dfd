"""Report charts: `chart:` in a definition (checked with file:line), the chart data a
run returns (the page carries the same JSON), a target line, a number card's change
against the previous period (computed by the database), and drill-down: every figure's
link lists exactly the records it counts."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from metacrm.catalog_loader import load_catalog
from metacrm.runtime.report_answer import named_rows, named_totals
from metacrm.runtime.report_charts import change
from metacrm.runtime.report_drill import drill_query, point_query
from metacrm.runtime.report_parameters import period_before

from ..conftest import create_as_platform
from .conftest import sales_bundle
from .test_report_definitions import diagnostics

PIVOT = """
report: stage_by_month
entity: deal
label: {en: Stages by month, zh: 按月阶段}
rows: {field: met_at, bucket: month}
columns: stage
measures: [{name: deals, aggregate: count}, {name: amount, aggregate: sum, field: amount}]
chart: {measures: [amount], target: {value: 25, label: {en: Quota, zh: 指标}}}
time_zone: Asia/Shanghai
presentation: stacked_bar
"""
BY_SOURCE = """
report: by_source
entity: deal
rows: source
measures:
  - {name: deals, aggregate: count}
  - {name: won, aggregate: count, filters: {stage: won}}
  - {name: win_rate, ratio: [won, deals]}
presentation: pie
"""
CARD = """
report: card
entity: deal
filters: {stage: won}
measures: [{name: deals, aggregate: count}, {name: amount, aggregate: sum, field: amount}]
parameters:
  period: {field: closed_on, default: this_month}
chart: {target: 100}
presentation: number
"""
PIVOT_TABLE = PIVOT.replace("stage_by_month", "stage_grid").replace(
    "presentation: stacked_bar", "presentation: pivot").replace(
    "chart: {measures: [amount], target: {value: 25, label: {en: Quota, zh: 指标}}}", "")


@pytest.fixture
def client(make_client, tmp_path: Path):  # type: ignore[no-untyped-def]
    client = make_client(sales_bundle(tmp_path / "b", **{
        "reports/pivot.yaml": PIVOT, "reports/by_source.yaml": BY_SOURCE,
        "reports/card.yaml": CARD, "reports/grid.yaml": PIVOT_TABLE}))
    for index, (stage, source, met_at, closed_on, amount) in enumerate([
            ("won", "web", "2026-01-31T17:00:00Z", "2026-03-02", "10.00"),  # Feb in Shanghai
            ("won", "web", "2026-01-31T15:00:00Z", "2026-03-20", "20.00"),  # 31 January
            ("lost", "fair", "2026-02-10T00:00:00Z", "2026-02-11", "30.00"),
            ("won", None, "2026-03-01T00:00:00Z", "2026-02-27", "5.00"),
            ("open", "fair", None, None, "7.00")]):
        create_as_platform(client, "deal", name=f"D{index}", stage=stage, source=source,
                           met_at=met_at, closed_on=closed_on, amount=amount)
    return client


def _run(client, name: str, **params: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = client.get(f"/api/reports/{name}", query_string=params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _listed(client, entity: str, query: str) -> int:  # type: ignore[no-untyped-def]
    response = client.get(f"/api/{entity}?{query}&limit=200")
    assert response.status_code == 200, (query, response.get_json())
    return len(response.get_json()["items"])


@pytest.mark.parametrize(("body", "expected"), [
    ("entity: deal\nrows: stage\nmeasures: [{name: n}]\nchart: {measures: [m]}\n",
     "reports/extra.yaml:5:20: report 'x': chart: unknown measure 'm'"),
    ("entity: deal\nrows: stage\nmeasures: [{name: n}]\npresentation: pie\n"
     "chart: {target: 5}\n",
     "reports/extra.yaml:6:17: report 'x': chart: a target line is drawn on a bar, "
     "stacked_bar, line, area chart or a number card; this report is a pie"),
    ("entity: deal\nrows: stage\nmeasures: [{name: n}]\npresentation: bar\n"
     "chart: {target: {value: 5, measure: amount}}\n",
     "reports/extra.yaml:6:17: report 'x': chart: target: unknown measure 'amount'"),
    ("entity: deal\nrows: stage\nmeasures: [{name: n}]\nchart: {target: lots}\n",
     "reports/extra.yaml:5:17: chart.target: expected a number, got 'lots'"),
    ("entity: deal\nrows: stage\nmeasures: [{name: n}]\nchart: {colour: red}\n",
     "reports/extra.yaml:5:9: chart: unknown key 'colour'; allowed: measures, target"),
    ("entity: deal\nrows: stage\ncolumns: source\nmeasures: [{name: n}, {name: m}]\n"
     "presentation: stacked_bar\nchart: {measures: [n, m]}\n",
     "reports/extra.yaml:7:19: report 'x': chart: a stacked bar stacks the columns of one "
     "measure; name one"),
    ("entity: deal\nrows: stage\nmeasures: [{name: n}]\nparameters: {target: {field: "
     "amount}}\n",
     "reports/extra.yaml:5:14: report 'x': parameter 'target': the name is taken by the "
     "API (lang, format, limit, target)"),
])
def test_a_chart_mistake_is_reported_where_it_is_written(tmp_path: Path, body: str,
                                                         expected: str) -> None:
    found = diagnostics(tmp_path, "report: x\n" + body)
    assert [f.split(" (did you mean")[0] for f in found] == [expected]


def test_the_chart_is_read_into_the_definition(tmp_path: Path) -> None:
    catalog = load_catalog([sales_bundle(tmp_path / "b", **{"reports/pivot.yaml": PIVOT})])
    report = catalog.reports["stage_by_month"]
    assert [m.name for m in report.charted] == ["amount"]
    assert report.chart.target is not None
    assert report.chart.target.value == Decimal("25")
    assert report.chart.target.label.get("zh") == "指标"
    assert [m.name for m in catalog.reports["won_by_month"].charted] == ["deals"]


def test_a_stacked_bar_has_a_series_per_column_each_point_with_its_records(client) -> None:  # type: ignore[no-untyped-def]
    answer = _run(client, "stage_by_month")
    chart = answer["series"]
    assert chart["kind"] == "stacked_bar" and chart["measure"] == "amount"
    # the open deal was never met: its bucket is the empty one, last
    assert chart["categories"] == ["2026-01", "2026-02", "2026-03", "(empty)"]
    by_name = {s["name"]: s for s in chart["series"]}
    assert by_name["won"]["data"] == ["20.00", "10.00", "5.00", None]
    assert by_name["lost"]["data"] == [None, "30.00", None, None]
    assert by_name["open"]["data"] == [None, None, None, "7.00"]
    assert chart["target"] == {"value": "25", "measure": "amount", "label": "Quota"}
    # each bar lists exactly its records: the deals of that stage and Shanghai month
    for number, series in enumerate(chart["series"]):
        for point, value in enumerate(series["data"]):
            link = point_query(chart, number, point)
            if value is None:
                assert link is None  # no bar, nothing to open
            else:
                items = client.get(f"/api/deal?{link}").get_json()["items"]
                assert sum(Decimal(i["amount"]) for i in items) == Decimal(value)
    # the parts, each once: the run's filters, the month's, the stage's (a series)
    assert chart["filters"] == answer["filters"]
    assert chart["category_filters"][3] == [["met_at__isnull", "true"]]
    assert by_name["lost"]["filters"] == [["stage", "lost"]]
    assert point_query(chart, list(by_name).index("lost"), 1) == \
        drill_query(answer, next(r["at"] for r in named_rows(answer)
                                 if r["columns"]["value"] == "lost"), "amount")


def test_every_figure_drills_down_to_as_many_records_as_it_counts(client) -> None:  # type: ignore[no-untyped-def]
    for name, params in (("stage_by_month", {}), ("by_source", {}),
                         ("won_by_month", {"period": "all"})):
        answer = _run(client, name, **params)
        for row in named_rows(answer):
            for column in answer["columns"]:
                measure = column["name"]
                if measure in ("deals", "won"):
                    link = drill_query(answer, row["at"], measure)
                    assert _listed(client, "deal", link) == row["values"][measure], \
                        (name, row, measure)
        for measure in ("deals", "won"):
            if answer["totals"] and measure in answer["totals"]["all"]:
                assert _listed(client, "deal", drill_query(answer, None, measure)) == \
                    answer["totals"]["all"][measure]
        for axis in ("rows", "columns"):
            for total in named_totals(answer, axis):
                assert _listed(client, "deal", drill_query(answer, total["at"], "deals")) == \
                    total["values"]["deals"]


def test_a_pie_slices_the_first_measure_and_a_conditional_count_drills_to_its_own(client) -> None:  # type: ignore[no-untyped-def]
    answer = _run(client, "by_source")
    chart = answer["series"]
    assert chart["kind"] == "pie" and [s["measure"] for s in chart["series"]] == ["deals"]
    assert chart["categories"] == ["web", "fair", "(empty)"]  # no source: its own slice
    assert chart["series"][0]["data"] == [2, 2, 1]
    empty = point_query(chart, 0, 2)
    assert empty is not None
    assert "source__isnull=true" in empty and _listed(client, "deal", empty) == 1
    web = answer["rows"][0]  # its position, then its figures
    won, deals = drill_query(answer, web, "won"), drill_query(answer, web, "deals")
    assert "stage=won" in won and "stage=won" not in deals
    assert {c["name"]: c["filters"] for c in answer["columns"]}["won"] == [["stage", "won"]]
    # a ratio's records are its denominator's
    assert drill_query(answer, web, "win_rate") == deals


def test_a_number_card_compares_with_the_period_before_in_sql(client) -> None:  # type: ignore[no-untyped-def]
    answer = _run(client, "card", period="2026-03-01..2026-03-31")
    chart = answer["series"]
    assert chart["kind"] == "number"
    deals, amount = chart["series"]
    assert (deals["data"], deals["previous"], deals["change"]) == ([2], 1, "1.0000")
    assert (amount["data"], amount["previous"], amount["change"]) == (
        ["30.00"], "5.00", "5.0000")
    assert chart["previous"] == {"from": "2026-02-01", "to": "2026-02-28"}
    assert answer["previous"]["values"] == {"deals": 1, "amount": "5.00"}
    assert _listed(client, "deal", point_query(chart, 0, 0) or "") == 2
    assert point_query(chart, 0, 0) == drill_query(answer, None, "deals")
    assert chart["target"] == {"value": "100", "measure": "deals", "label": None}
    # no period before an unbounded one
    assert _run(client, "card", period="all")["series"]["previous"] is None


def test_the_viewer_sets_the_target_and_a_bad_one_is_a_400(client) -> None:  # type: ignore[no-untyped-def]
    assert _run(client, "stage_by_month", target="1,500.5")["series"]["target"][
        "value"] == "1500.5"
    response = client.get("/api/reports/stage_by_month?target=many")
    assert response.status_code == 400
    assert "target" in response.get_json()["errors"]
    # a pie draws no target line: the parameter is unknown there
    assert client.get("/api/reports/by_source?target=5").status_code == 400


def test_the_page_carries_the_apis_chart_and_loads_echarts_only_for_a_chart(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/reports/stage_by_month").get_data(as_text=True)
    data = re.search(r'<script type="application/json" id="report-chart-data">(.*?)</script>',
                     page, re.S)
    assert data is not None
    assert json.loads(data.group(1)) == _run(client, "stage_by_month")["series"]
    assert 'data-list-url="/deal"' in page and "vendor/echarts.min.js" in page
    assert "report-chart.js" in page
    card = client.get("/reports/card?period=2026-03-01..2026-03-31").get_data(as_text=True)
    assert "echarts" not in card and "number-card" in card
    assert "+100.0%" in card and "2026-02-01" in card
    assert "Target: 100 (2% reached)" in card
    card = client.get("/reports/card?period=2026-03-01..2026-03-31&lang=zh").get_data(
        as_text=True)
    assert "目标: 100 (已完成 2%)" in card and "对比 2026-02-01 – 2026-02-28" in card
    assert "echarts" not in client.get("/deal").get_data(as_text=True)


def test_a_pivot_is_a_grid_whose_cells_and_totals_drill_down(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/reports/stage_grid").get_data(as_text=True)
    assert "report-pivot" in page and "echarts" not in page
    links = [unescape(h) for h in re.findall(r'<a href="/deal\?([^"]+)">([^<]+)</a>', page)
             for h in [h[0]]]
    figures = [f for _, f in re.findall(r'<a href="/deal\?([^"]+)">([^<]+)</a>', page)]
    assert links and len(links) == len(figures)
    for link, figure in zip(links, figures, strict=True):
        assert str(_listed(client, "deal", link)) == figure  # the grid counts deals


def test_change_and_the_period_before() -> None:
    assert change(15, 10) == Decimal("0.5000")
    assert change("8.00", "10.00") == Decimal("-0.2000")
    assert change(3, 0) is None and change(None, 2) is None
    d = datetime(2026, 1, 1, tzinfo=UTC).date()
    assert period_before(d.replace(month=4), d.replace(month=6, day=30)) == (
        d, d.replace(month=3, day=31))  # a quarter: the quarter before
    assert period_before(d.replace(month=3, day=10), d.replace(month=3, day=16)) == (
        d.replace(month=3, day=3), d.replace(month=3, day=9))  # a week: the week before


def test_a_cells_link_is_the_runs_then_its_values_then_its_measures_filters() -> None:
    answer = {"filters": [["period__gte", "2026-01-01"]],
              "dimensions": [
                  {"values": [{"value": "fair", "filters": [["source", "fair"]]},
                              {"value": "web", "filters": [["source", "web"]]}]},
                  {"values": [{"value": None, "filters": [["owner__isnull", "true"]]}]}],
              "columns": [{"name": "n", "filters": []},
                          {"name": "w", "filters": [["stage", "won"]]}]}
    row = [1, 0, 5, 2]  # web, no owner: 5 deals, 2 won
    assert drill_query(answer, row, "n") == \
        "period__gte=2026-01-01&source=web&owner__isnull=true"
    assert drill_query(answer, row, "w") == \
        "period__gte=2026-01-01&source=web&owner__isnull=true&stage=won"
    assert drill_query(answer, (1, None), "w") == \
        "period__gte=2026-01-01&source=web&stage=won"  # web's total
    assert drill_query(answer, (None, 0), "n") == "period__gte=2026-01-01&owner__isnull=true"
    assert drill_query(answer, (), "w") == drill_query(answer, None, "w") == \
        "period__gte=2026-01-01&stage=won"
    # encoded as urlencode does: a space as +, an ampersand escaped
    assert drill_query({"filters": [["name", "A & B c"]], "dimensions": [],
                        "columns": []}) == "name=A+%26+B+c"


def test_the_shipped_number_card_counts_this_month_against_the_last(crm) -> None:  # type: ignore[no-untyped-def]
    from datetime import date, timedelta
    from zoneinfo import ZoneInfo

    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()  # the report's time zone
    this_month = today.replace(day=10)
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=10)
    customer = create_as_platform(crm, "customer", name="卡片公司", lifecycle="lead")
    for index, (day, amount) in enumerate([(this_month, "300.00"), (this_month, "200.00"),
                                           (last_month, "1000.00"),
                                           (date(2020, 1, 10), "7.00")]):
        create_as_platform(crm, "opportunity", name=f"W{index}", customer=customer,
                           stage="won", amount=amount, expected_close=day.isoformat())
    answer = _run(crm, "won_this_month")
    deals, amount = answer["series"]["series"]
    assert (deals["data"], deals["previous"], deals["change"]) == ([2], 1, "1.0000")
    assert (amount["data"], amount["previous"], amount["change"]) == (
        ["500.00"], "1000.00", "-0.5000")
    page = crm.get("/reports/won_this_month?lang=zh").get_data(as_text=True)
    assert "number-card" in page and "对比" in page and "-50.0%" in page


def test_each_answer_is_the_one_the_openapi_document_declares(client) -> None:  # type: ignore[no-untyped-def]
    from metacrm.web.openapi import build_openapi

    from ..api.openapi_checks import declared_answer

    doc = build_openapi(client.application.extensions["metacrm"].compiled.catalog)
    for name, query in (("card", "period=2026-03-01..2026-03-31"), ("card", "period=all"),
                        ("stage_by_month", "target=3"), ("by_source", ""),
                        ("stage_grid", "")):
        response = client.get(f"/api/reports/{name}?{query}")
        declared_answer(doc, "/api/reports/{name}", "get", response)


def test_a_report_without_dimensions_shows_its_one_row(make_client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    whole = "report: whole\nentity: deal\nmeasures: [{name: deals, aggregate: count}]\n"
    client = make_client(sales_bundle(tmp_path / "b", **{"reports/whole.yaml": whole}))
    create_as_platform(client, "deal", name="D", stage="won")
    page = client.get("/reports/whole").get_data(as_text=True)
    assert re.search(r'<td class="num"[^>]*><a href="/deal\?">1</a></td>', page)


def test_the_list_of_reports_says_what_each_chart_draws(client) -> None:  # type: ignore[no-untyped-def]
    items = {r["name"]: r for r in client.get("/api/reports").get_json()["items"]}
    assert items["stage_by_month"]["chart"] == {"measures": ["amount"], "target": "25"}
    assert items["by_source"]["chart"] == {"measures": ["deals"], "target": None}
