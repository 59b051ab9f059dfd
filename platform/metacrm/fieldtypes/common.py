"""Parts that several field types share: request-body fields with translated messages,
bounds, list-cell texts and spreadsheet cells. A type module picks the parts it needs."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from marshmallow import ValidationError, fields, validate

from ..expressions.functions import compile_regex
from ..i18n import KIND_NAMES, kind_name, message
from ..values import (
    OutOfRange,
    parse_decimal_value,
    parse_definition_text,
    parse_integer_value,
)
from .base import SchemaEnv

if TYPE_CHECKING:
    from ..definitions import FieldDef


def noun_of(kind: str) -> Mapping[str, str]:
    """A built-in type's name in messages (i18n.KIND_NAMES), or the type's own name."""
    return KIND_NAMES.get(kind, {"en": kind})


def noun_text(noun: Mapping[str, str], lang: str) -> str:
    return noun.get(lang) or noun["en"]


# --- request bodies ------------------------------------------------------------


def common_options(kind: str | Mapping[str, str], lang: str) -> dict[str, Any]:
    """allow_none and the translated messages of a payload field of ``kind`` (a type
    name of i18n.KIND_NAMES, or a noun by language)."""
    noun = kind_name(kind, lang) if isinstance(kind, str) else noun_text(kind, lang)
    return {
        "allow_none": True,
        "error_messages": {
            "invalid": message("invalid", lang, kind=noun),
            "type": message("invalid", lang, kind=noun),
            "null": message("null", lang),
            "required": message("required", lang),
            "special": message("invalid", lang, kind=noun),
        },
    }


def whole_match(pattern: str, error: str) -> Any:
    # RE2 takes time linear in the value: a definition's pattern cannot stall a request.
    compiled = compile_regex(pattern)

    def check(value: str) -> None:
        if compiled.fullmatch(value) is None:
            raise ValidationError(error)
    return check


def no_nul(lang: str) -> Any:
    # PostgreSQL cannot store NUL in text and SQLite's LIKE stops at it.
    def check(value: str) -> None:
        if "\x00" in value:
            raise ValidationError(message("invalid", lang, kind=kind_name("string", lang)))
    return check


def text_checks(field: FieldDef, lang: str, default_limit: int | None) -> list[Any]:
    """No NUL, the length limit (``max_length`` or the column's) and ``pattern``."""
    checks: list[Any] = [no_nul(lang)]
    limit = field.max_length or default_limit
    if limit:
        checks.append(validate.Length(max=limit, error=message("max_length", lang, max=limit)))
    if field.pattern:
        checks.append(whole_match(field.pattern, message("pattern", lang)))
    return checks


def definition_reader(kind: str) -> Callable[[str], Any]:
    """How a definition's value of ``kind`` (a min, a max) is read: as leniently as the
    definitions are (values.parse_definition_text), not as strictly as a request."""
    return lambda raw: parse_definition_text(kind, raw)


def definition_literal(kind: str) -> Callable[[Any], Any]:
    """A value written in a definition (a default, a condition's value), read leniently."""
    return lambda value: parse_definition_text(kind, str(value))


def bounds(parse: Callable[[str], Any], low: Any, high: Any, lang: str) -> list[Any]:
    """Range checks for ``min``/``max`` (check has read them as values of the type)."""
    checks = []
    if low is not None:
        checks.append(validate.Range(min=parse(str(low)), error=message("min", lang, min=low)))
    if high is not None:
        checks.append(validate.Range(max=parse(str(high)), error=message("max", lang, max=high)))
    return checks


class ExactInteger(fields.Field):
    """A 64-bit whole number as values.parse_integer_value reads it (5.0 is 5, as in
    JSON Schema; "5", 5.5 and true are not)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        try:
            return parse_integer_value(value)
        except ValueError:
            raise self.make_error("invalid") from None


class ExactDecimal(fields.Field):
    """An exact number as values.parse_decimal_value reads it: a JSON number from its
    text, a string of digits; never through a binary float."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Decimal:
        try:
            return parse_decimal_value(value)
        except ValueError:
            raise self.make_error("invalid") from None


class ExactText(fields.Field):
    """A value written as text in one strict form (a date, a date-time), read by
    ``parse``, a function of values.py."""

    def __init__(self, parse: Any, out_of_range: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.parse, self.out_of_range = parse, out_of_range

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        try:
            return self.parse(value)
        except OutOfRange:
            raise ValidationError(self.out_of_range) from None
        except ValueError:
            raise self.make_error("invalid") from None


class StrictBoolean(fields.Boolean):
    """JSON true or false only: 1 == True in Python, but 1 is not a boolean in JSON."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


def record_id(lang: str) -> Any:
    return validate.Range(min=1, max=2**63 - 1,
                          error=message("invalid", lang, kind=kind_name("id", lang)))


# --- OpenAPI ---------------------------------------------------------------------


def text_schema(field: FieldDef, output: bool, env: SchemaEnv, limit: int | None
                ) -> dict[str, Any]:
    """A text value: its length limit and pattern."""
    schema: dict[str, Any] = {"type": "string"}
    if field.max_length or limit:
        schema["maxLength"] = field.max_length or limit
    if field.pattern:  # a definition's pattern must match the whole value
        schema["pattern"] = f"^(?:{field.pattern})$"
    return schema


def plain_filter(schema: dict[str, Any]) -> Callable[[FieldDef, SchemaEnv], dict[str, Any]]:
    def describe(field: FieldDef, env: SchemaEnv) -> dict[str, Any]:
        return dict(schema)
    return describe


def fixed_schema(schema: dict[str, Any]) -> Callable[[FieldDef, bool, SchemaEnv],
                                                     dict[str, Any]]:
    def describe(field: FieldDef, output: bool, env: SchemaEnv) -> dict[str, Any]:
        return dict(schema)
    return describe


# --- list cells and spreadsheet cells -------------------------------------------


def plain_text(value: Any, field: FieldDef) -> str:
    return "" if value is None else str(value)


def json_text(value: Any, field: FieldDef) -> str:
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)


def cell_text(parse: Callable[[str], Any]) -> Callable[[Any, FieldDef], Any]:
    """A cell read as the text it shows (a number cell 42 reads as '42')."""
    def read(cell: Any, field: FieldDef) -> Any:
        if isinstance(cell, float) and cell.is_integer():
            cell = int(cell)
        if isinstance(cell, (datetime, date)):
            cell = cell.isoformat()
        if isinstance(cell, bool):
            cell = "true" if cell else "false"
        return parse(str(cell).strip())
    return read


def cell_number(parse: Callable[[str], Any]) -> Callable[[Any, FieldDef], Any]:
    """A number cell as the number it shows (a float's shortest text: 0.1 is 0.1)."""
    def read(cell: Any, field: FieldDef) -> Any:
        if isinstance(cell, (bool, date, datetime)):
            raise ValueError(f"{cell!r} is not a number")  # noqa: TRY004 - a bad cell
        if isinstance(cell, float):
            cell = Decimal(repr(cell)) if not cell.is_integer() else int(cell)
        return parse(str(cell).strip())
    return read
