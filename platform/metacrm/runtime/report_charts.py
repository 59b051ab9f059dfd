"""What a chart draws for a report's answer, whatever draws it: categories, one series
per charted measure (or, with columns, per column value), the parts of each point's
list query (drill-down: the run's filters, each category's, each series'; composed as
runtime/report_drill.py says), a target line and, for a number card, the change against
the previous period. The report page and dashboards hand this to
static/report-chart.js; GET /api/reports/<name> returns it as ``series``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ..definitions import ReportDef
from ..definitions.reports import CHARTS, RATIO, MeasureDef
from ..i18n import message
from .report_drill import own_filters

CHANGE_PLACES = Decimal("0.0001")


def chart_data(report: ReportDef, values: Sequence[Sequence[Mapping[str, Any]]],
               rows: Sequence[Sequence[Any]], lang: str, base: Sequence[Sequence[str]],
               target: Decimal | None = None, previous: Mapping[str, Any] | None = None,
               totals: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The chart of an answer's ``rows`` (each its dimension values' positions in
    ``values``, one list per dimension of dicts with ``label`` and ``filters``, then
    the figures in the measures' order).

    ``base``: the run's filters; ``target``: the run's target line (the definition's or
    the viewer's); ``previous``: a number card's figures for the period before
    (``values``, ``from``, ``to``); ``totals``: the answer's grand total by measure
    name (a number card's figures).

    A point's drill-down is ``filters`` + ``category_filters[point]`` + its series'
    ``filters`` (the measure's own; over two dimensions, the column value's too). A table
    or a pivot draws no chart: its ``categories`` and ``series`` are empty.
    """
    charted = report.charted
    kind = report.presentation
    dimensions = len(values)
    position = {m.name: dimensions + i for i, m in enumerate(report.measures)}
    data: dict[str, Any] = {"kind": kind, "categories": [], "series": [],
                            "percent": [m.aggregate == RATIO for m in charted],
                            "filters": [list(pair) for pair in base], "category_filters": []}
    if kind not in CHARTS and kind != "number":
        # a table or a pivot draws no chart: its figures are the answer's rows, and a
        # pivot's series would repeat every cell (half the work of a large answer)
        data["target"] = None
        return data
    if dimensions < 2:
        if dimensions:
            lines = [values[0][row[0]] for row in rows]
            data["categories"] = [_label(line, lang) for line in lines]
            data["category_filters"] = [line["filters"] for line in lines]
        else:
            data["categories"], data["category_filters"] = [report.label.get(lang)], [[]]
        data["series"] = [
            {"name": m.label.get(lang), "measure": m.name,
             "data": [_number(r[position[m.name]]) for r in rows] or [None],
             "filters": [list(pair) for pair in own_filters(report, m)]}
            for m in (report.measures if kind == "number" else charted)]
        if kind == "number":
            if totals is None and rows:
                totals = {m.name: rows[0][position[m.name]] for m in report.measures}
            _number_card(data, report, totals, previous)
    else:
        _pivot(data, report, charted[0], values, rows, position[charted[0].name], lang)
    data["target"] = _target(report, target, lang)
    return data


def _pivot(data: dict[str, Any], report: ReportDef, first: MeasureDef,
           values: Sequence[Sequence[Mapping[str, Any]]], rows: Sequence[Sequence[Any]],
           at: int, lang: str) -> None:
    """One series per column value of ``first`` (the figure at ``at`` of a row), over
    the row values, each in the order the rows first name it."""
    lines: dict[int, int] = {}  # a row value's position -> its category's
    cells: dict[int, dict[int, Any]] = {}  # by column value, by category: the figure
    for row in rows:
        line = row[0]
        category = lines.get(line)
        if category is None:
            category = lines[line] = len(lines)
        by_line = cells.get(row[1])
        if by_line is None:
            by_line = cells[row[1]] = {}
        by_line[category] = row[at]
    own = [list(pair) for pair in own_filters(report, first)]
    categories = [values[0][line] for line in lines]
    data["categories"] = [_label(line, lang) for line in categories]
    data["category_filters"] = [line["filters"] for line in categories]
    data["measure"] = first.name
    data["percent"] = [first.aggregate == RATIO]
    count = len(categories)
    data["series"] = [
        {"name": _label(values[1][column], lang), "measure": first.name,
         "data": [_number(by_line.get(category)) for category in range(count)],
         "filters": own + values[1][column]["filters"]}
        for column, by_line in cells.items()]


def _number_card(data: dict[str, Any], report: ReportDef, current: Mapping[str, Any] | None,
                 previous: Mapping[str, Any] | None) -> None:
    """Each measure's figure, its previous period's and the change between them."""
    for series, measure in zip(data["series"], report.measures, strict=True):
        now = current.get(measure.name) if current else None
        series["data"] = [_number(now)]
        before = previous["values"].get(measure.name) if previous else None
        series["previous"] = _number(before)
        series["change"] = _number(change(now, before))
    data["previous"] = ({"from": previous.get("from"), "to": previous.get("to")}
                        if previous else None)


def change(now: Any, before: Any) -> Decimal | None:
    """The relative change from ``before`` to ``now`` (0.25: a quarter more), None when
    there is nothing to compare with (no figure, or zero before)."""
    if now is None or before is None:
        return None
    try:
        old, new = Decimal(str(before)), Decimal(str(now))
    except ArithmeticError:
        return None
    if not old:
        return None
    return ((new - old) / abs(old)).quantize(CHANGE_PLACES, ROUND_HALF_UP)


def _target(report: ReportDef, value: Decimal | None, lang: str) -> dict[str, Any] | None:
    if value is None:
        return None
    defined = report.chart.target
    measure = (defined.measure if defined and defined.measure else report.charted[0].name)
    label = defined.label.get(lang) if defined and defined.label else None
    return {"value": str(value), "measure": measure, "label": label}


def _label(key: Mapping[str, Any], lang: str) -> str:
    """A dimension value's label; the records without a value have a word too."""
    label = key.get("label")
    return message("report_empty", lang) if label is None else str(label)


def _number(value: Any) -> Any:
    """Figures as JSON carries them: decimals as exact text, counts as integers."""
    return str(value) if isinstance(value, Decimal) else value
