"""Compile a report into SQL GROUP BY statements (SQLAlchemy Core) for one viewer.

The statement reads the live records the viewer may read (the list engine's scope),
filtered in the list grammar (the same parser as GET /api/<entity>); a dimension or
measure through a reference joins the referenced records the viewer may read (others
count as empty). A field hidden from the viewer, or a reference to records they may
not read, refuses the report (403) rather than leaking what it groups by.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.util import ClauseAdapter

from ..base.problems import BadQuery, Forbidden
from ..compile.models import EntityModel
from ..definitions import FieldDef, ReportDef
from ..definitions.reports import RATIO, DimensionDef, MeasureDef
from ..fieldtypes import FieldType
from .access import Viewer
from .query import filter_condition
from .reads import reach
from .report_buckets import bucket_end, bucket_expression, bucket_starts

# A period cut into more buckets than this (days over years) is grouped by each
# record's converted value instead of joined with the list of its buckets.
MAX_JOINED_BUCKETS = 1000


@dataclass(frozen=True)
class Target:
    """Where a field path ends: its SQL expression, type and definition."""

    column: sa.ColumnElement
    kind: FieldType
    field: FieldDef | None
    model: EntityModel  # the entity the field belongs to


@dataclass(frozen=True)
class Dimension:
    definition: DimensionDef
    target: Target
    expression: sa.ColumnElement  # what the rows are grouped by
    sort: sa.ColumnElement  # how they are ordered (a choice by its options' order)
    # a choice's values by their place among its options (how ``sort`` orders them)
    option_places: Mapping[Any, int] | None = None


@dataclass
class ReportQuery:
    """The parts of a report's statements, built once per run."""

    viewer: Viewer
    model: EntityModel
    report: ReportDef
    dialect: str
    # the first and last day of each bounded period parameter, by its field
    periods: Mapping[str, tuple[date, date]] = field(default_factory=dict)
    source: sa.FromClause = field(init=False)
    conditions: list[sa.ColumnElement] = field(default_factory=list)
    dimensions: list[Dimension] = field(default_factory=list)
    _joins: dict[tuple[str, ...], sa.FromClause] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.source = self.model.table

    def target(self, path: str) -> Target:
        """The column ``path`` reaches, joining references on the way."""
        model = self.model
        table: sa.FromClause = self.model.table
        steps = path.split(".")
        for index, name in enumerate(steps):
            if name not in self.viewer.types(model):
                raise Forbidden({path: [f"'{path}': field '{name}' of '{model.name}' is not "
                                        "visible to you, so this report cannot run for you"]})
            field_def = model.entity.fields.get(name)
            kind = model.catalog.field_types[model.types[name]]
            if index == len(steps) - 1:
                return Target(table.c[name], kind, field_def, model)
            target_model = self.viewer.compiled.models[field_def.to or ""] if field_def \
                else None
            if target_model is None or not self.viewer.can_read(target_model):
                raise Forbidden({path: [f"'{path}' leads to records you may not read"]})
            table = self._join(tuple(steps[:index + 1]), table.c[name], target_model)
            model = target_model
        raise AssertionError(path)  # pragma: no cover

    def _join(self, key: tuple[str, ...], via: sa.ColumnElement, target: EntityModel
              ) -> sa.FromClause:
        found = self._joins.get(key)
        if found is not None:
            return found
        alias = target.table.alias(f"r{len(self._joins)}")
        on = [via == alias.c.id, alias.c.deleted_at.is_(None)]
        scope = self.viewer.read_condition(target)
        if scope is not None:
            on.append(ClauseAdapter(alias).traverse(scope))
        self.source = self.source.outerjoin(alias, sa.and_(*on))
        self._joins[key] = alias
        return alias

    def filter(self, pairs: Sequence[tuple[str, str]], where: str) -> list[sa.ColumnElement]:
        """Conditions of list-grammar filters (``where`` names them in errors)."""
        found = []
        for key, value in pairs:
            try:
                found.append(filter_condition(key, value, self.model, self.viewer))
            except ValueError as exc:
                raise BadQuery({where: [f"{key}: {exc}"]}) from None
        return found

    def dimension(self, definition: DimensionDef) -> Dimension:
        target = self.target(definition.path)
        if definition.bucket:
            joined = self._buckets(definition, target)
            if joined is not None:
                return Dimension(definition, target, joined, joined)
            expression = bucket_expression(target.column, target.kind.name, definition.bucket,
                                           self.report.time_zone, self.report.week_starts,
                                           self.dialect)
            return Dimension(definition, target, expression, expression)
        if target.kind.ordering == "options" and target.field is not None \
                and target.field.options:
            values = self.model.catalog.optionsets[target.field.options].values()
            places = {v: i for i, v in enumerate(values)}
            return Dimension(definition, target, target.column,
                             sa.case(places, value=target.column, else_=len(values)), places)
        return Dimension(definition, target, target.column, target.column)

    def _buckets(self, definition: DimensionDef, target: Target) -> sa.ColumnElement | None:
        """A date dimension over a bounded period of the same field, on PostgreSQL: the
        period's buckets as a list of ranges (first day, and the stored values from and
        to), joined on the stored column. Each record then lands in its bucket by two
        comparisons along the field's index, where the bucket expression converts
        every record's value to its time zone and truncates it: on a year of half a
        million records that conversion was most of the statement's time.

        The ranges are three array parameters unnested side by side, not a VALUES list:
        SQLAlchemy cannot cache a statement holding VALUES data, so every run compiled
        it again (36 parameters for a year by month); with arrays the statement is the
        same for any period and is compiled once, and the planner still sees how many
        buckets there are (PostgreSQL estimates unnest of a known array by its length)."""
        period = self.periods.get(definition.path)
        kind = target.kind.name
        if self.dialect != "postgresql" or period is None or "." in definition.path \
                or kind not in ("date", "datetime") or not definition.bucket:
            return None
        starts = bucket_starts(period[0], period[1], definition.bucket,
                               self.report.week_starts)
        if not starts or len(starts) > MAX_JOINED_BUCKETS:
            return None
        zone = ZoneInfo(self.report.time_zone)

        def bound(day: date) -> date | datetime:  # a moment: local midnight in the zone
            return datetime.combine(day, time(), zone) if kind == "datetime" else day

        stored = target.column.type
        bucket = definition.bucket
        ranges = sa.func.unnest(
            sa.bindparam(None, starts, type_=postgresql.ARRAY(sa.Date())),
            sa.bindparam(None, [bound(start) for start in starts],
                         type_=postgresql.ARRAY(stored)),
            sa.bindparam(None, [bound(bucket_end(start, bucket)) for start in starts],
                         type_=postgresql.ARRAY(stored)),
        ).table_valued(sa.column("bucket", sa.Date()), sa.column("low", stored),
                       sa.column("high", stored)
                       ).render_derived(name=f"b_{definition.path}_{bucket}")
        self.source = self.source.join(ranges, sa.and_(target.column >= ranges.c.low,
                                                       target.column < ranges.c.high))
        return ranges.c.bucket


def build_query(viewer: Viewer, model: EntityModel, report: ReportDef, dialect: str,
                filters: Sequence[tuple[str, str]],
                periods: Mapping[str, tuple[date, date]] | None = None) -> ReportQuery:
    """The report's source, conditions and dimensions; ``filters``: the report's own
    and its parameters' (list grammar); ``periods``: the bounded period parameters'
    first and last days by field (their filters are among ``filters``)."""
    query = ReportQuery(viewer, model, report, dialect, periods or {})
    access = viewer.of(model)
    if not access.allows("read"):
        raise Forbidden({"_request": [f"you may not read {model.name} records"]})
    query.conditions.append(model.table.c.deleted_at.is_(None))
    scope = reach(access, "read")
    if scope is not None:
        query.conditions.append(scope)
    for key, _ in filters:
        query.target(key.partition("__")[0])  # refuses a hidden field by name
    query.conditions.extend(query.filter(filters, "filters"))
    query.dimensions = [query.dimension(d) for d in report.dimensions]
    return query


def measure_columns(query: ReportQuery, measure: MeasureDef) -> list[sa.ColumnElement]:
    """The aggregate(s) of one measure: one column, two for avg (sum and count, divided
    exactly afterwards), none for a ratio (computed from its two measures)."""
    if measure.aggregate == RATIO:
        return []
    condition = None
    if measure.filters:
        condition = sa.and_(*query.filter(measure.filters, measure.name))
    column = query.target(measure.field).column if measure.field else None
    if measure.aggregate == "count":
        counted = column if column is not None else sa.literal_column("1")
        if condition is None and column is None:
            return [sa.func.count()]
        return [sa.func.count(sa.case((condition, counted)) if condition is not None
                              else counted)]
    assert column is not None
    value = sa.case((condition, column)) if condition is not None else column
    if measure.aggregate == "count_distinct":
        return [sa.func.count(sa.distinct(value))]
    if measure.aggregate == "avg":
        return [sa.func.sum(value), sa.func.count(value)]
    return [getattr(sa.func, measure.aggregate)(value)]


def grouped(query: ReportQuery, dimensions: Sequence[Dimension], measures: list[list[
        sa.ColumnElement]]) -> sa.Select:
    """One GROUP BY statement over ``dimensions`` (none: the grand total)."""
    columns = [d.expression.label(f"d{i}") for i, d in enumerate(dimensions)]
    for index, parts in enumerate(measures):
        columns.extend(part.label(f"m{index}_{j}") for j, part in enumerate(parts))
    statement = sa.select(*columns).select_from(query.source).where(*query.conditions)
    if dimensions:
        statement = statement.group_by(*[d.expression for d in dimensions])
    return statement


def ordering(query: ReportQuery, dimensions: Sequence[Dimension],
             measures: list[list[sa.ColumnElement]]) -> list[sa.ColumnElement]:
    """The report's order (measures or dimensions), then the dimensions' own."""
    found: list[sa.ColumnElement] = [
        expression.desc().nulls_last() if descending else expression.asc().nulls_last()
        for expression, descending in order_expressions(query, dimensions, measures)]
    found.extend(d.sort.asc().nulls_last() for d in dimensions)
    return found


def order_expressions(query: ReportQuery, dimensions: Sequence[Dimension],
                      measures: list[list[sa.ColumnElement]]
                      ) -> list[tuple[sa.ColumnElement, bool]]:
    """The report's ``order:`` items: (expression, descending)."""
    names = [m.name for m in query.report.measures]
    return [(_order_expression(query, item.name, names, dimensions, measures),
             item.descending) for item in query.report.order]


def _order_expression(query: ReportQuery, name: str, names: list[str],
                      dimensions: Sequence[Dimension],
                      measures: list[list[sa.ColumnElement]]) -> sa.ColumnElement:
    for dimension in dimensions:
        if dimension.definition.path == name:
            return dimension.sort
    measure = query.report.measure(name)
    assert measure is not None
    if measure.aggregate == RATIO and measure.ratio:
        top, bottom = (_single(measures[names.index(part)]) for part in measure.ratio)
        return sa.cast(top, sa.Numeric) / sa.func.nullif(sa.cast(bottom, sa.Numeric), 0)
    return _single(measures[names.index(name)])


def _single(parts: list[sa.ColumnElement]) -> sa.ColumnElement:
    """A measure as one value: an average is its sum over its count."""
    if len(parts) == 2:
        return sa.cast(parts[0], sa.Numeric) / sa.func.nullif(parts[1], 0)
    return parts[0]
