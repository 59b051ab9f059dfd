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
from .conditions import where_condition
from .people import People, subordinates, team_mates

# Whether the caller may see the pool of an entity (they may claim from it).
SeesPool = Callable[[EntityModel], bool]


def reach_condition(compiled: Compiled, model: EntityModel, user_id: int | None,
                    reaches: Iterable[Reach], sees_pool: SeesPool,
                    people: People | None = None) -> sa.ColumnElement | None:
    """Records any of ``reaches`` takes in; None means every record. With ``people``
    (bound to the request's connection) team and line scopes become id lists."""
    alternatives = []
    for reach in reaches:
        if reach.everything:
            return None
        parts = [where_condition(compiled, model, reach.where, user_id)] if reach.where else []
        if reach.scope != "all":
            parts.append(owner_condition(compiled, model, reach.scope, user_id, sees_pool,
                                         people))
        alternatives.append(sa.and_(*parts))
    return sa.or_(*alternatives) if alternatives else sa.false()


def owner_condition(compiled: Compiled, model: EntityModel, scope: str, user_id: int | None,
                    sees_pool: SeesPool, people: People | None = None) -> sa.ColumnElement:
    """Records held, at ``scope``, by the user (directly or through a reference)."""
    entity = model.entity
    field = entity.fields.get(entity.owned_by or "")
    # `metacrm check` refuses chains longer than MAX_OWNERSHIP_STEPS (and loops).
    if field is not None and field.type == "reference":
        target = compiled.models[field.to or ""]
        inner = owner_condition(compiled, target, scope, user_id, sees_pool, people)
        return model.table.c[field.name].in_(sa.select(target.table.c.id).where(inner))
    column = model.table.c[field.name if field is not None else "created_by"]
    held = _owners(compiled, column, scope, user_id, people)
    if entity.pool is not None and sees_pool(model):
        return sa.or_(held, column.is_(None))
    return held


def _owners(compiled: Compiled, column: sa.ColumnElement, scope: str, user_id: int | None,
            people: People | None) -> sa.ColumnElement:
    if user_id is None:
        return sa.false()
    if scope == "own":
        return column == user_id
    if scope not in ("team", "subordinates"):
        raise ValueError(f"unknown scope '{scope}'")
    ids = people.of(scope, user_id) if people is not None else None
    if ids is not None:
        return column.in_(ids)
    if scope == "team":
        return sa.or_(column == user_id, column.in_(team_mates(compiled, user_id)))
    return column.in_(subordinates(compiled, user_id))
