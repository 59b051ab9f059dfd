"""money: an amount with two decimals, exact on every database (18 digits: kept as a
64-bit count of cents on SQLite, NUMERIC(18, 2) on PostgreSQL)."""

from __future__ import annotations

from .base import FieldType
from .numbers import exact_number


def money_type() -> FieldType:
    return exact_number("money", precision=18, scale=lambda field: 2, widget="decimal")
