"""Field values into expression values and back: where exactness is kept or lost.

Numbers of decimal, money and percent fields enter as exact fractions and
integers as integers; dates and date-times as UTC timestamps. A computed
result leaves as the field's type: decimals rounded once, to the field's
places, half-up (四舍五入) unless the field says ``rounding: half_even``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from fractions import Fraction
from typing import Any

from .errors import EvaluationError
from .operators import checked_int, type_name
from .text import round_to

# Names every expression may use besides the record's fields, with their types.
BUILTIN_TYPES = {"today": "timestamp", "now": "timestamp", "user": "int"}
BUILTIN_NAMES = tuple(BUILTIN_TYPES)

_EXPRESSION_TYPES = {
    "integer": "int", "reference": "int", "user": "int",
    "decimal": "decimal", "money": "decimal", "percent": "decimal",
    "boolean": "bool", "date": "timestamp", "datetime": "timestamp",
    "multi_choice": "list<string>", "multi_reference": "list<int>", "json": "dyn",
}
DECIMAL_KINDS = ("decimal", "money", "percent")


def expression_type(value_type: str) -> str:
    """The expression type of a field's value type (``string`` for the text kinds)."""
    return _EXPRESSION_TYPES.get(value_type, "string")


def to_expression(value: Any, value_type: str) -> Any:
    """A field's Python value as an expression sees it."""
    if value is None:
        return None
    if value_type in DECIMAL_KINDS or isinstance(value, Decimal):
        return Fraction(value) if not isinstance(value, str) else Fraction(Decimal(value))
    if value_type == "date" or (type(value) is date):
        if isinstance(value, str):
            value = date.fromisoformat(value)
        return datetime.combine(value, time(), tzinfo=UTC)
    if value_type == "datetime" or isinstance(value, datetime):
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if value_type == "json":
        return _json(value)
    if isinstance(value, (list, tuple)):
        return [to_expression(item, "") for item in value]
    return value


def _json(value: Any) -> Any:
    if isinstance(value, float):
        return Fraction(repr(value))  # the number as its JSON text says it
    if isinstance(value, list):
        return [_json(item) for item in value]
    if isinstance(value, dict):
        return {key: _json(item) for key, item in value.items()}
    return value


def builtin_values(now: datetime, user: int | None) -> dict[str, Any]:
    now = now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)
    today = datetime.combine(now.date(), time(), tzinfo=UTC)
    return {"today": today, "now": now, "user": user if user is not None else 0}


def to_field(kind: str, value: Any, places: int | None = None,
             rounding: str = "half_up") -> Any:
    """An expression's result as a field of ``kind`` holds it; EvaluationError says why
    it cannot be one (the caller checks that it fits the column)."""
    if value is None:
        return None
    if kind in DECIMAL_KINDS:
        return round_to(_number(value, kind), places if places is not None else 2, rounding)
    if kind in ("integer", "reference", "user"):
        number = _number(value, kind)
        if type(number) is Fraction:
            number = int(round_to(number, 0, rounding))
        return checked_int(number)
    if kind == "boolean":
        if type(value) is not bool:
            raise EvaluationError(f"the result is a {type_name(value)}, not true or false")
        return value
    if kind == "multi_reference":
        return [to_field("integer", item) for item in _list(value, kind)]
    if kind == "multi_choice":
        return [to_field("string", item) for item in _list(value, kind)]
    if kind == "json":
        return _plain(value)
    if kind in ("date", "datetime"):
        if type(value) is not datetime:
            raise EvaluationError(f"the result is a {type_name(value)}, not a timestamp")
        moment = value.astimezone(UTC)
        return moment.date() if kind == "date" else moment
    if type(value) in (str, int, bool) or type(value) is Fraction:
        from .functions import BUILTINS
        return BUILTINS["string"].impl(value)
    raise EvaluationError(f"the result is a {type_name(value)}, not text")


def _number(value: Any, kind: str) -> int | Fraction:
    if type(value) is int or type(value) is Fraction:
        return value
    raise EvaluationError(f"the result is a {type_name(value)}, not a number")


def _list(value: Any, kind: str) -> list[Any]:
    if type(value) is not list:
        raise EvaluationError(f"the result is a {type_name(value)}, not a list")
    return value


def _plain(value: Any) -> Any:
    """A result as JSON can hold it: decimals as exact text."""
    if type(value) is Fraction:
        from .text import decimal_text
        return decimal_text(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    return value
