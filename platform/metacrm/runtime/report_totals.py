"""A report's figures: its rows and, when it shows totals, the grand total and (with
two dimensions) each row's and each column's total.

On PostgreSQL rows and totals come from one statement, GROUP BY GROUPING SETS, so the
records are read once: a year of a million records is one scan, not four. Elsewhere
(SQLite has no grouping sets), and for a report cut to its top N rows (the totals are
of every row, not of those shown), each total is a statement of its own.

A report with an ``order:``, a ``limit:`` (a top N must be) or a text dimension (its
collation) is ordered by the database; the others come unordered and are put in their
dimensions' order afterwards (runtime/reports.py), by the few distinct values rather
than by thousands of rows: the database's sort of a pivot's rows cost more than the
rest of its answer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from .report_query import ReportQuery, grouped, order_expressions, ordering
from .report_values import RowReader
from .shaped_statements import run_select


@dataclass
class Figures:
    # each: the dimension values, then the figures in the measures' order
    rows: list[list[Any]]
    whole: Sequence[Any] | None = None  # the grand total, if the report shows totals
    # with two dimensions and totals: each dimension's values with their totals, in order
    axes: list[list[tuple[Any, Sequence[Any]]]] = field(default_factory=list)
    ordered: bool = True  # rows and axes in the report's order; else in none


def figures(conn: sa.Connection, query: ReportQuery,
            measures: list[list[sa.ColumnElement]]) -> Figures:
    report = query.report
    dimensions = query.dimensions
    if report.totals and dimensions and report.limit is None \
            and conn.dialect.name == "postgresql":
        return _grouping_sets(conn, query, measures)
    ordered = ordered_by_database(query)
    statement = grouped(query, dimensions, measures)
    if ordered:
        statement = statement.order_by(*ordering(query, dimensions, measures))
    if report.limit is not None:
        statement = statement.limit(report.limit)
    result = run_select(conn, statement)
    read = RowReader(report, result.keys, len(dimensions))
    found = Figures([read(row) for row in result.rows], ordered=ordered)
    if not report.totals:
        return found
    if not dimensions and found.rows:  # the one row is the grand total
        found.whole = found.rows[0]
        return found
    found.whole = _whole(conn, query, measures)
    if len(dimensions) == 2:
        for dimension in dimensions:
            statement = grouped(query, [dimension], measures)
            if ordered:
                statement = statement.order_by(dimension.sort.asc().nulls_last())
            totals = run_select(conn, statement)
            read = RowReader(report, totals.keys, 1)
            found.axes.append([(row[0], row[1:]) for row in map(read, totals.rows)])
    return found


def ordered_by_database(query: ReportQuery) -> bool:
    """Whether the database orders the report's rows: by its own ``order:``, for a
    ``limit:`` (which rows are the top ones), or by text, which it compares in its
    collation (a language's, on many servers), as the lists do."""
    return bool(query.report.order) or query.report.limit is not None or any(
        d.option_places is None and isinstance(d.sort.type, sa.String)
        for d in query.dimensions)


def _whole(conn: sa.Connection, query: ReportQuery,
           measures: list[list[sa.ColumnElement]]) -> Sequence[Any]:
    """The grand total: every record the report counts, in one row."""
    result = run_select(conn, grouped(query, [], measures))
    (row,) = result.rows
    return RowReader(query.report, result.keys, 0)(row)


def _grouping_sets(conn: sa.Connection, query: ReportQuery,
                   measures: list[list[sa.ColumnElement]]) -> Figures:
    """Rows and totals in one statement; ``grouping(d0, d1)`` tells them apart (a bit
    per dimension rolled up: 0 a row, 1 a row total, 2 a column total, 3 the whole)."""
    report = query.report
    dimensions = query.dimensions
    expressions = [d.expression for d in dimensions]
    level = sa.func.grouping(*expressions)
    if len(dimensions) == 2:
        sets = [sa.tuple_(*expressions), sa.tuple_(expressions[0]), sa.tuple_(expressions[1]),
                sa.tuple_()]
    else:
        sets = [sa.tuple_(*expressions), sa.tuple_()]
    statement = grouped(query, [], measures).add_columns(
        *[e.label(f"d{i}") for i, e in enumerate(expressions)], level.label("level"))
    # Rows first, then row totals, column totals, the whole. The report's own order
    # (a measure, descending...) is that of its rows; totals keep their dimension's
    # order, as the statements of other databases give them.
    statement = statement.group_by(sa.func.grouping_sets(*sets))
    ordered = ordered_by_database(query)
    if ordered:
        own = [(sa.case((level == 0, expression)).desc() if descending
                else sa.case((level == 0, expression)).asc()).nulls_last()
               for expression, descending in order_expressions(query, dimensions, measures)]
        statement = statement.order_by(
            level, *own, *(d.sort.asc().nulls_last() for d in dimensions))
    found = Figures([], ordered=ordered)
    axes: list[list[tuple[Any, Sequence[Any]]]] = [[], []]
    result = run_select(conn, statement)
    read = RowReader(report, result.keys, len(dimensions))
    level_at = result.keys.index("level")
    cells, whole, count = found.rows, (1 << len(dimensions)) - 1, len(dimensions)
    for row in result.rows:
        rolled = row[level_at]
        if rolled == 0:  # most rows: a cell
            cells.append(read(row))
            continue
        values = read(row)
        if rolled == whole:
            found.whole = values[count:]
        else:  # one of two dimensions rolled up: the other's total
            kept = 0 if rolled == 1 else 1
            axes[kept].append((values[kept], values[count:]))
    if len(dimensions) == 2:
        found.axes = axes
    if found.whole is None:  # no records at all: the database returns no total row
        found.whole = _whole(conn, query, measures)
    return found

