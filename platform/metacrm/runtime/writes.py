"""Create, update, delete and restore records inside a caller's transaction.

Each function does all its checks and writes on one connection in one
transaction: a failure anywhere leaves nothing behind. Every change is
recorded in the audit trail with its fields' old and new values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from ..compile.compiled import Compiled
from ..compile.models import EntityModel
from ..compile.tables import USERS_TABLE
from ..i18n import message
from .audit import audit_rows, field_changes
from .autonumber import format_number, take_numbers
from .computed import apply_formulas, broken_rules
from .context import Context
from .links import link_column, link_ids
from .payload import read_payload
from .problems import Conflict, Invalid, NotFound, PreconditionFailed
from .reads import serialize
from .rollups import merge, parents_in, parents_of, refresh_rollups

MAX_BULK = 1000


def create_records(conn: sa.Connection, compiled: Compiled, model: EntityModel, ctx: Context,
                   rows: list[dict[str, Any]], *, bulk: bool = False) -> list[dict[str, Any]]:
    """Insert already-read payloads (see payload.read_payload); returns the new records
    as the API shows them (built from what was inserted: no second read)."""
    table = model.table
    errors: dict[str, list[str]] = {}
    for index, values in enumerate(rows):
        for key, problems in _missing_references(conn, compiled, model, values, ctx).items():
            errors.setdefault(_row_key(key, index, bulk), []).extend(problems)
    records = []
    for index, values in enumerate(rows):
        record = {name: values.get(name) for name in model.types if name in values}
        record.update(model.empty_rollups)
        apply_formulas(model, record, ctx)
        for key, problems in broken_rules(model, record, ctx).items():
            errors.setdefault(_row_key(key, index, bulk), []).extend(problems)
        record.update(version=1, created_at=ctx.now, updated_at=ctx.now,
                      created_by=ctx.user_id, updated_by=ctx.user_id)
        records.append(record)
    if errors:
        raise Invalid(errors)
    links = {f.name: [r.pop(f.name, None) for r in records] for f in model.multi_references}
    columns = [c.name for c in table.columns if c.name != "id" and c.name != "deleted_at"]
    params = [{name: record.get(name) for name in columns} for record in records]
    ids = _insert_numbered(conn, compiled, model, ctx, params)
    for name, targets in links.items():
        _set_links(conn, model, name, list(zip(ids, targets)))
    changes = []
    for index, (record_id, param) in enumerate(zip(ids, params)):
        after = {k: v for k, v in param.items()
                 if v is not None and k not in _SYSTEM and k not in model.empty_rollups}
        after.update({n: sorted(set(targets[index])) for n, targets in links.items()
                      if targets[index]})
        changes.append((record_id, field_changes({}, after)))
    _audit(conn, compiled, ctx, model.name, "create", changes)
    refresh_rollups(conn, compiled, model, parents_in(model, params), ctx)
    created = []
    for index, (record_id, param) in enumerate(zip(ids, params)):
        shown = serialize(model, {**param, "id": record_id}, model.output_columns)
        shown.update({n: sorted(set(targets[index] or [])) for n, targets in links.items()})
        created.append(shown)
    return created


def _insert_numbered(conn: sa.Connection, compiled: Compiled, model: EntityModel,
                     ctx: Context, params: list[dict[str, Any]]) -> list[int]:
    """Insert rows, giving autonumber fields their numbers only now, after validation:
    the counter row stays locked until commit, and every create of the entity waits
    on it (the price of gap-free numbers)."""
    table, sequences = model.table, compiled.metadata.tables["mc_sequences"]
    numbered = [f for f in model.entity.fields.values() if f.type == "autonumber"]
    for field_def in numbered:
        numbers = take_numbers(conn, sequences, f"{model.name}.{field_def.name}", len(params))
        for values, number in zip(params, numbers):
            values[field_def.name] = format_number(field_def.format or "{seq}", number, ctx.now)
    insert = table.insert().returning(table.c.id, sort_by_parameter_order=True)
    return list(_unique_guard(lambda: conn.execute(insert, params).scalars().all(), ctx))


def update_record(conn: sa.Connection, compiled: Compiled, model: EntityModel, ctx: Context,
                  record_id: int, body: Any, expected_version: int | None) -> dict[str, Any]:
    """Apply a client's PATCH body under a row lock; returns the record as shown."""
    table = model.table
    current = _lock_live(conn, model, record_id, ctx)
    _check_version(current, expected_version, ctx)
    readonly = [f.name for f in model.entity.fields.values() if f.readonly and f.stored]
    values = read_payload(model, ctx, body, creating=False,
                          current=serialize(model, current, readonly))
    errors = _missing_references(conn, compiled, model, values, ctx)
    links = {f.name: values.pop(f.name) for f in model.multi_references if f.name in values}
    record = dict(current)
    record.update({f.name: link_ids(current[f.name]) for f in model.multi_references})
    record.update(values)
    old_links = {name: link_ids(current[name]) for name in links}
    for name, targets in links.items():
        record[name] = targets
    apply_formulas(model, record, ctx)
    for key, problems in broken_rules(model, record, ctx).items():
        errors.setdefault(key, []).extend(problems)
    if errors:
        raise Invalid(errors)
    stored = {n: record[n] for n in record if n in table.c and n not in _SYSTEM}
    changes = field_changes({n: current[n] for n in stored}, stored)
    for name, targets in links.items():
        if sorted(set(targets or [])) != old_links[name]:
            changes[name] = [old_links[name], sorted(set(targets or []))]
    shown_links = {name: sorted(set(links[name] or [])) if name in links
                   else link_ids(current[name])
                   for name in (f.name for f in model.multi_references)}
    if not changes:
        return {**serialize(model, current, model.output_columns), **shown_links}
    column_changes = {n: stored[n] for n in changes if n in table.c}
    column_changes.update(version=current["version"] + 1, updated_at=ctx.now,
                          updated_by=ctx.user_id)
    result = _unique_guard(lambda: conn.execute(
        table.update().where(table.c.id == record_id, table.c.version == current["version"])
        .values(**column_changes)), ctx)
    if result.rowcount != 1:  # cannot happen under the row lock; fail loudly if it does
        raise PreconditionFailed(message("stale", ctx.locale, expected=current["version"],
                                         actual="?"))
    for name, targets in links.items():
        conn.execute(model.link_tables[name].delete().where(
            model.link_tables[name].c.source_id == record_id))
        _set_links(conn, model, name, [(record_id, targets)])
    _audit(conn, compiled, ctx, model.name, "update", [(record_id, changes)])
    refresh_rollups(conn, compiled, model, merge(parents_in(model, [current]),
                                                 parents_in(model, [record])), ctx)
    record.update(column_changes)
    return {**serialize(model, record, model.output_columns), **shown_links}


def delete_record(conn: sa.Connection, compiled: Compiled, model: EntityModel, ctx: Context,
                  record_id: int, expected_version: int | None) -> None:
    current = _lock_live(conn, model, record_id, ctx)
    _check_version(current, expected_version, ctx)
    _soft_delete(conn, compiled, model, ctx, [record_id], note=None)


def restore_record(conn: sa.Connection, compiled: Compiled, model: EntityModel, ctx: Context,
                   record_id: int) -> None:
    table = model.table
    row = conn.execute(sa.select(table).where(table.c.id == record_id).with_for_update()
                       ).mappings().first()
    if row is None:
        raise NotFound(message("not_found", ctx.locale, entity=model.entity.label.get(
            ctx.locale), id=record_id), key="id")
    if row["deleted_at"] is None:
        raise Conflict(message("not_deleted", ctx.locale))
    _restore(conn, compiled, model, ctx, row, note=None)


_SYSTEM = frozenset(("id", "version", "created_at", "updated_at", "created_by", "updated_by",
                     "deleted_at"))


def _row_key(key: str, index: int, bulk: bool) -> str:
    return f"items[{index}].{key}" if bulk else key


def _lock_live(conn: sa.Connection, model: EntityModel, record_id: int, ctx: Context
               ) -> Mapping[str, Any]:
    row = conn.execute(model.statement("lock", lambda: _lock_statement(model)),
                       {"record_id": record_id}).mappings().first()
    if row is None:
        raise NotFound(message("not_found", ctx.locale,
                               entity=model.entity.label.get(ctx.locale), id=record_id),
                       key="id")
    return row


def _lock_statement(model: EntityModel) -> sa.Select:
    # The row lock is the table's (FOR UPDATE OF), not the link tables' read with it.
    table = model.table
    links = [link_column(model, f.name) for f in model.multi_references]
    return (sa.select(table, *links)
            .where(table.c.id == sa.bindparam("record_id"), table.c.deleted_at.is_(None))
            .with_for_update(of=table))


def _check_version(row: Mapping[str, Any], expected: int | None, ctx: Context) -> None:
    if expected is not None and row["version"] != expected:
        raise PreconditionFailed(message("stale", ctx.locale, expected=expected,
                                         actual=row["version"]))


def _missing_references(conn: sa.Connection, compiled: Compiled, model: EntityModel,
                        values: Mapping[str, Any], ctx: Context) -> dict[str, list[str]]:
    """Per field, the referenced ids that are not live records (or users)."""
    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        field_def = model.entity.fields.get(name)
        if field_def is None or value is None or field_def.type not in (
                "reference", "multi_reference", "user"):
            continue
        wanted = set(value) if isinstance(value, list) else {value}
        if not wanted:
            continue
        if field_def.type == "user":
            table = compiled.metadata.tables[USERS_TABLE]
            found = set(conn.execute(sa.select(table.c.id).where(table.c.id.in_(wanted))
                                     ).scalars())
            noun = "user"
        else:
            target = compiled.models[field_def.to or ""]
            table = target.table
            found = set(conn.execute(sa.select(table.c.id).where(
                table.c.id.in_(wanted), table.c.deleted_at.is_(None))).scalars())
            noun = target.entity.label.get(ctx.locale)
        for missing in sorted(wanted - found):
            errors.setdefault(name, []).append(message("not_found_ref", ctx.locale,
                                                       entity=noun, id=missing))
    return errors


def _set_links(conn: sa.Connection, model: EntityModel, name: str,
               pairs: list[tuple[int, list[int] | None]]) -> None:
    rows = [{"source_id": source, "target_id": target}
            for source, targets in pairs for target in sorted(set(targets or []))]
    if rows:
        conn.execute(model.link_tables[name].insert(), rows)


def _audit(conn: sa.Connection, compiled: Compiled, ctx: Context, entity: str, action: str,
           changes: list[tuple[int, dict[str, list[Any]]]], note: str | None = None) -> None:
    rows = audit_rows(ctx, entity, action, changes, note)
    if rows:
        conn.execute(compiled.metadata.tables["mc_audit"].insert(), rows)


def _soft_delete(conn: sa.Connection, compiled: Compiled, model: EntityModel, ctx: Context,
                 ids: list[int], note: str | None) -> None:
    table = model.table
    conn.execute(table.update().where(table.c.id.in_(ids)).values(
        deleted_at=ctx.now, version=table.c.version + 1, updated_at=ctx.now,
        updated_by=ctx.user_id))
    _audit(conn, compiled, ctx, model.name, "delete", [(i, {}) for i in ids], note)
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
            shown = ", ".join(str(i) for i in referrers[:5]) + (
                "…" if len(referrers) > 5 else "")
            raise Conflict(message("restricted", ctx.locale, count=len(referrers),
                                   entity=other.entity.label.get(ctx.locale),
                                   field=incoming.field.name, ids=shown))
        cause = f"{model.name} #{ids[0]}" if len(ids) == 1 else f"{model.name} ({len(ids)})"
        if rule == "cascade":
            _soft_delete(conn, compiled, other, ctx, referrers, note=f"cascade from {cause}")
        else:
            old_values = dict(conn.execute(sa.select(other.table.c.id, column).where(
                other.table.c.id.in_(referrers))).all())
            conn.execute(other.table.update().where(other.table.c.id.in_(referrers)).values(
                {column: None, "version": other.table.c.version + 1, "updated_at": ctx.now,
                 "updated_by": ctx.user_id}))
            cleared = [(i, {incoming.field.name: [old_values.get(i), None]}) for i in referrers]
            _audit(conn, compiled, ctx, other.name, "update", cleared, f"cleared by {cause}")


def _restore(conn: sa.Connection, compiled: Compiled, model: EntityModel, ctx: Context,
             row: Mapping[str, Any], note: str | None) -> None:
    """Bring back ``row`` and everything its deletion cascaded to, then check that
    every restored record refers only to live records (siblings included)."""
    restored: list[tuple[EntityModel, Mapping[str, Any], str | None]] = []
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
        _audit(conn, compiled, ctx, each_model.name, "restore", [(each_row["id"], {})],
               each_note)
        refresh_rollups(conn, compiled, each_model, parents_in(each_model, [each_row]), ctx)


def _undelete(conn: sa.Connection, compiled: Compiled, model: EntityModel, ctx: Context,
              row: Mapping[str, Any], note: str | None,
              restored: list[tuple[EntityModel, Mapping[str, Any], str | None]]) -> None:
    table = model.table
    _unique_guard(lambda: conn.execute(table.update().where(table.c.id == row["id"]).values(
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
            _undelete(conn, compiled, other, ctx, child, f"with {model.name} #{row['id']}",
                      restored)


_UNIQUE_SQLITE = re.compile(r"UNIQUE constraint failed: ([\w., ]+)")
_UNIQUE_POSTGRES = re.compile(r"Key \(([^)]*)\)=")


def _unique_guard(action: Any, ctx: Context) -> Any:
    """Run ``action``; a unique violation becomes a 409 naming the field(s)."""
    try:
        return action()
    except sa.exc.IntegrityError as exc:
        text = str(exc.orig)
        match = _UNIQUE_SQLITE.search(text) or _UNIQUE_POSTGRES.search(text)
        if match is None or ("UNIQUE" not in text and "unique" not in text):
            raise
        fields = [part.strip().split(".")[-1].strip('"') for part in match.group(1).split(",")]
        raise Conflict({name: [message("unique", ctx.locale)] for name in fields}) from None
