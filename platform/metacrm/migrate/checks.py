"""Count the rows a schema change would touch or violate.

Planning uses these to decide between an action and a refusal; applying on
SQLite uses them again inside the write transaction, because SQLite does not
check existing rows when a column's definition is rewritten in place.  When a
unique index cannot be built, ``duplicates`` says which values stood in its way.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .shapes import TypeShape, integer_bounds


def _column(table: str, column: str) -> tuple[sa.TableClause, sa.ColumnClause[object]]:
    handle = sa.table(table, sa.column(column))
    return handle, handle.c[column]


def count_rows(conn: Connection, table: str) -> int:
    query = sa.select(sa.func.count()).select_from(sa.table(table))
    return int(conn.execute(query).scalar_one())


def has_rows(conn: Connection, table: str) -> bool:
    query = sa.select(sa.literal(1)).select_from(sa.table(table)).limit(1)
    return conn.execute(query).first() is not None


def count_nulls(conn: Connection, table: str, column: str) -> int:
    handle, col = _column(table, column)
    query = sa.select(sa.func.count()).select_from(handle).where(col.is_(None))
    return int(conn.execute(query).scalar_one())


def count_values(conn: Connection, table: str, column: str) -> int:
    handle, col = _column(table, column)
    query = sa.select(sa.func.count(col)).select_from(handle)
    return int(conn.execute(query).scalar_one())


def count_misfits(conn: Connection, table: str, column: str, shape: TypeShape) -> int:
    """Rows whose value would not fit ``shape`` (too long, too many digits, out of range),
    the values read as they are stored (for minor units: already scaled).

    Fewer digits after the point is not a misfit: the value is rounded, which
    is what allowing a destructive change accepts.
    """
    handle, col = _column(table, column)
    condition: sa.ColumnElement[bool] | None = None
    if shape.kind in ("string", "char") and isinstance(shape.size[0], int):
        condition = sa.func.length(col) > shape.size[0]
    elif shape.kind == "numeric" and isinstance(shape.size[0], int):
        precision, scale = shape.size
        assert isinstance(precision, int) and isinstance(scale, int)
        condition = sa.func.abs(col) >= 10 ** (precision - scale)
    elif shape.kind == "minor_units":
        precision = shape.size[0]
        assert isinstance(precision, int)
        condition = sa.func.abs(col) >= 10**precision
    elif shape.kind == "integer":
        bounds = integer_bounds(shape)
        assert bounds is not None
        condition = sa.or_(col < bounds[0], col > bounds[1])
    if condition is None:
        return 0
    query = sa.select(sa.func.count()).select_from(handle).where(condition)
    return int(conn.execute(query).scalar_one())


def duplicates(
    conn: Connection, table: str, columns: Sequence[str], where: str | None = None, limit: int = 5
) -> list[tuple[tuple[object, ...], int]]:
    """Values of ``columns`` that more than one row holds (within ``where``, the
    partial index's condition), with how many rows hold each; most shared first."""
    handle = sa.table(table, *(sa.column(c) for c in columns))
    cols = [handle.c[c] for c in columns]
    count = sa.func.count().label("n")
    query = sa.select(*cols, count).select_from(handle).where(*(c.is_not(None) for c in cols))
    if where:
        query = query.where(sa.text(where))
    query = query.group_by(*cols).having(sa.func.count() > 1).order_by(count.desc()).limit(limit)
    return [(tuple(row[:-1]), int(row[-1])) for row in conn.execute(query)]
