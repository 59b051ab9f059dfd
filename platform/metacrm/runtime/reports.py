"""Run a report for a viewer: its parameters read, its GROUP BY statements run by the
database, and the answer shaped as columns, rows, totals and chart-ready series, with
the parts of each figure's drill-down once each: the run's filters, each dimension
value's, each measure's (runtime/report_drill.py, docs/reports.md)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any

import sqlalchemy as sa

from ..base.problems import Forbidden
from ..collector import collector_paused
from ..definitions import ReportDef
from ..definitions.reports import CONVERSION, FROM_FIRST, RATIO
from ..i18n import message
from ..resolve.report_paths import paths_of
from .access import Viewer
from .report_charts import chart_data
from .report_drill import AXES, own_filters
from .report_funnel import funnel_rows
from .report_labels import dimension_labels
from .report_parameters import Setting, previous_settings, read_parameters, read_target
from .report_query import Dimension, ReportQuery, build_query, grouped, measure_columns
from .report_totals import Figures, figures
from .report_values import dimension_key, drill_filters, in_order, row_values


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
    # A pivot of thousands of cells makes tens of thousands of small dicts and lists,
    # none of them in a cycle: the cyclic GC would walk the whole process (the compiled
    # catalog, SQLAlchemy's caches) in the middle of it, 0.4 s measured on 2 cores.
    with collector_paused():
        return _run_report(conn, viewer, report, args, lang, now)


def _run_report(conn: sa.Connection, viewer: Viewer, report: ReportDef,
                args: Mapping[str, Sequence[str]], lang: str, now: datetime
                ) -> dict[str, Any]:
    compiled = viewer.compiled
    if report.roles and not runnable(viewer, report):
        raise Forbidden({"_request": [f"report '{report.name}' is for the roles "
                                      + ", ".join(report.roles)]})
    settings = read_parameters(compiled.catalog, report, args, viewer.principal.user_id, now)
    target = read_target(report, args)
    base = list(report.filters) + [pair for s in settings for pair in s.filters]
    model = compiled.models[report.entity]
    query = build_query(viewer, model, report, conn.dialect.name, base,
                        _periods(report, settings))
    if report.steps:
        steps, answer_rows = funnel_rows(conn, query, lang)
        return _answer(report, query, settings, base, lang, [steps], answer_rows, None,
                       target)
    measures = [measure_columns(query, m) for m in report.measures]
    found = figures(conn, query, measures)
    labels = [dimension_labels(conn, viewer, d, map(itemgetter(i), found.rows), lang)
              for i, d in enumerate(query.dimensions)]
    values = [DimensionValues(query, d, labels[i]) for i, d in enumerate(query.dimensions)]
    answer_rows = _rows(values, found.rows, found.ordered)
    totals = _totals(report, found, values) if report.totals else None
    previous = None
    if report.presentation == "number":
        previous = _previous(conn, viewer, report, settings, measures)
    return _answer(report, query, settings, base, lang, [v.listed for v in values],
                   answer_rows, totals, target, previous)


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
                        conn.dialect.name, base, _periods(report, before))
    columns = [measure_columns(query, m) for m in report.measures]
    (row,) = conn.execute(grouped(query, [], columns)).all()
    moved = next(s for s, was in zip(before, settings, strict=True) if s != was)
    return {"values": row_values(report, row, 0)[1], "from": moved.start.isoformat()
            if moved.start else None, "to": moved.end.isoformat() if moved.end else None,
            "filters": [list(pair) for pair in base]}


def _periods(report: ReportDef, settings: list[Setting]) -> dict[str, tuple[date, date]]:
    """The first and last day of each period parameter bounded at both ends, by field."""
    found = {}
    for setting in settings:
        parameter = report.parameter(setting.name)
        if parameter is not None and setting.start is not None and setting.end is not None:
            found[parameter.field] = (setting.start, setting.end)
    return found


def _answer(report: ReportDef, query: ReportQuery, settings: list[Setting],
            base: list[tuple[str, str]], lang: str, values: list[list[dict[str, Any]]],
            answer_rows: list[list[Any]], totals: dict[str, Any] | None,
            target: Decimal | None = None, previous: dict[str, Any] | None = None
            ) -> dict[str, Any]:
    dimensions = [{"axis": AXES[i], "field": d.definition.path, "bucket": d.definition.bucket,
                   "label": _dimension_label(d, lang), "values": values[i]}
                  for i, d in enumerate(query.dimensions)]
    columns = [{"name": m.name, "label": m.label.get(lang), "aggregate": m.aggregate,
                "field": m.field, "filters": [list(pair) for pair in own_filters(report, m)]}
               for m in report.measures]
    if report.steps:
        dimensions = [{"axis": "rows", "field": None, "bucket": None,
                       "label": message("report_step", lang), "values": values[0]}]
        columns += [{"name": name, "label": message(f"report_{name}", lang),
                     "aggregate": RATIO, "field": None, "filters": []}
                    for name in (CONVERSION, FROM_FIRST)]
    return {
        "report": report.name, "label": report.label.get(lang),
        "description": report.description.get(lang) or None, "entity": report.entity,
        "presentation": report.presentation,
        "parameters": [_parameter(report, s, lang) for s in settings],
        "dimensions": dimensions,
        "columns": columns,
        "rows": answer_rows,
        "totals": totals,
        "series": chart_data(report, values, answer_rows, lang, base, target, previous,
                             totals["all"] if totals else None),
        "filters": [list(pair) for pair in base],
        "previous": previous,
    }


class DimensionValues:
    """One dimension's values as the answer lists them (``dimensions[i].values``), each
    once with its key, label and list filters, in the order the rows first name them;
    rows and totals give a value by its position in the list. A pivot of months by
    owners names each month and each owner in hundreds of cells."""

    def __init__(self, query: ReportQuery, dimension: Dimension, labels: dict[Any, str]
                 ) -> None:
        self.query, self.dimension, self.labels = query, dimension, labels
        self.listed: list[dict[str, Any]] = []
        self.at: dict[Any, int] = {}

    def add(self, keys: Iterable[Any]) -> None:
        at, listed, labels = self.at, self.listed, self.labels
        query, dimension = self.query, self.dimension
        for key in keys:
            if key not in at:
                at[key] = len(listed)
                listed.append({
                    "value": dimension_key(dimension, key),
                    "label": labels.get(key) if key is not None else None,
                    "filters": [[field, value] for field, value in
                                drill_filters(query, dimension, key)]})

    def index(self, key: Any) -> int:
        if key not in self.at:
            self.add((key,))
        return self.at[key]


def _rows(values: list[DimensionValues], found: list[list[Any]], ordered: bool
          ) -> list[list[Any]]:
    """The answer's rows: ``found`` (each its dimension values, then its figures in the
    columns' order) with each dimension value replaced by its position in its list.
    Rows the database did not order are put in their dimensions' order: each
    dimension's few values sorted, their positions given in that order, then the rows
    by their positions."""
    for index, dimension in enumerate(values):  # each value once, in order, then added
        distinct = dict.fromkeys(map(itemgetter(index), found))
        dimension.add(distinct if ordered else in_order(dimension.dimension, distinct))
    if len(values) == 2:
        lines, columns = values[0].at, values[1].at
        for row in found:  # in place: a pivot's thousands of rows are not copied
            row[0], row[1] = lines[row[0]], columns[row[1]]
    elif len(values) == 1:
        lines = values[0].at
        for row in found:
            row[0] = lines[row[0]]
    if values and not ordered:  # positions are unique per row: figures never compared
        found.sort()
    return found


def _totals(report: ReportDef, found: Figures, values: list[DimensionValues]
            ) -> dict[str, Any]:
    """The grand total by measure name and, with two dimensions, the total of each row
    and column value (its position, then its figures, as a row)."""
    whole = found.whole or [None] * len(report.measures)
    totals: dict[str, Any] = {
        "all": dict(zip((m.name for m in report.measures), whole, strict=True))}
    for index, axis in enumerate(found.axes):
        listed = [[values[index].index(key), *figures] for key, figures in axis]
        if not found.ordered:
            listed.sort(key=itemgetter(0))
        totals[AXES[index]] = listed
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
