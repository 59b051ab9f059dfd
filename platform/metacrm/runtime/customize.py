"""Runtime customizations: add fields, options and roles while the servers run.

A customization is an ``extend`` / ``extend_optionset`` document (or a role),
validated exactly like YAML, compiled together with everything else, migrated
online (additive changes only), stored, and announced to other processes by
raising the schema version — usually all in one transaction.

On PostgreSQL a customization that indexes an existing table (an ``indexed``
or ``unique`` field, an ``indexes`` entry) would block the table's writes for
the whole index build that way.  It takes three steps instead:

1. a short transaction adds the columns (a brief ACCESS EXCLUSIVE lock, under
   the migration lock timeout, retried) and records the customization as
   pending, with what it created — not stored yet, so no process uses it;
2. the indexes are built concurrently, outside any transaction;
3. a short transaction stores the customization, records the migration,
   raises the schema version and deletes the pending record.

When step 2 fails (values a unique index cannot take, a timeout) the invalid
index is dropped, then the columns of step 1, which nobody could have
written: the request is refused and nothing remains.  When the process dies
between the steps, the pending record says what to drop; the next migration
(server start, ``metacrm migrate``, the next customization) or housekeeping
drops it.  All of this runs under the migration lock, so no other migration
plans against the half-changed schema.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..base.context import Context
from ..base.problems import MAX_REPORTED_ERRORS, Conflict, Invalid
from ..compile.compiled import Compiled, compile_catalog
from ..errors import DefinitionError
from ..migrate import (
    IndexBuildFailed,
    MigrationFailed,
    MigrationLockTimeout,
    MigrationPlan,
    MigrationRefused,
    MigrationTimeouts,
    apply_migration_in,
    build_concurrently,
    configured_timeouts,
    created_objects,
    drop_created,
    is_additive,
    migration_session,
    plan_migration_in,
    record_migration,
)
from ..platform import CUSTOMIZATIONS, Platform, read_customizations
from .derived_refresh import refresh_derived

ALLOWED_KINDS = ("extend", "extend_optionset", "role", "extend_role", "form", "report")
NOT_AN_EXTENSION = ("A customization is a document starting with 'extend' (add fields, "
                    "indexes, labels, pool and assignment rules), 'extend_optionset' (add "
                    "options), 'role' (a new role), 'extend_role' (change a role), 'form' "
                    "(a form layout; one named like an existing layout replaces it) or "
                    "'report' (a report; one named like an existing report replaces it).")
PENDING = "mc_pending_customizations"
_REFUSED = "the data cannot take this change, nothing was changed"


def add_customization(platform: Platform, ctx: Context, document: Any) -> tuple[int, Compiled]:
    if not isinstance(document, dict) or not any(k in document for k in ALLOWED_KINDS):
        raise Invalid({"_request": [NOT_AN_EXTENSION]})
    timeouts = configured_timeouts(platform.settings)
    with migration_session(platform.engine) as conn:
        assert conn is not None
        undo_pending(conn, timeouts)  # left by a process that died mid-way
        with conn.begin():
            new_id, fresh, plan = _plan(platform, conn, document)
            note = f"customization #{new_id}"
            apply_customization_plan(conn, plan.in_transaction(), note, timeouts,
                                     record=not plan.concurrent)
            if plan.concurrent:
                created = created_objects(plan.actions)
                conn.execute(_pending().insert().values(
                    id=new_id, document=document, created=created, started_at=ctx.now,
                    started_by=ctx.user_id))
            else:
                _store(conn, fresh, new_id, document, ctx)
        if plan.concurrent:
            _build_or_undo(conn, plan, new_id, created, timeouts)
            with conn.begin():
                record_migration(conn, plan.describe(), note, plan.target_fingerprint)
                _store(conn, fresh, new_id, document, ctx)
                _forget(conn, new_id)
    platform.adopt(fresh)
    refresh_derived(platform.engine, fresh)
    return new_id, fresh


def _plan(platform: Platform, conn: Connection, document: dict[str, Any]
          ) -> tuple[int, Compiled, MigrationPlan]:
    state = platform.compiled.tables.schema_state
    # Serialize concurrent customizations on the schema state row (SQLite has no
    # migration lock; its write transaction already holds the database).
    conn.execute(sa.select(state.c.version).where(state.c.id == 1).with_for_update())
    version, stored = read_customizations(conn)
    new_id = next_customization_id(conn, stored)
    try:
        catalog = platform.load(stored + [(new_id, document)])
    except DefinitionError as exc:
        raise definition_errors(exc, new_id) from None
    fresh = compile_catalog(catalog, version + 1)
    online = platform.settings.migration_concurrent_indexes
    plan = plan_migration_in(conn, fresh.metadata, concurrent_indexes=online)
    if plan.concurrent and not is_additive(plan.actions):
        # Only added objects can be dropped again if an index build fails.
        plan = plan_migration_in(conn, fresh.metadata)
    if plan.refusals:
        raise Invalid({"_request": [r.describe() for r in plan.refusals]})
    return new_id, fresh, plan


def next_customization_id(conn: Connection, stored: list[tuple[int, Any]]) -> int:
    """One more than any customization ever stored: a removed one keeps its number (it
    can be restored, and the migration history names it)."""
    table = sa.table(CUSTOMIZATIONS, sa.column("id"))
    highest = conn.execute(sa.select(sa.func.max(table.c.id))).scalar()
    return max([highest or 0] + [cid for cid, _ in stored]) + 1


def apply_customization_plan(conn: Connection, plan: MigrationPlan, note: str,
                             timeouts: MigrationTimeouts, *, record: bool) -> None:
    try:
        apply_migration_in(conn, plan, note=note, timeouts=timeouts, record=record)
    except MigrationRefused as exc:  # PlanOutdated: another migration ran meanwhile
        raise Conflict("; ".join(r.describe() for r in exc.refusals)) from None
    except MigrationLockTimeout as exc:
        raise Conflict(f"the table is busy, nothing was changed: {exc.reason}") from None
    except MigrationFailed as exc:  # e.g. a unique index over duplicate values
        raise Conflict(f"{_REFUSED}: '{exc.action.describe()}' failed: {exc.reason}") from None


def _build_or_undo(conn: Connection, plan: MigrationPlan, new_id: int,
                   created: list[dict[str, str]], timeouts: MigrationTimeouts) -> None:
    """Step 2; on failure, undo step 1 and refuse the customization."""
    try:
        build_concurrently(conn, plan.concurrent, timeouts)
    except Exception as failure:
        try:
            _undo(conn, new_id, created, timeouts)
            left = ""
        except Exception as exc:  # noqa: BLE001 - reported; housekeeping finishes the undo
            left = (f"; what it added could not be removed yet ({exc}): the next migration or "
                    "housekeeping removes it")
        if isinstance(failure, IndexBuildFailed):
            refused = "the data cannot take this change" if left else _REFUSED
            raise Conflict(f"{refused}: '{failure.action.describe()}' failed: "
                           f"{failure.reason}{left}") from None
        raise


def undo_unfinished(platform: Platform, *, dry_run: bool = False) -> list[int]:
    """Housekeeping: ``undo_pending`` unless a migration is running; the ids undone
    (with ``dry_run``: that would be)."""
    with migration_session(platform.engine, wait=False) as conn:
        if conn is None:
            return []  # a migration is running: pending records may be its own
        if dry_run:
            return pending_customizations(conn)
        return undo_pending(conn, configured_timeouts(platform.settings))


def pending_customizations(conn: Connection) -> list[int]:
    """The ids of customizations whose online migration has not finished."""
    ids = [row.id for row in _pending_rows(conn)]
    conn.rollback()
    return ids


def undo_pending(conn: Connection, timeouts: MigrationTimeouts) -> list[int]:
    """Undo the customizations whose online migration never finished; their ids.

    ``conn`` holds the migration lock (``migration_session``), so a pending
    record found now belongs to a process that died: nobody was told that
    customization succeeded, and nobody could write what it added.
    """
    rows = _pending_rows(conn)
    conn.rollback()
    for row in rows:
        _undo(conn, row.id, row.created, timeouts)
    return [row.id for row in rows]


def _pending_rows(conn: Connection) -> list[sa.Row[Any]]:
    if not sa.inspect(conn).has_table(PENDING):
        return []
    pending = _pending()
    return list(conn.execute(sa.select(pending.c.id, pending.c.created).order_by(pending.c.id)))


def _undo(conn: Connection, pending_id: int, created: list[dict[str, str]],
          timeouts: MigrationTimeouts) -> None:
    drop_created(conn, created, timeouts)
    with conn.begin():
        _forget(conn, pending_id)


def _forget(conn: Connection, pending_id: int) -> None:
    pending = _pending()
    conn.execute(pending.delete().where(pending.c.id == pending_id))


def _store(conn: Connection, fresh: Compiled, new_id: int, document: dict[str, Any],
           ctx: Context) -> None:
    tables = fresh.tables
    conn.execute(tables.customizations.insert().values(
        id=new_id, document=document, created_at=ctx.now, created_by=ctx.user_id))
    state = tables.schema_state
    conn.execute(state.update().where(state.c.id == 1).values(version=fresh.schema_version))


def _pending() -> sa.TableClause:
    return sa.table(PENDING, sa.column("id"), sa.column("document", sa.JSON),
                    sa.column("created", sa.JSON), sa.column("started_at"),
                    sa.column("started_by"))


def definition_errors(exc: DefinitionError, new_id: int) -> Invalid:
    prefix = f"customization #{new_id}"
    messages = [d.message for d in exc.diagnostics if str(d.location).startswith(prefix)]
    messages = messages or [str(d) for d in exc.diagnostics]
    return Invalid({"_request": messages[:MAX_REPORTED_ERRORS]},
                   more=max(0, len(messages) - MAX_REPORTED_ERRORS))
