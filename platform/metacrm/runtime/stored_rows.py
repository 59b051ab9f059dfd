"""A stored record as a write finds it: its row (built once per model), locked for the
write within the caller's reach (404 for a record they may not read, 403 for one
they may read but not change), and its version checked against If-Match."""

from __future__ import annotations

import sqlalchemy as sa

from ..base.context import Context
from ..base.problems import Forbidden, NotFound, PreconditionFailed
from ..compile.models import EntityModel
from ..i18n import message
from .access import Viewer
from .links import link_column
from .rows import Row


def not_found(model: EntityModel, record_id: int, ctx: Context) -> NotFound:
    return NotFound(message("not_found", ctx.locale, entity=model.entity.label.get(ctx.locale),
                            id=record_id), key="id")


def lock_reachable(conn: sa.Connection, viewer: Viewer, model: EntityModel, record_id: int,
                   ctx: Context, operation: str) -> Row:
    """Lock the live record for ``operation``. A record the caller may not even read
    is 404 (its existence is not revealed); one they may read but not change, 403."""
    access = viewer.of(model)
    scope = access.condition(operation)
    if scope is None:
        statement = locking(model)
    else:
        statement = lock_statement(model).where(scope)
    row = conn.execute(statement, {"record_id": record_id}).mappings().first()
    if row is not None:
        return row
    read_scope = access.condition("read")
    visible = conn.execute(sa.select(model.table.c.id).where(
        model.table.c.id == record_id, model.table.c.deleted_at.is_(None),
        *([read_scope] if read_scope is not None else []))).first()
    if visible is not None:
        access_label = model.entity.label.get(ctx.locale)
        raise Forbidden(message("out_of_scope", ctx.locale, entity=access_label, id=record_id))
    raise not_found(model, record_id, ctx)


def locking(model: EntityModel) -> sa.Select:
    """``lock_statement`` of the model, built once (parameter ``record_id``)."""
    return model.statement("lock", lambda: lock_statement(model))


def row_statement(model: EntityModel) -> sa.Select:
    """The record's row as stored (parameter ``record_id``), built once."""
    table = model.table
    return model.statement("row", lambda: sa.select(table).where(
        table.c.id == sa.bindparam("record_id")))


def lock_statement(model: EntityModel) -> sa.Select:
    # The row lock is the table's (FOR UPDATE OF), not the link tables' read with it.
    table = model.table
    links = [link_column(model, f.name) for f in model.multi_references]
    return (sa.select(table, *links)
            .where(table.c.id == sa.bindparam("record_id"), table.c.deleted_at.is_(None))
            .with_for_update(of=table))


def check_version(row: Row, expected: int | None, ctx: Context) -> None:
    if expected is not None and row["version"] != expected:
        raise PreconditionFailed(message("stale", ctx.locale, expected=expected,
                                         actual=row["version"]))
