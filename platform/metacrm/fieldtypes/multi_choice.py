"""multi_choice: a list of values of an option set, kept as a JSON array."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from marshmallow import fields

from ..expressions.boundary import text_list_out, value_in
from .base import LIST_OPERATORS, FieldType, SchemaEnv
from .choice import one_of, option_schema
from .common import common_options, noun_of
from .form_values import read_ticked, ticked_values
from .storage import JSON_TYPE
from .texts import same_text

if TYPE_CHECKING:
    from ..definitions import FieldDef

# A cell lists its values with commas or semicolons (either width: ， ；).
CELL_SEPARATORS = re.compile(r"[,;，；]")


def _payload(field: FieldDef, lang: str, options: tuple[str, ...]) -> fields.Field:
    item = fields.String(validate=one_of(options, lang), **common_options("string", lang))
    return fields.List(item, **common_options("list", lang))


def _schema(field: FieldDef, output: bool, env: SchemaEnv) -> dict[str, Any]:
    return {"type": "array", "items": option_schema(field, env), "x-optionset": field.options}


def split_cell(cell: Any) -> list[str]:
    if isinstance(cell, (list, tuple)):
        return [str(item).strip() for item in cell if str(item).strip()]
    return [part.strip() for part in CELL_SEPARATORS.split(str(cell)) if part.strip()]


def multi_choice_type() -> FieldType:
    return FieldType(
        name="multi_choice", noun=noun_of("multi_choice"), keys=frozenset(("options",)),
        column=lambda field: JSON_TYPE, payload=_payload, parse=same_text,
        output=lambda field: None, expression_type="list<string>", to_expression=value_in,
        to_field=lambda value, field: text_list_out(value), operators=LIST_OPERATORS,
        ordering="none", schema=_schema, filter_schema=option_schema, widget="checkboxes",
        list_text=lambda value, field: ", ".join(value or ()),
        read_cell=lambda cell, field: split_cell(cell), read_literal=lambda value: value,
        item_type="string", read_form=read_ticked, form_text=ticked_values,
    )
