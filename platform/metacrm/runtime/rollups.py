"""Keep rollup fields current: when child records change, re-aggregate their parents.

The aggregate is recomputed in SQL from the live children (never adjusted
incrementally), so it is right whatever happened before. A rollup change is
derived data: it does not raise the parent's version (an edit in progress on
the parent is not made stale by a colleague logging an activity) and is not
audited. Formulas of the parent that use rollups are recomputed with it, and
rollups of the parent's own parents follow, a few levels up at most.

The parent's validation rules hold after the change as after any edit: a rule the
new figures break (one that held before) refuses the child's write, with the
parent named, so that a parent is never left breaking its own rules (which would
refuse every later edit of it).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from fractions import Fraction
from typing import Any

import sqlalchemy as sa

from ..base.context import Context
from ..base.problems import Invalid
from ..compile.compiled import Compiled
from ..compile.models import EntityModel, RollupFeed
from ..definitions import FieldDef
from ..fieldtypes.numbers import largest_value
from ..i18n import message
from .access import policy_for
from .computed import apply_formulas, broken_rules, computed_value
from .conditions import field_type, values_condition
from .rows import Row

MAX_DEPTH = 4
Parents = dict[str, set[int]]


def parents_in(model: EntityModel, rows: Iterable[Row]) -> Parents:
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
                    parents: Parents, ctx: Context, depth: int = 0,
                    via: str | None = None) -> None:
    """Re-aggregate the rollups ``parents`` (per reference field of ``model``) have of
    ``model``, then their formulas, rules and own parents. ``via``: the reference of
    the record first written, under which a broken rule is reported."""
    if depth >= MAX_DEPTH:
        return
    touched: dict[str, dict[int, str]] = {}  # parent entity: {id: reported under}
    changed: dict[str, set[str]] = {}  # parent entity: its rollups that change
    for feed in model.feeds:
        for record_id in parents.get(feed.reference, ()):
            touched.setdefault(feed.parent, {}).setdefault(record_id, via or feed.reference)
            changed.setdefault(feed.parent, set()).add(feed.field.name)
    # Only rules that read a changing rollup (or a formula of one) can break now.
    checked = {name for name in touched
               if compiled.models[name].rules_read(frozenset(changed[name]))}
    before = {name: _rows(conn, compiled.models[name], sorted(touched[name]))
              for name in checked}
    for feed in model.feeds:
        ids = parents.get(feed.reference)
        if not ids:
            continue
        parent = compiled.models[feed.parent]
        by_value: dict[Any, list[int]] = {}
        with _naming_parent(feed.parent):
            found = rollup_values(conn, model, feed, sorted(ids), ctx)
        for parent_id, value in found.items():
            by_value.setdefault(value, []).append(parent_id)
        for value, same in by_value.items():
            conn.execute(parent.table.update().where(parent.table.c.id.in_(same))
                         .values({feed.field.name: value}))
    errors: dict[str, list[str]] = {}
    for parent_name, keys in touched.items():
        parent = compiled.models[parent_name]
        with _naming_parent(parent_name):
            after = _recompute_formulas(conn, parent, sorted(keys), ctx, parent_name in checked)
        if parent_name in checked:
            _newly_broken(compiled, parent, before[parent_name], after, keys, ctx, errors)
    if errors:
        raise Invalid(errors)
    for parent_name, keys in touched.items():
        parent = compiled.models[parent_name]
        for key in sorted(set(keys.values())):
            mine = sorted(i for i, k in keys.items() if k == key)
            refresh_rollups(conn, compiled, parent, parents_of(conn, parent, mine), ctx,
                            depth + 1, key)


@contextmanager
def _naming_parent(entity: str) -> Iterator[None]:
    """A parent's field that cannot take what a child's change computes is reported as
    ``<parent>.<field>``: the request was about the child."""
    try:
        yield
    except Invalid as problem:
        raise Invalid({key if key.startswith("_") else f"{entity}.{key}": messages
                       for key, messages in problem.errors.items()}) from None


def rollup_values(conn: sa.Connection, model: EntityModel, feed: RollupFeed, ids: list[int],
                ctx: Context) -> dict[int, Any]:
    """The rollup's value for each parent in ``ids``, computed by the database from the
    live children, except an average: the sum and count come from SQL and the division
    is exact, rounded once as the field says."""
    table = model.table
    parent_id = table.c[feed.reference]
    conditions: list[sa.ColumnElement[bool]] = [parent_id.in_(ids), table.c.deleted_at.is_(None)]
    for name, wanted in (feed.field.where or {}).items():
        accepted = wanted if isinstance(wanted, list) else [wanted]
        conditions.append(values_condition(table.c[name], field_type(model, name), accepted))
    aggregate = feed.field.aggregate or "max"
    if aggregate == "count":
        measures: list[Any] = [sa.func.count(table.c.id)]
    elif aggregate == "avg":
        column = table.c[feed.field.of or ""]
        measures = [sa.func.sum(column), sa.func.count(column)]
    else:
        measures = [getattr(sa.func, aggregate)(table.c[feed.field.of or ""])]
    query = sa.select(parent_id, *measures).where(*conditions).group_by(parent_id)
    try:  # the request fails as a whole on any error, so no savepoint is needed
        found = {row[0]: row[1:] for row in conn.execute(query)}
    except sa.exc.OperationalError as exc:
        if "integer overflow" not in str(exc):  # SQLite's SUM of minor units past 64 bits
            raise
        kind = model.catalog.field_types.of(feed.field)
        limit = largest_value(kind.precision or 18, kind.scale(feed.field) if kind.scale else 0)
        raise Invalid({feed.field.name: [message("too_large", ctx.locale, value="…",
                                                 limit=limit)]}) from None
    empty = 0 if aggregate in ("count", "sum") else None
    values: dict[int, Any] = {}
    for parent in ids:
        row = found.get(parent)
        if row is None or row[0] is None:
            values[parent] = empty
        elif aggregate == "avg":
            values[parent] = computed_value(feed.field, Fraction(row[0]) / row[1], ctx,
                                            model.catalog.field_types)
        else:
            values[parent] = _fitting(model, feed.field, row[0], ctx)
    return values


def _fitting(model: EntityModel, field: FieldDef, value: Any, ctx: Context) -> Any:
    """A sum, min or max as its field holds it: a sum can outgrow its column."""
    types = model.catalog.field_types
    if types.of(field).expression_type in ("int", "decimal") and not isinstance(
            value, (date, str)):
        return computed_value(field, Fraction(value), ctx, types)
    return value


def _rows(conn: sa.Connection, model: EntityModel, ids: list[int]
          ) -> dict[int, dict[str, Any]]:
    return {row["id"]: dict(row) for row in conn.execute(
        sa.select(model.table).where(model.table.c.id.in_(ids))).mappings()}


def _recompute_formulas(conn: sa.Connection, model: EntityModel, ids: list[int],
                        ctx: Context, wanted: bool) -> dict[int, dict[str, Any]]:
    """The records as they now are, formulas recomputed (and stored where they
    changed); read only when there are formulas or the records are ``wanted``."""
    rows = _rows(conn, model, ids) if model.formulas or wanted else {}
    if not model.formulas:
        return rows
    names = [f.name for f, _ in model.formulas]
    for record_id, row in rows.items():
        record = dict(row)
        apply_formulas(model, record, ctx)
        changed = {n: record[n] for n in names if record[n] != row[n]}
        if changed:
            conn.execute(model.table.update().where(model.table.c.id == record_id)
                         .values(changed))
        rows[record_id] = record
    return rows


def _newly_broken(compiled: Compiled, model: EntityModel,
                  before: Mapping[int, Mapping[str, Any]],
                  after: Mapping[int, Mapping[str, Any]], keys: Mapping[int, str],
                  ctx: Context, errors: dict[str, list[str]]) -> None:
    """Collect, under each record's key, the rules ``after`` breaks that ``before`` kept:
    what a rule said already (data from before the rule) is not the child's doing."""
    hidden = policy_for(compiled, model, ctx.principal).hidden
    label = model.entity.label.get(ctx.locale)
    for record_id, record in after.items():
        was = broken_rules(model, before[record_id], ctx, hidden) if record_id in before \
            else {}
        old = {text for texts in was.values() for text in texts}
        for texts in broken_rules(model, record, ctx, hidden).values():
            for text in texts:
                if text not in old:
                    errors.setdefault(keys[record_id], []).append(message(
                        "parent_rule_broken", ctx.locale, entity=label, id=record_id,
                        message=text))
