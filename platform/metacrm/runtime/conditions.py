"""Conditions written in definitions (``{field: value or [values]}``) as SQL and
as checks on a record in memory: role and rule conditions, rollup filters."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.visitors import replacement_traverse

from ..compile.compiled import Compiled
from ..compile.models import EntityModel
from ..compile.policy import Reach
from ..definitions import CURRENT_USER
from ..fieldtypes import FieldType
from .rows import Row


def where_condition(compiled: Compiled, model: EntityModel,
                    where: Iterable[tuple[str, Iterable[Any]]],
                    user_id: int | None = None) -> sa.ColumnElement:
    """All conditions hold; a name may follow references (``customer.lifecycle``).
    ``$user`` (in a role's conditions) stands for ``user_id``."""
    return sa.and_(*[_path_in(compiled, model, path.split("."), values, user_id)
                     for path, values in where])


def _path_in(compiled: Compiled, model: EntityModel, path: list[str], values: Iterable[Any],
             user_id: int | None) -> sa.ColumnElement:
    name = path[0]
    if len(path) > 1:
        target = compiled.models[model.entity.fields[name].to or ""]
        inner = _path_in(compiled, target, path[1:], values, user_id)
        return model.table.c[name].in_(sa.select(target.table.c.id).where(inner))
    return values_condition(model.table.c[name], field_type(model, name), values, user_id)


def field_type(model: EntityModel, name: str) -> FieldType:
    """The type of the value of field ``name`` (system fields included)."""
    return model.catalog.field_types[model.types[name]]


def values_condition(column: sa.ColumnElement, kind: FieldType, values: Iterable[Any],
                     user_id: int | None = None) -> sa.ColumnElement:
    """The column equals one of ``values`` (None stands for empty)."""
    wanted = list(values)
    typed = _typed(kind, wanted, user_id)
    condition = column.in_(typed) if typed else sa.false()
    return sa.or_(condition, column.is_(None)) if None in wanted else condition


def _typed(kind: FieldType, values: list[Any], user_id: int | None) -> list[Any]:
    """The values as the field holds them; ``$user`` is the user (none: no value)."""
    typed = [typed_literal(kind, v) for v in values if v is not None and v != CURRENT_USER]
    if CURRENT_USER in values and user_id is not None:
        typed.append(user_id)
    return typed


def typed_literal(kind: FieldType, value: Any) -> Any:
    """A value written in a definition, as a field of ``kind`` holds it."""
    return kind.literal(value)


def record_matches(model: EntityModel, record: Row,
                   conditions: Mapping[str, Iterable[Any]], user_id: int | None = None
                   ) -> bool:
    """Whether a record in memory meets plain (not dotted) conditions."""
    for name, values in conditions.items():
        wanted = list(values)
        allowed = set(_typed(field_type(model, name), wanted, user_id))
        if None in wanted:
            allowed.add(None)
        if record.get(name) not in allowed:
            return False
    return True


def where_admits(conn: sa.Connection, compiled: Compiled, model: EntityModel,
                 record: Mapping[str, Any], reaches: Iterable[Reach], user_id: int) -> bool:
    """Whether a record not written yet meets the ``where`` of any of ``reaches``, the
    grants of ``user_id`` (their scopes aside: the caller knows who will hold it). Plain
    conditions are
    checked in memory; one that follows a reference asks the database, with the
    record's values standing in for its row."""
    for reach in reaches:
        plain = {name: values for name, values in reach.where if "." not in name}
        dotted = [(name, values) for name, values in reach.where if "." in name]
        if not record_matches(model, record, plain, user_id):
            continue
        if not dotted:
            return True
        condition = replacement_traverse(where_condition(compiled, model, dotted, user_id), {},
                                         _as_written(model, record))
        if conn.execute(sa.select(sa.case((condition, True), else_=False))).scalar():
            return True
    return False


def _as_written(model: EntityModel, record: Mapping[str, Any]) -> Any:
    """A replacement for the entity's columns: the record's values, typed alike."""
    def replace(element: Any, **_: Any) -> Any:
        if isinstance(element, sa.Column) and element.table is model.table:
            return sa.cast(sa.literal(record.get(element.name)), element.type)
        return None
    return replace
