"""The public pool (公海): list it, claim a record from it, release a held record
into it with a reason (idle records return on their own: ``pool_returns.py``).

A record is in the pool while its owner field is empty. Every change of hands
sets the owner, the pool's ``on_claim``/``on_return`` values and ``assigned_at``
in one guarded UPDATE, raises the version and is audited ("claim", "release",
"return") like any other write. Nothing here knows about HTTP or Flask.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from ..base.context import Context
from ..base.problems import Conflict, Forbidden, Invalid, NotFound, PreconditionFailed
from ..compile.compiled import Compiled
from ..compile.models import EntityModel
from ..definitions import PoolDef
from ..i18n import message, operation_name
from ..values import to_utc
from .access import EntityAccess, Viewer
from .audit import field_changes, write_audit
from .computed import apply_formulas
from .conditions import field_type, typed_literal, where_condition
from .holdings import check_hold_limit, owner_column
from .links import link_column, link_ids
from .query import ListQuery
from .reads import list_records, serialize
from .rollups import merge, parents_in, refresh_rollups
from .rows import Row
from .stored_rows import check_version, not_found

MAX_REASON = 500
# A pool record edited by someone else while being claimed is read again; after
# this many tries the claim gives up with a 409 rather than loop.
CLAIM_ATTEMPTS = 3
# A claim that finds the record gone from the caller's sight this soon after someone
# else claimed it lost a race (409), rather than asked for a record it cannot see (404),
# provided that the caller would have seen it in the pool (see ``_lost_race``).
CLAIM_RACE_WINDOW = timedelta(minutes=10)


def pool_of(model: EntityModel, ctx: Context) -> tuple[PoolDef, str]:
    """The entity's pool and owner field; 404 for an entity without a pool."""
    pool, owner = model.entity.pool, owner_column(model)
    if pool is None or owner is None:
        raise NotFound(message("no_pool", ctx.locale,
                               entity=model.entity.plural.get(ctx.locale)), key="entity")
    return pool, owner


def list_pool(conn: sa.Connection, viewer: Viewer, model: EntityModel,
              query: ListQuery) -> dict[str, Any]:
    """The records nobody holds that ``query`` matches, as the caller may read them.
    Callers first make sure that the entity has a pool and that the caller may
    claim from it (``pool_of``, ``require("claim")``), before the query is parsed."""
    owner = owner_column(model)
    assert model.entity.pool is not None and owner is not None
    pooled = replace(query, conditions=[*query.conditions, model.table.c[owner].is_(None)])
    return list_records(conn, viewer, model, pooled)


def claim(conn: sa.Connection, compiled: Compiled, model: EntityModel, ctx: Context,
          record_id: int, expected_version: int | None = None) -> dict[str, Any]:
    """Take a record from the pool for the caller; returns it as the caller sees it.

    Two callers claiming one record at once: the UPDATE only applies while the
    owner is still empty (and the version is the one read), so exactly one
    wins; a loser that had read the record in the pool learns it is taken
    (409). One that reads it only after the winner committed no longer sees it
    and gets 404, as for any record outside its scope. The caller's hold limit
    is checked under a lock on their user row, so concurrent claims by one
    person cannot pass the limit together."""
    pool, owner = pool_of(model, ctx)
    viewer = Viewer(compiled, ctx.principal)
    access = viewer.of(model)
    access.require("claim", ctx)
    if ctx.user_id is None:  # the platform itself holds nothing
        raise Forbidden(message("forbidden", ctx.locale,
                                operation=operation_name("claim", ctx.locale),
                                entity=model.entity.plural.get(ctx.locale)))
    for _ in range(CLAIM_ATTEMPTS):
        current = _visible_row(conn, access, model, record_id, ctx,
                               lambda: _lost_race(conn, access, model, record_id, ctx))
        if current[owner] is not None:
            raise _held(model, record_id, current[owner], ctx)
        _require_claimable(conn, access, model, record_id, ctx)
        check_version(current, expected_version, ctx)
        values = {owner: ctx.user_id, **typed_values(model, pool.on_claim)}
        if pool.assigned_at:
            values[pool.assigned_at] = ctx.now
        record, changes = changed_record(model, current, values, ctx)
        check_hold_limit(conn, compiled, model, ctx, access.policy.hold_limit, ctx.user_id,
                         [record])
        table = model.table
        result = conn.execute(table.update().where(
            table.c.id == record_id, table.c[owner].is_(None), table.c.deleted_at.is_(None),
            table.c.version == current["version"]).values(_column_values(model, record, changes,
                                                                         current, ctx)))
        if result.rowcount == 1:
            return _finish(conn, compiled, model, access, ctx, "claim", current, record,
                           changes, note=None)
        _explain_lost_claim(conn, model, owner, record_id, expected_version, ctx)
    raise Conflict(message("claim_busy", ctx.locale, entity=model.entity.label.get(ctx.locale),
                           id=record_id))


def release(conn: sa.Connection, compiled: Compiled, model: EntityModel, ctx: Context,
            record_id: int, reason: Any, expected_version: int | None = None
            ) -> dict[str, Any]:
    """Return a held record to the pool by hand, saying why (the audit note)."""
    pool, owner = pool_of(model, ctx)
    viewer = Viewer(compiled, ctx.principal)
    access = viewer.of(model)
    access.require("release", ctx)
    note = release_reason(reason, ctx)
    current = _lock_held(conn, access, model, owner, record_id, ctx)
    check_version(current, expected_version, ctx)
    record, changes = changed_record(model, current, return_values(model, pool, owner, ctx.now),
                                     ctx)
    table = model.table
    result = conn.execute(table.update().where(
        table.c.id == record_id, table.c[owner].is_not(None),
        table.c.version == current["version"]).values(_column_values(model, record, changes,
                                                                     current, ctx)))
    if result.rowcount != 1:  # cannot happen under the row lock; fail loudly if it does
        raise PreconditionFailed(message("stale", ctx.locale, expected=current["version"],
                                         actual="?"))
    return _finish(conn, compiled, model, access, ctx, "release", current, record, changes,
                   note=note)


def typed_values(model: EntityModel, values: Mapping[str, Any]) -> dict[str, Any]:
    """Values written in a definition (``on_claim``, ``on_return``) as the fields hold them."""
    return {name: value if value is None else typed_literal(field_type(model, name), value)
            for name, value in values.items()}


def return_values(model: EntityModel, pool: PoolDef, owner: str,
                  now: datetime) -> dict[str, Any]:
    """What a return to the pool writes: no owner, the pool's ``on_return`` values, no
    ``assigned_at``, and ``returned_at`` stamped ``now``."""
    values: dict[str, Any] = {owner: None, **typed_values(model, pool.on_return)}
    if pool.assigned_at:
        values[pool.assigned_at] = None
    if pool.returned_at:
        values[pool.returned_at] = now
    return values


def release_reason(reason: Any, ctx: Context) -> str:
    """The reason given for a release, checked (422 when missing or too long)."""
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        raise Invalid({"reason": [message("reason_required", ctx.locale, max=MAX_REASON)]})
    if len(text) > MAX_REASON:
        raise Invalid({"reason": [message("max_length", ctx.locale, max=MAX_REASON)]})
    return text


def row_statement(model: EntityModel) -> sa.Select:
    links = [link_column(model, f.name) for f in model.multi_references]
    return sa.select(model.table, *links)


def _visible_row(conn: sa.Connection, access: EntityAccess, model: EntityModel,
                 record_id: int, ctx: Context, just_claimed: Callable[[], bool]) -> Row:
    """The live record if the caller may read it (pool records included), else 404 —
    or 409 when it left the pool to another claimant a moment ago: everyone who may
    claim saw it there, so saying it was taken reveals nothing.
    Not locked: the guarded UPDATE decides who wins."""
    table = model.table
    scope = access.condition("read") if access.allows("read") else sa.false()
    statement = row_statement(model).where(table.c.id == record_id,
                                            table.c.deleted_at.is_(None))
    row = conn.execute(statement if scope is None else statement.where(scope)
                       ).mappings().first()
    if row is None:
        if just_claimed():
            raise Conflict(message("claimed_meanwhile", ctx.locale,
                                   entity=model.entity.label.get(ctx.locale), id=record_id))
        raise not_found(model, record_id, ctx)
    return row


def _lost_race(conn: sa.Connection, access: EntityAccess, model: EntityModel,
               record_id: int, ctx: Context) -> bool:
    """Whether a record the caller cannot see left the pool to someone else a moment
    ago (its latest change a claim within CLAIM_RACE_WINDOW) while the caller would
    see it in the pool: otherwise the 409 would tell someone who never saw the
    record that it exists."""
    audit = access.compiled.tables.audit
    latest = conn.execute(sa.select(audit.c.action, audit.c.at).where(
        audit.c.entity == model.name, audit.c.record_id == record_id)
        .order_by(audit.c.id.desc()).limit(1)).first()
    if latest is None or latest.action != "claim" or (
            to_utc(latest.at) < ctx.now - CLAIM_RACE_WINDOW):
        return False
    return _seen_in_pool(conn, access, model, record_id)


def _seen_in_pool(conn: sa.Connection, access: EntityAccess, model: EntityModel,
                  record_id: int) -> bool:
    """Whether the caller would see the record were it in the pool: everyone who may
    claim sees the pool through their read grants, each narrowed by its ``where``
    (one without any takes in every pool record)."""
    if not access.allows("read"):
        return False
    reaches = access.policy.reach("read")
    if access.policy.unrestricted or any(not reach.where for reach in reaches):
        return True
    user_id = access.principal.user_id
    matches = sa.or_(*[where_condition(access.compiled, model, reach.where, user_id)
                       for reach in reaches])
    return conn.execute(sa.select(model.table.c.id).where(
        model.table.c.id == record_id, matches)).first() is not None


def _require_claimable(conn: sa.Connection, access: EntityAccess, model: EntityModel,
                       record_id: int, ctx: Context) -> None:
    """A role's claim grant may narrow the pool it claims from with ``where`` (its
    scope says nothing here: a pool record is nobody's). Readable but outside: 403."""
    if access.policy.unrestricted:
        return
    reaches = access.policy.reach("claim")
    if any(not reach.where for reach in reaches):
        return
    user_id = access.principal.user_id
    allowed = sa.or_(*[where_condition(access.compiled, model, reach.where, user_id)
                       for reach in reaches])
    inside = conn.execute(sa.select(model.table.c.id).where(
        model.table.c.id == record_id, allowed)).first()
    if inside is None:
        raise Forbidden(message("out_of_scope", ctx.locale,
                                entity=model.entity.label.get(ctx.locale), id=record_id))


def _held(model: EntityModel, record_id: int, holder: int, ctx: Context) -> Conflict:
    key = "already_yours" if holder == ctx.user_id else "already_held"
    return Conflict(message(key, ctx.locale, entity=model.entity.label.get(ctx.locale),
                            id=record_id, pool=_pool_label(model, ctx)))


def _explain_lost_claim(conn: sa.Connection, model: EntityModel, owner: str, record_id: int,
                        expected_version: int | None, ctx: Context) -> None:
    """Why the guarded UPDATE changed nothing. The caller saw the record in the pool
    inside this transaction, so saying that someone took it reveals nothing new.
    Returns only when the record is still in the pool but was edited meanwhile:
    the caller then tries again with what it is now."""
    table = model.table
    now = conn.execute(sa.select(table.c[owner], table.c.version, table.c.deleted_at).where(
        table.c.id == record_id)).first()
    if now is None or now.deleted_at is not None:
        raise not_found(model, record_id, ctx)
    if now[0] is not None:
        raise _held(model, record_id, now[0], ctx)
    check_version({"version": now.version}, expected_version, ctx)


def _lock_held(conn: sa.Connection, access: EntityAccess, model: EntityModel, owner: str,
               record_id: int, ctx: Context) -> Row:
    """Lock a held record the caller may both change and release (a salesperson
    their own, a manager their team's). In the pool: 409; not readable: 404;
    readable but out of reach: 403."""
    table = model.table
    scopes = [s for s in (access.condition("update"), access.condition("release"))
              if s is not None]
    row = conn.execute(row_statement(model).where(
        table.c.id == record_id, table.c.deleted_at.is_(None), *scopes)
        .with_for_update(of=table)).mappings().first()
    holder = row[owner] if row is not None else _readable_owner(conn, access, model, owner,
                                                                 record_id, ctx)
    if holder is None:
        raise Conflict(message("not_held", ctx.locale, id=record_id,
                               entity=model.entity.label.get(ctx.locale),
                               pool=_pool_label(model, ctx)))
    if row is None:
        raise Forbidden(message("out_of_scope", ctx.locale,
                                entity=model.entity.label.get(ctx.locale), id=record_id))
    return row


def _readable_owner(conn: sa.Connection, access: EntityAccess, model: EntityModel,
                    owner: str, record_id: int, ctx: Context) -> int | None:
    """The holder of a live record the caller may read (None: in the pool); 404 if
    the caller may not read it."""
    table = model.table
    scope = access.condition("read") if access.allows("read") else sa.false()
    statement = sa.select(table.c[owner]).where(table.c.id == record_id,
                                                table.c.deleted_at.is_(None))
    found = conn.execute(statement if scope is None else statement.where(scope)).first()
    if found is None:
        raise not_found(model, record_id, ctx)
    return found[0]


def _pool_label(model: EntityModel, ctx: Context) -> str:
    pool = model.entity.pool
    return pool.label.get(ctx.locale) if pool else ""


def changed_record(model: EntityModel, current: Row, values: Mapping[str, Any],
             ctx: Context) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """The record after ``values`` (formulas computed again) and its audit changes."""
    record = dict(current)
    record.update({f.name: link_ids(current[f.name]) for f in model.multi_references})
    record.update(values)
    apply_formulas(model, record, ctx)
    names = [n for n in dict.fromkeys([*values, *(f.name for f, _ in model.formulas)])
             if n in model.table.c]
    changes = field_changes({n: current[n] for n in names}, {n: record[n] for n in names})
    return record, changes


def _column_values(model: EntityModel, record: dict[str, Any],
                   changes: Mapping[str, Any], current: Row, ctx: Context
                   ) -> dict[str, Any]:
    """What the UPDATE writes: the changed fields and the bookkeeping columns (also
    put into ``record``, which is what the caller is shown)."""
    values = {name: record[name] for name in changes}
    values.update(version=current["version"] + 1, updated_at=ctx.now, updated_by=ctx.user_id)
    record.update(values)
    return values


def _finish(conn: sa.Connection, compiled: Compiled, model: EntityModel, access: EntityAccess,
            ctx: Context, action: str, current: Row, record: dict[str, Any],
            changes: dict[str, list[Any]], note: str | None) -> dict[str, Any]:
    """Audit the change, keep rollups fed by the record current; the record as shown."""
    write_audit(conn, compiled.tables.audit, ctx, model.name, action,
                [(record["id"], changes)], note)
    if model.feeds:
        refresh_rollups(conn, compiled, model, merge(parents_in(model, [current]),
                                                     parents_in(model, [record])), ctx)
    shown = serialize(model, record, model.output_columns)
    shown.update({f.name: record[f.name] for f in model.multi_references})
    return access.visible(shown)
