"""Stored derived values kept true when their definitions change. A formula or rollup
is computed when a record is written; when a formula is added or its expression
changes, or a rollup is added or changed, the records already stored are computed
again — rollups first (aggregated by the database), then formulas, in batches of
BATCH records, each batch its own transaction — after ``metacrm migrate`` and after
a runtime customization. Which definitions an entity's stored values were computed
under is kept as a fingerprint per entity (``mc_derived_state``).

It is derived data, like a rollup refresh: versions do not move, nothing is audited,
and validation rules are not re-checked (a record is never refused for a value the
platform itself computed)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

import sqlalchemy as sa

from ..base.context import Context
from ..compile.compiled import Compiled
from ..compile.models import EntityModel
from .computed import apply_formulas
from .rollups import rollup_values

BATCH = 1000


def derived_fingerprint(model: EntityModel) -> str | None:
    """What the entity's stored formulas and rollups are computed from (None: it has
    none)."""
    parts = [[f.name, f.type, f.expression, f.result, f.scale, f.rounding, f.source,
              f.aggregate, f.of, dict(f.where) if f.where else None]
             for f in model.entity.fields.values() if f.type in ("formula", "rollup")]
    if not parts:
        return None
    text = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def stale_entities(conn: sa.Connection, compiled: Compiled) -> list[str]:
    """The entities whose stored derived values were computed under other definitions."""
    state = compiled.tables.derived_state
    stored = dict(conn.execute(sa.select(state.c.entity, state.c.fingerprint)).all())
    return [name for name, model in compiled.models.items()
            if derived_fingerprint(model) != stored.get(name)]


def refresh_derived(engine: sa.Engine, compiled: Compiled,
                    echo: Callable[[str], None] = lambda _line: None) -> dict[str, int]:
    """Compute again the derived values of every stale entity; how many records each
    had changed."""
    with engine.connect() as conn:
        stale = stale_entities(conn, compiled)
    ctx = Context.system()
    changed: dict[str, int] = {}
    for name in stale:
        model = compiled.models[name]
        count = _refresh_entity(engine, compiled, model, ctx) if derived_fingerprint(
            model) else 0
        _remember(engine, compiled, name, derived_fingerprint(model))
        if count:
            echo(f"computed the formulas and rollups of {count} {name} record(s) again")
        changed[name] = count
    return changed


def _refresh_entity(engine: sa.Engine, compiled: Compiled, model: EntityModel,
                    ctx: Context) -> int:
    table = model.table
    feeds = [(child, feed) for child in compiled.models.values() for feed in child.feeds
             if feed.parent == model.name]
    formulas = [f.name for f, _ in model.formulas if f.name in table.c]
    changed, after = 0, 0
    while True:
        with engine.begin() as conn:
            rows = conn.execute(sa.select(table).where(table.c.id > after)
                                .order_by(table.c.id).limit(BATCH)).mappings().all()
            if not rows:
                return changed
            after = rows[-1]["id"]
            records = {row["id"]: dict(row) for row in rows}
            for child, feed in feeds:
                for record_id, value in rollup_values(conn, child, feed, sorted(records),
                                                      ctx).items():
                    records[record_id][feed.field.name] = value
            updates = []
            for row in rows:
                record = records[row["id"]]
                apply_formulas(model, record, ctx)
                names = formulas + [feed.field.name for _, feed in feeds]
                moved = {n: record[n] for n in names if record[n] != row[n]}
                if moved:
                    updates.append({"row_id": row["id"], **{f"new_{n}": record[n]
                                                            for n in names}})
            if updates:
                names = formulas + [feed.field.name for _, feed in feeds]
                conn.execute(table.update().where(table.c.id == sa.bindparam("row_id"))
                             .values({n: sa.bindparam(f"new_{n}") for n in names}), updates)
            changed += len(updates)


def _remember(engine: sa.Engine, compiled: Compiled, entity: str,
              fingerprint: str | None) -> None:
    state = compiled.tables.derived_state
    with engine.begin() as conn:
        conn.execute(state.delete().where(state.c.entity == entity))
        if fingerprint is not None:
            conn.execute(state.insert().values(entity=entity, fingerprint=fingerprint))
