"""A funnel report: ordered steps, each the records its filters admit (those that
reached it), counted and summed by the report's measures in one statement of
conditional aggregates, with the conversion from the step before and from the first.

When the steps and measures filter only on fields with a fixed set of values (the
stages), the records are first grouped by those fields and the conditional
aggregates add up the few groups: each record is counted once, not tested once per
step and measure (ten CASE expressions a row over half a million opportunities)."""

from __future__ import annotations

from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.util import ClauseAdapter

from ..definitions import ReportDef
from ..definitions.reports import RATIO, MeasureDef
from .report_query import ReportQuery, grouped, measure_columns
from .report_values import RATIO_PLACES, row_values


def _name(index: int, measure: str) -> str:
    return f"s{index}_{measure}"


def funnel_report(report: ReportDef) -> ReportDef:
    """``report`` with its measures repeated for each step, named s<step>_<measure>, each
    also counting only the step's records."""
    measures: list[MeasureDef] = []
    for index, step in enumerate(report.steps):
        for measure in report.measures:
            ratio = (tuple(_name(index, part) for part in measure.ratio)
                     if measure.ratio else None)
            measures.append(replace(measure, name=_name(index, measure.name),
                                    filters=measure.filters + step.filters,
                                    ratio=ratio))  # type: ignore[arg-type]
    return replace(report, measures=tuple(measures))


def funnel_rows(conn: sa.Connection, query: ReportQuery, lang: str
                ) -> tuple[list[dict[str, Any]], list[list[Any]]]:
    """The steps as the answer lists a dimension's values (each with its filters, added
    to the run's for drill-down), and one row per step: its position, its measures'
    figures, the conversion from the step before and from the first."""
    report = query.report
    expanded = funnel_report(report)
    statement = _pregrouped(query, expanded)
    if statement is None:
        statement = grouped(query, [], [measure_columns(query, m) for m in expanded.measures])
    (row,) = conn.execute(statement).all()
    _, values = row_values(expanded, row, 0)
    first = report.measures[0].name
    counted = report.measures[0].aggregate != RATIO
    steps, rows = [], []
    for index, step in enumerate(report.steps):
        own = [values[_name(index, m.name)] for m in report.measures]
        reached = own[0] if counted else None
        own.append(_share(reached, values[_name(index - 1, first)]) if index else None)
        own.append(_share(reached, values[_name(0, first)]))
        steps.append({"value": step.name, "label": step.label.get(lang),
                      "filters": [list(p) for p in step.filters]})
        rows.append([index, *own])
    return steps, rows


# Aggregates a group's figure can be added up from: the figure over the groups.
_OVER_GROUPS = {"count": sa.func.sum, "sum": sa.func.sum, "min": sa.func.min,
                "max": sa.func.max}


def _pregrouped(query: ReportQuery, expanded: ReportDef) -> sa.Select | None:
    """The funnel's statement over the records grouped by the fields its steps and
    measures filter on, or None when a filter reads another kind of field (or through
    a reference) or a measure cannot be added up from groups (count distinct)."""
    report = query.report
    model = query.model
    paths = {key.partition("__")[0] for step in report.steps for key, _ in step.filters}
    paths |= {key.partition("__")[0] for m in report.measures for key, _ in m.filters}
    fields = [model.entity.fields.get(path) for path in sorted(paths)]
    if query.source is not model.table or any(
            f is None or not f.stored or not f.options for f in fields) or any(
            m.aggregate not in (*_OVER_GROUPS, "avg", RATIO) or "." in (m.field or "")
            for m in report.measures):  # a measure through a reference joins its records
        return None
    keys = [model.table.c[f.name] for f in fields if f is not None]
    parts: list[sa.ColumnElement] = []  # each measure's figures of a group, as p<n>
    where: list[list[int]] = []  # by measure: the positions of its figures in parts
    for measure in report.measures:
        column = query.target(measure.field).column if measure.field else None
        found: list[sa.ColumnElement] = (
                 [sa.func.count(column) if column is not None else sa.func.count()]
                 if measure.aggregate == "count"
                 else [sa.func.sum(column), sa.func.count(column)]
                 if measure.aggregate == "avg"
                 else [] if measure.aggregate == RATIO
                 else [getattr(sa.func, measure.aggregate)(column)])
        where.append(list(range(len(parts), len(parts) + len(found))))
        parts.extend(found)
    groups = (sa.select(*keys, *(p.label(f"p{i}") for i, p in enumerate(parts)))
              .select_from(model.table).where(*query.conditions).group_by(*keys)
              .subquery("groups"))
    adapt = ClauseAdapter(groups)
    columns = []
    for index, measure in enumerate(expanded.measures):
        base = report.measures[index % len(report.measures)]
        condition = (adapt.traverse(sa.and_(*query.filter(measure.filters, measure.name)))
                     if measure.filters else None)
        for j, at in enumerate(where[index % len(report.measures)]):
            # a count (and an average's count) is 0 where no group is in the step
            count = base.aggregate == "count" or j == 1
            add = sa.func.sum if count or base.aggregate == "avg" else \
                _OVER_GROUPS[base.aggregate]
            columns.append(_over(groups.c[f"p{at}"], condition, add, count).label(
                f"m{index}_{j}"))
    return sa.select(*columns).select_from(groups)


def _over(part: sa.ColumnElement, condition: sa.ColumnElement | None, add: Any,
          count: bool) -> sa.ColumnElement:
    """``part`` of the groups ``condition`` admits, added up by ``add``."""
    total = add(sa.case((condition, part)) if condition is not None else part)
    # a count stays a whole number (PostgreSQL's sum of counts is a numeric)
    return sa.cast(sa.func.coalesce(total, 0), sa.BigInteger) if count else total


def _share(part: Any, whole: Any) -> Decimal | None:
    if part is None or not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(RATIO_PLACES, ROUND_HALF_UP)
