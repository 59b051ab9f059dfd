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

On PostgreSQL the owners are one array parameter driving a LATERAL branch: the
same statement for any number of owners, planned (and prepared) once, where a
UNION ALL of N branches is planned N times. Elsewhere (SQLite) it is a UNION ALL.
The pool, when the caller sees it, is one more branch.

With many owners the plain statement is the better one (they hold much of the
table, and the sort order finds a page of theirs quickly), and with one owner it
is the same thing; so this form is used for 2 to MAX_BRANCHES branches.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from ..compile.models import EntityModel
from .query import ListQuery
from .scopes import OwnerSet

MAX_BRANCHES = 32


def owner_page(model: EntityModel, query: ListQuery,
               columns: Callable[[], Sequence[sa.ColumnElement]],
               conditions: Sequence[sa.ColumnElement], owners: OwnerSet | None,
               dialect: str = "", shape: Hashable | None = None
               ) -> tuple[sa.Select, dict[str, Any]] | None:
    """The page statement (``query.limit + 1`` rows of ``columns()``) for the records
    matching ``conditions`` held by ``owners``, one branch per owner, and the values
    of its parameters; None when the plain statement is the better one.

    The owners and the cursor's values are parameters, so one statement serves every
    caller and page: given ``shape`` (hashable, standing for the columns and the
    conditions, which then hold no values of their own) it is built once per shape,
    sort, page size and cursor shape and kept on the model. Building it cost more than
    running it."""
    if owners is None or not 2 <= len(owners.ids) + owners.pool <= MAX_BRANCHES:
        return None
    postgres = dialect == "postgresql"
    parameters = query.keyset_parameters()
    if postgres:
        parameters["owner_ids"] = list(owners.ids)
    else:
        parameters.update({f"owner_{i}": owner for i, owner in enumerate(owners.ids)})

    def build() -> sa.Select:
        return _statement(model, query, columns(), conditions, owners, postgres)

    if shape is None:
        return build(), parameters
    key = ("owner_page", shape, tuple((k.name, k.descending) for k in query.sort),
           query.limit, query.keyset_shape(), owners.pool, postgres,
           None if postgres else len(owners.ids))
    return model.statement(key, build), parameters


def _statement(model: EntityModel, query: ListQuery, columns: Sequence[sa.ColumnElement],
               conditions: Sequence[sa.ColumnElement], owners: OwnerSet, postgres: bool
               ) -> sa.Select:
    table = model.table
    limit = query.limit + 1
    keyset = [k for k in (query.keyset_condition(named=True),) if k is not None]
    keys = [key.column.label(f"k{i}") for i, key in enumerate(query.sort)]
    order = query.order_by()

    def branch(part: sa.ColumnElement, ordered: Sequence[sa.ColumnElement]) -> sa.Select:
        return (sa.select(table.c.id.label("picked_id"), *keys)
                .where(*conditions, part, *keyset).order_by(*ordered).limit(limit))

    branches: list[sa.Select] = []
    if postgres:
        ids = (sa.func.unnest(sa.bindparam("owner_ids", type_=postgresql.ARRAY(sa.BigInteger)))
               .table_valued("owner_id").render_derived(name="owners"))
        per_owner = branch(owners.column == ids.c.owner_id, order).lateral("per_owner")
        branches.append(sa.select(per_owner).select_from(ids.join(per_owner, sa.true())))
    else:
        branches.extend(sa.select(branch(owners.column == sa.bindparam(f"owner_{i}"), order)
                                  .subquery()) for i in range(len(owners.ids)))
    if owners.pool:
        # The pool's branch also sorts by the (empty) owner first: PostgreSQL does not
        # take "owner IS NULL" as fixing the owner, as it does "owner = 7", and would
        # not see that the (owner, …) index already yields the order.
        pool = branch(owners.column.is_(None), [*query.ordering([owners.column]), *order])
        branches.append(sa.select(pool.subquery()))
    picked = (sa.union_all(*branches) if len(branches) > 1 else branches[0]).subquery("picked")
    # Only the page's ids reach the outer statement, which reads their rows (and does
    # per-row work such as multi-reference arrays) n times, not n per owner.
    page = sa.select(picked.c.picked_id).order_by(*_order(query, picked)).limit(limit)
    return sa.select(*columns).where(table.c.id.in_(page)).order_by(*order).limit(limit)


def _order(query: ListQuery, source: sa.Subquery) -> list[sa.ColumnElement]:
    return query.ordering([source.c[f"k{i}"] for i in range(len(query.sort))])
