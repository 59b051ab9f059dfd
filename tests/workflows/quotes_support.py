"""Helpers for tests on the shipped quote (报价) and its lines: a priced quote of a
salesperson's, submitted for 报价审批, and what the database holds of it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from ..access.conftest import Person

NEXT_MONTH = (date.today() + timedelta(days=30)).isoformat()


def product(crm: Any, code: str = "SW-CRM-STD", price: str = "1000") -> int:
    response = crm.post("/api/product", json={"name": f"CRM {code}", "code": code,
                                             "price": price})
    assert response.status_code == 201, response.json
    return int(response.json["id"])


def customer(who: Person, name: str = "上海星河贸易有限公司") -> int:
    response = who.post("/api/customer", json={"name": name})
    assert response.status_code == 201, response.json
    return int(response.json["id"])


def quote(who: Person, customer_id: int, name: str = "星河 CRM 报价") -> int:
    response = who.post("/api/quote", json={"name": name, "customer": customer_id,
                                           "valid_until": NEXT_MONTH})
    assert response.status_code == 201, response.json
    return int(response.json["id"])


def line(who: Person, quote_id: int, product_id: int, *, unit_price: str = "1000",
         quantity: str = "1", discount: str = "0") -> int:
    response = who.post("/api/quote_line", json={
        "quote": quote_id, "product": product_id, "unit_price": unit_price,
        "quantity": quantity, "discount": discount})
    assert response.status_code == 201, response.json
    return int(response.json["id"])


def submit(who: Person, quote_id: int) -> int:
    """Fire the quote's submit transition; the running chain's id."""
    response = who.post(f"/api/quote/{quote_id}/transitions/submit")
    assert response.status_code == 200, response.json
    assert response.json["_approval"] is not None, response.json
    return int(response.json["_approval"]["id"])


def figures(who: Person, quote_id: int) -> dict[str, Any]:
    response = who.get(f"/api/quote/{quote_id}")
    assert response.status_code == 200, response.json
    return {k: response.json[k] for k in ("line_count", "subtotal", "total", "discount_rate",
                                          "status")}


def error_text(response: Any) -> str:
    return " ".join(m for messages in response.json["errors"].values() for m in messages)
