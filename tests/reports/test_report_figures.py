"""A report's figures are the database's GROUP BY of the records the test created: each
is computed again here from those records and compared (counts, exact money sums and
averages, distinct counts, min and max, ratios, buckets by day, week, month, quarter
and year in a time zone, reference paths, top N and totals)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from metacrm.runtime.report_answer import named_rows, named_totals

from ..conftest import create_as_platform, token_for
from .conftest import sales_bundle

PIVOT = """
report: source_stage
entity: deal
rows: source
columns: stage
measures:
  - {name: deals, aggregate: count}
  - {name: amount, aggregate: sum, field: amount}
  - {name: average, aggregate: avg, field: amount}
  - {name: accounts, aggregate: count_distinct, field: account}
  - {name: first, aggregate: min, field: closed_on}
  - {name: last, aggregate: max, field: closed_on}
"""
WIN_RATE = """
report: win_rate
entity: deal
filters: {stage__in: [won, lost]}
rows: account.industry
measures:
  - {name: closed, aggregate: count}
  - {name: won, aggregate: count, filters: {stage: won}}
  - {name: won_amount, aggregate: sum, field: amount, filters: {stage: won}}
  - {name: rate, ratio: [won, closed]}
order: [-rate]
"""
TOP = """
report: top_accounts
entity: deal
rows: account
measures: [{name: amount, aggregate: sum, field: amount}]
order: [-amount]
limit: 2
"""
MET = """
report: met_by_{bucket}
entity: deal
rows: {{field: met_at, bucket: {bucket}}}
measures: [{{name: deals, aggregate: count}}]
time_zone: Asia/Shanghai
week_starts: sunday
"""
# A period of the bucketed field: on PostgreSQL its buckets are joined as ranges of the
# stored value (runtime/report_query.py), across a change of summer time here.
IN_PERIOD = """
report: {field}_by_{bucket}_in_period
entity: deal
rows: {{field: {field}, bucket: {bucket}}}
measures: [{{name: deals, aggregate: count}}]
parameters:
  period: {{field: {field}, default: all}}
time_zone: Europe/Berlin
week_starts: sunday
"""
ZONE = ZoneInfo("Asia/Shanghai")
BUCKETS = ("day", "week", "month", "quarter", "year")
STAGES = ["open", "won", "lost"]
SOURCES = ["web", "fair", "referral"]
INDUSTRIES = ["retail", "energy", "tech"]


@pytest.fixture
def sales(make_client, tmp_path: Path):  # type: ignore[no-untyped-def]
    buckets = {f"reports/met_{b}.yaml": MET.format(bucket=b) for b in BUCKETS}
    buckets.update({f"reports/{f}_{b}_in_period.yaml": IN_PERIOD.format(field=f, bucket=b)
                    for b in BUCKETS for f in ("met_at", "closed_on")})
    client = make_client(sales_bundle(tmp_path / "b", **{
        "reports/pivot.yaml": PIVOT, "reports/rate.yaml": WIN_RATE,
        "reports/top.yaml": TOP, **buckets}))
    app = client.application
    token_for(app, "ann", roles=("seller",))
    token_for(app, "bob", roles=("seller",))
    ids = _user_ids(app)
    accounts = [create_as_platform(client, "account", name=f"A{i}",
                                   industry=INDUSTRIES[i % 3], owner=ids["ann"])
                for i in range(4)]
    deals = []
    start = datetime(2025, 12, 28, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai
    for i in range(23):
        deal = {"name": f"D{i}", "stage": STAGES[i % 3], "source": SOURCES[(i // 3) % 3],
                "amount": Decimal(f"{(i * 7919) % 100000}.{i % 100:02d}"),
                "closed_on": date(2025, 11, 3) + timedelta(days=9 * i),
                "met_at": start + timedelta(days=5 * i, hours=i % 2),
                "account": accounts[i % 4] if i % 5 else None,
                "owner": ids["ann"] if i % 2 else ids["bob"]}
        if i == 4:
            deal["amount"] = None
        create_as_platform(client, "deal", **{k: _json(v) for k, v in deal.items()})
        deals.append(deal)
    return client, deals, accounts


def _json(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value) if isinstance(value, Decimal) else value


def _user_ids(app) -> dict[str, int]:  # type: ignore[no-untyped-def]
    import sqlalchemy as sa
    platform = app.extensions["metacrm"]
    users = platform.compiled.tables.users
    with platform.reading() as conn:
        return {r.username: r.id for r in conn.execute(sa.select(users.c.id, users.c.username))}


def _run(client, name: str, **params: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = client.get(f"/api/reports/{name}", query_string=params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _sum(values: Any) -> Decimal | None:
    """SQL's SUM: None over no value (empty ones left out)."""
    present = [v for v in values if v is not None]
    return sum(present, Decimal(0)) if present else None


def _money(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)


def test_won_deals_by_month_count_and_sum_exactly(sales) -> None:  # type: ignore[no-untyped-def]
    client, deals, _ = sales
    answer = _run(client, "won_by_month")
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for deal in deals:
        if deal["stage"] == "won":
            groups[deal["closed_on"].replace(day=1).isoformat()].append(deal)
    expected = {key: [len(g), _sum(d["amount"] for d in g)] for key, g in groups.items()}
    got = {r["rows"]["value"]: [r["values"]["deals"], _money(r["values"]["amount"])]
           for r in named_rows(answer)}
    assert got == expected
    assert [r["rows"]["value"] for r in named_rows(answer)] == sorted(expected)
    assert named_rows(answer)[0]["rows"]["label"] == named_rows(answer)[0]["rows"]["value"][:7]
    assert answer["totals"]["all"]["deals"] == sum(v[0] for v in expected.values())
    assert _money(answer["totals"]["all"]["amount"]) == _sum(v[1] for v in expected.values())


def test_a_pivot_counts_sums_averages_and_ranges(sales) -> None:  # type: ignore[no-untyped-def]
    client, deals, _ = sales
    answer = _run(client, "source_stage")
    cells: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for deal in deals:
        cells[(deal["source"], deal["stage"])].append(deal)
    got = {(r["rows"]["value"], r["columns"]["value"]): r["values"] for r in named_rows(answer)}
    assert set(got) == set(cells)
    for key, group in cells.items():
        amounts = [d["amount"] for d in group if d["amount"] is not None]
        values = got[key]
        assert values["deals"] == len(group)
        assert _money(values["amount"]) == (sum(amounts) if amounts else None)
        assert _money(values["average"]) == (
            (sum(amounts) / len(amounts)).quantize(Decimal("0.01"), ROUND_HALF_UP)
            if amounts else None)
        assert values["accounts"] == len({d["account"] for d in group if d["account"]})
        assert values["first"] == min(d["closed_on"] for d in group).isoformat()
        assert values["last"] == max(d["closed_on"] for d in group).isoformat()
    # rows in the option order of source, then of stage
    order = [(SOURCES.index(r["rows"]["value"]), STAGES.index(r["columns"]["value"]))
             for r in named_rows(answer)]
    assert order == sorted(order)
    by_source = {t["value"]: t["values"]["deals"] for t in named_totals(answer, "rows")}
    assert by_source == {s: sum(1 for d in deals if d["source"] == s) for s in SOURCES}
    by_stage = {t["value"]: t["values"]["deals"] for t in named_totals(answer, "columns")}
    assert by_stage == {s: sum(1 for d in deals if d["stage"] == s) for s in STAGES}
    # a table draws no chart: its figures are the rows, not repeated as series
    series = answer["series"]
    assert series["kind"] == "table"
    assert series["categories"] == [] and series["series"] == []


def test_a_ratio_of_filtered_counts_through_a_reference(sales) -> None:  # type: ignore[no-untyped-def]
    client, deals, accounts = sales
    industry = {a: INDUSTRIES[i % 3] for i, a in enumerate(accounts)}
    groups: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    for deal in deals:
        if deal["stage"] in ("won", "lost"):
            groups[industry.get(deal["account"])].append(deal)
    answer = _run(client, "win_rate")
    got = {r["rows"]["value"]: r["values"] for r in named_rows(answer)}
    assert set(got) == set(groups)
    for key, group in groups.items():
        won = [d for d in group if d["stage"] == "won"]
        assert got[key]["closed"] == len(group) and got[key]["won"] == len(won)
        assert _money(got[key]["won_amount"]) == _sum(d["amount"] for d in won)
        assert Decimal(got[key]["rate"]) == (Decimal(len(won)) / len(group)).quantize(
            Decimal("0.0001"), ROUND_HALF_UP)
    rates = [Decimal(r["values"]["rate"]) for r in named_rows(answer)]
    assert rates == sorted(rates, reverse=True)


def test_top_n_keeps_the_largest(sales) -> None:  # type: ignore[no-untyped-def]
    client, deals, _ = sales
    groups: dict[int | None, list[Any]] = defaultdict(list)
    for deal in deals:
        groups[deal["account"]].append(deal["amount"])
    answer = _run(client, "top_accounts")
    best = sorted((_sum(g) for g in groups.values()), reverse=True)[:2]
    assert [_money(r["values"]["amount"]) for r in named_rows(answer)] == best
    assert all(r["rows"]["label"].startswith("A") for r in named_rows(answer)
               if r["rows"]["value"] is not None)


def _bucket_of(day: date, bucket: str) -> str:
    if bucket == "week":  # weeks start on Sunday
        day -= timedelta(days=(day.weekday() + 1) % 7)
    elif bucket == "month":
        day = day.replace(day=1)
    elif bucket == "quarter":
        day = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    elif bucket == "year":
        day = date(day.year, 1, 1)
    return day.isoformat()


@pytest.mark.parametrize("bucket", BUCKETS)
def test_moments_are_bucketed_in_the_reports_time_zone(sales, bucket: str) -> None:  # type: ignore[no-untyped-def]
    client, deals, _ = sales
    expected: dict[str, int] = defaultdict(int)
    for deal in deals:
        expected[_bucket_of(deal["met_at"].astimezone(ZONE).date(), bucket)] += 1
    answer = _run(client, f"met_by_{bucket}")
    assert {r["rows"]["value"]: r["values"]["deals"] for r in named_rows(answer)} == expected


@pytest.mark.parametrize("field", ["met_at", "closed_on"])
@pytest.mark.parametrize("bucket", BUCKETS)
def test_a_period_is_bucketed_from_its_first_day_to_its_last(sales, bucket: str,  # type: ignore[no-untyped-def]
                                                              field: str) -> None:
    """A period that starts and ends inside buckets (a Saturday, the 2nd of April) and
    crosses the end of winter time in Berlin (29 March 2026); then another period of
    the same report (the statement differs only in its buckets' values)."""
    client, deals, _ = sales
    for first, last in ((date(2026, 1, 3), date(2026, 4, 2)),
                        (date(2025, 12, 30), date(2026, 2, 14))):
        expected: dict[str, int] = defaultdict(int)
        for deal in deals:
            value = deal[field]
            day = value.astimezone(ZoneInfo("Europe/Berlin")).date() \
                if isinstance(value, datetime) else value
            if first <= day <= last:
                expected[_bucket_of(day, bucket)] += 1
        answer = _run(client, f"{field}_by_{bucket}_in_period",
                      period_from=first.isoformat(), period_to=last.isoformat())
        assert {r["rows"]["value"]: r["values"]["deals"] for r in named_rows(answer)} == expected
        assert answer["totals"]["all"]["deals"] == sum(expected.values())


def test_a_period_parameter_keeps_its_days(sales) -> None:  # type: ignore[no-untyped-def]
    client, deals, _ = sales
    answer = _run(client, "won_by_month", period_from="2026-01-01", period_to="2026-02-28")
    expected = [d for d in deals if d["stage"] == "won"
                and date(2026, 1, 1) <= d["closed_on"] <= date(2026, 2, 28)]
    assert answer["totals"]["all"]["deals"] == len(expected)
    assert answer["parameters"][0]["from"] == "2026-01-01"
