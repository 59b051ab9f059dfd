"""What the exact number types (decimal, money, percent) share: exact columns,
digits, rounding on output, and whole numbers' parts that integer reuses."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from marshmallow import ValidationError, fields, validate

from ..expressions.boundary import decimal_out, number_in
from ..i18n import message
from ..values import MAX_INTEGER, MIN_INTEGER, parse_text
from .base import ORDERED_OPERATORS, FieldType, SchemaEnv
from .common import (
    ExactDecimal,
    bounds,
    cell_number,
    common_options,
    definition_literal,
    definition_reader,
    noun_of,
    noun_text,
)
from .form_values import read_decimal
from .number_schemas import decimal_input, digits_pattern
from .storage import ExactNumeric

if TYPE_CHECKING:
    from ..definitions import FieldDef

DEFAULT_DECIMAL_SCALE = 4
# Eighteen digits fit a 64-bit integer of minor units, which is how SQLite keeps them
# exactly (it has no decimal type).
NUMBER_KEYS = frozenset(("min", "max"))
NUMBER_TEXT = r"^-?\d+(\.\d+)?$"


def parse_decimal(raw: str) -> Decimal:
    return parse_text("decimal", raw)


def parse_integer(raw: str) -> int:
    return parse_text("integer", raw)


def largest_value(precision: int, scale: int) -> Decimal:
    """The largest magnitude ``precision`` digits with ``scale`` after the point hold."""
    return (Decimal(10) ** precision - 1).scaleb(-scale)


def decimal_text(scale: int) -> Callable[[Any], str]:
    quantum = Decimal(1).scaleb(-scale)

    def convert(value: Any) -> str:
        if type(value) is not Decimal:
            value = Decimal(value)
        return str(value.quantize(quantum))
    return convert


def _grouped(value: Any, scale: int) -> str:
    return f"{Decimal(value):,.{scale}f}"


def exact_number(name: str, *, precision: int, scale: Callable[[FieldDef], int],
                 keys: frozenset[str] = NUMBER_KEYS,
                 default_bounds: tuple[Any, Any] = (None, None), suffix: str = "",
                 widget: str = "decimal", noun: Mapping[str, str] | None = None) -> FieldType:
    """An exact number of ``precision`` digits, ``scale(field)`` after the point,
    stored exactly on every database (fieldtypes.storage.ExactNumeric)."""
    noun = noun or noun_of(name)
    low_default, high_default = default_bounds

    def column(field: FieldDef) -> Any:
        return ExactNumeric(precision, scale(field))

    def limits(field: FieldDef) -> tuple[Any, Any]:
        return (low_default if field.min is None else field.min,
                high_default if field.max is None else field.max)

    def payload(field: FieldDef, lang: str, options: tuple[str, ...]) -> fields.Field:
        places, largest = scale(field), largest_value(precision, scale(field))

        quantum = Decimal(1).scaleb(-places)

        def fits(value: Decimal) -> None:
            # By value, as JSON Schema's multipleOf: 1.500 is 1.50, 1.505 is not a price.
            if abs(value) <= largest and value != value.quantize(quantum):
                raise ValidationError(message("invalid", lang, kind=noun_text(noun, lang))
                                      + f" (≤ {places} decimals)")
            if abs(value) > largest:
                raise ValidationError(message("max", lang, max=largest) if value > 0
                                      else message("min", lang, min=-largest))

        checks = bounds(definition_reader("decimal"), *limits(field), lang)
        return ExactDecimal(validate=[fits, *checks], **common_options(noun, lang))

    def output(field: FieldDef) -> Callable[[Any], str]:
        return decimal_text(scale(field))

    def to_field(value: Any, field: FieldDef) -> Any:
        return decimal_out(value, scale(field), field.rounding)

    def schema(field: FieldDef, output: bool, env: SchemaEnv) -> dict[str, Any]:
        places = scale(field)
        if output:  # the digits after the point that ``output`` writes
            return {"type": "string",
                    "pattern": rf"^-?\d+\.\d{{{places}}}$" if places else r"^-?\d+$"}
        return decimal_input(precision, places, *limits(field))

    def filter_schema(field: FieldDef, env: SchemaEnv) -> dict[str, Any]:
        # the digits the column holds (runtime/query.py); a filter may compare with any
        return {"type": "string", "pattern": digits_pattern(precision, scale(field))}

    def list_text(value: Any, field: FieldDef) -> str:
        return "" if value is None else _grouped(value, scale(field)) + suffix

    return FieldType(
        name=name, noun=noun, keys=keys, column=column, payload=payload,
        parse=parse_decimal, output=output, expression_type="decimal",
        to_expression=number_in, to_field=to_field, operators=ORDERED_OPERATORS,
        ordering="value", schema=schema,
        filter_schema=filter_schema,
        widget=widget, list_text=list_text, read_cell=_decimal_cell(suffix),
        scale=scale, precision=precision, read_literal=definition_literal("decimal"),
        read_form=read_decimal, list_cell="number",
    )


def _decimal_cell(suffix: str) -> Callable[[Any, FieldDef], Any]:
    read = cell_number(parse_decimal)

    def read_cell(cell: Any, field: FieldDef) -> Any:
        if isinstance(cell, str):  # "1,234.50" and "12.5%" read as they show
            cell = cell.strip().replace(",", "")
            if suffix and cell.endswith(suffix):
                cell = cell[:-len(suffix)]
        return read(cell, field)
    return read_cell


def integer_range(lang: str) -> Any:
    return validate.Range(min=MIN_INTEGER, max=MAX_INTEGER,
                          error=message("invalid", lang, kind=noun_text(noun_of("integer"),
                                                                        lang)))
