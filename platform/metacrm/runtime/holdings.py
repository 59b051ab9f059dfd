"""How many records a user holds, and the hold limit their roles set
(销售保有量: a salesperson may hold at most so many customers)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from ..base.context import Context
from ..base.problems import Conflict
from ..compile.compiled import Compiled
from ..compile.models import EntityModel
from ..i18n import message
from ..identity.principals import principal_of
from .conditions import record_matches, where_condition
from .rows import Row


def owner_column(model: EntityModel) -> str | None:
    """The user field holding the owner directly (None: no such field)."""
    return model.entity.owner_field


def counts_towards_limit(model: EntityModel, record: Row) -> bool:
    pool = model.entity.pool
    excluded = pool.hold_limit_excludes if pool else {}
    return not excluded or not record_matches(model, record, excluded)


def held_counts(conn: sa.Connection, compiled: Compiled, model: EntityModel,
                user_ids: Iterable[int]) -> dict[int, int]:
    """Live records each user holds that count towards a hold limit."""
    owner = owner_column(model)
    ids = sorted(set(user_ids))
    if owner is None or not ids:
        return {}
    column = model.table.c[owner]
    statement = (sa.select(column, sa.func.count()).where(
        column.in_(ids), model.table.c.deleted_at.is_(None)).group_by(column))
    pool = model.entity.pool
    if pool is not None and pool.hold_limit_excludes:
        # NOT on its own would leave out records whose field is empty (NULL is not false).
        statement = statement.where(sa.not_(sa.func.coalesce(where_condition(
            compiled, model, pool.hold_limit_excludes.items()), sa.false())))
    counts = dict.fromkeys(ids, 0)
    counts.update({row[0]: row[1] for row in conn.execute(statement)})
    return counts


def lock_user(conn: sa.Connection, compiled: Compiled, user_id: int) -> None:
    """Serialize everything that adds to one user's holdings (two claims at once
    by the same salesperson must not both pass the limit check)."""
    users = compiled.tables.users
    conn.execute(sa.select(users.c.id).where(users.c.id == user_id).with_for_update())


def check_hold_limit(conn: sa.Connection, compiled: Compiled, model: EntityModel,
                     ctx: Context, limit: int | None, user_id: int | None,
                     gained: Iterable[Mapping[str, Any]]) -> None:
    """Refuse (409) when ``user_id`` taking ``gained`` would hold more than ``limit``."""
    if limit is None or user_id is None:
        return
    adding = sum(1 for record in gained if counts_towards_limit(model, record))
    if not adding:
        return
    lock_user(conn, compiled, user_id)
    held = held_counts(conn, compiled, model, [user_id])[user_id]
    if held + adding > limit:
        raise Conflict(message("hold_limit", ctx.locale, held=held, limit=limit,
                               entity=model.entity.plural.get(ctx.locale)))


def hold_limit_of(conn: sa.Connection, compiled: Compiled, model: EntityModel,
                  user_id: int) -> int | None:
    """The hold limit ``user_id``'s own roles set on the entity (None: no limit)."""
    principal = principal_of(conn, compiled.metadata, user_id)
    if principal is None:
        return None
    return compiled.policy.entity(principal.roles, principal.admin, model.name).hold_limit


def record_holder(conn: sa.Connection, compiled: Compiled, model: EntityModel,
                  record: Row) -> int | None:
    """Who holds ``record``: its owner field, or, for a record held through a reference
    (``owned_by: customer``), whoever holds the referenced record."""
    entity = model.entity
    field = entity.fields.get(entity.owned_by or "")
    current: Row | None = record
    while field is not None and field.type == "reference" and current is not None:
        target = compiled.models[field.to or ""]
        referenced = current.get(field.name)
        if referenced is None:
            return None
        current = conn.execute(sa.select(target.table).where(target.table.c.id == referenced)
                               ).mappings().first()
        field = target.entity.fields.get(target.entity.owned_by or "")
    if field is None or current is None:
        return None
    holder = current.get(field.name)
    return int(holder) if holder is not None else None
