"""Run a report for a viewer: its parameters read, its GROUP BY statements run by the
database, and the answer shaped as columns, rows (each with the list filters that
produced it, for drill-down), totals and chart-ready series (docs/reports.md)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa

from ..base.problems import Forbidden
from ..definitions import ReportDef
from ..definitions.reports import CONVERSION, FROM_FIRST, RATIO
from ..i18n import message
from ..resolve.reports import paths_of
from .access import Viewer
from .report_buckets import bucket_end, bucket_start, day_bound
from .report_charts import cell_links, chart_data, query_text
from .report_funnel import funnel_rows
from .report_labels import dimension_labels
from .report_parameters import Setting, previous_settings, read_parameters, read_target
from .report_query import Dimension, ReportQuery, build_query, grouped, measure_columns, ordering

RATIO_PLACES = Decimal("0.0001")
AXES = ("rows", "columns")


def runnable(viewer: Viewer, report: ReportDef) -> bool:
    """Whether ``viewer`` may run ``report``: they read its entity, see every field it
    reads (through readable references), and are among its roles if it names some."""
    principal = viewer.principal
    if report.roles and not (principal.admin or principal.system
                             or set(report.roles) & set(principal.roles)):
        return False
    models = viewer.compiled.models
    for path, _ in paths_of(report):
        model = models[report.entity]
        for index, name in enumerate(path.split(".")):
            if not viewer.can_read(model) or name not in viewer.types(model):
                return False
            field = model.entity.fields.get(name)
            if index < path.count(".") and field is not None and field.to in models:
                model = models[field.to or ""]
    return viewer.can_read(models[report.entity])


def run_report(conn: sa.Connection, viewer: Viewer, report: ReportDef,
               args: Mapping[str, Sequence[str]], lang: str, now: datetime) -> dict[str, Any]:
    compiled = viewer.compiled
    if report.roles and not runnable(viewer, report):
        raise Forbidden({"_request": [f"report '{report.name}' is for the roles "
                                      + ", ".join(report.roles)]})
    settings = read_parameters(compiled.catalog, report, args, viewer.principal.user_id, now)
    target = read_target(report, args)
    base = list(report.filters) + [pair for s in settings for pair in s.filters]
    model = compiled.models[report.entity]
    query = build_query(viewer, model, report, conn.dialect.name, base)
    if report.steps:
        steps = funnel_rows(conn, query, base, lang, _values)
        for row in steps:
            row["links"] = cell_links(report, row["filters"])
        return _answer(report, query, settings, base, lang, steps, None, target)
    measures = [measure_columns(query, m) for m in report.measures]
    statement = grouped(query, query.dimensions, measures).order_by(
        *ordering(query, query.dimensions, measures))
    if report.limit is not None:
        statement = statement.limit(report.limit)
    rows = [_values(report, row, len(query.dimensions)) for row in conn.execute(statement)]
    labels = [dimension_labels(conn, viewer, d, [r[0][i] for r in rows], lang)
              for i, d in enumerate(query.dimensions)]
    answer_rows = [_row(query, keys, values, labels, base) for keys, values in rows]
    totals = _totals(conn, query, measures, labels, base) if report.totals else None
    if totals is not None:
        totals["links"] = cell_links(report, base)
    previous = None
    if report.presentation == "number":
        previous = _previous(conn, viewer, report, settings, measures)
    return _answer(report, query, settings, base, lang, answer_rows, totals, target, previous)


def _previous(conn: sa.Connection, viewer: Viewer, report: ReportDef,
              settings: list[Setting], measures: list[list[sa.ColumnElement]]
              ) -> dict[str, Any] | None:
    """A number card's figures over the period before its period (the same statement,
    run by the database with the period's filters moved back)."""
    before = previous_settings(viewer.compiled.catalog, report, settings)
    if before is None:
        return None
    base = list(report.filters) + [pair for s in before for pair in s.filters]
    query = build_query(viewer, viewer.compiled.models[report.entity], report,
                        conn.dialect.name, base)
    columns = [measure_columns(query, m) for m in report.measures]
    (row,) = conn.execute(grouped(query, [], columns)).all()
    moved = next(s for s, was in zip(before, settings, strict=True) if s != was)
    return {"values": _values(report, row, 0)[1], "from": moved.start.isoformat()
            if moved.start else None, "to": moved.end.isoformat() if moved.end else None,
            "filters": [list(pair) for pair in base]}


def _answer(report: ReportDef, query: ReportQuery, settings: list[Setting],
            base: list[tuple[str, str]], lang: str, answer_rows: list[dict[str, Any]],
            totals: dict[str, Any] | None, target: Decimal | None = None,
            previous: dict[str, Any] | None = None) -> dict[str, Any]:
    dimensions = [{"axis": AXES[i], "field": d.definition.path, "bucket": d.definition.bucket,
                   "label": _dimension_label(d, lang)} for i, d in enumerate(query.dimensions)]
    columns = [{"name": m.name, "label": m.label.get(lang), "aggregate": m.aggregate,
                "field": m.field} for m in report.measures]
    if report.steps:
        dimensions = [{"axis": "rows", "field": None, "bucket": None,
                       "label": message("report_step", lang)}]
        columns += [{"name": name, "label": message(f"report_{name}", lang),
                     "aggregate": RATIO, "field": None} for name in (CONVERSION, FROM_FIRST)]
    return {
        "report": report.name, "label": report.label.get(lang),
        "description": report.description.get(lang) or None, "entity": report.entity,
        "presentation": report.presentation,
        "parameters": [_parameter(report, s, lang) for s in settings],
        "dimensions": dimensions,
        "columns": columns,
        "rows": answer_rows,
        "totals": totals,
        "series": chart_data(report, len(query.dimensions) + (1 if report.steps else 0),
                             answer_rows, lang, target, previous,
                             totals and {"values": totals["all"], "links": totals["links"]}),
        "filters": [list(pair) for pair in base],
        "previous": previous,
    }


def _values(report: ReportDef, row: sa.Row, dimensions: int) -> tuple[list[Any], dict]:
    """(dimension values, measure values by name) of one result row."""
    data = row._mapping
    values: dict[str, Any] = {}
    for index, measure in enumerate(report.measures):
        if measure.aggregate == "avg":
            total, count = data[f"m{index}_0"], data[f"m{index}_1"]
            values[measure.name] = _average(total, count)
        elif measure.aggregate != RATIO:
            values[measure.name] = _plain(data[f"m{index}_0"])
    for measure in report.measures:
        if measure.aggregate == RATIO and measure.ratio:
            values[measure.name] = _ratio(values.get(measure.ratio[0]),
                                          values.get(measure.ratio[1]))
    return [data[f"d{i}"] for i in range(dimensions)], values


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def _average(total: Any, count: Any) -> Decimal | None:
    """A sum over a count, exactly, to the field's decimals (two at least)."""
    if not count or total is None:
        return None
    exponent = total.as_tuple().exponent if isinstance(total, Decimal) else -2
    quantum = Decimal(1).scaleb(min(int(exponent), -2))
    return (Decimal(total) / Decimal(count)).quantize(quantum, ROUND_HALF_UP)


def _ratio(top: Any, bottom: Any) -> Decimal | None:
    if top is None or not bottom:
        return None
    return (Decimal(top) / Decimal(bottom)).quantize(RATIO_PLACES, ROUND_HALF_UP)


def _row(query: ReportQuery, keys: list[Any], values: dict[str, Any],
         labels: list[dict[Any, str]], base: list[tuple[str, str]]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    pairs = list(base)
    for index, dimension in enumerate(query.dimensions):
        key = keys[index]
        row[AXES[index]] = {"value": _key(dimension, key),
                            "label": labels[index].get(key) if key is not None else None}
        pairs.extend(drill_filters(query, dimension, key))
    row["values"] = values
    row["filters"] = [list(pair) for pair in pairs]
    row["query"] = query_text(pairs)
    row["links"] = cell_links(query.report, pairs)
    return row


def _key(dimension: Dimension, value: Any) -> Any:
    if dimension.definition.bucket:
        start = bucket_start(value)
        return start.isoformat() if start else None
    return _plain(value)


def drill_filters(query: ReportQuery, dimension: Dimension, value: Any
                  ) -> list[tuple[str, str]]:
    """The list filters that pick the records of one dimension value."""
    path = dimension.definition.path
    bucket = dimension.definition.bucket
    if value is None:
        return [(f"{path}__isnull", "true")]
    if bucket:
        start = bucket_start(value)
        assert start is not None
        kind, zone = dimension.target.kind.name, query.report.time_zone
        return [(f"{path}__gte", day_bound(start, kind, zone)),
                (f"{path}__lt", day_bound(bucket_end(start, bucket), kind, zone))]
    if isinstance(value, bool):
        return [(path, "true" if value else "false")]
    return [(path, str(_plain(value)))]


def _totals(conn: sa.Connection, query: ReportQuery, measures: list[list[sa.ColumnElement]],
            labels: list[dict[Any, str]], base: list[tuple[str, str]]) -> dict[str, Any]:
    """The grand total and, with two dimensions, the total of each row and column."""
    report = query.report
    (whole,) = [_values(report, r, 0)[1] for r in conn.execute(grouped(query, [], measures))]
    totals: dict[str, Any] = {"all": whole}
    if len(query.dimensions) == 2:
        for index, axis in enumerate(AXES):
            dimension = query.dimensions[index]
            statement = grouped(query, [dimension], measures).order_by(
                dimension.sort.asc().nulls_last())
            found = []
            for row in conn.execute(statement):
                (key,), values = _values(report, row, 1)
                found.append({"value": _key(dimension, key), "label": labels[index].get(key),
                              "values": values, "links": cell_links(
                                  report, base + drill_filters(query, dimension, key))})
            totals[axis] = found
    return totals


def _dimension_label(dimension: Dimension, lang: str) -> str:
    if dimension.definition.label:
        return dimension.definition.label.get(lang)
    field = dimension.target.field
    return field.label.get(lang) if field is not None else dimension.definition.path


def _parameter(report: ReportDef, setting: Setting, lang: str) -> dict[str, Any]:
    parameter = report.parameter(setting.name)
    assert parameter is not None
    return {"name": setting.name, "label": parameter.label.get(lang), "field": parameter.field,
            "value": setting.value, "default": parameter.default,
            "from": setting.start.isoformat() if setting.start else None,
            "to": setting.end.isoformat() if setting.end else None}
