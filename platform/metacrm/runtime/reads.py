"""Read records: one by id, pages of a list, with links and expansions filled in.

Each page costs a fixed number of queries (one for the rows, one per
multi-reference field, one per expanded reference), never one per row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from ..compile.compiled import Compiled
from ..compile.models import EntityModel
from ..compile.tables import USERS_TABLE
from .links import link_column, link_ids
from .query import ListQuery

USER_SUMMARY = ("id", "username", "name", "email")


def serialize(model: EntityModel, row: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    record: dict[str, Any] = {}
    converters = model.converters
    for name in names:
        value = row[name]
        if value is not None:
            convert = converters.get(name)
            if convert is not None:
                value = convert(value)
        record[name] = value
    return record


def selected_columns(model: EntityModel, columns: Iterable[str], multi: Iterable[str]
                     ) -> list[sa.ColumnElement]:
    return [model.table.c[n] for n in columns] + [link_column(model, n) for n in multi]


def serialize_with_links(model: EntityModel, row: Mapping[str, Any], columns: Iterable[str],
                         multi: Iterable[str]) -> dict[str, Any]:
    record = serialize(model, row, columns)
    for name in multi:
        record[name] = link_ids(row[name])
    return record


def output_names(model: EntityModel, fields: list[str] | None) -> tuple[list[str], list[str]]:
    """(column names, multi-reference names) to return."""
    multi = [f.name for f in model.multi_references]
    if fields is None:
        return model.output_columns, multi
    wanted = ["id", "version"] + [n for n in fields if n not in ("id", "version")]
    return [n for n in wanted if n not in multi], [n for n in wanted if n in multi]


def get_record(conn: sa.Connection, compiled: Compiled, model: EntityModel, record_id: int,
               *, deleted: bool = False, query: ListQuery | None = None) -> dict[str, Any] | None:
    table = model.table
    fields = query.fields if query else None
    columns, multi = output_names(model, fields)

    def build() -> sa.Select:
        condition = table.c.deleted_at.is_not(None) if deleted else table.c.deleted_at.is_(None)
        return sa.select(*selected_columns(model, columns, multi)).where(
            table.c.id == sa.bindparam("record_id"), condition)

    # Only the plain forms are kept: ?fields= is the client's choice, and caching
    # every combination a client invents would grow without bound.
    statement = build() if fields is not None else model.statement(f"get:{deleted}", build)
    row = conn.execute(statement, {"record_id": record_id}).mappings().first()
    if row is None:
        return None
    items = [serialize_with_links(model, row, columns, multi)]
    _attach(conn, compiled, model, items, query.expand if query else [])
    return items[0]


def list_records(conn: sa.Connection, compiled: Compiled, model: EntityModel, query: ListQuery,
                 *, deleted: bool = False) -> dict[str, Any]:
    table = model.table
    live = table.c.deleted_at.is_not(None) if deleted else table.c.deleted_at.is_(None)
    columns, multi = output_names(model, query.fields)
    selected = list(dict.fromkeys(columns + [k.name for k in query.sort]))
    statement = sa.select(*selected_columns(model, selected, multi)).where(live,
                                                                            *query.conditions)
    keyset = query.keyset_condition()
    if keyset is not None:
        statement = statement.where(keyset)
    rows = conn.execute(statement.order_by(*query.order_by()).limit(query.limit + 1)
                        ).mappings().all()
    next_cursor = query.cursor_for(rows[query.limit - 1]) if len(rows) > query.limit else None
    items = [serialize_with_links(model, row, columns, multi) for row in rows[: query.limit]]
    _attach(conn, compiled, model, items, query.expand)
    result: dict[str, Any] = {"items": items, "next_cursor": next_cursor}
    if query.count:
        counting = sa.select(sa.func.count()).select_from(table).where(live, *query.conditions)
        result["count"] = conn.execute(counting).scalar_one()
    return result


def _attach(conn: sa.Connection, compiled: Compiled, model: EntityModel,
            items: list[dict[str, Any]], expand: list[list[str]]) -> None:
    if not items:
        return
    for first in dict.fromkeys(path[0] for path in expand):
        deeper = [path[1:] for path in expand if path[0] == first and len(path) > 1]
        _expand(conn, compiled, model, items, first, deeper)


def _expand(conn: sa.Connection, compiled: Compiled, model: EntityModel,
            items: list[dict[str, Any]], name: str, deeper: list[list[str]]) -> None:
    field_def = model.entity.fields.get(name)
    ids: set[int] = set()
    for item in items:
        value = item.get(name)
        if isinstance(value, list):
            ids.update(value)
        elif value is not None:
            ids.add(value)
    if field_def is None or field_def.type == "user":
        found = _users(conn, compiled, ids)
    else:
        target = compiled.models[field_def.to or ""]
        found = _records(conn, compiled, target, ids, deeper)
    for item in items:
        value = item.get(name)
        if isinstance(value, list):
            item[name] = [found.get(v, v) for v in value]
        elif value is not None:
            item[name] = found.get(value, value)


def _users(conn: sa.Connection, compiled: Compiled, ids: set[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    users = compiled.metadata.tables[USERS_TABLE]
    rows = conn.execute(sa.select(*[users.c[n] for n in USER_SUMMARY])
                        .where(users.c.id.in_(ids))).mappings()
    return {row["id"]: dict(row) for row in rows}


def _records(conn: sa.Connection, compiled: Compiled, model: EntityModel, ids: set[int],
             deeper: list[list[str]]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    columns = model.output_columns
    multi = [f.name for f in model.multi_references]
    rows = conn.execute(
        sa.select(*selected_columns(model, columns, multi))
        .where(model.table.c.id.in_(ids), model.table.c.deleted_at.is_(None))
    ).mappings().all()
    items = [serialize_with_links(model, row, columns, multi) for row in rows]
    _attach(conn, compiled, model, items, deeper)
    return {item["id"]: item for item in items}
