"""One result row of a report statement as the answer carries it: its dimension values
and its measures' figures (an average divided exactly, a ratio from its two measures);
and the list filters that pick the records of one dimension value (drill-down)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from operator import itemgetter
from typing import Any

import sqlalchemy as sa

from ..definitions import ReportDef
from ..definitions.reports import RATIO
from .report_buckets import bucket_end, bucket_start, day_bound
from .report_query import Dimension, ReportQuery

RATIO_PLACES = Decimal("0.0001")


def row_values(report: ReportDef, row: sa.Row, dimensions: int) -> tuple[list[Any], dict]:
    """(dimension values, measure values by name) of one result row."""
    data = row._mapping
    values: dict[str, Any] = {}
    for index, measure in enumerate(report.measures):
        if measure.aggregate == "avg":
            total, count = data[f"m{index}_0"], data[f"m{index}_1"]
            values[measure.name] = _average(total, count)
        elif measure.aggregate != RATIO:
            values[measure.name] = plain(data[f"m{index}_0"])
    for measure in report.measures:
        if measure.aggregate == RATIO and measure.ratio:
            values[measure.name] = _ratio(values.get(measure.ratio[0]),
                                          values.get(measure.ratio[1]))
    return [data[f"d{i}"] for i in range(dimensions)], values


class RowReader:
    """``row_values`` for the many rows of one statement: where each figure sits in a
    row is looked up once, each row is read by position."""

    def __init__(self, report: ReportDef, keys: Sequence[str], dimensions: int) -> None:
        at = {key: index for index, key in enumerate(keys)}
        self.dimensions = [at[f"d{i}"] for i in range(dimensions)]
        # (name, column, the count's column of an average or -1, a smallest or largest
        # value), in the measures' order: only those may be a day or a moment, so counts
        # and sums skip the check (thousands of cells in a pivot)
        self.figures = [
            (m.name, at[f"m{index}_0"], at[f"m{index}_1"] if m.aggregate == "avg" else -1,
             m.aggregate in ("min", "max"))
            for index, m in enumerate(report.measures) if m.aggregate != RATIO]
        self.ratios = [(m.name, m.ratio[0], m.ratio[1]) for m in report.measures
                       if m.aggregate == RATIO and m.ratio]
        # counts and sums only (most reports): a row's figures are its columns as they
        # are, taken in one call instead of a check per figure
        self.names = [name for name, *_ in self.figures]
        self.taken = None if self.ratios or any(
            count >= 0 or extreme for _, _, count, extreme in self.figures) else \
            _getter([index for _, index, _, _ in self.figures])
        self.keys = _getter(self.dimensions)

    def __call__(self, row: Sequence[Any]) -> tuple[list[Any], dict[str, Any]]:
        if self.taken is not None:
            return list(self.keys(row)), dict(zip(self.names, self.taken(row), strict=True))
        values: dict[str, Any] = {}
        for name, index, count, extreme in self.figures:
            value = row[index]
            if count >= 0:
                value = _average(value, row[count])
            elif extreme and isinstance(value, (datetime, date)):
                value = value.isoformat()
            values[name] = value
        for name, top, bottom in self.ratios:
            values[name] = _ratio(values.get(top), values.get(bottom))
        return list(self.keys(row)), values


def _getter(indexes: Sequence[int]) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    """The values at ``indexes`` of a row, as a tuple (``itemgetter`` of one index
    gives the value itself)."""
    if len(indexes) == 1:
        (only,) = indexes
        return lambda row: (row[only],)
    if not indexes:
        return lambda row: ()
    return itemgetter(*indexes)


def plain(value: Any) -> Any:
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


def dimension_key(dimension: Dimension, value: Any) -> Any:
    """A dimension value as the answer shows it (a period by its first day)."""
    if dimension.definition.bucket:
        start = bucket_start(value)
        return start.isoformat() if start else None
    return plain(value)


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
    return [(path, str(plain(value)))]
