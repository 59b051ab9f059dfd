"""Records that may not change now: those waiting for an approval chain, and the
records their approvers' figures come from.

A record whose chain is pending changes only through the chain (its decisions,
withdrawal). So must the children that feed its rollups, at any remove the
compiled ``chain_locks`` give: otherwise a quote submitted at 15 % off (its manager
alone approves) could have a line raised to 45 % while it waits, and the manager
would approve a 45 % discount. A child is refused when its reference points at such
a record before or after the change (moving a line out changes the total as much as
moving one in).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from ..compile.compiled import Compiled
from ..compile.locks import Hop
from ..compile.models import EntityModel
from ..i18n import message
from .context import Context
from .problems import Conflict


def pending_chain(conn: sa.Connection, compiled: Compiled, model: EntityModel,
                  record_id: int | list[int]) -> Mapping[str, Any] | None:
    """The pending approval chain of the record (of one of the records), if any."""
    if not model.approvals:
        return None
    approvals = compiled.metadata.tables["mc_approvals"]
    ids = record_id if isinstance(record_id, list) else [record_id]
    return conn.execute(sa.select(approvals).where(
        approvals.c.entity == model.name, approvals.c.record_id.in_(ids),
        approvals.c.state == "pending").order_by(approvals.c.id).limit(1)).mappings().first()


def refuse_while_pending(conn: sa.Connection, compiled: Compiled, model: EntityModel,
                         record_id: int | list[int], ctx: Context) -> None:
    """A record waiting for an approval chain is locked: only the chain changes it
    (nor may a deletion cascade to it, which would leave the chain unable to end)."""
    pending = pending_chain(conn, compiled, model, record_id)
    if pending is not None:
        raise Conflict(message("locked_for_approval", ctx.locale,
                               approval=_label(compiled, pending, ctx), id=pending["id"]))


def refuse_feeding_pending(conn: sa.Connection, compiled: Compiled, model: EntityModel,
                           rows: Iterable[Mapping[str, Any]], ctx: Context) -> None:
    """Refuse writing ``rows`` of ``model`` (each as it was and as it would be) when
    one of them feeds a rollup of a record waiting for an approval chain: the
    records its references reach, following the compiled paths (one indexed lookup
    of pending chains per path, one query per further step up)."""
    if not model.chain_locks:
        return
    rows = list(rows)
    reached: dict[tuple[Hop, ...], set[int]] = {}
    for lock in model.chain_locks:
        ids = _follow(conn, compiled, model, rows, lock.hops, reached)
        if not ids:
            continue
        target = compiled.models[lock.target]
        pending = pending_chain(conn, compiled, target, sorted(ids))
        if pending is not None:
            raise Conflict(message(
                "feeds_pending_chain", ctx.locale,
                entity=target.entity.label.get(ctx.locale), record=pending["record_id"],
                approval=_label(compiled, pending, ctx), id=pending["id"],
                children=model.entity.plural.get(ctx.locale)))


def _follow(conn: sa.Connection, compiled: Compiled, model: EntityModel,
            rows: list[Mapping[str, Any]], hops: tuple[Hop, ...],
            reached: dict[tuple[Hop, ...], set[int]]) -> set[int]:
    """The ids of the records ``hops`` lead to from ``rows`` (paths share their
    beginnings, so each step is looked up once)."""
    found = reached.get(hops)
    if found is not None:
        return found
    if len(hops) == 1:
        found = {row[hops[0].reference] for row in rows
                 if row.get(hops[0].reference) is not None}
    else:
        below = _follow(conn, compiled, model, rows, hops[:-1], reached)
        middle = compiled.models[hops[-2].entity].table
        column = middle.c[hops[-1].reference]
        found = set(conn.execute(sa.select(column).where(
            middle.c.id.in_(sorted(below)), column.is_not(None))).scalars()) if below else set()
    reached[hops] = found
    return found


def _label(compiled: Compiled, pending: Mapping[str, Any], ctx: Context) -> str:
    name = pending["approval"]
    approval = compiled.approvals.get(name)
    return approval.definition.label.get(ctx.locale) if approval else name
