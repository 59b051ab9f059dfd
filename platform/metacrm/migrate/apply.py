"""Run a ``MigrationPlan`` in one transaction and record it in the history.

Everything happens in a single ``writer(engine).begin()`` transaction: every
action, then the history row.  Both databases run DDL transactionally (see
``db.py`` for SQLite), so if any step fails the database is left exactly as
it was.  Concurrent migrations queue: SQLite's writer takes the write lock up
front, PostgreSQL takes a transaction-scoped advisory lock.  Once it holds the
lock, ``apply_migration`` checks that the schema is still the one the plan
was made against; otherwise the plan is outdated and nothing is run.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.engine import Connection, Engine

from ..db import writer
from .actions import Action, Refusal
from .history import AppliedMigration, record_migration
from .plan import MigrationPlan
from .snapshot import fingerprint, reflect_snapshot

# Key of the PostgreSQL advisory lock that serialises migrations ("mcmigrat").
_LOCK_KEY = 0x6D636D6967726174


class MigrationRefused(Exception):
    """The plan refuses some changes; nothing was run.  ``refusals`` says which and why."""

    def __init__(self, refusals: Sequence[Refusal]):
        self.refusals = tuple(refusals)
        lines = "\n".join(f"  REFUSED: {r.describe()}" for r in self.refusals)
        super().__init__(f"migration refused, nothing was changed:\n{lines}")


class PlanOutdated(MigrationRefused):
    """The database schema changed after the plan was made; plan again."""

    def __init__(self) -> None:
        super().__init__(
            [
                Refusal(
                    "plan",
                    "the database schema changed since this plan was made (another migration ran)",
                    "make a new plan and apply that",
                )
            ]
        )


class MigrationFailed(Exception):
    """An action failed; the transaction was rolled back and nothing was changed."""

    def __init__(self, action: Action, error: BaseException):
        self.action = action
        self.error = error
        reason = getattr(error, "orig", None) or error
        super().__init__(
            f"migration rolled back, nothing was changed: '{action.describe()}' failed: {reason}"
        )


def apply_migration(
    engine: Engine,
    plan: MigrationPlan,
    *,
    note: str = "",
    lock_timeout: float | None = None,
) -> AppliedMigration:
    """Run ``plan`` on ``engine``'s database, all or nothing, and record it.

    Raises ``MigrationRefused`` if the plan has refusals, ``PlanOutdated`` if
    the schema changed since planning, ``MigrationFailed`` if a statement
    fails.  ``lock_timeout`` (seconds, PostgreSQL) bounds how long an ``ALTER``
    waits behind running queries instead of stalling every request queued
    behind it.  An empty plan runs nothing and records nothing (``id`` None).
    """
    if plan.refusals:
        raise MigrationRefused(plan.refusals)
    if engine.dialect.name != plan.dialect:
        raise ValueError(f"plan made for {plan.dialect}, engine is {engine.dialect.name}")
    with writer(engine).begin() as conn:
        return apply_migration_in(conn, plan, note=note, lock_timeout=lock_timeout)


def apply_migration_in(
    conn: Connection,
    plan: MigrationPlan,
    *,
    note: str = "",
    lock_timeout: float | None = None,
) -> AppliedMigration:
    """Run ``plan`` inside the caller's write transaction (``writer(engine).begin()``).

    Used where the schema change must commit together with other writes, as a
    runtime customization does with its stored definition: it commits or
    rolls back with the caller's transaction.  The actions run in a savepoint,
    so after a ``MigrationFailed`` the schema is as it was and the caller's
    transaction is still usable.
    """
    if plan.refusals:
        raise MigrationRefused(plan.refusals)
    if conn.dialect.name != plan.dialect:
        raise ValueError(f"plan made for {plan.dialect}, connection is {conn.dialect.name}")
    _lock(conn, lock_timeout)
    if fingerprint(reflect_snapshot(conn)) != plan.source_fingerprint:
        raise PlanOutdated()
    if plan.is_empty:
        return AppliedMigration(None, datetime.now(UTC), note, (), plan.target_fingerprint)
    with conn.begin_nested():
        for action in plan.actions:
            try:
                action.run(conn)
            except Exception as exc:
                raise MigrationFailed(action, exc) from exc
        return record_migration(conn, plan.describe(), note, plan.target_fingerprint)


def _lock(conn: Connection, lock_timeout: float | None) -> None:
    if conn.dialect.name != "postgresql":
        return  # SQLite: writer() began with BEGIN IMMEDIATE, the lock is held
    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_LOCK_KEY:d})")
    if lock_timeout is not None:
        conn.exec_driver_sql(f"SET LOCAL lock_timeout = {int(lock_timeout * 1000):d}")
