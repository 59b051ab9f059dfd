"""datetime: a moment, stored in UTC and written with its offset; ``min``/``max``
bound it, ``$now`` and ``$today`` default it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any

from marshmallow import fields

from ..expressions.boundary import datetime_in, datetime_out
from ..i18n import message
from ..values import parse_datetime_text, parse_text, to_utc
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
from .storage import UtcDateTime

if TYPE_CHECKING:
    from ..definitions import FieldDef

SCHEMA = {"type": "string", "format": "date-time"}


def parse_datetime(raw: str) -> datetime:
    return parse_text("datetime", raw)


def iso_datetime(value: datetime) -> str:
    if value.tzinfo is UTC:  # as UtcDateTime reads them on SQLite: nothing to convert
        return value.isoformat()
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


def _payload(field: FieldDef, lang: str, options: tuple[str, ...]) -> fields.Field:
    return ExactText(parse_datetime_text, message("datetime_range", lang),
                     validate=bounds(definition_reader("datetime"), field.min, field.max, lang),
                     **common_options("datetime", lang))


def _list_text(value: Any, field: FieldDef) -> str:
    if value is None:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value  # API text
    return to_utc(moment).strftime("%Y-%m-%d %H:%M UTC")


def _read_cell(cell: Any, field: FieldDef) -> datetime:
    if isinstance(cell, datetime):
        return to_utc(cell)
    if isinstance(cell, date):
        return datetime.combine(cell, time(), tzinfo=UTC)
    return parse_datetime(str(cell).strip())


def datetime_type() -> FieldType:
    return FieldType(
        name="datetime", noun=noun_of("datetime"), keys=frozenset(("min", "max")),
        column=lambda field: UtcDateTime(), payload=_payload, parse=parse_datetime,
        output=lambda field: iso_datetime, expression_type="timestamp",
        to_expression=datetime_in, to_field=lambda value, field: datetime_out(value),
        operators=ORDERED_OPERATORS, ordering="value", schema=fixed_schema(SCHEMA),
        filter_schema=plain_filter(SCHEMA), widget="datetime", list_text=_list_text,
        read_cell=_read_cell, macros=("$today", "$now"),
        read_literal=definition_literal("datetime"),
    )
