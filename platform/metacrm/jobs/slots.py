"""Coordinate periodic tasks across processes: one row per task in ``mc_job_slots``.

A slot is due when its ``due_at`` has passed. Any number of servers and workers
may find it due at the same moment; the one whose conditional UPDATE moves
``due_at`` on (rowcount 1) runs the task, the others see rowcount 0. The row
also keeps the last run's start, finish and result, for ``metacrm jobs list``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

SLOTS_TABLE = "mc_job_slots"


def slots_table(metadata: sa.MetaData) -> sa.Table:
    return metadata.tables[SLOTS_TABLE]


def ensure_slots(conn: sa.Connection, table: sa.Table, names: Iterable[str],
                 now: datetime) -> None:
    """Give every task a slot; a new task is due at once."""
    rows = [{"name": name, "due_at": now} for name in names]
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(table).on_conflict_do_nothing(index_elements=[table.c.name]),
                 rows)


def take_slot(conn: sa.Connection, table: sa.Table, name: str, now: datetime,
              every_seconds: int) -> bool:
    """Whether this process runs ``name`` now: True for exactly one of all the
    processes that find it due. The next slot is one interval from now (a
    scheduler that was down does not run the missed slots one after another)."""
    result = conn.execute(table.update().where(table.c.name == name, table.c.due_at <= now)
                          .values(due_at=now + timedelta(seconds=every_seconds),
                                  started_at=now))
    return result.rowcount == 1


def record_run(conn: sa.Connection, table: sa.Table, name: str, started_at: datetime,
               finished_at: datetime, result: Mapping[str, Any]) -> None:
    """Keep what a run did (a run started by hand leaves ``due_at`` as it is)."""
    conn.execute(table.update().where(table.c.name == name).values(
        started_at=started_at, finished_at=finished_at, result=dict(result)))


def read_slots(conn: sa.Connection, table: sa.Table) -> dict[str, sa.RowMapping]:
    return {row["name"]: row for row in conn.execute(sa.select(table)).mappings()}
