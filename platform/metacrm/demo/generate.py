"""Generate realistic, bilingual demo data for the shipped CRM bundle.

Pure Python: rows are handed to a ``create_many(entity, rows) -> ids`` callable
(the REST bulk endpoint, a service function, or a test double), so this module
never touches a database. Rows hold field values exactly as the REST API
accepts them: decimals as strings, ISO dates, reference ids returned by the
earlier calls. Every value respects the definitions under ``entities/``
(lengths, required fields, option values, validation rules); autonumber and
formula fields are never set, nor readonly ones, except the stamps a workflow's
transitions set (``approved_at``…) and who asked for a request (``applicant``),
which a record created straight into a later state needs. Workflow states are
set directly, consistent with the guards of the transitions that lead there.
One ``random.Random(seed)`` drives everything, so the same seed and ``today``
give the same rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from .accounts import Customer, make_contacts, make_customers, make_products, make_tags
from .billing import make_invoices, make_payments, make_plans, make_reissues
from .chain import (
    Deal,
    Product,
    make_deals,
    make_quote_lines,
    make_quotes,
    make_requirements,
)
from .contracts import make_contracts
from .sales import make_activities, make_opportunities
from .service import make_bookings, make_deliveries, make_onsite_services, make_tickets
from .source import CreateMany, Gen
from .vocabulary import (
    BASE_COUNTS,
    BATCH_SIZE,
    TAGS,
)


def _scaled(name: str, scale: float) -> int:
    return max(1, round(BASE_COUNTS[name] * scale))


def _create(create_many: CreateMany, entity: str, rows: list[dict[str, Any]],
            created: list[datetime] | None) -> list[int]:
    ids: list[int] = []
    for start in range(0, len(rows), BATCH_SIZE):
        batch = rows[start : start + BATCH_SIZE]
        when = created[start : start + BATCH_SIZE] if created is not None else None
        got = list(create_many(entity, batch, when))
        if len(got) != len(batch):
            raise ValueError(
                f"create_many({entity!r}) returned {len(got)} ids for {len(batch)} rows"
            )
        ids.extend(got)
    return ids


def fill_demo(
    create_many: CreateMany,
    *,
    users: Sequence[int],
    engineers: Sequence[int] = (),
    scale: float = 1.0,
    seed: int = 42,
    today: date | None = None,
) -> dict[str, int]:
    """Create demo records through ``create_many``; return how many per entity.

    Entities are created in dependency order (``ORDER``), at most ``BATCH_SIZE``
    rows a call. ``scale`` multiplies ``BASE_COUNTS`` (at least one record each
    of the accounts; tags stop at the size of the tag list; the sales chain and
    service records follow from the deals and contracts there are, so a tiny
    scale may have none). ``today`` anchors every date: history goes back two
    years from it, open opportunities close after it. ``users`` are the owners;
    with none, no owner is set. ``engineers`` do the service work (bookings,
    deliveries, on-site services, tickets); without them the ``users`` do.
    """
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    g = Gen(seed, today or datetime.now(UTC).date(), users, engineers)
    counts: dict[str, int] = {}

    def create(entity: str, rows: list[dict[str, Any]],
               came_in: list[date] | None = None) -> list[int]:
        created = [g.entered(day) for day in came_in] if came_in is not None else None
        ids = _create(create_many, entity, rows, created) if rows else []
        counts[entity] = len(ids)
        return ids

    tag_ids = create("tag", make_tags(g, min(_scaled("tag", scale), len(TAGS))))
    product_rows = make_products(g, _scaled("product", scale))
    products = [
        Product(
            pid,
            row["code"],
            row["name"],
            int(Decimal(row["price"])),
            row["category"],
            row["specification"],
        )
        for row, pid in zip(product_rows, create("product", product_rows), strict=True)
        if row["active"]
    ]

    customers = make_customers(g, _scaled("customer", scale), tag_ids)
    # Accounts and sales come in over the demo's history (records after their
    # customer); the sales chain and service records come in today.
    customer_ids = create("customer", [c.row for c in customers], [c.since for c in customers])
    for c, cid in zip(customers, customer_ids, strict=True):
        c.id = cid

    contact_rows, contact_owner = make_contacts(g, _scaled("contact", scale), customers)
    contact_days = [c.since + timedelta(days=g.history.randint(0, 30)) for c in contact_owner]
    for c, cid in zip(contact_owner, create("contact", contact_rows, contact_days), strict=True):
        c.contacts.append(cid)

    opp_rows, opp_owner, opp_days = make_opportunities(g, _scaled("opportunity", scale),
                                                       customers)
    opp_ids = create("opportunity", opp_rows, opp_days)
    for (c, close, stage), oid in zip(opp_owner, opp_ids, strict=True):
        c.opportunities.append((oid, close, stage))

    activity_rows = make_activities(g, _scaled("activity", scale), customers)
    create("activity", activity_rows,
           [datetime.fromisoformat(r["occurred_at"]).date() for r in activity_rows])
    _fill_sales_chain(
        g, create, scale, customers, make_deals(opp_rows, opp_ids, opp_owner), products
    )
    return counts


def _fill_sales_chain(
    g: Gen,
    create: Callable[[str, list[dict[str, Any]]], list[int]],
    scale: float,
    customers: list[Customer],
    deals: list[Deal],
    products: list[Product],
) -> None:
    """Requirements, quotes, contracts and what follows them, then product service."""
    req_rows, req_deals = make_requirements(g, _scaled("requirement", scale), deals, products)
    for row, deal, rid in zip(req_rows, req_deals, create("requirement", req_rows), strict=True):
        if row["status"] == "approved":
            deal.requirement = rid

    quotes = make_quotes(g, _scaled("quote", scale), deals, products)
    for quote, qid in zip(quotes, create("quote", [q.row for q in quotes]), strict=True):
        quote.id = qid
    create("quote_line", make_quote_lines(quotes))

    contracts = make_contracts(g, _scaled("contract", scale), deals)
    contract_ids = create("contract", [k.row for k in contracts])
    for contract, kid in zip(contracts, contract_ids, strict=True):
        contract.id = kid
    plans = make_plans(g, contracts)
    for plan, pid in zip(plans, create("payment_plan", [p.row for p in plans]), strict=True):
        plan.id = pid
    create("payment", make_payments(g, plans))

    invoices = make_invoices(g, plans)
    reissues = make_reissues(g, _scaled("invoice_reissue", scale), invoices)
    for invoice, iid in zip(invoices, create("invoice", [i.row for i in invoices]), strict=True):
        invoice.id = iid
    for reissue in reissues:
        reissue.row["original_invoice"] = reissue.original.id
        if reissue.replacement is not None:
            reissue.row["new_invoice"] = reissue.replacement.id
    create("invoice_reissue", [r.row for r in reissues])

    create(
        "service_booking",
        make_bookings(g, _scaled("service_booking", scale), deals, contracts, products),
    )
    create("delivery", make_deliveries(g, _scaled("delivery", scale), contracts, products))
    create("onsite_service", make_onsite_services(g, _scaled("onsite_service", scale), contracts))
    create("ticket", make_tickets(g, _scaled("ticket", scale), customers, contracts, products))


# --- tags and products ---------------------------------------------------------------
