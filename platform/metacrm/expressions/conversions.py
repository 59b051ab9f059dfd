"""The conversion functions an expression may call (int, decimal/double, string,
timestamp, duration): each takes the values CEL says it takes and refuses the rest with
an ``EvaluationError`` naming what it got."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from ..base.words import with_article
from .errors import EvaluationError
from .operators import checked_duration, checked_fraction, checked_int, is_number, type_name
from .text import decimal_text

MAX_DURATION_MICROS = 3_652_500 * 86_400 * 10**6
# Two-letter units first: "100ms" is milliseconds, not 100 minutes and a stray "s".
_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(ms|us|µs|ns|h|m|s)")
_UNITS = {"h": Fraction(3600), "m": Fraction(60), "s": Fraction(1), "ms": Fraction(1, 1000),
          "us": Fraction(1, 10**6), "µs": Fraction(1, 10**6), "ns": Fraction(1, 10**9)}


def to_int(value: Any) -> int:
    if type(value) is int:
        return value
    if type(value) is Fraction:
        return checked_int(int(value))  # toward zero, as CEL converts a double
    if type(value) is str:
        if not re.fullmatch(r"[+-]?[0-9]{1,19}", value):
            raise EvaluationError(f"int() cannot read '{value[:40]}'")
        return checked_int(int(value))
    if type(value) is datetime:
        return int(value.timestamp())
    raise EvaluationError(f"int() does not apply to {with_article(type_name(value))}")


def to_decimal(value: Any) -> Fraction:
    if is_number(value):
        return Fraction(value)
    if type(value) is str:
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite() or len(value) > 60:
            raise EvaluationError(f"'{value[:40]}' is not a number")
        return checked_fraction(Fraction(number))
    raise EvaluationError(f"decimal() does not apply to {with_article(type_name(value))}")


def to_string(value: Any) -> str:
    if type(value) is str:
        return value
    if type(value) is bool:
        return "true" if value else "false"
    if type(value) is int:
        return str(value)
    if type(value) is Fraction:
        return decimal_text(value)
    if type(value) is datetime:
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if type(value) is timedelta:
        return f"{decimal_text(Fraction(value // timedelta(microseconds=1), 10**6))}s"
    raise EvaluationError(f"string() does not apply to {with_article(type_name(value))}")


def to_timestamp(value: Any) -> datetime:
    if type(value) is datetime:
        return value
    if type(value) is int:
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, ValueError, OSError):
            raise EvaluationError("timestamp out of range (years 1 to 9999)") from None
    if type(value) is str:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            raise EvaluationError(f"'{value[:40]}' is not a timestamp with its offset "
                                  "(RFC 3339, e.g. 2026-01-31T09:00:00Z)")
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            raise EvaluationError("timestamp out of range (years 1 to 9999)") from None
    raise EvaluationError(f"timestamp() does not apply to {with_article(type_name(value))}")


def to_duration(value: Any) -> timedelta:
    if type(value) is timedelta:
        return value
    if type(value) is not str:
        raise EvaluationError(f"duration() does not apply to {with_article(type_name(value))}")
    text = value.strip()
    sign = -1 if text.startswith("-") else 1
    body = text.lstrip("+-")
    seconds, at = Fraction(0), 0
    while at < len(body) and len(body) <= 64:
        part = _DURATION_PART.match(body, at)
        if part is None:
            break
        seconds += Fraction(part.group(1)) * _UNITS[part.group(2)]
        at = part.end()
    if not body or at != len(body):
        raise EvaluationError(f"'{value[:40]}' is not a duration (e.g. '72h', '1h30m', '90s')")
    micros = round(seconds * 10**6)
    if micros > MAX_DURATION_MICROS:
        raise EvaluationError("duration out of range (about 10,000 years)")
    return checked_duration(sign * timedelta(microseconds=micros))

