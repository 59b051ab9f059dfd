"""The functions and methods an expression may call, each with the types it takes.

The table is a constant: an expression can call these and nothing else, so no
definition reaches Python. String sizes and positions count characters (code
points), as the CEL specification says, not UTF-8 bytes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from fractions import Fraction
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import re2

from ..base.words import with_article
from ..errors import did_you_mean
from .conversions import to_decimal, to_duration, to_int, to_string, to_timestamp
from .errors import EmptyValue, EvaluationError, ExpressionError
from .operators import (
    MAX_SIZE,
    checked_int,
    checked_size,
    is_number,
    type_name,
)

NUMBER = ("int", "decimal")


@dataclass(frozen=True)
class Builtin:
    """One function: ``receiver`` is the types it applies to as ``x.f()`` (empty: only
    called as ``f(x)``); ``arities`` its argument counts besides the receiver."""

    name: str
    impl: Callable[..., Any]
    result: str                      # an expression type, or "same" (the receiver's)
    receiver: tuple[str, ...] = ()
    arities: tuple[int, ...] = (0,)
    global_form: bool = False        # also callable as f(x, ...) with x first
    args: tuple[str, ...] = ()       # the arguments' types ("dyn": any)
    empty_ok: bool = False           # null is a value it accepts


# --- strings ----------------------------------------------------------------------


@lru_cache(maxsize=256)
def compile_regex(pattern: str) -> Any:
    """RE2: its time is linear in the text, so no pattern can stall a request."""
    options = re2.Options()
    options.log_errors = False  # the error is ours to report, not RE2's to print
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else exc
        raise EvaluationError(f"invalid regular expression '{pattern[:60]}': {reason}"
                              ) from None


def check_regex(pattern: str) -> str | None:
    """Why ``pattern`` is not a regular expression RE2 accepts, or None."""
    try:
        compile_regex(pattern)
    except EvaluationError as exc:
        return str(exc)
    return None


def _matches(text: str, pattern: str) -> bool:
    return compile_regex(pattern).search(text) is not None


def _substring(text: str, start: int, end: int | None = None) -> str:
    end = len(text) if end is None else end
    if not 0 <= start <= end <= len(text):
        raise EvaluationError(f"substring({start}, {end}) is out of range for a string of "
                              f"{len(text)} characters")
    return text[start:end]


def _index_of(text: str, part: str, start: int = 0) -> int:
    if not 0 <= start <= len(text):
        raise EvaluationError(f"indexOf start {start} is out of range")
    return text.find(part, start)


def _replace(text: str, old: str, new: str, limit: int = -1) -> str:
    # The result's length is known before it is built: refuse a huge one unbuilt.
    count = text.count(old) if old else len(text) + 1
    count = count if limit < 0 else min(count, limit)
    if len(text) + count * (len(new) - len(old)) > MAX_SIZE:
        raise EvaluationError(f"string longer than {MAX_SIZE:,}")
    return text.replace(old, new, limit)


def _split(text: str, separator: str, limit: int = -1) -> list[str]:
    if limit == 0:
        return []
    if separator == "":
        parts = list(text)
        return checked_size(parts if limit < 0 else parts[:limit - 1] + (
            ["".join(parts[limit - 1:])] if len(parts) >= limit else []))
    return checked_size(text.split(separator, limit - 1 if limit > 0 else -1))


def _char_at(text: str, index: int) -> str:
    if not 0 <= index <= len(text):
        raise EvaluationError(f"charAt({index}) is out of range")
    return text[index:index + 1]


def _join(items: list[Any], separator: str = "") -> str:
    if not all(type(item) is str for item in items):
        raise EvaluationError("join() needs a list of strings")
    return checked_size(separator.join(items))


def _size(value: Any) -> int:
    if type(value) in (str, list, dict):
        return len(value)
    raise EvaluationError(f"size() does not apply to {with_article(type_name(value))}")


# --- timestamps -------------------------------------------------------------------


@lru_cache(maxsize=64)
def _zone(name: str) -> tzinfo:
    offset = re.fullmatch(r"([+-])([0-9]{2}):([0-9]{2})", name)
    if offset:
        minutes = int(offset.group(2)) * 60 + int(offset.group(3))
        if minutes >= 24 * 60:
            raise EvaluationError(f"'{name}' is not a time zone")
        return timezone((-1 if offset.group(1) == "-" else 1) * timedelta(minutes=minutes))
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise EvaluationError(f"'{name[:40]}' is not a time zone (e.g. 'Asia/Shanghai' or "
                              "'+08:00')") from None


def _local(moment: datetime, zone: str | None) -> datetime:
    if zone is None:
        return moment.astimezone(UTC)
    try:
        return moment.astimezone(_zone(zone))
    except OverflowError:
        raise EvaluationError("timestamp out of range in that time zone") from None


def _part(read: Callable[[datetime], int]) -> Callable[..., int]:
    def part(moment: Any, zone: str | None = None) -> int:
        if type(moment) is timedelta:
            raise EvaluationError("this method applies to a timestamp, not a duration")
        return read(_local(moment, zone))
    return part


def _duration_part(unit: timedelta) -> Callable[[Any], int]:
    def part(value: Any, zone: str | None = None) -> int:
        if type(value) is datetime:
            return _TIMESTAMP_PARTS[unit](value, zone)
        total = value // timedelta(microseconds=1)
        step = unit // timedelta(microseconds=1)
        whole = abs(total) // step
        return whole if total >= 0 else -whole
    return part


_TIMESTAMP_PARTS: dict[timedelta, Callable[..., int]] = {
    timedelta(hours=1): _part(lambda m: m.hour),
    timedelta(minutes=1): _part(lambda m: m.minute),
    timedelta(seconds=1): _part(lambda m: m.second),
    timedelta(milliseconds=1): _part(lambda m: m.microsecond // 1000),
}

# --- math -------------------------------------------------------------------------


def _rounded(how: Callable[[Fraction], int]) -> Callable[[Any], Any]:
    def apply(value: Any) -> Any:
        if type(value) is int:
            return value
        if type(value) is Fraction:
            return Fraction(how(value))
        raise EvaluationError(f"this function needs a number, found "
                              f"{with_article(type_name(value))}")
    return apply


def _half_away(value: Fraction) -> int:
    whole = abs(value).__floor__() + (1 if abs(value) - abs(value).__floor__() >= Fraction(1, 2)
                                       else 0)
    return whole if value >= 0 else -whole


def _abs(value: Any) -> Any:
    if type(value) is int:
        return checked_int(abs(value))
    if type(value) is Fraction:
        return abs(value)
    raise EvaluationError(f"math.abs needs a number, found {with_article(type_name(value))}")


def _sign(value: Any) -> Any:
    if not is_number(value):
        raise EvaluationError(f"math.sign needs a number, found {with_article(type_name(value))}")
    sign = (value > 0) - (value < 0)
    return sign if type(value) is int else Fraction(sign)


def _extreme(pick: Callable[..., Any], name: str) -> Callable[..., Any]:
    def apply(*values: Any) -> Any:
        if len(values) == 1 and type(values[0]) is list:
            values = tuple(values[0])
        if not values:
            raise EvaluationError(f"{name} needs at least one number")
        if any(v is None for v in values):
            raise EmptyValue(f"{name} met an empty field")
        if not all(is_number(v) for v in values):
            raise EvaluationError(f"{name} needs numbers")
        return pick(values)
    return apply


def _builtins() -> dict[str, Builtin]:
    strings = ("string",)
    moments = ("timestamp",)
    found = [
        Builtin("size", _size, "int", ("string", "list", "map"), (0,), True),
        Builtin("int", to_int, "int", arities=(1,), args=("dyn",)),
        Builtin("double", to_decimal, "decimal", arities=(1,), args=("dyn",)),
        Builtin("decimal", to_decimal, "decimal", arities=(1,), args=("dyn",)),
        Builtin("string", to_string, "string", arities=(1,), args=("dyn",)),
        Builtin("timestamp", to_timestamp, "timestamp", arities=(1,), args=("dyn",)),
        Builtin("duration", to_duration, "duration", arities=(1,), args=("string",)),
        Builtin("dyn", lambda value: value, "dyn", arities=(1,), args=("dyn",), empty_ok=True),
        Builtin("contains", lambda t, p: p in t, "bool", strings, (1,), args=("string",)),
        Builtin("startsWith", lambda t, p: t.startswith(p), "bool", strings, (1,),
                args=("string",)),
        Builtin("endsWith", lambda t, p: t.endswith(p), "bool", strings, (1,),
                args=("string",)),
        Builtin("matches", _matches, "bool", strings, (1,), True, args=("string",)),
        Builtin("lowerAscii", lambda t: t.translate(_LOWER), "string", strings),
        Builtin("upperAscii", lambda t: t.translate(_UPPER), "string", strings),
        Builtin("trim", lambda t: t.strip(), "string", strings),
        Builtin("substring", _substring, "string", strings, (1, 2), args=("int", "int")),
        Builtin("indexOf", _index_of, "int", strings, (1, 2), args=("string", "int")),
        Builtin("lastIndexOf", lambda t, p: t.rfind(p), "int", strings, (1,),
                args=("string",)),
        Builtin("replace", _replace, "string", strings, (2, 3),
                args=("string", "string", "int")),
        Builtin("split", _split, "list<string>", strings, (1, 2), args=("string", "int")),
        Builtin("charAt", _char_at, "string", strings, (1,), args=("int",)),
        Builtin("join", _join, "string", ("list",), (0, 1), args=("string",)),
        Builtin("getFullYear", _part(lambda m: m.year), "int", moments, (0, 1),
                args=("string",)),
        Builtin("getMonth", _part(lambda m: m.month - 1), "int", moments, (0, 1),
                args=("string",)),
        Builtin("getDayOfMonth", _part(lambda m: m.day - 1), "int", moments, (0, 1),
                args=("string",)),
        Builtin("getDate", _part(lambda m: m.day), "int", moments, (0, 1), args=("string",)),
        Builtin("getDayOfWeek", _part(lambda m: m.isoweekday() % 7), "int", moments, (0, 1),
                args=("string",)),
        Builtin("getDayOfYear", _part(lambda m: m.timetuple().tm_yday - 1), "int", moments,
                (0, 1), args=("string",)),
        Builtin("getHours", _duration_part(timedelta(hours=1)), "int",
                ("timestamp", "duration"), (0, 1), args=("string",)),
        Builtin("getMinutes", _duration_part(timedelta(minutes=1)), "int",
                ("timestamp", "duration"), (0, 1), args=("string",)),
        Builtin("getSeconds", _duration_part(timedelta(seconds=1)), "int",
                ("timestamp", "duration"), (0, 1), args=("string",)),
        Builtin("getMilliseconds", _duration_part(timedelta(milliseconds=1)), "int",
                ("timestamp", "duration"), (0, 1), args=("string",)),
        Builtin("math.round", _rounded(_half_away), "same", arities=(1,), args=("number",)),
        Builtin("math.ceil", _rounded(lambda v: v.__ceil__()), "same", arities=(1,),
                args=("number",)),
        Builtin("math.floor", _rounded(lambda v: v.__floor__()), "same", arities=(1,),
                args=("number",)),
        Builtin("math.trunc", _rounded(lambda v: int(v)), "same", arities=(1,),
                args=("number",)),
        Builtin("math.abs", _abs, "same", arities=(1,), args=("number",)),
        Builtin("math.sign", _sign, "same", arities=(1,), args=("number",)),
        Builtin("math.greatest", _extreme(max, "math.greatest"), "same",
                arities=tuple(range(1, 33)), args=("number",) * 32, empty_ok=True),
        Builtin("math.least", _extreme(min, "math.least"), "same",
                arities=tuple(range(1, 33)), args=("number",) * 32, empty_ok=True),
    ]
    return {b.name: b for b in found}


_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}
_UPPER = {c: c - 32 for c in range(ord("a"), ord("z") + 1)}
BUILTINS = _builtins()
# Functions the browser's evaluator (web/static/cel/functions.js) does not have: a form
# condition calling one cannot run in the browser. Empty: the browser has every one,
# and the browser test holds the two tables equal but for these.
SERVER_ONLY_FUNCTIONS: frozenset[str] = frozenset()
# Methods that also read a result's size: their output is charged to the budget.
SIZED_RESULTS = frozenset({"replace", "split", "join", "substring", "lowerAscii",
                           "upperAscii", "trim", "string"})


def unknown_function(name: str, pos: int) -> ExpressionError:
    """The error for a call of a function that does not exist, with a suggestion."""
    known = sorted(n for n in BUILTINS if n.startswith("math.") == ("." in name))
    return ExpressionError(f"unknown function '{name}'{did_you_mean(name, known)}", pos)


def call(builtin: Builtin, args: tuple[Any, ...]) -> Any:
    """Run ``builtin``; null where it needs a value is ``EmptyValue``."""
    if not builtin.empty_ok and any(a is None for a in args):
        raise EmptyValue(f"{builtin.name}() met an empty field")
    try:
        return builtin.impl(*args)
    except (TypeError, AttributeError):
        kinds = ", ".join(type_name(a) for a in args)
        raise EvaluationError(f"{builtin.name}() does not apply to ({kinds})") from None
    except OverflowError:
        raise EvaluationError(f"{builtin.name}(): value out of range") from None


__all__ = ["BUILTINS", "SERVER_ONLY_FUNCTIONS", "Builtin", "call", "check_regex", "compile_regex"]
