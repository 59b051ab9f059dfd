"""Send many rows to a PostgreSQL table with ``COPY ... FROM STDIN`` (psycopg's
``cursor.copy``), in the connection's transaction: the way the server takes rows
cheapest, where an ``INSERT ... SELECT`` of the rows as one JSON text has the server
parse the JSON and plan the statement. Only for rows whose ids the caller has (taken
from the sequence before) or does not read (a log, audit rows): COPY returns none.

Values go as SQLAlchemy's bind conversion of their column's type makes them, as the
JSON text does (fixed_statements.py): a JSON column's value as its JSON text (orjson,
Decimal as its exact text), None as NULL; the server reads each value by its
column's type (text format).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from functools import lru_cache
from typing import Any

import orjson
import sqlalchemy as sa

Conversion = Callable[[Any], Any] | None


def copy_rows(conn: sa.Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]
              ) -> None:
    """COPY ``rows`` (each with the same keys, at least one) into ``table``; a database
    error is raised as Core raises it (sa.exc.IntegrityError for a unique value...)."""
    dialect = conn.dialect
    keys = tuple(rows[0])
    sql, conversions = _plan(table, keys, dialect)
    if not conn.in_transaction():
        conn.begin()  # as Core's autobegin would: the connection commits it
    driver: Any = conn.connection.dbapi_connection  # psycopg's: cursor.copy
    try:
        with driver.cursor() as cursor, cursor.copy(sql) as copy:
            write = copy.write_row
            for row in rows:
                write([value if (value := row[key]) is None or convert is None
                       else convert(value) for key, convert in conversions])
    except dialect.loaded_dbapi.Error as exc:
        raise sa.exc.DBAPIError.instance(sql, None, exc, dialect.loaded_dbapi.Error,
                                         dialect=dialect) from exc


@lru_cache(maxsize=64)
def _plan(table: sa.Table, keys: tuple[str, ...], dialect: sa.Dialect
          ) -> tuple[str, tuple[tuple[str, Conversion], ...]]:
    preparer = dialect.identifier_preparer
    columns = ", ".join(preparer.format_column(table.c[key]) for key in keys)
    sql = f"COPY {preparer.format_table(table)} ({columns}) FROM STDIN"
    return sql, tuple((key, _conversion(table.c[key].type, dialect)) for key in keys)


def _conversion(type_: sa.types.TypeEngine[Any], dialect: sa.Dialect) -> Conversion:
    implemented = type_.dialect_impl(dialect)
    if isinstance(implemented, sa.JSON):
        return _json_text
    return implemented.bind_processor(dialect)


def _json_text(value: Any) -> str:
    return orjson.dumps(value, default=exact_number, option=orjson.OPT_NON_STR_KEYS).decode()


def exact_number(value: Any) -> Any:
    """A number orjson does not write (Decimal), as its exact text; the database reads
    the column's type from it."""
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} in a JSON column's value")
