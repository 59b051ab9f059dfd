"""What the date and datetime types share: a value written as ISO text (parsed as the
type, bounded by ``min``/``max`` in the definition), seen by expressions as a timestamp,
ordered by value, and filtered with the ordered operators."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from marshmallow import fields

from ..i18n import message
from ..values import parse_text
from .base import ORDERED_OPERATORS, Converter, FieldType
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
from .form_values import read_text as read_form_text
from .form_values import text_of

if TYPE_CHECKING:
    from ..definitions import FieldDef

_FORMATS = {"date": "date", "datetime": "date-time"}


def calendar_type(kind: str, *, column: Callable[[], sa.types.TypeEngine],
                  read_text: Callable[[str], Any], range_message: Callable[[str], str],
                  output: Converter, to_expression: Converter, to_field: Converter,
                  list_text: Callable[[Any, FieldDef], str],
                  read_cell: Callable[[Any, FieldDef], Any],
                  macros: tuple[str, ...],
                  read_form: Callable[[Sequence[str]], Any] = read_form_text,
                  form_text: Converter = text_of, **more: Any) -> FieldType:
    """The field type ``kind`` ("date" or "datetime"): ``read_text`` reads a client's
    text, with ``range_message`` (by language) for a value past what the type holds."""
    schema = {"type": "string", "format": _FORMATS[kind]}

    def payload(field: FieldDef, lang: str, options: tuple[str, ...]) -> fields.Field:
        common = common_options(kind, lang)
        invalid = message(f"invalid_{kind}", lang)  # says the form it takes
        common["error_messages"].update(invalid=invalid, type=invalid)
        return ExactText(read_text, range_message(lang),
                         validate=bounds(definition_reader(kind), field.min, field.max, lang),
                         **common)

    def parse(raw: str) -> Any:
        return parse_text(kind, raw)

    return FieldType(
        name=kind, noun=noun_of(kind), keys=frozenset(("min", "max")),
        column=lambda field: column(), payload=payload, parse=parse,
        output=lambda field: output, expression_type="timestamp",
        to_expression=to_expression, to_field=lambda value, field: to_field(value),
        operators=ORDERED_OPERATORS, ordering="value", schema=fixed_schema(schema),
        filter_schema=plain_filter(schema), widget=kind, list_text=list_text,
        read_cell=read_cell, macros=macros, read_literal=definition_literal(kind),
        read_form=read_form, form_text=form_text, list_cell="nowrap", **more,
    )
