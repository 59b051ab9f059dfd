"""INSERT statements of the platform's own tables built once, that send a list of
rows as one multi-row INSERT: with RETURNING, SQLAlchemy's "insertmanyvalues" puts
the rows in one statement's VALUES (in pages of a thousand), where a plain
``execute(insert, rows)`` is the driver's executemany (psycopg: one INSERT per row,
pipelined) and ``insert().values(rows)`` a new statement to compile on every call."""

from __future__ import annotations

from functools import lru_cache

import sqlalchemy as sa


@lru_cache(maxsize=64)
def insert_returning_id(table: sa.Table) -> sa.Insert:
    """``INSERT INTO table ... RETURNING id``; execute it with one row's values or a
    list of rows (each with the same keys). One statement assigns ids in the order of
    its VALUES on SQLite and PostgreSQL."""
    return table.insert().returning(table.c.id)
