"""One result row of a report statement as the answer carries it: its dimension values
and its measures' figures (an average divided exactly, a ratio from its two measures);
and the list filters that pick the records of one dimension value (drill-down)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
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


def row_values(report: ReportDef, row: sa.Row, dimensions: int
               ) -> tuple[Sequence[Any], dict]:
    """(dimension values, measure values by name) of one result row."""
    reader = RowReader(report, list(row._fields), dimensions)
    read = reader(row)
    return read[:dimensions], dict(zip(reader.names, read[dimensions:], strict=True))


class RowReader:
    """The rows of one statement as the answer's rows are made of them: a list of the
    dimension values, then the figures in the report's measures' order. Where each
    sits in a statement's row is looked up once, each row is read by position."""

    def __init__(self, report: ReportDef, keys: Sequence[str], dimensions: int) -> None:
        at = {key: index for index, key in enumerate(keys)}
        self.names = [m.name for m in report.measures]
        self.dimensions = [at[f"d{i}"] for i in range(dimensions)]
        # per measure, in order: (column, the count's column of an average or -1, a
        # smallest or largest value, a ratio's two measures' positions or None); only a
        # smallest or largest value may be a day or a moment, so counts and sums skip
        # the check (thousands of a pivot's cells)
        position = {name: index for index, name in enumerate(self.names)}
        self.figures = [
            (at.get(f"m{index}_0", -1), at[f"m{index}_1"] if m.aggregate == "avg" else -1,
             m.aggregate in ("min", "max"),
             (position[m.ratio[0]], position[m.ratio[1]])
             if m.aggregate == RATIO and m.ratio else None)
            for index, m in enumerate(report.measures)]
        # counts and sums only (most reports): a row is its columns as they are, taken
        # in one call instead of a check per figure
        self.taken = None if any(
            count >= 0 or extreme or ratio is not None or column < 0
            for column, count, extreme, ratio in self.figures) else \
            _getter([*self.dimensions, *(column for column, *_ in self.figures)])
        self.keys = _getter(self.dimensions)

    def __call__(self, row: Sequence[Any]) -> list[Any]:
        if self.taken is not None:  # thousands of a pivot's cells: taken as they are
            return list(self.taken(row))
        values: list[Any] = list(self.keys(row))
        first = len(values)
        for column, count, extreme, _ in self.figures:
            value = row[column] if column >= 0 else None
            if count >= 0:
                value = _average(value, row[count])
            elif extreme and isinstance(value, (datetime, date)):
                value = value.isoformat()
            values.append(value)
        for index, (_, _, _, ratio) in enumerate(self.figures):
            if ratio is not None:
                values[first + index] = _ratio(values[first + ratio[0]],
                                               values[first + ratio[1]])
        return values


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


def in_order(dimension: Dimension, values: Collection[Any]) -> list[Any]:
    """``values`` (distinct) as the dimension's ``sort`` orders them in the database: a
    choice by its options' order (values no longer among them after), numbers, days,
    moments, users and records by themselves, no value last. (Text is left to the
    database, whose collation decides: report_totals.ordered_by_database.)"""
    present = [value for value in values if value is not None]
    places = dimension.option_places
    if places is not None:
        after = len(places)
        present.sort(key=lambda value: places.get(value, after))
    else:
        try:
            present.sort()
        except TypeError:  # SQLite may hold values of several types in one column
            present.sort(key=lambda value: (type(value).__name__, str(value)))
    return present + [None] if len(present) < len(values) else present


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
