"""Keep rollup fields current: when child records change, re-aggregate their parents.

The aggregate is recomputed in SQL from the live children (never adjusted
incrementally), so it is right whatever happened before. A rollup change is
derived data: it does not raise the parent's version (an edit in progress on
the parent is not made stale by a colleague logging an activity) and is not
audited. Formulas of the parent that use rollups are recomputed with it, and
rollups of the parent's own parents follow, a few levels up at most.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from ..compile.compiled import Compiled
from ..compile.models import EntityModel, RollupFeed
from .computed import apply_formulas
from .conditions import values_condition
from .context import Context

MAX_DEPTH = 4
Parents = dict[str, set[int]]


def parents_in(model: EntityModel, rows: Iterable[Mapping[str, Any]]) -> Parents:
    """The parent ids that ``rows`` of ``model`` roll up into, per reference field."""
    found: Parents = {}
    for feed in model.feeds:
        ids = {row.get(feed.reference) for row in rows}
        found.setdefault(feed.reference, set()).update(i for i in ids if i is not None)
    return found


def parents_of(conn: sa.Connection, model: EntityModel, ids: list[int]) -> Parents:
    if not model.feeds or not ids:
        return {}
    references = sorted({feed.reference for feed in model.feeds})
    rows = conn.execute(sa.select(*[model.table.c[r] for r in references])
                        .where(model.table.c.id.in_(ids))).mappings().all()
    return parents_in(model, rows)


def merge(*parents: Parents) -> Parents:
    merged: Parents = {}
    for part in parents:
        for reference, ids in part.items():
            merged.setdefault(reference, set()).update(ids)
    return merged


def refresh_rollups(conn: sa.Connection, compiled: Compiled, model: EntityModel,
                    parents: Parents, ctx: Context, depth: int = 0) -> None:
    if depth >= MAX_DEPTH:
        return
    touched: dict[str, set[int]] = {}
    for feed in model.feeds:
        ids = parents.get(feed.reference)
        if not ids:
            continue
        parent = compiled.models[feed.parent]
        value = _aggregate(model, parent, feed)
        conn.execute(parent.table.update().where(parent.table.c.id.in_(sorted(ids)))
                     .values({feed.field.name: value}))
        touched.setdefault(feed.parent, set()).update(ids)
    for parent_name, ids in touched.items():
        parent = compiled.models[parent_name]
        _recompute_formulas(conn, parent, sorted(ids), ctx)
        refresh_rollups(conn, compiled, parent, parents_of(conn, parent, sorted(ids)), ctx,
                        depth + 1)


def _aggregate(model: EntityModel, parent: EntityModel, feed: RollupFeed) -> Any:
    child = model.table.alias("child")  # an alias keeps self-referencing rollups correlated
    conditions = [child.c[feed.reference] == parent.table.c.id, child.c.deleted_at.is_(None)]
    for name, wanted in (feed.field.where or {}).items():
        values = wanted if isinstance(wanted, list) else [wanted]
        conditions.append(values_condition(child.c[name], model.types[name], values))
    aggregate = feed.field.aggregate
    if aggregate == "count":
        expression: Any = sa.func.count(child.c.id)
    else:
        column = child.c[feed.field.of or ""]
        expression = getattr(sa.func, aggregate or "max")(column)
        if aggregate == "sum":
            expression = sa.func.coalesce(expression, 0)
    return sa.select(expression).where(*conditions).scalar_subquery()


def _recompute_formulas(conn: sa.Connection, model: EntityModel, ids: list[int],
                        ctx: Context) -> None:
    if not model.formulas:
        return
    names = [f.name for f, _ in model.formulas]
    for row in conn.execute(sa.select(model.table).where(model.table.c.id.in_(ids))
                            ).mappings().all():
        record = dict(row)
        apply_formulas(model, record, ctx)
        changed = {n: record[n] for n in names if record[n] != row[n]}
        if changed:
            conn.execute(model.table.update().where(model.table.c.id == row["id"])
                         .values(changed))
