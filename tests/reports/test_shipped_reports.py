"""The shipped CRM's reports run on its own entities: each figure checked here is
computed again from the records the test made (or read back from the list API), for
the administrator and for a salesperson, who counts only their own."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from metacrm.runtime.report_answer import named_rows

from ..conftest import create_as_platform, token_for

SHIPPED_REPORTS = Path(__file__).resolve().parents[2] / "reports"
NEXT_YEAR = date.today().year + 1  # an open opportunity closes in the future
NEXT = f"{NEXT_YEAR}-01-01..{NEXT_YEAR}-12-31"
STAGES = ["qualify", "proposal", "won", "lost", "won", "negotiation", "lost", "won"]
SOURCES = ["website", "referral", "trade_show"]


@pytest.fixture
def shipped(crm):  # type: ignore[no-untyped-def]
    app = crm.application
    tokens = {"li": token_for(app, "li", roles=("salesperson",)),
              "wang": token_for(app, "wang", roles=("salesperson",))}
    ids = {name: crm.get("/api/users/me", headers=_auth(t)).get_json()["id"]
           for name, t in tokens.items()}
    made: list[dict[str, Any]] = []
    customers = {name: create_as_platform(crm, "customer", name=f"{name} Co",
                                          lifecycle="lead", owner=uid)
                 for name, uid in ids.items()}
    for index, stage in enumerate(STAGES):
        owner = "li" if index % 3 else "wang"
        values = {"name": f"O{index}", "customer": customers[owner], "stage": stage,
                  "amount": f"{1000 * (index + 1)}.25", "probability": 10 * index + 5,
                  "source": SOURCES[index % 3],
                  "expected_close": f"{NEXT_YEAR}-{index % 12 + 1:02d}-15", "owner": ids[owner]}
        if stage == "lost":
            values["lost_reason"] = "price"
        create_as_platform(crm, "opportunity", **values)
        made.append({**values, "owner_name": owner})
    return crm, tokens, made


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _run(client, name: str, token: str | None = None, **params: str  # type: ignore[no-untyped-def]
         ) -> dict[str, Any]:
    response = client.get(f"/api/reports/{name}", headers=_auth(token) if token else {},
                          query_string=params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_every_shipped_report_runs_for_whoever_may_run_it(shipped) -> None:  # type: ignore[no-untyped-def]
    client, tokens, _ = shipped
    everything = client.get("/api/reports").get_json()["items"]
    assert len(everything) == len(list(SHIPPED_REPORTS.glob("*.yaml")))
    for item in everything:
        _run(client, item["name"])
    for item in client.get("/api/reports", headers=_auth(tokens["li"])).get_json()["items"]:
        _run(client, item["name"], tokens["li"])


def test_the_funnel_counts_and_sums_each_stage(shipped) -> None:  # type: ignore[no-untyped-def]
    client, tokens, made = shipped
    for who, token in (("all", None), ("li", tokens["li"])):
        mine = [o for o in made if who == "all" or o["owner_name"] == who]
        expected = {stage: (sum(1 for o in mine if o["stage"] == stage),
                            sum(Decimal(o["amount"]) for o in mine if o["stage"] == stage))
                    for stage in {o["stage"] for o in mine}}
        answer = _run(client, "sales_funnel", token, period=NEXT)
        got = {r["rows"]["value"]: (r["values"]["opportunities"],
                                    Decimal(r["values"]["amount"])) for r in named_rows(answer)}
        assert got == expected


def test_win_and_loss_by_source_with_the_win_rate(shipped) -> None:  # type: ignore[no-untyped-def]
    client, _, made = shipped
    closed = [o for o in made if o["stage"] in ("won", "lost")]
    by_source: dict[str, Counter[str]] = defaultdict(Counter)
    for o in closed:
        by_source[o["source"]][o["stage"]] += 1
    answer = _run(client, "win_loss_by_source", period=NEXT)
    for row in named_rows(answer):
        counts = by_source[row["rows"]["value"]]
        closed_count = counts["won"] + counts["lost"]
        assert (row["values"]["closed"], row["values"]["won"], row["values"]["lost"]) == (
            closed_count, counts["won"], counts["lost"])
        assert Decimal(row["values"]["win_rate"]) == (
            Decimal(counts["won"]) / closed_count).quantize(Decimal("0.0001"))
    assert len(answer["rows"]) == len(by_source)


def test_the_weighted_forecast_sums_what_the_records_say(shipped) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = shipped
    listed = client.get("/api/opportunity?limit=500&stage__in=qualify,needs_analysis,"
                        "proposal,negotiation").get_json()["items"]
    by_month: dict[str, Decimal] = defaultdict(Decimal)
    for o in listed:
        by_month[o["expected_close"][:7]] += Decimal(o["weighted_amount"] or 0)
    answer = _run(client, "weighted_forecast", period=NEXT)
    assert {r["rows"]["label"]: Decimal(r["values"]["weighted"]) for r in named_rows(answer)} == \
        dict(by_month)


def test_won_opportunities_by_month_and_owner(shipped) -> None:  # type: ignore[no-untyped-def]
    client, _, made = shipped
    expected = Counter((o["expected_close"][:7], o["owner"]) for o in made
                       if o["stage"] == "won")
    answer = _run(client, "won_opportunities", period=NEXT)
    assert Counter({(r["rows"]["label"], r["columns"]["value"]): r["values"]["deals"]
                    for r in named_rows(answer)}) == expected
    assert {r["columns"]["label"] for r in named_rows(answer)} <= {"li", "wang"}


def test_new_business_counts_this_months_customers(shipped) -> None:  # type: ignore[no-untyped-def]
    client, tokens, _ = shipped
    totals = _run(client, "new_business")["totals"]["all"]
    assert (totals["customers"], totals["leads"], totals["signed"]) == (2, 2, 0)
    assert _run(client, "new_business", tokens["li"])["totals"]["all"]["customers"] == 1


def test_the_conversion_funnel_counts_the_stages_reached(shipped) -> None:  # type: ignore[no-untyped-def]
    client, tokens, made = shipped
    later = {"opened": set(STAGES), "analysed": {"needs_analysis", "proposal", "negotiation",
                                                 "won"},
             "proposed": {"proposal", "negotiation", "won"},
             "negotiated": {"negotiation", "won"}, "won": {"won"}}
    for who, token in (("all", None), ("wang", tokens["wang"])):
        mine = [o for o in made if who == "all" or o["owner_name"] == who]
        answer = _run(client, "pipeline_conversion", token)
        assert {r["rows"]["value"]: r["values"]["opportunities"] for r in named_rows(answer)} == {
            step: sum(1 for o in mine if o["stage"] in stages) for step, stages in later.items()}


def test_invoices_by_status_and_type_count_and_sum_exactly(shipped) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = shipped
    customer = client.get("/api/customer?limit=1").get_json()["items"][0]["id"]
    contract = create_as_platform(client, "contract", name="C1", customer=customer)
    made = [("draft", "vat_special", "1130.00"), ("draft", "vat_special", "0.01"),
            ("issued", "vat_special", "2260.50"), ("draft", "vat_normal", "99.99")]
    for status, kind, amount in made:
        create_as_platform(client, "invoice", contract=contract, customer=customer,
                           title="星河贸易", invoice_type=kind, amount=amount, status=status,
                           tax_number="91310000MA1FL0XX0X", address_phone="上海 021-5555",
                           bank_account="工商银行 6222", receiver_email="ap@xinghe.cn")
    listed = client.get("/api/invoice?limit=500").get_json()["items"]
    expected: dict[tuple[str, str], tuple[int, Decimal, Decimal]] = {}
    for i in listed:
        count, amount, tax = expected.get((i["status"], i["invoice_type"]),
                                          (0, Decimal(0), Decimal(0)))
        expected[(i["status"], i["invoice_type"])] = (
            count + 1, amount + Decimal(i["amount"]), tax + Decimal(i["tax_amount"] or 0))
    answer = _run(client, "invoices_by_status")
    assert {(r["rows"]["value"], r["columns"]["value"]): (
        r["values"]["invoices"], Decimal(r["values"]["amount"]), Decimal(r["values"]["tax"]))
        for r in named_rows(answer)} == expected
    assert Decimal(answer["totals"]["all"]["amount"]) == Decimal("3490.50")


def test_time_to_resolve_averages_the_hours_of_resolved_tickets(shipped) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = shipped
    customer = client.get("/api/customer?limit=1").get_json()["items"][0]["id"]
    year = date.today().year
    made = [("fault", "urgent", 3), ("fault", "normal", 10), ("question", "high", 25),
            ("question", "normal", None)]  # the last is still open: not counted
    for category, priority, hours in made:
        reported = datetime(year, 1, 2, 8, tzinfo=UTC)
        values: dict[str, Any] = {"subject": "T", "description": "d", "customer": customer,
                                  "category": category, "priority": priority,
                                  "reported_at": reported.isoformat()}
        if hours is not None:  # and half an hour: the hours are whole ones
            values["resolved_at"] = (reported + timedelta(hours=hours, minutes=30)).isoformat()
        create_as_platform(client, "ticket", **values)
    listed = client.get("/api/ticket?limit=500&hours_to_resolve__isnull=false").get_json()["items"]
    assert sorted(t["hours_to_resolve"] for t in listed) == [3, 10, 25]
    answer = _run(client, "ticket_resolution_time")
    figures = {r["rows"]["value"]: r["values"] for r in named_rows(answer)}
    assert figures["fault"]["tickets"] == 2 and figures["fault"]["urgent"] == 1
    assert Decimal(str(figures["fault"]["avg_hours"])) == Decimal("6.5")
    assert figures["question"]["tickets"] == 1 and figures["question"]["max_hours"] == 25


def test_lost_deals_by_category_and_source(shipped) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = shipped
    lost = client.get("/api/opportunity?stage=lost&limit=500").get_json()["items"]
    first = lost[0]["id"]
    assert client.patch(f"/api/opportunity/{first}", json={"loss_category": "price"},
                        headers={"If-Match": str(lost[0]["version"])}).status_code == 200
    answer = _run(client, "loss_reasons", period="all")
    cells = {(r["rows"]["value"], r["columns"]["value"]): r["values"] for r in named_rows(answer)}
    expected: dict[tuple[Any, Any], list[Any]] = {}
    for o in client.get("/api/opportunity?stage=lost&limit=500").get_json()["items"]:
        count, amount = expected.get((o["loss_category"], o["source"]), (0, Decimal(0)))
        expected[(o["loss_category"], o["source"])] = [count + 1, amount + Decimal(o["amount"])]
    assert {k: [v["lost"], Decimal(v["lost_amount"])] for k, v in cells.items()} == expected
    assert any(category == "price" for category, _ in cells)
    assert answer["totals"]["all"]["lost"] == len(lost)


def test_promotion_summary_counts_what_each_source_brought(shipped) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = shipped
    for index, (source, lifecycle) in enumerate([("seminar", "customer"), ("seminar", "lead"),
                                                 ("seminar", "opportunity"),
                                                 ("partner", "customer")]):
        create_as_platform(client, "customer", name=f"P{index}", source=source,
                           lifecycle=lifecycle, phone="021-5555 0000")
    figures = {r["rows"]["value"]: r["values"]
               for r in named_rows(_run(client, "promotion_summary"))}
    assert (figures["seminar"]["customers"], figures["seminar"]["opportunities"],
            figures["seminar"]["signed"]) == (3, 1, 1)
    assert figures["seminar"]["conversion"] == "0.3333"
    assert figures["partner"]["conversion"] == "1.0000"


def test_pool_returns_by_the_month_they_went_back(shipped) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = shipped
    year = date.today().year
    made = [(1, None, "public_pool"), (1, "li", "lead"), (3, "li", "customer"), (3, None,
                                                                              "public_pool")]
    li = client.get("/api/users?q=li").get_json()["items"][0]["id"]
    for index, (month, owner, lifecycle) in enumerate(made):
        create_as_platform(client, "customer", name=f"R{index}", lifecycle=lifecycle,
                           phone="021-5555 0000", owner=li if owner else None,
                           returned_to_pool_at=f"{year}-{month:02d}-10T04:00:00+00:00")
    answer = _run(client, "pool_returns")
    figures = {r["rows"]["value"][:7]: r["values"] for r in named_rows(answer)}
    january, march = figures[f"{year}-01"], figures[f"{year}-03"]
    assert (january["returned"], january["still_in_pool"], january["claimed_again"]) == (2, 1, 1)
    assert (march["returned"], march["signed"]) == (2, 1)
    assert answer["totals"]["all"]["returned"] == 4
