"""INSERT statements of the platform's own tables built once, that send a list of
rows as one multi-row INSERT: with RETURNING, SQLAlchemy's "insertmanyvalues" puts
the rows in one statement's VALUES (in pages of a thousand), where a plain
``execute(insert, rows)`` is the driver's executemany (psycopg: one INSERT per row,
pipelined) and ``insert().values(rows)`` a new statement to compile on every call."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from .fixed_statements import MAX_FIXED_ROWS, copy_many, insert_many, takes_dml_in_with


@lru_cache(maxsize=64)
def insert_returning_id(table: sa.Table) -> sa.Insert:
    """``INSERT INTO table ... RETURNING id``; execute it with one row's values or a
    list of rows (each with the same keys). One statement assigns ids in the order of
    its VALUES on SQLite and PostgreSQL."""
    return table.insert().returning(table.c.id)


def insert_rows(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (each with the same keys) in one statement: a few rows (a
    decision's audit row, a notification to each approver) as a fixed statement
    (fixed_statements.py), more through the many-rows machinery."""
    insert_many(conn, table, rows)


@lru_cache(maxsize=64)
def _plain_insert(table: sa.Table) -> sa.Insert:
    return table.insert()


def append_rows(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (each with the same keys) whose ids nobody reads (audit rows, an
    import's log), as each database takes many rows cheapest: a few as one fixed
    statement; more, on PostgreSQL as one COPY (or, while someone listens to the
    statements, one INSERT of the rows as one JSON text), elsewhere as
    the driver's executemany (SQLite's runs the rows through one prepared statement
    in C, where a multi-row VALUES is a new text to build and parse per call)."""
    if not rows or copy_many(conn, table, rows):
        return
    if len(rows) <= MAX_FIXED_ROWS or takes_dml_in_with(conn):
        insert_many(conn, table, rows)  # one statement, its ids unread
    else:
        conn.execute(_plain_insert(table), rows)
