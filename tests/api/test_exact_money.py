"""Money is exact end to end: what a client sends, a formula computes or a rollup sums is
what is stored and answered, to the cent, on SQLite as on PostgreSQL; a result that does
not fit its field is refused, naming the field and its limit, and nothing is written."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ..conftest import write_bundle

ORDERS = {
    "entities/sales_order.yaml": """
        entity: sales_order
        fields:
          title: {type: string}
          total: {type: rollup, from: order_line.sales_order, aggregate: sum, of: line_total}
          average_price: {type: rollup, from: order_line.sales_order, aggregate: avg,
                          of: unit_price}
          banker_average: {type: rollup, from: order_line.sales_order, aggregate: avg,
                           of: unit_price, rounding: half_even}
        rules:
          - name: small_orders_only
            check: "total < 5000000.0 || title != 'small'"
            message: {en: Too big for a small order, zh: 小订单金额过大}
    """,
    "entities/order_line.yaml": """
        entity: order_line
        fields:
          sales_order: {type: reference, to: sales_order, on_delete: cascade}
          quantity: {type: decimal, scale: 2}
          unit_price: {type: money}
          discount: {type: percent}
          divisor: {type: integer}
          line_total:
            type: formula
            result: money
            expression: "quantity * unit_price - quantity * unit_price * discount / 100.0"
          half: {type: formula, result: money, expression: "unit_price / 2.0"}
          banker_half: {type: formula, result: money, rounding: half_even,
                        expression: "unit_price / 2.0"}
          share: {type: formula, result: decimal, scale: 4, expression: "unit_price / divisor"}
        rules:
          - name: sane_ratio
            check: "divisor == null || unit_price / divisor > 0.0 || unit_price == 0.0"
            message: {en: x, zh: x}
    """,
    "entities/meeting.yaml": """
        entity: meeting
        fields:
          subject: {type: string}
          starts_at: {type: datetime, min: "2020-01-01T00:00:00+08:00",
                      max: "2030-12-31T23:59:59Z"}
          held_on: {type: date, min: 2020-01-01}
          follow_up_at:
            type: formula
            result: datetime
            expression: "starts_at + duration('87600h')"
    """,
}


@pytest.fixture
def shop(make_client, tmp_path: Path):  # type: ignore[no-untyped-def]
    return make_client(write_bundle(tmp_path / "shop", ORDERS))


def _order(shop: Any, **values: Any) -> int:
    response = shop.post("/api/sales_order", json={"title": "o", **values})
    assert response.status_code == 201, response.json
    return int(response.json["id"])


def _line(shop: Any, order: int, **values: Any) -> Any:
    return shop.post("/api/order_line", json={"sales_order": order, **values})


def test_a_formula_is_computed_exactly_to_the_cent(shop, db) -> None:  # type: ignore[no-untyped-def]
    order = _order(shop)
    # The attack review's quote line: binary floating point stored ...860.00.
    line = _line(shop, order, quantity="33.33", unit_price="123456789012345.67",
                 discount="7.77")
    assert line.status_code == 201, line.json
    assert line.json["line_total"] == "3795093669547860.09"
    big = _line(shop, _order(shop), quantity="9", unit_price="1000000000000000.01",
                discount="0")
    assert big.status_code == 201, big.json
    assert big.json["line_total"] == "9000000000000000.09"
    with db.connect() as conn:
        stored = conn.execute(sa.text(
            "SELECT line_total FROM order_line ORDER BY id")).scalars().all()
    # The row holds the same amount (SQLite: whole cents; PostgreSQL: NUMERIC).
    assert [Decimal(v) / (100 if isinstance(v, int) else 1) for v in stored] == [
        Decimal("3795093669547860.09"), Decimal("9000000000000000.09")]


@pytest.mark.parametrize("amount", ["100000000000000.01", "9999999999999999.99", "-0.01",
                                    "0.10", "1234567.89"])
def test_amounts_come_back_exactly_as_sent(shop, amount: str) -> None:  # type: ignore[no-untyped-def]
    order = _order(shop)
    created = _line(shop, order, unit_price=amount)
    assert created.status_code == 201, created.json
    line = shop.get(f"/api/order_line/{created.json['id']}").json
    assert line["unit_price"] == amount
    found = shop.get(f"/api/order_line?unit_price={amount}").json["items"]
    assert [item["id"] for item in found] == [line["id"]]


def test_amounts_sort_and_compare_as_numbers(shop) -> None:  # type: ignore[no-untyped-def]
    order = _order(shop)
    for amount in ("9.99", "100.00", "-5.00", "10.00", "9999999999999999.99"):
        assert _line(shop, order, unit_price=amount).status_code == 201
    listed = shop.get("/api/order_line?sort=unit_price&fields=unit_price").json["items"]
    assert [i["unit_price"] for i in listed] == [
        "-5.00", "9.99", "10.00", "100.00", "9999999999999999.99"]
    over = shop.get("/api/order_line?unit_price__gt=9.99&fields=unit_price").json["items"]
    assert sorted(i["unit_price"] for i in over) == ["10.00", "100.00", "9999999999999999.99"]


def test_results_round_half_up_unless_the_field_says_half_even(shop) -> None:  # type: ignore[no-untyped-def]
    order = _order(shop)
    line = _line(shop, order, unit_price="0.05").json
    assert (line["half"], line["banker_half"]) == ("0.03", "0.02")  # 0.025: 四舍五入 / banker
    line = _line(shop, order, unit_price="0.07").json
    assert (line["half"], line["banker_half"]) == ("0.04", "0.04")  # 0.035
    averages = shop.get(f"/api/sales_order/{order}").json
    assert (averages["average_price"], averages["banker_average"]) == ("0.06", "0.06")


def test_an_average_is_divided_exactly_and_rounded_once(shop) -> None:  # type: ignore[no-untyped-def]
    order = _order(shop)
    for price in ("0.01", "0.01", "0.02"):  # 0.04 / 3 = 0.01333…
        _line(shop, order, unit_price=price)
    assert shop.get(f"/api/sales_order/{order}").json["average_price"] == "0.01"
    tie = _order(shop)
    for price in ("0.02", "0.03"):  # 0.025: the tie the two roundings split
        _line(shop, tie, unit_price=price)
    view = shop.get(f"/api/sales_order/{tie}").json
    assert (view["average_price"], view["banker_average"]) == ("0.03", "0.02")


def test_a_formula_too_large_for_its_field_is_refused_naming_it(shop, db) -> None:  # type: ignore[no-untyped-def]
    order = _order(shop)
    response = _line(shop, order, quantity="99999999.99", unit_price="9999999999999999.99",
                     discount="0")
    assert response.status_code == 422, response.json
    message = response.json["errors"]["line_total"][0]
    assert "9999999999999999.99" in message and "more than this field holds" in message
    with db.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM order_line")).scalar() == 0


def test_a_sum_too_large_for_the_parent_is_refused_and_the_child_not_written(
        shop, db) -> None:  # type: ignore[no-untyped-def]
    order = _order(shop)
    first = _line(shop, order, quantity="1", unit_price="9000000000000000.00", discount="0")
    assert first.status_code == 201, first.json
    second = _line(shop, order, quantity="1", unit_price="1000000000000000.00", discount="0")
    assert second.status_code == 422, second.json
    assert "more than this field holds" in second.json["errors"]["sales_order.total"][0]
    with db.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM order_line")).scalar() == 1
    assert shop.get(f"/api/sales_order/{order}").json["total"] == "9000000000000000.00"


def test_a_division_by_zero_is_a_422_naming_the_formula_not_a_500(shop) -> None:  # type: ignore[no-untyped-def]
    order = _order(shop)
    response = _line(shop, order, unit_price="10.00", divisor=0)
    assert response.status_code == 422, response.json
    assert "division by zero" in response.json["errors"]["share"][0]
    fine = _line(shop, order, unit_price="10.00", divisor=3)
    assert fine.json["share"] == "3.3333"


def test_a_rule_that_fails_to_evaluate_is_a_422_naming_the_rule(make_client, tmp_path) -> None:  # type: ignore[no-untyped-def]
    bundle = write_bundle(tmp_path / "r", {"entities/thing.yaml": """
        entity: thing
        fields:
          a: {type: integer}
          b: {type: integer}
        rules:
          - name: ratio_is_small
            check: "a / b < 10"
            message: {en: too big, zh: 太大}
    """})
    client = make_client(bundle)
    response = client.post("/api/thing", json={"a": 5, "b": 0})
    assert response.status_code == 422, response.json
    assert response.json["errors"]["_record"] == [
        "Rule 'ratio_is_small' could not be evaluated: division by zero (at column 3)."]
    assert client.post("/api/thing", json={"a": 5}).status_code == 201  # empty: no rule


def test_datetime_bounds_are_enforced(shop) -> None:  # type: ignore[no-untyped-def]
    early = shop.post("/api/meeting", json={"subject": "x",
                                            "starts_at": "2019-12-31T15:59:59Z"})
    assert early.status_code == 422, early.json
    assert early.json["errors"]["starts_at"] == [
        "Must be greater than or equal to 2020-01-01T00:00:00+08:00."]
    at_the_bound = shop.post("/api/meeting", json={"subject": "x",
                                                   "starts_at": "2019-12-31T16:00:00Z"})
    assert at_the_bound.status_code == 201, at_the_bound.json
    late = shop.post("/api/meeting", json={"subject": "x", "starts_at": "2031-01-01T00:00:00Z"})
    assert late.status_code == 422
    old = shop.post("/api/meeting", json={"subject": "x", "held_on": "2019-12-31"})
    assert old.status_code == 422 and "held_on" in old.json["errors"]


def test_a_date_time_formula_past_year_9999_is_refused_not_stored_empty(make_client,
                                                                      tmp_path) -> None:  # type: ignore[no-untyped-def]
    bundle = write_bundle(tmp_path / "t", {"entities/ticket.yaml": """
        entity: ticket
        fields:
          reported_at: {type: datetime}
          deadline: {type: formula, result: datetime,
                     expression: "reported_at + duration('168h')"}
    """})
    client = make_client(bundle)
    response = client.post("/api/ticket", json={"reported_at": "9999-12-30T00:00:00Z"})
    assert response.status_code == 422, response.json
    assert "timestamp out of range" in response.json["errors"]["deadline"][0]


def test_a_costly_rule_added_at_run_time_is_refused(crm) -> None:  # type: ignore[no-untyped-def]
    nested = ("tags.all(a, tags.all(b, tags.all(c, tags.all(d, "
              "[a, b, c, d].exists(e, e == 0)))))")
    response = crm.post("/api/meta/customizations", json={
        "extend": "customer",
        "rules": [{"name": "slow", "check": f"name == '' || {nested}",
                   "message": {"en": "x", "zh": "x"}}]})
    assert response.status_code == 422, response.json
    assert "may take about" in str(response.json)
    assert crm.post("/api/customer", json={"name": "still fast"}).status_code == 201


def test_a_sum_past_64_bits_of_minor_units_is_a_422_not_a_500(shop, db) -> None:  # type: ignore[no-untyped-def]
    order = _order(shop)
    line = {"sales_order": order, "quantity": "1", "unit_price": "9000000000000000.00",
            "discount": "0"}
    response = shop.post("/api/order_line/bulk", json={"items": [line] * 12})
    assert response.status_code == 422, response.json
    assert "sales_order.total" in response.json["errors"]
    with db.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM order_line")).scalar() == 0
