"""What the operators do to values: equality, ordering and exact arithmetic.

Values are Python's: None (null), bool, int (64-bit: overflow is an error),
Fraction (every number with a fractional part: exact, so money never meets
binary floating point), str, list, dict, datetime (aware, UTC) and timedelta.
An operation on null raises ``EmptyValue``; any other misuse ``EvaluationError``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from ..base.words import with_article
from .errors import EmptyValue, EvaluationError

MIN_INT, MAX_INT = -(2**63), 2**63 - 1
# A number's numerator or denominator past this many bits is no business figure, and
# would make every later operation slower.
MAX_NUMBER_BITS = 2048
MAX_DURATION = timedelta(days=3_652_500)  # CEL's limit: about 10,000 years
MAX_SIZE = 100_000  # characters of a string, elements of a list an expression builds

_NAMES = {bool: "boolean", int: "integer", Fraction: "decimal", str: "string", list: "list",
          dict: "map", datetime: "timestamp", timedelta: "duration", type(None): "null"}


def type_name(value: Any) -> str:
    return _NAMES.get(type(value), type(value).__name__)


def is_number(value: Any) -> bool:
    return type(value) is int or type(value) is Fraction


def checked_int(value: int) -> int:
    if not MIN_INT <= value <= MAX_INT:
        raise EvaluationError("integer overflow (the result leaves 64 bits)")
    return value


def checked_fraction(value: Fraction) -> Fraction:
    if (value.numerator.bit_length() > MAX_NUMBER_BITS
            or value.denominator.bit_length() > MAX_NUMBER_BITS):
        raise EvaluationError("number too large")
    return value


def checked_duration(value: timedelta) -> timedelta:
    if abs(value) > MAX_DURATION:
        raise EvaluationError("duration out of range (about 10,000 years)")
    return value


def checked_size(value: Any) -> Any:
    if len(value) > MAX_SIZE:
        raise EvaluationError(f"{type_name(value)} longer than {MAX_SIZE:,}")
    return value


def _operands(op: str, left: Any, right: Any) -> None:
    if left is None or right is None:
        raise EmptyValue(f"'{op}' needs a value and met an empty field")


def _no_overload(op: str, left: Any, right: Any) -> EvaluationError:
    return EvaluationError(f"'{op}' does not apply to {with_article(type_name(left))} and a "
                           f"{type_name(right)}")


# --- equality and ordering --------------------------------------------------------


def equal(left: Any, right: Any) -> bool:
    """CEL's ``==``: numbers compare by value across integer and decimal, other
    values of different types are simply unequal, null equals only null."""
    if left is None or right is None:
        return left is None and right is None
    lt, rt = type(left), type(right)
    if lt is not rt:
        return is_number(left) and is_number(right) and left == right
    if lt is list:
        return len(left) == len(right) and all(
            equal(a, b) for a, b in zip(left, right, strict=True))
    if lt is dict:
        return (len(left) == len(right)
                and all(k in right and equal(v, right[k]) for k, v in left.items()))
    return bool(left == right)


def compare(op: str, left: Any, right: Any) -> bool:
    _operands(op, left, right)
    lt, rt = type(left), type(right)
    if not ((lt is rt and lt in (str, bool, datetime, timedelta, int, Fraction))
            or (is_number(left) and is_number(right))):
        raise _no_overload(op, left, right)
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    if op == ">":
        return bool(left > right)
    return bool(left >= right)


def contains(op: str, item: Any, collection: Any) -> bool:
    """``item in collection``: an element of a list, a key of a map."""
    if collection is None:
        raise EmptyValue("'in' needs a list or a map and met an empty field")
    if type(collection) is list:
        return any(equal(item, element) for element in collection)
    if type(collection) is dict:
        return any(equal(item, key) for key in collection)
    raise EvaluationError(f"'in' needs a list or a map, found "
                          f"{with_article(type_name(collection))}")


# --- arithmetic -------------------------------------------------------------------


def add(left: Any, right: Any) -> Any:
    _operands("+", left, right)
    lt, rt = type(left), type(right)
    if lt is int and rt is int:
        return checked_int(left + right)
    if is_number(left) and is_number(right):
        return checked_fraction(Fraction(left) + right)
    if lt is rt and lt in (str, list):
        return checked_size(left + right)
    if lt is datetime and rt is timedelta or lt is timedelta and rt is datetime:
        return _moment(lambda: left + right)
    if lt is timedelta and rt is timedelta:
        return checked_duration(left + right)
    raise _no_overload("+", left, right)


def subtract(left: Any, right: Any) -> Any:
    _operands("-", left, right)
    lt, rt = type(left), type(right)
    if lt is int and rt is int:
        return checked_int(left - right)
    if is_number(left) and is_number(right):
        return checked_fraction(Fraction(left) - right)
    if lt is datetime and rt is datetime:
        return checked_duration(left - right)
    if lt is datetime and rt is timedelta:
        return _moment(lambda: left - right)
    if lt is timedelta and rt is timedelta:
        return checked_duration(left - right)
    raise _no_overload("-", left, right)


def multiply(left: Any, right: Any) -> Any:
    _operands("*", left, right)
    if type(left) is int and type(right) is int:
        return checked_int(left * right)
    if is_number(left) and is_number(right):
        return checked_fraction(Fraction(left) * right)
    raise _no_overload("*", left, right)


def divide(left: Any, right: Any) -> Any:
    _operands("/", left, right)
    if not (is_number(left) and is_number(right)):
        raise _no_overload("/", left, right)
    if right == 0:
        raise EvaluationError("division by zero")
    if type(left) is int and type(right) is int:
        # CEL divides integers toward zero, as Go, Java and JavaScript's BigInt do.
        quotient = abs(left) // abs(right)
        return checked_int(quotient if (left < 0) == (right < 0) else -quotient)
    return checked_fraction(Fraction(left) / right)


def remainder(left: Any, right: Any) -> Any:
    _operands("%", left, right)
    if not (is_number(left) and is_number(right)):
        raise _no_overload("%", left, right)
    if right == 0:
        raise EvaluationError("modulus by zero")
    rest = abs(left) % abs(right)  # the sign follows the dividend, as in CEL
    return -rest if left < 0 else rest


def negate(value: Any) -> Any:
    if value is None:
        raise EmptyValue("'-' needs a value and met an empty field")
    if type(value) is int:
        return checked_int(-value)
    if type(value) is Fraction:
        return -value
    if type(value) is timedelta:
        return -value
    raise EvaluationError(f"'-' does not apply to {with_article(type_name(value))}")


def logical_not(value: Any) -> bool:
    if value is None:
        raise EmptyValue("'!' needs a value and met an empty field")
    if type(value) is not bool:
        raise EvaluationError(f"'!' needs true or false, found {with_article(type_name(value))}")
    return not value


def _moment(compute: Callable[[], datetime]) -> datetime:
    try:
        return compute()
    except OverflowError:
        raise EvaluationError("timestamp out of range (years 1 to 9999)") from None


BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": add, "-": subtract, "*": multiply, "/": divide, "%": remainder,
}
