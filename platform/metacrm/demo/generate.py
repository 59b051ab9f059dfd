"""Generate realistic, bilingual demo data for the shipped CRM bundle.

Pure Python: rows are handed to a ``create_many(entity, rows) -> ids`` callable
(the REST bulk endpoint, a service function, or a test double), so this module
never touches a database. Rows hold field values exactly as the REST API
accepts them: decimals as strings, ISO dates, reference ids returned by the
earlier calls. Every value respects the definitions under ``entities/``
(lengths, required fields, option values, validation rules); autonumber,
formula and readonly fields are never set. One ``random.Random(seed)`` drives
everything, so the same seed and ``today`` give the same rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from .accounts import make_contacts, make_customers, make_products, make_tags
from .sales import make_activities, make_opportunities
from .source import CreateMany, Gen
from .vocabulary import (
    BASE_COUNTS,
    BATCH_SIZE,
    TAGS,
)


def _scaled(name: str, scale: float) -> int:
    return max(1, round(BASE_COUNTS[name] * scale))


def _create(create_many: CreateMany, entity: str, rows: list[dict[str, Any]]) -> list[int]:
    ids: list[int] = []
    for start in range(0, len(rows), BATCH_SIZE):
        batch = rows[start : start + BATCH_SIZE]
        got = list(create_many(entity, batch))
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
    scale: float = 1.0,
    seed: int = 42,
    today: date | None = None,
) -> dict[str, int]:
    """Create demo records through ``create_many``; return how many per entity.

    Entities are created in dependency order (tags, products, customers,
    contacts, opportunities, activities), at most ``BATCH_SIZE`` rows a call.
    ``scale`` multiplies ``BASE_COUNTS`` (at least one record each; tags stop
    at the size of the tag list). ``today`` anchors every date: history goes
    back two years from it, open opportunities close after it. ``users`` are
    the owners; with none, no owner is set.
    """
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    g = Gen(seed, today or datetime.now(UTC).date(), users)
    counts: dict[str, int] = {}

    tag_ids = _create(create_many, "tag", make_tags(g, min(_scaled("tag", scale), len(TAGS))))
    counts["tag"] = len(tag_ids)
    counts["product"] = len(
        _create(create_many, "product", make_products(g, _scaled("product", scale)))
    )

    customers = make_customers(g, _scaled("customer", scale), tag_ids)
    customer_ids = _create(create_many, "customer", [c.row for c in customers])
    for c, cid in zip(customers, customer_ids):
        c.id = cid
    counts["customer"] = len(customers)

    contact_rows, contact_owner = make_contacts(g, _scaled("contact", scale), customers)
    for c, cid in zip(contact_owner, _create(create_many, "contact", contact_rows)):
        c.contacts.append(cid)
    counts["contact"] = len(contact_rows)

    opp_rows, opp_owner = make_opportunities(g, _scaled("opportunity", scale), customers)
    for (c, close, stage), oid in zip(opp_owner, _create(create_many, "opportunity", opp_rows)):
        c.opportunities.append((oid, close, stage))
    counts["opportunity"] = len(opp_rows)

    counts["activity"] = len(
        _create(create_many, "activity", make_activities(g, _scaled("activity", scale), customers))
    )
    return counts


# --- tags and products ---------------------------------------------------------------


