"""What the OpenAPI document says numbers and ids look like: exactly what the
request-body fields of this package take (64-bit whole numbers, ids from 1, decimals
as a JSON number read from its digits or as a string of digits), so that a
contract-testing tool finds no valid value refused and no invalid one accepted."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from ..values import MAX_INTEGER, MIN_INTEGER

Schema = dict[str, Any]
INT64_SCHEMA: Schema = {"type": "integer", "format": "int64", "minimum": MIN_INTEGER,
                        "maximum": MAX_INTEGER}
ID_SCHEMA: Schema = {"type": "integer", "format": "int64", "minimum": 1,
                     "maximum": MAX_INTEGER}


def narrow(schema: Schema, low: Any, high: Any) -> Schema:
    """``schema`` with the field's own ``min``/``max`` where they are tighter."""
    found = dict(schema)
    if low is not None and ("minimum" not in found or low > found["minimum"]):
        found["minimum"] = low
    if high is not None and ("maximum" not in found or high < found["maximum"]):
        found["maximum"] = high
    return found


def digits_pattern(precision: int, scale: int, low: Any = None, high: Any = None) -> str:
    """The text a decimal takes (values.parse_decimal_text, then the column's digits):
    at most the column's digits before the point (leading zeros aside) and its scale
    after it (trailing zeros aside); a minus sign only where the minimum allows one."""
    if (low, high) == (0, 100):  # a percent's default range, to its scale
        return rf"^0*([0-9]{{1,2}}(\.[0-9]{{1,{scale}}}0*)?|100(\.0+)?)$"
    sign = "" if low is not None and low >= 0 else "-?"
    fraction = rf"(\.[0-9]{{1,{scale}}}0*)?" if scale else r"(\.0+)?"
    return rf"^{sign}0*[0-9]{{1,{precision - scale}}}{fraction}$"


def _double_within(limit: Decimal) -> float | int:
    """The largest binary double not above ``limit`` (positive): a validator reads the
    document's numbers as doubles, and 9999999999999999.99 read so is 1e16, which the
    column does not hold."""
    double = float(limit)
    if Decimal(double) > limit:
        double = math.nextafter(double, 0.0)
    return int(double) if double.is_integer() else double


def decimal_input(precision: int, scale: int, low: Any, high: Any) -> Schema:
    """A decimal value as a body takes it: a JSON number, read from its digits (never
    through a binary float), or a string of digits. ``minimum``, ``maximum`` and
    ``multipleOf`` apply to numbers; a string is held to the same limits by the
    server, and to the digits its pattern says by the document."""
    largest = (Decimal(10) ** precision - 1).scaleb(-scale)
    number: Schema = {"type": "number", "minimum": -_double_within(largest),
                      "maximum": _double_within(largest)}
    if scale:
        number["multipleOf"] = 10**-scale
    else:
        number["type"] = "integer"
    number = narrow(number, low, high)
    limits = [f"{name} {number[key]}" for key, name in (("minimum", "at least"),
                                                         ("maximum", "at most"))]
    return {"anyOf": [number, {
        "type": "string", "pattern": digits_pattern(precision, scale, low, high),
        "description": f"The digits as text: the same limits apply ({', '.join(limits)}; "
                       f"{scale} digits after the point)."}]}
