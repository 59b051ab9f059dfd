"""A funnel report: ordered steps, each counting the records that reached it (its
filters), with the conversion from the step before and from the first; each step's
filters give its records from the list API; check locates a broken step."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from metacrm.catalog_loader import load_catalog
from metacrm.errors import DefinitionError
from metacrm.runtime import report_funnel
from metacrm.runtime.report_answer import named_rows
from metacrm.runtime.report_drill import drill_query

from ..conftest import create_as_platform
from .conftest import sales_bundle

FUNNEL = """
report: deal_funnel
entity: deal
label: {en: Deal funnel, zh: 商机漏斗}
filters: {source__in: [web, fair]}
funnel:
  - {name: all_deals, filters: {}, label: {en: All, zh: 全部}}
  - {name: closed, filters: {stage__in: [won, lost]}}
  - {name: won, filters: {stage: won}}
measures:
  - {name: deals, aggregate: count}
  - {name: amount, aggregate: sum, field: amount}
presentation: funnel
"""
WIDE = FUNNEL.replace("report: deal_funnel", "report: wide_funnel").replace(
    "  - {name: amount, aggregate: sum, field: amount}\n", """\
  - {name: amount, aggregate: sum, field: amount}
  - {name: average, aggregate: avg, field: amount}
  - {name: largest, aggregate: max, field: amount}
  - {name: smallest, aggregate: min, field: amount}
  - {name: won, aggregate: count, filters: {stage: won}}
  - {name: win_rate, ratio: [won, deals]}
""")
BIG = FUNNEL.replace("report: deal_funnel", "report: big_funnel").replace(
    "  - {name: closed, filters: {stage__in: [won, lost]}}\n  - {name: won, filters: "
    "{stage: won}}\n", "  - {name: big, filters: {amount__gte: '8'}}\n")
DEALS = [("open", "web", "1.00"), ("won", "web", "2.00"), ("lost", "fair", "4.00"),
         ("won", "fair", "8.00"), ("open", "fair", "16.00"), ("won", "referral", "32.00")]


@pytest.fixture
def client(make_client, tmp_path: Path):  # type: ignore[no-untyped-def]
    client = make_client(sales_bundle(tmp_path / "b", **{"reports/funnel.yaml": FUNNEL,
                                                         "reports/wide.yaml": WIDE,
                                                         "reports/big.yaml": BIG}))
    for index, (stage, source, amount) in enumerate(DEALS):
        create_as_platform(client, "deal", name=f"D{index}", stage=stage, source=source,
                           amount=amount)
    return client


def test_each_step_counts_what_reached_it_and_the_conversion(client) -> None:  # type: ignore[no-untyped-def]
    answer = client.get("/api/reports/deal_funnel").get_json()
    counted = [d for d in DEALS if d[1] in ("web", "fair")]
    steps = {"all_deals": counted, "closed": [d for d in counted if d[0] in ("won", "lost")],
             "won": [d for d in counted if d[0] == "won"]}
    assert [r["rows"]["value"] for r in named_rows(answer)] == list(steps)
    previous = None
    for row in named_rows(answer):
        mine = steps[row["rows"]["value"]]
        assert row["values"]["deals"] == len(mine)
        assert Decimal(row["values"]["amount"]) == sum(Decimal(d[2]) for d in mine)
        expected = (Decimal(len(mine)) / previous).quantize(Decimal("0.0001")) \
            if previous else None
        assert (Decimal(row["values"]["conversion"]) if row["values"]["conversion"]
                else None) == expected
        assert Decimal(row["values"]["from_first"]) == (
            Decimal(len(mine)) / len(counted)).quantize(Decimal("0.0001"))
        previous = len(mine)
        listed = client.get("/api/deal?count=true&" + drill_query(answer, row)).get_json()
        assert listed["count"] == len(mine)
    assert answer["series"]["categories"] == ["All", "Closed", "Won"]


def test_grouped_by_its_stages_first_or_not_the_figures_are_the_same(client, monkeypatch
                                                                    ) -> None:  # type: ignore[no-untyped-def]
    made: list[object] = []

    def spied(*args: object) -> object:
        made.append(pregrouped(*args))
        return made[-1]

    pregrouped = report_funnel._pregrouped
    monkeypatch.setattr(report_funnel, "_pregrouped", spied)
    grouped = client.get("/api/reports/wide_funnel").get_json()
    assert made and made[-1] is not None  # the steps filter on the stage alone
    monkeypatch.setattr(report_funnel, "_pregrouped", lambda *args: None)
    assert client.get("/api/reports/wide_funnel").get_json()["rows"] == grouped["rows"]
    counted = [Decimal(d[2]) for d in DEALS if d[1] in ("web", "fair")]
    won = [Decimal(d[2]) for d in DEALS if d[1] in ("web", "fair") and d[0] == "won"]
    first, *_, last = named_rows(grouped)
    assert first["values"] == {
        "deals": 5, "amount": str(sum(counted)), "average": "6.20",
        "largest": str(max(counted)), "smallest": str(min(counted)), "won": 2,
        "win_rate": "0.4000", "conversion": None, "from_first": "1.0000"}
    assert (last["values"]["deals"], last["values"]["won"], last["values"]["largest"]) == (
        len(won), len(won), str(max(won)))
    # a step on a field of any value (an amount): each record tested in each step
    monkeypatch.setattr(report_funnel, "_pregrouped", spied)
    answer = client.get("/api/reports/big_funnel").get_json()
    assert made[-1] is None
    assert [r["values"]["deals"] for r in named_rows(answer)] == [
        5, sum(1 for a in counted if a >= 8)]


def test_the_page_shows_the_steps_and_their_conversion(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/reports/deal_funnel?lang=zh").get_data(as_text=True)
    assert "全部" in page and "较上一阶段转化率" in page and "60.0%" in page


def test_a_broken_step_is_located(tmp_path: Path) -> None:
    broken = FUNNEL.replace("{stage: won}", "{stage: wonn}") + "rows: stage\n"
    bundle = sales_bundle(tmp_path / "b", **{"reports/funnel.yaml": broken})
    with pytest.raises(DefinitionError) as raised:
        load_catalog([bundle])
    found = sorted(str(d).replace(str(bundle) + "/", "") for d in raised.value.diagnostics)
    assert found == [
        "reports/funnel.yaml:12:15: report 'deal_funnel': a funnel shows one dimension "
        "(rows); this report has two dimensions (rows and columns)",
        "reports/funnel.yaml:6:3: report 'deal_funnel': funnel: a funnel's rows are its "
        "steps; it takes no 'rows' or 'columns'",
        "reports/funnel.yaml:8:27: report 'deal_funnel': funnel: step 'won': filter stage: "
        "'wonn' is not one of open, won, lost"]
