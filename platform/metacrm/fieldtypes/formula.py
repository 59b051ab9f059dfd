"""formula: an expression over the record's fields, computed before each save and
rounded once to its result's places."""

from __future__ import annotations

from .base import FieldType
from .derived import derived_type


def formula_type() -> FieldType:
    return derived_type("formula", frozenset(("expression", "result", "scale", "rounding")))
