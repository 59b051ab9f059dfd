"""integer: a whole number that fits 64 bits."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from marshmallow import fields

from ..expressions.boundary import integer_out, value_in
from .base import ORDERED_OPERATORS, FieldType, SchemaEnv
from .common import (
    ExactInteger,
    bounds,
    cell_number,
    common_options,
    definition_literal,
    definition_reader,
    noun_of,
)
from .form_values import read_integer
from .number_schemas import INT64_SCHEMA, narrow
from .numbers import NUMBER_KEYS, integer_range, parse_integer

if TYPE_CHECKING:
    from ..definitions import FieldDef


def _payload(field: FieldDef, lang: str, options: tuple[str, ...]) -> fields.Field:
    checks = [*bounds(definition_reader("integer"), field.min, field.max, lang),
              integer_range(lang)]
    return ExactInteger(validate=checks, **common_options("integer", lang))


def _schema(field: FieldDef, output: bool, env: SchemaEnv) -> dict[str, Any]:
    return narrow(INT64_SCHEMA, field.min, field.max)


def _list_text(value: Any, field: FieldDef) -> str:
    return "" if value is None else f"{value:,}"


def integer_type() -> FieldType:
    return FieldType(
        name="integer", noun=noun_of("integer"), keys=NUMBER_KEYS,
        column=lambda field: sa.BigInteger(), payload=_payload, parse=parse_integer,
        output=lambda field: None, expression_type="int", to_expression=value_in,
        to_field=lambda value, field: integer_out(value, field.rounding),
        operators=ORDERED_OPERATORS, ordering="value", schema=_schema,
        filter_schema=lambda field, env: dict(INT64_SCHEMA), widget="integer",
        list_text=_list_text, read_cell=cell_number(parse_integer),
        read_literal=definition_literal("integer"), read_form=read_integer,
        list_cell="number",
    )
