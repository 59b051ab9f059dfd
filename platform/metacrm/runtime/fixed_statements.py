"""Statements of a fixed shape that hot paths run on every request (an approval's lock,
its tasks' UPDATE, the INSERTs of its events, audit rows and notifications, the
credentials version, a page's reader and their saved views), sent to the driver
directly.

A Core statement built once is still compiled-cache looked up, its parameters
processed, an execution context and a result object built on every execution: about
100 µs of Python per statement, a third of a short statement's cost. A
``FixedStatement`` compiles its Core statement once per dialect, keeps the SQL text,
the literal parameters' values and each parameter's and column's type conversion,
and executes on the connection's driver cursor, in the connection's transaction.
The SQL, the conversions and so the rows are SQLAlchemy's own (a test compares both
paths).

On SQLite, where a short statement's answer takes the driver about 15 µs, Core's
work around it is most of the cost. Whenever someone listens to the connection's
statements (tests and benchmarks count them), it runs through Core, so that a
listener sees every statement.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.compiler import SQLCompiler

# Dialects whose driver takes SQLAlchemy's compiled text as it is: with named
# parameters (psycopg: "%(name)s") or positional ones (sqlite3: "?", in the compiled
# statement's order).
DIRECT_DIALECTS = frozenset({"postgresql", "sqlite"})
# The most rows an INSERT of ``insert_many`` sends as one fixed statement (one is built
# per row count); more go through Core's "insertmanyvalues".
MAX_FIXED_ROWS = 16


@dataclass
class _Compiled:
    sql: str
    defaults: dict[str, Any]  # every parameter, literals with their values
    binds: tuple[tuple[str, Callable[[Any], Any]], ...]  # parameters with a conversion
    positions: tuple[str, ...] | None  # a positional driver's parameters, in order
    keys: tuple[str, ...]  # the result's column names
    types: tuple[sa.types.TypeEngine[Any], ...]  # the result's column types
    # The columns to convert, by place: known once the driver described them (some
    # conversions depend on the database's type of the column, e.g. numeric's).
    results: tuple[tuple[int, Callable[[Any], Any]], ...] | None = None


def runs_directly(conn: sa.Connection) -> bool:
    """Whether fixed statements go straight to ``conn``'s driver (else through Core)."""
    return conn.dialect.name in DIRECT_DIALECTS and not conn.dispatch.before_cursor_execute


def takes_dml_in_with(conn: sa.Connection) -> bool:
    """Whether ``conn``'s database runs an INSERT or UPDATE inside a WITH (PostgreSQL;
    SQLite does not): several changes then go in one statement."""
    return conn.dialect.name == "postgresql"


class FixedStatement:
    """One Core statement (its parameters named by ``sa.bindparam``), run directly on
    the driver where that is possible (see the module's docstring)."""

    def __init__(self, statement: sa.Executable, *, binary: bool = False):
        self.statement = statement
        # Parameters sent in the driver's binary format (``%(name)b``): an array of
        # texts is then lengths and bytes, where psycopg's text format quotes and
        # escapes every element (in Python: most of the cost of an array of JSON).
        self.binary = binary
        self._by_dialect: dict[sa.Dialect, _Compiled] = {}

    def execute(self, conn: sa.Connection, params: Mapping[str, Any] | None = None
                ) -> FixedResult:
        dialect = conn.dialect
        if not runs_directly(conn):
            return _core(conn.execute(self.statement, dict(params or {})))
        compiled = self._by_dialect.get(dialect) or self._compile(dialect)
        values = {**compiled.defaults, **(params or {})}
        for name, convert in compiled.binds:
            values[name] = convert(values[name])
        if not conn.in_transaction():
            conn.begin()  # as Core's autobegin would: the connection commits it
        cursor = _cursor(conn)
        try:
            if compiled.positions is None:
                cursor.execute(compiled.sql, values)
            else:
                cursor.execute(compiled.sql, [values[name] for name in compiled.positions])
            rows: list[tuple[Any, ...]] = []
            if compiled.keys:  # (the driver's description builds objects per column)
                if compiled.results is None:
                    compiled.results = _conversions(dialect, compiled.types, cursor.description)
                rows = cursor.fetchall()
                if compiled.results:
                    rows = [_converted(row, compiled.results) for row in rows]
            return FixedResult(compiled.keys, rows, cursor.rowcount)
        except dialect.loaded_dbapi.Error as exc:
            # As Core raises it: callers catch sa.exc.IntegrityError and the like.
            disconnected = dialect.is_disconnect(exc, conn.connection.dbapi_connection, cursor)
            if disconnected:
                # As Core does on a disconnect: this connection and every other the
                # pool holds (a server restart ends them all) are not used again.
                conn.invalidate(exc)
                conn.engine.dispose(close=False)
            raise sa.exc.DBAPIError.instance(compiled.sql, values, exc,
                                             dialect.loaded_dbapi.Error,
                                             connection_invalidated=disconnected,
                                             dialect=dialect) from exc

    def _compile(self, dialect: sa.Dialect) -> _Compiled:
        compiled = cast(SQLCompiler,
                        cast(sa.ClauseElement, self.statement).compile(dialect=dialect))
        binds = tuple((name, convert) for name, bind in compiled.binds.items()
                      if (convert := bind.type.dialect_impl(dialect).bind_processor(dialect))
                      is not None)
        columns = getattr(compiled, "_result_columns", None) or []
        positions = tuple(compiled.positiontup or ()) if compiled.positional else None
        sql = _BIND.sub(r"%(\1)b", compiled.string) if self.binary else compiled.string
        found = _Compiled(sql, dict(compiled.construct_params(_check=False)),
                          binds, positions, tuple(column.keyname for column in columns),
                          tuple(column.type for column in columns))
        if any(bind.expanding for bind in compiled.binds.values()):
            raise ValueError("a fixed statement takes no expanding (IN list) parameter: "
                             "give each item a parameter of its own")
        self._by_dialect[dialect] = found
        return found


_BIND = re.compile(r"%\((\w+)\)s")


@lru_cache(maxsize=256)
def fixed(statement: sa.Executable) -> FixedStatement:
    """The fixed statement of a Core statement built once and kept (by the caller, or
    on an entity's model): kept as long as it is in use."""
    return FixedStatement(statement)


def _cursor(conn: sa.Connection) -> Any:
    """The driver connection's cursor, one kept per connection: a fixed statement's rows
    are all read at once, so the next statement may use it again."""
    pooled = conn.connection
    driver = pooled.dbapi_connection
    cursor = pooled.info.get(_CURSOR)
    if cursor is None or getattr(cursor, "closed", False) or cursor.connection is not driver:
        cursor = pooled.info[_CURSOR] = pooled.cursor()
    return cursor


_CURSOR = "metacrm_fixed_cursor"


def _conversions(dialect: sa.Dialect, types: Sequence[sa.types.TypeEngine[Any]],
                 description: Sequence[Any]) -> tuple[tuple[int, Callable[[Any], Any]], ...]:
    """Each column's conversion, as Core would make it for the column's database type
    (the driver's ``type_code``)."""
    return tuple((place, convert) for place, (type_, column) in enumerate(
        zip(types, description, strict=True))
        if (convert := type_.dialect_impl(dialect).result_processor(dialect, column[1]))
        is not None)


def _converted(row: Sequence[Any], conversions: Sequence[tuple[int, Callable[[Any], Any]]]
               ) -> tuple[Any, ...]:
    values = list(row)
    for place, convert in conversions:
        values[place] = convert(values[place])
    return tuple(values)


@dataclass(frozen=True)
class FixedResult:
    """The rows of one execution, read at once (as tuples, in the columns' order)."""

    keys: tuple[str, ...]
    rows: Sequence[tuple[Any, ...]]
    rowcount: int

    def mappings(self) -> list[dict[str, Any]]:
        return [dict(zip(self.keys, row, strict=True)) for row in self.rows]

    def scalars(self) -> list[Any]:
        return [row[0] for row in self.rows]

    def first(self) -> tuple[Any, ...] | None:
        return self.rows[0] if self.rows else None


def _core(result: sa.CursorResult[Any]) -> FixedResult:
    if not result.returns_rows:
        return FixedResult((), [], result.rowcount)
    keys = tuple(result.keys())
    return FixedResult(keys, [tuple(row) for row in result], result.rowcount)


def insert_many(conn: sa.Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]
                ) -> list[int]:
    """Insert ``rows`` (each with the same keys) in one statement; their new ids in the
    rows' order (one multi-row INSERT assigns them in the order of its VALUES, on
    SQLite and PostgreSQL alike)."""
    if not rows:
        return []
    keys = tuple(rows[0])
    if len(rows) > MAX_FIXED_ROWS:
        if takes_dml_in_with(conn) and fits_arrays(table, keys):
            return insert_arrays(conn, table, rows)
        return sorted(conn.execute(_returning_id(table), list(rows)).scalars().all())
    params = {f"{key}_{n}": row[key] for n, row in enumerate(rows) for key in keys}
    return sorted(_insert_statement(table, keys, len(rows)).execute(conn, params).scalars())


def insert_arrays(conn: sa.Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]
                  ) -> list[int]:
    """Insert ``rows`` (each with the same keys, at least one) as ``INSERT ... SELECT
    unnest(<array of a column's values>), ...`` (PostgreSQL): one statement whose text
    is the same however many rows, where a multi-row VALUES is a new text of
    rows x columns parameters for the driver to parse and the server to plan, and an
    executemany one INSERT per row for the server to run. Their new ids, in the rows'
    order."""
    keys = tuple(rows[0])
    params = {f"b0_{key}": [row[key] for row in rows] for key in keys}
    return sorted(new_id for _, new_id in
                  _together_statement(((table, keys),)).execute(conn, params).rows)


@lru_cache(maxsize=256)
def fits_arrays(table: sa.Table, keys: tuple[str, ...]) -> bool:
    """Whether rows of ``keys`` go into ``table`` as arrays alike: no column is an array
    itself, and the columns left out have no default to compute in Python (an
    ``INSERT ... SELECT`` would not)."""
    return not any(isinstance(c.type, sa.ARRAY) for c in table.columns) and all(
        c.default is None or c.name in keys or (c.primary_key and c.autoincrement)
        for c in table.columns)


@lru_cache(maxsize=256)
def _insert_statement(table: sa.Table, keys: tuple[str, ...], count: int) -> FixedStatement:
    """``INSERT INTO table (keys) VALUES (...) x count RETURNING id``, parameters
    ``<key>_<n>`` for the n-th row."""
    return FixedStatement(table.insert().values([
        {key: sa.bindparam(f"{key}_{n}", type_=table.c[key].type) for key in keys}
        for n in range(count)]).returning(table.c.id))


@lru_cache(maxsize=64)
def _returning_id(table: sa.Table) -> sa.Insert:
    return table.insert().returning(table.c.id)


def insert_together(conn: sa.Connection,
                    batches: Sequence[tuple[sa.Table, Sequence[Mapping[str, Any]]]]
                    ) -> list[list[int]]:
    """Insert each batch's rows (a batch's rows with the same keys) into its table; the
    new ids per batch, in its rows' order. On PostgreSQL the rows of several tables go
    in one statement (each table's INSERT in a WITH of its own), one round trip for what
    an approval decision writes besides its chain and its record (SQLite has no INSERT
    in a WITH); elsewhere, one INSERT per table."""
    found: list[list[int]] = [[] for _ in batches]
    filled = [n for n, (_, rows) in enumerate(batches) if rows]
    if len(filled) < 2 or not takes_dml_in_with(conn):
        for n in filled:
            found[n] = insert_many(conn, *batches[n])
        return found
    shape = tuple((batches[n][0], tuple(batches[n][1][0])) for n in filled)
    # One array per column: the statement (and the driver's parsing and prepared
    # statement) is the same however many rows each batch has.
    params = {f"b{place}_{key}": [row[key] for row in batches[n][1]]
              for place, n in enumerate(filled) for key in shape[place][1]}
    for place, new_id in _together_statement(shape).execute(conn, params).rows:
        found[filled[place]].append(new_id)
    return [sorted(ids) for ids in found]


@lru_cache(maxsize=64)
def _together_statement(shape: tuple[tuple[sa.Table, tuple[str, ...]], ...]) -> FixedStatement:
    """``WITH b0 AS (INSERT INTO t0 (keys) SELECT unnest(:b0_key), ... RETURNING id), b1
    AS (...) SELECT 0, id FROM b0 UNION ALL SELECT 1, id FROM b1 ...`` for the batches of
    ``shape`` (table, keys), parameters ``b<batch>_<key>``: a list of the batch's values
    of that key, in its rows' order (PostgreSQL only)."""
    parts = []
    for place, (table, keys) in enumerate(shape):
        values = sa.select(*(sa.func.unnest(sa.bindparam(
            f"b{place}_{key}", type_=postgresql.ARRAY(table.c[key].type))) for key in keys))
        inserted = (table.insert().from_select(list(keys), values).returning(table.c.id)
                    .cte(f"b{place}"))
        parts.append(sa.select(sa.literal_column(str(place)).label("batch"), inserted.c.id))
    return FixedStatement(parts[0] if len(parts) == 1 else sa.union_all(*parts), binary=True)
