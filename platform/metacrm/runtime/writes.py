"""Create and update records inside a caller's transaction.

Each function does all its checks and writes on one connection in one
transaction: a failure anywhere leaves nothing behind. Every change is
recorded in the audit trail with its fields' old and new values. The caller's
role decides what may be written: the operation must be granted, the record
must be in the caller's scope before and after the write, and references may
point only at records the caller may read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import Any

import sqlalchemy as sa

from ..base.context import Context
from ..base.problems import Forbidden, Invalid, PreconditionFailed
from ..compile.compiled import Compiled
from ..compile.models import EntityModel
from ..i18n import message
from .access import SYSTEM_FIELDS, EntityAccess, Viewer
from .assignment import assign_owners
from .audit import audit_changes, audit_rows, field_changes, write_audit
from .autonumber import format_number, take_numbers
from .computed import apply_formulas, broken_rules
from .duplicates import DUPLICATES_MEMBER, check_changed_record, check_new_record
from .fixed_statements import fixed, insert_many
from .form_conditions import condition_errors
from .holdings import check_hold_limit, counts_towards_limit, hold_limit_of, owner_column
from .integrity import missing_references, missing_references_of, unique_guard
from .links import link_ids, set_links
from .locks import refuse_parent_locks, refuse_read_only, refuse_while_pending
from .operation import Operation
from .payload import read_payload
from .reads import serialize
from .rollups import merge, parents_in, refresh_rollups
from .rows import Row
from .stored_rows import check_version, lock_reachable

MAX_BULK = 1000


def create_records(conn: sa.Connection, compiled: Compiled, model: EntityModel, ctx: Context,
                   rows: list[dict[str, Any]], *, bulk: bool = False,
                   layout: bool = False) -> list[dict[str, Any]]:
    """Insert already-read payloads (see payload.read_payload); returns the new records
    as the API shows them (built from what was inserted: no second read). A bulk
    create is an import: the role needs both operations. With ``layout`` (a caller's
    own create, through the API or a page) the caller's form layout's ``required_if``
    conditions apply too."""
    viewer = Viewer(compiled, ctx.principal, conn)
    access = viewer.of(model)
    access.require("create", ctx)
    if bulk:
        access.require("import", ctx)
    table = model.table
    errors: dict[str, list[str]] = {}
    for index, missing in enumerate(missing_references_of(conn, viewer, model, rows, ctx)):
        for key, problems in missing.items():
            errors.setdefault(_row_key(key, index, bulk), []).extend(problems)
    records = []
    types = model.types
    for index, values in enumerate(rows):
        record = {name: value for name, value in values.items() if name in types}
        record.update(model.empty_rollups)
        # Formulas and rules may use the system fields: they have their values already.
        record.update(version=1, created_at=ctx.now, updated_at=ctx.now,
                      created_by=ctx.user_id, updated_by=ctx.user_id)
        apply_formulas(model, record, ctx)
        record.update(model.block_keys(record))
        for key, problems in broken_rules(model, record, ctx, access.hidden).items():
            errors.setdefault(_row_key(key, index, bulk), []).extend(problems)
        if layout:
            form = compiled.form_for(model.name, ctx.principal)
            for key, problems in condition_errors(form, model, ctx, record, access.hidden,
                                                  readonly=access.readonly).items():
                errors.setdefault(_row_key(key, index, bulk), []).extend(problems)
        records.append(record)
    if errors:
        raise Invalid(errors)
    refuse_parent_locks(Operation(conn, compiled, ctx), model, records)
    _give_owners(conn, compiled, model, ctx, access, records)
    links = {f.name: [r.pop(f.name, None) for r in records] for f in model.multi_references}
    columns = [c.name for c in table.columns if c.name != "id" and c.name != "deleted_at"]
    params = [{name: record.get(name) for name in columns} for record in records]
    ids = _insert_numbered(conn, compiled, model, ctx, params)
    for name, targets in links.items():
        set_links(conn, model, name, list(zip(ids, targets, strict=True)))
    _require_reach(conn, access, model, ids, "create", ctx)
    changes = []
    audited = [k for k in columns if k not in SYSTEM_FIELDS and k not in model.empty_rollups
               and k not in model.blocked_fields]
    for index, (record_id, param) in enumerate(zip(ids, params, strict=True)):
        after = {k: v for k in audited if (v := param[k]) is not None}
        after.update({n: sorted(set(chosen)) for n, targets in links.items()
                      if (chosen := targets[index])})
        changes.append((record_id, field_changes({}, after)))
    audit_changes(conn, compiled, ctx, model.name, "create", changes)
    refresh_rollups(conn, compiled, model, parents_in(model, params), ctx)
    created = []
    for index, (record_id, param) in enumerate(zip(ids, params, strict=True)):
        shown = serialize(model, {**param, "id": record_id}, model.output_columns)
        shown.update({n: sorted(set(targets[index] or [])) for n, targets in links.items()})
        created.append(shown)
    return as_read(conn, access, model, created, "create")


def _give_owners(conn: sa.Connection, compiled: Compiled, model: EntityModel, ctx: Context,
                 access: EntityAccess, records: list[dict[str, Any]]) -> None:
    """Records left without an owner go through the assignment rules; everyone who
    gets records (the creator or whoever they are created for) stays within their
    hold limit; ``assigned_at`` starts now."""
    owner = owner_column(model)
    if owner is None:
        return
    assign_owners(conn, compiled, model, ctx, [r for r in records if r.get(owner) is None])
    if not ctx.principal.system:  # demo data and imports by the platform itself
        gaining: dict[int, list[dict[str, Any]]] = {}
        for record in records:
            if record.get(owner) is not None:
                gaining.setdefault(record[owner], []).append(record)
        for user_id in sorted(gaining):  # in id order: concurrent creates cannot deadlock
            limit = (access.policy.hold_limit if user_id == ctx.user_id
                     else hold_limit_of(conn, compiled, model, user_id))
            check_hold_limit(conn, compiled, model, ctx, limit, user_id, gaining[user_id])
    stamp = model.entity.pool.assigned_at if model.entity.pool else None
    if stamp:
        for record in records:
            if record.get(owner) is not None and record.get(stamp) is None:
                record[stamp] = ctx.now


def _insert_numbered(conn: sa.Connection, compiled: Compiled, model: EntityModel,
                     ctx: Context, params: list[dict[str, Any]]) -> list[int]:
    """Insert rows, giving autonumber fields their numbers only now, after validation:
    the counter row stays locked until commit, and every create of the entity waits
    on it (the price of gap-free numbers)."""
    table, sequences = model.table, compiled.tables.sequences
    numbered = [f for f in model.entity.fields.values() if f.type == "autonumber"]
    for field_def in numbered:
        numbers = take_numbers(conn, sequences, f"{model.name}.{field_def.name}", len(params))
        for values, number in zip(params, numbers, strict=True):
            values[field_def.name] = format_number(field_def.format or "{seq}", number, ctx.now)
    if conn.dialect.name == "sqlite" and len(params) > 1:
        # SQLAlchemy knows no way to sort a SQLite RETURNING by parameter (its order is
        # not promised), so sort_by_parameter_order would send one INSERT per row. A
        # SQLite rowid is the largest yet plus one, given row by row in VALUES order
        # (runtime/inserts.py): the ids sorted are the parameters' ids in order.
        many = model.statement("insert_many", lambda: table.insert().returning(table.c.id))
        return sorted(unique_guard(lambda: conn.execute(many, params).scalars().all(), ctx))
    if conn.dialect.name == "postgresql" and len(params) > 1:
        # The ids first (the table's own sequence, one statement), then one INSERT
        # (fixed_statements.insert_many: many rows as one JSON text): sorting a RETURNING by
        # parameter renders 500 rows x every column into one statement per batch, five
        # times the CPU on both sides, and an executemany is 500 INSERTs for the
        # server to run.
        taken = model.statement("next_ids", lambda: _next_ids(table, conn.dialect))
        ids = sorted(conn.execute(taken, {"count": len(params)}).scalars().all())
        if len(ids) == len(params) and None not in ids:  # NULL: no sequence owns "id"
            rows = [{**values, "id": record_id} for values, record_id in zip(
                params, ids, strict=True)]
            unique_guard(lambda: insert_many(conn, table, rows), ctx)
            return ids
    insert = model.statement("insert", lambda: table.insert().returning(
        table.c.id, sort_by_parameter_order=True))
    return list(unique_guard(lambda: conn.execute(insert, params).scalars().all(), ctx))


def _next_ids(table: sa.Table, dialect: sa.Dialect) -> sa.Select:
    """``count`` new ids from the sequence that numbers ``table.id`` (PostgreSQL)."""
    name = dialect.identifier_preparer.format_table(table)  # quoted as the function wants
    sequence = sa.func.pg_get_serial_sequence(sa.literal(name), sa.literal("id"))
    return sa.select(sa.func.nextval(sequence)).select_from(
        sa.func.generate_series(1, sa.bindparam("count", type_=sa.Integer)))


def create_checked(reading: Callable[[], AbstractContextManager[sa.Connection]],
                   writing: Callable[[], AbstractContextManager[sa.Connection]],
                   compiled: Compiled, model: EntityModel, ctx: Context,
                   values: dict[str, Any]) -> dict[str, Any]:
    """Create the one record a person asks for (API, form) with its duplicate rules
    checked: the warning rules' candidates read on ``reading()`` before the write
    transaction and given under ``_duplicates``, the blocking rules in ``writing()``'s
    (409): duplicates.check_new_record says why."""
    warnings: list[dict[str, Any]] = []
    if any(rule.action != "block" for rule in model.entity.duplicates):
        with reading() as conn:
            warnings = check_new_record(Operation(conn, compiled, ctx), model, values,
                                        blocking=False)
    with writing() as conn:
        check_new_record(Operation(conn, compiled, ctx), model, values, blocking=True)
        (record,) = create_records(conn, compiled, model, ctx, [values], layout=True)
    if warnings:  # likely duplicates of a warning rule: created, and said so
        record[DUPLICATES_MEMBER] = warnings
    return record


def update_record(conn: sa.Connection, compiled: Compiled, model: EntityModel, ctx: Context,
                  record_id: int, body: Any, expected_version: int | None, *,
                  check_duplicates: bool = False) -> dict[str, Any]:
    """Apply a client's PATCH body under a row lock; returns the record as shown. With
    ``check_duplicates`` (a person's edit, an import's update) the duplicate rules whose
    fields change are checked as on create: a blocking rule refuses (409), a warning
    rule's candidates come back under ``_duplicates``."""
    viewer = Viewer(compiled, ctx.principal, conn)
    access = viewer.of(model)
    access.require("update", ctx)
    current = lock_reachable(conn, viewer, model, record_id, ctx, "update")
    check_version(current, expected_version, ctx)
    op = Operation(conn, compiled, ctx)
    refuse_while_pending(op, model, record_id)
    refuse_read_only(op, model, [current])
    guarded = [f.name for f in model.entity.fields.values() if f.stored and (
        f.readonly or f.name in access.readonly or f.name == owner_column(model)
        or f.name == model.state_field)]
    values = read_payload(model, ctx, body, creating=False,
                          current=serialize(model, current, guarded), access=access)
    warnings = check_changed_record(op, model, current, values) if check_duplicates else []
    record = save_changes(conn, viewer, model, ctx, current, values, action="update",
                          layout=True)
    if warnings:
        record[DUPLICATES_MEMBER] = warnings
    return record


def _take(rows: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Empty ``rows`` (so that they are written once), returning what it held."""
    if not rows:
        return []
    taken = list(rows)
    rows.clear()
    return taken


def save_changes(conn: sa.Connection, viewer: Viewer, model: EntityModel, ctx: Context,
                 current: Row, values: Mapping[str, Any], *, action: str,
                 note: str | None = None, keep_in_reach: bool = True,
                 audit_before: list[dict[str, Any]] | None = None,
                 audit_later: list[dict[str, Any]] | None = None,
                 layout: bool = False, saved_row: dict[str, Any] | None = None
                 ) -> dict[str, Any]:
    """Write ``values`` (already read and checked field by field) over the locked record
    ``current``: references, formulas, rules and hold limits first, then one UPDATE,
    the links, the audit row (``action``, ``note``) and the rollups. Returns the record
    as the caller may read it. With ``keep_in_reach`` the record must stay within the
    caller's update scope (a transition may move it out: the process says so).
    ``audit_before``: audit rows of what led to this change (an approval's decision),
    taken from the list and written with this change's own row, in one INSERT.
    ``audit_later``: a list that takes this change's audit rows (``audit_before``'s
    too) instead of writing them, for a caller that writes them with rows of its own
    (an approval's decision, with its events and notifications). With
    ``layout`` (a caller's own edit) the caller's form layout's ``required_if`` and
    ``readonly_if`` conditions apply too. ``saved_row``, if given, is filled with the
    record's row (its table's columns) as the write left it, returned by the UPDATE
    itself rather than read again."""
    compiled, access = viewer.compiled, viewer.of(model)
    before = _take(audit_before)
    table = model.table
    record_id = current["id"]
    values = dict(values)
    errors = missing_references(conn, viewer, model, values, ctx)
    links = {f.name: values.pop(f.name) for f in model.multi_references if f.name in values}
    record = dict(current)
    record.update({f.name: link_ids(current[f.name]) for f in model.multi_references})
    record.update(values)
    old_links = {name: link_ids(current[name]) for name in links}
    for name, targets in links.items():
        record[name] = targets
    apply_formulas(model, record, ctx)
    record.update(model.block_keys(record, values))
    for key, problems in broken_rules(model, record, ctx, access.hidden).items():
        errors.setdefault(key, []).extend(problems)
    if layout:
        changed = frozenset(
            [n for n in values if n in table.c and record.get(n) != current.get(n)]
            + [n for n, targets in links.items() if sorted(set(targets or [])) != old_links[n]])
        for key, problems in condition_errors(
                compiled.form_for(model.name, ctx.principal), model, ctx, record,
                access.hidden, current, changed, readonly=access.readonly).items():
            errors.setdefault(key, []).extend(problems)
    if errors:
        raise Invalid(errors)
    _keep_within_hold_limit(conn, compiled, model, ctx, current, record)
    stored = {n: record[n] for n in record if n in table.c and n not in SYSTEM_FIELDS}
    changes = field_changes({n: current[n] for n in stored}, stored)
    # Block keys are written with their field's change, never shown in the audit trail.
    keys = [n for n in model.blocked_fields if changes.pop(n, None) is not None]
    for name, targets in links.items():
        if sorted(set(targets or [])) != old_links[name]:
            changes[name] = [old_links[name], sorted(set(targets or []))]
    shown_links = {name: sorted(set(links[name] or [])) if name in links
                   else link_ids(current[name])
                   for name in (f.name for f in model.multi_references)}
    if not changes:
        if saved_row is not None:
            saved_row.update({c.name: current[c.name] for c in table.c})
        if audit_later is not None:
            audit_later.extend(before)
        elif before:
            write_audit(conn, compiled.tables.audit, ctx, model.name, action, [], before=before)
        return as_read(conn, access, model, [{**serialize(model, current, model.output_columns),
                                              **shown_links}], "update")[0]
    refuse_parent_locks(Operation(conn, compiled, ctx), model, [current, record])
    column_changes = {n: stored[n] for n in [*changes, *keys] if n in table.c}
    column_changes.update(version=current["version"] + 1, updated_at=ctx.now,
                          updated_by=ctx.user_id)
    returning = saved_row is not None
    statement = model.statement(
        ("update", returning, *sorted(column_changes)),
        lambda: update_statement(model, sorted(column_changes), returning=returning))
    params = {f"new_{name}": value for name, value in column_changes.items()}
    params.update(record_id=record_id, old_version=current["version"])
    # A fixed statement: every PATCH and a chain's end run this UPDATE (see
    # fixed_statements.py).
    result = unique_guard(lambda: fixed(statement).execute(conn, params), ctx)
    rows = result.mappings() if returning else None
    if (len(rows) if rows is not None else result.rowcount) != 1:
        # cannot happen under the row lock; fail loudly if it does
        raise PreconditionFailed(message("stale", ctx.locale, expected=current["version"],
                                         actual="?"))
    if rows is not None and saved_row is not None:
        saved_row.update(rows[0])
    for name, targets in links.items():
        conn.execute(model.link_tables[name].delete().where(
            model.link_tables[name].c.source_id == record_id))
        set_links(conn, model, name, [(record_id, targets)])
    if keep_in_reach:
        _require_reach(conn, access, model, [record_id], "update", ctx)
    if audit_later is not None:
        audit_later.extend([*before, *audit_rows(ctx, model.name, action,
                                                 [(record_id, changes)], note)])
    else:
        audit_changes(conn, compiled, ctx, model.name, action, [(record_id, changes)],
                      note, before=before)
    refresh_rollups(conn, compiled, model, merge(parents_in(model, [current]),
                                                 parents_in(model, [record])), ctx)
    record.update(column_changes)
    return as_read(conn, access, model, [{**serialize(model, record, model.output_columns),
                                          **shown_links}], "update")[0]


def update_statement(model: EntityModel, names: list[str], *, returning: bool = False
                     ) -> sa.Update:
    """UPDATE of the columns ``names`` (parameters ``new_<name>``) of the record
    ``record_id`` still at ``old_version`` (``returning``: and its row after); built
    once per entity and set of columns."""
    table = model.table
    statement = (table.update()
                 .where(table.c.id == sa.bindparam("record_id"),
                        table.c.version == sa.bindparam("old_version"))
                 .values({table.c[n]: sa.bindparam(f"new_{n}", type_=table.c[n].type)
                          for n in names}))
    return statement.returning(*table.c) if returning else statement


def _keep_within_hold_limit(conn: sa.Connection, compiled: Compiled, model: EntityModel,
                            ctx: Context, current: Row,
                            record: Mapping[str, Any]) -> None:
    """A held record that starts counting towards its owner's hold limit (a signed
    customer turned back into a lead) must fit within it, as a claim would."""
    owner = owner_column(model)
    holder = record.get(owner) if owner else None
    if holder is None or ctx.principal.system or counts_towards_limit(model, current) \
            or not counts_towards_limit(model, record):
        return
    check_hold_limit(conn, compiled, model, ctx, hold_limit_of(conn, compiled, model, holder),
                     holder, [record])


def as_read(conn: sa.Connection, access: EntityAccess, model: EntityModel,
            records: list[dict[str, Any]], operation: str) -> list[dict[str, Any]]:
    """What a write answers: each record as the caller may read it. One the caller
    may change but not read (a role with update and no read, a scope wider for
    writing) shows only its id and version."""
    if access.policy.unrestricted:
        return records
    readable: set[int] = set()
    if access.allows("read"):
        if access.policy.read_covers(operation):
            readable = {r["id"] for r in records}
        else:
            scope = access.condition("read")
            statement = sa.select(model.table.c.id).where(
                model.table.c.id.in_([r["id"] for r in records]))
            readable = set(conn.execute(statement if scope is None else statement.where(scope))
                           .scalars())
    return [access.visible(r) if r["id"] in readable
            else {"id": r["id"], "version": r["version"]} for r in records]


def _row_key(key: str, index: int, bulk: bool) -> str:
    return f"items[{index}].{key}" if bulk else key


def _require_reach(conn: sa.Connection, access: EntityAccess, model: EntityModel,
                   ids: list[int], operation: str, ctx: Context) -> None:
    """After writing, every record must still be one the caller may ``operation``:
    nobody creates or moves a record out of their own reach."""
    scope = access.condition(operation)
    if scope is None:
        return
    inside = conn.execute(sa.select(sa.func.count()).select_from(model.table).where(
        model.table.c.id.in_(ids), scope)).scalar_one()
    if inside != len(ids):
        raise Forbidden(message("outside_reach", ctx.locale,
                                entity=model.entity.plural.get(ctx.locale)))
