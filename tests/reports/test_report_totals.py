"""A report's totals (the grand total, each row's and each column's) are those of its
records, computed again here from the records the test created: an empty dimension
value has its own total, the report's order is that of its rows while the totals keep
their dimension's order, and a period without records totals zero. On PostgreSQL the
rows and totals are one GROUPING SETS statement, elsewhere a statement per total: the
answers are the same."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from metacrm.runtime.report_answer import named_rows, named_totals
from metacrm.runtime.report_drill import drill_query

from ..conftest import create_as_platform, token_for
from .conftest import sales_bundle

BY_ACCOUNT = """
report: account_stage
entity: deal
rows: account
columns: stage
measures:
  - {name: deals, aggregate: count}
  - {name: amount, aggregate: sum, field: amount}
  - {name: won, aggregate: count, filters: {stage: won}}
order: [-amount]
parameters:
  period: {field: closed_on, default: all}
"""
STAGES = ["open", "won", "lost"]


@pytest.fixture
def sales(make_client, tmp_path: Path):  # type: ignore[no-untyped-def]
    client = make_client(sales_bundle(tmp_path / "b", **{"reports/a.yaml": BY_ACCOUNT}))
    token_for(client.application, "ann", roles=("seller",))
    accounts = [create_as_platform(client, "account", name=f"A{i}") for i in range(3)]
    deals = []
    for i in range(17):
        deal = {"name": f"D{i}", "stage": STAGES[i % 3],
                "amount": str(Decimal(1000 + 37 * i * (i % 4)).quantize(Decimal("0.01"))),
                "closed_on": f"2026-0{1 + i % 6}-1{i % 9}",
                "account": accounts[i % 4] if i % 4 < 3 else None}
        create_as_platform(client, "deal", **deal)
        deals.append(deal)
    return client, deals, accounts


def _run(client, **params: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = client.get("/api/reports/account_stage", query_string=params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _amounts(deals: list[dict[str, Any]]) -> Decimal:
    return sum((Decimal(d["amount"]) for d in deals), Decimal(0))


def test_row_column_and_grand_totals_are_those_of_the_records(sales) -> None:  # type: ignore[no-untyped-def]
    client, deals, accounts = sales
    answer = _run(client)
    totals = answer["totals"]
    assert totals["all"]["deals"] == len(deals)
    assert Decimal(totals["all"]["amount"]) == _amounts(deals)
    by_account: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for deal in deals:
        by_account[deal["account"]].append(deal)
    # every account's total, the deals without one included, in the dimension's order
    assert [t["value"] for t in named_totals(answer, "rows")] == [*sorted(accounts), None]
    for total in named_totals(answer, "rows"):
        group = by_account[total["value"]]
        assert total["values"]["deals"] == len(group)
        assert Decimal(total["values"]["amount"]) == _amounts(group)
        assert total["values"]["won"] == sum(1 for d in group if d["stage"] == "won")
    assert [t["value"] for t in named_totals(answer, "columns")] == STAGES
    for total in named_totals(answer, "columns"):
        assert total["values"]["deals"] == sum(1 for d in deals if d["stage"] == total["value"])
    # the report's order is its rows': the biggest amount first
    amounts = [Decimal(r["values"]["amount"]) for r in named_rows(answer)]
    assert amounts == sorted(amounts, reverse=True)
    assert sum(r["values"]["deals"] for r in named_rows(answer)) == len(deals)


def test_a_total_opens_the_records_it_counts(sales) -> None:  # type: ignore[no-untyped-def]
    client, deals, _ = sales
    answer = _run(client)
    empty = next(t for t in named_totals(answer, "rows") if t["value"] is None)
    assert empty["filters"] == [["account__isnull", "true"]]
    assert drill_query(answer, empty, "deals") == "account__isnull=true"
    assert drill_query(answer, empty, "won") == "account__isnull=true&stage=won"
    listed = client.get(f"/api/deal?{drill_query(answer, empty, 'deals')}&limit=100"
                        ).get_json()
    assert len(listed["items"]) == empty["values"]["deals"]
    won = next(t for t in named_totals(answer, "columns") if t["value"] == "won")
    assert drill_query(answer, won, "amount") == "stage=won"
    assert drill_query(answer, None, "deals") == ""


def test_a_period_without_records_totals_zero(sales) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = sales
    answer = _run(client, period_from="2030-01-01", period_to="2030-12-31")
    assert answer["rows"] == []
    assert answer["totals"]["all"] == {"deals": 0, "amount": None, "won": 0}
    assert answer["totals"]["rows"] == [] and answer["totals"]["columns"] == []
