"""Records that may not change now: those waiting for an approval chain, those in a
read-only state of their workflow, and the records whose change would reach them.

A record whose chain is pending changes only through the chain (its decisions,
withdrawal). So must the children that feed its rollups, at any remove the
compiled ``chain_locks`` give: otherwise a quote submitted at 15 % off (its manager
alone approves) could have a line raised to 45 % while it waits, and the manager
would approve a 45 % discount. A record in a read-only state of its workflow (an
approved quote) changes only by its transitions, and the records its ``read_only:
with`` names (the quote's lines) are read-only with it. A child is refused when its
reference points at a locked record before or after the change (moving a line out
changes the total as much as moving one in). The platform's own writes (imports, a
transition's actions) are held to pending chains but not to read-only states: they
are how the workflow itself fills a record in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from ..base.context import Context
from ..base.problems import Conflict
from ..compile.compiled import Compiled
from ..compile.locks import Hop, StateLock
from ..compile.models import EntityModel
from ..compile.workflows import CompiledTransition
from ..i18n import message
from .operation import Operation
from .rows import Row


def pending_chain(op: Operation, model: EntityModel, record_id: int | list[int]
                  ) -> Row | None:
    """The pending approval chain of the record (of one of the records), if any."""
    if not model.approvals:
        return None
    approvals = op.tables.approvals
    ids = record_id if isinstance(record_id, list) else [record_id]
    return op.conn.execute(sa.select(approvals).where(
        approvals.c.entity == model.name, approvals.c.record_id.in_(ids),
        approvals.c.state == "pending").order_by(approvals.c.id).limit(1)).mappings().first()


def refuse_while_pending(op: Operation, model: EntityModel, record_id: int | list[int]
                         ) -> None:
    """A record waiting for an approval chain is locked: only the chain changes it
    (nor may a deletion cascade to it, which would leave the chain unable to end)."""
    pending = pending_chain(op, model, record_id)
    if pending is not None:
        raise Conflict(message("locked_for_approval", op.locale,
                               approval=_label(op.compiled, pending, op.ctx), id=pending["id"]))


def refuse_read_only(op: Operation, model: EntityModel, rows: Iterable[Row]
                     ) -> None:
    """Refuse changing or deleting ``rows`` of ``model`` that are in a read-only state
    of its workflow."""
    compiled, ctx = op.compiled, op.ctx
    workflow = compiled.workflows.get(model.name)
    if workflow is None or not workflow.read_only or ctx.principal.system:
        return
    for row in rows:
        if row.get(workflow.field) in workflow.read_only:
            raise Conflict(_read_only_text(compiled, model, row["id"], row[workflow.field],
                                           None, ctx))


def refuse_values_while_read_only(op: Operation, model: EntityModel,
                                  current: Row, values: Mapping[str, Any],
                                  transition: CompiledTransition) -> None:
    """A transition from a read-only state moves the record on; it brings only the
    fields it requires (a decline reason), not changes to the rest of the record."""
    compiled, ctx = op.compiled, op.ctx
    workflow = compiled.workflows.get(model.name)
    if workflow is None or ctx.principal.system or current.get(workflow.field) \
            not in workflow.read_only:
        return
    requires = transition.definition.requires
    extra = sorted(set(values) - set(requires))
    if extra:
        lang = ctx.locale
        raise Conflict(message(
            "read_only_values", lang, entity=model.entity.label.get(lang), id=current["id"],
            state=_state_label(compiled, model, current[workflow.field], lang),
            transition=transition.definition.label.get(lang),
            fields=", ".join(requires) or "-"), key=extra[0])


def refuse_parent_locks(op: Operation, model: EntityModel, rows: Iterable[Row]
                        ) -> None:
    """Refuse writing ``rows`` of ``model`` (each as it was and as it would be) when one
    of them feeds a rollup of a record waiting for an approval chain, or points at a
    record whose read-only state locks it. The records reached are locked first (in
    id order), so that a chain cannot start, nor a state be entered, between this
    look and the write; then one indexed lookup of pending chains per entity."""
    if not model.chain_locks and not model.state_locks:
        return
    conn, compiled, ctx = op.conn, op.compiled, op.ctx
    rows = list(rows)
    reached: dict[tuple[Hop, ...], set[int]] = {}
    waiting: dict[str, set[int]] = {}
    for lock in model.chain_locks:
        waiting.setdefault(lock.target, set()).update(
            _follow(conn, compiled, model, rows, lock.hops, reached))
    states: dict[str, list[StateLock]] = {}
    if not ctx.principal.system:
        for state_lock in model.state_locks:
            states.setdefault(state_lock.entity, []).append(state_lock)
    for name in sorted(set(waiting) | set(states)):
        target = compiled.models[name]
        ids = set(waiting.get(name, ()))
        for state_lock in states.get(name, ()):
            ids |= {row[state_lock.reference] for row in rows
                    if row.get(state_lock.reference) is not None}
        if not ids:
            continue
        locked = _lock_rows(conn, target, sorted(ids), [s.field for s in states.get(name, ())])
        for state_lock in states.get(name, ()):
            mine = {row.get(state_lock.reference) for row in rows}
            for row in locked:
                if row["id"] in mine and row[state_lock.field] in state_lock.states:
                    raise Conflict(_read_only_text(compiled, target, row["id"],
                                                   row[state_lock.field], model, ctx))
        pending = pending_chain(op, target, sorted(waiting[name])) \
            if waiting.get(name) else None
        if pending is not None:
            raise Conflict(message(
                "feeds_pending_chain", ctx.locale,
                entity=target.entity.label.get(ctx.locale), record=pending["record_id"],
                approval=_label(compiled, pending, ctx), id=pending["id"],
                children=model.entity.plural.get(ctx.locale)))


def why_locked(op: Operation, model: EntityModel, row: Row,
               pending: Row | None) -> str | None:
    """Why ``row`` (as stored; ``pending``: its pending chain, at least its ``id`` and
    ``approval``) may not be edited now, in the words an update's refusal would use;
    None when it may be."""
    if pending is not None:
        return message("locked_for_approval", op.locale,
                       approval=_label(op.compiled, pending, op.ctx), id=pending["id"])
    try:
        refuse_read_only(op, model, [row])
    except Conflict as refusal:
        return next(iter(refusal.errors.values()))[0]
    return None


def why_children_locked(op: Operation, parent: EntityModel, row: Row, pending: Row | None,
                        child: EntityModel, via: str) -> str | None:
    """Why a new record of ``child`` pointing at ``row`` through ``via`` would be refused
    (the parent's read-only state locks it, or it would feed the parent's pending
    chain), in the refusal's words; None when it would not."""
    if op.ctx.principal.system:
        return None
    for lock in child.state_locks:
        if lock.reference == via and lock.entity == parent.name \
                and row.get(lock.field) in lock.states:
            return _read_only_text(op.compiled, parent, row["id"], row[lock.field], child,
                                   op.ctx)
    if pending is not None and any(lock.hops[0].reference == via and len(lock.hops) == 1
                                   and lock.target == parent.name
                                   for lock in child.chain_locks):
        lang = op.locale
        return message("feeds_pending_chain", lang, entity=parent.entity.label.get(lang),
                       record=row["id"], approval=_label(op.compiled, pending, op.ctx),
                       id=pending["id"], children=child.entity.plural.get(lang))
    return None


def _lock_rows(conn: sa.Connection, model: EntityModel, ids: list[int], fields: list[str]
               ) -> list[Row]:
    table = model.table
    columns = [table.c.id, *(table.c[name] for name in sorted(set(fields)))]
    return list(conn.execute(sa.select(*columns).where(table.c.id.in_(ids))
                             .order_by(table.c.id).with_for_update()).mappings())


def _read_only_text(compiled: Compiled, model: EntityModel, record_id: int, state: str,
                    children: EntityModel | None, ctx: Context) -> str:
    """What the refusal says: 'Quote #5 is Approved, and read-only in that state[, as
    are its Quote lines]; a transition out of it (Revise, Void) changes that.'"""
    lang = ctx.locale
    leaving = [t.definition.label.get(lang)
               for t in compiled.workflows[model.name].leaving(state)]
    ways = (message("read_only_ways", lang, transitions=", ".join(leaving)) if leaving
            else message("read_only_final", lang))
    params = {"entity": model.entity.label.get(lang), "id": record_id, "ways": ways,
              "state": _state_label(compiled, model, state, lang)}
    if children is None:
        return message("read_only_state", lang, **params)
    return message("read_only_state_with", lang, children=children.entity.plural.get(lang),
                   **params)


def _follow(conn: sa.Connection, compiled: Compiled, model: EntityModel,
            rows: list[Row], hops: tuple[Hop, ...],
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


def _state_label(compiled: Compiled, model: EntityModel, state: str, lang: str) -> str:
    field = model.entity.fields[compiled.workflows[model.name].field]
    option = compiled.catalog.optionsets[field.options or ""].option(state)
    return option.label.get(lang) if option else state


def _label(compiled: Compiled, pending: Row, ctx: Context) -> str:
    name = pending["approval"]
    approval = compiled.approvals.get(name)
    return approval.definition.label.get(ctx.locale) if approval else name
