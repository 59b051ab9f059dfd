"""How a migration holds the database: one session with the migration lock, and time
limits for its statements (PostgreSQL).

Every migration — ``metacrm migrate``, a server's start, a runtime customization —
takes one PostgreSQL advisory lock before it plans, so migrations run one at a time
and none plans against a schema another is half-way through changing (its
transaction committed, its concurrent index builds still running).  SQLite needs
no such lock: a write transaction holds the whole database.

``lock_timeout`` matters because of PostgreSQL's lock queue: an ``ALTER TABLE``
waiting for ACCESS EXCLUSIVE behind a long query makes every later query on the
table wait behind it.  A short limit, then a retry, bounds that stall.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.engine import Connection, Engine

from ..config import Settings
from ..db import writer
from .errors import is_lock_timeout

# Key of the PostgreSQL advisory lock that serialises migrations ("mcmigrat").
MIGRATION_LOCK = 0x6D636D6967726174

T = TypeVar("T")


@dataclass(frozen=True)
class MigrationTimeouts:
    """Limits for migration statements on PostgreSQL (``None``: no limit).

    ``lock``: seconds a statement waits for a table lock; ``statement``:
    seconds it may run; ``attempts``: tries of a transaction whose lock could
    not be had in time.
    """

    lock: float | None = None
    statement: float | None = None
    attempts: int = 1

    def set_local(self, conn: Connection) -> None:
        """Apply the limits to the rest of ``conn``'s transaction only (``SET LOCAL``)."""
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = {_ms(self.lock):d}")
            conn.exec_driver_sql(f"SET LOCAL statement_timeout = {_ms(self.statement):d}")

    @contextmanager
    def for_session(self, conn: Connection) -> Iterator[None]:
        """The statement limit, and no lock limit, for statements outside a transaction.

        A concurrent index build waits for every transaction already running
        before it builds, and blocks no read or write meanwhile: only its total
        time is bounded.
        """
        if conn.dialect.name != "postgresql":
            yield
            return
        conn.exec_driver_sql("SET lock_timeout = 0")
        conn.exec_driver_sql(f"SET statement_timeout = {_ms(self.statement):d}")
        try:
            yield
        finally:
            conn.exec_driver_sql("RESET lock_timeout")
            conn.exec_driver_sql("RESET statement_timeout")


# Tries of a transaction whose table lock was not had in time: a burst of long
# queries usually passes within a few seconds.
LOCK_ATTEMPTS = 3


def configured_timeouts(settings: Settings) -> MigrationTimeouts:
    """The limits the settings give migration statements (METACRM_MIGRATION_*)."""
    return MigrationTimeouts(
        lock=settings.migration_lock_timeout or None,
        statement=settings.migration_statement_timeout or None,
        attempts=LOCK_ATTEMPTS,
    )


def _ms(seconds: float | None) -> int:
    return 0 if not seconds else max(1, round(seconds * 1000))


def retry_on_lock_timeout(timeouts: MigrationTimeouts, attempt: Callable[[], T]) -> T:
    """Run ``attempt`` (which rolls back its own work when it fails) until it gets its
    locks in time, at most ``timeouts.attempts`` times, waiting longer each time."""
    for n in range(1, max(1, timeouts.attempts) + 1):
        try:
            return attempt()
        except Exception as exc:
            if n >= timeouts.attempts or not is_lock_timeout(exc):
                raise
        time.sleep(min(0.25 * 2**n, 4.0))
    raise AssertionError("unreachable")


@contextmanager
def migration_session(engine: Engine, *, wait: bool = True) -> Iterator[Connection | None]:
    """A connection for writing that holds the migration lock until the block ends.

    With ``wait=False`` the block gets ``None`` when another migration holds
    the lock (housekeeping then leaves that migration's work alone).  No
    transaction is open when the block starts.
    """
    with writer(engine).connect() as conn:
        if conn.dialect.name != "postgresql":
            yield conn
            return
        if wait:
            conn.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK:d})")
        elif not conn.exec_driver_sql(
            f"SELECT pg_try_advisory_lock({MIGRATION_LOCK:d})"
        ).scalar():
            conn.rollback()
            yield None
            return
        conn.commit()
        try:
            yield conn
        finally:
            _unlock(conn)


def _unlock(conn: Connection) -> None:
    # A session lock outlives transactions: a pooled connection would keep it.
    if conn.invalidated:
        return  # the session is gone, and its locks with it
    try:
        conn.rollback()
        conn.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK:d})")
        conn.commit()
    except Exception:  # noqa: BLE001 - whatever broke the session, closing it unlocks
        conn.invalidate()


@contextmanager
def outside_transaction(conn: Connection) -> Iterator[Connection]:
    """``conn`` in autocommit mode, for statements PostgreSQL refuses in a transaction."""
    conn.rollback()
    conn.execution_options(isolation_level="AUTOCOMMIT")
    try:
        yield conn
    finally:
        conn.rollback()
        if not conn.invalidated:
            conn.execution_options(isolation_level=conn.default_isolation_level)
