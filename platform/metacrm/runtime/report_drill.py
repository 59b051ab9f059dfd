"""The drill-down rule of a report's answer: a figure's list query is the run's filters
(``filters``), then those of the dimension values that make its cell (the ``filters``
of the values its row or total points at in ``dimensions[].values``), then its
measure's own (``columns[].filters``), as GET /api/<entity> and the list page
/<entity> take them (docs/reports.md#drill-down).

The answer carries each part once, not a composed query per figure: a pivot of 6,000
cells would repeat the run's filters 6,000 times per measure. Pages, charts and clients
compose the query of the figure they show."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any
from urllib.parse import quote_plus

from ..definitions import ReportDef
from ..definitions.reports import RATIO, MeasureDef

AXES = ("rows", "columns")


def own_filters(report: ReportDef, measure: MeasureDef) -> tuple[tuple[str, str], ...]:
    """The filters a measure adds to its cell's: a conditional count's (``won``: only
    the won ones); a ratio's records are those of its denominator (win rate: all deals)."""
    if measure.aggregate == RATIO and measure.ratio:
        bottom = report.measure(measure.ratio[1])
        return bottom.filters if bottom is not None else ()
    return measure.filters


def drill_query(answer: Mapping[str, Any],
                at: Sequence[Any] | Mapping[str, Any] | None = (),
                measure: str | None = None) -> str:
    """The list query of one figure of ``answer``. ``at``: its dimension values, a
    position in ``dimensions[i].values`` (or None: any value) per dimension, in order:
    a row of ``rows`` as it is (its leading positions are read), ``(i, None)`` a row
    total, ``(None, j)`` a column total, ``()`` (or None) the grand total; or a row or
    total as runtime/report_answer.py names it (its ``at``); ``measure``: a column's
    name, or None for the records whatever they are counted by."""
    if isinstance(at, Mapping):
        at = at["at"]
    texts = [query_text(answer["filters"])]
    for dimension, index in zip(answer["dimensions"], at or (), strict=False):
        if index is not None:
            texts.append(query_text(dimension["values"][index]["filters"]))
    if measure is not None:
        column = next((c for c in answer["columns"] if c["name"] == measure), None)
        if column is not None:
            texts.append(query_text(column["filters"]))
    return "&".join(t for t in texts if t)


def point_query(chart: Mapping[str, Any], series: int, point: int) -> str | None:
    """The list query of one point of a chart (``series``: runtime/report_charts.py), as
    static/report-chart.js composes it: the chart's filters, its category's, its
    series'; None where the series has no figure."""
    drawn = chart["series"][series]
    if point >= len(drawn["data"]) or drawn["data"][point] is None:
        return None
    categories = chart["category_filters"]
    texts = [query_text(chart["filters"]),
             query_text(categories[point]) if point < len(categories) else "",
             query_text(drawn["filters"])]
    return "&".join(t for t in texts if t)


def query_text(pairs: Iterable[Sequence[str]]) -> str:
    """``pairs`` as a query string, as ``urlencode`` writes it. A page of thousands of
    cells repeats the same few pairs in every link: each is encoded once."""
    return "&".join(_encoded(str(key), str(value)) for key, value in pairs)


@lru_cache(maxsize=8192)
def _encoded(key: str, value: str) -> str:
    return f"{quote_plus(key)}={quote_plus(value)}"
