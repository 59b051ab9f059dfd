"""The one expression language of definitions: CEL, through a safe wrapper.

Formulas, validation rules and (later) approval conditions and form logic are
CEL expressions. CEL cannot call anything it is not given, has no loops that
run forever and no access to Python objects: we hand it plain values only
(numbers as doubles, dates as UTC timestamps, decimals as floats).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import cel

from .errors import did_you_mean

# Variables every expression may use besides the record's fields.
BUILTIN_NAMES = ("today", "now", "user")

_NUMERIC = {"integer", "decimal", "money", "percent"}
_DATES = {"date", "datetime"}


class ExpressionError(ValueError):
    """An expression does not parse, names something unknown, or mixes types."""


@dataclass(frozen=True)
class Expression:
    source: str
    names: frozenset[str]
    _program: Any = field(repr=False, compare=False)

    def evaluate(self, values: Mapping[str, Any]) -> Any:
        """The value of the expression; raises ExpressionError when it fails."""
        try:
            return self._program.execute(dict(values))
        except (TypeError, RuntimeError, ValueError, OverflowError) as exc:
            raise ExpressionError(_first_line(exc)) from None


def parse_expression(source: str) -> Expression:
    try:
        program = cel.compile(source)
    except (ValueError, RuntimeError) as exc:
        raise ExpressionError(_syntax_message(exc)) from None
    return Expression(source, frozenset(program.variables()), program)


def cel_value(value: Any, value_type: str) -> Any:
    """A Python field value as CEL sees it."""
    if value is None:
        return None
    if value_type in _NUMERIC:
        return float(value)
    if value_type == "date":
        if isinstance(value, str):
            value = date.fromisoformat(value)
        return datetime.combine(value, time(), tzinfo=UTC)
    if value_type == "datetime":
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [cel_value(v, "") for v in value]
    return value


def builtin_values(now: datetime, user: int | None) -> dict[str, Any]:
    now = now if now.tzinfo else now.replace(tzinfo=UTC)
    today = datetime.combine(now.date(), time(), tzinfo=UTC)
    return {"today": today, "now": now, "user": user if user is not None else 0}


_SAMPLES: dict[str, Any] = {
    "string": "sample", "text": "sample", "email": "a@example.com", "phone": "+86 21 5555 0000",
    "url": "https://example.com", "choice": "sample", "multi_choice": ["sample"],
    "boolean": True, "user": 1, "reference": 1, "multi_reference": [1], "autonumber": "X-1",
    "json": {"sample": 1},
}


def sample_value(value_type: str) -> Any:
    if value_type in _NUMERIC:
        return 1.0
    if value_type in _DATES:
        return datetime(2026, 1, 1, tzinfo=UTC)
    return _SAMPLES.get(value_type, "sample")


def check_expression(source: str, field_types: Mapping[str, str]) -> Expression:
    """Parse and try ``source`` against sample values of the given field types.

    CEL is dynamically typed, so a trial run is how a misspelt name or an
    int/double mix-up is found at ``metacrm check`` time instead of on save.
    """
    expression = parse_expression(source)
    values = {name: sample_value(t) for name, t in field_types.items()}
    values.update(builtin_values(datetime(2026, 1, 1, tzinfo=UTC), 1))
    try:
        expression.evaluate(values)
    except ExpressionError as exc:
        message = str(exc)
        unknown = re.search(r"Undefined variable or function: '([^']+)'", message)
        if unknown:
            name = unknown.group(1)
            choices = list(field_types) + list(BUILTIN_NAMES)
            raise ExpressionError(f"unknown name '{name}'{did_you_mean(name, choices)}") from None
        if "does not coerce" in message or "No such overload" in message:
            raise ExpressionError(
                "numbers in expressions are doubles and CEL does not mix int and double: "
                "write number literals with a point (2.0, not 2)") from None
        raise ExpressionError(message) from None
    return expression


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _syntax_message(exc: BaseException) -> str:
    text = str(exc)
    match = re.search(r"ERROR: <input>:(\d+):(\d+): (.*)", text)
    if match:
        return f"syntax error at column {match.group(2)}: {match.group(3).strip()}"
    return _first_line(exc)
