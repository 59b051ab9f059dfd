"""SELECTs built anew for every run (a report's: the viewer's scope, the run's period)
sent to the driver directly, as fixed statements are (runtime/fixed_statements.py).

SQLAlchemy compiles such a statement once per shape (its cache key) already; what it
still does on every execution, an execution context, a result and a ``Row`` object per
row, cost a pivot of 4,400 rows 2.0 ms of Python where the driver's own execute and
fetch took 1.3 ms. Here each shape is compiled once as well, kept with what running it
on the driver takes, and a statement's values are the ones its cache key extracted
(as Core does), so the SQL and the rows are Core's own (a test compares both paths).
A statement Core must render with its values (an expanding IN list, as SQLite's
scopes have) runs through Core, as do all while someone listens to statements.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.compiler import SQLCompiler

from .fixed_statements import (
    DriverStatement,
    FixedResult,
    compiled_for_driver,
    run_compiled,
    runs_directly,
)

# Shapes kept per process (a shape per report, dialect and kind of scope: far fewer
# are in use); past this many all are forgotten and compiled again as they are run.
MAX_SHAPES = 256

_shapes: dict[tuple[sa.Dialect, Any], tuple[SQLCompiler, DriverStatement | None]] = {}


def run_select(conn: sa.Connection, statement: sa.Select) -> FixedResult:
    """The rows of ``statement`` on ``conn``, as tuples in its columns' order."""
    key = statement._generate_cache_key() if runs_directly(conn) else None
    if key is None:
        return _through_core(conn, statement)
    dialect = conn.dialect
    shape = _shapes.get((dialect, key.key))
    if shape is None:
        if len(_shapes) >= MAX_SHAPES:
            _shapes.clear()
        # as Core compiles for its cache: with the key, so that another statement of
        # the same shape can give its own values (construct_params below)
        compiled = statement._compiler(dialect, cache_key=key, column_keys=[],
                                       for_executemany=False, schema_translate_map=None)
        shape = _shapes[(dialect, key.key)] = (compiled,
                                               compiled_for_driver(compiled, dialect))
    compiled, driver = shape
    if driver is None:
        return _through_core(conn, statement)
    values = compiled.construct_params(extracted_parameters=key.bindparams, _check=False)
    return run_compiled(conn, driver, dict(values))


def _through_core(conn: sa.Connection, statement: sa.Select) -> FixedResult:
    result = conn.execute(statement)
    return FixedResult(tuple(result.keys()), result.all(), result.rowcount)
