"""Build indexes concurrently on PostgreSQL, outside any transaction, and undo the
additive steps of a migration that could not be finished.

``CREATE INDEX CONCURRENTLY`` takes no lock that blocks the table's reads or
writes, but it cannot run in a transaction, and when it fails — a duplicate
value for a unique index, a timeout, a cancelled query — it leaves an INVALID
index behind, which PostgreSQL keeps up to date on every write without ever
using it.  ``build_concurrently`` drops that leftover before it reports the
failure, so nothing half-built remains.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from . import ddl
from .actions import Action, AddColumn, AddForeignKey, AddIndex, CreateTable
from .errors import IndexBuildFailed, failure_reason
from .session import MigrationTimeouts, outside_transaction, retry_on_lock_timeout

_ADDITIVE = (CreateTable, AddForeignKey, AddColumn, AddIndex)


def build_concurrently(
    conn: Connection, actions: Sequence[Action], timeouts: MigrationTimeouts
) -> None:
    """Run each concurrent index build on ``conn`` (no transaction open), in order.

    On the first failure the invalid index is dropped and ``IndexBuildFailed``
    raised, naming the indexes already built.
    """
    built: list[Action] = []
    with outside_transaction(conn), timeouts.for_session(conn):
        for action in actions:
            try:
                action.run(conn)
            except sa.exc.DBAPIError as exc:
                assert isinstance(action, AddIndex)
                drop_index_concurrently(conn, action.name)
                reason = failure_reason(conn, action, exc, timeouts.statement)
                raise IndexBuildFailed(action, exc, reason, built) from exc
            built.append(action)


def drop_index_concurrently(conn: Connection, name: str) -> None:
    """Drop index ``name`` if it exists, without blocking its table (autocommit ``conn``)."""
    conn.exec_driver_sql(ddl.drop_index(name, conn.dialect, concurrently=True, if_exists=True))


def is_additive(actions: Sequence[Action]) -> bool:
    """Whether the actions only add tables, columns and indexes (so dropping undoes them)."""
    return all(isinstance(a, _ADDITIVE) for a in actions)


def created_objects(actions: Sequence[Action]) -> list[dict[str, str]]:
    """What additive ``actions`` create, as JSON values: what ``drop_created`` removes."""
    created: list[dict[str, str]] = []
    for action in actions:
        if isinstance(action, CreateTable):
            created.append({"table": action.table})
        elif isinstance(action, AddColumn):
            created.append({"table": action.table, "column": action.column})
        elif isinstance(action, AddIndex):
            created.append({"table": action.table, "index": action.name})
        elif not isinstance(action, AddForeignKey):  # it goes with its new table
            raise TypeError(f"not an additive step: {action.describe()}")
    return created


def drop_created(
    conn: Connection, created: Sequence[Mapping[str, str]], timeouts: MigrationTimeouts
) -> None:
    """Drop what ``created_objects`` listed, where it still exists (PostgreSQL).

    Indexes go concurrently; then columns and tables in one short transaction
    under the lock timeout, retried like the migration that added them.  Only
    for objects nobody has used: their data is not kept.
    """
    dialect = conn.dialect
    with outside_transaction(conn), timeouts.for_session(conn):
        for item in created:
            if "index" in item:
                drop_index_concurrently(conn, item["index"])
    statements = [
        ddl.drop_column(item["table"], item["column"], dialect, if_exists=True)
        for item in created
        if "column" in item
    ] + [
        ddl.drop_table(item["table"], dialect, if_exists=True)
        for item in created
        if set(item) == {"table"}
    ]
    if not statements:
        return

    def attempt() -> None:
        with conn.begin():
            timeouts.set_local(conn)
            for statement in statements:
                conn.exec_driver_sql(statement)

    conn.rollback()
    retry_on_lock_timeout(timeouts, attempt)
