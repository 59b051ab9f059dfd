"""Delete records to the recycle bin and restore them, with what their references
say must follow: restrict, cascade or set_null (see docs/definitions.md)."""

from __future__ import annotations

import sqlalchemy as sa

from ..base.context import Context
from ..base.problems import Conflict
from ..compile.compiled import Compiled
from ..compile.models import EntityModel
from ..i18n import message
from .access import Viewer
from .audit import audit_changes
from .audit_notes import record as record_part
from .audit_notes import records as records_part
from .audit_notes import written
from .integrity import unique_guard
from .locks import refuse_parent_locks, refuse_read_only, refuse_while_pending
from .operation import Operation
from .rollups import parents_in, parents_of, refresh_rollups
from .rows import Row
from .stored_rows import check_version, lock_reachable, not_found


def delete_record(conn: sa.Connection, compiled: Compiled, model: EntityModel, ctx: Context,
                  record_id: int, expected_version: int | None) -> None:
    viewer = Viewer(compiled, ctx.principal, conn)
    viewer.of(model).require("delete", ctx)
    current = lock_reachable(conn, viewer, model, record_id, ctx, "delete")
    check_version(current, expected_version, ctx)
    refuse_while_pending(Operation(conn, compiled, ctx), model, record_id)
    soft_delete(conn, viewer, model, ctx, [record_id], note=None)


def restore_record(conn: sa.Connection, compiled: Compiled, model: EntityModel, ctx: Context,
                   record_id: int) -> None:
    viewer = Viewer(compiled, ctx.principal, conn)
    access = viewer.of(model)
    access.require("delete", ctx)
    table = model.table
    statement = sa.select(table).where(table.c.id == record_id).with_for_update()
    scope = access.condition("delete")
    row = conn.execute(statement if scope is None else statement.where(scope)
                       ).mappings().first()
    if row is None:
        raise not_found(model, record_id, ctx)
    if row["deleted_at"] is None:
        raise Conflict(message("not_deleted", ctx.locale))
    _restore(conn, compiled, model, ctx, row, note=None)


def soft_delete(conn: sa.Connection, viewer: Viewer, model: EntityModel, ctx: Context,
                ids: list[int], note: str | None) -> None:
    compiled = viewer.compiled
    table = model.table
    _refuse_locked(conn, compiled, model, ids, ctx)
    conn.execute(table.update().where(table.c.id.in_(ids)).values(
        deleted_at=ctx.now, version=table.c.version + 1, updated_at=ctx.now,
        updated_by=ctx.user_id))
    audit_changes(conn, compiled, ctx, model.name, "delete", [(i, {}) for i in ids], note)
    refresh_rollups(conn, compiled, model, parents_of(conn, model, ids), ctx)
    for incoming in model.incoming:
        other = compiled.models[incoming.entity]
        column = other.table.c[incoming.field.name]
        referrers = list(conn.execute(sa.select(other.table.c.id).where(
            column.in_(ids), other.table.c.deleted_at.is_(None)).order_by(other.table.c.id)
        ).scalars())
        if not referrers:
            continue
        rule = incoming.field.on_delete
        if rule == "restrict":
            raise Conflict(message("restricted", ctx.locale, count=len(referrers),
                                   entity=other.entity.label.get(ctx.locale),
                                   field=incoming.field.name,
                                   ids=_shown_ids(conn, viewer, other, referrers)))
        refuse_while_pending(Operation(conn, compiled, ctx), other, referrers)
        cause = record_part(model.name, ids[0]) if len(ids) == 1 \
            else records_part(model.name, len(ids))
        if rule == "cascade":
            soft_delete(conn, viewer, other, ctx, referrers,
                        note=written("note_cascade", cause=cause))
        else:
            old_values = dict(conn.execute(sa.select(other.table.c.id, column).where(
                other.table.c.id.in_(referrers))).all())
            conn.execute(other.table.update().where(other.table.c.id.in_(referrers)).values(
                {column: None, "version": other.table.c.version + 1, "updated_at": ctx.now,
                 "updated_by": ctx.user_id}))
            cleared = [(i, {incoming.field.name: [old_values.get(i), None]}) for i in referrers]
            audit_changes(conn, compiled, ctx, other.name, "update", cleared,
                          written("note_cleared", cause=cause))


def _refuse_locked(conn: sa.Connection, compiled: Compiled, model: EntityModel,
                   ids: list[int], ctx: Context) -> None:
    """Records in a read-only state, and those feeding a pending chain or pointing at a
    read-only record, are not deleted (see locks.py)."""
    workflow = compiled.workflows.get(model.name)
    states = [workflow.field] if workflow is not None and workflow.read_only else []
    references = [lock.hops[0].reference for lock in model.chain_locks] + [
        lock.reference for lock in model.state_locks]
    if not states and not references:
        return
    table = model.table
    rows = conn.execute(sa.select(table.c.id, *(table.c[name] for name in sorted(
        set(states + references)))).where(table.c.id.in_(ids))).mappings().all()
    op = Operation(conn, compiled, ctx)
    refuse_read_only(op, model, rows)
    refuse_parent_locks(op, model, rows)


def _shown_ids(conn: sa.Connection, viewer: Viewer, model: EntityModel, ids: list[int]) -> str:
    """The first few referrers the caller may read (the others are only counted)."""
    scope = viewer.read_condition(model)
    if scope is not None:
        ids = list(conn.execute(sa.select(model.table.c.id).where(
            model.table.c.id.in_(ids), scope).order_by(model.table.c.id)).scalars())
    return ", ".join(str(i) for i in ids[:5]) + ("…" if len(ids) > 5 else "") or "-"


def _restore(conn: sa.Connection, compiled: Compiled, model: EntityModel, ctx: Context,
             row: Row, note: str | None) -> None:
    """Bring back ``row`` and everything its deletion cascaded to, then check that
    every restored record refers only to live records (siblings included)."""
    restored: list[tuple[EntityModel, Row, str | None]] = []
    _undelete(conn, compiled, model, ctx, row, note, restored)
    for each_model, each_row, _ in restored:
        for field_def in each_model.entity.fields.values():
            value = each_row.get(field_def.name)
            if field_def.type != "reference" or value is None:
                continue
            target = compiled.models[field_def.to or ""]
            alive = conn.execute(sa.select(target.table.c.id).where(
                target.table.c.id == value, target.table.c.deleted_at.is_(None))).first()
            if alive is None:
                raise Conflict(message("restore_reference", ctx.locale,
                                       entity=target.entity.label.get(ctx.locale), id=value,
                                       field=field_def.name))
    for each_model, each_row, each_note in restored:
        refuse_parent_locks(Operation(conn, compiled, ctx), each_model, [each_row])
        audit_changes(conn, compiled, ctx, each_model.name, "restore",
                      [(each_row["id"], {})], each_note)
        refresh_rollups(conn, compiled, each_model, parents_in(each_model, [each_row]), ctx)


def _undelete(conn: sa.Connection, compiled: Compiled, model: EntityModel, ctx: Context,
              row: Row, note: str | None,
              restored: list[tuple[EntityModel, Row, str | None]]) -> None:
    table = model.table
    unique_guard(lambda: conn.execute(table.update().where(table.c.id == row["id"]).values(
        deleted_at=None, version=table.c.version + 1, updated_at=ctx.now,
        updated_by=ctx.user_id)), ctx)
    restored.append((model, row, note))
    for incoming in model.incoming:
        if incoming.field.on_delete != "cascade":
            continue
        other = compiled.models[incoming.entity]
        # Children deleted in the same instant were deleted by this cascade.
        children = conn.execute(sa.select(other.table).where(
            other.table.c[incoming.field.name] == row["id"],
            other.table.c.deleted_at == row["deleted_at"])).mappings().all()
        for child in children:
            _undelete(conn, compiled, other, ctx, child,
                      written("note_restored_with", cause=record_part(model.name, row["id"])),
                      restored)
