"""Read a report's answer (runtime/reports.py) a row at a time with names: each row's
or total's dimension values (``value``, ``label``, ``filters``) by axis and its
figures by measure name, as a page, a file or a Python client shows them.

The answer itself lists each dimension's values once (``dimensions[i].values``) and
gives a row as positions into them followed by its figures in the columns' order
(docs/reports.md#the-api): a pivot of 500 owners by 12 months names each owner in a
dozen cells and each month in hundreds, which as objects made most of its JSON."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .report_drill import AXES


def named_rows(answer: Mapping[str, Any], limit: int | None = None
               ) -> list[dict[str, Any]]:
    """The rows of ``answer`` (the first ``limit``) as ``{"at": positions, "rows":
    value, "columns": value, "values": {measure: figure}}`` (an axis only when the
    answer has that dimension); ``at`` is what ``drill_query`` takes."""
    dimensions = answer["dimensions"]
    names = [c["name"] for c in answer["columns"]]
    count = len(dimensions)
    rows = answer["rows"] if limit is None else answer["rows"][:limit]
    named = []
    for row in rows:
        at = row[:count]
        item: dict[str, Any] = {"at": at, "values": dict(zip(names, row[count:],
                                                               strict=True))}
        for axis, dimension, index in zip(AXES, dimensions, at, strict=False):
            item[axis] = dimension["values"][index]
        named.append(item)
    return named


def named_totals(answer: Mapping[str, Any], axis: str) -> list[dict[str, Any]]:
    """The totals of each value of ``axis`` ("rows" or "columns"), in the answer's
    order, as ``{"at": positions, "value": …, "label": …, "filters": …, "values":
    {measure: figure}}``; none when the answer has no such totals."""
    totals = answer.get("totals") or {}
    if axis not in totals:
        return []
    which = AXES.index(axis)
    listed = answer["dimensions"][which]["values"]
    names = [c["name"] for c in answer["columns"]]
    found = []
    for index, *figures in totals[axis]:
        at: list[int | None] = [None] * len(answer["dimensions"])
        at[which] = index
        found.append({**listed[index], "at": at,
                      "values": dict(zip(names, figures, strict=True))})
    return found
