"""Run a ``MigrationPlan`` and record it in the history.

A plan's actions run in one transaction, then the history row: both
databases run DDL transactionally (see ``db.py`` for SQLite), so if any step
fails the database is left exactly as it was.  Migrations queue: SQLite's
writer takes the write lock up front, PostgreSQL takes the migration lock
(``session.py``).  Once it holds the lock, ``apply_migration_in`` checks that
the schema is still the one the plan was made against; otherwise the plan is
outdated and nothing is run.

A plan made with ``concurrent_indexes`` (PostgreSQL) has index builds that
cannot run in a transaction: ``apply_migration`` commits the transaction,
then builds them concurrently, then records the history row.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.engine import Connection, Engine

from .concurrent import build_concurrently
from .errors import (
    IndexBuildFailed,
    MigrationFailed,
    MigrationLockTimeout,
    MigrationRefused,
    PlanOutdated,
    failure_reason,
    is_lock_timeout,
)
from .history import AppliedMigration, record_migration
from .plan import MigrationPlan
from .session import MIGRATION_LOCK, MigrationTimeouts, migration_session, retry_on_lock_timeout
from .snapshot import fingerprint, reflect_snapshot

NO_LIMITS = MigrationTimeouts()


def apply_migration(
    engine: Engine,
    plan: MigrationPlan,
    *,
    note: str = "",
    timeouts: MigrationTimeouts = NO_LIMITS,
) -> AppliedMigration:
    """Run ``plan`` on ``engine``'s database and record it.

    Raises ``MigrationRefused`` if the plan has refusals, ``PlanOutdated`` if
    the schema changed since planning, ``MigrationFailed`` if a statement
    fails (``MigrationLockTimeout`` if a table stayed locked past
    ``timeouts.lock``, after ``timeouts.attempts`` tries): then nothing was
    changed.  A plan without concurrent builds is all or nothing; with them,
    ``IndexBuildFailed`` says that one build failed and was removed while the
    transaction's changes (recorded in the history) stay.  An empty plan runs
    nothing and records nothing (``id`` None).
    """
    _check(plan, engine.dialect.name)
    with migration_session(engine) as conn:
        assert conn is not None
        return apply_migration_on(conn, plan, note=note, timeouts=timeouts)


def apply_migration_on(
    conn: Connection,
    plan: MigrationPlan,
    *,
    note: str = "",
    timeouts: MigrationTimeouts = NO_LIMITS,
) -> AppliedMigration:
    """``apply_migration`` on a connection from ``migration_session``."""
    _check(plan, conn.dialect.name)
    conn.rollback()  # planning on this connection left its reading transaction open
    concurrent = plan.concurrent
    with conn.begin():
        applied = apply_migration_in(
            conn, plan.in_transaction(), note=note, timeouts=timeouts, record=not concurrent
        )
    if not concurrent:
        return applied
    try:
        build_concurrently(conn, concurrent, timeouts)
    except IndexBuildFailed as failed:
        done = [a for a in plan.actions if not a.concurrent or a in failed.built]
        with conn.begin():
            live = fingerprint(reflect_snapshot(conn))
            record_migration(conn, [a.describe() for a in done], note, live)
        raise
    with conn.begin():
        return record_migration(conn, plan.describe(), note, plan.target_fingerprint)


def apply_migration_in(
    conn: Connection,
    plan: MigrationPlan,
    *,
    note: str = "",
    timeouts: MigrationTimeouts = NO_LIMITS,
    record: bool = True,
) -> AppliedMigration:
    """Run ``plan`` inside the caller's write transaction (``writer(engine).begin()``).

    Used where the schema change must commit together with other writes, as a
    runtime customization does with its stored definition: it commits or
    rolls back with the caller's transaction.  The actions run in a savepoint,
    so after a ``MigrationFailed`` the schema is as it was and the caller's
    transaction is still usable; a lock not had in time rolls the savepoint
    back and tries again.  The limits of ``timeouts`` hold for the rest of the
    caller's transaction (``SET LOCAL``).  ``record=False`` leaves the history
    row to the caller (who records the whole change once it is complete).
    """
    _check(plan, conn.dialect.name)
    if plan.concurrent:
        raise ValueError(
            "a plan with concurrent index builds cannot run in a transaction: apply it with "
            "apply_migration, or plan it without concurrent_indexes"
        )
    _lock(conn)
    if fingerprint(reflect_snapshot(conn)) != plan.source_fingerprint:
        raise PlanOutdated()
    if plan.is_empty:
        return AppliedMigration(None, datetime.now(UTC), note, (), plan.target_fingerprint)

    def attempt() -> AppliedMigration:
        with conn.begin_nested():
            timeouts.set_local(conn)
            for action in plan.actions:
                try:
                    action.run(conn)
                except Exception as exc:
                    raise MigrationFailed(action, exc) from exc
            if not record:
                return AppliedMigration(None, datetime.now(UTC), note, (), plan.target_fingerprint)
            return record_migration(conn, plan.describe(), note, plan.target_fingerprint)

    try:
        return retry_on_lock_timeout(timeouts, attempt)
    except MigrationFailed as failed:
        if is_lock_timeout(failed.error):
            raise MigrationLockTimeout(
                failed.action, failed.error, timeouts.lock or 0, timeouts.attempts
            ) from failed.error
        reason = failure_reason(conn, failed.action, failed.error, timeouts.statement)
        if reason:
            raise MigrationFailed(failed.action, failed.error, reason) from failed.error
        raise


def _check(plan: MigrationPlan, dialect: str) -> None:
    if plan.refusals:
        raise MigrationRefused(plan.refusals)
    if dialect != plan.dialect:
        raise ValueError(f"plan made for {plan.dialect}, connection is {dialect}")


def _lock(conn: Connection) -> None:
    if conn.dialect.name != "postgresql":
        return  # SQLite: writer() began with BEGIN IMMEDIATE, the lock is held
    # Re-entrant: a migration_session of this connection already holds it.
    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK:d})")
