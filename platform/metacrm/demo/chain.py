"""Demo records of the sales chain (销售管理) up to the quote: requirements, quotes
and their lines, each consistent with the opportunity it grows from and with the
workflow state it is in (contracts.py, then billing.py, carry on from the quotes).

The rows put each record straight into its state (the platform creates them), with
the stamps its transitions would have set (``approved_at``, ``sent_at``…) and the
figures its guards check (a submitted quote has priced lines and is still valid).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from .accounts import Customer
from .chain_words import (
    CANCEL_REASONS,
    DELIVERY_TERMS,
    DISCOUNT_LEVELS,
    ENGLISH_REQUIREMENT_TITLES,
    HARDWARE_THEMES,
    PAYMENT_TERMS,
    QUOTE_DECLINES,
    REQUIREMENT_TITLES,
    SERVICE_THEMES,
    THEME_PRODUCTS,
)
from .source import Gen, money
from .vocabulary import DEAL_THEMES, HISTORY_DAYS, LOST_REASONS, NEEDS

CENT = Decimal("0.01")


@dataclass
class Product:
    id: int
    code: str
    name: str
    price: int  # whole yuan, so that line amounts and discounts stay exact in cents
    category: str
    spec: str


@dataclass
class Deal:
    """A created opportunity, and what grew from it."""

    id: int
    customer: Customer
    row: dict[str, Any]
    stage: str
    close: date
    theme: tuple[str, str]
    requirement: int | None = None  # an approved requirement's id
    quotes: list[Quote] = field(default_factory=list)

    @property
    def owner(self) -> int | None:
        return self.row.get("owner")


@dataclass
class Quote:
    deal: Deal
    row: dict[str, Any]
    lines: list[tuple[Product, int, int]]  # product, quantity, discount percent
    total: Decimal
    id: int = 0


def make_deals(
    rows: list[dict[str, Any]], ids: list[int], owners: list[tuple[Customer, date, str]]
) -> list[Deal]:
    return [
        Deal(oid, c, row, stage, close, theme_of(row["name"]))
        for row, oid, (c, close, stage) in zip(rows, ids, owners, strict=True)
    ]


def theme_of(name: str) -> tuple[str, str]:
    return next((t for t in DEAL_THEMES if t[0] in name or t[1] in name), DEAL_THEMES[0])


def theme_products(g: Gen, products: list[Product], theme: str, k: int) -> list[Product]:
    """Up to ``k`` different products the theme sells (any product when none is on file)."""
    prefixes = THEME_PRODUCTS.get(theme, [])
    fitting = [p for p in products if any(p.code.startswith(x) for x in prefixes)] or products
    return g.rng.sample(fitting, min(k, len(fitting)))


def in_past(g: Gen, day: date) -> date:
    """``day``, kept within the demo's history and before today."""
    return max(g.today - timedelta(days=HISTORY_DAYS), min(day, g.today - timedelta(days=1)))


def cents(value: Decimal | float) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


# --- requirements ------------------------------------------------------------------------

# Records waiting for an approval exist only with their running chain, which the
# platform starts when a transition is fired: the demo leaves requests as drafts (or
# sent back) ready to be submitted, never half-way through a chain.
_REQ_WEIGHTS = {
    "qualify": 6,
    "needs_analysis": 8,
    "proposal": 3,
    "negotiation": 2,
    "won": 1,
    "lost": 1,
}
_REQ_STATUS = {
    "qualify": [("draft", 1)],
    "needs_analysis": [("draft", 30), ("approved", 50), ("rejected", 20)],
    "proposal": [("approved", 1)],
    "negotiation": [("approved", 1)],
    "won": [("approved", 1)],
    "lost": [("approved", 70), ("rejected", 15), ("cancelled", 15)],
}


def make_requirements(
    g: Gen, n: int, deals: list[Deal], products: list[Product]
) -> tuple[list[dict[str, Any]], list[Deal]]:
    if not deals:
        return [], []
    picked = g.rng.choices(deals, [_REQ_WEIGHTS[d.stage] for d in deals], k=n)
    picked.sort(key=lambda d: (d.customer.pos, d.id))
    rows = []
    for deal in picked:
        c = deal.customer
        theme, en_theme = deal.theme
        status = g.weighted(_REQ_STATUS[deal.stage])
        title = (
            g.pick(ENGLISH_REQUIREMENT_TITLES).format(e=en_theme)
            if c.english
            else g.pick(REQUIREMENT_TITLES).format(t=theme)
        )
        row: dict[str, Any] = {
            "title": title[:200],
            "customer": c.id,
            "opportunity": deal.id,
            "category": _requirement_category(g, theme),
            "priority": g.weighted([("high", 2), ("normal", 6), ("low", 2)]),
            "description": deal.row.get("needs")
            or g.pick(NEEDS).format(
                t=theme, e=en_theme, y=deal.close.year, n=g.pick([20, 50, 100])
            ),
            "products": sorted(
                p.id for p in theme_products(g, products, theme, g.rng.randint(1, 3))
            ),
            "status": status,
        }
        if deal.row.get("contact"):
            row["contact"] = deal.row["contact"]
        if g.chance(0.6):
            row["budget"] = money(
                max(1000.0, round(float(deal.row["amount"]) * g.rng.uniform(0.8, 1.3), -3))
            )
        closed = deal.stage in ("won", "lost")
        row["expected_date"] = (
            (deal.close if closed else g.today) + timedelta(days=g.rng.randint(30, 150))
        ).isoformat()
        if deal.owner is not None:
            row["owner"] = deal.owner
        if status == "approved":
            day = (
                deal.close - timedelta(days=g.rng.randint(20, 90))
                if closed
                else g.today - timedelta(days=g.rng.randint(1, 40))
            )
            row["approved_at"] = g.work_time(in_past(g, day))
        elif status == "cancelled":
            row["cancel_reason"] = g.pick(CANCEL_REASONS)
        rows.append(row)
    return rows, picked


def _requirement_category(g: Gen, theme: str) -> str:
    if theme in SERVICE_THEMES:
        return "service"
    if theme in HARDWARE_THEMES:
        return g.weighted([("new_purchase", 3), ("expansion", 2)])
    return g.weighted(
        [
            ("new_purchase", 4),
            ("customization", 2),
            ("integration", 2),
            ("upgrade", 1),
            ("expansion", 1),
        ]
    )


# --- quotes ------------------------------------------------------------------------------

_QUOTE_WEIGHTS = {"proposal": 5, "negotiation": 4, "won": 2, "lost": 1}
_QUOTE_STATUS = {
    "proposal": [("draft", 30), ("approved", 20), ("sent", 40), ("rejected", 10)],
    "negotiation": [("sent", 85), ("approved", 15)],
    "won": [("accepted", 1)],
    "lost": [("declined", 6), ("expired", 3), ("cancelled", 1)],
}


def make_quotes(g: Gen, n: int, deals: list[Deal], products: list[Product]) -> list[Quote]:
    candidates = [d for d in deals if d.stage in _QUOTE_WEIGHTS]
    if not candidates or not products:
        return []
    picked = g.rng.choices(candidates, [_QUOTE_WEIGHTS[d.stage] for d in candidates], k=n)
    picked.sort(key=lambda d: (d.customer.pos, d.id))
    quotes = []
    for deal in picked:
        quote = _quote(g, deal, products, len(deal.quotes))
        deal.quotes.append(quote)
        quotes.append(quote)
    return quotes


def _quote(g: Gen, deal: Deal, products: list[Product], nth: int) -> Quote:
    c = deal.customer
    # a second quote on a live deal replaced an earlier offer the customer turned down
    superseded = nth > 0 and deal.stage != "lost"
    status = "declined" if superseded else g.weighted(_QUOTE_STATUS[deal.stage])
    if deal.stage == "won":
        quoted = deal.close - timedelta(
            days=g.rng.randint(50, 120) if superseded else g.rng.randint(7, 45)
        )
    elif deal.stage == "lost":
        quoted = deal.close - timedelta(days=g.rng.randint(10, 60))
        if status == "expired":
            quoted = min(quoted, g.today - timedelta(days=45))
    else:
        quoted = g.today - timedelta(
            days=g.rng.randint(30, 90) if superseded else g.rng.randint(1, 25)
        )
    quoted = in_past(g, quoted)
    lines = _lines(g, deal, products)
    total = sum((Decimal(q * p.price) * (100 - d) / 100 for p, q, d in lines), Decimal(0))
    name = deal.row["name"]
    row: dict[str, Any] = {
        "name": (f"Quote: {name}" if c.english else f"{name}报价")[:200]
        + (f" v{nth + 1}" if nth else ""),
        "customer": c.id,
        "opportunity": deal.id,
        "quoted_on": quoted.isoformat(),
        "valid_until": (quoted + timedelta(days=30)).isoformat(),
        "status": status,
    }
    if deal.requirement is not None:
        row["requirement"] = deal.requirement
    if deal.row.get("contact"):
        row["contact"] = deal.row["contact"]
    if deal.owner is not None:
        row["owner"] = deal.owner
    if g.chance(0.5):
        row["payment_terms"] = g.pick(PAYMENT_TERMS)
    if g.chance(0.5):
        row["delivery_terms"] = g.pick(DELIVERY_TERMS)
    if status in ("approved", "sent", "accepted", "declined", "expired"):
        approved = in_past(g, max(quoted, quoted + timedelta(days=g.rng.randint(0, 2))))
        approved = max(approved, quoted)
        row["approved_at"] = g.work_time(approved)
        if status in ("sent", "accepted", "declined"):
            sent = max(approved, in_past(g, approved + timedelta(days=g.rng.randint(0, 1))))
            row["sent_at"] = g.work_time(sent)
    if status == "declined":
        row["decline_reason"] = (
            QUOTE_DECLINES[1] if superseded else g.pick(QUOTE_DECLINES + LOST_REASONS[:3])
        )
    return Quote(deal, row, lines, cents(total))


def _lines(g: Gen, deal: Deal, products: list[Product]) -> list[tuple[Product, int, int]]:
    """Products of the deal's theme, quantities that add up to about its amount, and the
    salesperson's discount (whole percents in steps of 5, so amounts stay exact)."""
    chosen = theme_products(
        g, products, deal.theme[0], g.weighted([(1, 3), (2, 4), (3, 3), (4, 2)])
    )
    amount = float(deal.row["amount"])
    weights = [g.rng.uniform(0.5, 2.0) for _ in chosen]
    level = g.weighted(DISCOUNT_LEVELS)
    lines = []
    for product, weight in zip(chosen, weights, strict=True):
        share = amount * weight / sum(weights)
        quantity = min(2000, max(1, round(share / max(product.price, 1))))
        discount = min(40, max(0, level + g.pick([-5, 0, 0, 0, 5])))
        lines.append((product, quantity, discount))
    return lines


def make_quote_lines(quotes: list[Quote]) -> list[dict[str, Any]]:
    rows = []
    for quote in quotes:
        for position, (product, quantity, discount) in enumerate(quote.lines, start=1):
            rows.append(
                {
                    "quote": quote.id,
                    "position": position,
                    "product": product.id,
                    "description": f"{product.name}（{product.spec}）"[:200],
                    "quantity": str(quantity),
                    "unit_price": money(product.price),
                    "discount": money(discount),
                }
            )
    return rows
