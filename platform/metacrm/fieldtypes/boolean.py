"""boolean: true or false (JSON's own, never 1 or "yes" in a request body)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..expressions.boundary import boolean_out, value_in
from ..values import parse_text
from .base import EQUALITY_OPERATORS, FieldType
from .common import StrictBoolean, cell_text, common_options, fixed_schema, noun_of, plain_filter
from .form_values import checkbox_text, read_checkbox

if TYPE_CHECKING:
    from ..definitions import FieldDef


def parse_boolean(raw: str) -> bool:
    return parse_text("boolean", raw)


def _literal(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{value!r} is not true or false")  # noqa: TRY004 - a bad value
    return value


def _list_text(value: Any, field: FieldDef) -> str:
    # Marks, not words: a list reads the same in every language.
    return "" if value is None else "✓" if value else "✗"


def boolean_type() -> FieldType:
    return FieldType(
        name="boolean", noun=noun_of("boolean"), keys=frozenset(),
        column=lambda field: sa.Boolean(),
        payload=lambda field, lang, options: StrictBoolean(**common_options("boolean", lang)),
        parse=parse_boolean, output=lambda field: None, expression_type="bool",
        to_expression=value_in, to_field=lambda value, field: boolean_out(value),
        operators=EQUALITY_OPERATORS, ordering="value",
        schema=fixed_schema({"type": "boolean"}), filter_schema=plain_filter({"type": "boolean"}),
        widget="checkbox", list_text=_list_text, read_cell=cell_text(parse_boolean),
        read_literal=_literal, read_form=read_checkbox, form_text=checkbox_text,
    )
