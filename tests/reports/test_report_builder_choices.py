"""The report builder's page offers what the report language has: a ratio of two
measures (the win rate) with conditional measures, the order and top N, the chart
drawn and its target line, a period and a value parameter (``me``), funnel steps, the
time zone and totals; the preview draws the chart; a saved report is the YAML a
designer would write, and `export-customizations` writes a file `check` accepts."""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from metacrm.catalog_loader import load_catalog
from metacrm.runtime.report_answer import named_rows

from ..conftest import SHIPPED_BUNDLE, create_as_platform
from .conftest import sales_bundle

WIN_RATE = {
    "entity": "deal", "name": "win_rate_by_source", "label_en": "Win rate by source",
    "label_zh": "按来源的赢率", "presentation": "bar", "rows_field": "source",
    "m0_aggregate": "count", "m0_label_en": "Deals", "m0_label_zh": "商机数",
    "m1_aggregate": "count", "m1_filters": "stage=won", "m1_label_en": "Won",
    "m1_label_zh": "赢单数",
    "m2_aggregate": "ratio", "m2_of": "1", "m2_over": "0", "m2_label_en": "Win rate",
    "m2_label_zh": "赢率", "m2_chart": "1",
    "m3_aggregate": "sum", "m3_field": "amount",
    "order_by": "m2", "order_desc": "1", "limit": "2",
    "target_value": "0.5", "target_measure": "2", "target_label_en": "Goal",
    "target_label_zh": "目标",
    "period_field": "closed_on", "period_default": "all",
    "value_field": "owner", "value_default": "",
    "time_zone": "Asia/Shanghai", "week_starts": "sunday", "totals": "1", "totals_shown": "1",
}
FUNNEL = {
    "entity": "deal", "name": "deal_funnel", "label_en": "Deal funnel", "label_zh": "商机漏斗",
    "presentation": "funnel", "m0_aggregate": "count", "totals": "1",
    "s0_label_en": "All deals", "s0_label_zh": "全部商机", "s0_filters": "",
    "s1_label_en": "Decided", "s1_label_zh": "已定", "s1_filters": "stage__in=won,lost",
    "s2_label_en": "Won", "s2_label_zh": "赢单", "s2_filters": "stage=won",
}


@pytest.fixture
def client(make_client, tmp_path: Path):  # type: ignore[no-untyped-def]
    client = make_client(sales_bundle(tmp_path / "b"))
    # web: 3 deals, 1 won (33.3%); fair: 2 deals, 2 won (100%); referral: 4, 1 won (25%)
    for source, stages in (("web", ("won", "open", "lost")), ("fair", ("won", "won")),
                           ("referral", ("won", "open", "open", "lost"))):
        for index, stage in enumerate(stages):
            create_as_platform(client, "deal", name=f"{source}{index}", stage=stage,
                               source=source, closed_on="2026-01-05", amount="100.00")
    return client


def _cells(page: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<td[^>]*>(.*?)</td>", page, re.S)]


def test_the_page_offers_ratios_order_target_parameters_and_steps(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/reports/build?entity=deal").get_data(as_text=True)
    for control in ('name="m0_aggregate"', '<option value="ratio"', 'name="m0_of"',
                    'name="m0_over"', 'name="m0_filters"', 'name="m0_chart"',
                    'name="order_by"', 'name="limit"', 'name="target_value"',
                    'name="target_measure"', 'name="value_field"', 'name="s0_filters"',
                    'name="time_zone"', 'name="week_starts"', 'name="totals"'):
        assert control in page, control
    for kind in ("table", "pivot", "bar", "stacked_bar", "line", "area", "pie", "funnel",
                 "number"):
        assert f'<option value="{kind}"' in page


def test_a_win_rate_previews_as_a_chart_in_order_with_its_top_n(client) -> None:  # type: ignore[no-untyped-def]
    shown = client.post("/reports/build", data={**WIN_RATE, "action": "preview"})
    page = shown.get_data(as_text=True)
    assert shown.status_code == 200, page[:800]
    # the highest win rate first, two rows: fair 100%, web 33.3% (referral 25% is cut)
    cells = _cells(page.split('class="records report-table"')[1])
    assert cells[:5] == ["fair", "2", "2", "100.0%", "200.00"]
    assert cells[5:10] == ["web", "3", "1", "33.3%", "300.00"]
    assert "referral" not in cells
    chart = re.search(r'<script type="application/json" id="builder-chart-data">(.*?)</script>',
                      page, re.S)
    series = json.loads(chart.group(1)) if chart else {}
    assert series["kind"] == "bar" and series["categories"] == ["fair", "web"]
    assert [s["measure"] for s in series["series"]] == ["win_rate"]
    assert series["target"]["label"] == "Goal" and series["percent"] == [True]


def test_a_saved_report_is_the_document_a_designer_would_write(client) -> None:  # type: ignore[no-untyped-def]
    saved = client.post("/reports/build", data={**WIN_RATE, "action": "save"})
    assert saved.status_code == 302, saved.get_data(as_text=True)[:800]
    document = client.get("/api/meta/reports/win_rate_by_source").get_json()["document"]
    names = [m["name"] for m in document["measures"]]
    assert names == ["deals", "won", "win_rate", "sum_amount"]
    assert document["measures"][1]["filters"] == {"stage": "won"}
    assert document["measures"][2] == {"name": "win_rate", "ratio": ["won", "deals"],
                                       "label": {"en": "Win rate", "zh": "赢率"}}
    assert document["order"] == ["-win_rate"] and document["limit"] == 2
    assert document["chart"] == {"measures": ["win_rate"], "target": {
        "value": 0.5, "measure": "win_rate", "label": {"en": "Goal", "zh": "目标"}}}
    assert document["parameters"] == {"period": {"field": "closed_on", "default": "all"},
                                      "owner": {"field": "owner"}}
    assert document["time_zone"] == "Asia/Shanghai" and document["week_starts"] == "sunday"
    assert "totals" not in document  # on: the default
    answer = client.get("/api/reports/win_rate_by_source").get_json()
    assert [r["values"]["win_rate"] for r in named_rows(answer)] == ["1.0000", "0.3333"]
    # the report page asks for the owner, and draws the target line
    page = client.get("/reports/win_rate_by_source").get_data(as_text=True)
    assert 'name="owner"' in page and 'id="p-target"' in page
    # reopened in the builder, every choice is where it was
    form = client.get("/reports/win_rate_by_source/build").get_data(as_text=True)
    for shown in (r'name="m2_aggregate"[^>]*>.*?<option value="ratio" selected',
                  r'name="m2_of">.*?<option value="1" selected',
                  r'name="m2_over">.*?<option value="0" selected',
                  r'name="order_by">.*?<option value="m2" selected',
                  r'name="limit" type="number" min="1" value="2"',
                  r'name="target_value" inputmode="decimal" value="0.5"',
                  r'name="value_field">.*?<option value="owner" selected',
                  r'name="m1_filters" value="stage=won"'):
        assert re.search(shown, form, re.S), shown


def test_a_funnel_of_steps_is_built_and_counts_each_step(client) -> None:  # type: ignore[no-untyped-def]
    saved = client.post("/reports/build", data={**FUNNEL, "action": "save"})
    assert saved.status_code == 302, saved.get_data(as_text=True)[:800]
    document = client.get("/api/meta/reports/deal_funnel").get_json()["document"]
    assert document["funnel"] == [
        {"name": "all_deals", "filters": {}, "label": {"en": "All deals", "zh": "全部商机"}},
        {"name": "decided", "filters": {"stage__in": "won,lost"},
         "label": {"en": "Decided", "zh": "已定"}},
        {"name": "won", "filters": {"stage": "won"}, "label": {"en": "Won", "zh": "赢单"}}]
    answer = client.get("/api/reports/deal_funnel").get_json()
    assert [r["values"]["count"] for r in named_rows(answer)] == [9, 6, 4]


def test_builder_mistakes_are_said_with_the_words_check_uses(client) -> None:  # type: ignore[no-untyped-def]
    for change, words in [({"m2_over": ""}, "Measure 3: a ratio needs the measure divided"),
                          ({"m2_over": "2"}, "ratio: unknown measure 'win_rate'"),
                          ({"target_value": "lots"}, "lots"),
                          ({"presentation": "pie"}, "a target line is drawn on"),
                          ({"value_default": "me", "value_field": "source"}, "stands for a user"),
                          ({"columns_field": "owner"}, "limit")]:
        answer = client.post("/reports/build", data={**WIN_RATE, **change, "action": "save"})
        assert answer.status_code == 422, change
        errors = answer.get_data(as_text=True).split('class="error report-errors"')[1]
        said = [html.unescape(t) for t in re.findall(r"<li>(.*?)</li>", errors.split("</ul>")[0])]
        assert any(words in text for text in said), (said, change)


def test_export_customizations_writes_what_the_builder_saved(client, tmp_path: Path,
                                                             monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from metacrm.cli import main

    for form in (WIN_RATE, FUNNEL):
        assert client.post("/reports/build", data={**form, "action": "save"}).status_code == 302
    settings: Any = client.application.extensions["metacrm"].settings
    monkeypatch.setenv("METACRM_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("METACRM_BUNDLES", str(tmp_path / "b"))
    export = tmp_path / "export"
    result = CliRunner().invoke(main, ["export-customizations", str(export)])
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in (export / "reports").iterdir())
    assert files == ["0001_win_rate_by_source.yaml", "0002_deal_funnel.yaml"]
    written = yaml.safe_load((export / "reports" / files[0]).read_text(encoding="utf-8"))
    assert written["measures"][2]["ratio"] == ["won", "deals"]
    bundle = tmp_path / "b"
    checked = CliRunner().invoke(main, ["check", str(bundle), str(export)])
    assert checked.exit_code == 0, checked.output
    catalog = load_catalog([bundle, export])
    report = catalog.reports["win_rate_by_source"]
    assert report.limit == 2 and report.chart.target is not None
    assert [s.name for s in catalog.reports["deal_funnel"].steps] == [
        "all_deals", "decided", "won"]


def test_the_builder_speaks_chinese_with_its_own_words_for_rows_and_columns(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/reports/build?entity=deal&lang=zh").get_data(as_text=True)
    assert '<label for="b-columns">列维度</label>' in page
    assert '<label for="b-rows">行维度</label>' in page and "列数" not in page
    assert "两个度量之比" in page and "目标线" in page


class _Form(HTMLParser):
    """What a browser would post from the page's builder form, as it is shown."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._inside = False
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and "report-builder" in a.get("class", ""):
            self._inside = True
        if not self._inside:
            return
        if tag == "input" and a.get("name") and (
                a.get("type") != "checkbox" or "checked" in a):
            self.values[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select = a.get("name")
            self.values.setdefault(self._select or "", "")
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._inside = False
        elif tag == "select":
            self._select = None


def test_every_shipped_report_opens_in_the_builder_and_saves_back_unchanged(
        crm) -> None:  # type: ignore[no-untyped-def]
    from metacrm.ui.report_builder_form import document_from_form, form_from_document

    catalog = crm.application.extensions["metacrm"].compiled.catalog
    for path in sorted((Path(SHIPPED_BUNDLE) / "reports").glob("*.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        entity = catalog.entities[document["entity"]]
        dates = {n for n, f in entity.fields.items() if f.value_type in ("date", "datetime")}
        values = {**form_from_document(document, dates), "totals_shown": "1"}
        assert document_from_form(values, document, entity) == document, path.name
    # through the page, as a browser posts it: the won opportunities report
    form = _Form()
    form.feed(crm.get("/reports/won_opportunities/build").get_data(as_text=True))
    before = crm.get("/api/meta/reports/won_opportunities").get_json()["document"]
    saved = crm.post("/reports/won_opportunities/build", data={**form.values, "action": "save"})
    assert saved.status_code == 302, saved.get_data(as_text=True)[:800]
    after = crm.get("/api/meta/reports/won_opportunities").get_json()
    assert after["document"] == before and len(after["versions"]) == 1
