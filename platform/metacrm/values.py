"""Field values as text (query strings, cursors, definitions) and as JSON."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Self

NUMERIC = ("decimal", "money", "percent")
MAX_INTEGER = 2**63 - 1
MIN_INTEGER = -(2**63)
MAX_DECIMAL_EXPONENT = 40
TEXTUAL = ("string", "text", "email", "phone", "url", "autonumber", "choice")
# What a client writes, and nothing else: Python's own parsers also take "+5", "1_000",
# " 5 ", "1e3", "5.", ".5", other scripts' digits, "20200105"; the OpenAPI document
# promises these forms only.
INTEGER_TEXT = re.compile(r"-?[0-9]+")
DECIMAL_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?")
DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# RFC 3339's date-time (JSON Schema's format "date-time"): seconds and an offset always.
DATETIME_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}"
                           r"(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})")
# Beyond this many digits a JSON number cannot be a whole number of 64 bits anyway;
# int() of 1e999999999 would take the server's memory first.
_MAX_INTEGER_DIGITS = 19


class JsonNumber(float):
    """A JSON number with a fraction or an exponent, as a float (what the rest of the
    platform has always been given) that keeps the text it was written as, so that
    money is read from the text, exactly: 1000000000000000.01 as a float is
    1000000000000000.0. web/requests.py json_body makes them."""

    text: str

    def __new__(cls, text: str) -> Self:
        number = super().__new__(cls, text)
        number.text = text
        return number


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


def parse_integer_text(raw: str) -> int:
    """A 64-bit whole number written as ``-?[0-9]+``; ValueError says why not."""
    if INTEGER_TEXT.fullmatch(raw) is None:
        raise ValueError(f"'{raw}' is not a whole number (digits, a leading '-' for "
                         "negative ones)")
    if len(raw.lstrip("-").lstrip("0")) > _MAX_INTEGER_DIGITS:
        raise ValueError(f"{raw} is out of range (a 64-bit whole number)")
    return _in_integer_range(int(raw), raw)


def _in_integer_range(value: int, shown: str) -> int:
    if not MIN_INTEGER <= value <= MAX_INTEGER:
        raise ValueError(f"{shown} is out of range (a 64-bit whole number)")
    return value


def parse_integer_value(value: Any) -> int:
    """A whole number of a JSON body: a JSON integer, or a number without a fraction
    (``5.0``, ``1e3``: JSON Schema's ``integer`` takes them too); not a string, not
    true or false. ValueError says why not."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        # ValueError, not TypeError: every parser here says "not a value" the same way.
        raise ValueError(f"{value!r} is not a whole number")  # noqa: TRY004
    if isinstance(value, int):
        return _in_integer_range(value, str(value))
    exact = Decimal(value.text) if isinstance(value, JsonNumber) else Decimal(repr(value))
    if not exact.is_finite() or exact != exact.to_integral_value():
        raise ValueError(f"{value!r} is not a whole number")
    if exact and exact.adjusted() >= _MAX_INTEGER_DIGITS:
        raise ValueError(f"{value!r} is out of range (a 64-bit whole number)")
    return _in_integer_range(int(exact), str(value))


def parse_decimal_text(raw: str) -> Decimal:
    """An exact number written as ``-?[0-9]+(.[0-9]+)?``; ValueError says why not."""
    if DECIMAL_TEXT.fullmatch(raw) is None:
        raise ValueError(f"'{raw}' is not a number (digits, a point and digits, a leading "
                         "'-' for negative ones)")
    return _in_decimal_range(Decimal(raw), raw)


def _in_decimal_range(value: Decimal, shown: str) -> Decimal:
    if not value.is_finite():
        raise ValueError(f"'{shown}' is not a finite number")
    if value and not -MAX_DECIMAL_EXPONENT <= value.adjusted() <= MAX_DECIMAL_EXPONENT:
        raise ValueError(f"'{shown}' is out of range")
    return value


def parse_decimal_value(value: Any) -> Decimal:
    """An exact number of a JSON body: a string as parse_decimal_text reads it, or a
    JSON number read from its text (a JsonNumber), never through a binary float. A
    float that is not a JsonNumber (a caller inside the platform) is taken as its
    shortest text. ValueError says why not."""
    if isinstance(value, str):
        return parse_decimal_text(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{value!r} is not a number")  # noqa: TRY004
    if isinstance(value, int):
        return _in_decimal_range(Decimal(value), str(value))
    text = value.text if isinstance(value, JsonNumber) else repr(value)
    try:
        return _in_decimal_range(Decimal(text), text)
    except InvalidOperation:  # nan and inf: JSON has neither, a float may
        raise ValueError(f"'{text}' is not a finite number") from None


def fit_column_integer(value: Any, column_type: Any) -> Any:
    """``value`` if a whole number column of ``column_type`` (a SQLAlchemy type) holds
    it: a record's ``version`` is a 32-bit INTEGER, and PostgreSQL refuses a filter or
    cursor past it with an error instead of matching nothing; ValueError says why."""
    if isinstance(value, int) and not isinstance(value, bool) \
            and getattr(column_type, "__visit_name__", None) in ("integer", "small_integer") \
            and not -(2**31) <= value < 2**31:
        raise ValueError(f"{value} is out of range (a 32-bit whole number)")
    return value


def fit_decimal(value: Decimal, precision: int, scale: int) -> Decimal:
    """``value`` if a column of ``precision`` digits, ``scale`` after the point, holds
    it exactly (1.500 is 1.50); ValueError says why not."""
    largest = (Decimal(10) ** precision - 1).scaleb(-scale)
    if abs(value) > largest:
        raise ValueError(f"'{value}' is out of range (at most {largest} either side of 0)")
    if value != value.quantize(Decimal(1).scaleb(-scale)):
        raise ValueError(f"'{value}' has more than {scale} digits after the point")
    return value


def parse_date_text(raw: str) -> date:
    """An RFC 3339 full-date, ``YYYY-MM-DD``; ValueError says why not."""
    if DATE_TEXT.fullmatch(raw) is None:
        raise ValueError(f"'{raw}' is not a date (YYYY-MM-DD)")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"'{raw}' is not a date (YYYY-MM-DD)") from None


def parse_datetime_text(raw: str) -> datetime:
    """An RFC 3339 date-time with its offset (``2026-11-22T08:30:00+08:00``, ``…Z``), in
    UTC; ValueError says why not (OutOfRange when UTC leaves the years 1 to 9999)."""
    expected = "a date-time with an offset (RFC 3339: 2026-11-22T08:30:00+08:00 or ...Z)"
    if DATETIME_TEXT.fullmatch(raw) is None:
        raise ValueError(f"'{raw}' is not {expected}")
    try:
        moment = datetime.fromisoformat(raw.upper())
    except ValueError:
        raise ValueError(f"'{raw}' is not {expected}") from None
    return to_utc(moment)


def parse_text(kind: str, raw: str) -> Any:
    """The value of ``raw`` for a field of ``kind``; ValueError says why not."""
    if kind in ("integer", "reference", "user"):
        return parse_integer_text(raw)
    if kind in NUMERIC:
        return parse_decimal_text(raw)
    if kind == "boolean":
        lowered = raw.lower()
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no"):
            return False
        raise ValueError(f"'{raw}' is not true or false")
    if kind == "date":
        return parse_date_text(raw)
    if kind == "datetime":
        return parse_datetime_text(raw)
    return raw


def parse_definition_text(kind: str, raw: str) -> Any:
    """The value of ``raw`` for a field of ``kind`` as definitions and the command line
    write it, more leniently than a client may: Python's own readings of numbers and
    ISO 8601 (YAML gives ``str(1e-05)``, ``2026-01-01 08:00:00``), a date-time without
    an offset taken as UTC. ValueError says why not."""
    if kind in ("integer", "reference", "user"):
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(f"'{raw}' is not a whole number") from None
        return _in_integer_range(value, raw)
    if kind in NUMERIC:
        try:
            return _in_decimal_range(Decimal(raw), raw)
        except InvalidOperation:
            raise ValueError(f"'{raw}' is not a number") from None
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
    return parse_text(kind, raw)


# Values that are JSON as they are: most of what a write audits and an import logs,
# answered by one look-up instead of four isinstance checks.
PLAIN_JSON = frozenset({str, int, bool, float, type(None)})


def json_value(value: Any) -> Any:
    """A typed value as plain JSON (for cursors and the audit trail)."""
    if type(value) in PLAIN_JSON:
        return value
    if isinstance(value, Decimal):
        return format(value, "f")  # str() writes 1E-8, which parse_text refuses
    if isinstance(value, datetime):
        return to_utc(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    return value
