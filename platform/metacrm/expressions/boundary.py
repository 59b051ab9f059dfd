"""Field values into expression values and back: where exactness is kept or lost.

Numbers of decimal, money and percent fields enter as exact fractions and
integers as integers; dates and date-times as UTC timestamps. A computed
result leaves as the field's type: decimals rounded once, to the field's
places, half-up (四舍五入) unless the field says ``rounding: half_even``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, tzinfo
from decimal import Decimal
from fractions import Fraction
from typing import Any

from ..base.words import with_article
from .conversions import to_string
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
    """A field's Python value as an expression sees it (a built-in ``value_type``; a
    field type of a plugin names its own converter, one of the ``*_in`` below)."""
    if value is None:
        return None
    return _INTO.get(value_type, value_in)(value)


def value_in(value: Any) -> Any:
    """A value as an expression sees it, whatever field it comes from."""
    return _common_in(value, _listed)


def _common_in(value: Any, rest: Callable[[Any], Any]) -> Any:
    """What every converter reads alike: None; an exact number, as a fraction; a date, as
    the timestamp of its midnight in UTC; a moment, in UTC (without an offset it is taken
    as UTC). ``rest`` converts anything else."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return number_in(value)
    if type(value) is date:
        return datetime.combine(value, time(), tzinfo=UTC)
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return rest(value)


def _listed(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [to_expression(item, "") for item in value]
    return value


def number_in(value: Any) -> Any:
    """An exact number (decimal, money, percent) as an exact fraction."""
    if value is None:
        return None
    return Fraction(value) if not isinstance(value, str) else Fraction(Decimal(value))


def date_in(value: Any) -> Any:
    """A date as the timestamp of its midnight in UTC (a moment: of its date)."""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    elif isinstance(value, datetime):
        value = value.date()
    return _common_in(value, _not_a("date"))


def datetime_in(value: Any) -> Any:
    """A moment in UTC (without an offset it is taken as UTC)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return _common_in(value, _not_a("timestamp"))


def json_in(value: Any) -> Any:
    """Any JSON value; its numbers exact as their text says."""
    return _common_in(value, _json)


def _not_a(what: str) -> Callable[[Any], Any]:
    def refuse(value: Any) -> Any:
        raise TypeError(f"{with_article(type_name(value))} is not a {what} value")
    return refuse


def _json(value: Any) -> Any:
    if isinstance(value, float):
        return Fraction(repr(value))  # the number as its JSON text says it
    if isinstance(value, list):
        return [_json(item) for item in value]
    if isinstance(value, dict):
        return {key: _json(item) for key, item in value.items()}
    return value


def builtin_values(now: datetime, user: int | None, zone: tzinfo = UTC) -> dict[str, Any]:
    """The names every expression may use besides the record's fields: ``today`` is
    the date in ``zone`` (where people work), at midnight UTC as dates are."""
    now = now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)
    today = datetime.combine(now.astimezone(zone).date(), time(), tzinfo=UTC)
    return {"today": today, "now": now, "user": user if user is not None else 0}


def to_field(kind: str, value: Any, places: int | None = None,
             rounding: str = "half_up") -> Any:
    """An expression's result as a field of ``kind`` holds it; EvaluationError says why
    it cannot be one (the caller checks that it fits the column)."""
    if value is None:
        return None
    if kind in DECIMAL_KINDS:
        return decimal_out(value, places if places is not None else 2, rounding)
    return _OUT.get(kind, text_out)(value, rounding)


def decimal_out(value: Any, places: int, rounding: str = "half_up") -> Any:
    """An exact number rounded once to ``places`` digits after the point."""
    if value is None:
        return None
    return round_to(_number(value, "decimal"), places, rounding)


def integer_out(value: Any, rounding: str = "half_up") -> Any:
    if value is None:
        return None
    number = _number(value, "integer")
    if isinstance(number, Fraction):
        number = int(round_to(number, 0, rounding))
    return checked_int(number)


def boolean_out(value: Any, rounding: str = "half_up") -> Any:
    if value is None:
        return None
    if type(value) is not bool:
        raise EvaluationError(f"the result is {with_article(type_name(value))}, "
                              "not true or false")
    return value


def id_list_out(value: Any, rounding: str = "half_up") -> Any:
    if value is None:
        return None
    return [integer_out(item) for item in _list(value, "list")]


def text_list_out(value: Any, rounding: str = "half_up") -> Any:
    if value is None:
        return None
    return [text_out(item) for item in _list(value, "list")]


def json_out(value: Any, rounding: str = "half_up") -> Any:
    return None if value is None else _plain(value)


def date_out(value: Any, rounding: str = "half_up") -> Any:
    moment = datetime_out(value)
    return None if moment is None else moment.date()


def datetime_out(value: Any, rounding: str = "half_up") -> Any:
    if value is None:
        return None
    if type(value) is not datetime:
        raise EvaluationError(f"the result is {with_article(type_name(value))}, "
                              "not a timestamp")
    return value.astimezone(UTC)


def text_out(value: Any, rounding: str = "half_up") -> Any:
    if value is None:
        return None
    if type(value) in (str, int, bool) or type(value) is Fraction:
        return to_string(value)
    raise EvaluationError(f"the result is {with_article(type_name(value))}, not text")


def _number(value: Any, kind: str) -> int | Fraction:
    if type(value) is int or type(value) is Fraction:
        return value
    raise EvaluationError(f"the result is {with_article(type_name(value))}, not a number")


def _list(value: Any, kind: str) -> list[Any]:
    if type(value) is not list:
        raise EvaluationError(f"the result is {with_article(type_name(value))}, not a list")
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


# The built-in kinds' converters, by kind (field types name theirs directly).
_INTO: dict[str, Callable[[Any], Any]] = {
    **dict.fromkeys(DECIMAL_KINDS, number_in), "date": date_in, "datetime": datetime_in,
    "json": json_in}
_OUT: dict[str, Callable[..., Any]] = {
    "integer": integer_out, "reference": integer_out, "user": integer_out,
    "boolean": boolean_out, "multi_reference": id_list_out, "multi_choice": text_list_out,
    "json": json_out, "date": date_out, "datetime": datetime_out}
