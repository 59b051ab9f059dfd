"""A funnel report: ordered steps, each the records its filters admit (those that
reached it), counted and summed by the report's measures in one statement of
conditional aggregates, with the conversion from the step before and from the first."""

from __future__ import annotations

from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa

from ..definitions import ReportDef
from ..definitions.reports import CONVERSION, FROM_FIRST, RATIO, MeasureDef
from .report_query import ReportQuery, grouped, measure_columns
from .report_values import RATIO_PLACES


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


def funnel_rows(conn: sa.Connection, query: ReportQuery, lang: str, values_of: Any
                ) -> list[dict[str, Any]]:
    """One row per step, with the step's filters (added to the run's for drill-down);
    ``values_of(report, row, 0)`` reads a result row's measures."""
    report = query.report
    expanded = funnel_report(report)
    columns = [measure_columns(query, m) for m in expanded.measures]
    (row,) = conn.execute(grouped(query, [], columns)).all()
    _, values = values_of(expanded, row, 0)
    first = report.measures[0].name
    rows = []
    for index, step in enumerate(report.steps):
        own = {m.name: values[_name(index, m.name)] for m in report.measures}
        reached = own[first] if report.measures[0].aggregate != RATIO else None
        own[CONVERSION] = (_share(reached, values[_name(index - 1, first)])
                           if index else None)
        own[FROM_FIRST] = _share(reached, values[_name(0, first)])
        rows.append({"rows": {"value": step.name, "label": step.label.get(lang),
                              "filters": [list(p) for p in step.filters]},
                     "values": own})
    return rows


def _share(part: Any, whole: Any) -> Decimal | None:
    if part is None or not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(RATIO_PLACES, ROUND_HALF_UP)
