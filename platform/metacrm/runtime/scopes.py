"""Record scopes as SQL: which records of an entity a user reaches.

A scope becomes a condition the database evaluates inside the list, get or
write statement itself, never a filter applied in Python after fetching.
Ownership is the entity's ``owned_by`` field: a user field holds the owner,
a reference makes the record follow the record it refers to; an entity
without ``owned_by`` is owned by whoever created each record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import sqlalchemy as sa

from ..compile.compiled import Compiled
from ..compile.models import EntityModel
from ..compile.policy import Reach
from ..compile.tables import USERS_TABLE
from .conditions import where_condition

# Whether the caller may see the pool of an entity (they may claim from it).
SeesPool = Callable[[EntityModel], bool]


def reach_condition(compiled: Compiled, model: EntityModel, user_id: int | None,
                    reaches: Iterable[Reach], sees_pool: SeesPool) -> sa.ColumnElement | None:
    """Records any of ``reaches`` takes in; None means every record."""
    alternatives = []
    for reach in reaches:
        if reach.everything:
            return None
        parts = [where_condition(compiled, model, reach.where)] if reach.where else []
        if reach.scope != "all":
            parts.append(owner_condition(compiled, model, reach.scope, user_id, sees_pool))
        alternatives.append(sa.and_(*parts))
    return sa.or_(*alternatives) if alternatives else sa.false()


def owner_condition(compiled: Compiled, model: EntityModel, scope: str, user_id: int | None,
                    sees_pool: SeesPool, depth: int = 0) -> sa.ColumnElement:
    """Records held, at ``scope``, by the user (directly or through a reference)."""
    entity = model.entity
    field = entity.fields.get(entity.owned_by or "")
    if field is not None and field.type == "reference" and depth < 4:
        target = compiled.models[field.to or ""]
        inner = owner_condition(compiled, target, scope, user_id, sees_pool, depth + 1)
        return model.table.c[field.name].in_(sa.select(target.table.c.id).where(inner))
    column = model.table.c[field.name if field is not None else "created_by"]
    held = _owners(compiled, column, scope, user_id)
    if entity.pool is not None and sees_pool(model):
        return sa.or_(held, column.is_(None))
    return held


def _owners(compiled: Compiled, column: sa.ColumnElement, scope: str, user_id: int | None
            ) -> sa.ColumnElement:
    if user_id is None:
        return sa.false()
    if scope == "own":
        return column == user_id
    if scope == "team":
        members = compiled.metadata.tables["mc_team_members"]
        mine, theirs = members.alias("my_teams"), members.alias("team_mates")
        mates = (sa.select(theirs.c.user_id)
                 .join(mine, mine.c.team_id == theirs.c.team_id)
                 .where(mine.c.user_id == user_id))
        return sa.or_(column == user_id, column.in_(mates))
    if scope == "subordinates":
        return column.in_(subordinates(compiled, user_id))
    raise ValueError(f"unknown scope '{scope}'")


def subordinates(compiled: Compiled, user_id: int) -> sa.Select:
    """The user and everyone below them in the reporting line (a recursive query;
    UNION rather than UNION ALL, so that even a cycle in the data ends)."""
    users = compiled.metadata.tables[USERS_TABLE]
    tree = (sa.select(users.c.id.label("id")).where(users.c.id == user_id)
            .cte("reports", recursive=True, nesting=True))
    below = users.alias("below")
    tree = tree.union(sa.select(below.c.id).where(below.c.manager_id == tree.c.id))
    return sa.select(tree.c.id)
