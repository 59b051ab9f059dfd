"""A funnel report: ordered steps, each the records its filters admit (those that
reached it), counted and summed by the report's measures in one statement of
conditional aggregates, with the conversion from the step before and from the first."""

from __future__ import annotations

from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa

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
    columns = [measure_columns(query, m) for m in expanded.measures]
    (row,) = conn.execute(grouped(query, [], columns)).all()
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


def _share(part: Any, whole: Any) -> Decimal | None:
    if part is None or not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(RATIO_PLACES, ROUND_HALF_UP)
