"""Demo records of product service (产品服务) and customer service: demo and deployment
bookings, deliveries, on-site services and tickets, around the deals and contracts of
the sales chain."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from .accounts import Customer
from .chain import Deal, Product, theme_products
from .chain_words import (
    ACCEPTANCE_FAILURES,
    ACCEPTANCE_NOTES,
    BOOKING_CANCELS,
    BOOKING_FEEDBACK,
    BOOKING_NEEDS,
    DEMO_SUBJECTS,
    DEPLOY_SUBJECTS,
    ENGLISH_DEMO_SUBJECTS,
    ENGLISH_DEPLOY_SUBJECTS,
    HARDWARE_THEMES,
    ONSITE_REPORTS,
    ONSITE_SCOPES,
    ONSITE_SUBJECTS,
    REMOTE_PLACES,
    REOPEN_REASONS,
    SATISFACTION,
    SERVICE_THEMES,
    TICKET_CATEGORIES,
    TICKET_CHANNELS,
    TICKET_DETAILS,
    TICKET_PRIORITIES,
    TICKETS,
)
from .contracts import SIGNED, Contract
from .source import Gen, day_time
from .vocabulary import HISTORY_DAYS


def _site(c: Customer) -> str:
    return f"{c.row['city']}{c.row['address']}"[:200]


def _contact(g: Gen, c: Customer, preferred: int | None = None) -> int | None:
    if preferred is not None:
        return preferred
    return g.pick(c.contacts) if c.contacts else None


# --- demo and deployment bookings ----------------------------------------------------------


def make_bookings(
    g: Gen, n: int, deals: list[Deal], contracts: list[Contract], products: list[Product]
) -> list[dict[str, Any]]:
    """Demos for deals being worked (or before a deal closed), deployments for contracts
    in force."""
    weights = {"needs_analysis": 3, "proposal": 3, "negotiation": 2, "won": 1, "lost": 1}
    demo_deals = [d for d in deals if d.stage in weights]
    signed = [k for k in contracts if k.status in ("active", "completed")]
    plan: list[tuple[Customer, Deal | None, Contract | None]] = []
    deployments = round(n * 0.4) if signed else 0
    if demo_deals:
        for deal in g.rng.choices(
            demo_deals, [weights[d.stage] for d in demo_deals], k=n - deployments
        ):
            plan.append((deal.customer, deal, None))
    elif signed:
        deployments = n
    for contract in g.rng.choices(signed, k=deployments) if signed else []:
        plan.append((contract.deal.customer, None, contract))
    plan.sort(key=lambda p: p[0].pos)
    return [_booking(g, c, deal, contract, products) for c, deal, contract in plan]


def _booking(
    g: Gen, c: Customer, deal: Deal | None, contract: Contract | None, products: list[Product]
) -> dict[str, Any]:
    # a demo is booked for a deal, a deployment for a contract (and so its deal)
    source = contract.deal if contract is not None else deal
    assert source is not None
    theme, en_theme = source.theme
    if contract is not None:
        day = contract.start + timedelta(days=g.rng.randint(0, 20))
    elif deal is not None and deal.stage in ("won", "lost"):
        day = max(
            g.today - timedelta(days=HISTORY_DAYS),
            deal.close - timedelta(days=g.rng.randint(10, 90)),
        )
    else:
        day = g.today + timedelta(days=g.rng.randint(-60, 20) or 1)
    engineer = g.engineer()
    if day >= g.today:
        status = g.weighted([("requested", 4), ("confirmed", 6)])
    else:
        status = g.weighted([("done", 85), ("cancelled", 15)])
    if engineer is None and status in ("confirmed", "done"):
        status = "requested" if day >= g.today else "cancelled"
    subjects = (
        (ENGLISH_DEPLOY_SUBJECTS if contract else ENGLISH_DEMO_SUBJECTS)
        if c.english
        else (DEPLOY_SUBJECTS if contract else DEMO_SUBJECTS)
    )
    row: dict[str, Any] = {
        "booking_type": "deployment" if contract else "demo",
        "subject": g.pick(subjects).format(s=c.short, t=theme, e=en_theme)[:200],
        "customer": c.id,
        "scheduled_at": day_time(day, g.rng.randint(1, 8)),
        "duration_hours": g.pick(["4", "8", "16", "24", "40"])
        if contract
        else g.pick(["1.5", "2", "2", "3"]),
        "products": sorted(p.id for p in theme_products(g, products, theme, g.rng.randint(1, 2))),
        "status": status,
    }
    if contract is not None:
        row["contract"] = contract.id
    else:
        row["opportunity"] = source.id
    contact = _contact(g, c, source.row.get("contact"))
    if contact is not None:
        row["contact"] = contact
    if contract is not None or g.chance(0.6):
        row["mode"], row["location"] = "onsite", _site(c)
    else:
        row["mode"] = "remote"
        if g.chance(0.7):
            row["location"] = g.pick(REMOTE_PLACES)
    if source.owner is not None:
        row["requested_by"] = source.owner
    if status in ("confirmed", "done"):
        row["engineer"] = engineer
    if g.chance(0.6):
        row["requirements"] = g.pick(BOOKING_NEEDS)
    if status == "done":
        row["feedback"] = g.pick(BOOKING_FEEDBACK)
    elif status == "cancelled":
        row["cancel_reason"] = g.pick(BOOKING_CANCELS)
    return row


# --- deliveries ------------------------------------------------------------------------------


def make_deliveries(
    g: Gen, n: int, contracts: list[Contract], products: list[Product]
) -> list[dict[str, Any]]:
    """What sales contracts delivered: the accepted quote's products (else the theme's),
    up to three deliveries a contract."""
    candidates = [k for k in contracts if k.status in SIGNED and k.kind in ("sales", "framework")]
    g.rng.shuffle(candidates)
    chosen: list[tuple[Contract, Product, int]] = []
    for contract in candidates:
        if len(chosen) >= n:
            break
        if contract.quote is not None:
            lines = [(p, q) for p, q, _ in contract.quote.lines]
        else:
            lines = [(p, 1) for p in theme_products(g, products, contract.deal.theme[0], 2)]
        for product, quantity in lines[: min(3, n - len(chosen))]:
            chosen.append((contract, product, quantity))
    chosen.sort(key=lambda item: (item[0].deal.customer.pos, item[0].id))
    return [_delivery(g, *item) for item in chosen]


def _delivery(g: Gen, contract: Contract, product: Product, quantity: int) -> dict[str, Any]:
    planned = contract.start + timedelta(days=g.rng.randint(5, 40))
    row: dict[str, Any] = {
        "contract": contract.id,
        "product": product.id,
        "quantity": str(quantity),
        "planned_on": planned.isoformat(),
    }
    if contract.status == "completed":
        status = "accepted"
    elif contract.status == "terminated":
        status = g.weighted([("accepted", 7), ("cancelled", 3)])
    elif planned >= g.today:
        status = "planned"
    else:
        status = g.weighted([("delivered", 20), ("accepted", 70), ("rejected", 10)])
    if status != "planned" and planned >= g.today:  # a terminated contract's late delivery
        status = "cancelled"
    if status in ("delivered", "accepted", "rejected"):
        delivered = max(
            contract.start,
            min(g.today - timedelta(days=1), planned + timedelta(days=g.rng.randint(-3, 5))),
        )
        row["delivered_on"] = delivered.isoformat()
        if product.category in ("hardware", "consumable"):
            row["tracking_number"] = "SF" + "".join(g.rng.choices("0123456789", k=12))
        accepted = delivered + timedelta(days=g.rng.randint(3, 20))
        if status == "accepted" and accepted >= g.today:
            status = "delivered"  # the customer is still testing
        if status == "accepted":
            row["accepted_on"] = accepted.isoformat()
            if g.chance(0.6):
                row["acceptance_note"] = g.pick(ACCEPTANCE_NOTES)
        elif status == "rejected":
            row["acceptance_note"] = g.pick(ACCEPTANCE_FAILURES)
    if product.category in ("software", "implementation") and g.chance(0.5):
        engineer = g.engineer()
        if engineer is not None:
            row["engineer"] = engineer
    row["status"] = status
    return row


# --- on-site services ------------------------------------------------------------------------


def make_onsite_services(g: Gen, n: int, contracts: list[Contract]) -> list[dict[str, Any]]:
    """Engineers stationed at customers under service contracts (then any other)."""
    if not g.engineers:
        return []  # an on-site service needs its engineer
    signed = [k for k in contracts if k.status in ("active", "completed")]
    first = [k for k in signed if k.kind == "service" or k.deal.theme[0] in SERVICE_THEMES]
    others = [k for k in signed if k not in first and k.deal.theme[0] not in HARDWARE_THEMES]
    g.rng.shuffle(first)
    g.rng.shuffle(others)
    chosen = (first + others)[:n]
    chosen.sort(key=lambda k: (k.deal.customer.pos, k.id))
    return [_onsite(g, k) for k in chosen]


def _onsite(g: Gen, contract: Contract) -> dict[str, Any]:
    c = contract.deal.customer
    start = contract.start + timedelta(days=g.rng.randint(0, 20))
    end = start + timedelta(days=g.rng.randint(20, 120))
    if end < g.today:
        status = g.weighted([("completed", 9), ("cancelled", 1)])
    elif start <= g.today:
        status = "in_progress"
    else:
        status = "planned"
    theme = contract.deal.theme[0]
    row: dict[str, Any] = {
        "subject": g.pick(ONSITE_SUBJECTS).format(s=c.short, t=theme.removesuffix("服务"))[:200],
        "contract": contract.id,
        "customer": c.id,
        "engineer": g.engineer(),
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "location": _site(c),
        "scope": g.pick(ONSITE_SCOPES),
        "status": status,
    }
    if status == "completed":
        row["work_report"] = g.pick(ONSITE_REPORTS).format(n=g.rng.randint(5, 60))
        if g.chance(0.8):
            row["satisfaction"] = g.weighted(SATISFACTION)
    return row


# --- tickets -----------------------------------------------------------------------------------

_RESOLVE_HOURS = {"urgent": (1, 8), "high": (4, 24), "normal": (8, 72), "low": (24, 168)}


def make_tickets(
    g: Gen, n: int, customers: list[Customer], contracts: list[Contract], products: list[Product]
) -> list[dict[str, Any]]:
    """Service requests of signed customers mostly, over the last year."""
    weight = {"customer": 10, "opportunity": 2, "lead": 1}
    pool = [c for c in customers if c.lifecycle in weight] or customers
    picked = g.rng.choices(pool, [weight.get(c.lifecycle, 1) for c in pool], k=n)
    picked.sort(key=lambda c: c.pos)
    covering: dict[int, list[Contract]] = {}
    for contract in contracts:
        if contract.status in ("active", "completed"):
            covering.setdefault(contract.deal.customer.id, []).append(contract)
    return [_ticket(g, c, covering.get(c.id, []), products) for c in picked]


def _ticket(
    g: Gen, c: Customer, contracts: list[Contract], products: list[Product]
) -> dict[str, Any]:
    category = g.weighted(TICKET_CATEGORIES)
    priority = g.weighted(TICKET_PRIORITIES)
    zh, en, resolutions = TICKETS[category]
    subject = g.pick(en if c.english and en else zh)
    day = g.days_ago(1, 365)
    reported = datetime.fromisoformat(g.work_time(day))
    row: dict[str, Any] = {
        "subject": subject,
        "customer": c.id,
        "priority": priority,
        "category": category,
        "channel": g.weighted(TICKET_CHANNELS),
        "reported_at": reported.isoformat(),
        "description": g.pick(TICKET_DETAILS).format(x=subject, n=g.rng.randint(1, 50)),
    }
    contact = _contact(g, c)
    if contact is not None:
        row["contact"] = contact
    contract = g.pick(contracts) if contracts and g.chance(0.7) else None
    if contract is not None:
        row["contract"] = contract.id
        if contract.quote is not None and g.chance(0.7):
            row["product"] = g.pick(contract.quote.lines)[0].id
    elif products and g.chance(0.4):
        row["product"] = g.pick(products).id
    status = _ticket_status(g, (g.today - day).days)
    assignee = g.engineer()
    if assignee is None:
        status = "open"
    else:
        if status != "open":
            row["assignee"] = assignee
        if status in ("resolved", "closed"):
            status = _resolve(g, row, status, reported, priority, resolutions)
    row["status"] = status
    return row


def _ticket_status(g: Gen, age: int) -> str:
    if age > 10:
        return g.weighted(
            [("closed", 80), ("resolved", 10), ("in_progress", 5), ("assigned", 3), ("open", 2)]
        )
    if age > 2:
        return g.weighted(
            [("closed", 30), ("resolved", 30), ("in_progress", 25), ("assigned", 10), ("open", 5)]
        )
    return g.weighted([("open", 30), ("assigned", 25), ("in_progress", 30), ("resolved", 15)])


def _resolve(
    g: Gen,
    row: dict[str, Any],
    status: str,
    reported: datetime,
    priority: str,
    resolutions: list[str],
) -> str:
    """Resolution and its stamps, all before today; the status the ticket ends in (one
    that could not have been resolved, or closed, yet stays a step behind)."""
    midnight = datetime.combine(g.today, time(), tzinfo=UTC)
    resolved = reported + timedelta(hours=g.rng.randint(*_RESOLVE_HOURS[priority]))
    if resolved >= midnight:
        return "in_progress"
    row["resolution"] = g.pick(resolutions)
    row["resolved_at"] = resolved.isoformat()
    if g.chance(0.05):
        row["reopened"] = 1
        row["reopen_reason"] = g.pick(REOPEN_REASONS)
    if status == "closed":
        closed = resolved + timedelta(hours=g.rng.randint(4, 72))
        if closed >= midnight:
            return "resolved"
        row["closed_at"] = closed.isoformat()
        if g.chance(0.6):
            row["satisfaction"] = g.weighted(SATISFACTION)
    return status
