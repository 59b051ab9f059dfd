"""Field values as text (query strings, cursors, definitions) and as JSON."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

NUMERIC = ("decimal", "money", "percent")
MAX_INTEGER = 2**63 - 1
MIN_INTEGER = -(2**63)
MAX_DECIMAL_EXPONENT = 40
TEXTUAL = ("string", "text", "email", "phone", "url", "autonumber", "choice")


class OutOfRange(ValueError):
    """A moment that exists where it was written but not in UTC, which is how it is
    stored and compared: 0001-01-01T00:00:00+01:00 is in year 0 in UTC."""


def to_utc(value: datetime) -> datetime:
    """``value`` in UTC (without an offset it is taken as UTC); OutOfRange when UTC
    moves it out of the years 1 to 9999."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise OutOfRange(f"'{value.isoformat()}' is out of range: in UTC it falls outside "
                         "the years 1 to 9999") from None


def parse_text(kind: str, raw: str) -> Any:
    """The value of ``raw`` for a field of ``kind``; ValueError says why not."""
    if kind in ("integer", "reference", "user"):
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(f"'{raw}' is not a whole number") from None
        if not MIN_INTEGER <= value <= MAX_INTEGER:
            raise ValueError(f"{raw} is out of range (a 64-bit whole number)")
        return value
    if kind in NUMERIC:
        try:
            value = Decimal(raw)
        except InvalidOperation:
            raise ValueError(f"'{raw}' is not a number") from None
        if not value.is_finite():
            raise ValueError(f"'{raw}' is not a finite number")
        if value and not -MAX_DECIMAL_EXPONENT <= value.adjusted() <= MAX_DECIMAL_EXPONENT:
            raise ValueError(f"'{raw}' is out of range")
        return value
    if kind == "boolean":
        lowered = raw.lower()
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no"):
            return False
        raise ValueError(f"'{raw}' is not true or false")
    if kind == "date":
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise ValueError(f"'{raw}' is not a date (YYYY-MM-DD)") from None
    if kind == "datetime":
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            raise ValueError(f"'{raw}' is not a date-time (ISO 8601)") from None
        return to_utc(moment)
    return raw


def json_value(value: Any) -> Any:
    """A typed value as plain JSON (for cursors and the audit trail)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return to_utc(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    return value
