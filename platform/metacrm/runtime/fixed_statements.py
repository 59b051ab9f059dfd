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

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple, cast

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.compiler import SQLCompiler

from .copy_rows import copy_rows, exact_number

# Dialects whose driver takes SQLAlchemy's compiled text as it is: with named
# parameters (psycopg: "%(name)s") or positional ones (sqlite3: "?", in the compiled
# statement's order).
DIRECT_DIALECTS = frozenset({"postgresql", "sqlite"})
# The most rows an INSERT of ``insert_many`` sends as one fixed statement (one is built
# per row count); more go through Core's "insertmanyvalues".
MAX_FIXED_ROWS = 16


@dataclass
class DriverStatement:
    """A compiled statement as its driver runs it."""

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

    def __init__(self, statement: sa.Executable):
        self.statement = statement
        self._by_dialect: dict[sa.Dialect, DriverStatement] = {}

    def execute(self, conn: sa.Connection, params: Mapping[str, Any] | None = None
                ) -> FixedResult:
        dialect = conn.dialect
        if not runs_directly(conn):
            return _core(conn.execute(self.statement, dict(params or {})))
        compiled = self._by_dialect.get(dialect) or self._compile(dialect)
        return run_compiled(conn, compiled, {**compiled.defaults, **(params or {})})

    def _compile(self, dialect: sa.Dialect) -> DriverStatement:
        found = compiled_for_driver(cast(SQLCompiler, cast(
            sa.ClauseElement, self.statement).compile(dialect=dialect)), dialect)
        if found is None:
            raise ValueError("a fixed statement takes no expanding (IN list) parameter: "
                             "give each item a parameter of its own")
        self._by_dialect[dialect] = found
        return found


def compiled_for_driver(compiled: SQLCompiler, dialect: sa.Dialect) -> DriverStatement | None:
    """What running ``compiled`` on the driver takes (its literal parameters' values as
    compiled); None for a statement whose text depends on its values (an expanding IN
    list), which only Core runs."""
    if any(bind.expanding or bind.literal_execute for bind in compiled.binds.values()):
        return None
    # By the name the SQL gives a parameter (an anonymous one's is made at compiling),
    # as escaped for the driver; once per name: a parameter written twice is one value.
    escaped = compiled.escaped_bind_names
    binds = tuple({escaped.get(name, name): convert
                   for bind, name in compiled.bind_names.items()
                   if (convert := bind.type.dialect_impl(dialect).bind_processor(dialect))
                   is not None}.items())
    columns = getattr(compiled, "_result_columns", None) or []
    positions = tuple(escaped.get(name, name) for name in compiled.positiontup or ()) \
        if compiled.positional else None
    return DriverStatement(compiled.string, dict(compiled.construct_params(_check=False)),
                           binds, positions, tuple(column.keyname for column in columns),
                           tuple(column.type for column in columns))


def run_compiled(conn: sa.Connection, compiled: DriverStatement, values: dict[str, Any]
                 ) -> FixedResult:
    """Run ``compiled`` with ``values`` (every parameter, by name) on ``conn``'s driver
    cursor, in the connection's transaction; a driver error raised as Core raises it."""
    dialect = conn.dialect
    for name, convert in compiled.binds:
        values[name] = convert(values[name])
    if not conn.in_transaction():
        conn.begin()  # as Core's autobegin would: the connection commits it
    cursor = _cursor(conn, compiled.sql)
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
            # As Core does on a disconnect: this connection and every other the pool
            # holds (a server restart ends them all) are not used again.
            conn.invalidate(exc)
            conn.engine.dispose(close=False)
        raise sa.exc.DBAPIError.instance(compiled.sql, values, exc,
                                         dialect.loaded_dbapi.Error,
                                         connection_invalidated=disconnected,
                                         dialect=dialect) from exc


@lru_cache(maxsize=256)
def fixed(statement: sa.Executable) -> FixedStatement:
    """The fixed statement of a Core statement built once and kept (by the caller, or
    on an entity's model): kept as long as it is in use."""
    return FixedStatement(statement)


def _cursor(conn: sa.Connection, sql: str) -> Any:
    """The driver connection's cursor for the statement ``sql``, one kept per statement
    and connection: psycopg keeps a cursor's adapters (its transformer, with each
    parameter's dumper and each column's loader) only while the cursor runs the same
    query again, and making them anew for every statement cost a tenth of an approval
    decision's Python. A fixed statement's rows are all read at once, so the cursor is
    free again when it returns."""
    pooled = conn.connection
    driver = pooled.dbapi_connection
    kept: tuple[Any, dict[str, Any]] | None = pooled.info.get(_CURSORS)
    if kept is not None and kept[0] is driver and len(kept[1]) >= MAX_CURSORS:
        for cursor in kept[1].values():
            cursor.close()
        kept = None
    if kept is None or kept[0] is not driver:  # (a new driver connection: its own)
        kept = pooled.info[_CURSORS] = (driver, {})
    cursor = kept[1].get(sql)
    # (sqlite3's cursors have no ``closed``)
    if cursor is None or getattr(cursor, "closed", False):
        cursor = kept[1][sql] = pooled.cursor()
    return cursor


_CURSORS = "metacrm_fixed_cursors"
# Cursors kept per connection (each holds no rows, only its adapters): more than the
# fixed statements a program's hot paths run.
MAX_CURSORS = 128


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
        if "id" in keys and copy_many(conn, table, rows):
            return sorted(row["id"] for row in rows)
        if takes_dml_in_with(conn) and _fits_json_rows(table, keys):
            return _insert_json_rows(conn, table, rows)
        return sorted(conn.execute(_returning_id(table), list(rows)).scalars().all())
    params = {f"{key}_{n}": row[key] for n, row in enumerate(rows) for key in keys}
    return sorted(_insert_statement(table, keys, len(rows)).execute(conn, params).scalars())


def copy_many(conn: sa.Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]
              ) -> bool:
    """COPY ``rows`` (each with the same keys) into ``table`` when that is the way
    (copy_rows.py): on PostgreSQL, straight to the driver (nobody listens to the
    statements), the columns left out with no default to compute in Python. False:
    nothing was done (the caller inserts them). COPY returns no ids: for rows that
    carry theirs, or whose ids nobody reads."""
    if not rows or len(rows) <= MAX_FIXED_ROWS or not takes_dml_in_with(conn) \
            or not runs_directly(conn) or not _fits_json_rows(table, tuple(rows[0])):
        return False
    copy_rows(conn, table, rows)
    return True


def _insert_json_rows(conn: sa.Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]
                  ) -> list[int]:
    """Insert ``rows`` (each with the same keys, at least one) as ``INSERT ... SELECT
    ... FROM json_populate_recordset(<the rows as one JSON text>)`` (PostgreSQL), as
    ``insert_together`` does for one table: one statement whose text is the same
    however many rows, where a multi-row VALUES is a new text of rows x columns
    parameters for the driver to parse and the server to plan, and an executemany one
    INSERT per row for the server to run. Their new ids, in the rows' order."""
    together = _together_statement(((table, tuple(rows[0])),), conn.dialect)
    params = {"b0": _rows_json(together.conversions[0], rows)}
    return sorted(new_id for _, new_id in together.statement.execute(conn, params).rows)


@lru_cache(maxsize=256)
def _fits_json_rows(table: sa.Table, keys: tuple[str, ...]) -> bool:
    """Whether rows of ``keys`` go into ``table`` as one JSON text alike: no column is an
    array (a JSON list is not read as one), and the columns left out have no default to
    compute in Python (an ``INSERT ... SELECT`` would not)."""
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
    together = _together_statement(shape, conn.dialect)
    # One JSON text per batch: the statement (and the driver's parsing and prepared
    # statement) is the same however many rows each batch has, and the driver sends
    # one string instead of typing and dumping an array per column (which cost more
    # Python than everything else a decision sends).
    params = {f"b{place}": _rows_json(conversions, batches[n][1])
              for place, (n, conversions) in enumerate(zip(filled, together.conversions,
                                                           strict=True))}
    for place, new_id in together.statement.execute(conn, params).rows:
        found[filled[place]].append(new_id)
    return [sorted(ids) for ids in found]


# A column's value as the JSON of insert_together's rows has it: SQLAlchemy's bind
# conversion of the column's type (a moment to UTC...), or None: the value as it is
# (a JSON column's value goes in as JSON, not as a string holding JSON).
_JsonConversion = tuple[str, Callable[[Any], Any] | None]


class _Together(NamedTuple):
    statement: FixedStatement
    conversions: tuple[tuple[_JsonConversion, ...], ...]  # per batch, per key


def _rows_json(conversions: Sequence[_JsonConversion], rows: Sequence[Mapping[str, Any]]
               ) -> str:
    converted = [{key: convert(row[key]) if convert is not None and row[key] is not None
                  else row[key] for key, convert in conversions} for row in rows]
    # Keys as json.dumps (SQLAlchemy's JSON serializer) writes them: a column's name is
    # SQLAlchemy's str subclass, which orjson takes as a key only with this option.
    return orjson.dumps(converted, default=exact_number, option=orjson.OPT_NON_STR_KEYS).decode()


@lru_cache(maxsize=64)
def _together_statement(shape: tuple[tuple[sa.Table, tuple[str, ...]], ...],
                        dialect: sa.Dialect) -> _Together:
    """``WITH b0 AS (INSERT INTO t0 (keys) SELECT keys FROM json_populate_recordset(
    NULL::t0, :b0) RETURNING id), b1 AS (...) SELECT 0, id FROM b0 UNION ALL SELECT 1, id
    FROM b1 ...`` for the batches of ``shape`` (table, keys), parameters ``b<batch>``: the
    JSON array of the batch's rows (objects of its keys), in its rows' order; the rows
    read as the table's own row type, so each value takes its column's type
    (PostgreSQL only)."""
    parts, conversions = [], []
    for place, (table, keys) in enumerate(shape):
        row_type: sa.ColumnClause[Any] = sa.literal_column(f"NULL::{_row_type(table, dialect)}")
        rows = sa.func.json_populate_recordset(
            row_type, sa.cast(sa.bindparam(f"b{place}", type_=sa.Text), postgresql.JSON)
        ).table_valued(*keys)
        values = sa.select(*(rows.c[key] for key in keys))
        inserted = (table.insert().from_select(list(keys), values).returning(table.c.id)
                    .cte(f"b{place}"))
        parts.append(sa.select(sa.literal_column(str(place)).label("batch"), inserted.c.id))
        conversions.append(tuple((key, _json_conversion(table.c[key].type, dialect))
                                 for key in keys))
    return _Together(FixedStatement(sa.union_all(*parts)), tuple(conversions))


def _row_type(table: sa.Table, dialect: sa.Dialect) -> str:
    """The table's row type, quoted always: a table may be named by a word that needs no
    quoting as a table but is a keyword as a type (``row``)."""
    preparer = dialect.identifier_preparer
    name = preparer.quote_identifier(table.name)
    return f"{preparer.quote_schema(table.schema)}.{name}" if table.schema else name


def _json_conversion(type_: sa.types.TypeEngine[Any], dialect: sa.Dialect
                     ) -> Callable[[Any], Any] | None:
    implemented = type_.dialect_impl(dialect)
    if isinstance(implemented, sa.JSON):
        return None
    return implemented.bind_processor(dialect)
