"""Demo contracts (合同), grown from the deals and their quotes: mostly for won deals
(in force, finished, sometimes terminated), some being drafted or approved, a few
cancelled; each with the stamps its workflow would have set. billing.py carries on
from them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from .chain import Deal, Quote, cents, in_past
from .chain_words import PAYMENT_TERMS, SCHEDULES, SERVICE_THEMES, TERMINATION_REASONS
from .source import Gen, money

SIGNED = ("active", "completed", "terminated")  # contracts that were approved


@dataclass
class Contract:
    deal: Deal
    row: dict[str, Any]
    quote: Quote | None
    amount: Decimal
    start: date
    end: date
    schedule: list[tuple[str, int]]
    id: int = 0

    @property
    def status(self) -> str:
        return str(self.row["status"])

    @property
    def kind(self) -> str:
        return str(self.row["contract_type"])


def make_contracts(g: Gen, n: int, deals: list[Deal]) -> list[Contract]:
    """Mostly won deals (in force or finished), some deals in negotiation (a contract
    being drafted or approved), a few lost ones (a draft that was cancelled)."""
    won = [d for d in deals if d.stage == "won"]
    talks = [d for d in deals if d.stage == "negotiation"]
    lost = [d for d in deals if d.stage == "lost"]
    for group in (won, talks, lost):
        g.rng.shuffle(group)
    quota = [(won, round(n * 0.85)), (talks, round(n * 0.10)), (lost, round(n * 0.05))]
    picked: list[Deal] = []
    for group, wanted in quota:
        take = min(len(group), wanted, n - len(picked))
        picked += group[:take]
        del group[:take]
    leftovers = won + talks + lost  # a group too small for its share: the others fill in
    picked += leftovers[: n - len(picked)]
    picked.sort(key=lambda d: (d.customer.pos, d.id))
    return [_contract(g, deal) for deal in picked]


def _contract(g: Gen, deal: Deal) -> Contract:
    c = deal.customer
    theme = deal.theme[0]
    wanted = {"won": "accepted", "negotiation": "sent"}.get(deal.stage)
    quote = next((q for q in reversed(deal.quotes) if q.row["status"] == wanted), None)
    amount = quote.total if quote else cents(deal.row["amount"])
    if theme in SERVICE_THEMES:
        kind = "service"
    elif c.row.get("grade") == "A" and g.chance(0.1):
        kind = "framework"
    elif theme == "CRM系统" and g.chance(0.3):
        kind = "subscription"
    else:
        kind = "sales"
    schedule = g.pick(SCHEDULES[kind])
    row: dict[str, Any] = {
        "name": (f"{deal.row['name']} contract" if c.english else f"{deal.row['name']}合同")[:200],
        "customer": c.id,
        "opportunity": deal.id,
        "contract_type": kind,
        "amount": money(float(amount)),
        "down_payment_rate": money(schedule[0][1]),
    }
    if quote is not None:
        row["quote"] = quote.id
    if deal.row.get("contact"):
        row["signatory"] = deal.row["contact"]
    if deal.owner is not None:
        row["owner"] = deal.owner
    if g.chance(0.6):
        row["payment_terms"] = g.pick(PAYMENT_TERMS)
    days = 365 if kind != "sales" else g.rng.randint(90, 365)
    if deal.stage == "won":
        signed = deal.close
        start = signed + timedelta(days=g.rng.randint(0, 14))
        end = start + timedelta(days=days - 1)
        if end < g.today:
            status = g.weighted([("completed", 9), ("terminated", 1)])
        elif start < g.today - timedelta(days=60) and g.chance(0.04):
            status = "terminated"
        else:
            status = "active"
        row["approved_at"] = g.work_time(
            max(signed, in_past(g, signed + timedelta(days=g.rng.randint(1, 4))))
        )
    elif deal.stage == "negotiation":
        status = g.weighted([("draft", 7), ("rejected", 3)])
        signed = g.today - timedelta(days=g.rng.randint(1, 7))
        start = g.today + timedelta(days=g.rng.randint(1, 30))
        end = start + timedelta(days=days - 1)
    else:
        status = "cancelled"
        signed = start = deal.close
        end = start + timedelta(days=days - 1)
    row["status"] = status
    if status != "cancelled" and (status != "draft" or g.chance(0.5)):
        row.update(
            signed_on=signed.isoformat(), start_date=start.isoformat(), end_date=end.isoformat()
        )
        if g.chance(0.3):
            row["customer_contract_no"] = f"HT-{signed.year}-{g.rng.randint(1000, 9999)}"
    if status == "terminated":
        row["termination_reason"] = g.pick(TERMINATION_REASONS)
    return Contract(deal, row, quote, amount, start, end, schedule)
