"""Batch transfer (客户转移): give records, and the records their definition says go
with them, to another user, previewed first and then done in one transaction.

One function does both. A preview only reads; a transfer first locks the target
user and every row it will change (so concurrent edits wait and their version
checks stay right), then moves each entity's records with a few set-based
UPDATEs and writes one audit row per record. Both answer with the same
description, so a preview shows exactly what the transfer would do. Anything
that is not allowed (a record out of reach, the target's hold limit) fails the
whole request before anything changes.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.visitors import replacement_traverse

from ..base.context import Context
from ..base.problems import Conflict, Forbidden, Invalid, NotFound
from ..compile.compiled import Compiled
from ..compile.models import EntityModel
from ..definitions import CarryDef
from ..i18n import message
from ..identity.principals import principal_of
from ..values import json_value
from .access import EntityAccess, Viewer
from .audit import audit_rows
from .computed import apply_formulas
from .conditions import where_condition
from .holdings import counts_towards_limit, held_counts, owner_column
from .rollups import merge, parents_of, refresh_rollups
from .rows import Row

MAX_TRANSFER = 5000
# Ids per IN list: far below the bound-parameter limits of SQLite and PostgreSQL.
CHUNK = 1000
# Formulas may read these, and a transfer changes them all.
_BUILTINS = frozenset(("now", "today", "user", "version", "updated_at", "updated_by"))


@dataclass(frozen=True)
class TransferRequest:
    """Which records (``ids``, or all that ``from_owner`` holds), to which user."""

    to: int
    ids: tuple[int, ...] | None = None
    from_owner: int | None = None
    note: str | None = None
    preview: bool = True


@dataclass
class Moving:
    """The records of one entity that change hands; carried ones know whom they follow."""

    model: EntityModel
    owner: str
    rows: list[Row] = field(default_factory=list)

    @property
    def ids(self) -> list[int]:
        return [row["id"] for row in self.rows]

    @property
    def stamp(self) -> str | None:
        pool = self.model.entity.pool
        return pool.assigned_at if pool else None


def transferable_owner(model: EntityModel, ctx: Context) -> str:
    """The owner field a transfer changes; 404 for an entity whose records have none."""
    owner = owner_column(model)
    if owner is None:
        raise NotFound(message("no_owner", ctx.locale,
                               entity=model.entity.label.get(ctx.locale)), key="entity")
    return owner


def transfer_records(conn: sa.Connection, compiled: Compiled, model: EntityModel, ctx: Context,
                     request: TransferRequest) -> dict[str, Any]:
    """Preview or do ``request``: what moves (per entity), what stays, and the target's
    holdings against their hold limits; ``done`` says whether it happened."""
    owner = transferable_owner(model, ctx)
    viewer = Viewer(compiled, ctx.principal)
    access = viewer.of(model)
    access.require("transfer", ctx)
    lock = not request.preview
    target = _target(conn, compiled, request.to, ctx, lock)
    _require_holder(conn, compiled, model, target, ctx)
    selected = _select(conn, viewer, model, owner, request, ctx, lock)
    main = Moving(model, owner, [r for r in selected if r[owner] != request.to])
    unchanged = [r["id"] for r in selected if r[owner] == request.to]
    _check_reach(conn, access, main, target, ctx)
    batches = [main, *_carried(conn, viewer, main, lock)]
    holdings = _holdings(conn, compiled, batches, request.to)
    answer = _describe(conn, compiled, viewer, model, target, batches, unchanged, holdings)
    if request.preview:
        return answer
    for batch in batches:
        held = holdings[batch.model.name]
        if held["over_limit"]:
            raise Conflict(message("transfer_hold_limit", ctx.locale, user=_name(target),
                                   entity=batch.model.entity.plural.get(ctx.locale),
                                   total=held["held"] + held["gaining"], limit=held["limit"],
                                   held=held["held"], gaining=held["gaining"]))
    transfer_id = secrets.token_hex(6)
    audit: list[dict[str, Any]] = []
    for batch in batches:
        _move(conn, batch, request.to, ctx)
        audit += _audit_rows(batch, main.model, target, request.note, transfer_id, ctx)
        _refresh_derived(conn, compiled, batch, ctx)
    if audit:
        conn.execute(compiled.tables.audit.insert(), audit)
    answer.update(done=True, transfer=transfer_id)
    return answer


def _target(conn: sa.Connection, compiled: Compiled, user_id: int, ctx: Context,
            lock: bool) -> Row:
    """The receiving user, who must be active. Locking their row serializes every
    transfer and claim that adds to their holdings (see holdings.lock_user)."""
    users = compiled.tables.users
    statement = sa.select(users.c.id, users.c.username, users.c.name).where(
        users.c.id == user_id, users.c.active.is_(True))
    found = conn.execute(statement.with_for_update() if lock else statement).mappings().first()
    if found is None:
        raise Invalid({"to": [message("inactive_target", ctx.locale, id=user_id)]})
    return found


def _require_holder(conn: sa.Connection, compiled: Compiled, model: EntityModel, target: Row,
                    ctx: Context) -> None:
    """The target must be able to work with what they receive: read the entity."""
    principal = principal_of(conn, compiled.metadata, target["id"])
    if principal is None or not compiled.policy.entity(
            principal.roles, principal.admin, model.name).allows("read"):
        raise Invalid({"to": [message("target_cannot_hold", ctx.locale, user=_name(target),
                                      entity=model.entity.plural.get(ctx.locale))]})


def _select(conn: sa.Connection, viewer: Viewer, model: EntityModel, owner: str,
            request: TransferRequest, ctx: Context, lock: bool) -> list[Row]:
    """The requested live records within the caller's transfer scope, in id order;
    a request naming any other record fails whole (404: not even their existence
    is confirmed)."""
    table = model.table
    statement = (sa.select(*_columns(model, owner, viewer))
                 .where(table.c.deleted_at.is_(None)).order_by(table.c.id))
    scope = viewer.of(model).condition("transfer")
    if scope is not None:
        statement = statement.where(scope)
    if lock:
        statement = statement.with_for_update(of=table)
    if request.ids is None:
        rows = conn.execute(statement.where(table.c[owner] == request.from_owner)
                            .limit(MAX_TRANSFER + 1)).mappings().all()
        if len(rows) > MAX_TRANSFER:
            raise Invalid({"from_owner": [message("transfer_too_many", ctx.locale,
                                                  max=MAX_TRANSFER)]})
        return list(rows)
    wanted = sorted(set(request.ids))
    found: list[Row] = [
        row for chunk in _chunks(wanted)
        for row in conn.execute(statement.where(table.c.id.in_(chunk))).mappings()]
    missing = sorted(set(wanted) - {row["id"] for row in found})
    if missing:
        raise NotFound(message("not_transferable", ctx.locale,
                               entity=model.entity.plural.get(ctx.locale),
                               ids=", ".join(str(i) for i in missing)), key="ids")
    return found


def _columns(model: EntityModel, owner: str, viewer: Viewer) -> list[sa.ColumnElement]:
    """What a transfer needs of each record: the owner, the assignment stamp, the
    fields deciding whether it counts towards a hold limit, whether the caller may
    read it and its title (for the preview: only where the caller may see it)."""
    table = model.table
    pool = model.entity.pool
    names = ["id", owner]
    if pool is not None:
        names += [n for n in (pool.assigned_at, *pool.hold_limit_excludes) if n]
    columns: list[sa.ColumnElement] = [table.c[n] for n in dict.fromkeys(names)]
    access = viewer.of(model)
    scope = access.condition("read") if access.allows("read") else sa.false()
    readable = sa.true() if scope is None else sa.case((scope, sa.true()), else_=sa.false())
    name = model.entity.title
    title = table.c[name] if name and name in table.c and name not in access.hidden \
        else sa.null()
    return [*columns, readable.label("mc_readable"), title.label("mc_title")]


def _check_reach(conn: sa.Connection, access: EntityAccess, main: Moving,
                 target: Row, ctx: Context) -> None:
    """After the move every record must still be one the caller may transfer: as with
    any write, nobody moves records out of their own reach (a team manager hands
    customers on within the team). Checked before anything changes, by asking the
    scope about the records with the target as their owner."""
    scope = access.condition("transfer")
    if scope is None or not main.rows:
        return
    table = main.model.table
    column = table.c[main.owner]
    given = sa.cast(sa.literal(target["id"]), column.type)

    def with_target(element: Any, **_: Any) -> Any:
        return given if element is column else None

    moved = replacement_traverse(scope, {}, with_target)
    inside = sum(conn.execute(sa.select(sa.func.count()).select_from(table).where(
        table.c.id.in_(chunk), moved)).scalar_one() for chunk in _chunks(main.ids))
    if inside != len(main.rows):
        raise Forbidden(message("target_out_of_reach", ctx.locale, user=_name(target),
                                entity=main.model.entity.plural.get(ctx.locale)), key="to")


def _carried(conn: sa.Connection, viewer: Viewer, main: Moving, lock: bool) -> list[Moving]:
    """Per carried entity, its live records that refer to a moving record, meet the
    carry's conditions and are held by that record's current (soon previous) owner.
    Carrying is one level deep; the definition alone decides what goes along."""
    transfer = main.model.entity.transfer
    if transfer is None:
        return []
    batches: dict[str, Moving] = {}
    taken: dict[str, set[int]] = {main.model.name: set(main.ids)}
    for carry in transfer.carry:
        other = viewer.compiled.models[carry.entity]
        owner = owner_column(other)
        if owner is None:  # the definition check refuses this; skip rather than fail
            continue
        batch = batches.setdefault(other.name, Moving(other, owner))
        seen = taken.setdefault(other.name, set())
        for row in _carried_rows(conn, viewer, main, carry, other, owner, lock):
            if row["id"] not in seen:
                seen.add(row["id"])
                batch.rows.append(row)
    for batch in batches.values():
        batch.rows.sort(key=lambda row: row["id"])
    return list(batches.values())


def _carried_rows(conn: sa.Connection, viewer: Viewer, main: Moving, carry: CarryDef,
                  other: EntityModel, owner: str, lock: bool) -> Iterator[Row]:
    table = other.table
    moving = main.model.table.alias("moving")  # an alias: an entity may carry its own kind
    statement = (sa.select(*_columns(other, owner, viewer), moving.c.id.label("mc_with"))
                 .select_from(table.join(moving, moving.c.id == table.c[carry.through]))
                 .where(table.c.deleted_at.is_(None),
                        # "nobody" held by nobody too: a pool record takes its unowned ones
                        table.c[owner].is_not_distinct_from(moving.c[main.owner]))
                 .order_by(table.c.id))
    if carry.where:
        statement = statement.where(where_condition(viewer.compiled, other,
                                                    carry.where.items()))
    if lock:
        statement = statement.with_for_update(of=table)
    for chunk in _chunks(main.ids):
        yield from conn.execute(statement.where(moving.c.id.in_(chunk))).mappings()


def _holdings(conn: sa.Connection, compiled: Compiled, batches: Sequence[Moving],
              target_id: int) -> dict[str, dict[str, Any]]:
    """Per entity, what the target holds now, gains, and may hold (their roles' limit)."""
    principal = principal_of(conn, compiled.metadata, target_id)
    found: dict[str, dict[str, Any]] = {}
    for batch in batches:
        name = batch.model.name
        limit = None if principal is None else compiled.policy.entity(
            principal.roles, principal.admin, name).hold_limit
        held = held_counts(conn, compiled, batch.model, [target_id])[target_id]
        gaining = sum(1 for row in batch.rows if counts_towards_limit(batch.model, row))
        found[name] = {"held": held, "gaining": gaining, "limit": limit,
                       "over_limit": limit is not None and gaining > 0
                       and held + gaining > limit}
    return found


def _describe(conn: sa.Connection, compiled: Compiled, viewer: Viewer, model: EntityModel,
              target: Row, batches: Sequence[Moving], unchanged: list[int],
              holdings: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """What moves, per entity: every record counted, but only those the caller may
    read itemised (id, title, owner). Carried records move whoever asks (the
    definition says they follow), and a preview must not become a way to list
    records, or whose they are, that the caller's reads would not show; of an
    entity the caller may not read at all only the count is given."""
    records: dict[str, dict[str, Any]] = {}
    owners: set[int] = set()
    for batch in batches:
        if not viewer.of(batch.model).allows("read"):
            records[batch.model.name] = {"count": len(batch.rows)}
            continue
        items = []
        for row in batch.rows:
            if not row["mc_readable"]:
                continue
            item = {"id": row["id"], "title": row["mc_title"], "owner": row[batch.owner]}
            if "mc_with" in row:
                item["with"] = row["mc_with"]
            items.append(item)
            if row[batch.owner] is not None:
                owners.add(row[batch.owner])
        records[batch.model.name] = {"count": len(batch.rows), "items": items}
    return {"entity": model.name, "to": dict(target), "records": records,
            "unchanged": unchanged, "holdings": holdings,
            "owners": _users(conn, compiled, owners), "done": False}


def _users(conn: sa.Connection, compiled: Compiled, ids: set[int]) -> dict[str, Any]:
    """The previous owners, by id, for showing whose records move."""
    if not ids:
        return {}
    users = compiled.tables.users
    rows = conn.execute(sa.select(users.c.id, users.c.username, users.c.name)
                        .where(users.c.id.in_(sorted(ids)))).mappings()
    return {str(row["id"]): dict(row) for row in rows}


def _move(conn: sa.Connection, batch: Moving, to: int, ctx: Context) -> None:
    """Set-based: one UPDATE per chunk of ids. The rows are locked, so raising the
    version in SQL is exact and every concurrent edit sees the new version."""
    if not batch.rows:
        return
    table = batch.model.table
    values: dict[str, Any] = {batch.owner: to, "version": table.c.version + 1,
                              "updated_at": ctx.now, "updated_by": ctx.user_id}
    if batch.stamp:
        values[batch.stamp] = ctx.now
    for chunk in _chunks(batch.ids):
        conn.execute(table.update().where(table.c.id.in_(chunk)).values(values))


def _audit_rows(batch: Moving, main: EntityModel, target: Row, note: str | None,
                transfer_id: str, ctx: Context) -> list[dict[str, Any]]:
    """One audit row per record; the note names the transfer (to find all its rows)
    and, for a carried record, the record it went along with."""
    suffix = f" to {target['username']} (user #{target['id']})" + (f": {note}" if note else "")
    rows = []
    for row in batch.rows:
        changes = {batch.owner: [row[batch.owner], target["id"]]}
        if batch.stamp:
            changes[batch.stamp] = [json_value(row[batch.stamp]), json_value(ctx.now)]
        along = f" with {main.name} #{row['mc_with']}" if "mc_with" in row else ""
        rows += audit_rows(ctx, batch.model.name, "transfer", [(row["id"], changes)],
                           f"transfer {transfer_id}{along}{suffix}")
    return rows


def _refresh_derived(conn: sa.Connection, compiled: Compiled, batch: Moving,
                     ctx: Context) -> None:
    """Formulas and rollups that read what a transfer changes (the owner, the stamp,
    the clock or the editor) are recomputed; the others cannot have changed."""
    model = batch.model
    if not batch.rows:
        return
    changed = {batch.owner, *([batch.stamp] if batch.stamp else []), *_BUILTINS}
    for formula, expression in model.formulas:  # evaluation order: one pass suffices
        if expression.names & changed:
            changed.add(formula.name)
    if any(formula.name in changed for formula, _ in model.formulas):
        for chunk in _chunks(batch.ids):
            rows = conn.execute(sa.select(model.table).where(model.table.c.id.in_(chunk))
                                ).mappings().all()
            for row in rows:
                record = dict(row)
                apply_formulas(model, record, ctx)
                update = {f.name: record[f.name] for f, _ in model.formulas
                          if record[f.name] != row[f.name]}
                if update:
                    conn.execute(model.table.update().where(model.table.c.id == row["id"])
                                 .values(update))
    feeds = [feed for feed in model.feeds
             if {*(feed.field.where or {}), feed.field.of} & changed]
    if feeds:
        parents = merge(*(parents_of(conn, model, chunk) for chunk in _chunks(batch.ids)))
        refresh_rollups(conn, compiled, model, parents, ctx)


def _name(user: Row) -> str:
    return f"{user['name']} ({user['username']})"


def _chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield list(ids[start:start + CHUNK])
