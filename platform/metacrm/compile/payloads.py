"""Compile an entity's writable fields into marshmallow schemas, one per language.

Each language gets its own schema so that messages are translated templates
formatted with the field's limits, never English text patched afterwards.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from ..definitions import Catalog, EntityDef, FieldDef
from ..expressions.functions import compile_regex
from ..fieldtypes import DEFAULT_STRING_LENGTH, decimal_scale, largest_value
from ..i18n import kind_name, message
from ..values import (
    OutOfRange,
    parse_date_text,
    parse_datetime_text,
    parse_decimal_value,
    parse_definition_text,
    parse_integer_value,
)

PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 ()\-.]{3,28}[0-9](\s*(ext\.?|x|转)\s*\d{1,6})?$")


def compile_payload_schema(catalog: Catalog, entity: EntityDef, lang: str) -> type[Schema]:
    declared = {
        f.name: _field(catalog, f, lang) for f in entity.fields.values() if not f.computed
    }
    schema = Schema.from_dict(declared, name=f"{entity.name}_{lang}_payload")
    schema.Meta.unknown = RAISE  # type: ignore[attr-defined]
    return schema


def _common(kind: str, lang: str) -> dict[str, Any]:
    return {
        "allow_none": True,
        "error_messages": {
            "invalid": message("invalid", lang, kind=kind_name(kind, lang)),
            "type": message("invalid", lang, kind=kind_name(kind, lang)),
            "null": message("null", lang),
            "required": message("required", lang),
            "special": message("invalid", lang, kind=kind_name(kind, lang)),
        },
    }


def _field(catalog: Catalog, field: FieldDef, lang: str) -> fields.Field:
    kind = field.type
    checks: list[Any] = []
    if kind in ("string", "text", "email", "phone", "url"):
        checks.append(_no_nul(lang))
        limit = field.max_length or (DEFAULT_STRING_LENGTH if kind == "string" else None)
        if kind == "string" or field.max_length:
            checks.append(validate.Length(max=limit, error=message("max_length", lang,
                                                                   max=limit)))
        if field.pattern:
            checks.append(_whole_match(field.pattern, message("pattern", lang)))
    if kind in ("integer", "decimal", "money", "percent", "date", "datetime"):
        low, high = field.min, field.max
        if kind == "percent":
            low = 0 if low is None else low
            high = 100 if high is None else high
        checks.extend(_bounds(kind, low, high, lang))
    common = _common("string" if kind in ("email", "phone", "url") else kind, lang)
    if kind in ("string", "text"):
        return fields.String(validate=checks, **common)
    if kind == "email":
        common["error_messages"]["invalid"] = message("email", lang)
        return fields.Email(validate=checks, **common)
    if kind == "url":
        common["error_messages"]["invalid"] = message("url", lang)
        return fields.URL(validate=checks, schemes={"http", "https"}, require_tld=False, **common)
    if kind == "phone":
        checks.append(validate.Regexp(PHONE_PATTERN, error=message("phone", lang)))
        return fields.String(validate=checks, **common)
    if kind == "integer":
        checks.append(validate.Range(min=-(2**63), max=2**63 - 1,
                                     error=message("invalid", lang, kind=kind_name(kind, lang))))
        return ExactInteger(validate=checks, **common)
    if kind in ("decimal", "money", "percent"):
        return _decimal_field(field, checks, common, lang)
    if kind == "boolean":
        return StrictBoolean(**common)
    if kind == "date":
        return ExactText(parse_date_text, "", validate=checks, **common)
    if kind == "datetime":
        return ExactText(parse_datetime_text, message("datetime_range", lang), validate=checks,
                         **common)
    if kind in ("choice", "multi_choice"):
        values = list(catalog.optionsets[field.options or ""].values())
        one_of = validate.OneOf(values, error=message("one_of", lang, choices=", ".join(values)))
        if kind == "choice":
            return fields.String(validate=one_of, **common)
        item = fields.String(validate=one_of, **_common("string", lang))
        return fields.List(item, **_common("list", lang))
    record_id = validate.Range(min=1, max=2**63 - 1,
                               error=message("invalid", lang, kind=kind_name("id", lang)))
    if kind in ("reference", "user"):
        return ExactInteger(validate=record_id, **_common("id", lang))
    if kind == "multi_reference":
        return fields.List(ExactInteger(validate=record_id, **_common("id", lang)),
                           **_common("list", lang))
    return fields.Raw(allow_none=True)  # json


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


def _whole_match(pattern: str, error: str) -> Any:
    # RE2 takes time linear in the value: a definition's pattern cannot stall a request.
    compiled = compile_regex(pattern)

    def check(value: str) -> None:
        if compiled.fullmatch(value) is None:
            raise ValidationError(error)
    return check


def _no_nul(lang: str) -> Any:
    # PostgreSQL cannot store NUL in text and SQLite's LIKE stops at it.
    def check(value: str) -> None:
        if "\x00" in value:
            raise ValidationError(message("invalid", lang, kind=kind_name("string", lang)))
    return check


def _decimal_field(field: FieldDef, checks: list[Any], common: dict[str, Any],
                   lang: str) -> fields.Field:
    scale = decimal_scale(field)
    largest = largest_value(field)

    quantum = Decimal(1).scaleb(-scale)

    def fits(value: Decimal) -> None:
        # By value, as JSON Schema's multipleOf: 1.500 is 1.50, 1.505 is not a price.
        if abs(value) <= largest and value != value.quantize(quantum):
            raise ValidationError(message("invalid", lang, kind=kind_name(field.type, lang))
                                  + f" (≤ {scale} decimals)")
        if abs(value) > largest:
            raise ValidationError(message("max", lang, max=largest) if value > 0
                                  else message("min", lang, min=-largest))

    return ExactDecimal(validate=[fits, *checks], **common)


def _bounds(kind: str, low: Any, high: Any, lang: str) -> list[Any]:
    """Range checks for ``min``/``max`` (check has read them as values of ``kind``)."""
    checks = []
    if low is not None:
        checks.append(validate.Range(min=parse_definition_text(kind, str(low)),
                                     error=message("min", lang, min=low)))
    if high is not None:
        checks.append(validate.Range(max=parse_definition_text(kind, str(high)),
                                     error=message("max", lang, max=high)))
    return checks
