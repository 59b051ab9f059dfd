"""rollup: an aggregate (count, sum, avg, min, max) of the records of another entity
that refer to this one, kept up to date as they change."""

from __future__ import annotations

from .base import FieldType
from .derived import derived_type


def rollup_type() -> FieldType:
    return derived_type("rollup", frozenset(("rounding", "from", "aggregate", "of", "where")))
