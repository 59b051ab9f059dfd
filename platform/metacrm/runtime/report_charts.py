"""What a chart draws for a report's answer, whatever draws it: categories, one series
per charted measure (or, with columns, per column value), each point with the list
query that picks the records it counts (drill-down), a target line and, for a number
card, the change against the previous period. The report page and dashboards hand this
to static/report-chart.js; GET /api/reports/<name> returns it as ``series``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any
from urllib.parse import quote_plus

from ..definitions import ReportDef
from ..definitions.reports import RATIO, MeasureDef
from ..i18n import message

CHANGE_PLACES = Decimal("0.0001")


def cell_links(report: ReportDef, pairs: Iterable[Sequence[str]]) -> dict[str, str]:
    """Each measure's drill-down query for a cell whose records ``pairs`` pick: the
    cell's filters and the measure's own (a conditional count counts only those), so
    the list it opens holds the records the cell counts."""
    cell = query_text(pairs)
    links = {}
    for measure in report.measures:
        own = _own_filters(report, measure)
        links[measure.name] = f"{cell}&{query_text(own)}" if own and cell else (
            cell or query_text(own))
    return links


class CellLinks:
    """Drill-down texts of the many cells of one run: the run's filters and each
    measure's own are encoded once, a cell adds only its dimension values'."""

    def __init__(self, report: ReportDef, base: Iterable[Sequence[str]]) -> None:
        self.base = query_text(base)
        self.own = {m.name: query_text(_own_filters(report, m)) for m in report.measures}

    def cell(self, pairs: Iterable[Sequence[str]]) -> tuple[str, dict[str, str]]:
        """(the query of the run's filters and ``pairs``, each measure's link)."""
        return self.encoded([query_text(pairs)])

    def encoded(self, texts: Sequence[str]) -> tuple[str, dict[str, str]]:
        """As ``cell``, with the cell's pairs already encoded (``texts``)."""
        cell = "&".join(t for t in (self.base, *texts) if t)
        return cell, {name: _joined(cell, own) for name, own in self.own.items()}


def _joined(first: str, second: str) -> str:
    return f"{first}&{second}" if first and second else first or second


def query_text(pairs: Iterable[Sequence[str]]) -> str:
    """``pairs`` as a query string, as ``urlencode`` writes it. A report of thousands of
    cells repeats the same few pairs in every link: each is encoded once."""
    return "&".join(_encoded(str(key), str(value)) for key, value in pairs)


@lru_cache(maxsize=8192)
def _encoded(key: str, value: str) -> str:
    return f"{quote_plus(key)}={quote_plus(value)}"


def _own_filters(report: ReportDef, measure: MeasureDef) -> tuple[tuple[str, str], ...]:
    if measure.aggregate == RATIO and measure.ratio:
        # a ratio's records are those of its denominator (win rate: won over all deals)
        bottom = report.measure(measure.ratio[1])
        return bottom.filters if bottom is not None else ()
    return measure.filters


def chart_data(report: ReportDef, dimensions: int, rows: Sequence[Mapping[str, Any]],
               lang: str, target: Decimal | None = None,
               previous: Mapping[str, Any] | None = None,
               totals: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The chart of an answer's ``rows`` (each with ``values`` and ``links``).

    ``target``: the run's target line (the definition's or the viewer's); ``previous``:
    a number card's figures for the period before (``values``, ``from``, ``to``);
    ``totals``: the answer's grand total with its ``links`` (a number card's figures).
    """
    charted = report.charted
    kind = report.presentation
    data: dict[str, Any] = {"kind": kind, "categories": [], "series": [],
                            "percent": [m.aggregate == RATIO for m in charted]}
    if dimensions < 2:
        categories: list[Any] = ([_label(row["rows"], lang) for row in rows] if dimensions
                                 else [report.label.get(lang)])
        data["categories"] = categories
        data["series"] = [
            {"name": m.label.get(lang), "measure": m.name,
             "data": [_number(r["values"].get(m.name)) for r in rows] or [None],
             "links": [r["links"][m.name] for r in rows] or [None]}
            for m in (report.measures if kind == "number" else charted)]
        if kind == "number":
            _number_card(data, report, totals or (rows[0] if rows else None), previous)
    else:
        _pivot(data, report, charted[0], rows, lang)
    data["target"] = _target(report, target, lang)
    return data


def _pivot(data: dict[str, Any], report: ReportDef, first: MeasureDef,
           rows: Sequence[Mapping[str, Any]], lang: str) -> None:
    """One series per column value of ``first``, over the row values (in order)."""
    keys = [(_label(row["rows"], lang), _label(row["columns"], lang)) for row in rows]
    categories: list[Any] = list(dict.fromkeys(category for category, _ in keys))
    cells: dict[Any, dict[Any, Mapping[str, Any]]] = {}
    for (category, column), row in zip(keys, rows, strict=True):
        cells.setdefault(column, {})[category] = row
    data["categories"] = categories
    data["measure"] = first.name
    data["percent"] = [first.aggregate == RATIO]
    data["series"] = [
        {"name": column, "measure": first.name,
         "data": [_number(by_row[c]["values"].get(first.name)) if c in by_row else None
                  for c in categories],
         "links": [by_row[c]["links"][first.name] if c in by_row else None
                   for c in categories]}
        for column, by_row in cells.items()]


def _number_card(data: dict[str, Any], report: ReportDef, current: Mapping[str, Any] | None,
                 previous: Mapping[str, Any] | None) -> None:
    """Each measure's figure, its previous period's and the change between them."""
    for series, measure in zip(data["series"], report.measures, strict=True):
        now = current["values"].get(measure.name) if current else None
        series["data"] = [_number(now)]
        series["links"] = [current["links"][measure.name] if current else None]
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
