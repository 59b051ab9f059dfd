"""Return rules of the public pool (自动退回公海): held records idle past a rule go
back to the pool on their own, set-based and audited as the system ("return").

Run by the scheduled jobs (``jobs/tasks.py``), one rule at a time; the records
are chosen and locked by the same conditions the UPDATE undoes, so a second run,
or one running at the same time in another process, finds nothing left to do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from ..base.context import Context
from ..compile.compiled import Compiled
from ..compile.models import EntityModel
from ..definitions import ReturnRuleDef
from ..values import to_utc
from .audit import write_audit
from .conditions import where_condition
from .holdings import owner_column
from .pool import changed_record, pool_of, return_values, row_statement
from .rollups import merge, parents_in, refresh_rollups
from .rows import Row

# Records returned per UPDATE: bounds the statement's parameters and the rows
# locked at once when a rule first meets a large backlog.
RETURN_BATCH = 1000


def return_idle(conn: sa.Connection, compiled: Compiled, model: EntityModel,
                rule: ReturnRuleDef, now: datetime, dry_run: bool = False) -> list[int]:
    """Return every held record idle past ``rule`` at ``now`` to the pool; their ids.

    Set-based: each batch of up to RETURN_BATCH records is one locking SELECT
    (the old values, for the audit), one UPDATE and one audit INSERT."""
    pool, owner = pool_of(model, Context.system())
    now = to_utc(now)
    eligible = idle_condition(compiled, model, rule, now)
    table = model.table
    if dry_run:
        return list(conn.execute(sa.select(table.c.id).where(eligible)
                                 .order_by(table.c.id)).scalars())
    ctx = Context.system(None, now=now)
    note = f"auto return: {rule.name} (idle {rule.idle_days} days)"
    values = return_values(model, pool, owner, now)
    returned: list[int] = []
    while True:
        rows = conn.execute(row_statement(model).where(eligible).order_by(table.c.id)
                            .limit(RETURN_BATCH).with_for_update(of=table)).mappings().all()
        if not rows:
            return returned
        _return_batch(conn, compiled, model, ctx, rows, values, note)
        returned.extend(row["id"] for row in rows)


def idle_condition(compiled: Compiled, model: EntityModel, rule: ReturnRuleDef,
                   now: datetime) -> sa.ColumnElement:
    """Live held records that ``rule`` applies to and whose latest activity (the
    latest of its activity fields and ``assigned_at``; with none set, the creation
    time) is more than ``idle_days`` before ``now``."""
    pool, owner = model.entity.pool, owner_column(model)
    assert pool is not None and owner is not None
    table = model.table
    cutoff = to_utc(now) - timedelta(days=rule.idle_days)
    parts: list[sa.ColumnElement[Any]] = [table.c.deleted_at.is_(None),
                                          table.c[owner].is_not(None)]
    if rule.where:
        parts.append(where_condition(compiled, model, rule.where.items()))
    if rule.unless:
        # NOT on its own would drop records whose field is empty (NULL is not false).
        parts.append(sa.not_(sa.func.coalesce(
            where_condition(compiled, model, rule.unless.items()), sa.false())))
    names = list(dict.fromkeys(rule.activity + ((pool.assigned_at,) if pool.assigned_at
                                                 else ())))
    # A date field counts as the whole day: idle only once the day is over.
    stamps = [(table.c[name], cutoff.date() if model.types[name] == "date" else cutoff)
              for name in names]
    parts.extend(sa.or_(column.is_(None), column < limit) for column, limit in stamps)
    parts.append(sa.or_(*[column.is_not(None) for column, _ in stamps],
                        table.c.created_at < cutoff))
    return sa.and_(*parts)


def _return_batch(conn: sa.Connection, compiled: Compiled, model: EntityModel, ctx: Context,
                  rows: Sequence[Row], values: Mapping[str, Any],
                  note: str) -> None:
    table = model.table
    ids = [row["id"] for row in rows]
    conn.execute(table.update().where(table.c.id.in_(ids)).values(
        {**values, "version": table.c.version + 1, "updated_at": ctx.now,
         "updated_by": ctx.user_id}))
    audited, formulas = [], []
    formula_names = [f.name for f, _ in model.formulas if f.name in table.c]
    for row in rows:
        record, changes = changed_record(model, row, values, ctx)
        audited.append((row["id"], changes))
        if any(name in changes for name in formula_names):
            formulas.append({"row_id": row["id"],
                             **{f"new_{n}": record[n] for n in formula_names}})
    if formulas:  # formula results differ per record: one executemany for those that moved
        conn.execute(table.update().where(table.c.id == sa.bindparam("row_id"))
                     .values({n: sa.bindparam(f"new_{n}") for n in formula_names}), formulas)
    write_audit(conn, compiled.tables.audit, ctx, model.name, "return",
                audited, note)
    if model.feeds:
        after = [{**row, **values} for row in rows]
        refresh_rollups(conn, compiled, model, merge(parents_in(model, rows),
                                                     parents_in(model, after)), ctx)
