"""date: a calendar day (YYYY-MM-DD); ``min``/``max`` bound it, ``$today`` defaults it."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from marshmallow import fields

from ..expressions.boundary import date_in, date_out
from ..values import parse_date_text, parse_text
from .base import ORDERED_OPERATORS, FieldType
from .common import (
    ExactText,
    bounds,
    common_options,
    definition_literal,
    definition_reader,
    fixed_schema,
    noun_of,
    plain_filter,
)

if TYPE_CHECKING:
    from ..definitions import FieldDef

SCHEMA = {"type": "string", "format": "date"}


def parse_date(raw: str) -> date:
    return parse_text("date", raw)


def date_text(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def _payload(field: FieldDef, lang: str, options: tuple[str, ...]) -> fields.Field:
    return ExactText(parse_date_text, "",
                     validate=bounds(definition_reader("date"), field.min, field.max, lang),
                     **common_options("date", lang))


def _read_cell(cell: Any, field: FieldDef) -> date:
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    return parse_date(str(cell).strip())


def date_type() -> FieldType:
    return FieldType(
        name="date", noun=noun_of("date"), keys=frozenset(("min", "max")),
        column=lambda field: sa.Date(), payload=_payload, parse=parse_date,
        output=lambda field: date_text, expression_type="timestamp", to_expression=date_in,
        to_field=lambda value, field: date_out(value), operators=ORDERED_OPERATORS,
        ordering="value", schema=fixed_schema(SCHEMA), filter_schema=plain_filter(SCHEMA),
        widget="date", list_text=lambda value, field: "" if value is None else date_text(value),
        read_cell=_read_cell, macros=("$today",), read_literal=definition_literal("date"),
    )
