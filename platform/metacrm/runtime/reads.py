"""Read records: one by id, pages of a list, with links and expansions filled in.

Each page costs a fixed number of queries (one for the rows, one per
multi-reference field, one per expanded reference), never one per row. Every
read is limited to the records the caller may read (the scope is part of the
statement) and shows only the fields they may see; an expanded reference the
caller may not read stays a bare id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from ..compile.compiled import Compiled
from ..compile.models import EntityModel
from .access import EntityAccess, Viewer
from .audit import record_history
from .links import link_column, link_ids
from .owner_pages import owner_page
from .query import ListQuery
from .rows import Row

USER_SUMMARY = ("id", "username", "name", "email")


def serialize(model: EntityModel, row: Row, names: Iterable[str]) -> dict[str, Any]:
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


def serialize_with_links(model: EntityModel, row: Row, columns: Iterable[str],
                         multi: Iterable[str]) -> dict[str, Any]:
    record = serialize(model, row, columns)
    for name in multi:
        record[name] = link_ids(row[name])
    return record


def row_shape(model: EntityModel, selected: list[str], columns: list[str], multi: list[str]
              ) -> Callable[[Sequence[Any]], dict[str, Any]]:
    """A function from a row of ``selected_columns(model, selected, multi)`` (a tuple,
    in that order) to the record shown: ``columns`` converted to their JSON values and
    ``multi`` as sorted id lists. Built once per model and shape: a page converts
    fifty rows, and looking up each value's converter by name cost more than reading
    the rows."""

    def build() -> Callable[[Sequence[Any]], dict[str, Any]]:
        names = [*selected, *multi]
        extra = [n for n in selected if n not in columns]
        converted = [(n, c) for n in columns if (c := model.converters.get(n)) is not None]

        def shape(row: Sequence[Any]) -> dict[str, Any]:
            record = dict(zip(names, row, strict=True))
            for name, convert in converted:
                value = record[name]
                if value is not None:
                    record[name] = convert(value)
            for name in multi:
                record[name] = link_ids(record[name])
            for name in extra:
                del record[name]
            return record
        return shape

    return model.statement(("shape", tuple(selected), tuple(columns), tuple(multi)), build)


def output_names(model: EntityModel, fields: list[str] | None,
                 hidden: frozenset[str] = frozenset()) -> tuple[list[str], list[str]]:
    """(column names, multi-reference names) to return."""
    multi = [f.name for f in model.multi_references if f.name not in hidden]
    if fields is None:
        return [n for n in model.output_columns if n not in hidden], multi
    wanted = ["id", "version"] + [n for n in fields if n not in ("id", "version")]
    return [n for n in wanted if n not in multi], [n for n in wanted if n in multi]


def get_record(conn: sa.Connection, viewer: Viewer, model: EntityModel, record_id: int,
               *, deleted: bool = False, query: ListQuery | None = None,
               operation: str = "read") -> dict[str, Any] | None:
    """The record if it exists and ``operation`` reaches it; else None."""
    table = model.table
    access = viewer.of(model)
    fields = query.fields if query else None
    columns, multi = output_names(model, fields, access.hidden)
    scope = reach(access, operation)

    def build() -> sa.Select:
        condition = table.c.deleted_at.is_not(None) if deleted else table.c.deleted_at.is_(None)
        return sa.select(*selected_columns(model, columns, multi)).where(
            table.c.id == sa.bindparam("record_id"), condition)

    # Unscoped forms are kept, one per set of columns (``model.statement`` keeps a
    # bounded number of them: ``?fields=`` is the client's choice); a scope holds the
    # caller's ids and is built each time.
    if scope is None:
        statement = model.statement(("get", deleted, tuple(columns), tuple(multi)), build)
    else:
        statement = build().where(scope)
    row = conn.execute(statement, {"record_id": record_id}).first()
    if row is None:
        return None
    items = [row_shape(model, columns, columns, multi)(row)]
    _attach(conn, viewer, model, items, query.expand if query else [])
    return items[0]


def list_records(conn: sa.Connection, viewer: Viewer, model: EntityModel, query: ListQuery,
                 *, deleted: bool = False, operation: str = "read") -> dict[str, Any]:
    table = model.table
    access = viewer.of(model)
    live = table.c.deleted_at.is_not(None) if deleted else table.c.deleted_at.is_(None)
    conditions = [live, *query.conditions]
    columns, multi = output_names(model, query.fields, access.hidden)
    if deleted:  # the recycle bin says when each record went there
        columns = list(dict.fromkeys(columns + ["deleted_at"]))
    selected = list(dict.fromkeys(columns + [k.name for k in query.sort]))
    # A scope of a few owners reads their index ranges one by one (owner_pages.py);
    # only where the read is the operation's whole scope (see reach). Without filters
    # the statement holds no values and is built once per shape (the columns say
    # which fields the caller sees).
    owners = (access.owners(operation)
              if operation == "read" or access.policy.read_covers(operation) else None)
    statement_key = None if query.conditions else ("list", deleted, tuple(selected),
                                                   tuple(multi))
    page = owner_page(model, query, lambda: selected_columns(model, selected, multi),
                      conditions, owners, conn.dialect.name, statement_key)
    # The scope as one condition, for the plain statement and the count only.
    scope = reach(access, operation) if page is None or query.count else None
    if scope is not None:
        conditions.append(scope)
    if page is None:
        statement = sa.select(*selected_columns(model, selected, multi)).where(*conditions)
        keyset = query.keyset_condition()
        if keyset is not None:
            statement = statement.where(keyset)
        statement = statement.order_by(*query.order_by()).limit(query.limit + 1)
        rows = conn.execute(statement).all()
    else:
        rows = conn.execute(*page).all()
    next_cursor = (query.cursor_for(rows[query.limit - 1]._mapping)
                   if len(rows) > query.limit else None)
    shape = row_shape(model, selected, columns, multi)
    items = [shape(row) for row in rows[: query.limit]]
    _attach(conn, viewer, model, items, query.expand)
    result: dict[str, Any] = {"items": items, "next_cursor": next_cursor}
    if query.count:
        counting = sa.select(sa.func.count()).select_from(table).where(*conditions)
        result["count"] = conn.execute(counting).scalar_one()
    return result


def reach(access: EntityAccess, operation: str) -> sa.ColumnElement | None:
    """The records a read for ``operation`` may show: those the operation reaches
    that the caller may also read (the recycle bin is for deleting, but shows only
    what its reader may see)."""
    scope = access.condition(operation)
    if operation == "read" or access.policy.read_covers(operation):
        return scope
    read = access.condition("read")
    if scope is None:
        return read
    return scope if read is None else sa.and_(scope, read)


def count_records(conn: sa.Connection, viewer: Viewer, model: EntityModel) -> int:
    """How many live records the caller may read."""
    table = model.table
    statement = sa.select(sa.func.count()).select_from(table).where(table.c.deleted_at.is_(None))
    scope = viewer.of(model).condition("read")
    return int(conn.execute(statement if scope is None else statement.where(scope)).scalar_one())


def read_history(conn: sa.Connection, viewer: Viewer, model: EntityModel, record_id: int,
                 lang: str) -> list[dict[str, Any]] | None:
    """The audit trail of a record the caller may read (deleted ones included), without
    the fields they may not see; None when there is no such record for them."""
    access = viewer.of(model)
    table = model.table
    statement = sa.select(table.c.id).where(table.c.id == record_id)
    scope = access.condition("read")
    if conn.execute(statement if scope is None else statement.where(scope)).first() is None:
        return None
    return record_history(conn, viewer.compiled, model.name, record_id, lang,
                          hidden=access.hidden)


def _attach(conn: sa.Connection, viewer: Viewer, model: EntityModel,
            items: list[dict[str, Any]], expand: list[list[str]]) -> None:
    if not items:
        return
    for first in dict.fromkeys(path[0] for path in expand):
        deeper = [path[1:] for path in expand if path[0] == first and len(path) > 1]
        _expand(conn, viewer, model, items, first, deeper)


def _expand(conn: sa.Connection, viewer: Viewer, model: EntityModel,
            items: list[dict[str, Any]], name: str, deeper: list[list[str]]) -> None:
    compiled = viewer.compiled
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
        found = _records(conn, viewer, target, ids, deeper)
    for item in items:
        value = item.get(name)
        if isinstance(value, list):
            item[name] = [found.get(v, v) for v in value]
        elif value is not None:
            item[name] = found.get(value, value)


def _users(conn: sa.Connection, compiled: Compiled, ids: set[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    users = compiled.tables.users
    rows = conn.execute(sa.select(*[users.c[n] for n in USER_SUMMARY])
                        .where(users.c.id.in_(ids))).mappings()
    return {row["id"]: dict(row) for row in rows}


def _records(conn: sa.Connection, viewer: Viewer, model: EntityModel, ids: set[int],
             deeper: list[list[str]]) -> dict[int, dict[str, Any]]:
    """The live records among ``ids`` that the caller may read (others stay ids)."""
    access = viewer.of(model)
    if not ids or not access.allows("read"):
        return {}
    columns, multi = output_names(model, None, access.hidden)
    statement = sa.select(*selected_columns(model, columns, multi)).where(
        model.table.c.id.in_(ids), model.table.c.deleted_at.is_(None))
    scope = access.condition("read")
    if scope is not None:
        statement = statement.where(scope)
    rows = conn.execute(statement).mappings().all()
    items = [serialize_with_links(model, row, columns, multi) for row in rows]
    _attach(conn, viewer, model, items, deeper)
    return {item["id"]: item for item in items}
