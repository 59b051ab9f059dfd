"""Record scopes as SQL: which records of an entity a user reaches.

A scope becomes a condition the database evaluates inside the list, get or
write statement itself, never a filter applied in Python after fetching.
Ownership is the entity's ``owned_by`` field: a user field holds the owner,
a reference makes the record follow the record it refers to; an entity
without ``owned_by`` is owned by whoever created each record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from ..compile.compiled import Compiled
from ..compile.models import EntityModel
from ..compile.policy import Reach
from .conditions import where_condition
from .people import People, subordinates, team_mates
from .sqlfunctions import among

# Whether the caller may see the pool of an entity (they may claim from it).
SeesPool = Callable[[EntityModel], bool]


@dataclass(frozen=True)
class OwnerSet:
    """A scope that is exactly "held by one of these users" (and perhaps "or in the
    pool"): the records a list may read one owner at a time, each along an index
    that starts with the owner column (see owner_pages.py)."""

    column: sa.ColumnElement
    ids: tuple[int, ...]
    pool: bool


def owner_set(compiled: Compiled, model: EntityModel, user_id: int | None,
              reaches: Sequence[Reach], sees_pool: SeesPool, people: People | None
              ) -> OwnerSet | None:
    """The scope of ``reaches`` as an OwnerSet, when it is one: every grant reaches by
    owner alone (no ``where``), the entity's owner is a user column (not a reference),
    and the people are known as ids. None otherwise (the scope stays a condition)."""
    entity = model.entity
    field = entity.fields.get(entity.owned_by or "")
    if user_id is None or not reaches or (field is not None and field.type != "user"):
        return None
    ids: set[int] = set()
    for reach in reaches:
        if reach.where or reach.scope == "all":
            return None
        found = [user_id] if reach.scope == "own" else (
            people.of(reach.scope, user_id) if people is not None else None)
        if found is None:
            return None
        ids.update(found)
    column = model.table.c[field.name if field is not None else "created_by"]
    return OwnerSet(column, tuple(sorted(ids)), entity.pool is not None and sees_pool(model))


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
    if people is not None and ids is not None:
        return among(people.dialect, column, ids)
    if scope == "team":
        return sa.or_(column == user_id, column.in_(team_mates(compiled, user_id)))
    return column.in_(subordinates(compiled, user_id))
