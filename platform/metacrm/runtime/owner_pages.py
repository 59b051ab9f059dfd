"""A page of a list under a few owners, read one owner at a time.

A list sorted by, say, ``-updated_at`` under "held by one of these ten people"
cannot range-scan an ``(owner, updated_at)`` index with ``owner IN (…)``: the
database either walks the ``updated_at`` order skipping everyone else's records
(a long walk when the owners hold few or old records) or gathers every record of
the owners and sorts them. Asked owner by owner instead — each branch with its
own ``ORDER BY … LIMIT n``, the branches merged and cut to ``n`` again — each
branch reads at most ``n`` entries of one owner's range, so a page costs about
``n`` reads per owner whatever the size of the table. The rows and their order
are those of the plain statement: the sort always ends with ``id``, so every
branch's first ``n`` hold the merged first ``n``.

With many owners the plain statement is the better one (they hold much of the
table, and the sort order finds a page of theirs quickly), and with one owner it
is the same thing; so this form is used for 2 to MAX_BRANCHES branches.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from ..compile.models import EntityModel
from .query import ListQuery
from .scopes import OwnerSet

MAX_BRANCHES = 32


def owner_page(model: EntityModel, query: ListQuery, columns: Sequence[sa.ColumnElement],
               conditions: Sequence[sa.ColumnElement], owners: OwnerSet | None
               ) -> sa.Select | None:
    """The page statement (``query.limit + 1`` rows of ``columns``) for the records
    matching ``conditions`` held by ``owners``, one branch per owner; None when the
    plain statement is the better one."""
    if owners is None or not 2 <= len(owners.ids) + owners.pool <= MAX_BRANCHES:
        return None
    table = model.table
    limit = query.limit + 1
    keyset = query.keyset_condition()
    keys = [key.column.label(f"k{i}") for i, key in enumerate(query.sort)]
    order = query.order_by()
    # The pool's branch also sorts by the (empty) owner first: PostgreSQL does not
    # take "owner IS NULL" as fixing the owner, as it does "owner = 7", and would not
    # see that the (owner, …) index already yields the order.
    first = query.ordering([owners.column])
    parts = [(owners.column == i, order) for i in owners.ids]
    if owners.pool:
        parts.append((owners.column.is_(None), first + order))
    branches = []
    for part, ordered in parts:
        branch = sa.select(table.c.id.label("picked_id"), *keys).where(*conditions, part)
        if keyset is not None:
            branch = branch.where(keyset)
        inner = branch.order_by(*ordered).limit(limit).subquery()
        branches.append(sa.select(*inner.c))
    picked = sa.union_all(*branches).subquery("picked")
    page = (sa.select(*picked.c).order_by(*_order(query, picked)).limit(limit)
            .subquery("page"))
    # The page's ids are joined back to the table for the columns the caller asked
    # for, so that per-row work (multi-reference arrays) runs for n rows, not n per owner.
    return (sa.select(*columns).select_from(table.join(page, table.c.id == page.c.picked_id))
            .order_by(*_order(query, page)))


def _order(query: ListQuery, source: sa.Subquery) -> list[sa.ColumnElement]:
    return query.ordering([source.c[f"k{i}"] for i in range(len(query.sort))])
